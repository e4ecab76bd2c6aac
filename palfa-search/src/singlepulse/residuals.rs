//! Statistics of one detrending block without sorting it: the least-squares
//! line, and the order statistics of the residuals that the noise levels need
//! (the sum of squares of the extremes, the median and the 15.87 % point).
//!
//! One pass computes the residuals and drops each into short "buckets": the
//! values beyond the expected tails, and narrow windows around where the
//! median and the 15.87 % point of Gaussian noise should lie, counting the
//! values below each window. Selecting inside a bucket is exact whenever the
//! wanted rank falls into it, which for noise-like data it nearly always does;
//! otherwise the whole block is partially sorted instead. The buckets are
//! filled without branches, so the pass runs at memory speed.

use std::cmp::Ordering;

/// Least-squares straight line and second moment of a block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Moments {
    /// Mean (the line's value at the block's centre).
    pub mean: f64,
    /// Slope of the line \[per sample\].
    pub slope: f64,
    /// Variance about the line (from the sums; only a guide for the buckets).
    pub var_about_line: f64,
}

/// The straight line through `x` against the sample index (0-based, centred
/// at `(len − 1)/2`), and the variance about it.
pub(crate) fn moments(x: &[f32]) -> Moments {
    let m = x.len() as f64;
    let c = (m - 1.0) * 0.5;
    let (mut s, mut t, mut q) = ([0f64; 4], [0f64; 4], [0f64; 4]);
    let chunks = x.chunks_exact(4);
    let rem = chunks.remainder();
    for (k, ch) in chunks.enumerate() {
        let base = (4 * k) as f64 - c;
        for l in 0..4 {
            let v = f64::from(ch[l]);
            s[l] += v;
            t[l] += v * (base + l as f64);
            q[l] += v * v;
        }
    }
    let first_rem = x.len() - rem.len();
    let (mut sx, mut tx, mut qx): (f64, f64, f64) = (s.iter().sum(), t.iter().sum(), q.iter().sum());
    for (k, &v) in rem.iter().enumerate() {
        let v = f64::from(v);
        sx += v;
        tx += v * ((first_rem + k) as f64 - c);
        qx += v * v;
    }
    // Σ(i − c)² over i = 0..m−1.
    let sxx = m * (m * m - 1.0) / 12.0;
    let slope = if sxx > 0.0 { tx / sxx } else { 0.0 };
    let mean = sx / m;
    Moments {
        mean,
        slope,
        var_about_line: ((qx - m * mean * mean - slope * slope * sxx) / m).max(0.0),
    }
}

/// The least-squares line through the samples `i` of `x` with `keep(i)`,
/// against the position `t0 + i` (relative to the block's centre): its value
/// at the centre (t = 0), its slope, and the number of samples kept. `None` if
/// fewer than half the samples are kept.
pub(crate) fn line_where(x: &[f32], t0: f64, keep: impl Fn(usize) -> bool) -> Option<(f64, f64)> {
    let (mut s0, mut s1, mut s2, mut sx, mut stx) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for (i, &v) in x.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let (t, v) = (t0 + i as f64, f64::from(v));
        s0 += 1.0;
        s1 += t;
        s2 += t * t;
        sx += v;
        stx += t * v;
    }
    let det = s0 * s2 - s1 * s1;
    if s0 < 0.5 * x.len() as f64 || det <= 0.0 {
        return None;
    }
    let slope = (s0 * stx - s1 * sx) / det;
    let offset = (sx - slope * s1) / s0;
    (offset.is_finite() && slope.is_finite()).then_some((offset, slope))
}

/// Order statistics of a block's residuals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ResidualStats {
    /// Σ r² over the block.
    pub sumsq: f64,
    /// Σ r² over the `k` smallest and the `k` largest residuals.
    pub tail_sumsq: f64,
    /// Median.
    pub median: f64,
    /// The value with `floor(0.158655·len)` residuals below it (−1σ for Gaussian noise).
    pub minus_one_sigma: f64,
}

/// Fraction of a Gaussian below −1σ.
pub(crate) const MINUS_ONE_SIGMA_QUANTILE: f64 = 0.158_655_253_931_457_05;

