//! Removing candidates that are harmonics of stronger ones (PRESTO sifting's
//! `remove_harmonics`).
//!
//! In decreasing sigma, each surviving candidate (the "fundamental", frequency
//! f) removes every weaker candidate whose frequency is near f·b/a for the
//! ratios a/b = n and 1/n (n = 1…16) and 3/2, 5/2, 2/3, 4/3, 5/3, 3/4, 5/4,
//! 2/5, 3/5, 4/5, and (beyond PRESTO) every other reduced fraction with
//! numerator a ≤ 16, denominator b ≤ 32 and a·b ≤ 64. Instead of PRESTO's all-pairs loop, the candidates are sorted
//! by frequency and each ratio looks up its window by binary search:
//! O(n · ratios · log n).
//!
//! A weaker candidate at the same frequency (ratio 1) is the same signal found
//! in the other pass or split off by the duplicate grouping: unlike PRESTO,
//! its hits are merged into the stronger one rather than dropped, so the DM of
//! the best hit is chosen over every detection.

use serde::{Deserialize, Serialize};

use super::candidate::r_tolerance;
use super::candidate::{merge_hits, SiftedCandidate};
use super::dedupe::by_rank;
use super::reject::{RejectReason, Rejected};
use super::SiftConfig;

/// How the frequency tolerance of the harmonic test scales with the ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum HarmonicTolerance {
    /// PRESTO HEAD: the weaker candidate's frequency must lie within
    /// f_err = r_err/T of the predicted f·b/a, whatever the ratio — the
    /// precision of its own measured frequency.
    #[default]
    Scaled,
    /// PALFA's `mysifting.py`: |f − f_weak·a/b| < f_err, i.e. a tolerance
    /// f_err·b/a on the weaker frequency: loose for high harmonics, tight for
    /// subharmonics (a 1/16 subharmonic must agree to 1.1/16 = 0.07 bins).
    Fixed,
}

