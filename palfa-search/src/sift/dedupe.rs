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
    cands.sort_by(|a, b| a.cand.r.total_cmp(&b.cand.r));
    let n = cands.len();
    let mut slots: Vec<Option<Scored>> = cands.into_iter().map(Some).collect();
    let r_of = |slots: &[Option<Scored>], i: usize| slots[i].as_ref().map_or(f64::NAN, |s| s.cand.r);
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

    #[test]
    fn empty_input() {
        let (groups, absorbed) = remove_duplicates(Vec::new(), 1.1);
        assert!(groups.is_empty() && absorbed == 0);
    }
}
