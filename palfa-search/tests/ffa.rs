//! The FFA search: injected long-period pulsars recovered at the S/N the
//! matched filter predicts, in one series and in a whole beam where the
//! Fourier search alone does not fold them.

use std::path::Path;

use palfa_core::config::{Config, DdplanChoice};
use palfa_core::formats::presto::InfFile;
use palfa_core::formats::results::{CandidateSearch, PeriodicityCandidate, SearchResults};
use palfa_core::simulate::{simulate, PulsarSpec, RfiSpec, SimParams};
use palfa_search::ffa::{FfaConfig, FfaSearcher};
use palfa_search::pipeline::{run_search, NoProgress, SearchJob};
use palfa_search::rate::value_of;
use palfa_search::TimeSeries;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// FWHM of a Gaussian in units of its σ.
const FWHM_PER_SIGMA: f64 = 2.354_820_045;

/// Unit-variance white noise of `n` samples of `dt` with a Gaussian pulse of
/// FWHM `duty·P` every `period` seconds, scaled so that the ideal matched
/// filter's S/N (√Σ pulse²) is `snr`; plus a slow baseline drift.
fn series(n: usize, dt: f64, period: f64, duty: f64, snr: f64, seed: u64) -> TimeSeries {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let sigma_t = duty * period / FWHM_PER_SIGMA;
    let shape = |i: usize| {
        let t = i as f64 * dt;
        let ph = (t / period + 0.3).fract() - 0.5;
        (-0.5 * (ph * period / sigma_t).powi(2)).exp()
    };
    let norm: f64 = (0..n).map(|i| shape(i).powi(2)).sum::<f64>().sqrt();
    let data = (0..n)
        .map(|i| {
            let noise: f64 = StandardNormal.sample(&mut rng);
            let drift = 3.0 * (i as f64 * dt / 40.0).sin();
            (noise + snr * shape(i) / norm + drift) as f32
        })
        .collect();
    TimeSeries {
        info: InfFile {
            n: n as u64,
            dt,
            dm: 30.0,
            ..InfFile::default()
        },
        data,
    }
}

#[test]
fn injected_slow_pulsars_come_out_at_the_matched_filter_snr() {
    // 160 s at 1 ms; pulsars of 0.5, 5 and 12 s with 1 % and 3 % duty cycles
    // at S/N 12, four noise realisations each. A boxcar on a Gaussian pulse
    // keeps ~94 % of the matched filter's S/N, the FFA's shifts and the trial
    // spacing a few per cent more: the mean over the realisations must be
    // between 9.5 and 12.5 (riptide: 0.86-0.91 of the ideal on such series,
    // `docs/ffa.md`), each above 7.5.
    let searcher = FfaSearcher::new(FfaConfig::default()).unwrap();
    let (n, dt) = (160_000, 1e-3);
    for (i, &(period, duty)) in [(0.5, 0.03), (5.0, 0.01), (12.0, 0.01), (5.0, 0.03)].iter().enumerate() {
        let mut snrs = Vec::new();
        for seed in 0..4u64 {
            let ts = series(n, dt, period, duty, 12.0, 10 * i as u64 + seed);
            let pg = searcher.search(&ts).unwrap();
            let peaks = pg.peaks(7.0, 16);
            // Keeping only the trials over the threshold gives the same peaks
            // from a fraction of the trials.
            let above = searcher.search_above(&ts, 7.0).unwrap();
            assert_eq!(above.peaks(7.0, 16), peaks);
            assert!(
                !above.is_empty() && above.len() * 20 < pg.len(),
                "{} of {}",
                above.len(),
                pg.len()
            );
            assert!(above.snr.iter().all(|&s| s >= 7.0));
            let best = peaks
                .iter()
                .find(|p| (p.period_s / period - 1.0).abs() < 1e-3)
                .unwrap_or_else(|| panic!("P {period} s, duty {duty}: not found in {peaks:?}"));
            assert!(best.snr > 7.5, "P {period} s, duty {duty}: S/N {:.2}", best.snr);
            // The width the boxcar chose is near the pulse's.
            assert!(
                best.duty > duty / 3.0 && best.duty < duty * 3.0,
                "P {period} s: duty {} for {duty}",
                best.duty
            );
            // Period within two trials (P²/(240·T) apart) plus the range over
            // which the pulse drifts by less than its width (duty·P²/T).
            let t = n as f64 * dt;
            let tol = 2.0 * period * period / (240.0 * t) + duty * period * period / t;
            assert!(
                (best.period_s - period).abs() < tol,
                "P {} for {period} (±{tol})",
                best.period_s
            );
            snrs.push(best.snr);
        }
        let mean = snrs.iter().sum::<f64>() / snrs.len() as f64;
        eprintln!("P {period} s, duty {duty}: S/N {snrs:.2?}, mean {mean:.2}");
        assert!((9.5..=12.5).contains(&mean), "P {period} s, duty {duty}: S/N {snrs:?}");
    }
    // Noise alone (with the drift): nothing reaches 7.
    let ts = series(n, dt, 5.0, 0.01, 0.0, 99);
    let pg = searcher.search(&ts).unwrap();
    let top = pg.snr.iter().copied().fold(0.0f32, f32::max);
    assert!(top < 7.0, "noise reached S/N {top}");
}

