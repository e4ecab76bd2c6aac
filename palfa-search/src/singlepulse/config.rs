//! [`SinglePulseConfig`]: the settings of the single-pulse search, and the
//! boxcar widths they imply for a given sample time.

use palfa_core::config::SinglePulseParams;

use crate::error::{SearchError, SearchResult};

/// Boxcar widths \[samples\] searched besides the unsmoothed series (width 1):
/// `single_pulse_search.py`'s list, limited by [`SinglePulseConfig::maxwidth_s`].
pub const DOWNFACTS: [u32; 14] = [2, 3, 4, 6, 9, 14, 20, 30, 45, 70, 100, 150, 220, 300];

/// Widest boxcar \[samples\] when no maximum width is set (`maxwidth_s <= 0`),
/// as `single_pulse_search.py` without `-m`.
pub const DEFAULT_MAX_DOWNFACT: u32 = 30;

/// Fraction of a block's sorted residuals dropped at each end when measuring
/// its noise level (PRESTO: the central 95 % are kept).
pub const NOISE_TRIM: f64 = 0.025;

/// A block whose noise level lies further than this many standard deviations
/// (of all blocks' levels) from their median is bad.
pub const BAD_BLOCK_NSIGMA: f64 = 4.0;

/// How the slow baseline is removed from each detrending block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detrend {
    /// Subtract the least-squares straight line (PRESTO's default).
    #[default]
    Linear,
    /// Subtract the median (PRESTO's `-f/--fast`): cheaper, but a steep drift
    /// within a block is left in.
    Median,
}

/// Settings of the single-pulse search.
///
/// ```
/// use palfa_search::singlepulse::SinglePulseConfig;
/// let cfg = SinglePulseConfig::default();
/// // PALFA: 5σ, boxcars up to 0.1 s. At 65.476 µs that is every width up to 300 samples.
/// assert_eq!(cfg.downfacts(65.476e-6).last(), Some(&300));
/// assert_eq!(SinglePulseConfig { maxwidth_s: 0.001, ..cfg }.downfacts(65.476e-6), vec![1, 2, 3, 4, 6, 9, 14]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinglePulseConfig {
    /// Events are samples whose boxcar sum over √width exceeds this \[σ\].
    pub threshold: f64,
    /// Widest boxcar \[s\]; widths `w` of [`DOWNFACTS`] with `w·dt ≤ maxwidth_s`
    /// are searched. `<= 0`: widths up to [`DEFAULT_MAX_DOWNFACT`] samples.
    pub maxwidth_s: f64,
    /// Length of the blocks detrended and normalised separately \[samples\].
    pub detrend_len: usize,
    /// Baseline removal per block.
    pub detrend: Detrend,
    /// Reject ("bad-block") blocks whose noise level is an outlier among all
    /// blocks (PRESTO's default; `-b` turns it off). It removes RFI bursts and
    /// dropouts. palfa measures the level for this test from the lower half of
    /// the residuals, which a pulse does not reach, so that bright pulses are
    /// not rejected with the RFI as in PRESTO.
    pub bad_blocks: bool,
    /// Refit the blocks under bright, wide events without them and search
    /// there again (see [`REFIT_SIGMA`](super::REFIT_SIGMA)): such pulses
    /// otherwise lose S/N to the fitted baseline and noise level (palfa's
    /// addition; off: PRESTO's result).
    pub refit_bright: bool,
    /// Events at or above this are plotted \[σ\].
    pub plot_snr: f64,
}

impl Default for SinglePulseConfig {
    /// The default `[searching]` single-pulse keys ([`SinglePulseParams`]'s
    /// `Default`: PALFA's 5σ, boxcars up to 0.1 s, 1000-sample blocks).
    fn default() -> Self {
        Self::from(&SinglePulseParams::default())
    }
}