/// Work space: the residuals and the buckets.
#[derive(Debug, Default)]
pub(crate) struct ResidualScratch {
    resid: Vec<f32>,
    lows: Vec<f32>,
    highs: Vec<f32>,
    mids: Vec<f32>,
    minus1: Vec<f32>,
}

/// The residual of sample value `v` at position `t` (relative to the block's
/// centre) about the baseline `offset + slope·t`. One formula for both passes,
/// so that they agree to the bit. `v − offset` is exact when the two are
/// within a factor of two (Sterbenz), as data and baseline are.
#[inline]
pub(crate) fn residual(v: f32, offset: f32, slope: f32, t: f32) -> f32 {
    (v - offset) - slope * t
}

/// Residuals of `x` about the baseline `(offset, slope, t0)` (see
/// [`residual`]; `t0` is the position of `x[0]`) and their order statistics.
///
/// `sigma0` is a guess of their standard deviation, used only to place the
/// buckets; `tail_cut` (in units of `sigma0`) bounds the tail buckets, which
/// must hold at least `k` values for the fast path. Returns `None` if a
/// residual is not finite.
pub(crate) fn residual_stats(
    x: &[f32],
    baseline: (f32, f32, f32),
    sigma0: f64,
    k: usize,
    tail_cut: f64,
    s: &mut ResidualScratch,
) -> Option<ResidualStats> {
    let (offset, slope, t0) = baseline;
    let n = x.len();
    for b in [&mut s.lows, &mut s.highs, &mut s.mids, &mut s.minus1] {
        b.clear();
        b.resize(n, 0.0);
    }
    let s0 = sigma0 as f32;
    let (tail_lo, tail_hi) = (-(tail_cut as f32) * s0, tail_cut as f32 * s0);
    let (mid_lo, mid_hi) = (-0.25 * s0, 0.25 * s0);
    let (m1_lo, m1_hi) = (-1.25 * s0, -0.75 * s0);
    let (mut nl, mut nh, mut nm, mut n1) = (0usize, 0usize, 0usize, 0usize);
    let (mut below_mid, mut below_m1) = (0usize, 0usize);
    let (lows, highs, mids, minus1) = (&mut s.lows[..], &mut s.highs[..], &mut s.mids[..], &mut s.minus1[..]);
    let mut sumsq = [0f64; 4];
    let mut one = |r: f32| {
        // Branch-free appends: always write, advance only if it belongs.
        lows[nl] = r;
        nl += usize::from(r < tail_lo);
        highs[nh] = r;
        nh += usize::from(r > tail_hi);
        mids[nm] = r;
        nm += usize::from(r >= mid_lo && r < mid_hi);
        minus1[n1] = r;
        n1 += usize::from(r >= m1_lo && r < m1_hi);
        below_mid += usize::from(r < mid_lo);
        below_m1 += usize::from(r < m1_lo);
    };
    let chunks = x.chunks_exact(4);
    let rem = chunks.remainder();
    for (c, ch) in chunks.enumerate() {
        let t = t0 + (4 * c) as i32 as f32;
        for l in 0..4 {
            let r = residual(ch[l], offset, slope, t + l as f32);
            sumsq[l] += f64::from(r) * f64::from(r);
            one(r);
        }
    }
    let first = x.len() - rem.len();
    for (k, &v) in rem.iter().enumerate() {
        let r = residual(v, offset, slope, t0 + (first + k) as i32 as f32);
        sumsq[k] += f64::from(r) * f64::from(r);
        one(r);
    }
    let sumsq: f64 = sumsq.iter().sum();
    if !sumsq.is_finite() {
        return None;
    }
    // The whole block's residuals, made (once) only if a rank misses its bucket.
    let resid = &mut s.resid;
    let mut have_all = false;
    let mut whole = |resid: &mut Vec<f32>| {
        if !have_all {
            resid.clear();
            resid.extend(
                x.iter()
                    .enumerate()
                    .map(|(i, &v)| residual(v, offset, slope, t0 + i as i32 as f32)),
            );
            have_all = true;
        }
    };
    let tail_sumsq = if k == 0 {
        0.0
    } else {
        let lo = if nl >= k {
            extremes_sumsq(&mut s.lows[..nl], k, Ordering::Less)
        } else {
            whole(resid);
            extremes_sumsq(resid, k, Ordering::Less)
        };
        let hi = if nh >= k {
            extremes_sumsq(&mut s.highs[..nh], k, Ordering::Greater)
        } else {
            whole(resid);
            extremes_sumsq(resid, k, Ordering::Greater)
        };
        lo + hi
    };
    let mid = n / 2;
    let median = if mid >= below_mid && mid - below_mid < nm {
        rank_value(&mut s.mids[..nm], mid - below_mid)
    } else {
        whole(resid);
        rank_value(resid, mid)
    };
    let k1 = (MINUS_ONE_SIGMA_QUANTILE * n as f64) as usize;
    let minus_one_sigma = if k1 >= below_m1 && k1 - below_m1 < n1 {
        rank_value(&mut s.minus1[..n1], k1 - below_m1)
    } else {
        whole(resid);
        rank_value(resid, k1)
    };
    Some(ResidualStats {
        sumsq,
        tail_sumsq,
        median,
        minus_one_sigma,
    })
}

