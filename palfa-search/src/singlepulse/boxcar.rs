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
//! Prefix sums restart at every chunk and are accumulated in `f64`, then stored
//! as `f32`: each stored value is within an `f32` rounding of the exact sum, so
//! a boxcar sum is off by at most ~1e-7 of the largest |P| in the chunk (a few
//! hundred for noise), with no error growing along the chunk. Chunks lie on a
//! grid fixed by the series (multiples of [`CHUNK`] from sample 0), whatever
//! range of samples is searched, so a sample's boxcar sums come out the same to
//! the last bit whether the whole series or a stretch around it is searched
//! (what lets the searcher take a long series a segment at a time). Each width is
//! scanned in runs of [`SCAN_RUN`] outputs whose maximum is computed
//! branch-free (it vectorises); only a run whose maximum crosses the threshold
//! is looked at sample by sample.

use super::blocks::BlockStats;

/// Output samples per chunk: the prefix sums of a chunk stay in the L2 cache.
pub(crate) const CHUNK: usize = 16_384;

/// Outputs per branch-free maximum.
const SCAN_RUN: usize = 128;

/// Reusable buffers of the search pass, and its raw result: per width, the
/// samples (in order) whose boxcar crosses the threshold, with their sigma.
#[derive(Debug, Default)]
pub(crate) struct BoxcarScratch {
    y: Vec<f32>,
    prefix: Vec<f32>,
    /// `hits[k]`: crossings of width `widths[k]`, as (sample, sigma).
    pub hits: Vec<Vec<(usize, f64)>>,
    /// The crossings found again by [`redo_crossings`], per width.
    fresh: Vec<Vec<(usize, f64)>>,
}

/// Fills `scratch.hits` with the threshold crossings of every width in `widths`
/// (which must start with 1) at the output samples in `range`, skipping
/// samples of blocks that are not searched.
pub(crate) fn find_crossings(
    data: &[f32],
    stats: &BlockStats,
    widths: &[u32],
    threshold: f64,
    range: std::ops::Range<usize>,
    scratch: &mut BoxcarScratch,
) {
    empty_lists(&mut scratch.hits, widths.len());
    Pass {
        data,
        stats,
        widths,
        threshold,
    }
    .find_into(range, scratch);
}

/// `lists` made `n` empty lists.
fn empty_lists(lists: &mut Vec<Vec<(usize, f64)>>, n: usize) {
    lists.resize_with(n, Vec::new);
    lists.truncate(n);
    for h in lists {
        h.clear();
    }
}

/// What the crossings are found in: the series, its blocks, the widths and
/// the threshold \[σ\].
#[derive(Clone, Copy)]
struct Pass<'a> {
    data: &'a [f32],
    stats: &'a BlockStats,
    widths: &'a [u32],
    threshold: f64,
}

/// Redoes the crossings of the output samples in `ranges` (sorted,
/// disjoint; after the blocks there changed): those in `scratch.hits` are
/// replaced. Range by range, each replacement moves every later crossing
/// once: cheap for a few ranges, quadratic where interference brings
/// thousands of bright events; then all the ranges are redone at once and
/// merged in one pass over each width's crossings. Both give the same lists.
pub(crate) fn redo_crossings(
    data: &[f32],
    stats: &BlockStats,
    widths: &[u32],
    threshold: f64,
    ranges: &[std::ops::Range<usize>],
    scratch: &mut BoxcarScratch,
) {
    let moved: usize = scratch
        .hits
        .iter()
        .map(|h| {
            ranges
                .iter()
                .map(|r| h.len() - h.partition_point(|x| x.0 < r.start))
                .sum::<usize>()
        })
        .sum();
    let total: usize = scratch.hits.iter().map(Vec::len).sum();
    let pass = Pass {
        data,
        stats,
        widths,
        threshold,
    };
    if moved <= 3 * total {
        pass.redo_range_by_range(ranges, scratch);
    } else {
        pass.redo_all_at_once(ranges, scratch);
    }
}

