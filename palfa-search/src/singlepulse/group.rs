//! Grouping single-pulse events across DM trials: one dispersed pulse is found
//! in many neighbouring trials at about the same time, brightest at its true
//! DM; RFI at DM 0 and noise give groups confined to few trials.
//!
//! Two events are linked when their DM trials are the same or adjacent and
//! their boxcars overlap in time (within one sample of slack on each side);
//! groups are the connected sets (friends of friends).

use palfa_core::formats::presto::SinglePulseEvent;
use serde::{Deserialize, Serialize};

/// Events that are one pulse seen in several DM trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinglePulseGroup {
    /// The most significant event: its DM, time and width are the group's.
    pub best: SinglePulseEvent,
    /// Every event of the group, sorted by DM then time.
    pub events: Vec<SinglePulseEvent>,
    /// Lowest DM of the group \[pc cm⁻³\].
    pub dm_min: f64,
    /// Highest DM of the group \[pc cm⁻³\].
    pub dm_max: f64,
    /// Earliest event time \[s\].
    pub t_min_s: f64,
    /// Latest event time \[s\].
    pub t_max_s: f64,
    /// Number of distinct DM trials in the group.
    pub n_dms: usize,
}

/// Sample time of the series an event came from \[s\], recovered from
/// `time = sample·dt` (`None` for sample 0).
fn sample_time(e: &SinglePulseEvent) -> Option<f64> {
    (e.sample > 0).then(|| e.time_s / e.sample as f64)
}

/// Half the time span of an event's boxcar plus one sample \[s\].
fn half_extent(e: &SinglePulseEvent) -> f64 {
    sample_time(e).map_or(0.0, |dt| dt * (0.5 * f64::from(e.downfact) + 1.0))
}

/// Groups events of many DM trials (see the module docs).
///
/// `dm_trials` are the DMs searched, in any order; adjacency is by index in
/// that sorted list, each event taking the nearest trial. Empty: the distinct
/// DMs of the events (a trial with no event then does not break adjacency).
/// Groups are returned brightest first.
///
/// ```
/// use palfa_core::formats::presto::SinglePulseEvent;
/// use palfa_search::singlepulse::group_events;
/// let ev = |dm: f64, sigma: f64, sample: u64| SinglePulseEvent {
///     dm, sigma, time_s: sample as f64 * 1e-3, sample, downfact: 4 };
/// let events = [ev(10.0, 6.0, 5000), ev(11.0, 9.0, 5001), ev(12.0, 7.0, 5003), ev(11.0, 5.5, 9000)];
/// let groups = group_events(&events, &[10.0, 11.0, 12.0, 13.0]);
/// assert_eq!(groups.len(), 2);
/// assert_eq!((groups[0].best.dm, groups[0].n_dms), (11.0, 3));
/// ```
pub fn group_events(events: &[SinglePulseEvent], dm_trials: &[f64]) -> Vec<SinglePulseGroup> {
    let mut trials: Vec<f64> = if dm_trials.is_empty() {
        events.iter().map(|e| e.dm).collect()
    } else {
        dm_trials.to_vec()
    };
    trials.retain(|d| d.is_finite());
    trials.sort_by(f64::total_cmp);
    trials.dedup();
    let dm_index = |dm: f64| -> usize {
        let i = trials.partition_point(|&t| t < dm);
        match (i.checked_sub(1), trials.get(i)) {
            (Some(lo), Some(&hi)) if dm - trials[lo] <= hi - dm => lo,
            (Some(lo), None) => lo,
            _ => i,
        }
    };
    let idx: Vec<usize> = events.iter().map(|e| dm_index(e.dm)).collect();
    let half: Vec<f64> = events.iter().map(half_extent).collect();
    let max_half = half.iter().copied().fold(0.0, f64::max);

    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by(|&a, &b| events[a].time_s.total_cmp(&events[b].time_s));
    let mut parent: Vec<usize> = (0..events.len()).collect();
    for (k, &a) in order.iter().enumerate() {
        for &b in &order[k + 1..] {
            let dt = events[b].time_s - events[a].time_s;
            if dt > half[a] + max_half {
                break;
            }
            if idx[a].abs_diff(idx[b]) <= 1 && dt <= half[a] + half[b] {
                union(&mut parent, a, b);
            }
        }
    }

    let mut members: Vec<Vec<usize>> = vec![Vec::new(); events.len()];
    for i in 0..events.len() {
        let r = find(&mut parent, i);
        members[r].push(i);
    }
    let mut groups: Vec<SinglePulseGroup> = members
        .into_iter()
        .filter(|m| !m.is_empty())
        .map(|m| make_group(events, &idx, &m))
        .collect();
    groups.sort_by(|a, b| b.best.sigma.total_cmp(&a.best.sigma));
    groups
}

