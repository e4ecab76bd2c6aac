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
}

impl BoxcarSnr {
    /// For these widths \[bins\].
    pub fn new(widths: Vec<usize>) -> Self {
        Self {
            widths,
            scale: Vec::new(),
            p: 0,
            prefix: Vec::new(),
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
        let wmax = self.widths.iter().copied().filter(|&w| w < p).max().unwrap_or(0);
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
