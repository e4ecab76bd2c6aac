//! The Fourier response of a signal with a constant frequency derivative, and
//! the Fresnel integrals it is made of (Ransom, Eikenberry & Middleditch 2002).
//!
//! A unit-amplitude signal whose Fourier frequency is `r` **on average over the
//! observation** and drifts by `z` bins during it (z = ḟ·T²) appears in Fourier
//! bin `k` as `K(r − k, z)` times the number of samples, where
//!
//! ```text
//! K(d, z) = ∫₀¹ exp(2πi·(d·u + z/2·(u² − u))) du
//! ```
//!
//! For z = 0 this is `e^{iπd}·sin(πd)/(πd)`; otherwise, completing the square,
//! it is a difference of complex Fresnel integrals `E(x) = C(x) + iS(x)`.
//! Correlating the spectrum with `conj(K)` recovers the signal's amplitude.

use std::f64::consts::PI;

use rustfft::num_complex::Complex64;

/// Bins on each side of the response kept at z = 0 (PRESTO's NUMFINTBINS).
pub const BASE_HALFWIDTH: usize = 16;

/// Half-width \[bins\] of the response kernel for drift `z`: ⌊0.55·|z|⌋ + 16,
/// as PRESTO's low-accuracy `z_resp_halfwidth`.
pub fn z_halfwidth(z: f64) -> usize {
    (0.55 * z.abs()) as usize + BASE_HALFWIDTH
}

/// Below this |z| the z = 0 response is used (the difference is < 1e-4 in amplitude).
const Z_IS_ZERO: f64 = 1e-4;

/// Where the Fresnel power series hands over to the continued fraction.
const SERIES_LIMIT: f64 = 2.5;

/// `E(x)` split as `k·(1+i)/2 + rest` (k ∈ {−1, 0, 1}), so that differences of
/// two large arguments of the same sign keep their precision.
fn fresnel_split(x: f64) -> (i32, Complex64) {
    let ax = x.abs();
    if ax < SERIES_LIMIT {
        // E(x) = Σ (iπ/2)^m x^{2m+1} / (m! (2m+1))
        let a = Complex64::new(0.0, 0.5 * PI * x * x);
        let mut term = Complex64::new(1.0, 0.0);
        let mut sum = Complex64::new(1.0, 0.0);
        for m in 1..80 {
            term = term * a / m as f64;
            let add = term / (2 * m + 1) as f64;
            sum += add;
            if add.norm_sqr() < 1e-34 * sum.norm_sqr() {
                break;
            }
        }
        (0, sum * x)
    } else {
        // E(x) − (1+i)/2 = −(1+i)/2 · erfc(w), w = (√π/2)(1 − i)x, with
        // erfc(w) = e^{−w²}/√π · 1/(w + ½/(w + 1/(w + 3/2/(w + …)))) and e^{−w²} = e^{iπx²/2}.
        let w = Complex64::new(1.0, -1.0) * (0.5 * PI.sqrt() * ax);
        let tiny = 1e-300;
        let mut f = w;
        let mut c = w;
        let mut d = Complex64::new(0.0, 0.0);
        for n in 1..500 {
            let an = 0.5 * n as f64;
            d = w + d * an;
            if d.norm_sqr() < tiny {
                d = Complex64::new(tiny, 0.0);
            }
            d = d.inv();
            c = w + c.inv() * an;
            if c.norm_sqr() < tiny {
                c = Complex64::new(tiny, 0.0);
            }
            let delta = c * d;
            f *= delta;
            if (delta - 1.0).norm_sqr() < 1e-32 {
                break;
            }
        }
        let phase = 0.5 * PI * ax * ax;
        let e = Complex64::new(phase.cos(), phase.sin());
        let tail = -Complex64::new(0.5, 0.5) * e / (PI.sqrt() * f);
        if x > 0.0 {
            (1, tail)
        } else {
            (-1, -tail)
        }
    }
}

/// The complex Fresnel integral `C(x) + iS(x)`.
pub fn fresnel(x: f64) -> Complex64 {
    let (k, rest) = fresnel_split(x);
    Complex64::new(0.5, 0.5) * k as f64 + rest
}

