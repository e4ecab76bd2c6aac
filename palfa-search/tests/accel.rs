//! Acceleration search on synthetic series with known answers and on a real
//! PRESTO time series.

mod accel_support;

use accel_support::*;
use palfa_core::formats::presto::AccelFile;
use palfa_search::accel::{write_accel_file, AccelConfig, AccelSearcher, Normalised};
use palfa_search::spectrum::Spectrum;
use palfa_search::stats::candidate_sigma;
use palfa_search::{AccelCandidate, AccelPass, TimeSeries};

fn search(
    spec: &Spectrum,
    params: &palfa_core::config::AccelParams,
    pass: AccelPass,
) -> (AccelSearcher, Vec<AccelCandidate>) {
    let cfg = AccelConfig::new(params, pass).unwrap();
    let s = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
    let c = s.search(spec).unwrap();
    (s, c)
}

/// Expected refined summed power of `h` harmonics (signal + 1 per harmonic of
/// noise) and its standard deviation (each harmonic: var = 2S + 1).
fn expected_sum(p: &Pulsar, n: usize, h: usize) -> (f64, f64) {
    let s: Vec<f64> = (1..=h).map(|k| p.harmonic_power(n, k)).collect();
    let mean = s.iter().sum::<f64>() + h as f64;
    let var: f64 = s.iter().map(|x| 2.0 * x + 1.0).sum();
    (mean, var.sqrt())
}

#[test]
fn lo_pass_finds_an_isolated_pulsar_with_its_harmonics() {
    let n = 1 << 18;
    let dt = 2e-4;
    let psr = Pulsar {
        f0: 1.0 / 0.0213,
        fdot: 0.0,
        duty: 0.05,
        snr: 20.0,
    };
    let spec = whitened(&series(n, dt, std::slice::from_ref(&psr), 1));
    let r_true = psr.f0 * spec.t_obs_s;
    let (s, cands) = search(&spec, &lo_params(), AccelPass::Lo);
    let top = &cands[0];
    eprintln!(
        "top: r {} (true {r_true}) numharm {} sigma {} power {}",
        top.r, top.numharm, top.sigma, top.power
    );
    // Refinement locates the fundamental to a small fraction of a bin
    // (the statistical error is ~0.1/√P bins; 0.1 bins is generous).
    assert!((top.r - r_true).abs() < 0.1, "r {} vs {r_true}", top.r);
    assert_eq!(top.pass, AccelPass::Lo);
    assert_eq!(top.z, 0.0);
    // A 5% duty cycle puts power in ~12 harmonics: the 8- or 16-harmonic sum wins.
    assert!(top.numharm >= 8, "numharm {}", top.numharm);
    let (mean, sd) = expected_sum(&psr, n, top.numharm);
    let got: f64 = top.harm_powers.iter().sum();
    eprintln!("refined summed power {got:.1}, expected {mean:.1} ± {sd:.1}");
    assert!((got - mean).abs() < 4.0 * sd, "{got} vs {mean} ± {sd}");
    // The search-grid power loses at most the half-bin scalloping (≤ 19% per
    // harmonic) and never exceeds the refined one by more than noise.
    assert!(top.power > 0.7 * (mean - 3.0 * sd) && top.power < got + 3.0 * sd);
    // Sigma is the trials-corrected significance of that power.
    let stage = top.numharm.trailing_zeros() as usize;
    let expect_sigma = candidate_sigma(top.power, top.numharm, s.numindep()[stage]);
    assert!((top.sigma - expect_sigma).abs() < 1e-9);
    let lo_sigma = candidate_sigma(0.7 * (mean - 3.0 * sd), top.numharm, s.numindep()[stage]);
    let hi_sigma = candidate_sigma(mean + 3.0 * sd, top.numharm, s.numindep()[stage]);
    assert!(
        top.sigma > lo_sigma && top.sigma < hi_sigma,
        "{lo_sigma} < {} < {hi_sigma}",
        top.sigma
    );
}

/// One normalisation searched by both passes finds what each pass finds
/// normalising for itself; a searcher that does not normalise ignores it;
/// one of another spectrum's length is an error.
#[test]
fn passes_share_one_normalisation() {
    let (n, dt) = (1 << 17, 2e-4);
    let psr = Pulsar {
        f0: 1.0 / 0.0123,
        fdot: 0.0,
        duty: 0.1,
        snr: 25.0,
    };
    // Red noise left in: the block levels differ from 1.
    let mut spec = whitened(&series(n, dt, std::slice::from_ref(&psr), 3));
    for (k, a) in spec.amps.iter_mut().enumerate() {
        *a *= 1.0 + 3.0 * (-(k as f32) / 2000.0).exp();
    }
    let norm = Normalised::new(&spec);
    for (params, pass) in [(lo_params(), AccelPass::Lo), (hi_params(), AccelPass::Hi)] {
        let (s, own) = search(&spec, &params, pass);
        assert!(!own.is_empty(), "{pass:?}: no candidates");
        assert_eq!(s.search_normalised(&spec, &norm).unwrap(), own);
        let mut cfg = AccelConfig::new(&params, pass).unwrap();
        cfg.block_normalise = false;
        let raw = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
        let unnormalised = raw.search(&spec).unwrap();
        assert_ne!(unnormalised, own);
        assert_eq!(raw.search_normalised(&spec, &norm).unwrap(), unnormalised);
    }
    let short = whitened(&series(n / 2, dt, &[], 4));
    let (s, _) = search(&spec, &lo_params(), AccelPass::Lo);
    assert!(s.search_normalised(&spec, &Normalised::new(&short)).is_err());
}

