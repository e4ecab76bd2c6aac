//! The search pass: the normalised series, chunk by chunk, its running (prefix)
//! sums, and every boxcar width's threshold crossings.
//!
//! A boxcar of width `w` centred on sample `i` covers samples
//! `i − w/2 … i − w/2 + w − 1` (integer division; PRESTO's kernel alignment), so
//! its sum is `P[i − w/2 + w] − P[i − w/2]` with `P` the prefix sums: O(1) per
//! sample and width, whatever the width. Its significance is `sum/√w`, which is
//! N(0, 1) for white noise of unit variance. Samples outside the series count
//! as zero, as PRESTO pads its chunks with zeros.
//!
//! Prefix sums are kept in `f64` and restart at every chunk, so rounding stays
//! far below the noise even after a very bright pulse. Each width is scanned
//! in runs of [`SCAN_RUN`] outputs whose maximum is computed branch-free (it
//! vectorises); only a run whose maximum crosses the threshold is looked at
//! sample by sample.

use super::blocks::BlockStats;

/// Output samples per chunk: the prefix sums of a chunk stay in the L2 cache.
pub(crate) const CHUNK: usize = 16_384;

/// Outputs per branch-free maximum.
const SCAN_RUN: usize = 64;

/// Reusable buffers of the search pass, and its raw result: per width, the
/// samples (in order) whose boxcar crosses the threshold, with their sigma.
#[derive(Debug, Default)]
pub(crate) struct BoxcarScratch {
    y: Vec<f64>,
    prefix: Vec<f64>,
    /// `hits[k]`: crossings of width `widths[k]`, as (sample, sigma).
    pub hits: Vec<Vec<(usize, f64)>>,
}

/// Fills `scratch.hits` with the threshold crossings of every width in `widths`
/// (which must start with 1), skipping samples of blocks that are not searched.
pub(crate) fn find_crossings(
    data: &[f32],
    stats: &BlockStats,
    widths: &[u32],
    threshold: f64,
    scratch: &mut BoxcarScratch,
) {
    scratch.hits.resize_with(widths.len(), Vec::new);
    scratch.hits.truncate(widths.len());
    for h in &mut scratch.hits {
        h.clear();
    }
    let n = data.len();
    let max_w = widths.iter().copied().max().unwrap_or(1) as usize;
    let left = max_w / 2;
    let right = max_w - left;
    let limits: Vec<f64> = widths.iter().map(|&w| threshold * f64::from(w).sqrt()).collect();
    let inv_sqrt: Vec<f64> = widths.iter().map(|&w| 1.0 / f64::from(w).sqrt()).collect();
    let mut c0 = 0;
    while c0 < n {
        let c1 = (c0 + CHUNK).min(n);
        if !chunk_searched(stats, c0, c1) {
            c0 = c1;
            continue;
        }
        let base = c0 as isize - left as isize;
        let len = (c1 - c0) + left + right;
        normalise_into(data, stats, base, len, &mut scratch.y);
        let y = &scratch.y;
        let p = &mut scratch.prefix;
        p.clear();
        p.reserve(len + 1);
        p.push(0.0);
        let mut acc = 0.0;
        for &v in y {
            acc += v;
            p.push(acc);
        }
        let nout = c1 - c0;
        for (k, &w) in widths.iter().enumerate() {
            let w = w as usize;
            let hits = &mut scratch.hits[k];
            let mut record = |j: usize, sum: f64| {
                let sample = c0 + j;
                if stats.searched(sample) {
                    hits.push((sample, sum * inv_sqrt[k]));
                }
            };
            if w == 1 {
                // The unsmoothed series itself: exact, no prefix-sum rounding.
                scan(&y[left..left + nout], None, limits[k], &mut record);
            } else {
                let a = left - w / 2;
                scan(&p[a..a + nout], Some(&p[a + w..a + w + nout]), limits[k], &mut record);
            }
        }
        c0 = c1;
    }
}

/// Whether any block overlapping samples `c0..c1` is searched.
fn chunk_searched(stats: &BlockStats, c0: usize, c1: usize) -> bool {
    (stats.block_of(c0)..=stats.block_of(c1 - 1)).any(|b| stats.blocks[b].searched())
}

/// Writes the normalised series for global samples `base .. base + len` into
/// `y`: zero outside the series and in blocks that are not searched.
fn normalise_into(data: &[f32], stats: &BlockStats, base: isize, len: usize, y: &mut Vec<f64>) {
    y.clear();
    y.resize(len, 0.0);
    let n = data.len() as isize;
    let lo = base.max(0);
    let hi = (base + len as isize).min(n);
    if lo >= hi {
        return;
    }
    let (lo, hi) = (lo as usize, hi as usize);
    let mut b = stats.block_of(lo);
    let mut g = lo;
    while g < hi {
        let blk = &stats.blocks[b];
        let end = (blk.start + blk.len).min(hi);
        if blk.searched() {
            let out = &mut y[(g as isize - base) as usize..(end as isize - base) as usize];
            let x = &data[g..end];
            let t0 = (g - blk.start) as f64 - blk.centre();
            let (off, slope, inv) = (blk.offset, blk.slope, blk.inv_std);
            for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
                *o = (f64::from(v) - off - slope * (t0 + i as f64)) * inv;
            }
        }
        g = end;
        b += 1;
    }
}

