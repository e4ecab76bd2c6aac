//! One streaming pass over a beam that folds many candidates at once.
//!
//! The beam is read once, a step of spectra at a time, into a channel-major
//! window that also keeps the next `max_delay` spectra (the longest
//! intra-subband dispersion delay of any candidate). Every step is folded into
//! every candidate's cube in parallel: the work items are (candidate, subband
//! group) pairs, so one candidate still uses every core, and items are handed
//! out in batches that walk the window in short stretches, so a stretch of data
//! stays in cache while a batch of candidates folds it. Memory is one window
//! plus the candidates' cubes, whatever the length of the beam.

use palfa_core::beam::SpectraSource;
use palfa_core::formats::presto::FoldStats;
use rayon::prelude::*;

use super::accumulate::{DrizzleTable, GroupFold, Window};
use super::plan::FoldPlan;
use crate::error::SearchResult;

/// Output samples folded per candidate between cache-friendly batch switches.
const STRETCH: u64 = 512;

/// A candidate being folded.
pub(crate) struct CandFold {
    pub plan: FoldPlan,
    groups: Vec<GroupFold>,
    table: DrizzleTable,
    next_out: u64,
}

impl CandFold {
    fn new(plan: FoldPlan, ngroups: usize) -> Self {
        let ngroups = ngroups.clamp(1, plan.nsub);
        let groups = (0..ngroups)
            .map(|g| GroupFold::new(&plan, g * plan.nsub / ngroups, (g + 1) * plan.nsub / ngroups))
            .filter(|g| g.sub_hi > g.sub_lo)
            .collect();
        Self {
            plan,
            groups,
            table: DrizzleTable::default(),
            next_out: 0,
        }
    }

    /// The folded cube in PRESTO's `[part][subband][bin]` order, and its statistics `[part][subband]`.
    pub fn into_cube(self) -> (FoldPlan, Vec<f64>, Vec<FoldStats>) {
        let (npart, nsub, nbins) = (self.plan.params.npart, self.plan.nsub, self.plan.params.nbins);
        let mut cube = vec![0.0; npart * nsub * nbins];
        let mut stats = vec![FoldStats::default(); npart * nsub];
        for g in &self.groups {
            for s in g.sub_lo..g.sub_hi {
                let gs = s - g.sub_lo;
                for p in 0..npart {
                    let src = &g.cube[(gs * npart + p) * nbins..(gs * npart + p + 1) * nbins];
                    let dst = (p * nsub + s) * nbins;
                    cube[dst..dst + nbins].copy_from_slice(src);
                    stats[p * nsub + s] = g.stats[gs * npart + p].fold_stats(src);
                }
            }
        }
        (self.plan, cube, stats)
    }
}

/// Folds every plan over the whole of `source` (from its first spectrum).
/// `progress(spectra_read, total)` is called after each step.
pub(crate) fn fold_stream(
    source: &mut dyn SpectraSource,
    plans: Vec<FoldPlan>,
    block_spectra: usize,
    progress: &dyn Fn(u64, u64),
) -> SearchResult<Vec<CandFold>> {
    let nchan = source.header().nchans;
    let total = source.header().nsamples;
    let threads = rayon::current_num_threads().max(1);
    let ngroups = (2 * threads).div_ceil(plans.len().max(1));
    let mut cands: Vec<CandFold> = plans.into_iter().map(|p| CandFold::new(p, ngroups)).collect();
    if cands.is_empty() {
        return Ok(cands);
    }
    let max_look = cands.iter().map(|c| c.plan.max_delay).max().unwrap_or(0);
    let step = block_spectra.max(2 * max_look).max(STRETCH as usize);
    let width = step + max_look;
    let mut window = vec![0f32; nchan * width];
    let mut buf = vec![0f32; nchan * step];
    source.seek(0)?;
    let (mut w0, mut filled, mut read) = (0u64, 0usize, 0u64);
    loop {
        let mut eof = false;
        while filled < width {
            let want = (width - filled).min(step);
            let n = source.read_spectra(&mut buf[..want * nchan])?;
            if n == 0 {
                eof = true;
                break;
            }
            transpose_into(&buf[..n * nchan], nchan, &mut window, width, filled);
            filled += n;
            read += n as u64;
        }
        let avail_end = w0 + filled as u64;
        let win = Window {
            data: &window,
            stride: width,
            w0,
        };
        fold_window(&mut cands, &win, step as u64, avail_end, eof);
        progress(read, total.max(read));
        if eof {
            break;
        }
        window
            .par_chunks_mut(width)
            .for_each(|ch| ch.copy_within(step..filled, 0));
        filled -= step;
        w0 += step as u64;
    }
    let short = cands.iter().filter(|c| c.next_out < c.plan.n_fold).count();
    if short > 0 {
        tracing::warn!("the beam ended after {read} of {total} spectra; {short} fold(s) are incomplete");
    }
    Ok(cands)
}

/// Copies `n` time-major spectra into the channel-major window at column `at`.
fn transpose_into(tm: &[f32], nchan: usize, window: &mut [f32], width: usize, at: usize) {
    let n = tm.len() / nchan;
    const CHANS: usize = 16;
    window.par_chunks_mut(width * CHANS).enumerate().for_each(|(k, rows)| {
        let c0 = k * CHANS;
        let nc = rows.len() / width;
        for t in 0..n {
            let spec = &tm[t * nchan + c0..t * nchan + c0 + nc];
            for (cc, &v) in spec.iter().enumerate() {
                rows[cc * width + at + t] = v;
            }
        }
    });
}

/// Folds the part of the window each candidate can use now.
fn fold_window(cands: &mut [CandFold], win: &Window<'_>, step: u64, avail_end: u64, eof: bool) {
    // Each candidate's range of output samples this step.
    let ranges: Vec<(u64, u64)> = cands
        .iter()
        .map(|c| {
            let lim = if eof {
                c.plan.n_fold
            } else {
                (win.w0 + step).min(c.plan.n_fold)
            };
            let lim = lim.min(avail_end.saturating_sub(c.plan.max_delay as u64));
            (c.next_out, lim.max(c.next_out))
        })
        .collect();
    cands.par_iter_mut().zip(&ranges).for_each(|(c, &(a, b))| {
        let CandFold { plan, table, .. } = c;
        table.build(plan, a, b)
    });
    let lo = ranges.iter().map(|r| r.0).min().unwrap_or(0);
    let hi = ranges.iter().map(|r| r.1).max().unwrap_or(0);
    let mut items: Vec<(&FoldPlan, &DrizzleTable, &mut GroupFold, (u64, u64))> = Vec::new();
    for (c, &r) in cands.iter_mut().zip(&ranges) {
        let CandFold {
            plan, table, groups, ..
        } = c;
        for g in groups.iter_mut() {
            items.push((&*plan, &*table, g, r));
        }
    }
    let threads = rayon::current_num_threads().max(1);
    let batch = items.len().div_ceil(4 * threads).max(1);
    items.par_chunks_mut(batch).for_each(|batch| {
        let mut tmp = vec![0f32; STRETCH as usize];
        let mut t0 = lo;
        while t0 < hi {
            let t1 = (t0 + STRETCH).min(hi);
            for (plan, table, group, (a, b)) in batch.iter_mut() {
                let (s, e) = (t0.max(*a), t1.min(*b));
                if s < e {
                    group.fold(plan, table, win, s, e, &mut tmp);
                }
            }
            t0 = t1;
        }
    });
    for (c, &(_, b)) in cands.iter_mut().zip(&ranges) {
        c.next_out = b;
    }
}
