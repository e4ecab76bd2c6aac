//! The training and test folds of the score (`palfa rate train`): small
//! simulated beams (`palfa_core::simulate`), each with at most one pulsar
//! and one kind of RFI, folded where a search would fold them, each fold
//! labelled pulsar or not. Everything follows from the seed.
//!
//! * Pulsars: period log-uniform over 1 ms – 10 s, duty cycle 0.01 – 0.2,
//!   S/N 6 – 30, DM 3 – 600, half of them accelerated (|z| up to 30 at the
//!   fundamental, and a frequency change over the beam of at most 1 % of the
//!   spin frequency: [`max_abs_z`]), folded at their period and DM slightly
//!   off (as a search finds them).
//! * RFI, one kind per beam: broadband periodic at DM 0 (any frequency),
//!   50/60-Hz mains and its harmonics and ratios, narrowband periodic in a
//!   few channels, impulsive broadband bursts, bad channels. Periodic RFI is
//!   folded at its frequency (or a harmonic) at a low DM and at a high one;
//!   bursts at a random period and DM.
//! * Noise: every beam is also folded at a random period (down to 4 samples
//!   a turn) and DM.
//! * A fifth of the beams are folded as one subband, as folds of dedispersed
//!   series (PRESTO's `.dat` folds) are.
//!
//! [`train`] also fits the folds of whole searched beams ([`searched_folds`]
//! of a [`super::evaluate`] run): what a search actually folds.

use std::path::Path;

use palfa_core::beam::open_beam;
use palfa_core::simulate::{simulate, ImpulseSpec, NarrowbandSpec, PulsarSpec, RfiSpec, SimParams};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::score::features;
use super::{rate_fold, RateConfig};
use crate::error::SearchResult;
use crate::fold::{fold_candidates, FoldConfig, FoldRequest};

/// What a labelled fold is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    /// An injected pulsar.
    Pulsar,
    /// Broadband periodic RFI at DM 0.
    Periodic,
    /// Mains RFI (50/60 Hz, harmonics, ratios).
    Mains,
    /// Narrowband periodic RFI.
    Narrowband,
    /// Impulsive bursts.
    Bursts,
    /// Noise (and whatever the beam holds elsewhere).
    Noise,
    /// A fold of no pulsar that a search of a simulated beam made
    /// ([`super::evaluate`]): noise peaks and RFI as a search finds them.
    Searched,
}

/// One labelled fold: its features, σ and kind.
#[derive(Debug, Clone)]
pub struct LabelledFold {
    /// The score's features ([`super::score::features`]).
    pub features: Vec<Option<f64>>,
    /// The fold's significance (PALFA's prepfold σ).
    pub sigma: f64,
    /// What it is.
    pub kind: FoldKind,
    /// The beam's number.
    pub beam: usize,
}

impl LabelledFold {
    /// Whether it is a pulsar.
    pub fn is_pulsar(&self) -> bool {
        self.kind == FoldKind::Pulsar
    }
}

