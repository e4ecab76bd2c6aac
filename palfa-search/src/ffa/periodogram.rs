//! The FFA periodogram of one series and its peaks.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::{SearchError, SearchResult};
use crate::stats::power_for_sigma;

/// S/N of every trial period of one series, best over the boxcar widths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Periodogram {
    /// DM of the series \[pc cm⁻³\].
    pub dm: f64,
    /// Length of the series \[s\].
    pub t_obs_s: f64,
    /// Trial periods \[s\], increasing.
    pub periods_s: Vec<f64>,
    /// Best S/N over the widths, per trial.
    pub snr: Vec<f32>,
    /// The width of the best S/N \[bins of the fold\], per trial.
    pub width_bins: Vec<u16>,
    /// Bins of the fold, per trial.
    pub fold_bins: Vec<u16>,
}

/// One peak of a periodogram: a cluster of neighbouring trials above the
/// threshold, at its best trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FfaPeak {
    /// Period \[s\].
    pub period_s: f64,
    /// DM of the series \[pc cm⁻³\].
    pub dm: f64,
    /// Matched-filter S/N.
    pub snr: f64,
    /// Width of the best boxcar \[s\].
    pub width_s: f64,
    /// Duty cycle of the best boxcar (width / period).
    pub duty: f64,
    /// Length of the series it was found in \[s\].
    pub t_obs_s: f64,
}

impl FfaPeak {
    /// The candidate it makes for sifting and folding: `r = T/P`, no
    /// acceleration, one "harmonic" whose power gives the same single-trial
    /// significance as the S/N (`sigma` = S/N, the tail probability of a
    /// Gaussian S/N), width in [`AccelCandidate::pulse_width_s`].
    pub fn to_candidate(&self) -> AccelCandidate {
        let power = power_for_sigma(self.snr, 1, 1.0);
        AccelCandidate {
            dm: self.dm,
            r: self.t_obs_s / self.period_s,
            z: 0.0,
            numharm: 1,
            sigma: self.snr,
            power,
            coherent_power: power,
            harm_powers: vec![power],
            t_obs_s: self.t_obs_s,
            pass: AccelPass::Ffa,
            pulse_width_s: Some(self.width_s),
        }
    }
}

impl Periodogram {
    /// Number of trial periods.
    pub fn len(&self) -> usize {
        self.periods_s.len()
    }

    /// Whether it has no trials.
    pub fn is_empty(&self) -> bool {
        self.periods_s.is_empty()
    }

    /// The peaks above `threshold`, strongest first, at most `max`.
    ///
    /// Trials are taken in order of frequency; a run of trials above the
    /// threshold whose neighbours are less than one Fourier bin (1/T) apart in
    /// frequency is one peak, reported at its highest S/N.
    pub fn peaks(&self, threshold: f64, max: usize) -> Vec<FfaPeak> {
        let df_max = 1.0 / self.t_obs_s;
        let mut above: Vec<usize> = (0..self.len())
            .filter(|&i| f64::from(self.snr[i]) >= threshold && self.snr[i].is_finite())
            .collect();
        above.sort_by(|&a, &b| self.periods_s[b].total_cmp(&self.periods_s[a])); // increasing frequency
        let mut peaks: Vec<FfaPeak> = Vec::new();
        let mut best: Option<usize> = None;
        let mut last_f = f64::NEG_INFINITY;
        for i in above {
            let f = 1.0 / self.periods_s[i];
            if f - last_f >= df_max {
                if let Some(b) = best.take() {
                    peaks.push(self.peak_at(b));
                }
            }
            last_f = f;
            if best.is_none_or(|b| self.snr[i] > self.snr[b]) {
                best = Some(i);
            }
        }
        if let Some(b) = best {
            peaks.push(self.peak_at(b));
        }
        peaks.sort_by(|a, b| b.snr.total_cmp(&a.snr));
        peaks.truncate(max);
        peaks
    }

