//! The FFA's plan: which downsampling factors and fold lengths cover the
//! period range.

use super::FfaConfig;

/// One downsampling step: the series downsampled by `factor` and folded at
/// every whole number of bins `bins_lo..bins_hi`, each FFA covering the
/// periods from that many bins to one more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FfaStep {
    /// Downsampling factor (≥ 1, fractional).
    pub factor: f64,
    /// Sample time after downsampling \[s\].
    pub tsamp_s: f64,
    /// Shortest fold \[bins\].
    pub bins_lo: usize,
    /// One past the longest fold \[bins\].
    pub bins_hi: usize,
}

impl FfaStep {
    /// Shortest period searched \[s\].
    pub fn period_lo_s(&self) -> f64 {
        self.bins_lo as f64 * self.tsamp_s
    }

    /// Longest period searched \[s\].
    pub fn period_hi_s(&self) -> f64 {
        self.bins_hi as f64 * self.tsamp_s
    }
}

/// The steps for a series of `n` samples of `tsamp_s`: periods from
/// `min_period_s` to the smaller of `max_period_s` and
/// [`FfaConfig::max_period_fraction`] of the series, each step folding at
/// `bins_min` to `bins_max` bins after downsampling (so that the profile has
/// about the same number of bins at every period), the factor growing by
/// `bins_max / bins_min` from one step to the next. Where even the raw
/// samples give fewer than `bins_min` bins at the shortest period, the first
/// step folds the raw series at as many bins as there are, up to the same
/// ratio. Empty if the range is empty.
pub fn plan(n: usize, tsamp_s: f64, cfg: &FfaConfig) -> Vec<FfaStep> {
    let t_obs = n as f64 * tsamp_s;
    let pmax = cfg.max_period_s.min(cfg.max_period_fraction * t_obs);
    let mut steps = Vec::new();
    if tsamp_s.is_nan() || tsamp_s <= 0.0 || cfg.bins_min < 2 || cfg.bins_max <= cfg.bins_min {
        return steps;
    }
    let ratio = cfg.bins_max as f64 / cfg.bins_min as f64;
    let mut p = cfg.min_period_s;
    while p < pmax {
        let factor = (p / (cfg.bins_min as f64 * tsamp_s)).max(1.0);
        let tds = factor * tsamp_s;
        let bins_lo = ((p / tds).round() as usize).max(2);
        let top = ((bins_lo as f64 * ratio).ceil() as usize).max(bins_lo + 1);
        let bins_hi = top.min(((pmax / tds).ceil() as usize).max(bins_lo + 1));
        // At least two rows to fold.
        let rows = (n as f64 / factor).floor() as usize / bins_hi;
        if rows < 2 {
            break;
        }
        steps.push(FfaStep {
            factor,
            tsamp_s: tds,
            bins_lo,
            bins_hi,
        });
        p = bins_hi as f64 * tds;
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_cover_the_range_without_gaps() {
        let cfg = FfaConfig::default();
        let (n, dt) = (1 << 22, 64e-6);
        let steps = plan(n, dt, &cfg);
        assert!(!steps.is_empty());
        assert!((steps[0].period_lo_s() - 0.5).abs() < 0.5 * 0.01);
        for w in steps.windows(2) {
            let gap = w[1].period_lo_s() - w[0].period_hi_s();
            assert!(gap.abs() <= w[1].tsamp_s, "gap {gap} between {:?} and {:?}", w[0], w[1]);
            assert!(w[1].factor > w[0].factor);
        }
        let last = steps.last().unwrap();
        let pmax = 0.1 * n as f64 * dt;
        assert!(last.period_hi_s() >= pmax - last.tsamp_s && last.period_hi_s() <= pmax + last.tsamp_s);
        for s in &steps {
            assert!(s.bins_lo >= cfg.bins_min - 1 && s.bins_hi <= cfg.bins_max + 1, "{s:?}");
        }
    }

    #[test]
    fn coarse_samples_fold_at_fewer_bins_and_short_series_get_nothing() {
        let cfg = FfaConfig::default();
        // 10-ms samples: 0.5 s is only 50 bins.
        let steps = plan(100_000, 0.01, &cfg);
        assert_eq!(steps[0].factor, 1.0);
        assert_eq!(steps[0].bins_lo, 50);
        // 4 s of data: a tenth is below the shortest period.
        assert!(plan(62_500, 64e-6, &cfg).is_empty());
    }
}
