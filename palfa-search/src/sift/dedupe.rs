//! Merging the detections of one signal at many DMs (PRESTO sifting's
//! `remove_duplicate_candidates`).
//!
//! A pulsar is found at about the same Fourier frequency r in every DM trial
//! near its DM. The candidates are sorted by r; starting from the lowest, every
//! following candidate within `r_err` bins of the current anchor joins the
//! group; the anchor then becomes the group's highest-sigma member and the
//! scan goes on from it until no candidate is within `r_err`. Each group
//! becomes one [`SiftedCandidate`] whose hits are all its members' detections.
//! One sort and one linear scan: O(n log n).
//!
//! Series of different downsampling have spectra of different lengths T
//! (each padded to a smooth FFT length), so one frequency is a different r
//! in each: r is compared in bins of the shortest spectrum among the
//! candidates (`r · T_min / T`), where a bin is the widest.

use std::cmp::Ordering;

use super::candidate::{merge_hits, r_tolerance, CandId, DmHit, SiftStats, SiftedCandidate};
use crate::candidate::AccelCandidate;

/// A candidate that passed the preliminary rejections.
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    pub cand: AccelCandidate,
    pub id: CandId,
    pub stats: SiftStats,
}

impl Scored {
    pub fn hit(&self) -> DmHit {
        DmHit {
            dm: self.cand.dm,
            snr: self.stats.snr,
            sigma: self.stats.sigma,
        }
    }
}

/// PRESTO's ranking: higher sigma first, ties by higher incoherent power.
pub(crate) fn by_rank(a: &SiftStats, b: &SiftStats) -> Ordering {
    b.sigma.total_cmp(&a.sigma).then(b.ipow.total_cmp(&a.ipow))
}