#[test]
fn hi_pass_finds_an_accelerated_pulsar_that_the_lo_pass_misses() {
    let n = 1 << 18;
    let dt = 2e-4;
    let t = n as f64 * dt;
    let z_true = 20.0;
    let psr = Pulsar {
        f0: 1.0 / 0.0123,
        fdot: z_true / (t * t),
        duty: 0.1,
        snr: 25.0,
    };
    let spec = whitened(&series(n, dt, std::slice::from_ref(&psr), 2));
    // Average Fourier frequency over the observation.
    let r_avg = psr.f0 * t + 0.5 * z_true;
    let (_, hi) = search(&spec, &hi_params(), AccelPass::Hi);
    let (_, lo) = search(&spec, &lo_params(), AccelPass::Lo);
    let top = &hi[0];
    eprintln!(
        "hi top: r {} (true {r_avg}) z {} numharm {} sigma {}",
        top.r, top.z, top.numharm, top.sigma
    );
    assert!((top.r - r_avg).abs() < 0.5, "r {} vs {r_avg}", top.r);
    assert!((top.z - z_true).abs() < 2.0, "z {}", top.z);
    assert!((top.fdot_hz_s() - psr.fdot).abs() < 2.0 / (t * t));
    // The lo pass (z = 0) sees the signal smeared over ~20 bins.
    let lo_best = lo
        .iter()
        .filter(|c| (c.r - r_avg).abs() < 15.0)
        .map(|c| c.sigma)
        .fold(0.0, f64::max);
    eprintln!("lo best near it: sigma {lo_best}");
    assert!(top.sigma > lo_best + 5.0, "hi {} vs lo {lo_best}", top.sigma);
}

#[test]
fn noise_alone_gives_false_alarms_at_the_computed_rate() {
    // 24 pure-noise series of 2^16 samples through both passes. The expected
    // number of threshold crossings of one series is Σ_stages cells · Q(σ) /
    // numindep(stage), with cells = 2·(rhi − rlo)·numz half-bin/z cells of the
    // highest harmonic. Neighbouring cells are correlated and crossings within
    // 15 bins become one candidate, which lowers the count; the ~10% scatter
    // of the whitening level (a 100-bin median) raises the tail of the
    // few-harmonic sums, whose thresholds are 20–30 × the mean power, which
    // can double it. PRESTO's numindep counts only ~1/2 to 1/7 of the cells as
    // independent, so either way the rate is well above the naive
    // stages·Q(σ) — as it is in PRESTO, whose statistics these are.
    let n = 1 << 16;
    let seeds = 24u64;
    for (params, pass) in [(lo_params(), AccelPass::Lo), (hi_params(), AccelPass::Hi)] {
        let mut count = 0usize;
        let mut expected = 0.0;
        for seed in 0..seeds {
            let spec = whitened(&series(n, 5e-4, &[], 1000 + seed));
            let (s, cands) = search(&spec, &params, pass);
            let (rlo, rhi) = s.r_range();
            let cells = 2.0 * (rhi - rlo) as f64 * (s.config().zmax + 1) as f64;
            let q = palfa_search::stats::normal_logq(params.sigma).exp();
            expected += s.numindep().iter().map(|&ni| cells * q / ni).sum::<f64>();
            // With the trials correction, P(any stage > 6σ) is ~1e-8 even at
            // 7× the nominal trials.
            assert!(cands.iter().all(|c| c.sigma < 6.0), "{pass:?} seed {seed}: {cands:?}");
            assert!(cands.iter().all(|c| c.sigma >= params.sigma - 1e-9));
            count += cands.len();
        }
        let naive = seeds as f64 * s_stages(&params) * palfa_search::stats::normal_logq(params.sigma).exp();
        eprintln!(
            "{pass:?}: {count} candidates in {seeds} noise series; bound {expected:.1}, naive stages·Q(σ) {naive:.2}"
        );
        let bound = 2.0 * expected;
        assert!(
            (count as f64) < bound + 3.0 * bound.sqrt(),
            "{count} false alarms, expected ≤ {bound}"
        );
        assert!(
            (count as f64) > 0.2 * expected - 2.0 * expected.sqrt(),
            "{count} false alarms: thresholds too high?"
        );
    }
}