/// `E(b) − E(a)` without losing precision when both are large.
fn fresnel_diff(a: f64, b: f64) -> Complex64 {
    let (ka, ra) = fresnel_split(a);
    let (kb, rb) = fresnel_split(b);
    Complex64::new(0.5, 0.5) * (kb - ka) as f64 + (rb - ra)
}

/// `K(d, z)`: the response at offset `d = r − k` bins of a signal with average
/// Fourier frequency `r` and drift `z` (see the module docs).
pub fn z_response(d: f64, z: f64) -> Complex64 {
    if z.abs() < Z_IS_ZERO {
        let x = PI * d;
        let sinc = if x.abs() < 1e-9 { 1.0 - x * x / 6.0 } else { x.sin() / x };
        return Complex64::new(x.cos() * sinc, x.sin() * sinc);
    }
    let az = z.abs();
    let c = d / z - 0.5;
    let s = (2.0 * az).sqrt();
    let diff = fresnel_diff(s * c, s * (c + 1.0));
    let integral = if z > 0.0 { diff } else { diff.conj() } / s;
    // exp(−iπ z c²), with the phase reduced first so large c keeps precision.
    let ph = -PI * ((z * c * c) % 2.0);
    Complex64::new(ph.cos(), ph.sin()) * integral
}

/// Sum of |K|² over integer offsets within the half-width: the fraction of a
/// signal's power the truncated kernel recovers (close to 1).
pub fn kernel_power_fraction(z: f64, offset: f64) -> f64 {
    let hw = z_halfwidth(z) as i64;
    (-hw..=hw).map(|k| z_response(offset - k as f64, z).norm_sqr()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Direct numerical integration of K(d, z) (Simpson, many points).
    fn k_numeric(d: f64, z: f64) -> Complex64 {
        let n = 20_000;
        let mut acc = Complex64::new(0.0, 0.0);
        for i in 0..=n {
            let u = i as f64 / n as f64;
            let w = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            let ph = 2.0 * PI * (d * u + 0.5 * z * (u * u - u));
            acc += Complex64::new(ph.cos(), ph.sin()) * w;
        }
        acc / (3.0 * n as f64)
    }

    #[test]
    fn fresnel_known_values() {
        // C(1) = 0.7798934004, S(1) = 0.4382591474; C(3) = 0.6057207893, S(3) = 0.4963129990.
        let e1 = fresnel(1.0);
        assert!((e1.re - 0.779_893_400_4).abs() < 1e-9 && (e1.im - 0.438_259_147_4).abs() < 1e-9);
        let e3 = fresnel(3.0);
        assert!((e3.re - 0.605_720_789_3).abs() < 1e-9 && (e3.im - 0.496_312_999_0).abs() < 1e-9);
        // Continuity where the methods switch, and oddness.
        let a = fresnel(SERIES_LIMIT - 1e-12);
        let b = fresnel(SERIES_LIMIT + 1e-12);
        assert!((a - b).norm() < 1e-9);
        assert!((fresnel(-1.7) + fresnel(1.7)).norm() < 1e-14);
        assert!((fresnel(40.0) - Complex64::new(0.5, 0.5)).norm() < 0.01);
    }

    #[test]
    fn response_matches_numerical_integration() {
        for &(d, z) in &[
            (0.0, 0.0),
            (0.3, 0.0),
            (-2.5, 0.0),
            (0.0, 2.0),
            (0.25, -2.0),
            (5.5, 20.0),
            (-12.0, 20.0),
            (30.0, 50.0),
            (-0.5, -50.0),
            (3.0, 0.001),
            (60.0, 1.0),
        ] {
            let a = z_response(d, z);
            let b = k_numeric(d, z);
            assert!((a - b).norm() < 2e-6, "d={d} z={z}: {a} vs {b}");
        }
    }

    #[test]
    fn truncated_kernels_keep_most_power() {
        for z in [0.0, 2.0, 10.0, 50.0, -50.0, 200.0] {
            for off in [0.0, 0.25, 0.5] {
                let f = kernel_power_fraction(z, off);
                assert!(f > 0.985 && f < 1.0001, "z={z} offset={off}: {f}");
            }
        }
    }
}
