//! Significances: chi-square tail probabilities and their Gaussian equivalents.
//!
//! A normalised Fourier power of pure noise is exponentially distributed, so the
//! sum of `n` harmonics' powers, times 2, is χ² with 2n degrees of freedom; the
//! significance of a candidate is the Gaussian σ with the same tail probability,
//! corrected for the number of independent trials (PRESTO's `candidate_sigma`).
//!
//! Everything is computed in **log space**, so a 40σ pulsar (p ≈ 1e-350) does not
//! underflow. The incomplete gamma function is written here rather than taken
//! from a crate because the crates give Q(a, x) itself, which underflows to 0 for
//! the strongest candidates; ln Γ comes from `libm`.

use std::f64::consts::{LN_2, PI};

/// ln Q(a, x), the log of the regularised upper incomplete gamma function.
///
/// Series for P when x < a + 1, Lentz's continued fraction for Q otherwise
/// (Numerical Recipes §6.2), both in log space.
pub fn ln_gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let lgam = libm::lgamma(a);
    if x < a + 1.0 {
        // P(a, x) = e^{-x} x^a / Γ(a + 1) · Σ x^n / ((a+1)…(a+n))
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        let ln_p = -x + a * x.ln() - lgam + sum.ln();
        ln_1m_exp(ln_p)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        -x + a * x.ln() - lgam + h.ln()
    }
}

/// ln(1 − e^v) for v ≤ 0, accurate near both ends.
fn ln_1m_exp(v: f64) -> f64 {
    if v >= 0.0 {
        f64::NEG_INFINITY
    } else if v > -LN_2 {
        (-v.exp_m1()).ln()
    } else {
        (-v.exp()).ln_1p()
    }
}

/// ln of the probability that χ² with `dof` degrees of freedom exceeds `chi2`.
pub fn chi2_logq(chi2: f64, dof: f64) -> f64 {
    ln_gamma_q(0.5 * dof, 0.5 * chi2)
}

/// ln of the upper tail of the standard normal distribution, ln Q(σ).
pub fn normal_logq(sigma: f64) -> f64 {
    if sigma < 20.0 {
        (0.5 * libm::erfc(sigma / std::f64::consts::SQRT_2)).ln()
    } else {
        // Asymptotic expansion: Q(σ) = φ(σ)/σ · (1 − 1/σ² + 3/σ⁴ − 15/σ⁶ + …).
        let s2 = sigma * sigma;
        let series = 1.0 - 1.0 / s2 + 3.0 / (s2 * s2) - 15.0 / (s2 * s2 * s2) + 105.0 / (s2 * s2 * s2 * s2);
        -0.5 * s2 - sigma.ln() - 0.5 * (2.0 * PI).ln() + series.ln()
    }
}

/// The Gaussian σ whose upper-tail probability is `e^logp` (0 if `logp ≥ ln ½`…
/// negative σ are returned for p > ½, clamped at −38).
pub fn equivalent_gaussian_sigma(logp: f64) -> f64 {
    if logp >= 0.0 {
        return -38.0;
    }
    if logp.is_infinite() {
        return f64::INFINITY;
    }
    // Start from the leading asymptotic solution, then Newton on ln Q(σ) = logp.
    let mut s = if logp > -1.0 {
        // p in (e^-1, 1): a rough inverse is enough to start.
        let p = logp.exp();
        (0.5 - p) * 2.5
    } else {
        let t = (-2.0 * logp).sqrt();
        t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
            / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
    };
    for _ in 0..50 {
        let lq = normal_logq(s);
        // d/dσ ln Q(σ) = −φ(σ)/Q(σ)
        let ln_phi = -0.5 * s * s - 0.5 * (2.0 * PI).ln();
        let deriv = -(ln_phi - lq).exp();
        let step = (lq - logp) / deriv;
        s -= step.clamp(-5.0, 5.0);
        if step.abs() < 1e-12 * s.abs().max(1.0) {
            break;
        }
    }
    s.max(-38.0)
}

/// Gaussian-equivalent significance of a χ² value (e.g. a folded profile's).
pub fn chi2_sigma(chi2: f64, dof: f64) -> f64 {
    equivalent_gaussian_sigma(chi2_logq(chi2, dof))
}

