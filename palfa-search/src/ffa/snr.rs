//! Matched-filter S/N of a folded profile: boxcars of several widths.

use multiversion::multiversion;

/// Boxcar widths \[bins\] for profiles of `bins` bins: 1, then each the
/// larger of one more and `⌊ratio ×⌋` the last (riptide's series), up to
/// `max_duty · bins` (at least 1; never `bins` or more).
pub fn boxcar_widths(bins: usize, max_duty: f64, ratio: f64) -> Vec<usize> {
    let top = ((max_duty * bins as f64).floor() as usize).clamp(1, bins.saturating_sub(1).max(1));
    let mut widths = vec![1usize];
    loop {
        let last = *widths.last().expect("starts with 1");
        let next = ((last as f64 * ratio).floor() as usize).max(last + 1);
        if next > top {
            break;
        }
        widths.push(next);
    }
    widths
}

/// Computes the S/N of profiles for a fixed set of boxcar widths, reusing its
/// buffer.
///
/// The S/N of a boxcar of `w` of a profile's `p` bins is its correlation with
/// the zero-mean, unit-norm template that is `+a` on `w` bins and `−b` on the
/// rest, at the best phase: `(S_w − w·μ)·√(p / (w·(p − w))) / σ`, where `S_w`
/// is the largest circular sum of `w` consecutive bins, `μ` the profile mean
/// and `σ` the noise of one profile bin. For a profile of white noise it is a
/// unit-variance Gaussian at each phase; for a top-hat pulse of `w` bins it
/// is the matched filter's S/N.
#[derive(Debug, Clone)]
pub struct BoxcarSnr {
    widths: Vec<usize>,
    /// `√(p / (w·(p − w)))` per width, for the current `p`.
    scale: Vec<f32>,
    p: usize,
    /// Circular prefix sums, `p + max width + 1` long.
    prefix: Vec<f32>,
    /// [`snr_rows`](Self::snr_rows)' buffers.
    lanes: LaneBufs,
}

/// The buffers of [`snr_lanes`]: [`LANES`] profiles side by side, bin by bin.
#[derive(Debug, Clone, Default)]
struct LaneBufs {
    /// The profiles' values.
    vals: Vec<[f32; LANES]>,
    /// Their circular prefix sums.
    prefix: Vec<[f32; LANES]>,
    /// Their largest boxcar sums, per width (rounded up to a multiple of 4).
    best: Vec<[f32; LANES]>,
}

/// Profiles whose S/N [`BoxcarSnr::snr_rows`] computes side by side.
const LANES: usize = 16;

impl BoxcarSnr {
    /// For these widths \[bins\].
    pub fn new(widths: Vec<usize>) -> Self {
        Self {
            widths,
            scale: Vec::new(),
            p: 0,
            prefix: Vec::new(),
            lanes: LaneBufs::default(),
        }
    }

    /// The widths \[bins\].
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// Writes the S/N of `profile` for each width into `snr` (one per width;
    /// widths not below the profile's length get 0). `sigma` is the noise of
    /// one bin.
    pub fn snr(&mut self, profile: &[f32], sigma: f32, snr: &mut [f32]) {
        let p = profile.len();
        let wmax = self.set_len(p);
        self.prefix.clear();
        self.prefix.reserve(p + wmax + 1);
        // f32 prefix sums of a profile of a few hundred bins: the largest sum
        // is m·p samples' worth, far within f32's 24 bits of relative precision
        // for the differences taken here only when the mean is removed first.
        let mean = profile.iter().sum::<f32>() / p as f32;
        let mut acc = 0.0f32;
        self.prefix.push(0.0);
        for &x in profile.iter().chain(&profile[..wmax]) {
            acc += x - mean;
            self.prefix.push(acc);
        }
        let inv_sigma = if sigma > 0.0 { 1.0 / sigma } else { 0.0 };
        for ((&w, &scale), out) in self.widths.iter().zip(&self.scale).zip(snr.iter_mut()) {
            if w >= p {
                *out = 0.0;
                continue;
            }
            let best = max_difference(&self.prefix[w..w + p], &self.prefix[..p]);
            *out = best * scale * inv_sigma;
        }
    }

