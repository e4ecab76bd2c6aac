//! Folding synthetic beams with known answers (palfa_core::simulate): pulsars
//! recovered from slightly wrong candidate parameters, noise that stays
//! insignificant, single pulses flagged as impulsive, and the fold files.

use std::path::{Path, PathBuf};

use palfa_core::beam::open_beam;
use palfa_core::formats::presto::{Bestprof, Pfd};
use palfa_core::simulate::{simulate, PulsarSpec, SimParams, SinglePulseSpec, Truth};
use palfa_search::fold::{
    fold_candidates, plot_fold, write_bestprof, write_pfd, FoldConfig, FoldParams, FoldRequest, FoldResult,
    ImpulsiveRule,
};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn make_beam(dir: &Path, p: &SimParams) -> (PathBuf, Truth) {
    let path = dir.join("beam.fil");
    let truth = simulate(p, &path, &|_, _| {}).unwrap();
    (path, truth)
}

fn fold(path: &Path, reqs: &[FoldRequest], cfg: &FoldConfig) -> Vec<FoldResult> {
    let mut beam = open_beam(&[path]).unwrap();
    fold_candidates(beam.as_mut(), reqs, cfg, &|_, _| {}).unwrap()
}

/// The PALFA band (1537 MHz down, 322.56 MHz wide) in 512 channels of
/// 65.476 µs for 2^17 samples (8.6 s): the reference beam's MSPs, S/N 25.
#[test]
fn msps_are_recovered_from_a_nearby_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let nsamples = 1u64 << 17;
    let t = nsamples as f64 * 65.476e-6;
    // z = +20 at the fundamental over this beam (a = −z·c/(f·T²)).
    let accel = -20.0 * 299_792_458.0 * 3.6917e-3 / (t * t);
    let sim = SimParams {
        seed: 11,
        nchans: 512,
        chan_bw_mhz: 322.56 / 512.0,
        nsamples,
        pulsars: vec![
            PulsarSpec {
                period_s: 4.1573e-3,
                dm: 131.4,
                duty: 0.05,
                snr: 25.0,
                accel_m_s2: 0.0,
                phase: 0.0,
            },
            PulsarSpec {
                period_s: 3.6917e-3,
                dm: 134.8,
                duty: 0.05,
                snr: 25.0,
                accel_m_s2: accel,
                phase: 0.3,
            },
        ],
        ..SimParams::default()
    };
    let (path, truth) = make_beam(dir.path(), &sim);
    let bin = &truth.pulsars[1];
    assert!((bin.z - 20.0).abs() < 1e-9);
    // Candidates as a search gives them: a third and a fifth of a Fourier bin off
    // in frequency, 1.5 bins off in z, one PALFA DM step (0.1) off in DM.
    let f1 = 1.0 / 4.1573e-3 + 0.3 / t;
    let f2 = bin.f0_hz + 0.2 / t;
    let fd2 = (bin.z + 1.5) / (t * t);
    let reqs = [
        FoldRequest::new("MSP", 1.0 / f1, 0.0, 131.5, 10.0),
        FoldRequest::new("binary", 1.0 / f2, -fd2 / (f2 * f2), 134.9, 9.0),
    ];
    let cfg = FoldConfig {
        nsub: 64,
        ..FoldConfig::default()
    };
    let folds = fold(&path, &reqs, &cfg);
    assert_eq!(folds.len(), 2);
    // The truth at the fold epoch: the first sample at the top of the band, where the
    // binary's pulses left the pulsar one top-channel dispersion delay earlier.
    let d_top = palfa_core::astro::dispersion_delay_s(134.8, 1537.0);
    let truths = [
        (1.0 / 4.1573e-3, 0.0, 131.4),
        (bin.f0_hz - bin.fdot_hz_s * d_top, bin.fdot_hz_s, 134.8),
    ];
    for (r, &(f_true, fdot_true, dm_true)) in folds.iter().zip(&truths) {
        let s = &r.summary;
        let (p_true, pd_true) = (1.0 / f_true, -fdot_true / (f_true * f_true));
        // The period at the middle of the fold is what the profile pins down; its
        // error is prepfold's (Middleditch) period error. 8 seeds gave ≤ 1.6 errors.
        let p_mid = s.period_s + s.pdot * t / 2.0;
        let p_mid_true = p_true + pd_true * t / 2.0;
        let ddm = r.pfd.dms[1] - r.pfd.dms[0];
        eprintln!(
            "{}: P_mid off by {:.2} errors ({:.1e} relative), Pdot by {:.2} errors, DM {:.3} ({:+.2} steps of {ddm:.3}), \
             sigma {:.1} (DOF-corrected {:.1}), top-2 fraction {:.2}",
            r.label,
            (p_mid - p_mid_true) / s.period_err_s,
            (p_mid - p_mid_true) / p_mid_true,
            (s.pdot - pd_true) / s.pdot_err,
            s.dm,
            (s.dm - dm_true) / ddm,
            s.sigma,
            s.sigma_dof_corrected,
            r.impulsiveness.top_fraction
        );
        assert!(
            (p_mid - p_mid_true).abs() <= 3.0 * s.period_err_s,
            "{}: {p_mid} vs {p_mid_true}",
            r.label
        );
        assert!(((s.period_s - p_true) / p_true).abs() < 1e-4, "{}", r.label);
        // 8 seeds gave ≤ 1.3 errors.
        assert!(
            (s.pdot - pd_true).abs() <= 3.0 * s.pdot_err,
            "{}: {} vs {pd_true}",
            r.label,
            s.pdot
        );
        // The DM grid step is 3 bins of delay at the lowest channel (PALFA's
        // -dmstep 3): 0.089 and 0.079 here. The argmax lands on a grid point and an
        // S/N-25 profile pins the DM to about ±0.05; 8 seeds gave ≤ 1.73 steps.
        assert!(
            (s.dm - dm_true).abs() <= 2.0 * ddm,
            "{}: DM {} (step {ddm})",
            r.label,
            s.dm
        );
        assert!(
            s.sigma > 15.0 && s.sigma_dof_corrected > 12.0,
            "{}: sigma {}",
            r.label,
            s.sigma
        );
        assert!(!r.impulsive && r.impulsiveness.top_fraction < 0.2, "{}", r.label);
    }
    // The MSP (no acceleration) needs no period derivative.
    assert!(folds[0].summary.pdot.abs() <= 3.0 * folds[0].summary.pdot_err);
}

