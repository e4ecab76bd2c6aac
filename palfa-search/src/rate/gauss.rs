//! Gaussian fits of a pulse profile in units of its noise σ: one component,
//! and as many components (up to [`MAX_COMPONENTS`]) as the data ask for.
//!
//! The model is `offset + Σ amp·exp(−4 ln2 (φ − phase)² / fwhm²)` over the
//! profile's phases `φ = k/nbins`, wrapped (each component summed over the
//! neighbouring turns). Fits are Levenberg–Marquardt (`rmpfit`, a port of
//! MPFIT) with `amp ≥ 0` and `1/nbins ≤ fwhm ≤ 1`. Because the profile is in
//! units of its known noise, χ² of the residuals is a real χ²: a further
//! component is kept when it lowers χ² by more than noise would with
//! three more parameters at a false-alarm probability of
//! [`ADD_COMPONENT_P`] / nbins (a likelihood-ratio test; the division is the
//! trials correction for a component free to sit at any of the bins, and a
//! fold's best profile is the most significant of many trials, so noise
//! alone would pass an uncorrected test often).

use rmpfit::{MPFitter, MPPar, MPResult};

use crate::stats::chi2_logq;

/// The most components the multi-Gaussian fit tries.
pub const MAX_COMPONENTS: usize = 5;
/// False-alarm probability below which a further component is kept (over
/// all the bins it could sit at).
pub const ADD_COMPONENT_P: f64 = 0.01;

/// One Gaussian component.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Peak height \[noise σ of one bin\].
    pub amp: f64,
    /// Full width at half maximum \[turns\].
    pub fwhm: f64,
    /// Phase of the peak \[turns, 0..1\].
    pub phase: f64,
}

/// A fit of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussFit {
    /// The constant under the components \[σ\].
    pub offset: f64,
    /// The components (none: the profile is flat within the noise).
    pub components: Vec<Component>,
    /// χ² of the residuals.
    pub chi2: f64,
    /// Degrees of freedom: bins − 1 − 3·components.
    pub dof: usize,
}

impl GaussFit {
    /// χ²/dof of the residuals (about 1 when the model describes the profile).
    pub fn reduced_chi2(&self) -> f64 {
        self.chi2 / self.dof.max(1) as f64
    }

    /// The model at each of `n` bins.
    pub fn model(&self, n: usize) -> Vec<f64> {
        let mut m = vec![self.offset; n];
        for c in &self.components {
            add_component(&mut m, c.amp, c.fwhm, c.phase);
        }
        m
    }

    /// The narrowest component's FWHM \[turns\].
    pub fn min_fwhm(&self) -> Option<f64> {
        self.components.iter().map(|c| c.fwhm).min_by(f64::total_cmp)
    }
}

fn add_component(m: &mut [f64], amp: f64, fwhm: f64, phase: f64) {
    let n = m.len() as f64;
    let k = 4.0 * std::f64::consts::LN_2 / (fwhm * fwhm);
    for (i, v) in m.iter_mut().enumerate() {
        let d0 = i as f64 / n - phase;
        let d0 = d0 - d0.round();
        *v += (-2..=2)
            .map(|j| {
                let d = d0 + j as f64;
                amp * (-k * d * d).exp()
            })
            .sum::<f64>();
    }
}

struct Problem<'a> {
    data: &'a [f64],
    pars: Vec<MPPar>,
}

impl MPFitter for Problem<'_> {
    fn eval(&mut self, params: &[f64], deviates: &mut [f64]) -> MPResult<()> {
        let mut m = vec![params[0]; self.data.len()];
        for c in params[1..].chunks_exact(3) {
            add_component(&mut m, c[0], c[1], c[2]);
        }
        for ((d, y), f) in deviates.iter_mut().zip(self.data).zip(&m) {
            *d = y - f;
        }
        Ok(())
    }

    fn number_of_points(&self) -> usize {
        self.data.len()
    }

    fn parameters(&self) -> &[MPPar] {
        &self.pars
    }
}