/// The ratios a/b (f_fundamental ≈ f_weak·a/b) in PRESTO's order of testing.
fn ratios() -> Vec<(u32, u32)> {
    let mut out = vec![(1, 1)];
    for n in 2..=16 {
        out.push((n, 1));
        out.push((1, n));
    }
    out.extend([
        (3, 2),
        (5, 2),
        (2, 3),
        (4, 3),
        (5, 3),
        (3, 4),
        (5, 4),
        (2, 5),
        (3, 5),
        (4, 5),
    ]);
    // Beyond PRESTO's list: every other reduced fraction a/b with a ≤ 16,
    // b ≤ 32 and a·b ≤ 64 (5/6, 2/7, 3/8, 7/2, 2/9, 1/20, …). A bright pulsar's
    // harmonic sums also peak at such fractions of its frequency (a 250-ms
    // pulsar gave sifted candidates at 5/6, 2/7, 3/8, 2/9, 2/11 and 1/20 of
    // it); the tolerance is a Fourier bin, so unrelated signals are rarely caught.
    for b in 1..=32u32 {
        for a in 1..=16u32 {
            if a * b <= 64 && gcd(a, b) == 1 && !out.contains(&(a, b)) {
                out.push((a, b));
            }
        }
    }
    out
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Largest k of [`remove_ffa_subharmonics`].
pub(crate) const MAX_FFA_SUBHARMONIC: u32 = 64;

/// Removes the FFA candidates (`ffa`) whose period is a whole multiple
/// k = 2…16 of a Fourier candidate's (in `fourier`) shorter than the FFA's
/// shortest period: the FFA folded that pulsar at k turns and never searched
/// its own period, and its matched filter may well out-score the Fourier
/// search's harmonic sum. Each is rejected as the Fourier candidate's
/// harmonic; returns the rest and how many went.
///
/// A bright short-period pulsar also shows at k = 17…[`MAX_FFA_SUBHARMONIC`]
/// (a 73-ms pulsar folded at 17, 22, 29 and 43 turns). There the tolerance
/// grows with k and would take a tenth or more of unrelated periods, so such
/// a k counts only when the Fourier candidate is at least as significant
/// and the two were found at overlapping DMs.
pub(crate) fn remove_ffa_subharmonics(
    ffa: Vec<SiftedCandidate>,
    fourier: &[SiftedCandidate],
    cfg: &SiftConfig,
    rejected: &mut Vec<Rejected>,
) -> (Vec<SiftedCandidate>, usize) {
    let short: Vec<&SiftedCandidate> = fourier.iter().filter(|c| c.period_s() < cfg.ffa_min_period_s).collect();
    let mut kept = Vec::with_capacity(ffa.len());
    let mut removed = 0;
    for c in ffa {
        let f = c.freq_hz();
        let tol = r_tolerance(&c.best, cfg.r_err) / c.best.t_obs_s;
        let (c_lo, c_hi) = c.dm_range();
        let of = short.iter().find_map(|s| {
            let k = (s.freq_hz() / f).round();
            let s_tol = cfg.r_err / s.best.t_obs_s;
            let near =
                (2.0..=f64::from(MAX_FFA_SUBHARMONIC)).contains(&k) && (s.freq_hz() - k * f).abs() < s_tol + k * tol;
            let (s_lo, s_hi) = s.dm_range();
            let high_k_ok = k <= 16.0 || (s.sigma() >= c.sigma() && s_lo <= c_hi && c_lo <= s_hi);
            (near && high_k_ok).then_some((s, k as u32))
        });
        match of {
            Some((s, k)) => {
                removed += 1;
                rejected.push(Rejected {
                    cand: c.summary(),
                    numhits: c.hits.len(),
                    reason: RejectReason::Harmonic {
                        of: s.id,
                        of_period_s: s.period_s(),
                        num: 1,
                        den: k,
                    },
                    hits: c.hits,
                });
            }
            None => kept.push(c),
        }
    }
    (kept, removed)
}

/// Removes harmonics from `cands`; returns the survivors, ranked, and the
/// number of same-frequency candidates merged into stronger ones.
pub(crate) fn remove_harmonics(
    mut cands: Vec<SiftedCandidate>,
    cfg: &SiftConfig,
    rejected: &mut Vec<Rejected>,
) -> (Vec<SiftedCandidate>, usize) {
    cands.sort_by(|a, b| by_rank(&a.stats, &b.stats));
    let n = cands.len();
    if n < 2 {
        return (cands, 0);
    }
    let freq: Vec<f64> = cands.iter().map(SiftedCandidate::freq_hz).collect();
    let f_err: Vec<f64> = cands
        .iter()
        .map(|c| r_tolerance(&c.best, cfg.r_err) / c.best.t_obs_s)
        .collect();
    let f_err_max = f_err.iter().copied().fold(0.0, f64::max);
    let mut by_freq: Vec<usize> = (0..n).collect();
    by_freq.sort_by(|&a, &b| freq[a].total_cmp(&freq[b]));
    let sorted_f: Vec<f64> = by_freq.iter().map(|&i| freq[i]).collect();

    let mut alive = vec![true; n];
    let mut merged_into: Vec<Option<usize>> = vec![None; n];
    let mut reason: Vec<Option<RejectReason>> = vec![None; n];
    let ratios = ratios();
    for i in 0..n {
        if !alive[i] {
            continue;
        }
        for &(a, b) in &ratios {
            let scale = f64::from(b) / f64::from(a);
            let pred = freq[i] * scale;
            let tol_factor = match cfg.harmonic_tolerance {
                HarmonicTolerance::Scaled => 1.0,
                HarmonicTolerance::Fixed => scale,
            };
            let reach = f_err_max * tol_factor;
            let lo = sorted_f.partition_point(|&f| f <= pred - reach);
            let hi = sorted_f.partition_point(|&f| f < pred + reach);
            for &j in &by_freq[lo..hi] {
                // Only weaker candidates (later in rank order) that are still there.
                if j <= i || !alive[j] || (freq[j] - pred).abs() >= f_err[j] * tol_factor {
                    continue;
                }
                alive[j] = false;
                if (a, b) == (1, 1) {
                    merged_into[j] = Some(i);
                } else {
                    reason[j] = Some(RejectReason::Harmonic {
                        of: cands[i].id,
                        of_period_s: cands[i].period_s(),
                        num: b,
                        den: a,
                    });
                }
            }
        }
    }

    let mut slots: Vec<Option<SiftedCandidate>> = cands.into_iter().map(Some).collect();
    let mut merged = 0;
    for j in 0..n {
        if let Some(i) = merged_into[j] {
            if let Some(weak) = slots[j].take() {
                if let Some(strong) = slots[i].as_mut() {
                    merge_hits(&mut strong.hits, weak.hits);
                    merged += 1;
                }
            }
        } else if let Some(r) = reason[j] {
            if let Some(weak) = slots[j].take() {
                rejected.push(Rejected {
                    cand: weak.summary(),
                    numhits: weak.hits.len(),
                    hits: weak.hits,
                    reason: r,
                });
            }
        }
    }
    (slots.into_iter().flatten().collect(), merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::{AccelCandidate, AccelPass};
    use crate::sift::candidate::{CandId, DmHit, SiftStats};

    const T: f64 = 100.0;

    fn sc(r: f64, sigma: f64, dm: f64) -> SiftedCandidate {
        SiftedCandidate {
            best: AccelCandidate {
                dm,
                r,
                z: 0.0,
                numharm: 1,
                sigma,
                power: sigma,
                coherent_power: sigma,
                harm_powers: vec![sigma],
                t_obs_s: T,
                pass: AccelPass::Lo,
                pulse_width_s: None,
            },
            id: CandId {
                pass: AccelPass::Lo,
                dm,
                candnum: 1,
            },
            stats: SiftStats {
                sigma,
                snr: sigma,
                ipow: sigma,
            },
            hits: vec![DmHit { dm, snr: sigma, sigma }],
        }
    }

    fn run(cands: Vec<SiftedCandidate>, tol: HarmonicTolerance) -> (Vec<SiftedCandidate>, Vec<Rejected>, usize) {
        let cfg = SiftConfig {
            harmonic_tolerance: tol,
            ..SiftConfig::default()
        };
        let mut rejected = Vec::new();
        let (kept, merged) = remove_harmonics(cands, &cfg, &mut rejected);
        (kept, rejected, merged)
    }

    #[test]
    fn tolerance_rules_differ_as_documented() {
        // Fundamental at r = 1000; a 1/16 subharmonic 0.3 bins off (0.3 > 1.1/16)
        // and a 16th harmonic 5 bins off (5 < 1.1·16).
        let cands = || {
            vec![
                sc(1000.0, 20.0, 10.0),
                sc(1000.0 / 16.0 + 0.3, 8.0, 10.0),
                sc(16_005.0, 7.0, 10.0),
            ]
        };
        let (kept, rejected, _) = run(cands(), HarmonicTolerance::Scaled);
        assert_eq!(kept.len(), 2);
        assert_eq!(rejected.len(), 1);
        assert!(matches!(
            rejected[0].reason,
            RejectReason::Harmonic { num: 1, den: 16, .. }
        ));
        let (kept, rejected, _) = run(cands(), HarmonicTolerance::Fixed);
        assert_eq!(kept.len(), 2);
        assert!(matches!(
            rejected[0].reason,
            RejectReason::Harmonic { num: 16, den: 1, .. }
        ));
    }

    #[test]
    fn same_frequency_merges_hits_and_weaker_never_removes_stronger() {
        // The weaker duplicate's hits join the stronger; the 2nd harmonic (weaker) goes;
        // a stronger candidate at half the frequency of a weaker one is kept.
        let cands = vec![
            sc(500.0, 5.0, 30.0),
            sc(1000.4, 9.0, 11.0),
            sc(1000.0, 20.0, 10.0),
            sc(2000.5, 12.0, 10.0),
        ];
        let (kept, rejected, merged) = run(cands, HarmonicTolerance::Scaled);
        assert_eq!(merged, 1);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0].hits.iter().map(|h| h.dm).collect::<Vec<_>>(), vec![10.0, 11.0]);
        let mut ratios: Vec<(u32, u32)> = rejected
            .iter()
            .map(|r| match r.reason {
                RejectReason::Harmonic { num, den, .. } => (num, den),
                _ => (0, 0),
            })
            .collect();
        ratios.sort_unstable();
        assert_eq!(ratios, vec![(1, 2), (2, 1)]);
        // Alone, or with nothing related, nothing is removed.
        let (kept, rejected, _) = run(
            vec![sc(1000.0, 20.0, 10.0), sc(1234.5, 8.0, 10.0)],
            HarmonicTolerance::Scaled,
        );
        assert_eq!((kept.len(), rejected.len()), (2, 0));
    }

    #[test]
    fn ratio_list_starts_with_presto_s() {
        let r = ratios();
        assert!(r.len() > 41);
        assert_eq!(r[0], (1, 1));
        assert_eq!(r[1], (2, 1));
        assert_eq!(r[2], (1, 2));
        assert_eq!(r[31], (3, 2));
        // No ratio appears twice.
        let mut vals: Vec<u64> = r
            .iter()
            .map(|&(a, b)| (f64::from(a) / f64::from(b) * 1e9) as u64)
            .collect();
        vals.sort_unstable();
        vals.dedup();
        assert_eq!(vals.len(), r.len());
        // The extension holds the fractions seen from a bright slow pulsar.
        for f in [(5, 6), (2, 7), (3, 8), (2, 9), (2, 11), (1, 20), (7, 2)] {
            assert!(r.contains(&f), "{f:?}");
        }
    }
}