/// A beam of noise only, folded at random periods and DMs.
#[test]
fn noise_folds_are_not_significant() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimParams {
        seed: 5,
        nchans: 64,
        chan_bw_mhz: 5.04,
        tsamp_s: 2e-4,
        nsamples: 1 << 17,
        ..SimParams::default()
    };
    let (path, _) = make_beam(dir.path(), &sim);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let mut searched = Vec::new();
    let mut fixed = Vec::new();
    for i in 0..6 {
        // Periods log-uniform over 10 ms – 2 s, DMs uniform over 10 – 500.
        let period = 10f64.powf(rng.gen_range(-2.0..0.3));
        let dm = rng.gen_range(10.0..500.0);
        searched.push(FoldRequest::new(format!("search{i}"), period, 0.0, dm, 10.0));
        let mut p = FoldParams::palfa_for_period(period);
        (p.search_p, p.search_pdot, p.search_dm) = (false, false, false);
        fixed.push(FoldRequest {
            params: Some(p),
            ..FoldRequest::new(format!("fixed{i}"), period, 0.0, dm, 10.0)
        });
    }
    let cfg = FoldConfig {
        nsub: 32,
        ..FoldConfig::default()
    };
    let all: Vec<FoldRequest> = searched.iter().chain(&fixed).cloned().collect();
    let folds = fold(&path, &all, &cfg);
    assert_eq!(folds.len(), 12);
    let mut mean_redchi = 0.0;
    for r in &folds {
        let s = &r.summary;
        eprintln!(
            "{}: P {:.4} s, redchi {:.3}, sigma {:.2} (DOF-corrected {:.2}), dof_eff {:.1}",
            r.label, s.period_s, s.redchi2, s.sigma, s.sigma_dof_corrected, s.dof_eff
        );
        // Noise is never taken for a few bright pulses either.
        assert!(!r.impulsive, "{}: {:?}", r.label, r.impulsiveness);
        if r.label.starts_with("fixed") {
            // One trial: the DOF-corrected reduced χ² of noise is χ²_ν/ν with
            // ν = dof_eff (≥ 30 here: ≥ 50 bins of ≥ 1 sample), so within 1 ± 4·√(2/ν).
            assert!(
                (s.redchi2 - 1.0).abs() < 4.0 * (2.0 / s.dof_eff).sqrt(),
                "{}: {}",
                r.label,
                s.redchi2
            );
            assert!(s.sigma_dof_corrected < 3.5, "{}: {}", r.label, s.sigma_dof_corrected);
            mean_redchi += s.redchi2 / 6.0;
        } else {
            // The best of up to 4·10⁶ correlated trials: a few σ, never the 6σ
            // that PALFA required of a fold.
            assert!(s.sigma < 6.0, "{}: sigma {}", r.label, s.sigma);
        }
    }
    // The mean of six single-trial values: within 1 ± 3·√(2/30)/√6 ≈ 1 ± 0.22,
    // plus the few per cent PRESTO quotes for its DOF correction.
    assert!((mean_redchi - 1.0).abs() < 0.25, "{mean_redchi}");
}

