//! What [`find_rfi`](super::find_rfi) returns: the cell statistics, the
//! per-channel summaries and the mask.

use palfa_core::config::RfiParams;
use palfa_core::formats::presto::RfiMask;
use palfa_core::BeamHeader;

use super::Thresholds;

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

/// Everything [`find_rfi`](super::find_rfi) found.
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
    /// Byte mask, interval-major, bits of [`bits`](super::bits).
    pub flags: Vec<u8>,
    /// Spectra of each interval inside [`clipped_spectra`](Self::clipped_spectra).
    pub clipped: Vec<u32>,
    /// The clipped stretches of the beam, `[start, end)` in spectra from its
    /// start, sorted and disjoint: every undispersed event beyond the effective
    /// clip level, from its first to its last sample beyond `clip_sigma`,
    /// widened by [`CLIP_GUARD`](super::CLIP_GUARD) spectra on either side.
    /// [`MaskedSource::from_result`](super::MaskedSource::from_result) replaces
    /// every channel of these spectra by the channel's level. They are not in
    /// the [`mask`](Self::mask) (a `.mask` file has no room for them).
    pub clipped_spectra: Vec<(u64, u64)>,
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
    /// Fraction of the `numint × numchan` cells that the mask covers (PRESTO's
    /// masked percentage / 100; clipped spectra not included).
    pub masked_fraction: f64,
    /// Fraction of the beam's spectra that are clipped (guards included).
    pub clipped_fraction: f64,
    /// Fraction of the data that clipping and the mask remove together: the
    /// masked cells plus the clipped spectra's share of the unmasked ones,
    /// each cell weighing `1 / (numint × numchan)`; equal to `masked_fraction`
    /// when nothing is clipped. The pipeline reports it as the "RFI mask
    /// percentage" diagnostic (÷ 100).
    pub masked_or_clipped_fraction: f64,
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