impl Pass<'_> {
    /// [`redo_crossings`], one range after another.
    fn redo_range_by_range(self, ranges: &[std::ops::Range<usize>], scratch: &mut BoxcarScratch) {
        for range in ranges.iter().filter(|r| r.start < r.end) {
            let tails: Vec<Vec<(usize, f64)>> = scratch
                .hits
                .iter_mut()
                .map(|h| {
                    let a = h.partition_point(|x| x.0 < range.start);
                    let b = h.partition_point(|x| x.0 < range.end);
                    let tail = h.split_off(b);
                    h.truncate(a);
                    tail
                })
                .collect();
            self.find_into(range.clone(), scratch);
            for (h, tail) in scratch.hits.iter_mut().zip(tails) {
                h.extend(tail);
            }
        }
    }

    /// [`redo_crossings`], every range at once: the new crossings gathered,
    /// then merged with the old ones outside the ranges.
    fn redo_all_at_once(self, ranges: &[std::ops::Range<usize>], scratch: &mut BoxcarScratch) {
        // The new crossings of every range, into the spare lists.
        std::mem::swap(&mut scratch.hits, &mut scratch.fresh);
        empty_lists(&mut scratch.hits, self.widths.len());
        for r in ranges.iter().filter(|r| r.start < r.end) {
            self.find_into(r.clone(), scratch);
        }
        std::mem::swap(&mut scratch.hits, &mut scratch.fresh);
        for (h, fresh) in scratch.hits.iter_mut().zip(&scratch.fresh) {
            let mut r = 0;
            h.retain(|&(sample, _)| {
                while r < ranges.len() && ranges[r].end <= sample {
                    r += 1;
                }
                !(r < ranges.len() && ranges[r].start <= sample)
            });
            merge_from_back(h, fresh);
        }
    }

    /// Appends to `scratch.hits` the crossings of the output samples in `range`.
    fn find_into(self, range: std::ops::Range<usize>, scratch: &mut BoxcarScratch) {
        let Pass {
            data,
            stats,
            widths,
            threshold,
        } = self;
        let n = range.end.min(data.len());
        if range.start >= n {
            return;
        }
        let max_w = widths.iter().copied().max().unwrap_or(1) as usize;
        let left = max_w / 2;
        let right = max_w - left;
        // The prefix sums' four chains start at fixed places in every chunk, so
        // a chunk cut short at `n` gives its samples the same sums.
        let quarter = (CHUNK + left + right).div_ceil(4);
        let limits: Vec<f32> = widths
            .iter()
            .map(|&w| (threshold * f64::from(w).sqrt()) as f32)
            .collect();
        let inv_sqrt: Vec<f64> = widths.iter().map(|&w| 1.0 / f64::from(w).sqrt()).collect();
        let mut c0 = range.start / CHUNK * CHUNK;
        while c0 < n {
            let c1 = (c0 + CHUNK).min(n);
            // Outputs before `range` are in the chunk's sums but not scanned.
            let skip = range.start.saturating_sub(c0);
            if !chunk_searched(stats, c0 + skip, c1) {
                c0 = c1;
                continue;
            }
            let base = c0 as isize - left as isize;
            let len = (c1 - c0) + left + right;
            normalise_into(data, stats, base, len, &mut scratch.y);
            let y = &scratch.y;
            let p = &mut scratch.prefix;
            p.clear();
            p.resize(len + 1, 0.0);
            prefix_sums(y, &mut p[1..], quarter);
            let nout = c1 - c0;
            // Most chunks lie wholly in searched blocks: no look-up per crossing.
            let all_searched = (stats.block_of(c0 + skip)..=stats.block_of(c1 - 1)).all(|b| stats.blocks[b].searched());
            for (k, &w) in widths.iter().enumerate() {
                let w = w as usize;
                let hits = &mut scratch.hits[k];
                let mut record = |j: usize, sum: f32| {
                    let sample = c0 + skip + j;
                    if all_searched || stats.searched(sample) {
                        hits.push((sample, f64::from(sum) * inv_sqrt[k]));
                    }
                };
                if w == 1 {
                    // The unsmoothed series itself.
                    scan(&y[left + skip..left + nout], None, limits[k], &mut record);
                } else {
                    let a = left - w / 2;
                    scan(
                        &p[a + skip..a + nout],
                        Some(&p[a + w + skip..a + w + nout]),
                        limits[k],
                        &mut record,
                    );
                }
            }
            c0 = c1;
        }
    }
}

