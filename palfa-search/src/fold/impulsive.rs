//! Is the fold's signal steady, or a few bright pulses? (Beyond prepfold.)
//!
//! A pulsar's folded signal grows steadily: each sub-integration adds about
//! `1/npart` of it. Two strong single pulses (or bursts of RFI) folded at a
//! period that lines them up put all of the signal into the one or two
//! sub-integrations that contain them, yet the summed profile can be as
//! significant as a real pulsar's (PRESTO folded two pulses 8.4 s apart as a
//! 2.72-s "pulsar" at 50σ). The statistic measures, for each sub-integration, the
//! matched-filter S/N of its profile (rotated to the best solution) against the
//! profile of the other sub-integrations as template, and the fraction of the
//! summed S/N held by the brightest few; [`ImpulsiveRule`] turns it into a flag.

use palfa_core::formats::presto::Pfd;
use serde::{Deserialize, Serialize};

use super::params::{ImpulsiveRule, MIN_PARTS_FOR_IMPULSIVE_TEST};
use super::summary::FoldSummary;

/// How a fold's signal is spread over its sub-integrations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Impulsiveness {
    /// Matched-filter S/N of each sub-integration against the best profile
    /// (0 for a sub-integration without data).
    pub part_snr: Vec<f64>,
    /// Sub-integrations that hold data.
    pub parts_with_data: usize,
    /// How many of the brightest were counted.
    pub top_parts: usize,
    /// Fraction of the summed positive S/N in those brightest sub-integrations:
    /// about `top_parts / parts_with_data` for a steady pulsar, near 1 for a few pulses.
    pub top_fraction: f64,
    /// Combined S/N of those brightest sub-integrations, Σ s / √top_parts.
    pub top_snr: f64,
}

impl Impulsiveness {
    /// Measures `summary`'s sub-integrations (rotated to the best solution) of `pfd`.
    ///
    /// Each sub-integration is matched against the profile of all the *others*
    /// (its own noise would otherwise correlate with the template and lift every
    /// sub-integration's S/N alike): s_p = Σ_b (x_pb − x̄_p)·w_b / σ_p, with w the
    /// unit-norm, mean-free profile of the other sub-integrations and σ_p the noise
    /// σ of a bin of sub-integration p (from the fold statistics).
    pub fn measure(pfd: &Pfd, summary: &FoldSummary, rule: &ImpulsiveRule) -> Self {
        let n = pfd.proflen;
        let prof = &summary.profile;
        let mut part_snr = vec![0.0; pfd.npart];
        let mut parts_with_data = 0;
        let mut w = vec![0.0; n];
        for (p, snr) in part_snr.iter_mut().enumerate() {
            let var: f64 = (0..pfd.nsub).map(|s| pfd.stat(p, s).prof_var).sum();
            let row = &summary.time_phase[p * n..(p + 1) * n];
            if var.is_nan() || var <= 0.0 || row.iter().all(|&v| v == 0.0) {
                continue;
            }
            parts_with_data += 1;
            for ((t, a), b) in w.iter_mut().zip(prof).zip(row) {
                *t = a - b;
            }
            let wm = w.iter().sum::<f64>() / n as f64;
            w.iter_mut().for_each(|t| *t -= wm);
            let norm = w.iter().map(|t| t * t).sum::<f64>().sqrt();
            if norm > 0.0 {
                let m = row.iter().sum::<f64>() / n as f64;
                *snr = row.iter().zip(&w).map(|(v, t)| (v - m) * t).sum::<f64>() / (norm * var.sqrt());
            }
        }
        let mut sorted: Vec<f64> = part_snr.iter().map(|s| s.max(0.0)).collect();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = sorted.iter().sum();
        let top: f64 = sorted.iter().take(rule.top_parts).sum();
        let top_fraction = if total > 0.0 { top / total } else { 0.0 };
        let top_snr = if rule.top_parts > 0 {
            top / (rule.top_parts as f64).sqrt()
        } else {
            0.0
        };
        Self {
            part_snr,
            parts_with_data,
            top_parts: rule.top_parts,
            top_fraction,
            top_snr,
        }
    }

    /// The rule: impulsive when at least [`MIN_PARTS_FOR_IMPULSIVE_TEST`]
    /// sub-integrations hold data, the brightest `top_parts` hold more than
    /// `max_fraction` of the signal, and they are themselves significant
    /// (`top_snr ≥ min_top_snr`, so that noise folds are not flagged).
    pub fn is_impulsive(&self, rule: &ImpulsiveRule) -> bool {
        self.parts_with_data >= MIN_PARTS_FOR_IMPULSIVE_TEST.max(rule.top_parts + 1)
            && self.top_fraction > rule.max_fraction
            && self.top_snr >= rule.min_top_snr
    }
}
