//! One score in [0, 1] per fold: a logistic regression on the fold's
//! ratings and its significance, trained on folds of simulated pulsars
//! against folds of simulated RFI and noise ([`super::train`],
//! `palfa rate train`). The model palfa uses is embedded as data
//! (`model.json` beside this file); its version is recorded with every
//! score (the `score` rating's version).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::{value_of, Rating};

/// The rating name of the score.
pub const SCORE_NAME: &str = "score";

/// The features, in model order: each is a rating (or the fold's σ) put on
/// a scale where a linear model can use it. `gaussian_amplitude` is left
/// out: it follows σ so closely that the model weighed their difference,
/// which does not carry over to folds unlike the training ones.
pub const FEATURES: &[&str] = &[
    "ln_prepfold_sigma",
    "dm0_peak_ratio",
    "dm0_chi2_ratio",
    "duty_cycle",
    "ln_peak_over_rms",
    "gaussian_fwhm",
    "ln_gaussian_goodness",
    "multigauss_number",
    "ln_pulse_width_floor",
    "good_subbands_fraction",
    "ln_subbands_snr_scatter",
    "good_subints_fraction",
    "ln_subints_snr_scatter",
    "mains_closeness",
];

/// The features of a fold with `ratings` and significance `sigma`
/// (`None`: the rating has no value).
pub fn features(ratings: &[Rating], sigma: f64) -> Vec<Option<f64>> {
    let r = |name: &str| value_of(ratings, name);
    let ln = |v: Option<f64>, lo: f64, hi: f64| v.map(|x| x.max(1e-6).ln().clamp(lo, hi));
    let clamp = |v: Option<f64>, lo: f64, hi: f64| v.map(|x| x.clamp(lo, hi));
    vec![
        Some((sigma.max(0.0) + 1.0).ln()),
        clamp(r("dm0_peak_ratio"), 0.0, 3.0),
        clamp(r("dm0_chi2_ratio"), 0.0, 3.0),
        r("duty_cycle"),
        ln(r("peak_over_rms"), -3.0, 3.0),
        r("gaussian_fwhm"),
        ln(r("gaussian_goodness"), -3.0, 8.0),
        r("multigauss_number"),
        ln(r("pulse_width_floor"), -6.0, 6.0),
        r("good_subbands_fraction"),
        ln(r("subbands_snr_scatter"), -3.0, 4.0),
        r("good_subints_fraction"),
        ln(r("subints_snr_scatter"), -3.0, 4.0),
        r("mains_closeness"),
    ]
}

/// A logistic-regression model: score = 1 / (1 + exp(−(b + Σ wᵢ·zᵢ))),
/// zᵢ = (xᵢ − meanᵢ)/scaleᵢ, a missing xᵢ taken as its mean (zᵢ = 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreModel {
    /// The model's version (recorded as the `score` rating's version).
    pub version: u32,
    /// The feature names ([`FEATURES`] when it was trained).
    pub features: Vec<String>,
    /// Each feature's mean over the training folds.
    pub mean: Vec<f64>,
    /// Each feature's standard deviation over the training folds.
    pub scale: Vec<f64>,
    /// The weights of the standardised features.
    pub weights: Vec<f64>,
    /// The intercept.
    pub bias: f64,
    /// How it was trained (the command, the folds, the figures on held-out folds).
    pub trained: String,
}

impl ScoreModel {
    /// The score of one fold's features, in [0, 1].
    pub fn score(&self, x: &[Option<f64>]) -> f64 {
        let mut t = self.bias;
        for (i, v) in x.iter().enumerate().take(self.weights.len()) {
            if let Some(v) = v {
                t += self.weights[i] * (v - self.mean[i]) / self.scale[i];
            }
        }
        1.0 / (1.0 + (-t).exp())
    }

    /// Whether the model's features are this build's.
    pub fn matches_features(&self) -> bool {
        self.features.len() == FEATURES.len()
            && self.features.iter().zip(FEATURES).all(|(a, b)| a == b)
            && self.mean.len() == FEATURES.len()
            && self.scale.len() == FEATURES.len()
            && self.weights.len() == FEATURES.len()
            && self.scale.iter().all(|s| *s > 0.0 && s.is_finite())
    }