/// `out[i] = y[0] + … + y[i]`, accumulated in `f64`. Four stretches of
/// `quarter` samples (the last one takes the rest) are summed as independent
/// chains (the adds overlap in the pipeline instead of waiting on each
/// other), then each is offset by the totals before it. Each `out[i]` depends
/// only on `y[..=i]` and `quarter`.
fn prefix_sums(y: &[f32], out: &mut [f32], quarter: usize) {
    let q = quarter.max(1);
    let n = y.len();
    let (b1, b2, b3) = (q.min(n), (2 * q).min(n), (3 * q).min(n));
    let (y0, y1, y2, y3) = (&y[..b1], &y[b1..b2], &y[b2..b3], &y[b3..]);
    let (o0, rest) = out.split_at_mut(b1);
    let (o1, rest) = rest.split_at_mut(b2 - b1);
    let (o2, o3) = rest.split_at_mut(b3 - b2);
    let (mut a0, mut a1, mut a2, mut a3) = (0f64, 0f64, 0f64, 0f64);
    let both = y3.len().min(y2.len());
    for i in 0..both {
        a0 += f64::from(y0[i]);
        o0[i] = a0 as f32;
        a1 += f64::from(y1[i]);
        o1[i] = a1 as f32;
        a2 += f64::from(y2[i]);
        o2[i] = a2 as f32;
        a3 += f64::from(y3[i]);
        o3[i] = a3 as f32;
    }
    // Whatever each chain has left, on its own.
    for (ys, os, a) in [
        (y0, &mut *o0, &mut a0),
        (y1, &mut *o1, &mut a1),
        (y2, &mut *o2, &mut a2),
        (y3, &mut *o3, &mut a3),
    ] {
        for (o, &v) in os[both..].iter_mut().zip(&ys[both..]) {
            *a += f64::from(v);
            *o = *a as f32;
        }
    }
    for (seg, offset) in [(o1, a0), (o2, a0 + a1), (o3, a0 + a1 + a2)] {
        let offset = offset as f32;
        for o in seg.iter_mut() {
            *o += offset;
        }
    }
}

/// Merges `fresh` into `h` (both sorted by sample, no sample in both),
/// from the back, in place.
fn merge_from_back(h: &mut Vec<(usize, f64)>, fresh: &[(usize, f64)]) {
    let (mut i, mut j) = (h.len(), fresh.len());
    h.resize(i + j, (0, 0.0));
    while j > 0 {
        let w = i + j - 1;
        if i > 0 && h[i - 1].0 > fresh[j - 1].0 {
            h[w] = h[i - 1];
            i -= 1;
        } else {
            h[w] = fresh[j - 1];
            j -= 1;
        }
    }
}

/// Whether any block overlapping samples `c0..c1` is searched.
fn chunk_searched(stats: &BlockStats, c0: usize, c1: usize) -> bool {
    (stats.block_of(c0)..=stats.block_of(c1 - 1)).any(|b| stats.blocks[b].searched())
}

/// Writes the normalised series for global samples `base .. base + len` into
/// `y`: zero outside the series and in blocks that are not searched.
fn normalise_into(data: &[f32], stats: &BlockStats, base: isize, len: usize, y: &mut Vec<f32>) {
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
            blk.residuals_into(&data[g..end], g - blk.start, out);
        }
        g = end;
        b += 1;
    }
}

