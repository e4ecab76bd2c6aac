//! Removing duplicate detections of one pulse: within a width, across widths,
//! and at the edges of padded stretches of the series.
//!
//! Both duplicate rules keep **local maxima**: a candidate survives unless
//! another one close enough is more significant. `single_pulse_search.py`
//! applies the same proximity rules greedily in sample order, which can let a
//! weaker neighbour of a removed candidate survive; keeping local maxima makes
//! the result independent of order and leaves one event per peak.

/// A threshold crossing of one boxcar width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Candidate {
    /// Sample (centre of the boxcar).
    pub sample: usize,
    /// Significance \[σ\].
    pub sigma: f64,
    /// Boxcar width \[samples\].
    pub downfact: u32,
}

/// Whether `a` wins over `b`: higher sigma; on a tie the earlier sample, then
/// the narrower boxcar (a total order, so exactly one of two ever wins).
fn beats(a: &Candidate, b: &Candidate) -> bool {
    match a.sigma.total_cmp(&b.sigma) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => (a.sample, a.downfact) < (b.sample, b.downfact),
    }
}

/// Keeps the candidates (sorted by sample) that no other candidate within
/// `radius(a, b)` samples beats; `max_radius` bounds every radius.
fn keep_local_maxima(cands: &mut Vec<Candidate>, max_radius: usize, radius: impl Fn(&Candidate, &Candidate) -> usize) {
    let n = cands.len();
    let beaten = |i: usize| -> bool {
        let c = &cands[i];
        let near = |o: &Candidate| c.sample.abs_diff(o.sample) <= radius(c, o) && beats(o, c);
        let left = cands[..i]
            .iter()
            .rev()
            .take_while(|o| c.sample - o.sample <= max_radius)
            .any(near);
        left || cands[i + 1..]
            .iter()
            .take_while(|o| o.sample - c.sample <= max_radius)
            .any(near)
    };
    let keep: Vec<bool> = (0..n).map(|i| !beaten(i)).collect();
    let mut k = 0;
    cands.retain(|_| {
        k += 1;
        keep[k - 1]
    });
}

/// Within one width `w`: appends to `out` each of `hits` (one width's
/// crossings as (sample, sigma), sorted by sample) that is the most
/// significant within `w/2` samples (PRESTO's `prune_related1`). Width 1
/// keeps all.
///
/// One pass, O(crossings) however densely interference makes them (at low
/// DM every sample can cross in the wide boxcars; comparing each with every
/// neighbour cost O(crossings × w/2), most of such a series' search): a queue
/// holds the crossings of the window around the current one that no later
/// crossing in the window beats, strongest first, and the current one is kept
/// if it is at the front once the window is complete.
pub(crate) fn prune_within_width(
    hits: &[(usize, f64)],
    downfact: u32,
    out: &mut Vec<Candidate>,
    queue: &mut Vec<usize>,
) {
    let cand = |i: usize| Candidate {
        sample: hits[i].0,
        sigma: hits[i].1,
        downfact,
    };
    let r = downfact as usize / 2;
    if r == 0 {
        out.extend((0..hits.len()).map(cand));
        return;
    }
    // Within one width the order of `beats`: higher sigma, then the earlier sample.
    let stronger = |a: usize, b: usize| match hits[a].1.total_cmp(&hits[b].1) {
        std::cmp::Ordering::Equal => hits[a].0 < hits[b].0,
        o => o.is_gt(),
    };
    // Every crossing enters the queue once: `queue[head..tail]`, with the
    // ends in locals (not the Vec's length, stored back at every pop).
    if queue.len() < hits.len() {
        queue.resize(hits.len(), 0);
    }
    let (mut head, mut tail, mut next) = (0, 0, 0);
    for (i, &(sample, _)) in hits.iter().enumerate() {
        while next < hits.len() && hits[next].0 - sample <= r {
            while tail > head && stronger(next, queue[tail - 1]) {
                tail -= 1;
            }
            queue[tail] = next;
            tail += 1;
            next += 1;
        }
        while hits[queue[head]].0 + r < sample {
            head += 1;
        }
        if queue[head] == i {
            out.push(cand(i));
        }
    }
}

/// Across widths: keeps each candidate that no other beats within
/// `max(w_a/2, w_b/2, 1)` samples (PRESTO's `prune_related2`).
/// `cands` must be sorted by sample.
pub(crate) fn prune_across_widths(cands: &mut Vec<Candidate>) {
    let max_w = cands.iter().map(|c| c.downfact).max().unwrap_or(1) as usize;
    let r = |a: &Candidate, b: &Candidate| (a.downfact.max(b.downfact) as usize / 2).max(1);
    keep_local_maxima(cands, (max_w / 2).max(1), r);
}

