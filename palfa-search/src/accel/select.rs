//! From threshold crossings to a candidate list: significance, one candidate
//! per neighbourhood, and removal of harmonically related candidates.

use super::harmsum::{Crossing, CLOSEST_R};
use crate::stats::candidate_sigma;

/// A candidate before refinement, at the search grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GridCand {
    /// Significance with the stage's trials.
    pub sigma: f64,
    /// Summed power at detection.
    pub power: f64,
    /// Harmonics summed.
    pub numharm: usize,
    /// Fundamental r \[bins\] (grid value).
    pub r: f64,
    /// Fundamental z \[bins\] (grid value).
    pub z: f64,
}

/// Frequencies closer than this \[bins\] count as harmonically related
/// (PRESTO's `tooclose` in `eliminate_harmonics`).
const TOO_CLOSE: f64 = 1.5;

/// Ratios other than n and 1/n that `eliminate_harmonics` removes, as PRESTO.
const OTHER_RATIOS: [(f64, f64); 23] = [
    (3., 2.),
    (5., 2.),
    (2., 3.),
    (4., 3.),
    (5., 3.),
    (3., 4.),
    (5., 4.),
    (2., 5.),
    (3., 5.),
    (4., 5.),
    (5., 6.),
    (2., 7.),
    (3., 7.),
    (4., 7.),
    (3., 8.),
    (5., 8.),
    (2., 9.),
    (3., 10.),
    (2., 11.),
    (3., 11.),
    (2., 13.),
    (3., 13.),
    (2., 15.),
];

/// Significance of each crossing, then the strongest per [`CLOSEST_R`]
/// neighbourhood of fundamental frequency (greedy, strongest first), sorted by
/// decreasing sigma.
pub(crate) fn choose(crossings: &[Crossing], numindep: &[f64]) -> Vec<GridCand> {
    let mut all: Vec<GridCand> = crossings
        .iter()
        .map(|c| {
            let h = 1usize << c.stage;
            GridCand {
                sigma: candidate_sigma(c.power as f64, h, numindep[c.stage as usize]),
                power: c.power as f64,
                numharm: h,
                r: c.i_half as f64 * 0.5 / h as f64,
                z: c.z as f64 / h as f64,
            }
        })
        .collect();
    all.sort_by(|a, b| b.sigma.total_cmp(&a.sigma).then(b.power.total_cmp(&a.power)));
    // Accepted fundamental frequencies, kept sorted for neighbour look-ups.
    let mut taken: Vec<f64> = Vec::new();
    let mut out = Vec::new();
    for c in all {
        let pos = taken.partition_point(|&r| r < c.r);
        let near = |i: usize| taken.get(i).is_some_and(|&r| (r - c.r).abs() < CLOSEST_R);
        if (pos > 0 && near(pos - 1)) || near(pos) {
            continue;
        }
        taken.insert(pos, c.r);
        out.push(c);
    }
    out
}

/// Whether `other` looks like a harmonic (or simple ratio) of `cur`.
fn related(cur: f64, other: f64) -> bool {
    (1..=16).any(|n| {
        let n = n as f64;
        (cur / n - other).abs() < TOO_CLOSE || (cur * n - other).abs() < TOO_CLOSE
    }) || OTHER_RATIOS
        .iter()
        .any(|&(a, b)| (cur * a / b - other).abs() < TOO_CLOSE)
}

/// Removes every candidate harmonically related to a more significant one
/// (`cands` sorted by decreasing sigma), as PRESTO's `eliminate_harmonics`.
pub(crate) fn eliminate_harmonics(cands: Vec<GridCand>) -> Vec<GridCand> {
    let mut kept: Vec<GridCand> = Vec::with_capacity(cands.len());
    for c in cands {
        if !kept.iter().any(|k| related(k.r, c.r)) {
            kept.push(c);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(sigma: f64, r: f64) -> GridCand {
        GridCand {
            sigma,
            power: sigma,
            numharm: 1,
            r,
            z: 0.0,
        }
    }

    #[test]
    fn one_candidate_per_neighbourhood() {
        let xs = [
            Crossing {
                power: 50.0,
                stage: 0,
                i_half: 2000,
                z: 0,
            },
            Crossing {
                power: 40.0,
                stage: 0,
                i_half: 2010,
                z: 0,
            },
            Crossing {
                power: 45.0,
                stage: 0,
                i_half: 2100,
                z: 0,
            },
        ];
        let c = choose(&xs, &[1e4]);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].r, 1000.0);
        assert_eq!(c[1].r, 1050.0);
    }

    #[test]
    fn harmonics_and_simple_ratios_are_removed() {
        let c = eliminate_harmonics(vec![
            cand(20.0, 1000.0),
            cand(15.0, 2000.4),
            cand(12.0, 500.9),
            cand(11.0, 1500.0),
            cand(10.0, 1234.0),
        ]);
        let rs: Vec<f64> = c.iter().map(|c| c.r).collect();
        assert_eq!(rs, vec![1000.0, 1234.0]);
    }
}