/// Simulates beams `first .. first + n` of the training family with `seed`
/// in `dir` (each removed after folding) and returns their labelled folds.
/// `progress(done, n)` is called after each beam.
pub fn labelled_folds(
    seed: u64,
    first: usize,
    n: usize,
    dir: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> SearchResult<Vec<LabelledFold>> {
    let mut out = Vec::new();
    for (done, b) in (first..first + n).enumerate() {
        out.extend(beam_folds(seed, b, dir)?);
        progress(done + 1, n);
    }
    Ok(out)
}

fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.gen::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// Beam `b`'s folds.
fn beam_folds(seed: u64, b: usize, dir: &Path) -> SearchResult<Vec<LabelledFold>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ (b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let nchans = 128;
    let chan_bw = 322.56 / nchans as f64;
    // A pulsar's period sets the sampling: ≥ 128 samples per turn, ≥ 20 turns.
    let has_pulsar = rng.gen::<f64>() < 0.6;
    let one_subband = rng.gen::<f64>() < 0.2;
    let period = log_uniform(&mut rng, 1e-3, 10.0);
    let base_tsamp = 65.476e-6;
    let mut tsamp = base_tsamp;
    while tsamp * 2.0 * 128.0 <= period && tsamp < 4e-3 {
        tsamp *= 2.0;
    }
    let nsamples: u64 = 1 << 16;
    let t_obs = tsamp * nsamples as f64;
    let mut sim = SimParams {
        seed: seed.wrapping_add(b as u64 * 7919),
        nchans,
        chan_bw_mhz: chan_bw,
        tsamp_s: tsamp,
        nsamples,
        ..SimParams::default()
    };
    let mut requests = Vec::new();
    let mut kinds = Vec::new();
    if has_pulsar {
        let dm = log_uniform(&mut rng, 3.0, 600.0);
        let z = if rng.gen::<bool>() {
            rng.gen_range(-1.0..1.0) * max_abs_z(period, t_obs)
        } else {
            0.0
        };
        // a = −z·c/(f·T²), z at the fundamental.
        let accel = -z * 299_792_458.0 * period / (t_obs * t_obs);
        sim.pulsars.push(PulsarSpec {
            period_s: period,
            dm,
            duty: rng.gen_range(0.01..0.2),
            snr: rng.gen_range(6.0..30.0),
            accel_m_s2: accel,
            phase: rng.gen(),
        });
        let f = 1.0 / period + rng.gen_range(-0.3..0.3) / t_obs;
        let fdot = (z + rng.gen_range(-1.5..1.5)) / (t_obs * t_obs);
        requests.push(FoldRequest::new(
            "pulsar",
            1.0 / f,
            -fdot / (f * f),
            dm * (1.0 + rng.gen_range(-0.02..0.02)),
            10.0,
        ));
        kinds.push(FoldKind::Pulsar);
    }
    let rfi_kind = rng.gen_range(0..6);
    let mut mains_hz = 60.0;
    let periodic_f = match rfi_kind {
        0 => {
            let f = log_uniform(&mut rng, 0.2, 400.0);
            sim.rfi = RfiSpec {
                periodic_hz: f,
                periodic_amplitude: rng.gen_range(0.02..0.5),
                periodic_harmonics: rng.gen_range(1..8),
                ..RfiSpec::default()
            };
            Some((f, FoldKind::Periodic))
        }
        1 => {
            let mains = if rng.gen::<bool>() { 50.0 } else { 60.0 };
            mains_hz = mains;
            let (a, bb) = (rng.gen_range(1..6) as f64, rng.gen_range(1..4) as f64);
            let f = mains * a / bb;
            sim.rfi = RfiSpec {
                periodic_hz: f,
                periodic_amplitude: rng.gen_range(0.02..0.5),
                periodic_harmonics: rng.gen_range(1..6),
                ..RfiSpec::default()
            };
            Some((f, FoldKind::Mains))
        }
        2 => {
            let f = log_uniform(&mut rng, 0.5, 300.0);
            let first = rng.gen_range(0..nchans - 8);
            let width = rng.gen_range(1..8);
            sim.rfi = RfiSpec {
                narrowband: vec![NarrowbandSpec {
                    freq_hz: f,
                    amplitude: rng.gen_range(0.2..3.0),
                    harmonics: rng.gen_range(1..6),
                    first_channel: first,
                    last_channel: first + width - 1,
                }],
                ..RfiSpec::default()
            };
            Some((f, FoldKind::Narrowband))
        }
        3 => {
            let impulses = (0..rng.gen_range(2..6))
                .map(|_| ImpulseSpec {
                    time_s: rng.gen_range(0.0..t_obs * 0.95),
                    width_s: tsamp * rng.gen_range(1.0..30.0),
                    amplitude: rng.gen_range(1.0..6.0),
                })
                .collect();
            sim.rfi = RfiSpec {
                impulses,
                ..RfiSpec::default()
            };
            let p = log_uniform(&mut rng, 128.0 * tsamp, t_obs / 8.0);
            requests.push(FoldRequest::new(
                "bursts",
                p,
                0.0,
                log_uniform(&mut rng, 0.5, 300.0),
                10.0,
            ));
            kinds.push(FoldKind::Bursts);
            None
        }
        4 => {
            sim.rfi = RfiSpec {
                bad_channels: (0..rng.gen_range(1..6)).map(|_| rng.gen_range(0..nchans)).collect(),
                bad_channel_noise: rng.gen_range(2.0..10.0),
                ..RfiSpec::default()
            };
            None
        }
        _ => None,
    };
    if let Some((f, kind)) = periodic_f {
        // Folded as a search finds it: the fundamental or a harmonic, a little off.
        let h = [1.0, 2.0, 0.5, 3.0][rng.gen_range(0..4)];
        let fold_f = f * h * (1.0 + rng.gen_range(-2e-5..2e-5));
        let p = 1.0 / fold_f;
        if p > 2.0 * tsamp * 8.0 && p < t_obs / 8.0 {
            requests.push(FoldRequest::new("rfi_low_dm", p, 0.0, rng.gen_range(0.0..10.0), 10.0));
            kinds.push(kind);
            requests.push(FoldRequest::new(
                "rfi_high_dm",
                p,
                0.0,
                log_uniform(&mut rng, 50.0, 1000.0),
                10.0,
            ));
            kinds.push(kind);
        }
    }
    // Down to 4 samples a turn: a search reports candidates that fast.
    let noise_p = log_uniform(&mut rng, 4.0 * tsamp, t_obs / 8.0);
    requests.push(FoldRequest::new(
        "noise",
        noise_p,
        0.0,
        log_uniform(&mut rng, 1.0, 1000.0),
        10.0,
    ));
    kinds.push(FoldKind::Noise);

    let path = dir.join(format!("train_{b}.fil"));
    simulate(&sim, &path, &|_, _| {}).map_err(|e| crate::SearchError::Params(e.to_string()))?;
    // A fifth of the beams folded as one subband (as a fold of a dedispersed
    // series is, PRESTO's `.dat` folds): the model must rate those too.
    let cfg = FoldConfig {
        nsub: if one_subband { 1 } else { 32 },
        ..FoldConfig::default()
    };
    let folds = {
        let mut beam = open_beam(&[&path])?;
        fold_candidates(beam.as_mut(), &requests, &cfg, &|_, _| {})?
    };
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(palfa_core::simulate::truth_path(&path));
    let rc = RateConfig { mains_hz, known: None };
    Ok(folds
        .iter()
        .map(|f| {
            let kind = requests
                .iter()
                .position(|r| r.label == f.label)
                .map_or(FoldKind::Noise, |i| kinds[i]);
            let ratings = rate_fold(f, &rc);
            LabelledFold {
                features: features(&ratings, f.sigma()),
                sigma: f.sigma(),
                kind,
                beam: b,
            }
        })
        .collect())
}

/// What [`train`] made and measured.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// The model.
    pub model: super::score::ScoreModel,
    /// Folds trained on: pulsars, others.
    pub train_folds: (usize, usize),
    /// Held-out folds: pulsars, others.
    pub test_folds: (usize, usize),
    /// Area under the ROC curve of the score on the held-out folds.
    pub auc_score: f64,
    /// The same for the fold's σ alone.
    pub auc_sigma: f64,
    /// Held-out (score, σ, is a pulsar), for the ROC curves.
    pub test: Vec<(f64, f64, bool)>,
    /// Held-out non-pulsars scoring above 0.5, by kind.
    pub false_positives: Vec<(FoldKind, usize, usize)>,
}