/// Calls `hit(j, value_j)` for every `j` with `value_j > limit`, where
/// `value_j = hi[j] − lo[j]` if `hi` is given, else `lo[j]`.
fn scan(lo: &[f64], hi: Option<&[f64]>, limit: f64, hit: &mut impl FnMut(usize, f64)) {
    let n = lo.len();
    let mut start = 0;
    while start < n {
        let end = (start + SCAN_RUN).min(n);
        let l = &lo[start..end];
        let run_max = match hi {
            Some(h) => max_diff(l, &h[start..end]),
            None => max_of(l),
        };
        if run_max > limit {
            for j in start..end {
                let v = match hi {
                    Some(h) => h[j] - lo[j],
                    None => lo[j],
                };
                if v > limit {
                    hit(j, v);
                }
            }
        }
        start = end;
    }
}

/// max(b[j] − a[j]) with independent lanes, so that it vectorises.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    let mut m = [f64::NEG_INFINITY; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for l in 0..8 {
            let d = xb[l] - xa[l];
            m[l] = if d > m[l] { d } else { m[l] };
        }
    }
    let mut best = m.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for (x, y) in ra.iter().zip(rb) {
        best = best.max(y - x);
    }
    best
}

/// max(a[j]) with independent lanes.
fn max_of(a: &[f64]) -> f64 {
    let mut m = [f64::NEG_INFINITY; 8];
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    for x in ca {
        for l in 0..8 {
            m[l] = if x[l] > m[l] { x[l] } else { m[l] };
        }
    }
    ra.iter()
        .copied()
        .fold(m.iter().copied().fold(f64::NEG_INFINITY, f64::max), f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::singlepulse::blocks::Block;

    fn unit_stats(n: usize, block_len: usize) -> BlockStats {
        let nb = (n / block_len).max(1);
        let blocks = (0..nb)
            .map(|b| Block {
                start: b * block_len,
                len: if b + 1 == nb { n - b * block_len } else { block_len },
                offset: 0.0,
                slope: 0.0,
                std: 1.0,
                level: 1.0,
                inv_std: 1.0,
            })
            .collect();
        BlockStats {
            blocks,
            block_len,
            n_rejected: 0,
        }
    }

    #[test]
    fn boxcar_sums_match_direct_sums() {
        // A deterministic series spanning several chunks; every width's crossings
        // must equal a direct O(N·w) computation with PRESTO's alignment.
        let n = 2 * CHUNK + 777;
        let data: Vec<f32> = (0..n).map(|i| (((i * 7919) % 101) as f32 - 50.0) / 20.0).collect();
        let stats = unit_stats(n, 1000);
        let widths = [1u32, 2, 3, 14, 45, 300];
        let thr = 0.9;
        let mut s = BoxcarScratch::default();
        find_crossings(&data, &stats, &widths, thr, &mut s);
        for (k, &w) in widths.iter().enumerate() {
            let w = w as isize;
            let mut want = Vec::new();
            for i in 0..n as isize {
                let sum: f64 = (i - w / 2..i - w / 2 + w)
                    .filter(|&g| g >= 0 && g < n as isize)
                    .map(|g| f64::from(data[g as usize]))
                    .sum();
                let sig = sum / (w as f64).sqrt();
                if sig > thr {
                    want.push((i as usize, sig));
                }
            }
            assert_eq!(s.hits[k].len(), want.len(), "width {w}");
            for (got, exp) in s.hits[k].iter().zip(&want) {
                assert_eq!(got.0, exp.0);
                assert!((got.1 - exp.1).abs() < 1e-9, "width {w}: {got:?} vs {exp:?}");
            }
        }
    }

    #[test]
    fn unsearched_blocks_give_no_crossings() {
        let n = 5000;
        let data = vec![10.0f32; n];
        let mut stats = unit_stats(n, 1000);
        for b in [0, 1, 3, 4] {
            stats.blocks[b].inv_std = 0.0;
        }
        let mut s = BoxcarScratch::default();
        find_crossings(&data, &stats, &[1, 4], 5.0, &mut s);
        assert!(s.hits.iter().flatten().all(|&(i, _)| (2000..3000).contains(&i)));
        assert_eq!(s.hits[0].len(), 1000);
    }
}
