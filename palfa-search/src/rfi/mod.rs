//! RFI excision: the equivalent of PRESTO's `rfifind`.
//!
//! [`find_rfi`] reads a beam once, interval by interval (`chunk_time_s` of data
//! each, so memory is one interval plus the statistics), and for every
//! (interval, channel) cell computes the mean, the standard deviation and the
//! largest normalised Fourier power. Outlying cells are flagged with PRESTO's
//! robust rules into an [`RfiMask`](palfa_core::formats::presto::RfiMask) in
//! PRESTO's `.mask` layout; impulsive broadband RFI is found by a clip test on
//! the band-summed series and recorded as stretches of spectra to clip
//! ([`RfiResult::clipped_spectra`]), not as mask cells. The result also holds
//! the masked and clipped fractions, the statistics, files
//! ([`RfiResult::write_files`]) and a summary plot ([`plot_rfi`]).
//! [`MaskedSource`] applies both while a beam is read: masked samples and every
//! channel of a clipped spectrum are replaced by the channel's level.
//!
//! # The rules
//! With `timesig`, `freqsig`, `chanfrac`, `intfrac`, `clip_sigma`, `zap_chans`
//! and `zap_ints` from [`RfiParams`](palfa_core::config::RfiParams) (defaults: PRESTO's and PALFA's):
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
//! 5. **Clipping** (impulsive broadband RFI): in each interval the band-summed
//!    series (each channel normalised by its own mean and σ, clamped to ±5σ) is
//!    compared with its median. Runs of samples beyond `clip_sigma ×` its
//!    robust spread (1.4826 × MAD) are events; an event that a trial dispersion
//!    sweep aligns clearly better than DM 0 is a dispersed pulse and is left
//!    alone. At the end of the beam the level is raised above any signal
//!    present in more than 80 % of the intervals (mains hum, a bright pulsar).
//!    Every undispersed event beyond that level is **clipped**: its spectra,
//!    from its first to its last sample beyond `clip_sigma`, extended while
//!    the band sum stays beyond [`EXTEND_SIGMA`] and widened by [`CLIP_GUARD`]
//!    spectra on either side, go to [`RfiResult::clipped_spectra`]; the mask
//!    is not touched. The counts are in
//!    [`RfiResult::clipped`], [`RfiResult::dispersed_events`] and
//!    [`RfiResult::clip_level_sigma`].
//!
//! # Fractions
//! * [`RfiResult::masked_fraction`]: the cells of the mask over all
//!   `numint × numchan` cells, as PRESTO's percentage.
//! * [`RfiResult::clipped_fraction`]: clipped spectra over all spectra.
//! * [`RfiResult::masked_or_clipped_fraction`]: the data the two remove
//!   together (masked cells plus the clipped share of the unmasked ones). The
//!   pipeline reports this as the "RFI mask percentage": PRESTO's figure leaves
//!   out what prepsubband clips, palfa's says how much data is lost to RFI.
//!
//! ## The clip test in detail
//! * Each channel's contribution is clamped to ±[`CHANNEL_CLAMP_SIGMA`], so a
//!   spike in one channel cannot pass for a broadband burst; channels with zero
//!   weight or zapped by the user are left out. Samples beyond `clip_sigma` at
//!   most [`EVENT_GAP`] spectra apart form one event.
//! * **Dispersion test.** The band is split into four quarters with equal
//!   numbers of channels. Around an event the quarter series are re-added with
//!   the delays of trial sweeps (ν⁻² law, bottom quarter latest; total sweeps
//!   from 2 spectra up to [`SWEEP_WINDOW_S`], in steps of 25 %, using the
//!   neighbouring intervals near the edges). If a sweep's peak beats the DM-0
//!   peak by 25 % and by 3σ, the event is a dispersed pulse. An undispersed burst
//!   is always best aligned at DM 0, a burst in part of the band gains nothing
//!   from a sweep, and a pulse wider than its own sweep across the band looks
//!   undispersed (and is clipped, as PRESTO would).
//! * **Persistence.** With `p₂₀` the 20th percentile of the intervals' largest
//!   excursions and `m₀` the median largest excursion of pure noise in an
//!   interval (4.2σ for 32000 spectra), the level is
//!   `max(clip_sigma, p₂₀ + clip_sigma − m₀)`: a burst must stand as far above a
//!   persistent signal as `clip_sigma` stands above noise. On noise `p₂₀ < m₀`
//!   and the level is `clip_sigma`; with fewer than
//!   [`MIN_PERSISTENCE_INTERVALS`] intervals it is always `clip_sigma`.
//!
//! # Deviations from PRESTO, and why
//! * **Clipping is decided once, in rfifind.** PRESTO's rfifind replaces
//!   clipped samples by channel averages before taking statistics and masks
//!   nothing for them; prepsubband clips again (6σ of the band sum by default),
//!   which also removes bright low-DM pulses and mains-hum peaks. palfa clips
//!   in rfifind only and hands the stretches on in the [`RfiResult`] (and the
//!   `.stats.json`): [`MaskedSource`] removes them, later stages need no
//!   clipping of their own, and dispersed pulses (told apart by the sweep test)
//!   and persistent DM-0 signals (left to birdie zapping) are not clipped. The
//!   statistics are taken from the unclipped data, so a burst strong enough to
//!   move a cell's mean, σ or peak power beyond the thresholds also masks that
//!   cell. On the PRESTO baseline's reference beam palfa masks the 4 bad
//!   channels (0.417 % of the cells, PRESTO 0.41 %) and clips its 4 bursts,
//!   guards and touching hum peaks included (0.036 % of the spectra).
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
//! use palfa_search::rfi::find_rfi;
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
//! let params = palfa_core::config::RfiParams { chunk_time_s: 1.0, ..Default::default() };
//! let result = find_rfi(beam.as_mut(), &params, &|_, _| {})?;
//! assert_eq!(result.mask.zap_chans, vec![5]);
//! assert!((result.masked_fraction - 1.0 / 32.0).abs() < 0.01);
//! # Ok(()) }
//! ```