fn s_stages(p: &palfa_core::config::AccelParams) -> f64 {
    (p.numharm.trailing_zeros() + 1) as f64
}

#[test]
fn odd_and_short_series_work() {
    // 2^20 / 5 rounded up: an odd length, on which PRESTO's accelsearch hangs.
    let n = 209_715;
    let dt = 2.5e-4;
    let psr = Pulsar {
        f0: 7.3,
        fdot: 0.0,
        duty: 0.05,
        snr: 20.0,
    };
    let spec = whitened(&series(n, dt, std::slice::from_ref(&psr), 5));
    assert_eq!(spec.amps.len(), n / 2 + 1);
    for (params, pass) in [(lo_params(), AccelPass::Lo), (hi_params(), AccelPass::Hi)] {
        let (_, cands) = search(&spec, &params, pass);
        let top = &cands[0];
        assert!(
            (top.freq_hz() - 7.3).abs() < 0.5 / spec.t_obs_s,
            "{pass:?}: {} Hz",
            top.freq_hz()
        );
    }
    for n in [3usize, 17, 100, 1001, 4097] {
        let spec = whitened(&series(n, 1e-3, &[], 6));
        for (params, pass) in [(lo_params(), AccelPass::Lo), (hi_params(), AccelPass::Hi)] {
            let (_, cands) = search(&spec, &params, pass);
            assert!(cands.iter().all(|c| c.sigma.is_finite() && c.r > 0.0), "n = {n}");
        }
    }
    // A spectrum of another length is refused, not searched.
    let spec = whitened(&series(1000, 1e-3, &[], 7));
    let cfg = AccelConfig::new(&lo_params(), AccelPass::Lo).unwrap();
    let s = AccelSearcher::new(spec.num_bins() + 1, spec.t_obs_s, &cfg).unwrap();
    assert!(s.search(&spec).is_err());
}