/// Pulsar folds weaker than this are left out of training and testing:
/// they are noise, whatever was injected.
pub const MIN_PULSAR_SIGMA: f64 = 5.0;

/// The folds of searched beams ([`super::evaluate::evaluate`]), labelled:
/// a pulsar's (at its frequency times h/m) or [`FoldKind::Searched`].
pub fn searched_folds(report: &super::evaluate::EvalReport) -> Vec<LabelledFold> {
    report
        .rematched()
        .beams
        .into_iter()
        .flat_map(|b| {
            let beam = b.beam;
            b.list.into_iter().map(move |f| LabelledFold {
                features: features(&f.ratings, f.sigma),
                sigma: f.sigma,
                kind: if f.pulsar.is_some() {
                    FoldKind::Pulsar
                } else {
                    FoldKind::Searched
                },
                beam,
            })
        })
        .collect()
}

/// Trains the score: beams `0 .. n_train` of the family with `seed` for
/// fitting, beams `n_train .. n_train + n_test` held out for the figures;
/// `searched` (from [`searched_folds`]) are fitted too.
pub fn train(
    seed: u64,
    n_train: usize,
    n_test: usize,
    version: u32,
    dir: &Path,
    searched: &[LabelledFold],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> SearchResult<TrainReport> {
    use super::score::{auc, ScoreModel};
    let total = n_train + n_test;
    let keep = |f: &LabelledFold| !f.is_pulsar() || f.sigma >= MIN_PULSAR_SIGMA;
    let train_set: Vec<LabelledFold> = labelled_folds(seed, 0, n_train, dir, &|d, _| progress(d, total))?
        .into_iter()
        .chain(searched.iter().cloned())
        .filter(keep)
        .collect();
    let test_set: Vec<LabelledFold> = labelled_folds(seed, n_train, n_test, dir, &|d, _| progress(n_train + d, total))?
        .into_iter()
        .filter(keep)
        .collect();
    let samples: Vec<(Vec<Option<f64>>, bool)> =
        train_set.iter().map(|f| (f.features.clone(), f.is_pulsar())).collect();
    let model = ScoreModel::fit(&samples, version, 1e-3, 3000);
    let test: Vec<(f64, f64, bool)> = test_set
        .iter()
        .map(|f| (model.score(&f.features), f.sigma, f.is_pulsar()))
        .collect();
    let auc_score = auc(&test.iter().map(|t| (t.0, t.2)).collect::<Vec<_>>());
    let auc_sigma = auc(&test.iter().map(|t| (t.1, t.2)).collect::<Vec<_>>());
    let kinds = [
        FoldKind::Periodic,
        FoldKind::Mains,
        FoldKind::Narrowband,
        FoldKind::Bursts,
        FoldKind::Noise,
    ];
    let false_positives = kinds
        .iter()
        .map(|&k| {
            let of_kind: Vec<&LabelledFold> = test_set.iter().filter(|f| f.kind == k).collect();
            let fp = of_kind.iter().filter(|f| model.score(&f.features) > 0.5).count();
            (k, fp, of_kind.len())
        })
        .collect();
    let count = |s: &[LabelledFold]| {
        let p = s.iter().filter(|f| f.is_pulsar()).count();
        (p, s.len() - p)
    };
    Ok(TrainReport {
        model,
        train_folds: count(&train_set),
        test_folds: count(&test_set),
        auc_score,
        auc_sigma,
        test,
        false_positives,
    })
}

/// Draws the ROC curves of the score and of σ alone on the held-out folds.
pub fn plot_roc(report: &TrainReport, path: &Path) -> SearchResult<()> {
    use plotters::prelude::*;

    use crate::plot::{init_fonts, plot_err, FONT};
    init_fonts();
    let curve = |key: &dyn Fn(&(f64, f64, bool)) -> f64| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, bool)> = report.test.iter().map(|t| (key(t), t.2)).collect();
        v.sort_by(|a, b| b.0.total_cmp(&a.0));
        let np = v.iter().filter(|x| x.1).count().max(1) as f64;
        let nn = v.iter().filter(|x| !x.1).count().max(1) as f64;
        let (mut tp, mut fp) = (0.0, 0.0);
        let mut pts = vec![(0.0, 0.0)];
        for (_, y) in v {
            if y {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            pts.push((fp / nn, tp / np));
        }
        pts
    };
    let err = plot_err(path);
    let root = BitMapBackend::new(path, (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Held-out folds: pulsars against RFI and noise", (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc("false-positive rate")
        .y_desc("true-positive rate")
        .label_style((FONT, 14))
        .draw()
        .map_err(&err)?;
    chart
        .draw_series(LineSeries::new(curve(&|t| t.0), BLUE.stroke_width(2)))
        .map_err(&err)?
        .label(format!("score (AUC {:.3})", report.auc_score))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(curve(&|t| t.1), RED.stroke_width(2)))
        .map_err(&err)?
        .label(format!("prepfold sigma alone (AUC {:.3})", report.auc_sigma))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)))
        .map_err(&err)?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .label_font((FONT, 14))
        .draw()
        .map_err(&err)?;
    root.present().map_err(&err)?;
    Ok(())
}

/// The largest |z| \[bins at the fundamental\] the simulated families give
/// a pulsar of period `period_s` in a beam of `t_obs_s`: 30, and at most the
/// z whose frequency change over the beam is [`MAX_DRIFT_FRACTION`] of the
/// spin frequency. z bins of drift are z/T Hz, so the cap is
/// `MAX_DRIFT_FRACTION·T/P`. Without it a slow pulsar drawn at |z| = 30 in a
/// 30-s beam would have its frequency swept through zero (a 1.42-s pulsar's
/// 0.70 Hz moving by 0.93 Hz): no orbit does that.
pub fn max_abs_z(period_s: f64, t_obs_s: f64) -> f64 {
    30f64.min(MAX_DRIFT_FRACTION * t_obs_s / period_s)
}

/// The largest fractional change of a simulated pulsar's spin frequency over
/// its beam (v/c of the change in line-of-sight velocity): 1 %, ten times
/// the fastest binaries' and more than the short simulated beams need to
/// reach |z| = 30 at millisecond periods (30 bins in a 30-s beam is 1 % of
/// 100 Hz).
pub const MAX_DRIFT_FRACTION: f64 = 0.01;
