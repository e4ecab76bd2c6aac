//! Which DM trials the FFA searches: its shortest pulses are a few
//! milliseconds wide, so it needs far fewer DMs than the Fourier search.

use palfa_core::astro::dispersion_delay_s;

use super::FfaConfig;

/// The DM step \[pc cm⁻³\] at which a DM error of half a step smears a pulse
/// across the band `lofreq_mhz`-`hifreq_mhz` by one profile bin at the
/// shortest period (`min_period_s / bins_min` seconds): the FFA loses little
/// by searching DMs this far apart. Infinite for a band of zero width.
pub fn ffa_dm_step(lofreq_mhz: f64, hifreq_mhz: f64, cfg: &FfaConfig) -> f64 {
    let per_dm = dispersion_delay_s(1.0, lofreq_mhz) - dispersion_delay_s(1.0, hifreq_mhz);
    let bin = cfg.min_period_s / cfg.bins_min as f64;
    if per_dm.abs() > 0.0 {
        2.0 * bin / per_dm.abs()
    } else {
        f64::INFINITY
    }
}

/// The DMs of `dms` (the searched trials, any order) that the FFA searches:
/// in increasing order, the first, then each at least `step` above the last
/// one taken. Every searched DM is then within `step` plus the plan's own
/// spacing of an FFA trial.
pub fn ffa_dm_trials(dms: &[f64], step: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = dms.iter().copied().filter(|d| d.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let mut out: Vec<f64> = Vec::new();
    for d in sorted {
        if out.last().is_none_or(|&last| d >= last + step) {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_follows_the_band_and_the_shortest_bin() {
        let cfg = FfaConfig::default();
        // PALFA: 1214-1537 MHz, 0.5 s / 240 bins = 2.08 ms: ~3.9 pc cm⁻³.
        let s = ffa_dm_step(1214.0, 1537.0, &cfg);
        assert!((3.5..4.3).contains(&s), "{s}");
        // Half the shortest period: half the step.
        let half = FfaConfig {
            min_period_s: 0.25,
            ..cfg.clone()
        };
        assert!((ffa_dm_step(1214.0, 1537.0, &half) - s / 2.0).abs() < 1e-9);
        assert!(ffa_dm_step(1400.0, 1400.0, &cfg).is_infinite());
    }

    #[test]
    fn trials_are_spread_at_least_a_step_apart() {
        let dms: Vec<f64> = (0..1000).map(|i| i as f64 * 0.3).rev().collect();
        let t = ffa_dm_trials(&dms, 4.0);
        assert_eq!(t[0], 0.0);
        for w in t.windows(2) {
            assert!(w[1] - w[0] >= 4.0 && w[1] - w[0] < 4.0 + 0.3 + 1e-9);
        }
        assert!(*t.last().unwrap() > 299.7 - 4.3);
        assert_eq!(ffa_dm_trials(&dms, 0.0).len(), 1000);
    }
}