#[test]
fn accel_file_round_trips_and_reads_like_presto() {
    let n = 1 << 16;
    let psr = Pulsar {
        f0: 31.7,
        fdot: 0.0,
        duty: 0.05,
        snr: 25.0,
    };
    let spec = whitened(&series(n, 5e-4, std::slice::from_ref(&psr), 8));
    let cfg = AccelConfig::new(&hi_params(), AccelPass::Hi).unwrap();
    let s = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
    let dets = s.search_detailed(&spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_accel_file(&dets, &spec, &dir.path().join("syn_DM0.00"), 50).unwrap();
    assert!(path.ends_with("syn_DM0.00_ACCEL_50"));
    let f = AccelFile::read(&path).unwrap();
    assert_eq!(f.cands.len(), dets.len());
    assert_eq!(f.inf.n, n as u64);
    let (a, d) = (&f.cands[0], &dets[0]);
    assert!((a.r - d.candidate.r).abs() < 0.01 && (a.sigma - d.candidate.sigma).abs() < 0.006);
    assert_eq!(a.harmonics.len(), d.candidate.numharm);
    assert!((a.harmonics[0].power - d.harmonics[0].power).abs() < 0.06);
    assert!((a.r / f.t_obs_s() - 31.7).abs() < 0.01);
    // The binary .cand beside it, one 88-byte record per candidate.
    let cand = palfa_search::accel::write_cand(&dets, &dir.path().join("syn_DM0.00"), 50).unwrap();
    assert!(cand.ends_with("syn_DM0.00_ACCEL_50.cand"));
    let recs = palfa_core::formats::presto::read_cand_file(&cand).unwrap();
    assert_eq!(recs.len(), dets.len());
    assert!((recs[0].r - d.candidate.r).abs() < 1e-9 && (recs[0].pow as f64 - d.harmonics[0].power).abs() < 1e-3);
}

#[test]
fn real_pulsar_j1807_is_the_top_candidate() {
    let Some(dat) = shared("sigpyproc3/GBT_J1807-0847.dat") else {
        return;
    };
    let ts = TimeSeries::read(&dat).unwrap();
    let spec = whitened(&ts);
    let f_psr = 1.0 / 0.16338;
    for (params, pass) in [(lo_params(), AccelPass::Lo), (hi_params(), AccelPass::Hi)] {
        let (_, cands) = search(&spec, &params, pass);
        let top = &cands[0];
        let ratio = top.freq_hz() / f_psr;
        eprintln!(
            "{pass:?}: top {:.5} Hz (P {:.5} ms) sigma {:.2} numharm {} z {:.2}; ratio to 6.1207 Hz {ratio:.4}; {} candidates",
            top.freq_hz(),
            1e3 * top.period_s(),
            top.sigma,
            top.numharm,
            top.z,
            cands.len()
        );
        // The fundamental (or a harmonic) of the pulsar, to within a bin.
        let h = ratio.round().max(1.0);
        assert!(
            (top.freq_hz() - h * f_psr).abs() < 1.0 / spec.t_obs_s,
            "{} Hz",
            top.freq_hz()
        );
        assert!(top.sigma > 8.0);
    }
}

#[test]
fn one_searcher_serves_parallel_dm_trials_and_internal_parallelism_agrees() {
    use rayon::prelude::*;
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<AccelSearcher>();
    assert_send_sync::<palfa_search::spectrum::SpectrumMaker>();
    let n = 1 << 16;
    let specs: Vec<Spectrum> = (0..4)
        .map(|i| {
            let psr = Pulsar {
                f0: 17.0 + i as f64,
                fdot: 0.0,
                duty: 0.05,
                snr: 20.0,
            };
            whitened(&series(n, 5e-4, std::slice::from_ref(&psr), 30 + i))
        })
        .collect();
    let mut cfg = AccelConfig::new(&hi_params(), AccelPass::Hi).unwrap();
    let s = AccelSearcher::new(specs[0].num_bins(), specs[0].t_obs_s, &cfg).unwrap();
    let serial: Vec<Vec<AccelCandidate>> = specs.iter().map(|sp| s.search(sp).unwrap()).collect();
    let par: Vec<Vec<AccelCandidate>> = specs.par_iter().map(|sp| s.search(sp).unwrap()).collect();
    assert_eq!(serial, par);
    cfg.parallel = true;
    let sp = AccelSearcher::new(specs[0].num_bins(), specs[0].t_obs_s, &cfg).unwrap();
    for (spec, want) in specs.iter().zip(&serial) {
        assert_eq!(&sp.search(spec).unwrap(), want);
        assert!((want[0].freq_hz() - (spec.freq_hz(want[0].r))).abs() < 1e-12);
    }
    for (i, c) in serial.iter().enumerate() {
        assert!((c[0].freq_hz() - (17.0 + i as f64)).abs() < 0.5 / specs[i].t_obs_s);
    }
}

#[test]
fn bad_settings_are_errors_not_panics() {
    use palfa_core::config::AccelParams;
    let ok = AccelParams {
        numharm: 8,
        sigma: 3.0,
        zmax: 50,
        flo_hz: 1.0,
        fhi_hz: 100.0,
    };
    for bad in [
        AccelParams {
            numharm: 3,
            ..ok.clone()
        },
        AccelParams {
            numharm: 64,
            ..ok.clone()
        },
        AccelParams {
            flo_hz: 0.0,
            ..ok.clone()
        },
        AccelParams {
            flo_hz: 200.0,
            ..ok.clone()
        },
        AccelParams {
            sigma: f64::NAN,
            ..ok.clone()
        },
    ] {
        assert!(AccelConfig::new(&bad, AccelPass::Hi).is_err(), "{bad:?}");
    }
    let cfg = AccelConfig::new(&ok, AccelPass::Hi).unwrap();
    assert_eq!(
        AccelConfig::new(&AccelParams { zmax: 49, ..ok.clone() }, AccelPass::Hi)
            .unwrap()
            .zmax,
        50
    );
    assert!(AccelSearcher::new(1000, 0.0, &cfg).is_err());
    assert!(AccelSearcher::new(1000, -1.0, &cfg).is_err());
    let mut short = cfg.clone();
    short.fft_len = Some(256);
    assert!(AccelSearcher::new(1000, 10.0, &short).is_err());
    // zmax 1200 over 2^23 bins would need a 75 GiB plane: refused up front.
    let huge = AccelConfig::new(&AccelParams { zmax: 1200, ..ok }, AccelPass::Hi).unwrap();
    assert!(AccelSearcher::new(1 << 23, 500.0, &huge).is_err());
}

/// The hi pass keeps only the plane rows and columns its subharmonics read
/// (about 0.77 of the whole 2·(zmax+1)·2·N_bins bytes at zmax 50, 8
/// harmonics) and their envelope (an eighth of that again): 0.87.
#[test]
fn the_hi_plane_keeps_only_what_the_harmonic_sum_reads() {
    let params = palfa_core::config::AccelParams::DEFAULT_HI;
    let cfg = AccelConfig::new(&params, AccelPass::Hi).unwrap();
    let n_bins = (1usize << 19) + 1;
    let s = AccelSearcher::new(n_bins, 68.72, &cfg).unwrap();
    let whole = 2.0 * 51.0 * 2.0 * n_bins as f64;
    let kept = s.plane_bytes() as f64 / whole;
    eprintln!("kept {kept:.3} of the plane: {} bytes", s.plane_bytes());
    assert!(kept > 0.84 && kept < 0.90, "{kept}");
}
