//! RFI excision: the equivalent of PRESTO's `rfifind`.
//!
//! [`find_rfi`] reads a beam once, interval by interval (`chunk_time_s` of data
//! each, so memory is one interval plus the statistics), and for every
//! (interval, channel) cell computes the mean, the standard deviation and the
//! largest normalised Fourier power. Outlying cells are flagged with PRESTO's
//! robust rules, impulsive broadband RFI with a clip test on the band-summed
//! series, and the result is an [`RfiMask`] in PRESTO's `.mask` layout, with the
//! masked fraction (the survey's "RFI mask percentage"), the statistics, files
//! ([`RfiResult::write_files`]) and a summary plot ([`plot_rfi`]).
//! [`MaskedSource`] applies a mask while a beam is read: masked samples are
//! replaced by the channel's level.
//!
//! # The rules
//! With `timesig`, `freqsig`, `chanfrac`, `intfrac`, `clip_sigma`, `zap_chans`
//! and `zap_ints` from [`RfiParams`] (defaults: PRESTO's and PALFA's):
//! 1. Channels with zero weight in the file and the user's `zap_chans` are
//!    masked in every interval; the user's `zap_ints` in every channel.
//! 2. Over all other cells, PRESTO's `calc_avgmedstd` gives the median and the
//!    spread (standard deviation of the central 80 %) of the means and of the
//!    standard deviations. A cell is **BAD_AVG** (**BAD_STD**) if its mean (std)
//!    differs by more than `timesig ×` that spread from the median of its
//!    interval or of its channel (a median itself more than `timesig ×` spread
//!    from the global median is replaced by the global median).
//! 3. A cell is **BAD_POW** if its largest power (bins [`LOBIN`] to n/2,
//!    normalised by σ²·n) exceeds `pow_reject = power_for_sigma(freqsig, 1,
//!    ptsperint/2)`, scaled up by `max(1, ref / m₀)` where `ref` is the smaller of
//!    the cell's interval and channel median powers and `m₀` the median largest
//!    power of pure noise (see the deviations below).
//! 4. An interval with more than `int(chanfrac × channels)` bad cells is masked
//!    whole; then a channel with more than `int(intfrac × intervals)` bad cells.
//! 5. **Clipping**: in each interval the band-summed series (each channel
//!    normalised by its own mean and σ, clamped to ±5σ) is compared with its
//!    median; if any sample lies beyond `clip_sigma ×` its robust spread
//!    (1.4826 × MAD), the whole interval is masked (bit [`bits::CLIPPED`]). The
//!    number of such samples is kept in [`RfiResult::clipped`].
//!
//! # Deviations from PRESTO, and why
//! * **Clipping masks.** PRESTO's rfifind replaces clipped samples by channel
//!   averages before taking statistics and does not mask them; prepsubband clips
//!   again. palfa masks the intervals that hold impulsive RFI, so the mask alone
//!   says where bad data are and later stages need no clipping of their own. A
//!   dispersed pulse is smeared across the DM sweep in the DM-0 sum and is not
//!   clipped; an undispersed or very bright low-DM burst is.
//! * **Relative power threshold.** A periodic signal present in (nearly) every
//!   channel of every interval — mains hum, or a bright pulsar — lifts every
//!   cell's peak power, and PRESTO's absolute threshold then masks the whole
//!   beam. Scaling the threshold by the cell's reference level keeps the rule
//!   unchanged on noise (`ref ≈ m₀`) while such persistent broadband signals are
//!   left to birdie zapping; periodic RFI confined to some channels or some
//!   intervals is still flagged.
//! * **Zero-weight and user-zapped channels, and user-zapped intervals, are left
//!   out of the global statistics and of the counts** for the `chanfrac`/`intfrac`
//!   rules (PRESTO counts every channel): a Mock beam's dead edge channels must
//!   not skew the thresholds.
//! * **Interval length.** `round(chunk_time_s / tsamp)` moved to the nearest
//!   number with no prime factor above 7, so that every FFT is fast (PALFA's
//!   2.097152 s at 65.476 µs gives 32000 spectra instead of 32029, a prime).
//!   PRESTO rounds to whole PSRFITS rows instead.
//! * **The last, partial interval** is kept with its real length (PRESTO pads it
//!   and leaves it unmasked). If it is shorter than a quarter of an interval its
//!   cells are not tested (too few samples for stable statistics); it is still
//!   masked by zapped channels and by clipping.
//! * Non-finite statistics (NaN or infinite samples in the file) flag the cell.
//!
//! ```
//! use palfa_core::simulate::{simulate, RfiSpec, SimParams};
//! use palfa_search::rfi::{default_params, find_rfi};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let sim = SimParams {
//!     nchans: 32,
//!     tsamp_s: 1e-3,
//!     nsamples: 20_000,
//!     rfi: RfiSpec { bad_channels: vec![5], bad_channel_noise: 10.0, ..RfiSpec::default() },
//!     ..SimParams::default()
//! };
//! simulate(&sim, &dir.path().join("b.fil"), &|_, _| {})?;
//! let mut beam = palfa_core::open_beam(&[dir.path().join("b.fil")])?;
//! let params = palfa_core::config::RfiParams { chunk_time_s: 1.0, ..default_params() };
//! let result = find_rfi(beam.as_mut(), &params, &|_, _| {})?;
//! assert_eq!(result.mask.zap_chans, vec![5]);
//! assert!((result.masked_fraction - 1.0 / 32.0).abs() < 0.01);
//! # Ok(()) }
//! ```

