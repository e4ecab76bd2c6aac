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

/// Output samples folded per candidate before the batch moves on: 128 samples
/// of 960 channels (0.5 MB) stay in a core's L2 cache while a batch folds them.
const STRETCH: u64 = 128;

/// Most candidates (or subband groups) in one batch.
const MAX_BATCH: usize = 16;

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
                for p in 0..npart {
                    let (prof, st) = g.profile(&self.plan, p, s);
                    let dst = (p * nsub + s) * nbins;
                    cube[dst..dst + nbins].copy_from_slice(&prof);
                    stats[p * nsub + s] = st;
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
    // Steps are whole stretches, so that stretches start at multiples of STRETCH
    // whatever the step: the sums, and so the cubes, do not depend on it.
    let step = block_spectra.max(2 * max_look).max(1).div_ceil(STRETCH as usize) * STRETCH as usize;
    let width = step + max_look;
    let mut window = vec![0f32; nchan * width];
    let mut buf = vec![0f32; nchan * step];
    source.seek(0)?;
    let (mut w0, mut filled, mut read) = (0u64, 0usize, 0u64);
    // Spectra read into `buf` while the previous window was folded.
    let mut prefetched: Option<usize> = None;
    loop {
        let mut eof = false;
        while filled < width {
            let n = match prefetched.take() {
                Some(n) => n,
                None => {
                    let want = (width - filled).min(step);
                    source.read_spectra(&mut buf[..want * nchan])?
                }
            };
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
        if eof {
            fold_window(&mut cands, &win, step as u64, avail_end, true);
            progress(read, total.max(read));
            break;
        }
        // The next step is read (serial: the source decodes it) while this
        // window is folded, so both threads are busy; it is the same data the
        // loop above would read next, so the cubes do not change.
        let (fetched, ()) = rayon::join(
            || source.read_full(&mut buf[..step * nchan]),
            || fold_window(&mut cands, &win, step as u64, avail_end, false),
        );
        prefetched = Some(fetched?);
        progress(read, total.max(read));
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

/// Copies `n` time-major spectra into the channel-major window at column `at`,
/// through a 16-channel × 64-spectrum tile so that reads and writes stay in cache.
fn transpose_into(tm: &[f32], nchan: usize, window: &mut [f32], width: usize, at: usize) {
    let n = tm.len() / nchan;
    const CHANS: usize = 16;
    const TIMES: usize = 64;
    window.par_chunks_mut(width * CHANS).enumerate().for_each(|(k, rows)| {
        let c0 = k * CHANS;
        let nc = rows.len() / width;
        let mut tile = [[0f32; TIMES]; CHANS];
        for t0 in (0..n).step_by(TIMES) {
            let nt = (n - t0).min(TIMES);
            for (tt, spec) in tm[t0 * nchan..(t0 + nt) * nchan].chunks_exact(nchan).enumerate() {
                for (cc, &v) in spec[c0..c0 + nc].iter().enumerate() {
                    tile[cc][tt] = v;
                }
            }
            for (cc, trow) in tile.iter().enumerate().take(nc) {
                let start = cc * width + at + t0;
                rows[start..start + nt].copy_from_slice(&trow[..nt]);
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
    // Batches as large as the thread count allows (up to MAX_BATCH), so that a
    // stretch of the window is read from memory once per batch, not per candidate.
    let threads = rayon::current_num_threads().max(1);
    let batch = items.len().div_ceil(threads).clamp(1, MAX_BATCH);
    items.par_chunks_mut(batch).for_each(|batch| {
        let mut t0 = lo;
        while t0 < hi {
            let t1 = (t0 + STRETCH).min(hi);
            for (plan, table, group, (a, b)) in batch.iter_mut() {
                let (s, e) = (t0.max(*a), t1.min(*b));
                if s < e {
                    group.fold(plan, table, win, s, e);
                }
            }
            t0 = t1;
        }
    });
    for (c, &(_, b)) in cands.iter_mut().zip(&ranges) {
        c.next_out = b;
    }
}
