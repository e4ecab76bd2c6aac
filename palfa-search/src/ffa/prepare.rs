//! Preparing a series for the FFA: de-reddening by a running median,
//! normalisation, and downsampling by a fractional factor.

use crate::rednoise::median_in_place;

/// Points per running-median window after scrunching: the median is taken
/// over this many block means, then interpolated back to every sample.
const MEDIAN_POINTS: usize = 101;

/// Subtracts a running median of `width` samples from `data` (de-reddening:
/// baseline drifts slower than the window go, pulses narrower than it stay),
/// then divides by the noise's standard deviation ([`noise_std`]), so the
/// noise is zero-mean and of unit variance.
///
/// For speed the median is that of block means: the series is scrunched into
/// blocks of `⌊width / 101⌋` samples, the median of each 101 neighbouring blocks
/// (fewer, still centred, at the ends) is taken, and it is interpolated linearly between block
/// centres. Returns the standard deviation before scaling (0 for a constant
/// series, which is then left at zero).
pub fn deredden_normalise(data: &mut [f32], width: usize) -> f32 {
    let n = data.len();
    if n == 0 {
        return 0.0;
    }
    let block = (width / MEDIAN_POINTS).max(1);
    let nblocks = n.div_ceil(block);
    let means: Vec<f32> = data
        .chunks(block)
        .map(|c| c.iter().sum::<f32>() / c.len() as f32)
        .collect();
    let half = (width / block).max(1) / 2;
    let mut window = Vec::with_capacity(2 * half + 1);
    let medians: Vec<f32> = (0..nblocks)
        .map(|i| {
            // Centred, narrower near the ends: a one-sided window would
            // follow a slope late.
            let h = half.min(i).min(nblocks - 1 - i);
            let (lo, hi) = (i - h, i + h + 1);
            window.clear();
            window.extend_from_slice(&means[lo..hi]);
            median_in_place(&mut window)
        })
        .collect();
    // Block i's centre is at sample (i + ½)·block − ½ (a short last block:
    // its own centre); interpolate between centres, flat beyond the ends.
    let centre = |i: usize| -> f64 {
        let start = i * block;
        let len = block.min(n - start);
        start as f64 + (len as f64 - 1.0) / 2.0
    };
    // Samples before the first centre and after the last: flat.
    let first = (centre(0).floor() as usize + 1).min(n);
    data[..first].iter_mut().for_each(|x| *x -= medians[0]);
    for bi in 0..nblocks.saturating_sub(1) {
        let (c0, c1) = (centre(bi), centre(bi + 1));
        // Samples t with c0 < t ≤ c1.
        let lo = (c0.floor() as usize + 1).min(n);
        let hi = (c1.floor() as usize + 1).min(n);
        let (m0, m1) = (medians[bi], medians[bi + 1]);
        let slope = ((m1 - m0) as f64 / (c1 - c0)) as f32;
        let start = (lo as f64 - c0) as f32;
        for (k, x) in data[lo..hi].iter_mut().enumerate() {
            *x -= m0 + (start + k as f32) * slope;
        }
    }
    let last = (centre(nblocks - 1).floor() as usize + 1).min(n);
    data[last..].iter_mut().for_each(|x| *x -= medians[nblocks - 1]);
    let sigma = noise_std(data);
    if sigma > 0.0 {
        let inv = 1.0 / sigma;
        data.iter_mut().for_each(|x| *x *= inv);
    } else {
        data.iter_mut().for_each(|x| *x = 0.0);
    }
    sigma
}

/// 1.4826 × the median absolute deviation from the median: the standard
/// deviation of Gaussian noise, unmoved by a few bright pulses.
pub fn robust_std(data: &[f32]) -> f32 {
    let mut v: Vec<f32> = data.iter().copied().filter(|x| x.is_finite()).collect();
    let med = median_in_place(&mut v);
    v.iter_mut().for_each(|x| *x = (*x - med).abs());
    1.4826 * median_in_place(&mut v)
}

/// The standard deviation of the samples within 5 robust standard deviations
/// ([`robust_std`]) of the median: that of the noise, unmoved by bright
/// pulses and impulsive RFI, and right for noise that is not Gaussian (the
/// median absolute deviation alone is 28 % high for uniform noise).
pub fn noise_std(data: &[f32]) -> f32 {
    // The median and MAD from at most ~2^18 evenly spaced samples (0.2 %
    // precision on the scale, which only sets the clipping level).
    let stride = (data.len() >> 18).max(1);
    let mut v: Vec<f32> = data.iter().step_by(stride).copied().filter(|x| x.is_finite()).collect();
    let med = median_in_place(&mut v);
    v.iter_mut().for_each(|x| *x = (*x - med).abs());
    let r = 1.4826 * median_in_place(&mut v);
    if r <= 0.0 {
        return 0.0;
    }
    let cut = 5.0 * r;
    let (mut n, mut sum, mut sum2) = (0usize, 0.0f64, 0.0f64);
    for &x in data.iter().filter(|x| x.is_finite() && (**x - med).abs() < cut) {
        let d = f64::from(x - med);
        n += 1;
        sum += d;
        sum2 += d * d;
    }
    let mean = sum / n as f64;
    ((sum2 / n as f64 - mean * mean).max(0.0)).sqrt() as f32
}

