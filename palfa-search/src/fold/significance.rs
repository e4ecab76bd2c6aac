//! Significance of a folded profile and the uncertainties of its spin
//! parameters, as prepfold computes them.

use crate::stats::{chi2_logq, equivalent_gaussian_sigma};

/// prepfold's correction to the degrees of freedom of a profile's χ²
/// (`DOF_corr` in PRESTO's `src/fold.c`).
///
/// Drizzling a finite-length sample over the bins it covers correlates
/// neighbouring bins, so the χ² of a noise profile has fewer effective degrees of
/// freedom than `nbins − 1`: multiply by this factor. `dt_per_bin` is the bin
/// width in samples (period / nbins / sample time). The form and its constants
/// (0.96, power 1.806) are PRESTO's Monte-Carlo fit, good to a few per cent for
/// `dt_per_bin ≳ 0.5`.
///
/// ```
/// use palfa_search::fold::dof_correction;
/// assert!((dof_correction(1.0) - 0.96 * 2f64.powf(-1.0 / 1.806)).abs() < 1e-12);
/// assert!(dof_correction(100.0) > 0.95);
/// ```
pub fn dof_correction(dt_per_bin: f64) -> f64 {
    let (power, factor) = (1.806, 0.96);
    dt_per_bin * factor * (1.0 + dt_per_bin.powf(power)).powf(-1.0 / power)
}

/// The two significances of a profile with DOF-corrected reduced χ² `redchi2`
/// and `nbins` bins, with `dof_corr` from [`dof_correction`]:
/// `(prepfold_sigma, sigma_dof_corrected, ln_prob_noise)`.
///
/// * `prepfold_sigma` = χ²-σ of `redchi2·(nbins − 1)` with `nbins − 1` degrees of
///   freedom: what PALFA's pipeline recorded (its `candidate_attributes.txt`).
/// * `sigma_dof_corrected` = χ²-σ of `redchi2·dof_eff` with
///   `dof_eff = (nbins − 1)·dof_corr`: prepfold's own "Prob(Noise)" sigma.
pub fn fold_sigmas(redchi2: f64, nbins: usize, dof_corr: f64) -> (f64, f64, f64) {
    let dof = nbins as f64 - 1.0;
    let dof_eff = dof * dof_corr;
    if !(redchi2.is_finite() && dof > 0.0 && dof_eff > 0.0) {
        return (0.0, 0.0, 0.0);
    }
    let ln_p = chi2_logq(redchi2 * dof_eff, dof_eff);
    (
        equivalent_gaussian_sigma(chi2_logq(redchi2 * dof, dof)),
        equivalent_gaussian_sigma(ln_p),
        ln_p,
    )
}

/// 1-σ uncertainties of period, period derivative and second derivative from a
/// profile (prepfold's `fold_errors`, after Middleditch): each significant
/// harmonic of the profile (normalised power above 2.7) gives an estimate of the
/// Fourier-frequency error of the fundamental; the estimates are averaged with
/// weights from their power errors and converted to P, Ṗ, P̈ errors.
///
/// `prof` is the best profile, `dt` the sample time \[s\], `n` the number of
/// samples folded, `data_var` their variance and `p, pd, pdd` the spin
/// parameters. Returns `(perr, pderr, pdderr)`.
pub fn fold_errors(prof: &[f64], dt: f64, n: f64, data_var: f64, p: f64, pd: f64, pdd: f64) -> (f64, f64, f64) {
    let proflen = prof.len();
    let t = n * dt;
    let r = t / p;
    let z = -pd * r * r;
    let w = if pdd == 0.0 {
        0.0
    } else {
        2.0 * z * z / r - pdd * r * r * t
    };
    let dt_per_bin = p / proflen as f64 / dt;
    let norm = 1.0 / (n * data_var / dof_correction(dt_per_bin));
    let (mut rn, mut rd, mut zn, mut zd, mut wn, mut wd) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut got = false;
    for k in 1..proflen / 2 {
        // Single-precision profile, as prepfold transforms it.
        let (mut re, mut im) = (0.0f64, 0.0f64);
        for (j, &v) in prof.iter().enumerate() {
            let ang = -std::f64::consts::TAU * (k * j % proflen) as f64 / proflen as f64;
            let v = v as f32 as f64;
            re += v * ang.cos();
            im += v * ang.sin();
        }
        let pwr = (re * re + im * im) * norm;
        if pwr > 2.7 {
            got = true;
            let pwrerr = (2.0 * pwr).sqrt();
            let fact = 1.0 / (pwr.sqrt() * k as f64);
            let add = |c: f64, num: &mut f64, den: &mut f64| {
                let err = c * fact;
                let var = (err / pwrerr) * (err / pwrerr);
                *num += err / var;
                *den += 1.0 / var;
            };
            add(0.38984840062, &mut rn, &mut rd);
            add(3.01975272627, &mut zn, &mut zd);
            add(19.5702343923, &mut wn, &mut wd);
        }
    }
    let (rerr, zerr, werr) = if got {
        (rn / rd, zn / zd, wn / wd)
    } else {
        (0.5, 7.8, 50.2)
    };
    let (r2, sr2, z2, sz2) = (r * r, rerr * rerr, z * z, zerr * zerr);
    let r4 = r2 * r2;
    let dtmp = r * w - 3.0 * z2;
    (
        t * rerr / r2,
        (4.0 * z2 * sr2 / (r4 * r2) + sz2 / r4).sqrt(),
        ((werr * werr * r4 + 16.0 * z2 * sz2 * r2 + 4.0 * dtmp * dtmp * sr2) / (r4 * r4 * t * t)).sqrt(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmas_of_noise_and_signal() {
        // A flat (noise-like) reduced χ² of 1 is not significant either way.
        let (s, sc, _) = fold_sigmas(1.0, 50, 0.8);
        assert!(s < 1.0 && sc < 1.0, "{s} {sc}");
        // Fewer effective DOF for the same reduced χ²: less significant.
        let (s, sc, lp) = fold_sigmas(5.0, 50, 0.8);
        assert!(s > sc && sc > 5.0, "{s} {sc}");
        assert!((crate::stats::chi2_sigma(5.0 * 49.0, 49.0) - s).abs() < 1e-9);
        assert!(lp < -20.0);
    }

    #[test]
    fn weak_profiles_get_the_default_errors() {
        let prof = vec![100.0; 32];
        let (perr, pderr, _) = fold_errors(&prof, 1e-3, 1e5, 1.0, 0.01, 0.0, 0.0);
        // rerr = 0.5 bins: perr = T·0.5/r².
        let (t, r) = (100.0, 100.0 / 0.01);
        assert!((perr - t * 0.5 / (r * r)).abs() < 1e-18);
        assert!((pderr - 7.8 / (r * r)).abs() < 1e-18);
    }
}
