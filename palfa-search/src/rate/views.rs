//! The profiles the raters look at, built from a fold cube: the best
//! profile, the profile dedispersed at DM 0, and the rows of the
//! frequency-phase and time-phase planes, each in units of its own noise σ.

use palfa_core::formats::presto::Pfd;

use crate::fold::{chisqr, combine_parts, dedispersed_parts, subband_profiles, summarize_pfd, FoldSummary};

/// A profile with the mean and variance the fold statistics give it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Profile {
    /// The summed profile, as folded.
    pub values: Vec<f64>,
    /// Its expected mean (Σ prof_avg).
    pub avg: f64,
    /// Its expected per-bin variance without signal (Σ prof_var).
    pub var: f64,
}

impl Profile {
    /// χ² of the profile against its mean and noise (PRESTO's `chisqr`).
    pub fn chi2(&self) -> f64 {
        chisqr(&self.values, self.avg, self.var)
    }

    /// The profile minus its expected mean, in units of the noise σ of one
    /// bin (`dof_corr` removes the correlation prepfold's drizzling puts
    /// between bins: noise then has unit variance). `None` without noise.
    pub fn scaled(&self, dof_corr: f64) -> Option<Vec<f64>> {
        let sd = (self.var * dof_corr).sqrt();
        (sd > 0.0 && sd.is_finite()).then(|| self.values.iter().map(|v| (v - self.avg) / sd).collect())
    }
}

/// Everything the raters need from one fold.
#[derive(Debug, Clone)]
pub(crate) struct FoldViews {
    /// What prepfold reports about the fold.
    pub summary: FoldSummary,
    /// The best profile (best P, Ṗ, DM).
    pub best: Profile,
    /// The profile at the best P and Ṗ with the subbands not shifted: DM 0
    /// between subbands (`None` for one subband).
    pub dm0: Option<Profile>,
    /// One profile per subband at the best P, Ṗ and DM.
    pub subbands: Vec<Profile>,
    /// One profile per sub-integration at the best P, Ṗ and DM.
    pub subints: Vec<Profile>,
}

impl FoldViews {
    /// The views of `pfd` (the summary as `summarize_pfd` derives it).
    pub fn new(pfd: &Pfd) -> Self {
        Self::with_summary(pfd, summarize_pfd(pfd))
    }

    /// The views of `pfd` whose summary is already known.
    pub fn with_summary(pfd: &Pfd, summary: FoldSummary) -> Self {
        let n = pfd.proflen;
        let best = Profile {
            values: summary.profile.clone(),
            avg: summary.stats.prof_avg,
            var: summary.stats.prof_var,
        };
        // Each part's expected mean and noise variance: its subbands' summed
        // (they do not depend on the DM the subbands are shifted to).
        let part_stats: Vec<(f64, f64)> = (0..pfd.npart)
            .map(|p| {
                (0..pfd.nsub).fold((0.0, 0.0), |(a, v), s| {
                    let st = pfd.stat(p, s);
                    (a + st.prof_avg, v + st.prof_var)
                })
            })
            .collect();
        let dm0 = (pfd.nsub > 1).then(|| {
            let (parts, _) = dedispersed_parts(pfd, None);
            Profile {
                values: combine_parts(&parts, n, &summary.part_delays, None),
                avg: part_stats.iter().map(|s| s.0).sum(),
                var: part_stats.iter().map(|s| s.1).sum(),
            }
        });
        let subints = summary
            .time_phase
            .chunks_exact(n)
            .zip(&part_stats)
            .map(|(row, &(avg, var))| Profile {
                values: row.to_vec(),
                avg,
                var,
            })
            .collect();
        let subbands = subband_rows(pfd, &summary);
        FoldViews {
            summary,
            best,
            dm0,
            subbands,
            subints,
        }
    }
}

/// Each subband's profile at the best P, Ṗ and DM
/// ([`subband_profiles`]), with the subband's statistics summed over parts.
fn subband_rows(pfd: &Pfd, s: &FoldSummary) -> Vec<Profile> {
    let n = pfd.proflen;
    subband_profiles(pfd, s)
        .chunks_exact(n)
        .enumerate()
        .map(|(sub, row)| {
            let (mut avg, mut var) = (0.0, 0.0);
            for p in 0..pfd.npart {
                let st = pfd.stat(p, sub);
                avg += st.prof_avg;
                var += st.prof_var;
            }
            Profile {
                values: row.to_vec(),
                avg,
                var,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subband_rows_sum_to_the_best_profile() {
        // A cube with a pulse drifting through the parts and dispersed across the subbands.
        let (npart, nsub, n) = (6, 4, 32);
        let mut pfd = Pfd::new(npart, nsub, n);
        pfd.dt = 1e-3;
        pfd.lofreq = 1200.0;
        pfd.chan_wid = 25.0;
        pfd.numchan = 16;
        pfd.fold.p1 = 10.0;
        pfd.topo.p1 = 0.1;
        pfd.bestdm = 30.0;
        pfd.dms = vec![0.0, 30.0, 60.0];
        pfd.periods = vec![0.1];
        pfd.pdots = vec![0.0];
        for p in 0..npart {
            for s in 0..nsub {
                for b in 0..n {
                    let i = (p * nsub + s) * n + b;
                    pfd.rawfolds[i] = ((p * 7 + s * 3 + b * b) % 11) as f64;
                }
                let st = &mut pfd.stats[p * nsub + s];
                st.numdata = 100.0;
                st.prof_avg = 5.0 * n as f64 / n as f64;
                st.prof_var = 2.0;
            }
        }
        let v = FoldViews::new(&pfd);
        let mut sum = vec![0.0; n];
        for row in &v.subbands {
            for (a, b) in sum.iter_mut().zip(&row.values) {
                *a += b;
            }
        }
        for (a, b) in sum.iter().zip(&v.best.values) {
            assert!((a - b).abs() < 1e-9, "{sum:?}\n{:?}", v.best.values);
        }
        let mut sum = vec![0.0; n];
        for row in &v.subints {
            for (a, b) in sum.iter_mut().zip(&row.values) {
                *a += b;
            }
        }
        for (a, b) in sum.iter().zip(&v.best.values) {
            assert!((a - b).abs() < 1e-9);
        }
        let var: f64 = v.subbands.iter().map(|r| r.var).sum();
        assert!((var - v.best.var).abs() < 1e-9);
    }
}