mod cells;
mod clip;
mod flag;
mod masked;
mod output;
mod plot;
mod robust;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use palfa_core::beam::SpectraSource;
use palfa_core::config::RfiParams;
use palfa_core::formats::presto::RfiMask;
use palfa_core::BeamHeader;
use realfft::{RealFftPlanner, RealToComplex};

pub use clip::{CHANNEL_CLAMP_SIGMA, EVENT_GAP, MIN_CLIP_SPECTRA, MIN_PERSISTENCE_INTERVALS, SWEEP_WINDOW_S};
pub use flag::Thresholds;
pub use masked::{MaskedSource, LEVEL_SAMPLE_SPECTRA};
pub use output::{read_presto_stats, RfiFiles};
pub use plot::plot_rfi;
pub use robust::AvgMedStd;

use crate::error::{SearchError, SearchResult};

/// Lowest Fourier bin searched for the peak power (PRESTO's `RFI_LOBIN`).
pub const LOBIN: usize = 5;

/// Shortest interval allowed \[spectra\].
pub const MIN_PTSPERINT: usize = 64;

/// A last interval shorter than this fraction of the others is not tested.
pub const MIN_LAST_FRACTION: f64 = 0.25;

/// Largest interval buffer allowed \[bytes\] (`ptsperint × nchan × 4`).
pub const MAX_CHUNK_BYTES: usize = 2 << 30;

/// The byte-mask bits: PRESTO's (`include/mask.h`) plus palfa's [`CLIPPED`](bits::CLIPPED).
pub mod bits {
    /// Nothing wrong.
    pub const GOOD: u8 = 0x00;
    /// Padding (PRESTO; palfa never pads).
    pub const PADDING: u8 = 0x01;
    /// From an older mask (PRESTO).
    pub const OLDMASK: u8 = 0x02;
    /// The whole channel is zapped (by the user, a zero weight, or the `intfrac` rule).
    pub const USERCHAN: u8 = 0x04;
    /// The whole interval is zapped (by the user or the `chanfrac` rule).
    pub const USERINTS: u8 = 0x08;
    /// Peak Fourier power too high.
    pub const BAD_POW: u8 = 0x10;
    /// Standard deviation off.
    pub const BAD_STD: u8 = 0x20;
    /// Mean off.
    pub const BAD_AVG: u8 = 0x40;
    /// The interval holds impulsive broadband RFI (palfa; PRESTO does not use this bit).
    pub const CLIPPED: u8 = 0x80;
    /// Any statistical flag.
    pub const BADDATA: u8 = BAD_POW | BAD_STD | BAD_AVG;
    /// Any zap of a whole channel or interval.
    pub const USERZAP: u8 = USERCHAN | USERINTS;
    /// Every bit that masks a cell.
    pub const MASKED: u8 = BADDATA | USERZAP | CLIPPED;
}