    /// The S/N of each of the `rows.len() / p` profiles of `p` bins in `rows`
    /// (row-major), as [`snr`](Self::snr) of each: `snr[r·nw + k]` for
    /// profile `r` and width `k` of the `nw`, the same values to the bit.
    /// Sixteen profiles at a time are laid side by side, so that their
    /// running sums, whose every step waits for the one before, advance
    /// together in one vector.
    ///
    /// # Panics
    /// If `p` is 0 or `snr` has fewer than `rows.len() / p · nw` values.
    pub fn snr_rows(&mut self, rows: &[f32], p: usize, sigma: f32, snr: &mut [f32]) {
        assert!(p > 0, "profiles of 0 bins");
        let nw = self.widths.len();
        if nw == 0 {
            return;
        }
        let m = rows.len() / p;
        assert!(
            snr.len() >= m * nw,
            "{} S/N values for {m} profiles of {nw} widths",
            snr.len()
        );
        let wmax = self.set_len(p);
        let inv_sigma = if sigma > 0.0 { 1.0 / sigma } else { 0.0 };
        let full = m / LANES * LANES;
        for (group, out) in rows[..full * p]
            .chunks_exact(LANES * p)
            .zip(snr.chunks_exact_mut(LANES * nw))
        {
            snr_lanes(
                group,
                p,
                wmax,
                &self.widths,
                &self.scale,
                inv_sigma,
                &mut self.lanes,
                out,
            );
        }
        for r in full..m {
            let (prof, out) = (&rows[r * p..(r + 1) * p], &mut snr[r * nw..(r + 1) * nw]);
            self.snr(prof, sigma, out);
        }
    }

    /// Sets the profile length: the widths' scales; returns the widest width
    /// below it (0 if none).
    fn set_len(&mut self, p: usize) -> usize {
        if p != self.p {
            self.p = p;
            self.scale = self
                .widths
                .iter()
                .map(|&w| {
                    if w < p {
                        (p as f64 / (w as f64 * (p - w) as f64)).sqrt() as f32
                    } else {
                        0.0
                    }
                })
                .collect();
        }
        self.widths.iter().copied().filter(|&w| w < p).max().unwrap_or(0)
    }
}

/// [`BoxcarSnr::snr`] of [`LANES`] profiles of `p` bins (`rows`, row-major)
/// at once, lane `k` doing profile `k`'s arithmetic in the same order: the
/// mean, the running sums of the profile less its mean (wrapping round by
/// `wmax` bins) and, per width, the largest difference of sums `w` apart.
/// `out[k·nw + i]` is profile `k`'s S/N at width `i`.
#[allow(clippy::too_many_arguments)]
#[multiversion(targets = "simd")]
fn snr_lanes(
    rows: &[f32],
    p: usize,
    wmax: usize,
    widths: &[usize],
    scale: &[f32],
    inv_sigma: f32,
    bufs: &mut LaneBufs,
    out: &mut [f32],
) {
    let LaneBufs { vals, prefix, best } = bufs;
    let nw = widths.len();
    vals.resize(p, [0.0; LANES]);
    for (k, row) in rows.chunks_exact(p).enumerate().take(LANES) {
        for (v, &x) in vals.iter_mut().zip(row) {
            v[k] = x;
        }
    }
    // As `Iterator::sum` of f32, from −0.
    let mut sum = [-0.0f32; LANES];
    for v in vals.iter() {
        for k in 0..LANES {
            sum[k] += v[k];
        }
    }
    let mean = sum.map(|s| s / p as f32);
    prefix.clear();
    prefix.push([0.0; LANES]);
    let mut acc = [0.0f32; LANES];
    for v in vals.iter().chain(&vals[..wmax]) {
        for k in 0..LANES {
            acc[k] += v[k] - mean[k];
        }
        prefix.push(acc);
    }
    // Four widths' running maxima advance bin by bin, side by side, so that
    // none waits for the one before (the maximum is the same in any order).
    // Widths not below p are computed as width 1 (in range) and give 0.
    best.clear();
    best.resize(nw.div_ceil(4) * 4, [f32::NEG_INFINITY; LANES]);
    for (quad, b) in best.chunks_exact_mut(4).enumerate() {
        let w: [usize; 4] = std::array::from_fn(|j| widths.get(4 * quad + j).copied().filter(|&w| w < p).unwrap_or(1));
        let [mut b0, mut b1, mut b2, mut b3] = [[f32::NEG_INFINITY; LANES]; 4];
        let lo = prefix[..p].iter();
        let hi = lo
            .zip(&prefix[w[0]..w[0] + p])
            .zip(&prefix[w[1]..w[1] + p])
            .zip(&prefix[w[2]..w[2] + p])
            .zip(&prefix[w[3]..w[3] + p]);
        for ((((lo, h0), h1), h2), h3) in hi {
            max_diff_into(&mut b0, h0, lo);
            max_diff_into(&mut b1, h1, lo);
            max_diff_into(&mut b2, h2, lo);
            max_diff_into(&mut b3, h3, lo);
        }
        b.copy_from_slice(&[b0, b1, b2, b3]);
    }
    for (i, ((&w, &scale), b)) in widths.iter().zip(scale).zip(best.iter()).enumerate() {
        for k in 0..LANES {
            out[k * nw + i] = if w < p { b[k] * scale * inv_sigma } else { 0.0 };
        }
    }
}