/// Significance of a summed normalised power `power` of `numsum` harmonics,
/// after `numtrials` independent trials (PRESTO's `candidate_sigma`): the
/// false-alarm probability is p·numtrials, never above 1. Never negative.
pub fn candidate_sigma(power: f64, numsum: usize, numtrials: f64) -> f64 {
    if power <= 0.0 {
        return 0.0;
    }
    let logp = chi2_logq(2.0 * power, 2.0 * numsum as f64) + numtrials.max(1.0).ln();
    if logp >= -LN_2 {
        // p·trials ≥ ½: not significant at all.
        return 0.0;
    }
    equivalent_gaussian_sigma(logp).max(0.0)
}

/// The summed power of `numsum` harmonics that reaches `sigma` after
/// `numtrials` trials: the inverse of [`candidate_sigma`].
pub fn power_for_sigma(sigma: f64, numsum: usize, numtrials: f64) -> f64 {
    let target = normal_logq(sigma) - numtrials.max(1.0).ln();
    let dof = 2.0 * numsum as f64;
    // chi2_logq is decreasing in power: bisect.
    let (mut lo, mut hi) = (0.0f64, numsum as f64 + 10.0);
    while chi2_logq(2.0 * hi, dof) > target {
        hi *= 2.0;
        if hi > 1e12 {
            break;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if chi2_logq(2.0 * mid, dof) > target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_tail_matches_known_values() {
        // Q(3.841459, 1) = 0.05; Q(2·10, 2) = e^-10; Q(100, 100) ≈ 0.48119.
        assert!((chi2_logq(3.841459, 1.0).exp() - 0.05).abs() < 1e-7);
        assert!((chi2_logq(20.0, 2.0) + 10.0).abs() < 1e-12);
        assert!((chi2_logq(100.0, 100.0).exp() - 0.481192).abs() < 1e-5);
        // Deep tail in log space: 2 harmonics, power 1000 → ln Q = -1000 + ln(1001).
        assert!((chi2_logq(2000.0, 4.0) - (-1000.0 + 1001f64.ln())).abs() < 1e-9);
    }

    #[test]
    fn gaussian_equivalents() {
        assert!((equivalent_gaussian_sigma(0.05f64.ln()) - 1.6448536).abs() < 1e-6);
        assert!((equivalent_gaussian_sigma(normal_logq(5.0)) - 5.0).abs() < 1e-9);
        assert!((equivalent_gaussian_sigma(normal_logq(45.0)) - 45.0).abs() < 1e-7);
        assert!((equivalent_gaussian_sigma(normal_logq(19.99)) - 19.99).abs() < 1e-7);
        assert!((equivalent_gaussian_sigma(normal_logq(20.01)) - 20.01).abs() < 1e-7);
        // Continuity of ln Q at the switch between erfc and the asymptotic series.
        assert!((normal_logq(19.999999) - normal_logq(20.0)).abs() < 1e-4);
    }

    #[test]
    fn candidate_sigma_single_harmonic() {
        // One harmonic, one trial: p = e^-P.
        let s = candidate_sigma(10.0, 1, 1.0);
        assert!((s - equivalent_gaussian_sigma(-10.0)).abs() < 1e-9);
        assert!((s - 3.91395).abs() < 1e-4, "{s}");
        // More trials, less significance; more harmonics for the same power, less significance.
        assert!(candidate_sigma(30.0, 1, 1e6) < candidate_sigma(30.0, 1, 1.0));
        assert!(candidate_sigma(30.0, 4, 1.0) < candidate_sigma(30.0, 1, 1.0));
        assert_eq!(candidate_sigma(1.0, 1, 1e6), 0.0);
    }

    #[test]
    fn power_for_sigma_inverts_candidate_sigma() {
        for (s, n, t) in [(2.0, 16usize, 1e6), (3.0, 8, 1e9), (6.0, 1, 1.0), (10.0, 32, 1e7)] {
            let p = power_for_sigma(s, n, t);
            assert!((candidate_sigma(p, n, t) - s).abs() < 1e-6, "{s} {n} {t}: {p}");
        }
    }
}
