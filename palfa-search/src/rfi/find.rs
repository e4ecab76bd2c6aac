//! [`find_rfi`]: the driver that streams a beam interval by interval, and
//! the assembly of its result.

use std::collections::HashMap;
use std::sync::Arc;

use palfa_core::beam::SpectraSource;
use palfa_core::config::RfiParams;
use palfa_core::formats::presto::RfiMask;
use palfa_core::BeamHeader;
use realfft::{RealFftPlanner, RealToComplex};

use super::{bits, cells, clip, flag, robust, stretch};
use super::{CellStats, ChannelSummary, RfiResult, MAX_CHUNK_BYTES, MIN_LAST_FRACTION, MIN_PTSPERINT};
use crate::error::{SearchError, SearchResult};

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
            while v.is_multiple_of(p) {
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
    if nchan == 0 {
        return Err(SearchError::NoData(format!(
            "{}: the beam has no channels",
            header.basename()
        )));
    }
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
    let stretches: Vec<Vec<(i64, i64)>> = counts.iter().map(|c| c.stretches.clone()).collect();
    let clipped_spectra = stretch::beam_ranges(&stretches, ptsperint, clip::CLIP_GUARD, done);
    let clipped = stretch::per_interval(&clipped_spectra, ptsperint, stats.numint);
    let short_last = stats.numint > 1 && (last_len as f64) < MIN_LAST_FRACTION * ptsperint as f64;
    let flags = flag::flag_cells(&flag::FlagInput {
        stats: &stats,
        zero_weight: &zero_weight,
        short_last,
        ptsperint,
        params,
    });
    let mask = build_mask(&header, params, ptsperint, &stats, &flags);
    let masked_fraction = mask.masked_fraction();
    let clipped_fraction = stretch::total(&clipped_spectra) as f64 / done as f64;
    let masked_or_clipped_fraction = stretch::masked_or_clipped_fraction(&mask, &clipped, done);
    let channels = channel_summaries(&header, &stats, &flags.bytes, &mask);
    Ok(RfiResult {
        header,
        params: params.clone(),
        ptsperint,
        nsamples: done,
        stats,
        flags: flags.bytes,
        clipped,
        clipped_spectra,
        clip_peak_sigma: counts.iter().map(|c| c.peak_sigma).collect(),
        dispersed_events: counts.iter().map(|c| c.dispersed_events).collect(),
        clip_level_sigma: clip_level,
        thresholds: flags.thresholds,
        channels,
        mask,
        masked_fraction,
        clipped_fraction,
        masked_or_clipped_fraction,
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