/// The padded stretches of a series from its `.inf` on/off pairs (inclusive
/// sample ranges of real data): between consecutive pairs, and before the first
/// and after the last pair when they do not reach the ends.
pub(crate) fn off_regions(onoff: &[(u64, u64)], n: usize) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    if onoff.is_empty() {
        return out;
    }
    if onoff[0].0 > 0 {
        out.push((f64::NEG_INFINITY, onoff[0].0 as f64));
    }
    for pair in onoff.windows(2) {
        out.push((pair[0].1 as f64, pair[1].0 as f64));
    }
    let last = onoff[onoff.len() - 1].1;
    if (last as usize) + 1 < n {
        out.push((last as f64, f64::INFINITY));
    }
    out
}

/// Drops candidates whose boxcar reaches into a padded stretch
/// (PRESTO's `prune_border_cases`: sample ± downfact/2 overlapping (off, on)).
pub(crate) fn prune_borders(cands: &mut Vec<Candidate>, off: &[(f64, f64)]) {
    if off.is_empty() {
        return;
    }
    cands.retain(|c| {
        let half = f64::from(c.downfact) / 2.0;
        let (lo, hi) = (c.sample as f64 - half, c.sample as f64 + half);
        !off.iter().any(|&(a, b)| hi > a && lo < b)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(sample: usize, sigma: f64, downfact: u32) -> Candidate {
        Candidate {
            sample,
            sigma,
            downfact,
        }
    }

    #[test]
    fn one_survivor_per_peak_within_a_width() {
        // A peak spread over samples 100..=106 and a separate one at 200.
        let mut hits: Vec<(usize, f64)> = [5.5, 6.0, 7.0, 8.0, 7.5, 6.5, 5.2]
            .iter()
            .enumerate()
            .map(|(i, &s)| (100 + i, s))
            .collect();
        hits.push((200, 5.1));
        let mut v = Vec::new();
        prune_within_width(&hits, 6, &mut v, &mut Vec::new());
        assert_eq!(v, vec![c(103, 8.0, 6), c(200, 5.1, 6)]);
    }

    /// The queue gives exactly the local maxima of their definition (every
    /// pair compared), on dense runs of crossings (interference: every
    /// sample crosses), sparse ones, gaps at the radius and tied sigmas.
    #[test]
    fn within_width_equals_comparing_every_neighbour() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        let mut queue = Vec::new();
        let mut pruned = 0;
        for trial in 0..400 {
            let w = [2u32, 3, 4, 9, 30, 300][trial % 6];
            let r = w as usize / 2;
            let mut sample = 0usize;
            let mut hits = Vec::new();
            for _ in 0..rng.gen_range(0..600) {
                sample += match rng.gen_range(0..4) {
                    0 => rng.gen_range(r..=r + 1).max(1),
                    1 => rng.gen_range(1..3 * r + 2),
                    _ => 1,
                };
                // Coarse sigmas: many ties, broken by the earlier sample.
                let sigma = if trial % 2 == 0 {
                    f64::from(rng.gen_range(50u8..60)) / 10.0
                } else {
                    rng.gen_range(5.0..9.0)
                };
                hits.push((sample, sigma));
            }
            let mut expected: Vec<Candidate> = hits.iter().map(|&(s, sigma)| c(s, sigma, w)).collect();
            keep_local_maxima(&mut expected, r, |_, _| r);
            pruned += hits.len() - expected.len();
            let mut kept = vec![c(0, 99.0, 1)];
            prune_within_width(&hits, w, &mut kept, &mut queue);
            assert_eq!(kept[0], c(0, 99.0, 1), "appended");
            assert_eq!(kept[1..], expected, "trial {trial}");
        }
        assert!(pruned > 10_000, "{pruned}");
    }

    #[test]
    fn width_one_is_not_pruned_within() {
        let mut v = Vec::new();
        prune_within_width(&[(10, 6.0), (11, 7.0)], 1, &mut v, &mut Vec::new());
        assert_eq!(v, vec![c(10, 6.0, 1), c(11, 7.0, 1)]);
        // ...but across widths adjacent samples are duplicates (radius at least 1).
        prune_across_widths(&mut v);
        assert_eq!(v, vec![c(11, 7.0, 1)]);
    }

    #[test]
    fn across_widths_the_wider_radius_applies() {
        // A wide detection at 1000 (radius 50) absorbs a narrow one 40 samples away,
        // but not one 60 samples away.
        let mut v = vec![c(960, 6.0, 2), c(1000, 9.0, 100), c(1060, 5.5, 3)];
        prune_across_widths(&mut v);
        assert_eq!(v, vec![c(1000, 9.0, 100), c(1060, 5.5, 3)]);
    }

    #[test]
    fn padded_stretches_remove_events() {
        let off = off_regions(&[(0, 999), (1500, 2999)], 4000);
        assert_eq!(off, vec![(999.0, 1500.0), (2999.0, f64::INFINITY)]);
        let mut v = vec![
            c(500, 6.0, 1),
            c(990, 6.0, 30),
            c(1200, 7.0, 1),
            c(2000, 6.0, 4),
            c(3500, 9.0, 1),
        ];
        prune_borders(&mut v, &off);
        assert_eq!(v, vec![c(500, 6.0, 1), c(2000, 6.0, 4)]);
    }
}
