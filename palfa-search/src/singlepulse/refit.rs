//! Refitting the blocks under bright, wide events without them.
//!
//! A block's straight line and noise level are fitted to all its samples, so a
//! bright pulse wider than a few samples pulls the line up under itself (most
//! at the block's ends, where the slope pivots) and raises the noise level;
//! both lower its sigma (an S/N-20, 2-ms pulse at 64 µs comes out at ~0.78 of
//! its S/N with PRESTO's method). After a first search, every event at or above
//! [`REFIT_SIGMA`] and at least [`REFIT_MIN_WIDTH`] samples wide is masked (its
//! boxcar and half a boxcar on each side), the blocks it touches are refitted
//! to their unmasked samples, and the crossings near them are searched again.
//! Noise alone essentially never reaches [`REFIT_SIGMA`], so the statistics of
//! the noise events are untouched.

use std::ops::Range;

use super::blocks::{BlockStats, TrimmedStd};
use super::config::NOISE_TRIM;
use super::prune::Candidate;
use super::residuals::{line_where, residual};

/// Events at or above this \[σ\] have their blocks refitted without them.
pub const REFIT_SIGMA: f64 = 6.0;

/// Narrower events are not refitted: their pull on the line is negligible \[samples\].
pub const REFIT_MIN_WIDTH: u32 = 3;

/// Refits the blocks touched by the bright, wide events among `cands` (sorted
/// by sample) and returns the output-sample ranges whose boxcars see a refitted
/// block (merged, sorted), to be searched again. `max_w` is the widest boxcar.
pub(crate) fn refit_under_events(
    data: &[f32],
    stats: &mut BlockStats,
    cands: &[Candidate],
    max_w: usize,
    scratch: &mut Vec<f32>,
) -> Vec<Range<usize>> {
    let n = data.len();
    let masks: Vec<Range<usize>> = cands
        .iter()
        .filter(|c| c.sigma >= REFIT_SIGMA && c.downfact >= REFIT_MIN_WIDTH)
        .map(|c| {
            let w = c.downfact as usize;
            c.sample.saturating_sub(w)..(c.sample + w + 1).min(n)
        })
        .collect();
    let mut touched: Vec<usize> = masks
        .iter()
        .flat_map(|m| stats.block_of(m.start)..=stats.block_of(m.end - 1))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    let mut redo: Vec<Range<usize>> = Vec::new();
    for b in touched {
        let blk = stats.blocks[b];
        if !blk.searched() {
            continue;
        }
        let range = blk.start..blk.start + blk.len;
        let here: Vec<Range<usize>> = masks
            .iter()
            .filter(|k| k.start < range.end && k.end > range.start)
            .cloned()
            .collect();
        if refit_block(&data[range.clone()], blk.start, &here, &mut stats.blocks[b], scratch) {
            let r = range.start.saturating_sub(max_w)..(range.end + max_w).min(n);
            match redo.last_mut() {
                Some(prev) if prev.end >= r.start => prev.end = prev.end.max(r.end),
                _ => redo.push(r),
            }
        }
    }
    redo
}

/// Fits the line and noise level of one block to its samples outside `masks`
/// (global sample ranges); `x` starts at global sample `start`. Returns whether
/// the block changed.
fn refit_block(
    x: &[f32],
    start: usize,
    masks: &[Range<usize>],
    blk: &mut super::blocks::Block,
    scratch: &mut Vec<f32>,
) -> bool {
    let masked = |i: usize| masks.iter().any(|m| m.contains(&(start + i)));
    let c = blk.centre();
    let Some((offset, slope)) = line_where(x, -c, |i| !masked(i)) else {
        return false;
    };
    // The trimmed RMS of the unmasked residuals, as for every block.
    let (off32, slope32, t0) = (offset as f32, slope as f32, (0.0 - c) as f32);
    scratch.clear();
    scratch.extend(
        x.iter()
            .enumerate()
            .filter(|&(i, _)| !masked(i))
            .map(|(i, &v)| residual(v, off32, slope32, t0 + i as i32 as f32)),
    );
    let m = scratch.len();
    let est = TrimmedStd::new(NOISE_TRIM);
    let k = (est.trim * m as f64) as usize;
    let total: f64 = scratch.iter().map(|&r| f64::from(r) * f64::from(r)).sum();
    let mut tails = 0.0;
    if k > 0 {
        scratch.select_nth_unstable_by(k - 1, f32::total_cmp);
        tails += scratch[..k].iter().map(|&r| f64::from(r) * f64::from(r)).sum::<f64>();
        scratch.select_nth_unstable_by(m - k, f32::total_cmp);
        tails += scratch[m - k..]
            .iter()
            .map(|&r| f64::from(r) * f64::from(r))
            .sum::<f64>();
    }
    let std = ((total - tails).max(0.0) / (m - 2 * k) as f64).sqrt() * est.factor;
    if !(std.is_finite() && std > 0.0) {
        return false;
    }
    blk.offset = offset;
    blk.slope = slope;
    blk.std = std;
    blk.inv_std = 1.0 / std;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::singlepulse::blocks::Block;

    #[test]
    fn a_masked_bump_does_not_bend_the_line() {
        // A line 10 + 0.01·i with ±1 alternating noise and a bump of +20 on
        // samples 900..960 (near the block's end, where it pulls the most).
        let x: Vec<f32> = (0..1000)
            .map(|i| {
                let bump = if (900..960).contains(&i) { 20.0 } else { 0.0 };
                10.0 + 0.01 * i as f32 + if i % 2 == 0 { 1.0 } else { -1.0 } + bump
            })
            .collect();
        let mut blk = Block {
            start: 0,
            len: 1000,
            offset: 0.0,
            slope: 0.0,
            std: 1.0,
            level: 1.0,
            inv_std: 1.0,
        };
        let mut scratch = Vec::new();
        let masks = [Range { start: 880, end: 980 }];
        assert!(refit_block(&x, 0, &masks, &mut blk, &mut scratch));
        // The true line: 10 + 0.01·(499.5 + t) at the centre.
        assert!((blk.offset - (10.0 + 0.01 * 499.5)).abs() < 0.01, "{blk:?}");
        assert!((blk.slope - 0.01).abs() < 1e-4, "{blk:?}");
        // ±1 noise: RMS 1; the trimmed estimate of such two-valued noise is 1.148.
        assert!((blk.std - 1.148).abs() < 0.01, "{blk:?}");
        // Mostly masked: left alone.
        let masks = [Range { start: 0, end: 600 }];
        assert!(!refit_block(&x, 0, &masks, &mut blk, &mut scratch));
    }
}