/// Groups `cands` within `r_err` bins (FFA detections: [`r_tolerance`] of
/// either); returns the groups and the number of
/// candidates that became hits of another.
pub(crate) fn remove_duplicates(mut cands: Vec<Scored>, r_err: f64) -> (Vec<SiftedCandidate>, usize) {
    let t_min = cands
        .iter()
        .map(|c| c.cand.t_obs_s)
        .filter(|&t| t.is_finite() && t > 0.0)
        .fold(f64::INFINITY, f64::min);
    // r in bins of the shortest spectrum (the candidate's own where it is one).
    let common_r = |c: &AccelCandidate| {
        if c.t_obs_s == t_min || !t_min.is_finite() {
            c.r
        } else {
            c.r * t_min / c.t_obs_s
        }
    };
    cands.sort_by(|a, b| common_r(&a.cand).total_cmp(&common_r(&b.cand)));
    let n = cands.len();
    let mut slots: Vec<Option<Scored>> = cands.into_iter().map(Some).collect();
    let r_of = |slots: &[Option<Scored>], i: usize| slots[i].as_ref().map_or(f64::NAN, |s| common_r(&s.cand));
    let tol_of = |slots: &[Option<Scored>], i: usize| slots[i].as_ref().map_or(r_err, |s| r_tolerance(&s.cand, r_err));
    let mut groups = Vec::new();
    let mut absorbed = 0;
    let mut start = 0;
    while start < n {
        let mut best = start;
        let mut anchor_r = r_of(&slots, start);
        let mut members = vec![start];
        let mut next = start + 1;
        loop {
            let first_new = next;
            while next < n && (r_of(&slots, next) - anchor_r).abs() < tol_of(&slots, next).max(tol_of(&slots, best)) {
                members.push(next);
                next += 1;
            }
            if next == first_new {
                break;
            }
            for &m in &members[members.len() - (next - first_new)..] {
                if let (Some(sm), Some(sb)) = (&slots[m], &slots[best]) {
                    if by_rank(&sm.stats, &sb.stats) == Ordering::Less {
                        best = m;
                    }
                }
            }
            anchor_r = r_of(&slots, best);
        }
        let mut hits: Vec<DmHit> = members
            .iter()
            .filter_map(|&m| slots[m].as_ref().map(Scored::hit))
            .collect();
        merge_hits(&mut hits, []);
        absorbed += members.len() - 1;
        if let Some(b) = slots[best].take() {
            groups.push(SiftedCandidate {
                best: b.cand,
                id: b.id,
                stats: b.stats,
                hits,
            });
        }
        for &m in &members {
            slots[m] = None;
        }
        start = next;
    }
    (groups, absorbed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::candidate::AccelPass;

    fn scored(r: f64, dm: f64, sigma: f64) -> Scored {
        Scored {
            cand: AccelCandidate {
                dm,
                r,
                z: 0.0,
                numharm: 1,
                sigma,
                power: sigma,
                coherent_power: sigma,
                harm_powers: vec![sigma],
                t_obs_s: 100.0,
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
        }
    }

    #[test]
    fn groups_follow_the_best_member() {
        // 100.0 anchors {100.0, 101.0}; the best (101.0, σ 9) then picks up 102.0;
        // 104 is more than 1.1 bins from it: a group of its own.
        let cands = vec![
            scored(102.0, 1.2, 4.0),
            scored(100.0, 1.0, 5.0),
            scored(101.0, 1.1, 9.0),
            scored(104.0, 1.0, 8.0),
        ];
        let (groups, absorbed) = remove_duplicates(cands, 1.1);
        assert_eq!(groups.len(), 2);
        assert_eq!(absorbed, 2);
        assert_eq!(groups[0].best.r, 101.0);
        assert_eq!(groups[0].hits.len(), 3);
        assert_eq!(
            groups[0].hits.iter().map(|h| h.dm).collect::<Vec<_>>(),
            vec![1.0, 1.1, 1.2]
        );
        assert_eq!(groups[1].best.r, 104.0);
    }

    #[test]
    fn a_stronger_member_below_the_anchor_does_not_reach_back() {
        // Anchor 100 (σ 10) takes 101 (σ 5); 102.05 is 2.05 bins from the anchor: separate.
        let cands = vec![
            scored(100.0, 1.0, 10.0),
            scored(101.0, 1.1, 5.0),
            scored(102.05, 1.2, 9.0),
        ];
        let (groups, _) = remove_duplicates(cands, 1.1);
        assert_eq!(groups.len(), 2);
    }

    /// One pulsar in spectra of 2^22 points (ds 1) and padded from 1 398 101
    /// to 1 399 680 points (ds 3): 0.11 % apart in r, 74 bins at r 66 000.
    #[test]
    fn one_frequency_in_spectra_of_different_lengths_is_one_group() {
        let t1 = 4_194_304.0 * 65.476e-6;
        let t3 = 1_399_680.0 * 3.0 * 65.476e-6;
        let f = 240.5;
        let mut a = scored(f * t1, 100.0, 9.0);
        a.cand.t_obs_s = t1;
        let mut b = scored(f * t3, 500.0, 6.0);
        b.cand.t_obs_s = t3;
        // A different signal 5 bins up in the longer spectrum.
        let mut c = scored(f * t3 + 5.0, 600.0, 7.0);
        c.cand.t_obs_s = t3;
        assert!(b.cand.r - a.cand.r > 70.0);
        let (groups, absorbed) = remove_duplicates(vec![a, b, c], 1.1);
        assert_eq!((groups.len(), absorbed), (2, 1));
        let dms: Vec<Vec<f64>> = groups.iter().map(|g| g.hits.iter().map(|h| h.dm).collect()).collect();
        assert!(
            dms.contains(&vec![100.0, 500.0]) && dms.contains(&vec![600.0]),
            "{dms:?}"
        );
        // The group keeps its best member's own r and T.
        let g = groups.iter().find(|g| g.hits.len() == 2).unwrap();
        assert_eq!((g.best.r, g.best.t_obs_s), (f * t1, t1));
    }

    #[test]
    fn empty_input() {
        let (groups, absorbed) = remove_duplicates(Vec::new(), 1.1);
        assert!(groups.is_empty() && absorbed == 0);
    }
}
