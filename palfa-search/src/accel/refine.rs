//! Candidate refinement: Fourier interpolation at any (r, z) and the joint
//! optimisation of all harmonics (PRESTO's `-harmpolish`).
//!
//! The complex amplitude at average Fourier frequency `r` and drift `z` is the
//! correlation of the normalised spectrum with the response kernel,
//! `A(r, z) = Σ_k X_k·conj(K(r − k, z))`, summed directly over the kernel's
//! half-width (plus a margin). One (r, z) of the fundamental fixes every
//! harmonic at (h·r, h·z); the sum of their powers is maximised with a
//! Nelder–Mead simplex started at the search-grid point.

use std::f64::consts::PI;

use rustfft::num_complex::{Complex32, Complex64};

use super::response::{z_halfwidth, z_response};

/// Extra bins added to the search kernel half-width when interpolating.
const EXTRA_HALFWIDTH: usize = 8;

/// Fourier interpolation over a normalised spectrum.
pub(crate) struct Interp<'a> {
    /// Normalised amplitudes.
    pub amps: &'a [Complex32],
}

impl Interp<'_> {
    fn bin(&self, k: i64) -> Complex64 {
        if k >= 0 && (k as usize) < self.amps.len() {
            let a = self.amps[k as usize];
            Complex64::new(a.re as f64, a.im as f64)
        } else {
            Complex64::new(0.0, 0.0)
        }
    }

    /// Interpolated complex amplitude at (r, z).
    pub fn amp(&self, r: f64, z: f64) -> Complex64 {
        let hw = (z_halfwidth(z) + EXTRA_HALFWIDTH) as f64;
        let klo = (r - hw).ceil() as i64;
        let khi = (r + hw).floor() as i64;
        if z.abs() < 1e-4 {
            let ri = r.round();
            if (r - ri).abs() < 1e-9 {
                return self.bin(ri as i64);
            }
            // conj K(r − k, 0) = e^{−iπr}·sin(πr) / (π(r − k)).
            let mut acc = Complex64::new(0.0, 0.0);
            for k in klo..=khi {
                acc += self.bin(k) / (r - k as f64);
            }
            let x = PI * r;
            return acc * Complex64::new(x.cos(), -x.sin()) * (x.sin() / PI);
        }
        let mut acc = Complex64::new(0.0, 0.0);
        for k in klo..=khi {
            let a = self.bin(k);
            if a.re != 0.0 || a.im != 0.0 {
                acc += a * z_response(r - k as f64, z).conj();
            }
        }
        acc
    }

    /// Summed power of harmonics 1..=numharm of fundamental (r, z).
    pub fn harm_power(&self, r: f64, z: f64, numharm: usize) -> f64 {
        (1..=numharm)
            .map(|h| self.amp(h as f64 * r, h as f64 * z).norm_sqr())
            .sum()
    }

    /// The fundamental (r, z) that maximises the summed power of `numharm`
    /// harmonics, starting from (r0, z0); z stays fixed when `fit_z` is false.
    pub fn polish(&self, r0: f64, z0: f64, numharm: usize, fit_z: bool) -> (f64, f64) {
        let h = numharm as f64;
        if fit_z {
            let x = nelder_mead(
                |x| -self.harm_power(x[0], x[1], numharm),
                &[r0, z0],
                &[0.4 / h, 1.6 / h],
                120,
            );
            (x[0], x[1])
        } else {
            let x = nelder_mead(|x| -self.harm_power(x[0], z0, numharm), &[r0], &[0.4 / h], 60);
            (x[0], z0)
        }
    }
}

/// Minimises `f` from `x0` with initial steps `step` (Nelder–Mead, standard
/// coefficients); stops after `max_iter` iterations or when the simplex's
/// values agree to 1e-8 relative (far below the noise in any power).
pub(crate) fn nelder_mead<F: Fn(&[f64]) -> f64>(f: F, x0: &[f64], step: &[f64], max_iter: usize) -> Vec<f64> {
    let n = x0.len();
    let mut pts: Vec<Vec<f64>> = vec![x0.to_vec()];
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += step[i];
        pts.push(p);
    }
    let mut vals: Vec<f64> = pts.iter().map(|p| f(p)).collect();
    for _ in 0..max_iter {
        let mut order: Vec<usize> = (0..=n).collect();
        order.sort_by(|&a, &b| vals[a].total_cmp(&vals[b]));
        let (best, worst, second) = (order[0], order[n], order[n.saturating_sub(1)]);
        if (vals[worst] - vals[best]).abs() <= 1e-8 * (vals[best].abs() + 1e-12) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|d| order[..n].iter().map(|&i| pts[i][d]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|d| centroid[d] + t * (pts[worst][d] - centroid[d]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = f(&xr);
        if fr < vals[best] {
            let xe = along(-2.0);
            let fe = f(&xe);
            if fe < fr {
                pts[worst] = xe;
                vals[worst] = fe;
            } else {
                pts[worst] = xr;
                vals[worst] = fr;
            }
        } else if fr < vals[second] {
            pts[worst] = xr;
            vals[worst] = fr;
        } else {
            let (xc, fc) = if fr < vals[worst] {
                let x = along(-0.5);
                let v = f(&x);
                (x, v)
            } else {
                let x = along(0.5);
                let v = f(&x);
                (x, v)
            };
            if fc < vals[worst].min(fr) {
                pts[worst] = xc;
                vals[worst] = fc;
            } else {
                // Shrink towards the best point.
                let bp = pts[best].clone();
                for i in 0..=n {
                    if i != best {
                        for d in 0..n {
                            pts[i][d] = bp[d] + 0.5 * (pts[i][d] - bp[d]);
                        }
                        vals[i] = f(&pts[i]);
                    }
                }
            }
        }
    }
    let best = (0..=n).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    pts.swap_remove(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nelder_mead_finds_a_quadratic_minimum() {
        let x = nelder_mead(
            |x| (x[0] - 1.3).powi(2) + 3.0 * (x[1] + 0.7).powi(2),
            &[0.0, 0.0],
            &[0.5, 0.5],
            300,
        );
        assert!((x[0] - 1.3).abs() < 1e-4 && (x[1] + 0.7).abs() < 1e-4, "{x:?}");
    }

    #[test]
    fn interpolation_recovers_an_off_bin_drifting_tone() {
        let (r0, z0) = (500.3, 6.7);
        let amps: Vec<Complex32> = (0..1000)
            .map(|k| {
                let v = z_response(r0 - k as f64, z0) * 7.0;
                Complex32::new(v.re as f32, v.im as f32)
            })
            .collect();
        let it = Interp { amps: &amps };
        let p = it.amp(r0, z0).norm_sqr();
        assert!(p > 48.0 && p < 49.01, "{p}");
        let (r, z) = it.polish(500.0, 6.0, 1, true);
        assert!((r - r0).abs() < 0.01 && (z - z0).abs() < 0.05, "{r} {z}");
        // z = 0 fast path against the general sum.
        let amps0: Vec<Complex32> = (0..200)
            .map(|k| Complex32::new((k as f32 * 0.7).sin(), (k as f32 * 0.3).cos()))
            .collect();
        let it0 = Interp { amps: &amps0 };
        let fast = it0.amp(100.37, 0.0);
        let mut slow = Complex64::new(0.0, 0.0);
        for (k, a) in amps0.iter().enumerate().take(125).skip(77) {
            slow += Complex64::new(a.re as f64, a.im as f64) * z_response(100.37 - k as f64, 0.0).conj();
        }
        assert!((fast - slow).norm() < 1e-6, "{fast} {slow}");
    }
}