mod cells;
mod clip;
mod find;
mod flag;
mod masked;
mod output;
mod plot;
mod result;
mod robust;
pub(crate) mod stretch;

#[cfg(test)]
mod tests;

pub use clip::{
    CHANNEL_CLAMP_SIGMA, CLIP_GUARD, EVENT_GAP, EXTEND_GAP, EXTEND_SIGMA, MIN_CLIP_SPECTRA, MIN_PERSISTENCE_INTERVALS,
    SWEEP_WINDOW_S,
};
pub use find::{find_rfi, interval_length};
pub use flag::Thresholds;
pub use masked::{stats_json_for_mask, MaskedSource, LEVEL_SAMPLE_SPECTRA};
pub use output::{read_clipped_spectra, read_presto_stats, RfiFiles};
pub use plot::plot_rfi;
pub use result::{CellStats, ChannelSummary, RfiResult};
pub use robust::AvgMedStd;

/// Lowest Fourier bin searched for the peak power (PRESTO's `RFI_LOBIN`).
pub const LOBIN: usize = 5;

/// Shortest interval allowed \[spectra\].
pub const MIN_PTSPERINT: usize = 64;

/// A last interval shorter than this fraction of the others is not tested.
pub const MIN_LAST_FRACTION: f64 = 0.25;

/// Largest interval buffer allowed \[bytes\] (`ptsperint × nchan × 4`).
pub const MAX_CHUNK_BYTES: usize = 2 << 30;

/// The byte-mask bits, PRESTO's (`include/mask.h`). Clipped spectra are not
/// cells and have no bit (see [`RfiResult::clipped_spectra`]).
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
    /// Any statistical flag.
    pub const BADDATA: u8 = BAD_POW | BAD_STD | BAD_AVG;
    /// Any zap of a whole channel or interval.
    pub const USERZAP: u8 = USERCHAN | USERINTS;
    /// Every bit that masks a cell.
    pub const MASKED: u8 = BADDATA | USERZAP;
}