/// Calls `hit(j, value_j)` for every `j` with `value_j > limit`, where
/// `value_j = hi[j] − lo[j]` if `hi` is given, else `lo[j]`.
fn scan(lo: &[f32], hi: Option<&[f32]>, limit: f32, hit: &mut impl FnMut(usize, f32)) {
    let n = lo.len();
    let mut start = 0;
    while start < n {
        let end = (start + SCAN_RUN).min(n);
        let l = &lo[start..end];
        let run_max = match hi {
            Some(h) => max_diff(l, &h[start..end]),
            None => max_diff_from_zero(l),
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

/// Largest of `v` without NaN handling (there are none: unusable blocks are zeroed).
fn max_lanes(v: [f32; 8]) -> f32 {
    v.iter()
        .copied()
        .fold(f32::NEG_INFINITY, |a, b| if b > a { b } else { a })
}

/// max(b[j] − a[j]) with independent lanes, so that it vectorises.
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for l in 0..8 {
            let d = xb[l] - xa[l];
            m[l] = if d > m[l] { d } else { m[l] };
        }
    }
    let mut best = max_lanes(m);
    for (x, y) in ra.iter().zip(rb) {
        let d = y - x;
        best = if d > best { d } else { best };
    }
    best
}

/// max(a[j]) with independent lanes.
fn max_diff_from_zero(a: &[f32]) -> f32 {
    let mut m = [f32::NEG_INFINITY; 8];
    let ca = a.chunks_exact(8);
    let ra = ca.remainder();
    for x in ca {
        for l in 0..8 {
            m[l] = if x[l] > m[l] { x[l] } else { m[l] };
        }
    }
    ra.iter().copied().fold(max_lanes(m), |a, b| if b > a { b } else { a })
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

    /// A deterministic zigzag plus a slow wave, so that every width crosses.
    fn zigzag(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i * 7919) % 101) as f32 - 50.0) / 20.0 + 0.3 * (i as f32 / 500.0).sin())
            .collect()
    }

    #[test]
    fn boxcar_sums_match_direct_sums() {
        // A deterministic series spanning several chunks; every width's crossings
        // must equal a direct O(N·w) computation with PRESTO's alignment.
        let n = 2 * CHUNK + 777;
        let data = zigzag(n);
        let stats = unit_stats(n, 1000);
        let widths = [1u32, 2, 3, 14, 45, 300];
        let thr = 0.9;
        let mut s = BoxcarScratch::default();
        find_crossings(&data, &stats, &widths, thr, 0..n, &mut s);
        for (k, &w) in widths.iter().enumerate() {
            let w = w as isize;
            let mut want = Vec::new();
            for i in 0..n as isize {
                let sum: f64 = (i - w / 2..i - w / 2 + w)
                    .filter(|&g| g >= 0 && g < n as isize)
                    .map(|g| f64::from(data[g as usize]))
                    .sum();
                want.push(sum / (w as f64).sqrt());
            }
            // f32 prefix sums: within ~1e-7 of the largest |P| (< 1e3 here), so
            // only values within 1e-4 of the threshold may fall either side.
            let tol = 1e-4;
            for &(i, sig) in &s.hits[k] {
                assert!(
                    (sig - want[i]).abs() < tol,
                    "width {w} sample {i}: {sig} vs {}",
                    want[i]
                );
                assert!(want[i] > thr - tol);
            }
            let found: std::collections::HashSet<usize> = s.hits[k].iter().map(|h| h.0).collect();
            let missed = (0..n).filter(|&i| want[i] > thr + tol && !found.contains(&i)).count();
            assert_eq!(missed, 0, "width {w}");
            assert!(found.len() > 100, "width {w}: the test must cross the threshold");
        }
    }

    /// Redoing several ranges (at once, or one by one) gives the new
    /// statistics' crossings inside them (as a search of the whole series
    /// with those statistics) and leaves the old ones outside, in order.
    #[test]
    fn redone_ranges_take_the_new_crossings_and_keep_the_rest() {
        let n = 3 * CHUNK + 500;
        let data = zigzag(n);
        let widths = [1u32, 2, 9, 45, 300];
        let old_stats = unit_stats(n, 1000);
        let mut new_stats = old_stats.clone();
        for b in &mut new_stats.blocks {
            b.offset = -0.2;
            b.inv_std = 1.3;
        }
        let thr = 0.9;
        let mut whole_new = BoxcarScratch::default();
        find_crossings(&data, &new_stats, &widths, thr, 0..n, &mut whole_new);
        let mut s = BoxcarScratch::default();
        find_crossings(&data, &old_stats, &widths, thr, 0..n, &mut s);
        let old = s.hits.clone();
        // Ranges across a chunk's edge, at the start, at the end, and empty.
        let ranges = [
            0..700,
            5000..5000,
            CHUNK - 300..CHUNK + 2000,
            2 * CHUNK + 10..2 * CHUNK + 11,
            n - 900..n,
        ];
        let mut one_by_one = BoxcarScratch {
            hits: old.clone(),
            ..BoxcarScratch::default()
        };
        let pass = Pass {
            data: &data,
            stats: &new_stats,
            widths: &widths,
            threshold: thr,
        };
        pass.redo_range_by_range(&ranges, &mut one_by_one);
        pass.redo_all_at_once(&ranges, &mut s);
        assert_eq!(s.hits, one_by_one.hits);
        let inside = |i: usize| ranges.iter().any(|r| r.contains(&i));
        for k in 0..widths.len() {
            let want: Vec<(usize, f64)> = old[k]
                .iter()
                .filter(|h| !inside(h.0))
                .chain(whole_new.hits[k].iter().filter(|h| inside(h.0)))
                .copied()
                .collect::<std::collections::BTreeMap<usize, f64>>()
                .into_iter()
                .collect();
            assert_eq!(s.hits[k], want, "width {}", widths[k]);
            assert_ne!(
                s.hits[k], old[k],
                "width {}: the ranges must change something",
                widths[k]
            );
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
        find_crossings(&data, &stats, &[1, 4], 5.0, 0..n, &mut s);
        assert!(s.hits.iter().flatten().all(|&(i, _)| (2000..3000).contains(&i)));
        assert_eq!(s.hits[0].len(), 1000);
    }
}