/// A 160-s beam: 64 channels over the PALFA band at 1 ms, with one pulsar
/// of 1 % duty cycle at S/N 12. (One pulsar per beam: a 5-s and a 12-s
/// pulsar in one beam are at the ratio 12/5, which sifting rightly takes for
/// harmonics of one signal.)
fn slow_beam(period_s: f64, dm: f64, seed: u64) -> SimParams {
    SimParams {
        seed,
        nchans: 64,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 5.04,
        tsamp_s: 1e-3,
        nsamples: 160_000,
        pulsars: vec![PulsarSpec {
            period_s,
            dm,
            duty: 0.01,
            snr: 12.0,
            accel_m_s2: 0.0,
            phase: 0.3,
        }],
        rfi: RfiSpec::default(),
        ..SimParams::default()
    }
}

fn search(dir: &Path, beam: &Path, ffa: bool) -> SearchResults {
    let cfg = Config::defaults_in(&dir.join("setup")).unwrap();
    let mut s = cfg.searching.clone();
    s.dedisp.ddplan = DdplanChoice::Auto;
    s.dedisp.max_dm = 200.0;
    s.dedisp.nsub = 32;
    s.ffa.enabled = ffa;
    let job = SearchJob {
        files: vec![beam.to_path_buf()],
        outdir: dir.join(if ffa { "with_ffa" } else { "fft_only" }),
        searching: s,
        processing: cfg.processing.clone(),
        version: "test".into(),
        keep_workdir: false,
        series_budget_bytes: 256 << 20,
    };
    run_search(&job, &NoProgress).unwrap()
}

fn folded_at(r: &SearchResults, period: f64) -> Option<&PeriodicityCandidate> {
    r.candidates
        .iter()
        .filter(|c| (c.period_s / period - 1.0).abs() < 2e-3)
        .max_by(|a, b| a.prepfold_sigma.total_cmp(&b.prepfold_sigma))
}

#[test]
fn the_ffa_folds_slow_pulsars_that_the_fft_search_alone_does_not() {
    for (period, dm, seed) in [(5.0, 60.0, 5), (12.0, 110.0, 6)] {
        let dir = tempfile::tempdir().unwrap();
        let beam = dir.path().join("slow.fil");
        let truth = simulate(&slow_beam(period, dm, seed), &beam, &|_, _| {}).unwrap();
        let fft = search(dir.path(), &beam, false);
        let both = search(dir.path(), &beam, true);
        check(&truth.pulsars[0], &fft, &both);
    }
}

