//! Beam-level evaluation of the score (`palfa rate evaluate`): simulated
//! beams of a family the score was not trained on, each searched end to end
//! by [`run_search`] as a worker searches a
//! survey beam, and the ranked list it produced compared with what was
//! injected.
//!
//! The training folds ([`super::train`]) are folded where the signals are;
//! here the search decides what is folded, so the list holds what a survey
//! list holds: the pulsars, their harmonics, and whatever RFI and noise the
//! search found worth folding. Each beam:
//!
//! * 30 s at 131 µs over 64, 128 or 256 channels of the PALFA band;
//! * no pulsar (one beam in six: a noise-and-RFI-only beam), one, or two:
//!   period log-uniform over 1 ms – 10 s, duty cycle 0.01 – 0.2, S/N 6 – 30,
//!   DM 3 – 600, half of them accelerated (|z| ≤ 30 at the fundamental, and
//!   a frequency change over the beam of at most 1 % of the spin frequency:
//!   [`super::train::max_abs_z`]);
//! * RFI, drawn independently: broadband periodic at DM 0 at any frequency,
//!   or 50/60-Hz mains with its harmonics and ratios (the configuration's
//!   mains frequency follows the beam's); narrowband periodic signals in a
//!   few channels; impulsive broadband bursts; bad channels.
//!
//! A pulsar "folds" when a fold of the list is at its frequency times
//! `h/m` (h, m ≤ 4) within the frequency resolution and near its DM; its
//! rank is the best score rank of those folds.

use std::path::PathBuf;

use palfa_core::config::{DdplanChoice, Processing, Searching};
use palfa_core::simulate::{simulate, ImpulseSpec, NarrowbandSpec, PulsarSpec, RfiSpec, SimParams};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::score::{features, ScoreModel};
use super::value_of;
use crate::error::{SearchError, SearchResult};
use crate::pipeline::{run_search, NoProgress, SearchJob};

/// The σ above which a pulsar's fold must be near the top of its list.
pub const SIGMA_MUST_RANK: f64 = 8.0;
/// How near: among the first this many folds by score.
pub const TOP: usize = 3;
/// The score above which a fold is called a pulsar (the docs' threshold).
pub const SCORE_THRESHOLD: f64 = 0.5;
/// Largest DM injected; the beams are searched to 1.25 times that.
const MAX_DM: f64 = 600.0;

/// What to evaluate on.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Seed of the beam family (independent of `palfa rate train`'s beams:
    /// they are drawn differently whatever the seed).
    pub seed: u64,
    /// Beams `first .. first + beams`.
    pub first: usize,
    /// How many beams.
    pub beams: usize,
    /// The search's settings; the DM range, the subband count and the mains
    /// frequency are set per beam, the rest is searched as given.
    pub searching: Searching,
    /// `[processing]` (zaplists, working directory).
    pub processing: Processing,
    /// Where each beam is simulated and searched: `eval_<beam>/`, removed
    /// afterwards unless `keep_results`.
    pub dir: PathBuf,
    /// Keep each beam's results directory (`eval_<beam>/results`, with its
    /// folds and plots) and its truth; the beam itself is always removed.
    pub keep_results: bool,
}

/// An injected pulsar and what the search made of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PulsarOutcome {
    /// Injected period \[s\].
    pub period_s: f64,
    /// Its frequency at the middle of the observation \[Hz\].
    pub f_mid_hz: f64,
    /// Injected DM.
    pub dm: f64,
    /// Injected S/N.
    pub snr: f64,
    /// Injected duty cycle.
    pub duty: f64,
    /// Injected z at the fundamental \[bins\].
    pub z: f64,
    /// Highest σ of its folds (`None`: not folded).
    pub sigma: Option<f64>,
    /// Its best rank by score (1 = first), over all folds of the beam.
    pub rank: Option<usize>,
    /// The score of that fold.
    pub score: Option<f64>,
    /// Its rank by σ alone.
    pub rank_by_sigma: Option<usize>,
}

impl PulsarOutcome {
    /// It folded above [`SIGMA_MUST_RANK`], so it must be in the top [`TOP`].
    pub fn must_rank(&self) -> bool {
        self.sigma.is_some_and(|s| s > SIGMA_MUST_RANK)
    }