    fn peak_at(&self, i: usize) -> FfaPeak {
        let duty = f64::from(self.width_bins[i]) / f64::from(self.fold_bins[i]);
        FfaPeak {
            period_s: self.periods_s[i],
            dm: self.dm,
            snr: f64::from(self.snr[i]),
            width_s: duty * self.periods_s[i],
            duty,
            t_obs_s: self.t_obs_s,
        }
    }

    /// The trial nearest `period_s`, or `None` if there are none.
    pub fn nearest(&self, period_s: f64) -> Option<usize> {
        (0..self.len()).min_by(|&a, &b| {
            (self.periods_s[a] - period_s)
                .abs()
                .total_cmp(&(self.periods_s[b] - period_s).abs())
        })
    }

    /// The best S/N over the trials with periods in `[lo, hi]` \[s\], with its index.
    pub fn best_in(&self, lo: f64, hi: f64) -> Option<(usize, f32)> {
        (0..self.len())
            .filter(|&i| (lo..=hi).contains(&self.periods_s[i]))
            .map(|i| (i, self.snr[i]))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// Writes it as text: a header of `#` lines, then one trial per line:
    /// period \[s\], frequency \[Hz\], S/N, width \[bins\], fold bins.
    pub fn write_text(&self, path: impl AsRef<Path>) -> SearchResult<()> {
        let path = path.as_ref();
        let io = |source| SearchError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
        let mut text = String::new();
        text.push_str("# palfa FFA periodogram\n");
        text.push_str(&format!(
            "# DM {:.3} pc/cm^3, T {:.6} s, {} trials\n",
            self.dm,
            self.t_obs_s,
            self.len()
        ));
        text.push_str("# period_s frequency_hz snr width_bins fold_bins\n");
        w.write_all(text.as_bytes()).map_err(io)?;
        for i in 0..self.len() {
            writeln!(
                w,
                "{:.9} {:.9} {:.3} {} {}",
                self.periods_s[i],
                1.0 / self.periods_s[i],
                self.snr[i],
                self.width_bins[i],
                self.fold_bins[i]
            )
            .map_err(io)?;
        }
        w.flush().map_err(io)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pgram(periods: &[f64], snr: &[f32]) -> Periodogram {
        Periodogram {
            dm: 10.0,
            t_obs_s: 100.0,
            periods_s: periods.to_vec(),
            snr: snr.to_vec(),
            width_bins: vec![2; periods.len()],
            fold_bins: vec![200; periods.len()],
        }
    }

    #[test]
    fn neighbouring_trials_above_threshold_are_one_peak() {
        // Frequencies 0.5 Hz ± tiny steps (one cluster), and 0.25 Hz apart.
        let p = [2.0, 2.0001, 2.0002, 4.0, 4.001, 7.0];
        let s = [8.0, 9.5, 8.2, 7.5, 3.0, 6.0];
        let peaks = pgram(&p, &s).peaks(7.0, 10);
        assert_eq!(peaks.len(), 2);
        assert_eq!(peaks[0].period_s, 2.0001);
        assert!((peaks[0].snr - 9.5).abs() < 1e-6);
        assert!((peaks[0].duty - 0.01).abs() < 1e-12);
        assert!((peaks[0].width_s - 0.020001).abs() < 1e-9);
        assert_eq!(peaks[1].period_s, 4.0);
        assert_eq!(pgram(&p, &s).peaks(7.0, 1).len(), 1);
        assert!(pgram(&p, &s).peaks(10.0, 10).is_empty());
    }

    #[test]
    fn a_peak_becomes_a_candidate_of_the_same_significance() {
        let peak = FfaPeak {
            period_s: 5.0,
            dm: 30.0,
            snr: 11.0,
            width_s: 0.05,
            duty: 0.01,
            t_obs_s: 200.0,
        };
        let c = peak.to_candidate();
        assert_eq!(c.pass, AccelPass::Ffa);
        assert!((c.period_s() - 5.0).abs() < 1e-12);
        let stats = crate::sift::SiftStats::from_harm_powers(&c.harm_powers);
        assert!((stats.sigma - 11.0).abs() < 0.05, "{}", stats.sigma);
    }
}
