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
use super::prepared::PreparedBeam;
use super::store::SeriesStore;
use super::{pass_specs, passes_from, ChannelScaling, DedispConfig, DedispInput};
use crate::ddplan::{DmPass, DmPlan};
use crate::error::SearchResult;
use crate::series::TimeSeries;

/// Groups the passes of `plan` so that each group's output (`nsamples / ds`
/// samples per DM, 4 bytes each) fits `budget_bytes`; a group holds at least
/// one pass, or part of one (see [`group_passes_with`]).
pub fn group_passes(plan: &DmPlan, nsamples: u64, budget_bytes: u64) -> Vec<Vec<DmPass>> {
    group_passes_with(plan, nsamples, 4, budget_bytes, |_| 0)
}

/// As [`group_passes`] for series of `bytes_per_sample`, with
/// `overhead(group)` more bytes counted against the budget for each group
/// (its dedispersion's working buffers). A pass whose series alone do not
/// fit is split into passes with fewer trial DMs (at least one each; the
/// same subband DM, so the same series) that do, each dedispersed in a read
/// of its own: the memory stays within the budget however long the beam.
pub fn group_passes_with(
    plan: &DmPlan,
    nsamples: u64,
    bytes_per_sample: u64,
    budget_bytes: u64,
    overhead: impl Fn(&[DmPass]) -> u64,
) -> Vec<Vec<DmPass>> {
    let series_bytes = |p: &DmPass| p.dms.len() as u64 * (nsamples / p.downsamp as u64) * bytes_per_sample;
    let mut groups: Vec<Vec<DmPass>> = Vec::new();
    let mut used = 0u64;
    for whole in plan.passes() {
        for p in split_pass(whole, &series_bytes, budget_bytes, &overhead) {
            let bytes = series_bytes(&p);
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
    }
    groups
}

/// `p` as it is if its series and buffers fit `budget`, else in the fewest
/// equal parts (by trial DMs, in order) that do.
fn split_pass(
    p: DmPass,
    series_bytes: &impl Fn(&DmPass) -> u64,
    budget: u64,
    overhead: &impl Fn(&[DmPass]) -> u64,
) -> Vec<DmPass> {
    let need = |q: &DmPass| series_bytes(q) + overhead(std::slice::from_ref(q));
    let ndm = p.dms.len();
    if ndm <= 1 || need(&p) <= budget {
        return vec![p];
    }
    let part = |dms: &[f64]| DmPass {
        dms: dms.to_vec(),
        ..p.clone()
    };
    for parts in 2..=ndm {
        let per = ndm.div_ceil(parts);
        let pieces: Vec<DmPass> = p.dms.chunks(per).map(part).collect();
        if pieces.iter().all(|q| need(q) <= budget) || per == 1 {
            return pieces;
        }
    }
    unreachable!("one DM per part ends the loop")
}

/// Dedisperses every pass of `plan`, group by group, calling `on_group` with each
/// group's series (in plan order). A group's series and its dedispersion's
/// working buffers together fit `budget_bytes` (a group holds at least one
/// pass, or one trial DM of a pass too large for the budget).
/// `progress(done_dms, total_dms)`, in trial DMs.
pub fn dedisperse_plan(
    src: &mut dyn SpectraSource,
    plan: &DmPlan,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    budget_bytes: u64,
    on_group: impl FnMut(Vec<TimeSeries>) -> SearchResult<()>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<()> {
    dedisperse_plan_into(src, plan, scaling, cfg, budget_bytes, on_group, progress)
}

/// [`dedisperse_plan`] into any [`SeriesStore`]: with
/// [`HalfSeries`](crate::series::HalfSeries) a group holds twice the trial
/// DMs in the same budget (the channels must be normalised).
pub fn dedisperse_plan_into<S: SeriesStore>(
    src: &mut dyn SpectraSource,
    plan: &DmPlan,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    budget_bytes: u64,
    on_group: impl FnMut(Vec<S>) -> SearchResult<()>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<()> {
    let mut input = DedispInput::Stream(src);
    dedisperse_plan_from(&mut input, plan, scaling, cfg, budget_bytes, on_group, progress)
}

/// [`dedisperse_plan_into`] from a [`PreparedBeam`], read once already
/// (not once per group): the same series. The memory it holds is not
/// counted against `budget_bytes` (see [`PreparedBeam::resident_bytes`]).
pub fn dedisperse_plan_prepared<S: SeriesStore>(
    beam: &PreparedBeam,
    plan: &DmPlan,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    budget_bytes: u64,
    on_group: impl FnMut(Vec<S>) -> SearchResult<()>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<()> {
    let mut input = DedispInput::Prepared(beam);
    dedisperse_plan_from(&mut input, plan, scaling, cfg, budget_bytes, on_group, progress)
}

/// [`dedisperse_plan_into`] from either kind of [`DedispInput`].
pub fn dedisperse_plan_from<S: SeriesStore>(
    input: &mut DedispInput<'_>,
    plan: &DmPlan,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    budget_bytes: u64,
    mut on_group: impl FnMut(Vec<S>) -> SearchResult<()>,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<()> {
    let mut feed = input.feed();
    let feed = feed.as_mut();
    let h = feed.header().clone();
    let groups = group_passes_with(plan, h.nsamples, S::BYTES_PER_SAMPLE, budget_bytes, |g| {
        working_bytes(&h, &pass_specs(g), g[0].downsamp, cfg)
    });
    let ndms = |g: &[DmPass]| g.iter().map(|p| p.dms.len() as u64).sum::<u64>();
    let total: u64 = groups.iter().map(|g| ndms(g)).sum();
    let mut done = 0;
    for g in groups {
        let out = passes_from::<S>(feed, &g, scaling, cfg, &|_, _| {})?;
        on_group(out.into_iter().flatten().collect())?;
        done += ndms(&g);
        progress(done, total);
    }
    Ok(())
}

/// The bytes the two stages' sums of `plan` must move over a beam of
/// `nchan` channels × `nsamples` spectra, into series of
/// `bytes_per_sample`: per pass, stage 1 loads every channel's samples once
/// (4-byte `f32`) and stores each subband's downsampled samples; stage 2
/// loads every subband sample once per trial DM and stores each trial's
/// series. Against a memory-copy rate this is the dedispersion's
/// bandwidth floor (the sums themselves read mostly from cache).
///
/// ```
/// use palfa_search::ddplan::DmPlan;
/// let plan = DmPlan::palfa_mock();
/// let bytes = palfa_search::dedisp::plan_sum_bytes(&plan, 960, 1 << 22, 2);
/// // Stage 2 of the full-resolution passes alone: 76 DMs × 96 subbands × 2^22 × 4 B each.
/// assert!(bytes > 76 * 96 * (4u64 << 22));
/// ```
pub fn plan_sum_bytes(plan: &DmPlan, nchan: usize, nsamples: u64, bytes_per_sample: u64) -> u64 {
    plan.passes()
        .iter()
        .map(|p| {
            let out = nsamples / p.downsamp.max(1) as u64;
            let (nsub, ndms) = (p.nsub.min(nchan).max(1) as u64, p.dms.len() as u64);
            let stage1 = nchan as u64 * nsamples * 4 + nsub * out * 4;
            let stage2 = ndms * nsub * out * 4 + ndms * out * bytes_per_sample;
            stage1 + stage2
        })
        .sum()
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
        let with = group_passes_with(&plan, n, 4, budget, overhead);
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

    #[test]
    fn a_pass_larger_than_the_budget_is_split_by_trial_dms() {
        let plan = DmPlan::palfa_mock();
        // A 550-s beam: 2^23 samples; a ds-1 pass of 76 DMs in half
        // precision is 1.27 GB, over a 1-GiB budget with 100 MB of buffers.
        let n = 1u64 << 23;
        let budget = 1u64 << 30;
        let overhead = |_: &[DmPass]| 100_000_000;
        let groups = group_passes_with(&plan, n, 2, budget, overhead);
        let first = &groups[0];
        assert_eq!(first.len(), 1);
        let whole = &plan.passes()[0];
        assert_eq!(first[0].dms, whole.dms[..38]);
        assert_eq!(groups[1][0].dms, whole.dms[38..]);
        assert_eq!((groups[1][0].subdm, groups[1][0].pass), (whole.subdm, whole.pass));
        for g in &groups {
            let bytes: u64 = g.iter().map(|p| p.dms.len() as u64 * (n / p.downsamp as u64) * 2).sum();
            assert!(bytes + 100_000_000 <= budget, "{bytes}");
        }
        // Every trial DM once, in plan order.
        let all: Vec<f64> = groups.iter().flatten().flat_map(|p| p.dms.clone()).collect();
        let want: Vec<f64> = plan.passes().into_iter().flat_map(|p| p.dms).collect();
        assert_eq!(all, want);
        // A budget below one series still makes one DM per group.
        let tiny = group_passes_with(&plan, n, 2, 1, |_| 0);
        assert!(tiny.iter().all(|g| g.len() == 1 && g[0].dms.len() == 1));
        assert_eq!(tiny.len(), want.len());
    }
}
