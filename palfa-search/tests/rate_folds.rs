//! Ratings of folds with known contents: a dispersed pulsar, DM-0 periodic
//! RFI (a mains harmonic), two bright single pulses folded at a period, and
//! noise, all in one simulated beam (palfa_core::simulate); and PRESTO's folds
//! of real pulsars (`../shared/data/presto/`, skipped where absent).

use palfa_core::beam::open_beam;
use palfa_core::formats::presto::Pfd;
use palfa_core::simulate::{simulate, PulsarSpec, RfiSpec, SimParams, SinglePulseSpec};
use palfa_search::fold::{fold_candidates, FoldConfig, FoldRequest, FoldResult};
use palfa_search::rate::{rate_fold, rate_pfd, value_of, RateConfig, Rating, RATERS};

fn v(r: &[Rating], name: &str) -> f64 {
    value_of(r, name).unwrap_or_else(|| panic!("{name} has no value: {r:?}"))
}

fn show(label: &str, r: &[Rating]) {
    let line: Vec<String> = r
        .iter()
        .map(|x| format!("{}={}", x.name, x.value.map_or("-".into(), |v| format!("{v:.3}"))))
        .collect();
    eprintln!("{label}: {}", line.join(" "));
}

/// 256 channels of the PALFA band, 2^17 samples of 65.476 µs (8.6 s).
fn folds() -> Vec<FoldResult> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beam.fil");
    let mains_harmonic = 60.0 / 3.0; // 20 Hz: 60 Hz × 1/3
    let sim = SimParams {
        seed: 5,
        nsamples: 1 << 17,
        pulsars: vec![PulsarSpec {
            period_s: 0.0893,
            dm: 150.0,
            duty: 0.04,
            snr: 25.0,
            accel_m_s2: 0.0,
            phase: 0.2,
        }],
        single_pulses: vec![
            SinglePulseSpec {
                time_s: 2.0,
                dm: 300.0,
                width_s: 3e-3,
                snr: 40.0,
            },
            SinglePulseSpec {
                time_s: 6.5,
                dm: 300.0,
                width_s: 3e-3,
                snr: 40.0,
            },
        ],
        rfi: RfiSpec {
            periodic_hz: mains_harmonic,
            periodic_amplitude: 0.25,
            periodic_harmonics: 3,
            ..RfiSpec::default()
        },
        ..SimParams::default()
    };
    simulate(&sim, &path, &|_, _| {}).unwrap();
    let reqs = [
        FoldRequest::new("pulsar", 0.0893, 0.0, 150.0, 10.0),
        FoldRequest::new("mains", 1.0 / mains_harmonic, 0.0, 2.0, 10.0),
        FoldRequest::new("pulses", 0.731, 0.0, 300.0, 10.0),
        FoldRequest::new("noise", 0.01234, 0.0, 500.0, 10.0),
    ];
    let cfg = FoldConfig {
        nsub: 32,
        // Clipping would take the DM-0 signal out; the raters must see it.
        clip_sigma: 0.0,
        ..FoldConfig::default()
    };
    let mut beam = open_beam(&[&path]).unwrap();
    fold_candidates(beam.as_mut(), &reqs, &cfg, &|_, _| {}).unwrap()
}