/// `best = max(best, hi − lo)`, lane by lane.
#[inline(always)]
fn max_diff_into(best: &mut [f32; LANES], hi: &[f32; LANES], lo: &[f32; LANES]) {
    for k in 0..LANES {
        let d = hi[k] - lo[k];
        best[k] = if d > best[k] { d } else { best[k] };
    }
}

/// The largest `hi[i] − lo[i]`, in eight lanes so that it vectorises.
#[multiversion(targets = "simd")]
fn max_difference(hi: &[f32], lo: &[f32]) -> f32 {
    const LANES: usize = 8;
    let mut m = [f32::NEG_INFINITY; LANES];
    let n = hi.len().min(lo.len());
    let (hc, lc) = (hi[..n].chunks_exact(LANES), lo[..n].chunks_exact(LANES));
    let (hr, lr) = (hc.remainder(), lc.remainder());
    for (h, l) in hc.zip(lc) {
        for k in 0..LANES {
            let d = h[k] - l[k];
            m[k] = if d > m[k] { d } else { m[k] };
        }
    }
    let mut best = m.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    for (h, l) in hr.iter().zip(lr) {
        best = best.max(h - l);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_geometrically_to_the_largest_duty_cycle() {
        assert_eq!(boxcar_widths(240, 0.2, 1.5), vec![1, 2, 3, 4, 6, 9, 13, 19, 28, 42]);
        assert_eq!(boxcar_widths(10, 0.05, 1.5), vec![1]);
        assert_eq!(boxcar_widths(3, 0.9, 2.0), vec![1, 2]);
    }

    #[test]
    fn a_top_hat_pulse_gives_the_matched_filter_snr() {
        // Noise-free: a pulse of amplitude A over w bins of p, noise σ per bin.
        let (p, w, a, sigma) = (200usize, 8usize, 3.0f32, 2.0f32);
        let mut prof = vec![0.0f32; p];
        for x in prof.iter_mut().skip(195).take(5) {
            *x = a;
        }
        for x in prof.iter_mut().take(3) {
            *x = a; // wraps around the end
        }
        let mut b = BoxcarSnr::new(vec![1, 4, 8, 16]);
        let mut snr = vec![0.0; 4];
        b.snr(&prof, sigma, &mut snr);
        let expect = a * w as f32 * (1.0 - w as f32 / p as f32) * (p as f32 / (w * (p - w)) as f32).sqrt() / sigma;
        assert!((snr[2] - expect).abs() < 1e-4, "{snr:?} vs {expect}");
        assert!(snr[2] > snr[1] && snr[2] > snr[3] && snr[1] > snr[0]);
    }

    #[test]
    fn profiles_side_by_side_give_each_one_s_snr_to_the_bit() {
        use rand::{Rng, SeedableRng};
        use rand_distr::StandardNormal;
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        // Two whole groups of 16 and 5 more; widths up to and past p.
        for (p, widths) in [
            (250usize, boxcar_widths(250, 0.2, 1.5)),
            (7, vec![1, 2, 6, 7, 9]),
            (7, vec![3, 9, 1]),
            (7, vec![]),
        ] {
            let m = 37;
            let rows: Vec<f32> = (0..m * p)
                .map(|i| 40.0 * rng.sample::<f32, _>(StandardNormal) + if i % p == 3 { 90.0 } else { 5.0 })
                .collect();
            let nw = widths.len();
            let mut many = BoxcarSnr::new(widths.clone());
            let mut got = vec![f32::NAN; m * nw];
            many.snr_rows(&rows, p, 23.0, &mut got);
            let mut one = BoxcarSnr::new(widths);
            let mut want = vec![0.0f32; nw];
            for (r, prof) in rows.chunks_exact(p).enumerate() {
                one.snr(prof, 23.0, &mut want);
                let got = &got[r * nw..(r + 1) * nw];
                assert!(
                    got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "p {p}, row {r}: {got:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn white_noise_gives_unit_variance_at_a_fixed_phase() {
        use rand::{Rng, SeedableRng};
        use rand_distr::StandardNormal;
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let p = 64;
        let mut b = BoxcarSnr::new(vec![1]);
        let mut snr = [0.0f32];
        // The best of p phases of noise: its mean is that of the largest of p
        // (nearly independent) unit Gaussians, about 2.4 for p = 64.
        let mut sum = 0.0;
        let n = 2000;
        for _ in 0..n {
            let prof: Vec<f32> = (0..p).map(|_| rng.sample::<f64, _>(StandardNormal) as f32).collect();
            b.snr(&prof, 1.0, &mut snr);
            sum += snr[0] as f64;
        }
        let mean = sum / n as f64;
        assert!((2.2..2.6).contains(&mean), "mean best S/N of noise {mean}");
    }
}