/// The PRESTO and PALFA defaults of [`RfiParams`] (as in the `[searching]`
/// configuration): 2.097152-s intervals, timesig 10, freqsig 4, intfrac 0.3,
/// chanfrac 0.7, clip 6, nothing zapped.
pub fn default_params() -> RfiParams {
    RfiParams {
        chunk_time_s: 2.097152,
        timesig: 10.0,
        freqsig: 4.0,
        intfrac: 0.3,
        chanfrac: 0.7,
        clip_sigma: 6.0,
        zap_chans: Vec::new(),
        zap_ints: Vec::new(),
    }
}

/// Statistics of every (interval, channel) cell, interval-major (`[i * nchan + c]`)
/// like PRESTO's `.stats` file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CellStats {
    /// Channels.
    pub nchan: usize,
    /// Intervals.
    pub numint: usize,
    /// Mean of each cell (file units).
    pub mean: Vec<f32>,
    /// Sample standard deviation of each cell.
    pub std: Vec<f32>,
    /// Largest normalised Fourier power of each cell (noise: exponential, mean 1).
    pub max_power: Vec<f32>,
}

impl CellStats {
    /// Index of cell (interval, channel).
    pub fn idx(&self, interval: usize, chan: usize) -> usize {
        interval * self.nchan + chan
    }
}

/// A summary of one channel over the observation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ChannelSummary {
    /// Centre frequency \[MHz\].
    pub freq_mhz: f64,
    /// Median over intervals of the cell means.
    pub mean: f32,
    /// Median over intervals of the cell standard deviations.
    pub std: f32,
    /// Median over intervals of the cell peak powers.
    pub max_power: f32,
    /// Fraction of its intervals that are masked.
    pub masked_fraction: f32,
    /// Masked in every interval (a zapped channel).
    pub zapped: bool,
}

/// Everything [`find_rfi`] found.
#[derive(Debug, Clone)]
pub struct RfiResult {
    /// The beam's header.
    pub header: BeamHeader,
    /// The parameters used.
    pub params: RfiParams,
    /// Spectra per interval.
    pub ptsperint: usize,
    /// Spectra read.
    pub nsamples: u64,
    /// Per-cell statistics.
    pub stats: CellStats,
    /// Byte mask, interval-major, bits of [`bits`].
    pub flags: Vec<u8>,
    /// Spectra of each interval beyond the clip level of the band sum.
    pub clipped: Vec<u32>,
    /// Largest deviation of each interval's band sum \[σ\].
    pub clip_peak_sigma: Vec<f32>,
    /// Events of each interval beyond the clip level that were recognised as
    /// dispersed pulses and not clipped.
    pub dispersed_events: Vec<u32>,
    /// The effective clip level used \[σ\]: `clip_sigma`, raised by persistent
    /// DM-0 signals (0 when clipping is off).
    pub clip_level_sigma: f32,
    /// The thresholds used.
    pub thresholds: Thresholds,
    /// Per-channel summaries.
    pub channels: Vec<ChannelSummary>,
    /// The mask.
    pub mask: RfiMask,
    /// Fraction of cells masked (the "RFI mask percentage" / 100).
    pub masked_fraction: f64,
}

impl RfiResult {
    /// Number of intervals.
    pub fn numint(&self) -> usize {
        self.stats.numint
    }

    /// Byte-mask bits of a cell.
    pub fn flag(&self, interval: usize, chan: usize) -> u8 {
        self.flags[self.stats.idx(interval, chan)]
    }
}

/// Spectra per interval for `chunk_time_s`: `round(chunk_time_s / tsamp_s)`
/// moved to the nearest number whose prime factors are all ≤ 7 (fast FFTs).
pub fn interval_length(chunk_time_s: f64, tsamp_s: f64) -> SearchResult<usize> {
    let target = chunk_time_s / tsamp_s;
    if !(target.is_finite() && target >= MIN_PTSPERINT as f64 - 0.5) {
        return Err(SearchError::Params(format!(
            "an rfifind interval of {chunk_time_s} s holds {target:.1} spectra of {tsamp_s} s; at least {MIN_PTSPERINT} are needed"
        )));
    }
    if target > i32::MAX as f64 / 2.0 {
        return Err(SearchError::Params(format!(
            "an rfifind interval of {chunk_time_s} s is too long ({target:.0} spectra)"
        )));
    }
    let target = target.round() as usize;
    let smooth = |mut v: usize| {
        for p in [2, 3, 5, 7] {
            while v % p == 0 {
                v /= p;
            }
        }
        v == 1
    };
    Ok((0..target)
        .flat_map(|d| [target - d, target + d])
        .find(|&v| v >= MIN_PTSPERINT && smooth(v))
        .unwrap_or(target))
}