#[test]
fn the_ratings_tell_a_pulsar_from_rfi_bursts_and_noise() {
    let folds = folds();
    let cfg = RateConfig::default();
    let r: Vec<Vec<Rating>> = folds.iter().map(|f| rate_fold(f, &cfg)).collect();
    for (f, r) in folds.iter().zip(&r) {
        eprintln!("{} sigma {:.1}", f.label, f.sigma());
        show(&f.label, r);
        // Every rater, then the score.
        assert_eq!(r.len(), RATERS.len() + 1);
        assert_eq!(r.last().unwrap().name, "score");
    }
    let (psr, mains, pulses, noise) = (&r[0], &r[1], &r[2], &r[3]);
    // DM comparison: the pulsar vanishes at DM 0, the mains signal does not.
    assert!(v(psr, "dm0_peak_ratio") < 0.5, "{psr:?}");
    assert!(v(psr, "dm0_chi2_ratio") < 0.3, "{psr:?}");
    assert!(v(mains, "dm0_peak_ratio") > 0.85, "{mains:?}");
    assert!(v(mains, "dm0_chi2_ratio") > 0.8, "{mains:?}");
    // Mains: on a ratio of 60 Hz, the pulsar not.
    assert!(v(mains, "mains_closeness") > 0.9);
    assert!(v(psr, "mains_closeness") < 0.01);
    // Shape: one narrow Gaussian for the pulsar, a narrow duty cycle.
    assert!(v(psr, "multigauss_number") >= 1.0);
    assert!(v(psr, "duty_cycle") < 0.1, "{psr:?}");
    assert!(v(psr, "gaussian_amplitude") > 5.0);
    assert!(v(psr, "pulse_width_floor") < 1.0);
    // Broadband and steady: most subbands and sub-integrations carry it, evenly.
    assert!(v(psr, "good_subbands_fraction") > 0.6, "{psr:?}");
    assert!(v(psr, "good_subints_fraction") > 0.6, "{psr:?}");
    assert!(v(psr, "subints_snr_scatter") < 2.0, "{psr:?}");
    // Two pulses: a few sub-integrations hold everything.
    assert!(v(pulses, "good_subints_fraction") < 0.5, "{pulses:?}");
    assert!(
        v(pulses, "subints_snr_scatter") > 2.0 * v(psr, "subints_snr_scatter"),
        "{pulses:?}"
    );
    // Noise: nothing to fit.
    assert_eq!(value_of(noise, "multigauss_number"), Some(0.0), "{noise:?}");
    assert_eq!(value_of(noise, "good_subbands_fraction"), None);
    // The score (the built-in model; these folds were not in its training):
    // the pulsar well above the threshold of 0.5, the others below it.
    eprintln!(
        "scores: pulsar {:.3}, mains {:.3}, pulses {:.3}, noise {:.3}",
        v(psr, "score"),
        v(mains, "score"),
        v(pulses, "score"),
        v(noise, "score")
    );
    assert!(v(psr, "score") > 0.8, "{psr:?}");
    for other in [mains, pulses, noise] {
        assert!(v(other, "score") < 0.5, "{other:?}");
    }
}

#[test]
fn prestos_folds_of_real_pulsars_rate_as_pulsars() {
    let Some(dir) = palfa_testkit::shared_data("presto") else {
        return;
    };
    for name in [
        "M28A_bary_PSR_1824-2452A.pfd",
        "Ter5_080912_bary_DM238.30_ACCEL_Cand_2.pfd",
    ] {
        let pfd = Pfd::read(dir.join(name)).unwrap();
        let r = rate_pfd(&pfd, &RateConfig::default());
        show(name, &r);
        assert!(v(&r, "multigauss_number") >= 1.0, "{name}");
        assert!(v(&r, "duty_cycle") < 0.1, "{name}");
        assert!(v(&r, "gaussian_amplitude") > 5.0, "{name}");
        assert!(v(&r, "pulse_width_floor") < 1.0, "{name}");
        assert!(v(&r, "good_subints_fraction") > 0.6, "{name}");
        assert!(v(&r, "subints_snr_scatter") < 2.0, "{name}");
        assert!(v(&r, "mains_closeness") < 0.5, "{name}");
        // Above the threshold docs/ratings.md gives.
        assert!(v(&r, "score") > 0.5, "{name}");
        // One subband: no DM comparison, no subbands.
        assert_eq!(value_of(&r, "dm0_peak_ratio"), None);
        assert_eq!(value_of(&r, "good_subbands_fraction"), None);
        // Terzan 5's candidate 2 is PSR J1748-2446N (8.667 ms, DM 238.3) of
        // the catalogue; M28A's fold is of Chandra X-ray events, at DM 0,
        // not the pulsar's radio DM 119.9, so it does not match.
        let known = if name.starts_with("Ter5") { 1.0 } else { 0.0 };
        assert_eq!(value_of(&r, "known_pulsar"), Some(known), "{name}");
    }
}