    /// Fits a model to `samples` (features, is a pulsar): standardised
    /// features, missing ones at their mean, classes weighted equally, L2
    /// penalty `l2`, full-batch gradient descent for `iterations` steps.
    /// Deterministic.
    pub fn fit(samples: &[(Vec<Option<f64>>, bool)], version: u32, l2: f64, iterations: usize) -> Self {
        let k = FEATURES.len();
        let mut mean = vec![0.0; k];
        let mut scale = vec![1.0; k];
        for i in 0..k {
            let vals: Vec<f64> = samples.iter().filter_map(|(x, _)| x[i]).collect();
            if vals.is_empty() {
                continue;
            }
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            let sd = (vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / vals.len() as f64).sqrt();
            mean[i] = m;
            scale[i] = if sd > 1e-9 { sd } else { 1.0 };
        }
        let z: Vec<Vec<f64>> = samples
            .iter()
            .map(|(x, _)| (0..k).map(|i| x[i].map_or(0.0, |v| (v - mean[i]) / scale[i])).collect())
            .collect();
        let npos = samples.iter().filter(|s| s.1).count().max(1) as f64;
        let nneg = samples.iter().filter(|s| !s.1).count().max(1) as f64;
        let weight = |y: bool| if y { 0.5 / npos } else { 0.5 / nneg };
        let (mut w, mut b) = (vec![0.0; k], 0.0);
        let rate = 0.5;
        for _ in 0..iterations {
            let mut gw = vec![0.0; k];
            let mut gb = 0.0;
            for (zi, (_, y)) in z.iter().zip(samples) {
                let t = b + zi.iter().zip(&w).map(|(a, c)| a * c).sum::<f64>();
                let p = 1.0 / (1.0 + (-t).exp());
                let e = (p - if *y { 1.0 } else { 0.0 }) * weight(*y);
                for (g, a) in gw.iter_mut().zip(zi) {
                    *g += e * a;
                }
                gb += e;
            }
            for (wi, g) in w.iter_mut().zip(&gw) {
                *wi -= rate * (g + l2 * *wi);
            }
            b -= rate * gb;
        }
        ScoreModel {
            version,
            features: FEATURES.iter().map(|s| s.to_string()).collect(),
            mean,
            scale,
            weights: w,
            bias: b,
            trained: String::new(),
        }
    }
}

/// The model built into palfa.
pub fn builtin_model() -> &'static ScoreModel {
    static MODEL: OnceLock<ScoreModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let m: ScoreModel = serde_json::from_str(include_str!("model.json")).expect("the embedded model.json parses");
        assert!(
            m.matches_features(),
            "the embedded model.json was trained on other features"
        );
        m
    })
}

/// The `score` rating of a fold with `ratings` and significance `sigma`.
pub fn score_rating(ratings: &[Rating], sigma: f64, model: &ScoreModel) -> Rating {
    let v = model.score(&features(ratings, sigma));
    Rating {
        name: SCORE_NAME.to_string(),
        version: model.version,
        value: v.is_finite().then_some(v),
    }
}

/// The area under the ROC curve of `scores` for the labels (the
/// probability that a random positive scores above a random negative; ties
/// count half).
pub fn auc(scored: &[(f64, bool)]) -> f64 {
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < v.len() {
        let mut j = i;
        while j < v.len() && v[j].0 == v[i].0 {
            j += 1;
        }
        let mid = (i + j + 1) as f64 / 2.0; // ranks from 1
        rank_sum += mid * v[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    let np = v.iter().filter(|s| s.1).count() as f64;
    let nn = v.len() as f64 - np;
    if np == 0.0 || nn == 0.0 {
        return f64::NAN;
    }
    (rank_sum - np * (np + 1.0) / 2.0) / (np * nn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_of_perfect_random_and_reversed_rankings() {
        let perfect = [(0.1, false), (0.2, false), (0.8, true), (0.9, true)];
        assert_eq!(auc(&perfect), 1.0);
        let reversed: Vec<(f64, bool)> = perfect.iter().map(|&(s, y)| (-s, y)).collect();
        assert_eq!(auc(&reversed), 0.0);
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), 0.5);
    }

    #[test]
    fn a_separable_problem_is_learnt() {
        let k = FEATURES.len();
        let samples: Vec<(Vec<Option<f64>>, bool)> = (0..200)
            .map(|i| {
                let y = i % 2 == 0;
                let mut x = vec![Some(0.0); k];
                x[1] = Some(if y { 0.2 } else { 1.0 } + (i % 7) as f64 * 0.01);
                x[5] = None;
                (x, y)
            })
            .collect();
        let m = ScoreModel::fit(&samples, 1, 1e-3, 300);
        assert!(m.matches_features());
        let scored: Vec<(f64, bool)> = samples.iter().map(|(x, y)| (m.score(x), *y)).collect();
        assert_eq!(auc(&scored), 1.0);
        assert!(m.weights[1] < 0.0, "a low DM-0 ratio means a pulsar: {:?}", m.weights);
    }

    #[test]
    fn the_embedded_model_loads() {
        let m = builtin_model();
        assert!(m.version >= 1 && m.matches_features());
    }
}