/// Finds RFI in a beam: reads it once from the start and returns the mask and
/// the statistics.
///
/// `progress(done, total)` is called after each interval with spectra read and
/// the header's total. Channels are processed in parallel (rayon). Memory: one
/// interval of spectra plus O(intervals × channels).
///
/// # Errors
/// [`SearchError::Params`] if an interval would be shorter than
/// [`MIN_PTSPERINT`] spectra or its buffer larger than [`MAX_CHUNK_BYTES`], or a
/// threshold is not positive; [`SearchError::NoData`] for a beam with no spectra;
/// [`SearchError::Format`] if reading fails.
pub fn find_rfi(
    source: &mut dyn SpectraSource,
    params: &RfiParams,
    progress: &dyn Fn(u64, u64),
) -> SearchResult<RfiResult> {
    let header = source.header().clone();
    let nchan = header.nchans;
    check_params(params)?;
    let ptsperint = interval_length(params.chunk_time_s, header.tsamp_s)?;
    if ptsperint.saturating_mul(nchan).saturating_mul(4) > MAX_CHUNK_BYTES {
        return Err(SearchError::Params(format!(
            "an interval of {ptsperint} spectra × {nchan} channels needs more than {} MiB; use a shorter chunk time",
            MAX_CHUNK_BYTES >> 20
        )));
    }
    let zero_weight: Vec<bool> = (0..nchan)
        .map(|c| header.chan_weights.get(c).is_some_and(|&w| w == 0.0))
        .collect();
    let clip_chan: Vec<bool> = (0..nchan)
        .map(|c| !zero_weight[c] && !params.zap_chans.contains(&c))
        .collect();

    let freqs: Vec<f64> = (0..nchan).map(|c| header.freq_mhz(c)).collect();
    let plan = clip::ClipPlan::new(&clip_chan, &freqs, header.tsamp_s, params.clip_sigma);
    source.seek(0)?;
    let mut planner = RealFftPlanner::<f32>::new();
    let mut plans: HashMap<usize, Arc<dyn RealToComplex<f32>>> = HashMap::new();
    let mut buf = cells::ChunkBuffer::new(nchan, ptsperint);
    let mut stats = CellStats {
        nchan,
        ..CellStats::default()
    };
    // Each interval's clip events are classified once its successor is analysed.
    let (mut before, mut pending): (Option<clip::ChunkClip>, Option<clip::ChunkClip>) = (None, None);
    let mut events = Vec::new();
    let (mut done, mut last_len) = (0u64, 0usize);
    loop {
        let n = buf.fill(source, ptsperint)?;
        if n == 0 {
            break;
        }
        let fft = plans.entry(n).or_insert_with(|| planner.plan_fft_forward(n)).clone();
        let (cs, sums) = cells::chunk_stats(&mut buf, &fft, &plan.quarter_of);
        let cc = clip::analyse(&sums, n, &plan);
        stats.mean.extend_from_slice(&cs.mean);
        stats.std.extend_from_slice(&cs.std);
        stats.max_power.extend_from_slice(&cs.max_power);
        stats.numint += 1;
        if let Some(p) = pending.take() {
            let peaks: Vec<f32> = events.iter().map(|e: &clip::IntervalEvents| e.peak_sigma).collect();
            let provisional = clip::effective_level(params.clip_sigma, &peaks, ptsperint);
            events.push(clip::classify(before.as_ref(), &p, Some(&cc), &plan, provisional));
            before = Some(p);
        }
        pending = Some(cc);
        done += n as u64;
        last_len = n;
        progress(done, header.nsamples.max(done));
        if n < ptsperint {
            break;
        }
    }
    if stats.numint == 0 {
        return Err(SearchError::NoData(format!(
            "{}: the beam holds no spectra",
            header.basename()
        )));
    }
    if let Some(p) = pending {
        let peaks: Vec<f32> = events.iter().map(|e| e.peak_sigma).collect();
        let provisional = clip::effective_level(params.clip_sigma, &peaks, ptsperint);
        events.push(clip::classify(before.as_ref(), &p, None, &plan, provisional));
    }
    let peaks: Vec<f32> = events.iter().map(|e| e.peak_sigma).collect();
    let clip_level = if params.clip_sigma > 0.0 {
        clip::effective_level(params.clip_sigma, &peaks, ptsperint)
    } else {
        0.0
    };
    let counts = clip::finalize(&events, clip_level);
    let clipped: Vec<u32> = counts.iter().map(|c| c.clipped).collect();
    let short_last = stats.numint > 1 && (last_len as f64) < MIN_LAST_FRACTION * ptsperint as f64;
    let flags = flag::flag_cells(&flag::FlagInput {
        stats: &stats,
        zero_weight: &zero_weight,
        clipped: &clipped,
        short_last,
        ptsperint,
        params,
    });
    let mask = build_mask(&header, params, ptsperint, &stats, &flags);
    let masked_fraction = mask.masked_fraction();
    let channels = channel_summaries(&header, &stats, &flags.bytes, &mask);
    Ok(RfiResult {
        header,
        params: params.clone(),
        ptsperint,
        nsamples: done,
        stats,
        flags: flags.bytes,
        clipped,
        clip_peak_sigma: counts.iter().map(|c| c.peak_sigma).collect(),
        dispersed_events: counts.iter().map(|c| c.dispersed_events).collect(),
        clip_level_sigma: clip_level,
        thresholds: flags.thresholds,
        channels,
        mask,
        masked_fraction,
    })
}