/// Fits `start` (offset, then amp, fwhm, phase per component) to `data`.
fn fit(data: &[f64], start: &[f64]) -> Option<GaussFit> {
    let n = data.len();
    let min_fwhm = 1.0 / n as f64;
    let mut pars = vec![MPPar::new()];
    for _ in 0..(start.len() - 1) / 3 {
        let amp = MPPar {
            limited_low: true,
            limit_low: 0.0,
            ..MPPar::new()
        };
        let fwhm = MPPar {
            limited_low: true,
            limit_low: min_fwhm,
            limited_up: true,
            limit_up: 1.0,
            ..MPPar::new()
        };
        pars.extend([amp, fwhm, MPPar::new()]);
    }
    let mut x = start.to_vec();
    // Starting values must lie within the limits.
    for c in x[1..].chunks_exact_mut(3) {
        c[0] = c[0].max(0.0);
        c[1] = c[1].clamp(min_fwhm, 1.0);
    }
    let mut p = Problem { data, pars };
    let status = p.mpfit(&mut x).ok()?;
    if !status.best_norm.is_finite() {
        return None;
    }
    let components: Vec<Component> = x[1..]
        .chunks_exact(3)
        .map(|c| Component {
            amp: c[0],
            fwhm: c[1],
            phase: c[2].rem_euclid(1.0),
        })
        .collect();
    Some(GaussFit {
        offset: x[0],
        dof: n.saturating_sub(1 + 3 * components.len()),
        components,
        chi2: status.best_norm,
    })
}

/// A starting component at the highest bin of `resid`, as wide as the run of
/// bins around it above half its height.
fn guess(resid: &[f64]) -> [f64; 3] {
    let n = resid.len();
    let (imax, &amp) = resid
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap_or((0, &0.0));
    let half = amp / 2.0;
    let mut width = 1;
    for dir in [1, n - 1] {
        let mut i = (imax + dir) % n;
        while resid[i] > half && width < n {
            width += 1;
            i = (i + dir) % n;
        }
    }
    [amp.max(0.0), width as f64 / n as f64, imax as f64 / n as f64]
}

/// The best single-Gaussian fit (always one component, however weak).
pub fn fit_one(data: &[f64]) -> Option<GaussFit> {
    if data.len() < 8 {
        return None;
    }
    let mean = data.iter().sum::<f64>() / data.len() as f64;
    let resid: Vec<f64> = data.iter().map(|v| v - mean).collect();
    let g = guess(&resid);
    fit(data, &[mean, g[0], g[1], g[2]])
}

/// Components added one at a time, each started at the highest residual and
/// all refitted together, while each lowers χ² by more than noise would
/// ([`ADD_COMPONENT_P`]), up to [`MAX_COMPONENTS`].
pub fn fit_many(data: &[f64]) -> Option<GaussFit> {
    let n = data.len();
    if n < 8 {
        return None;
    }
    let mean = data.iter().sum::<f64>() / n as f64;
    let mut best = GaussFit {
        offset: mean,
        components: Vec::new(),
        chi2: data.iter().map(|v| (v - mean) * (v - mean)).sum(),
        dof: n - 1,
    };
    while best.components.len() < MAX_COMPONENTS && n > 1 + 3 * (best.components.len() + 1) {
        let model = best.model(n);
        let resid: Vec<f64> = data.iter().zip(&model).map(|(d, m)| d - m).collect();
        let mut start = vec![best.offset];
        for c in &best.components {
            start.extend([c.amp, c.fwhm, c.phase]);
        }
        start.extend(guess(&resid));
        let Some(next) = fit(data, &start) else { break };
        let gain = best.chi2 - next.chi2;
        let keep = gain > 0.0 && chi2_logq(gain, 3.0) < (ADD_COMPONENT_P / n as f64).ln();
        if !keep {
            break;
        }
        best = next;
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_distr::StandardNormal;

    fn noise(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect()
    }

    #[test]
    fn one_component_is_recovered() {
        let mut d = noise(128, 1);
        add_component(&mut d, 12.0, 0.05, 0.97);
        let f = fit_one(&d).unwrap();
        let c = f.components[0];
        assert!((c.amp - 12.0).abs() < 1.5, "{f:?}");
        assert!((c.fwhm - 0.05).abs() < 0.008, "{f:?}");
        let dphi = (c.phase - 0.97 + 0.5).rem_euclid(1.0) - 0.5;
        assert!(dphi.abs() < 0.005, "{f:?}");
        assert!((f.reduced_chi2() - 1.0).abs() < 0.35, "{f:?}");
        assert_eq!(fit_many(&d).unwrap().components.len(), 1);
    }

    #[test]
    fn two_components_and_none_are_told_apart() {
        let mut d = noise(100, 2);
        add_component(&mut d, 10.0, 0.04, 0.3);
        add_component(&mut d, 6.0, 0.06, 0.75);
        let f = fit_many(&d).unwrap();
        assert_eq!(f.components.len(), 2, "{f:?}");
        let mut flat = 0;
        for seed in 0..20 {
            flat += (fit_many(&noise(64, 100 + seed)).unwrap().components.is_empty()) as usize;
        }
        // At a false-alarm probability of 1 % over the bins, noise alone rarely gets a component.
        assert!(flat >= 18, "{flat} of 20 noise profiles fitted with no component");
    }
}