    /// It must rank and it does.
    pub fn ranked(&self) -> bool {
        self.must_rank() && self.rank.is_some_and(|r| r <= TOP)
    }
}

/// One searched beam.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeamOutcome {
    /// The beam's number.
    pub beam: usize,
    /// Channels.
    pub nchans: usize,
    /// Length \[s\].
    pub t_obs_s: f64,
    /// The RFI it holds.
    pub rfi: Vec<String>,
    /// Its pulsars.
    pub pulsars: Vec<PulsarOutcome>,
    /// Folds in its list.
    pub folds: usize,
    /// Folds of no pulsar scoring above [`SCORE_THRESHOLD`].
    pub others_above_threshold: usize,
    /// Highest σ of a fold of no pulsar.
    pub max_other_sigma: Option<f64>,
    /// Every fold of its list, in the search's order.
    pub list: Vec<FoldOutcome>,
}

/// One fold of a searched beam's list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FoldOutcome {
    /// Folded frequency \[Hz\].
    pub frequency_hz: f64,
    /// Folded DM.
    pub dm: f64,
    /// prepfold σ.
    pub sigma: f64,
    /// Its score.
    pub score: Option<f64>,
    /// The injected pulsar (index in [`BeamOutcome::pulsars`]) whose fold
    /// it is, at its frequency times h/m.
    pub pulsar: Option<usize>,
    /// All its ratings.
    pub ratings: Vec<super::Rating>,
}

impl BeamOutcome {
    /// Some pulsar of it folded above [`SIGMA_MUST_RANK`].
    pub fn counts(&self) -> bool {
        self.pulsars.iter().any(PulsarOutcome::must_rank)
    }

    /// Every pulsar of it that folded above [`SIGMA_MUST_RANK`] is in the top [`TOP`].
    pub fn passes(&self) -> bool {
        self.pulsars.iter().filter(|p| p.must_rank()).all(PulsarOutcome::ranked)
    }
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    /// The beams.
    pub beams: Vec<BeamOutcome>,
}

impl EvalReport {
    /// Beams with a pulsar above [`SIGMA_MUST_RANK`], and how many of them
    /// have every such pulsar in the top [`TOP`] by score.
    pub fn ranked_beams(&self) -> (usize, usize) {
        let counted: Vec<&BeamOutcome> = self.beams.iter().filter(|b| b.counts()).collect();
        (counted.len(), counted.iter().filter(|b| b.passes()).count())
    }

    /// The same by σ alone.
    pub fn ranked_beams_by_sigma(&self) -> (usize, usize) {
        let counted: Vec<&BeamOutcome> = self.beams.iter().filter(|b| b.counts()).collect();
        let ok = counted
            .iter()
            .filter(|b| {
                b.pulsars
                    .iter()
                    .filter(|p| p.must_rank())
                    .all(|p| p.rank_by_sigma.is_some_and(|r| r <= TOP))
            })
            .count();
        (counted.len(), ok)
    }

    /// Pulsars injected, folded at all, folded above [`SIGMA_MUST_RANK`].
    pub fn pulsars(&self) -> (usize, usize, usize) {
        let all = self.beams.iter().flat_map(|b| &b.pulsars);
        let n = all.clone().count();
        let folded = all.clone().filter(|p| p.sigma.is_some()).count();
        let strong = all.filter(|p| p.must_rank()).count();
        (n, folded, strong)
    }

    /// In the beams without pulsars: (beams, folds, folds above the
    /// threshold, the most above it in one beam, the highest σ).
    pub fn empty_beams(&self) -> (usize, usize, usize, usize, f64) {
        let e: Vec<&BeamOutcome> = self.beams.iter().filter(|b| b.pulsars.is_empty()).collect();
        (
            e.len(),
            e.iter().map(|b| b.folds).sum(),
            e.iter().map(|b| b.others_above_threshold).sum(),
            e.iter().map(|b| b.others_above_threshold).max().unwrap_or(0),
            e.iter().filter_map(|b| b.max_other_sigma).fold(0.0, f64::max),
        )
    }
}

/// Simulates and searches the beams of `cfg`, one after another (each
/// search uses every core), calling `progress(done, n)` after each.
pub fn evaluate(cfg: &EvalConfig, progress: &(dyn Fn(usize, usize) + Sync)) -> SearchResult<EvalReport> {
    let mut beams = Vec::with_capacity(cfg.beams);
    for (done, b) in (cfg.first..cfg.first + cfg.beams).enumerate() {
        beams.push(evaluate_beam(cfg, b)?);
        progress(done + 1, cfg.beams);
    }
    Ok(EvalReport { beams })
}

