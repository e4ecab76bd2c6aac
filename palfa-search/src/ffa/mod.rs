//! Fast folding algorithm (FFA) search for long-period pulsars, riptide-style
//! (Morello et al. 2020), run on the same dedispersed series as the Fourier
//! search.
//!
//! [`FfaSearcher::search`] takes one [`TimeSeries`](crate::TimeSeries):
//!
//! 1. de-reddens it with a running median of `rmed_width_s` and normalises
//!    its noise to unit standard deviation ([`deredden_normalise`]);
//! 2. for each step of the [`plan`], downsamples it by a fractional factor
//!    ([`downsample`]) so that the step's periods fold at `bins_min` to
//!    `bins_max` bins;
//! 3. folds it at every trial period of the step with the FFA transform
//!    ([`ffa_transform`]): for each fold length of `p` bins, `m` trial
//!    periods from `p` to `p²/(p − 1) ≈ p + 1` bins in O(m·p·log₂ m);
//! 4. measures each profile's matched-filter S/N with boxcars of geometric
//!    widths up to `max_duty` of the profile ([`BoxcarSnr`]), keeping the best.
//!
//! In a whole-beam search the FFA takes the DM trials [`ffa_dm_trials`]
//! picks, [`ffa_dm_step`] apart: enough that a DM error of half a step smears
//! the narrowest pulse it resolves by one bin.
//!
//! The result is a [`Periodogram`] (period, S/N, width) whose
//! [`peaks`](Periodogram::peaks) become candidates ([`FfaPeak::to_candidate`])
//! sifted with the acceleration search's. `docs/ffa.md` gives the cost and
//! the sensitivity.

mod dms;
mod periodogram;
mod plan;
mod plot;
mod prepare;
mod search;
mod snr;
mod transform;

use serde::{Deserialize, Serialize};

pub use dms::{ffa_dm_step, ffa_dm_trials};
pub use periodogram::{FfaPeak, Periodogram};
pub use plan::{plan, FfaStep};
pub use plot::plot_periodogram;
pub use prepare::{deredden_normalise, downsample, downsample_many, noise_std, robust_std};
pub use search::FfaSearcher;
pub use snr::{boxcar_widths, BoxcarSnr};
pub use transform::{ffa_transform, ffa_transform_with, trial_period_bins};

use crate::error::{SearchError, SearchResult};
use palfa_core::config::FfaParams;

/// FFA search settings (`[searching.ffa]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FfaConfig {
    /// Shortest trial period \[s\] (0.5).
    pub min_period_s: f64,
    /// Longest trial period \[s\] (30), at most `max_period_fraction` of the series.
    pub max_period_s: f64,
    /// Longest period as a fraction of the series' length (0.1: ten pulses at least).
    pub max_period_fraction: f64,
    /// Fewest bins of a folded profile (240: 1 bin ≈ 0.4 % duty cycle).
    pub bins_min: usize,
    /// One more than the most bins of a folded profile (260).
    pub bins_max: usize,
    /// Widest boxcar as a fraction of the period (0.2).
    pub max_duty: f64,
    /// Ratio between successive boxcar widths (1.5).
    pub width_ratio: f64,
    /// Width of the running median that de-reddens the series \[s\] (4).
    pub rmed_width_s: f64,
    /// S/N from which a periodogram peak is a candidate (7).
    pub snr_threshold: f64,
    /// Most peaks kept per series, strongest first (16).
    pub max_peaks: usize,
}

impl Default for FfaConfig {
    fn default() -> Self {
        Self::from(&FfaParams::default())
    }
}

impl From<&FfaParams> for FfaConfig {
    fn from(p: &FfaParams) -> Self {
        Self {
            min_period_s: p.min_period_s,
            max_period_s: p.max_period_s,
            max_period_fraction: 0.1,
            bins_min: p.bins_min,
            bins_max: p.bins_max,
            max_duty: p.max_duty,
            width_ratio: 1.5,
            rmed_width_s: p.rmed_width_s,
            snr_threshold: p.snr_threshold,
            max_peaks: p.max_peaks,
        }
    }
}

impl FfaConfig {
    /// Checks that the settings can work.
    ///
    /// # Errors
    /// [`SearchError::Params`] naming the setting.
    pub fn validate(&self) -> SearchResult<()> {
        let bad = |m: String| Err(SearchError::Params(format!("FFA: {m}")));
        if !(self.min_period_s > 0.0 && self.min_period_s < self.max_period_s && self.max_period_s.is_finite()) {
            return bad(format!(
                "periods {} to {} s: need 0 < min_period < max_period",
                self.min_period_s, self.max_period_s
            ));
        }
        if !(self.max_period_fraction > 0.0 && self.max_period_fraction <= 0.5) {
            return bad(format!(
                "max_period_fraction {} is not in (0, 0.5]",
                self.max_period_fraction
            ));
        }
        if !(2 <= self.bins_min && self.bins_min < self.bins_max && self.bins_max <= 4096) {
            return bad(format!(
                "profile bins {} to {}: need 2 ≤ bins_min < bins_max ≤ 4096",
                self.bins_min, self.bins_max
            ));
        }
        if !(self.max_duty > 0.0 && self.max_duty < 1.0) {
            return bad(format!("max_duty {} is not in (0, 1)", self.max_duty));
        }
        if !(self.width_ratio > 1.0 && self.width_ratio.is_finite()) {
            return bad(format!("width_ratio {} must exceed 1", self.width_ratio));
        }
        if !(self.rmed_width_s > 0.0 && self.rmed_width_s.is_finite()) {
            return bad(format!("rmed_width {} s must be positive", self.rmed_width_s));
        }
        if !self.snr_threshold.is_finite() {
            return bad(format!("snr_threshold {} is not a number", self.snr_threshold));
        }
        Ok(())
    }
}