/// PRESTO folded two single pulses 8.4 s apart as a 2.72-s "pulsar" at 50σ.
#[test]
fn single_pulses_folded_as_a_pulsar_are_flagged() {
    let base = SimParams {
        seed: 3,
        nchans: 64,
        chan_bw_mhz: 5.04,
        tsamp_s: 5e-4,
        nsamples: 1 << 17,
        ..SimParams::default()
    };
    let cfg = FoldConfig {
        nsub: 32,
        ..FoldConfig::default()
    };
    // Two bright pulses 8.4 s apart in noise, folded at 8.4 s / 3.
    let dir = tempfile::tempdir().unwrap();
    let sp = |time_s: f64| SinglePulseSpec {
        time_s,
        dm: 100.0,
        width_s: 0.005,
        snr: 60.0,
    };
    let with_pulses = SimParams {
        single_pulses: vec![sp(20.0), sp(28.4)],
        ..base.clone()
    };
    let (path, _) = make_beam(dir.path(), &with_pulses);
    let pulses = &fold(&path, &[FoldRequest::new("pulses", 2.8, 0.0, 100.0, 12.0)], &cfg)[0];
    // The reference beam's slow pulsar, of similar significance, in another beam.
    let dir2 = tempfile::tempdir().unwrap();
    let with_pulsar = SimParams {
        pulsars: vec![PulsarSpec {
            period_s: 0.7139,
            dm: 50.2,
            duty: 0.03,
            snr: 20.0,
            accel_m_s2: 0.0,
            phase: 0.6,
        }],
        ..base
    };
    let (path2, _) = make_beam(dir2.path(), &with_pulsar);
    let pulsar = &fold(&path2, &[FoldRequest::new("pulsar", 0.71391, 0.0, 50.2, 11.0)], &cfg)[0];
    for f in [pulses, pulsar] {
        eprintln!(
            "{}: sigma {:.1}, top {} of {} parts hold {:.2} (S/N {:.1})",
            f.label,
            f.summary.sigma,
            f.impulsiveness.top_parts,
            f.impulsiveness.parts_with_data,
            f.impulsiveness.top_fraction,
            f.impulsiveness.top_snr
        );
    }
    // Two bright pulses make a profile well above PALFA's 6σ fold threshold...
    assert!(pulses.summary.sigma > 10.0, "{}", pulses.summary.sigma);
    // ...but almost all of it from two sub-integrations (of ~23 with data).
    let imp = &pulses.impulsiveness;
    assert!(imp.parts_with_data >= 20, "{imp:?}");
    assert!(imp.top_fraction > 0.7 && imp.top_snr > 10.0, "{imp:?}");
    assert!(pulses.impulsive);
    // A steady pulsar spreads over its 30 sub-integrations: each holds ~1/30.
    assert!(pulsar.summary.sigma > 10.0, "{}", pulsar.summary.sigma);
    assert!(pulsar.impulsiveness.top_fraction < 0.3, "{:?}", pulsar.impulsiveness);
    assert!(!pulsar.impulsive);
    assert!((pulsar.period_s() - 0.7139).abs() < 3.0 * pulsar.summary.period_err_s);
}