fn make_group(events: &[SinglePulseEvent], idx: &[usize], members: &[usize]) -> SinglePulseGroup {
    let mut evs: Vec<SinglePulseEvent> = members.iter().map(|&i| events[i]).collect();
    evs.sort_by(|a, b| a.dm.total_cmp(&b.dm).then(a.time_s.total_cmp(&b.time_s)));
    let best = *evs
        .iter()
        .max_by(|a, b| a.sigma.total_cmp(&b.sigma))
        .expect("groups are not empty");
    let mut trials: Vec<usize> = members.iter().map(|&i| idx[i]).collect();
    trials.sort_unstable();
    trials.dedup();
    let fold = |f: fn(f64, f64) -> f64, init: f64, get: fn(&SinglePulseEvent) -> f64| evs.iter().map(get).fold(init, f);
    SinglePulseGroup {
        best,
        dm_min: fold(f64::min, f64::INFINITY, |e| e.dm),
        dm_max: fold(f64::max, f64::NEG_INFINITY, |e| e.dm),
        t_min_s: fold(f64::min, f64::INFINITY, |e| e.time_s),
        t_max_s: fold(f64::max, f64::NEG_INFINITY, |e| e.time_s),
        n_dms: trials.len(),
        events: evs,
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(dm: f64, sigma: f64, sample: u64, downfact: u32) -> SinglePulseEvent {
        SinglePulseEvent {
            dm,
            sigma,
            time_s: sample as f64 * 1e-3,
            sample,
            downfact,
        }
    }

    #[test]
    fn a_gap_in_dm_trials_splits_groups() {
        let trials = [0.0, 1.0, 2.0, 3.0, 4.0];
        let events = [ev(0.0, 6.0, 100, 1), ev(1.0, 7.0, 100, 1), ev(3.0, 8.0, 100, 1)];
        let g = group_events(&events, &trials);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].best.dm, 3.0);
        assert_eq!((g[1].n_dms, g[1].dm_min, g[1].dm_max), (2, 0.0, 1.0));
        // Without the trial list, DM 2 (no events) is not known to lie between.
        assert_eq!(group_events(&events, &[]).len(), 1);
    }

    #[test]
    fn time_overlap_follows_the_widths() {
        // Widths 10 samples: half extents 6 ms each; 11 ms apart links, 13 ms does not.
        let g = group_events(&[ev(5.0, 6.0, 1000, 10), ev(6.0, 6.0, 1011, 10)], &[]);
        assert_eq!(g.len(), 1);
        let g = group_events(&[ev(5.0, 6.0, 1000, 10), ev(6.0, 6.0, 1013, 10)], &[]);
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn chains_link_transitively() {
        // A drifting pulse: each neighbour overlaps the next, the ends do not.
        let events: Vec<_> = (0..10).map(|k| ev(k as f64, 6.0 + k as f64, 1000 + 3 * k, 4)).collect();
        let g = group_events(&events, &[]);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].events.len(), 10);
        assert_eq!(g[0].best.dm, 9.0);
    }
}