fn log_uniform(rng: &mut impl Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.gen::<f64>() * (hi.ln() - lo.ln())).exp()
}

/// What beam `b` holds: its parameters, the RFI's names and the mains frequency.
fn beam_params(seed: u64, b: usize) -> (SimParams, Vec<String>, f64) {
    // A different stream from the training family's for any seed.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(
        seed ^ 0xE7A1_0000_0000_0000 ^ (b as u64).wrapping_mul(0xD134_2543_DE82_EF95),
    );
    let nchans = [64, 128, 256][rng.gen_range(0..3)];
    let tsamp = 131e-6;
    let nsamples = (30.0 / tsamp) as u64;
    let t_obs = tsamp * nsamples as f64;
    let mut sim = SimParams {
        seed: seed.wrapping_mul(31).wrapping_add(b as u64 * 104_729 + 17),
        nchans,
        fch1_mhz: FCH1_MHZ,
        chan_bw_mhz: BANDWIDTH_MHZ / nchans as f64,
        tsamp_s: tsamp,
        nsamples,
        ..SimParams::default()
    };
    let npsr = match rng.gen_range(0..6) {
        0 => 0,
        1 => 2,
        _ => 1,
    };
    for _ in 0..npsr {
        let period = log_uniform(&mut rng, 1e-3, 10.0);
        let z: f64 = if rng.gen::<bool>() {
            rng.gen_range(-1.0..1.0) * super::train::max_abs_z(period, t_obs)
        } else {
            0.0
        };
        sim.pulsars.push(PulsarSpec {
            period_s: period,
            dm: log_uniform(&mut rng, 3.0, MAX_DM),
            duty: rng.gen_range(0.01..0.2),
            snr: rng.gen_range(6.0..30.0),
            // a = −z·c·P/T², z at the fundamental.
            accel_m_s2: -z * 299_792_458.0 * period / (t_obs * t_obs),
            phase: rng.gen(),
        });
    }
    let mut names = Vec::new();
    let mut mains_hz = 60.0;
    let mut rfi = RfiSpec::default();
    let mut any = false;
    while !any {
        match rng.gen_range(0..3) {
            0 => {
                rfi.periodic_hz = log_uniform(&mut rng, 0.2, 400.0);
                rfi.periodic_amplitude = rng.gen_range(0.02..0.3);
                rfi.periodic_harmonics = rng.gen_range(1..8);
                names.push(format!("broadband periodic {:.3} Hz", rfi.periodic_hz));
                any = true;
            }
            1 => {
                mains_hz = if rng.gen::<bool>() { 50.0 } else { 60.0 };
                let (a, m) = (rng.gen_range(1..6) as f64, rng.gen_range(1..4) as f64);
                rfi.periodic_hz = mains_hz * a / m;
                rfi.periodic_amplitude = rng.gen_range(0.02..0.3);
                rfi.periodic_harmonics = rng.gen_range(1..6);
                names.push(format!("mains {mains_hz} Hz x {a}/{m}"));
                any = true;
            }
            _ => {}
        }
        if rng.gen::<bool>() {
            for _ in 0..rng.gen_range(1..3) {
                let width = rng.gen_range(1..(nchans / 16).max(2));
                let first = rng.gen_range(0..nchans - width);
                let spec = NarrowbandSpec {
                    freq_hz: log_uniform(&mut rng, 0.5, 300.0),
                    amplitude: rng.gen_range(0.2..3.0),
                    harmonics: rng.gen_range(1..6),
                    first_channel: first,
                    last_channel: first + width - 1,
                };
                names.push(format!(
                    "narrowband {:.3} Hz in channels {}-{}",
                    spec.freq_hz, spec.first_channel, spec.last_channel
                ));
                rfi.narrowband.push(spec);
            }
            any = true;
        }
        if rng.gen::<bool>() {
            let n = rng.gen_range(2..7);
            rfi.impulses = (0..n)
                .map(|_| ImpulseSpec {
                    time_s: rng.gen_range(0.0..t_obs * 0.95),
                    width_s: tsamp * rng.gen_range(1.0..30.0),
                    amplitude: rng.gen_range(1.0..6.0),
                })
                .collect();
            names.push(format!("{n} bursts"));
            any = true;
        }
        if rng.gen::<f64>() < 0.3 {
            rfi.bad_channels = (0..rng.gen_range(1..6)).map(|_| rng.gen_range(0..nchans)).collect();
            rfi.bad_channel_noise = rng.gen_range(2.0..10.0);
            names.push(format!("{} bad channels", rfi.bad_channels.len()));
            any = true;
        }
    }
    sim.rfi = rfi;
    (sim, names, mains_hz)
}