/// One pass for many candidates folds each exactly as a pass of its own would,
/// whatever the step of spectra read.
#[test]
fn many_candidates_in_one_pass_equal_single_folds() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimParams {
        nchans: 32,
        chan_bw_mhz: 10.08,
        tsamp_s: 2e-4,
        nsamples: 40_000,
        pulsars: vec![PulsarSpec {
            period_s: 0.0123,
            dm: 60.0,
            duty: 0.05,
            snr: 30.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        ..SimParams::default()
    };
    let (path, _) = make_beam(dir.path(), &sim);
    let reqs = [
        FoldRequest::new("a", 0.0123, 0.0, 60.0, 9.0),
        FoldRequest::new("b", 0.0371, 0.0, 300.0, 8.0),
        FoldRequest::new("c", 0.9, 0.0, 5.0, 7.0),
    ];
    let together = fold(
        &path,
        &reqs,
        &FoldConfig {
            nsub: 8,
            block_spectra: 600,
            ..FoldConfig::default()
        },
    );
    for (req, joint) in reqs.iter().zip(&together) {
        let alone = fold(
            &path,
            std::slice::from_ref(req),
            &FoldConfig {
                nsub: 8,
                block_spectra: 1 << 20,
                ..FoldConfig::default()
            },
        );
        assert_eq!(alone[0].pfd.rawfolds, joint.pfd.rawfolds, "{}", req.label);
        for (a, b) in alone[0].pfd.stats.iter().zip(&joint.pfd.stats) {
            assert_eq!(a.numdata, b.numdata);
            assert!(((a.data_avg - b.data_avg) / a.data_avg).abs() < 1e-12);
            assert!(((a.data_var - b.data_var) / a.data_var).abs() < 1e-9);
        }
        assert_eq!(alone[0].summary.period_s, joint.summary.period_s);
    }
    // The requests come back most significant first.
    assert_eq!(
        together.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
}

/// The fold's files read back: `.pfd` (every array), `.bestprof`, PNG.
#[test]
fn fold_files_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimParams {
        nchans: 32,
        chan_bw_mhz: 10.08,
        tsamp_s: 2e-4,
        nsamples: 60_000,
        pulsars: vec![PulsarSpec {
            period_s: 0.0123,
            dm: 60.0,
            duty: 0.05,
            snr: 40.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        ..SimParams::default()
    };
    let (path, _) = make_beam(dir.path(), &sim);
    let cfg = FoldConfig {
        nsub: 8,
        ..FoldConfig::default()
    };
    let r = &fold(&path, &[FoldRequest::new("Cand_1", 0.01231, 0.0, 61.0, 9.0)], &cfg)[0];
    let base = dir.path().join("beam_Cand_1.pfd");
    write_pfd(r, &base).unwrap();
    write_bestprof(r, dir.path().join("beam_Cand_1.pfd.bestprof")).unwrap();
    plot_fold(r, dir.path().join("beam_Cand_1.pfd.png")).unwrap();

    let back = Pfd::read(&base).unwrap();
    assert_eq!(back.pgdev, "beam_Cand_1.pfd.ps/CPS");
    assert_eq!(
        Pfd {
            pgdev: r.pfd.pgdev.clone(),
            ..back.clone()
        },
        r.pfd
    );
    // The header describes the fold: shape, grid, fold and best solution.
    let p = &r.params;
    assert_eq!(
        (back.npart, back.nsub, back.proflen, back.numchan),
        (p.npart, 8, p.nbins, 32)
    );
    assert_eq!(back.periods.len(), p.num_p_trials());
    assert_eq!(back.dms.len(), p.num_dm_trials());
    assert!((back.fold.p1 - 1.0 / 0.01231).abs() < 1e-9);
    assert_eq!(back.topo.p1, r.period_s());
    assert!(back.dms.contains(&back.bestdm));
    assert_eq!(back.tepoch, 60000.0);
    assert_eq!(back.candnm, "Cand_1");
    assert_eq!(back.filenm, "beam.fil");
    // Re-deriving from the file gives the same numbers as the fold.
    let again = FoldResult::from_pfd(back, &ImpulsiveRule::default());
    assert_eq!(again.summary, r.summary);
    let bp = Bestprof::read(dir.path().join("beam_Cand_1.pfd.bestprof")).unwrap();
    assert_eq!(bp.profile_bins, p.nbins);
    assert!((bp.reduced_chi2 - r.redchi2()).abs() < 5e-4);
    assert!((bp.best_dm.unwrap() - r.pfd.bestdm).abs() < 5e-4); // 3 decimals in the text
    assert!((bp.p_topo_ms.unwrap().value - r.period_s() * 1e3).abs() < 1e-12);
    assert!(bp.epoch_bary.is_none() && bp.p_bary_ms.is_none());
    let png = std::fs::read(dir.path().join("beam_Cand_1.pfd.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn bad_requests_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimParams {
        nchans: 8,
        nsamples: 5000,
        ..SimParams::default()
    };
    let (path, _) = make_beam(dir.path(), &sim);
    let mut beam = open_beam(&[&path]).unwrap();
    for req in [
        FoldRequest::new("neg", -0.01, 0.0, 10.0, 9.0),
        FoldRequest::new("nan", f64::NAN, 0.0, 10.0, 9.0),
        FoldRequest::new("dm", 0.01, 0.0, -3.0, 9.0),
        FoldRequest::new("long", 0.01, 0.0, 1e6, 9.0),
    ] {
        let cfg = FoldConfig {
            nsub: 2,
            ..FoldConfig::default()
        };
        let e = fold_candidates(beam.as_mut(), &[req], &cfg, &|_, _| {});
        assert!(matches!(e, Err(palfa_search::SearchError::Params(_))), "{e:?}");
    }
    // Below the sigma threshold: nothing is folded.
    let weak = FoldRequest::new("weak", 0.01, 0.0, 10.0, 2.0);
    assert!(
        fold_candidates(beam.as_mut(), &[weak], &FoldConfig::default(), &|_, _| {})
            .unwrap()
            .is_empty()
    );
}