fn check(p: &palfa_core::simulate::PulsarTruth, fft: &SearchResults, both: &SearchResults) {
    {
        let f = folded_at(fft, p.period_s);
        assert!(
            f.is_none_or(|c| c.prepfold_sigma < 8.0),
            "P {} s: the FFT search alone folded it: {f:?}",
            p.period_s
        );
        let c = folded_at(both, p.period_s)
            .unwrap_or_else(|| panic!("P {} s: not folded with the FFA: {:?}", p.period_s, both.candidates));
        assert_eq!(c.search, CandidateSearch::Ffa, "P {} s", p.period_s);
        // The fold's matched-filter S/N: the χ² significance of a 1 % pulse at
        // S/N 12 in 200 bins is only ~6-7 σ (`docs/ffa.md`), so the fold's
        // detection is judged by its boxcar S/N, as the FFA's.
        let snr = value_of(&c.ratings, "profile_snr").unwrap();
        assert!(
            snr > 8.0,
            "P {} s: fold S/N {snr} at P {} DM {} (sifted P {} DM {}, width {:?})",
            p.period_s,
            c.period_s,
            c.dm,
            c.sifting_period_s,
            c.sifting_dm,
            c.pulse_width_s
        );
        assert!(
            c.prepfold_sigma > 5.0,
            "P {} s: fold sigma {}",
            p.period_s,
            c.prepfold_sigma
        );
        assert!(c.pulse_width_s.is_some_and(|w| w > 0.0 && w < 0.05 * p.period_s));
        // Among the two best scores.
        let mut scores: Vec<f64> = both
            .candidates
            .iter()
            .filter_map(|c| value_of(&c.ratings, "score"))
            .collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        let score = value_of(&c.ratings, "score").unwrap();
        assert!(
            scores.len() < 2 || score >= scores[1],
            "P {} s: score {score} of {scores:?}",
            p.period_s
        );
        eprintln!(
            "P {} s: FFA sifting sigma {:.1}, folded at P {:.6} s DM {:.1}: fold S/N {snr:.1}, prepfold sigma {:.1}, score {score:.3} (FFT search alone: {})",
            p.period_s,
            c.sifting_sigma,
            c.period_s,
            c.dm,
            c.prepfold_sigma,
            f.map_or("not folded".to_string(), |f| format!("{:.1} sigma", f.prepfold_sigma))
        );
    }
}

/// A bright 73-ms pulsar folds in the FFA at whole multiples of its period
/// (17, 22, 29, 43 turns and more in a 33-s beam): none of those may reach
/// the folded list, where they would sit beside the pulsar as "slow pulsars".
#[test]
fn a_bright_fast_pulsar_leaves_no_ffa_folds_at_multiples_of_its_period() {
    const PERIOD: f64 = 0.0733;
    let params = SimParams {
        seed: 7,
        nchans: 64,
        fch1_mhz: 1500.0,
        chan_bw_mhz: 2.0,
        tsamp_s: 256e-6,
        nsamples: 131_072,
        pulsars: vec![PulsarSpec {
            period_s: PERIOD,
            dm: 50.0,
            duty: 0.05,
            snr: 40.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        rfi: RfiSpec::default(),
        ..SimParams::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let beam = tmp.path().join("bright.fil");
    simulate(&params, &beam, &|_, _| {}).unwrap();
    let r = search(tmp.path(), &beam, true);
    assert!(folded_at(&r, PERIOD).is_some(), "the pulsar is folded");
    for c in r.candidates.iter().filter(|c| c.search == CandidateSearch::Ffa) {
        let k = c.period_s / PERIOD;
        assert!(
            (k - k.round()).abs() > 0.02 * k.round().max(1.0) * 0.1 || k.round() < 2.0,
            "FFA fold {} at {:.4} s is {k:.3} turns of the pulsar",
            c.cand_num,
            c.period_s
        );
    }
}
