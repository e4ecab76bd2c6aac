//! Dedispersing a whole plan in batches that fit a memory budget.
//!
//! The series of all 6276 PALFA DM trials would need ~40 GB at full resolution,
//! so the plan is dedispersed a few passes at a time: passes of one step (one
//! downsampling) are grouped while their output series fit `budget_bytes`, each
//! group is made in one read of the beam, handed to the caller, and dropped.
//! PRESTO's prepsubband reads the raw data once per pass; this reads it once per
//! group.

use palfa_core::beam::SpectraSource;

use super::engine::working_bytes;
use super::{dedisperse_passes, pass_specs, ChannelScaling, DedispConfig};
use crate::ddplan::{DmPass, DmPlan};
use crate::error::SearchResult;
use crate::series::TimeSeries;

/// Groups the passes of `plan` so that each group's output (`nsamples / ds`
/// samples per DM, 4 bytes each) fits `budget_bytes`; a group holds at least one pass.
pub fn group_passes(plan: &DmPlan, nsamples: u64, budget_bytes: u64) -> Vec<Vec<DmPass>> {
    group_passes_with(plan, nsamples, budget_bytes, |_| 0)
}

/// As [`group_passes`], with `overhead(group)` more bytes counted against
/// the budget for each group (its dedispersion's working buffers).
pub fn group_passes_with(
    plan: &DmPlan,
    nsamples: u64,
    budget_bytes: u64,
    overhead: impl Fn(&[DmPass]) -> u64,
) -> Vec<Vec<DmPass>> {
    let mut groups: Vec<Vec<DmPass>> = Vec::new();
    let mut used = 0u64;
    for p in plan.passes() {
        let bytes = p.dms.len() as u64 * (nsamples / p.downsamp as u64) * 4;
        let fits = groups.last().is_some_and(|g| {
            if g[0].downsamp != p.downsamp || g[0].step != p.step || used + bytes > budget_bytes {
                return false;
            }
            let mut with = g.clone();
            with.push(p.clone());
            used + bytes + overhead(&with) <= budget_bytes
        });
        if fits {
            used += bytes;
            groups.last_mut().expect("non-empty").push(p);
        } else {
            used = bytes;
            groups.push(vec![p]);
        }
    }
    groups
}

/// Dedisperses every pass of `plan`, group by group, calling `on_group` with each
/// group's series (in plan order). A group's series and its dedispersion's
/// working buffers together fit `budget_bytes` (a group holds at least one
/// pass). `progress(done_passes, total_passes)`.
pub fn dedisperse_plan(
    src: &mut dyn SpectraSource,
    plan: &DmPlan,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    budget_bytes: u64,
    mut on_group: impl FnMut(Vec<TimeSeries>) -> SearchResult<()>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<()> {
    let h = src.header().clone();
    let groups = group_passes_with(plan, h.nsamples, budget_bytes, |g| {
        working_bytes(&h, &pass_specs(g), g[0].downsamp, cfg)
    });
    let total: usize = groups.iter().map(Vec::len).sum();
    let mut done = 0;
    for g in groups {
        let out = dedisperse_passes(src, &g, scaling, cfg, &|_, _| {})?;
        on_group(out.into_iter().flatten().collect())?;
        done += g.len();
        progress(done as u64, total as u64);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_respect_budget_and_steps() {
        let plan = DmPlan::palfa_mock();
        let n = 1u64 << 22;
        let budget = 2u64 << 30;
        let groups = group_passes(&plan, n, budget);
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 85);
        for g in &groups {
            assert!(g.iter().all(|p| p.step == g[0].step));
            let bytes: u64 = g.iter().map(|p| p.dms.len() as u64 * (n / p.downsamp as u64) * 4).sum();
            assert!(g.len() == 1 || bytes <= budget);
        }
        // 76 DMs x 2^22 x 4 B = 1.27 GB: one ds-1 pass per group under 2 GiB.
        assert_eq!(groups[0].len(), 1);
        assert!(groups.len() < 85, "later steps share reads");
    }

    #[test]
    fn working_buffers_count_against_the_budget() {
        let plan = DmPlan::palfa_mock();
        let n = 1u64 << 22;
        let budget = 2u64 << 30;
        let series = |g: &[DmPass]| -> u64 { g.iter().map(|p| p.dms.len() as u64 * (n / p.downsamp as u64) * 4).sum() };
        // 300 MB of buffers per pass in the group.
        let overhead = |g: &[DmPass]| 300_000_000 * g.len() as u64;
        let with = group_passes_with(&plan, n, budget, overhead);
        let without = group_passes(&plan, n, budget);
        assert_eq!(with.iter().map(Vec::len).sum::<usize>(), 85);
        assert!(with.len() > without.len(), "{} vs {} groups", with.len(), without.len());
        for g in &with {
            assert!(g.iter().all(|p| p.step == g[0].step));
            assert!(g.len() == 1 || series(g) + overhead(g) <= budget);
        }
        // Passes stay in plan order.
        let order: Vec<f64> = with.iter().flatten().map(|p| p.dms[0]).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));
    }
}