fn check_params(p: &RfiParams) -> SearchResult<()> {
    let positive = |v: f64, name: &str| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(SearchError::Params(format!("rfifind {name} must be positive, not {v}")))
        }
    };
    positive(p.chunk_time_s, "chunk time")?;
    positive(p.timesig, "timesig")?;
    positive(p.freqsig, "freqsig")?;
    for (v, name) in [(p.chanfrac, "chanfrac"), (p.intfrac, "intfrac")] {
        if !(0.0..=1.0).contains(&v) {
            return Err(SearchError::Params(format!(
                "rfifind {name} must be in [0, 1], not {v}"
            )));
        }
    }
    if !(p.clip_sigma.is_finite() && p.clip_sigma >= 0.0) {
        return Err(SearchError::Params(format!(
            "rfifind clip level must be ≥ 0 (0: off), not {}",
            p.clip_sigma
        )));
    }
    Ok(())
}

fn build_mask(
    header: &BeamHeader,
    params: &RfiParams,
    ptsperint: usize,
    stats: &CellStats,
    flags: &flag::Flags,
) -> RfiMask {
    let nchan = stats.nchan;
    let chans_per_int = (0..stats.numint)
        .map(|i| {
            (0..nchan)
                .filter(|&c| flags.bytes[stats.idx(i, c)] & bits::MASKED != 0)
                .collect()
        })
        .collect();
    RfiMask {
        timesigma: params.timesig,
        freqsigma: params.freqsig,
        mjd: header.start_mjd,
        dtint: ptsperint as f64 * header.tsamp_s,
        lofreq: header.lofreq_mhz,
        dfreq: header.chan_bw_mhz,
        numchan: nchan,
        numint: stats.numint,
        ptsperint,
        zap_chans: flags.zap_chans.clone(),
        zap_ints: flags.zap_ints.clone(),
        chans_per_int,
    }
}

fn channel_summaries(header: &BeamHeader, stats: &CellStats, bytes: &[u8], mask: &RfiMask) -> Vec<ChannelSummary> {
    (0..stats.nchan)
        .map(|c| {
            let col = |v: &[f32]| {
                let mut x: Vec<f32> = (0..stats.numint).map(|i| v[stats.idx(i, c)]).collect();
                robust::median(&mut x) as f32
            };
            let masked = (0..stats.numint)
                .filter(|&i| bytes[stats.idx(i, c)] & bits::MASKED != 0)
                .count();
            ChannelSummary {
                freq_mhz: header.freq_mhz(c),
                mean: col(&stats.mean),
                std: col(&stats.std),
                max_power: col(&stats.max_power),
                masked_fraction: masked as f32 / stats.numint.max(1) as f32,
                zapped: mask.zap_chans.contains(&c),
            }
        })
        .collect()
}