/// Centre frequency of the top channel of the family's beams \[MHz\].
const FCH1_MHZ: f64 = 1537.0;
/// Their total bandwidth \[MHz\] (PALFA's).
const BANDWIDTH_MHZ: f64 = 322.56;

/// Centre frequencies of the lowest and highest channels of a beam of the
/// family with `nchans` channels \[GHz\].
fn band_ghz(nchans: usize) -> (f64, f64) {
    let bw = BANDWIDTH_MHZ / nchans.max(1) as f64;
    ((FCH1_MHZ - bw * (nchans.max(1) - 1) as f64) / 1e3, FCH1_MHZ / 1e3)
}

/// Simulates, searches and judges beam `b`.
pub fn evaluate_beam(cfg: &EvalConfig, b: usize) -> SearchResult<BeamOutcome> {
    let (sim, rfi, mains_hz) = beam_params(cfg.seed, b);
    let dir = cfg.dir.join(format!("eval_{b}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| SearchError::io(&dir, e))?;
    let beam = dir.join("beam.fil");
    let truth = simulate(&sim, &beam, &|_, _| {}).map_err(|e| SearchError::Params(e.to_string()))?;
    let mut s = cfg.searching.clone();
    s.dedisp.ddplan = DdplanChoice::Auto;
    s.dedisp.max_dm = MAX_DM * 1.25;
    s.dedisp.nsub = 32.min(sim.nchans);
    s.mains_hz = mains_hz;
    s.base_tmp_dir = Some(dir.join("work"));
    let job = SearchJob {
        files: vec![beam.clone()],
        outdir: dir.join("results"),
        searching: s,
        processing: cfg.processing.clone(),
        version: format!("palfa-search {} (evaluation)", env!("CARGO_PKG_VERSION")),
        keep_workdir: false,
        series_budget_bytes: 512 << 20,
    };
    let results = run_search(&job, &NoProgress);
    if cfg.keep_results {
        let _ = std::fs::remove_file(&beam);
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let results = results?;
    let list: Vec<FoldOutcome> = results
        .candidates
        .iter()
        .map(|c| FoldOutcome {
            frequency_hz: c.frequency_hz,
            dm: c.dm,
            sigma: c.prepfold_sigma,
            score: value_of(&c.ratings, "score"),
            pulsar: None,
            ratings: c.ratings.clone(),
        })
        .collect();
    let pulsars: Vec<PulsarOutcome> = truth
        .pulsars
        .iter()
        .map(|p| PulsarOutcome {
            period_s: p.period_s,
            f_mid_hz: p.f_mid_hz,
            dm: p.dm,
            snr: p.snr,
            duty: p.duty,
            z: p.z,
            sigma: None,
            rank: None,
            score: None,
            rank_by_sigma: None,
        })
        .collect();
    let mut out = BeamOutcome {
        beam: b,
        nchans: sim.nchans,
        t_obs_s: truth.duration_s,
        rfi,
        pulsars,
        folds: list.len(),
        others_above_threshold: 0,
        max_other_sigma: None,
        list,
    };
    out.match_folds();
    out.judge();
    Ok(out)
}

impl BeamOutcome {
    /// Marks each fold that is an injected pulsar's: at its mid-observation
    /// frequency times h/m (h, m ≤ 4) within (3 + |z|·h/m)/T, and within
    /// the DM error a fold of it can have: 15 % of its DM, at least 5, and
    /// at least the DM whose sweep across the band is the pulse's width
    /// (a broad slow pulse is folded well far from its DM). A fold near two
    /// pulsars goes to the first.
    fn match_folds(&mut self) {
        let t = self.t_obs_s;
        let (lo, hi) = band_ghz(self.nchans);
        // Dispersion sweep across the band per unit DM [s].
        let sweep = 4.148_808e-3 * (1.0 / (lo * lo) - 1.0 / (hi * hi));
        for f in &mut self.list {
            f.pulsar = self.pulsars.iter().position(|p| {
                let dm_tol = (0.15 * p.dm).max(5.0).max(p.duty * p.period_s / sweep);
                (f.dm - p.dm).abs() <= dm_tol
                    && (1..=4u32).any(|h| {
                        (1..=4u32).any(|m| {
                            let r = h as f64 / m as f64;
                            (f.frequency_hz - p.f_mid_hz * r).abs() <= (3.0 + p.z.abs() * r).max(3.0 * r) / t
                        })
                    })
            });
        }
    }

    /// Ranks the folds by score (unscored last, ties by σ) and by σ, and
    /// fills in each pulsar's outcome and the other folds' figures.
    fn judge(&mut self) {
        let n = self.list.len();
        let rank_by = |key: &dyn Fn(&FoldOutcome) -> f64| -> Vec<usize> {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&i, &j| key(&self.list[j]).total_cmp(&key(&self.list[i])));
            let mut rank = vec![0; n];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r + 1;
            }
            rank
        };
        let by_score = rank_by(&|f| f.score.unwrap_or(-1.0) + f.sigma * 1e-9);
        let by_sigma = rank_by(&|f| f.sigma);
        for (k, p) in self.pulsars.iter_mut().enumerate() {
            let mine: Vec<usize> = (0..n).filter(|&i| self.list[i].pulsar == Some(k)).collect();
            let best = mine.iter().copied().min_by_key(|&i| by_score[i]);
            p.sigma = mine.iter().map(|&i| self.list[i].sigma).reduce(f64::max);
            p.rank = best.map(|i| by_score[i]);
            p.score = best.and_then(|i| self.list[i].score);
            p.rank_by_sigma = mine.iter().map(|&i| by_sigma[i]).min();
        }
        let others = || self.list.iter().filter(|f| f.pulsar.is_none());
        self.others_above_threshold = others()
            .filter(|f| f.score.is_some_and(|s| s > SCORE_THRESHOLD))
            .count();
        self.max_other_sigma = others().map(|f| f.sigma).reduce(f64::max);
    }
}

impl EvalReport {
    /// The same evaluation with every fold scored again by `model` (the
    /// ratings do not depend on the model, so nothing is searched again).
    pub fn rescore(&self, model: &ScoreModel) -> EvalReport {
        let mut r = self.clone();
        for b in &mut r.beams {
            for f in &mut b.list {
                f.score = Some(model.score(&features(&f.ratings, f.sigma)));
            }
            b.match_folds();
            b.judge();
        }
        r
    }

    /// The same evaluation with the folds matched to the pulsars again (by
    /// this palfa's rule) and ranked again with their stored scores.
    pub fn rematched(&self) -> EvalReport {
        let mut r = self.clone();
        for b in &mut r.beams {
            b.match_folds();
            b.judge();
        }
        r
    }
}

/// The beam family's parameters (for tests and for re-simulating one beam
/// with `palfa simulate`).
pub fn eval_beam_params(seed: u64, b: usize) -> SimParams {
    beam_params(seed, b).0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pulsar(sigma: Option<f64>, rank: Option<usize>, rank_by_sigma: Option<usize>) -> PulsarOutcome {
        PulsarOutcome {
            period_s: 0.01,
            f_mid_hz: 100.0,
            dm: 50.0,
            snr: 10.0,
            duty: 0.05,
            z: 0.0,
            sigma,
            rank,
            score: None,
            rank_by_sigma,
        }
    }

    fn beam(beam: usize, pulsars: Vec<PulsarOutcome>, others: usize) -> BeamOutcome {
        BeamOutcome {
            beam,
            nchans: 128,
            t_obs_s: 30.0,
            rfi: vec![],
            pulsars,
            folds: 5,
            others_above_threshold: others,
            max_other_sigma: Some(6.0),
            list: vec![],
        }
    }

    #[test]
    fn a_beam_counts_when_a_pulsar_folds_above_8_sigma_and_passes_when_all_such_are_top_3() {
        let r = EvalReport {
            beams: vec![
                beam(0, vec![pulsar(Some(12.0), Some(1), Some(4))], 0),
                // Weak: not counted, whatever its rank.
                beam(1, vec![pulsar(Some(7.0), Some(9), Some(9))], 0),
                // Two strong pulsars, one ranked 4th: fails.
                beam(
                    2,
                    vec![
                        pulsar(Some(20.0), Some(1), Some(1)),
                        pulsar(Some(9.0), Some(4), Some(2)),
                    ],
                    0,
                ),
                // Not folded at all: not counted.
                beam(3, vec![pulsar(None, None, None)], 1),
                beam(4, vec![], 2),
                beam(5, vec![], 0),
            ],
        };
        assert_eq!(r.ranked_beams(), (2, 1));
        assert_eq!(r.ranked_beams_by_sigma(), (2, 1));
        assert_eq!(r.pulsars(), (5, 4, 3));
        let (n, folds, above, most, max_sigma) = r.empty_beams();
        assert_eq!((n, folds, above, most), (2, 10, 2, 2));
        assert_eq!(max_sigma, 6.0);
    }

    fn fold(frequency_hz: f64, dm: f64, sigma: f64, score: f64) -> FoldOutcome {
        FoldOutcome {
            frequency_hz,
            dm,
            sigma,
            score: Some(score),
            pulsar: None,
            ratings: vec![],
        }
    }

    #[test]
    fn folds_are_matched_at_harmonics_within_the_dm_error_a_pulse_width_allows() {
        let psr = |period_s: f64, dm: f64, duty: f64| PulsarOutcome {
            period_s,
            f_mid_hz: 1.0 / period_s,
            dm,
            duty,
            ..pulsar(None, None, None)
        };
        let mut b = beam(0, vec![psr(0.8, 6.0, 0.1), psr(0.005, 100.0, 0.05)], 0);
        b.list = vec![
            // The slow pulsar 29 DM units off: its 80-ms pulse sweeps the band in 76 units.
            fold(1.25 * (1.0 + 1e-4), 35.0, 12.0, 0.9),
            // Its second harmonic.
            fold(2.5, 6.0, 9.0, 0.4),
            // The MSP 30 units off: not it (its pulse sweeps in 0.24 units; 15 % is 15).
            fold(200.0, 130.0, 7.0, 0.8),
            // The MSP at 2/3 of its frequency, 10 units off.
            fold(200.0 * 2.0 / 3.0, 110.0, 6.5, 0.2),
            // Nothing.
            fold(37.0, 50.0, 6.0, 0.95),
        ];
        b.match_folds();
        let m: Vec<Option<usize>> = b.list.iter().map(|f| f.pulsar).collect();
        assert_eq!(m, vec![Some(0), Some(0), None, Some(1), None]);
        b.judge();
        // By score: 0.95 (nothing), 0.9 (slow), 0.8, 0.4 (slow), 0.2 (MSP).
        assert_eq!(b.pulsars[0].rank, Some(2));
        assert_eq!(b.pulsars[0].sigma, Some(12.0));
        assert_eq!(b.pulsars[1].rank, Some(5));
        assert_eq!(b.pulsars[1].rank_by_sigma, Some(4));
        assert_eq!(b.others_above_threshold, 2);
        assert_eq!(b.max_other_sigma, Some(7.0));
        // The slow pulsar is in the top 3; the MSP, under 8 σ, does not count.
        assert!(b.counts() && b.passes());
    }

    #[test]
    fn the_family_is_deterministic_and_every_beam_holds_rfi() {
        let mut npsr = [0; 3];
        for b in 0..120 {
            let (p, rfi, mains) = beam_params(2, b);
            assert_eq!(p, beam_params(2, b).0);
            assert!(!rfi.is_empty(), "beam {b} has no RFI");
            assert!(mains == 50.0 || mains == 60.0);
            assert!(p.validate().is_ok(), "beam {b}: {:?}", p.validate());
            npsr[p.pulsars.len()] += 1;
            for q in &p.pulsars {
                assert!((1e-3..=10.0).contains(&q.period_s) && (3.0..=MAX_DM).contains(&q.dm));
            }
        }
        // About 1/6 without pulsars, 1/6 with two.
        assert!(npsr.iter().all(|&n| n >= 8), "{npsr:?}");
        // Another seed, other beams.
        assert_ne!(beam_params(2, 0).0, beam_params(3, 0).0);
    }
}
