//! DM checks of merged candidates (PRESTO sifting's `remove_DM_problems`) and
//! the positions of DMs in the list of searched DM trials.

use super::candidate::{dm_key, SiftedCandidate};
use super::reject::{RejectReason, Rejected};
use super::SiftConfig;
use crate::error::{SearchError, SearchResult};

/// The searched DM trials, sorted and unique to 0.01 pc cm⁻³, so that a DM's
/// position in the list can be found. Positions, not DM values, define which
/// trials are neighbours, so the check is the same across a change of DM step.
#[derive(Debug, Clone)]
pub struct DmIndex {
    keys: Vec<i64>,
}

impl DmIndex {
    /// Builds the index; every DM must be finite.
    pub fn new(dms: &[f64]) -> SearchResult<Self> {
        if let Some(bad) = dms.iter().find(|d| !d.is_finite()) {
            return Err(SearchError::Params(format!("searched DM {bad} is not a finite number")));
        }
        let mut keys: Vec<i64> = dms.iter().map(|&d| dm_key(d)).collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(Self { keys })
    }

    /// Position of `dm` in the sorted list, if it is one of the searched DMs.
    pub fn position(&self, dm: f64) -> Option<usize> {
        self.keys.binary_search(&dm_key(dm)).ok()
    }

    /// Number of distinct searched DMs.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no DM was searched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Why `cand` has a DM problem, if it has one: too few hits, best hit at or
/// below the low-DM cutoff, or no two hits at neighbouring DM trials.
pub(crate) fn dm_problem(cand: &SiftedCandidate, index: &DmIndex, cfg: &SiftConfig) -> Option<RejectReason> {
    if cand.hits.len() < cfg.numhits_to_fold {
        return Some(RejectReason::TooFewHits {
            hits: cand.hits.len(),
            needed: cfg.numhits_to_fold,
        });
    }
    // The best detection is the highest-sigma hit over all hits.
    if cand.dm() <= cfg.low_dm_cutoff {
        return Some(RejectReason::LowDm {
            cutoff: cfg.low_dm_cutoff,
        });
    }
    if cand.hits.len() > 1 {
        // Hits are sorted by DM and all DMs were checked against the index.
        let pos: Vec<usize> = cand.hits.iter().filter_map(|h| index.position(h.dm)).collect();
        let min_gap = pos.windows(2).map(|w| w[1] - w[0]).min().unwrap_or(1);
        if min_gap > 1 {
            return Some(RejectReason::DmGap { min_index_gap: min_gap });
        }
    }
    None
}

/// Splits `cands` into those without DM problems and the rejected.
pub(crate) fn remove_dm_problems(
    cands: Vec<SiftedCandidate>,
    index: &DmIndex,
    cfg: &SiftConfig,
    rejected: &mut Vec<Rejected>,
) -> Vec<SiftedCandidate> {
    let mut kept = Vec::with_capacity(cands.len());
    for c in cands {
        match dm_problem(&c, index, cfg) {
            None => kept.push(c),
            Some(reason) => rejected.push(Rejected {
                cand: c.summary(),
                numhits: c.hits.len(),
                hits: c.hits,
                reason,
            }),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_across_a_step_change() {
        // 0.1 steps to 1.0, then 0.3 steps: 1.0 and 1.3 are neighbours.
        let mut dms: Vec<f64> = (0..=10).map(|i| i as f64 * 0.1).collect();
        dms.extend((1..=5).map(|i| 1.0 + i as f64 * 0.3));
        let idx = DmIndex::new(&dms).unwrap();
        assert_eq!(idx.len(), 16);
        assert_eq!(idx.position(1.0), Some(10));
        assert_eq!(idx.position(1.3), Some(11));
        assert_eq!(idx.position(1.30000001), Some(11));
        assert_eq!(idx.position(1.2), None);
        assert!(DmIndex::new(&[1.0, f64::NAN]).is_err());
    }
}