impl From<&SinglePulseParams> for SinglePulseConfig {
    /// The checked `[searching]` parameters; the rest at PRESTO's defaults.
    fn from(p: &SinglePulseParams) -> Self {
        Self {
            threshold: p.threshold,
            maxwidth_s: p.maxwidth_s,
            plot_snr: p.plot_snr,
            detrend_len: p.detrend_len,
            detrend: if p.median_detrend {
                Detrend::Median
            } else {
                Detrend::Linear
            },
            bad_blocks: p.bad_blocks,
            refit_bright: p.refit,
        }
    }
}

impl SinglePulseConfig {
    /// The boxcar widths \[samples\] searched at sample time `dt_s`, narrowest
    /// first, always starting with 1 (the unsmoothed series). If the maximum width
    /// is below 2 samples, width 2 is still searched, as PRESTO does.
    pub fn downfacts(&self, dt_s: f64) -> Vec<u32> {
        let mut out = vec![1];
        // A relative slack so that w·dt == maxwidth is not lost to rounding.
        let limit = self.maxwidth_s * (1.0 + 1e-9);
        out.extend(DOWNFACTS.iter().copied().filter(|&w| {
            if self.maxwidth_s > 0.0 {
                f64::from(w) * dt_s <= limit
            } else {
                w <= DEFAULT_MAX_DOWNFACT
            }
        }));
        if out.len() == 1 {
            out.push(DOWNFACTS[0]);
        }
        out
    }

    /// Checks the settings for a series of sample time `dt_s`.
    pub fn check(&self, dt_s: f64) -> SearchResult<()> {
        let bad = |m: String| Err(SearchError::Params(format!("single-pulse search: {m}")));
        if !self.threshold.is_finite() {
            return bad(format!("threshold {} is not a number", self.threshold));
        }
        if self.maxwidth_s.is_nan() {
            return bad("maxwidth is not a number".into());
        }
        if self.detrend_len < MIN_DETREND_LEN {
            return bad(format!(
                "detrending block of {} samples is shorter than {MIN_DETREND_LEN}",
                self.detrend_len
            ));
        }
        if !(dt_s.is_finite() && dt_s > 0.0) {
            return bad(format!("sample time {dt_s} s is not positive"));
        }
        Ok(())
    }
}

/// Shortest detrending block \[samples\]: enough for a line fit and a trimmed
/// standard deviation (1/40 is trimmed from each end).
pub const MIN_DETREND_LEN: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_maxwidth() {
        let cfg = SinglePulseConfig::default();
        assert_eq!(cfg.downfacts(1e-3), vec![1, 2, 3, 4, 6, 9, 14, 20, 30, 45, 70, 100]);
        let no_max = SinglePulseConfig {
            maxwidth_s: 0.0,
            ..cfg.clone()
        };
        assert_eq!(no_max.downfacts(1e-3).last(), Some(&30));
        let tiny = SinglePulseConfig {
            maxwidth_s: 1e-6,
            ..cfg
        };
        assert_eq!(tiny.downfacts(1e-3), vec![1, 2]);
    }

    #[test]
    fn from_config_params() {
        let p = SinglePulseParams {
            threshold: 6.5,
            plot_snr: 7.0,
            maxwidth_s: 0.02,
            detrend_len: 2000,
            median_detrend: true,
            bad_blocks: false,
            refit: true,
        };
        let cfg = SinglePulseConfig::from(&p);
        assert_eq!((cfg.threshold, cfg.plot_snr, cfg.maxwidth_s), (6.5, 7.0, 0.02));
        assert_eq!(cfg.detrend_len, 2000);
        assert_eq!(cfg.detrend, Detrend::Median);
        assert!(!cfg.bad_blocks && cfg.refit_bright);
    }

    #[test]
    fn bad_settings_are_errors() {
        let cfg = SinglePulseConfig::default();
        assert!(cfg.check(1e-3).is_ok());
        assert!(cfg.check(0.0).is_err());
        assert!(SinglePulseConfig {
            threshold: f64::NAN,
            ..cfg.clone()
        }
        .check(1e-3)
        .is_err());
        assert!(SinglePulseConfig { detrend_len: 10, ..cfg }.check(1e-3).is_err());
    }
}