/// Downsamples `data` by the factor `f ≥ 1` (not necessarily whole): output
/// sample `j` is the sum of the input over `[j·f, (j + 1)·f)` samples, the
/// samples cut by an edge counted by the fraction inside. `⌊n / f⌋` samples
/// come out, written into `out` (cleared first). For several factors of one
/// series, [`downsample_many`] reads the series once.
///
/// # Panics
/// If `f < 1` or is not finite.
pub fn downsample(data: &[f32], f: f64, out: &mut Vec<f32>) {
    let mut outs = vec![std::mem::take(out)];
    downsample_many(data, &[f], &mut outs);
    *out = outs.pop().unwrap_or_default();
}

/// [`downsample`] by each of `factors` into the matching `outs` (resized to
/// as many). Each edge is interpolated in the cumulative sum, taken in `f64`
/// as the series is read once, a stretch that stays in cache at a time:
/// every factor takes the outputs whose edges fall in the stretch. (A
/// factor's edges are tens of samples apart or more; reading them from the
/// whole series in memory, factor after factor, spent most of its time
/// waiting on memory.)
///
/// # Panics
/// If a factor is below 1 or not finite.
pub fn downsample_many(data: &[f32], factors: &[f64], outs: &mut Vec<Vec<f32>>) {
    /// Input samples per stretch (their sums: 256 KiB).
    const STRETCH: usize = 1 << 15;
    let n = data.len();
    outs.resize_with(factors.len(), Vec::new);
    for (&f, out) in factors.iter().zip(outs.iter_mut()) {
        assert!(f.is_finite() && f >= 1.0, "downsampling factor {f}");
        out.clear();
        let nout = (n as f64 / f).floor() as usize;
        if f == 1.0 {
            out.extend_from_slice(&data[..nout]);
        } else {
            out.resize(nout, 0.0);
        }
    }
    // Per factor: its next output and the integral at that output's left edge.
    let mut next = vec![(0usize, 0.0f64); factors.len()];
    // Σ data[..i] for the stretch's samples i, and Σ data[..stretch end].
    let mut before = Vec::with_capacity(STRETCH.min(n));
    let mut sum = 0.0f64;
    let mut start = 0;
    while start < n {
        let end = (start + STRETCH).min(n);
        let stretch = &data[start..end];
        before.clear();
        for &x in stretch {
            before.push(sum);
            sum += f64::from(x);
        }
        for ((&f, out), (j, left)) in factors.iter().zip(outs.iter_mut()).zip(next.iter_mut()) {
            if f == 1.0 {
                continue;
            }
            let (mut jj, mut lo) = (*j, *left);
            while let Some(o) = out.get_mut(jj) {
                let x = ((jj + 1) as f64 * f).min(n as f64);
                // Truncation is the floor for x ≥ 0 (no call to the maths
                // library: the baseline x86-64 has no rounding instruction).
                let i = x as usize;
                let hi = match (before.get(i.wrapping_sub(start)), stretch.get(i.wrapping_sub(start))) {
                    (Some(&b), Some(&v)) => b + (x - i as f64) * f64::from(v),
                    // The series' end, once the whole sum is taken.
                    _ if i >= n && end == n => sum,
                    // Past this stretch.
                    _ => break,
                };
                *o = (hi - lo) as f32;
                lo = hi;
                jj += 1;
            }
            (*j, *left) = (jj, lo);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_conserves_the_sum_and_splits_edge_samples() {
        let data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut out = Vec::new();
        downsample(&data, 2.5, &mut out);
        assert_eq!(out.len(), 4);
        // [0, 2.5): 0 + 1 + 0.5·2
        assert!((out[0] - 2.0).abs() < 1e-6);
        // [2.5, 5): 0.5·2 + 3 + 4
        assert!((out[1] - 8.0).abs() < 1e-6);
        assert!((out.iter().sum::<f32>() - 45.0).abs() < 1e-4);
        downsample(&data, 1.0, &mut out);
        assert_eq!(out, data);
        downsample(&data, 3.0, &mut out);
        assert_eq!(out, vec![3.0, 12.0, 21.0]);
    }

    /// The cumulative-sum interpolation as it was written first, edge by
    /// edge over the whole series: the reference for [`downsample_many`].
    fn edge_by_edge(data: &[f32], f: f64) -> Vec<f32> {
        let mut cum = vec![0.0f64];
        for &x in data {
            cum.push(cum[cum.len() - 1] + f64::from(x));
        }
        let n = data.len();
        let integral = |x: f64| {
            let i = x.floor() as usize;
            if i >= n {
                cum[n]
            } else {
                cum[i] + (x - i as f64) * f64::from(data[i])
            }
        };
        let mut lo = 0.0;
        (0..(n as f64 / f).floor() as usize)
            .map(|j| {
                let hi = integral(((j + 1) as f64 * f).min(n as f64));
                let out = (hi - lo) as f32;
                lo = hi;
                out
            })
            .collect()
    }

    #[test]
    fn many_factors_at_once_give_each_one_s_samples_to_the_bit() {
        let data: Vec<f32> = (0..200_003)
            .map(|i| ((i * 7919) % 10007) as f32 / 997.0 - 5.0)
            .collect();
        // Factors whose edges fall either side of the stretches' ends, one
        // that leaves the input as it is, and the whole series as one sample.
        let factors = [1.0, 1.5, 31.77, 32.0, 1000.3, 70_001.0, 200_003.0];
        let mut outs = Vec::new();
        downsample_many(&data, &factors, &mut outs);
        for (&f, out) in factors.iter().zip(&outs) {
            let want = edge_by_edge(&data, f);
            assert_eq!(out.len(), want.len(), "factor {f}");
            assert!(
                out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                "factor {f}"
            );
        }
        let mut one = Vec::new();
        downsample(&data[..1000], 2.5, &mut one);
        assert_eq!(one, edge_by_edge(&data[..1000], 2.5));
        downsample(&[], 2.5, &mut one);
        assert!(one.is_empty());
    }

    #[test]
    fn the_noise_level_is_right_for_uniform_noise_and_ignores_spikes() {
        let mut v: Vec<f32> = (0..100_000)
            .map(|i| ((i * 7919) % 10007) as f32 / 10007.0 - 0.5)
            .collect();
        let uniform = (1.0f32 / 12.0).sqrt();
        assert!((noise_std(&v) / uniform - 1.0).abs() < 0.01);
        assert!((robust_std(&v) / uniform - 1.28).abs() < 0.02);
        for x in v.iter_mut().step_by(100) {
            *x += 1000.0;
        }
        assert!((noise_std(&v) / uniform - 1.0).abs() < 0.02);
    }

    #[test]
    fn short_and_constant_series_are_handled() {
        for n in [0usize, 1, 2, 5, 150, 1000] {
            let mut v: Vec<f32> = (0..n).map(|i| (i % 7) as f32 + 100.0).collect();
            deredden_normalise(&mut v, 10_000);
            assert!(v.iter().all(|x| x.is_finite()), "n {n}");
            if n > 10 {
                let m = v.iter().sum::<f32>() / n as f32;
                assert!(m.abs() < 0.5, "n {n}: mean {m}");
            }
        }
        let mut c = vec![3.0f32; 500];
        assert_eq!(deredden_normalise(&mut c, 50), 0.0);
        assert!(c.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn dereddening_removes_a_slow_drift_and_keeps_pulses() {
        use rand::{Rng, SeedableRng};
        use rand_distr::StandardNormal;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 200_000;
        let mut data: Vec<f32> = (0..n)
            .map(|i| {
                let drift = 50.0 * (i as f32 / 30_000.0).sin() + 0.001 * i as f32;
                3.0 * rng.sample::<f32, _>(StandardNormal) + drift + 100.0
            })
            .collect();
        for t in (5000..n - 5000).step_by(10_000) {
            data[t] += 30.0; // 10-sigma single-sample pulses
        }
        let sigma = deredden_normalise(&mut data, 5000);
        assert!((sigma - 3.0).abs() < 0.1, "noise std {sigma}");
        // The drift is gone: block means are near zero everywhere.
        for c in data.chunks(5000) {
            let m = c.iter().sum::<f32>() / c.len() as f32;
            assert!(m.abs() < 0.15, "block mean {m}");
        }
        // Unit variance and the pulses kept at ~10 sigma.
        let var = data.iter().map(|x| x * x).sum::<f32>() / n as f32;
        assert!((var - 1.0).abs() < 0.1, "variance {var}");
        for t in (5000..n - 5000).step_by(10_000) {
            assert!((data[t] - 10.0).abs() < 3.5, "pulse at {t}: {}", data[t]);
        }
    }
}