/// Σ v² of the `k` most extreme values of `pool` (smallest for `Less`,
/// largest for `Greater`); `pool` is reordered.
fn extremes_sumsq(pool: &mut [f32], k: usize, side: Ordering) -> f64 {
    let cmp = |a: &f32, b: &f32| -> Ordering {
        let o = a.total_cmp(b);
        if side == Ordering::Less {
            o
        } else {
            o.reverse()
        }
    };
    pool.select_nth_unstable_by(k - 1, cmp);
    pool[..k].iter().map(|&x| f64::from(x) * f64::from(x)).sum()
}

/// The value of rank `rank` (0-based, ascending) in `pool` (reordered).
fn rank_value(pool: &mut [f32], rank: usize) -> f64 {
    let (_, v, _) = pool.select_nth_unstable_by(rank, f32::total_cmp);
    f64::from(*v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_of_a_line() {
        let x: Vec<f32> = (0..1001).map(|i| 3.0 + 0.25 * i as f32).collect();
        let m = moments(&x);
        assert!((m.mean - (3.0 + 0.25 * 500.0)).abs() < 1e-9, "{m:?}");
        assert!((m.slope - 0.25).abs() < 1e-12, "{m:?}");
        assert!(m.var_about_line < 1e-6, "{m:?}");
    }

    /// Order statistics by a full sort, for comparison.
    fn by_sort(r: &[f32], k: usize) -> (f64, f64, f64) {
        let mut v = r.to_vec();
        v.sort_by(f32::total_cmp);
        let n = v.len();
        let tails = v[..k].iter().chain(&v[n - k..]).map(|&x| f64::from(x).powi(2)).sum();
        let k1 = (MINUS_ONE_SIGMA_QUANTILE * n as f64) as usize;
        (tails, f64::from(v[n / 2]), f64::from(v[k1]))
    }

    #[test]
    fn buckets_agree_with_a_full_sort_and_so_does_the_fallback() {
        // Deterministic, roughly Gaussian values (sum of 4 uniforms), 1003 of them.
        let mut state = 99u64;
        let mut uni = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let x: Vec<f32> = (0..1003).map(|_| (uni() + uni() + uni() + uni()) * 3.0).collect();
        let k = 25;
        let (tails, med, m1) = by_sort(&x, k);
        // Good guess of σ (1.73): the buckets are used. Bad guesses (tiny, huge):
        // the ranks miss the buckets and the fallback must give the same answer.
        for sigma0 in [1.73, 1e-6, 1e6] {
            let mut s = ResidualScratch::default();
            let st = residual_stats(&x, (0.0, 0.0, 0.0), sigma0, k, 1.49, &mut s).unwrap();
            // The same values, summed in another order.
            assert!((st.tail_sumsq - tails).abs() < 1e-12 * tails, "σ0 {sigma0}");
            assert_eq!((st.median, st.minus_one_sigma), (med, m1), "σ0 {sigma0}");
            let total: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
            assert!((st.sumsq - total).abs() < 1e-9 * total);
        }
    }

    #[test]
    fn non_finite_residuals_are_refused() {
        let mut x = vec![1.0f32; 100];
        x[50] = f32::INFINITY;
        assert!(residual_stats(&x, (0.0, 0.0, 0.0), 1.0, 2, 1.5, &mut ResidualScratch::default()).is_none());
    }
}
