//! The whole-beam search (`palfa search`) on synthetic 60-s beams with known
//! answers: two pulsars (one accelerated) and a 60 Hz birdie; and pure noise.

use std::path::Path;

use palfa_core::config::{Config, DdplanChoice};
use palfa_core::formats::results::{SearchResults, SearchStatus};
use palfa_core::simulate::{simulate, PulsarSpec, RfiSpec, SimParams, Truth};
use palfa_search::accel::{AccelConfig, AccelSearcher};
use palfa_search::ddplan::DmPlan;
use palfa_search::pipeline::{run_search, NoProgress, SearchJob};
use palfa_search::stats::normal_logq;
use palfa_search::AccelPass;

/// A 60-s beam: 128 channels over the PALFA band at 262 µs.
fn params(pulsars: Vec<PulsarSpec>, rfi: RfiSpec, seed: u64) -> SimParams {
    SimParams {
        seed,
        nchans: 128,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s: 262e-6,
        nsamples: (60.0 / 262e-6) as u64,
        pulsars,
        rfi,
        ..SimParams::default()
    }
}

fn job(dir: &Path, beam: &Path) -> SearchJob {
    let cfg = Config::defaults_in(&dir.join("setup")).unwrap();
    let mut s = cfg.searching.clone();
    s.dedisp.ddplan = DdplanChoice::Auto;
    s.dedisp.max_dm = 250.0;
    s.dedisp.nsub = 32;
    SearchJob {
        files: vec![beam.to_path_buf()],
        outdir: dir.join("results"),
        searching: s,
        processing: cfg.processing.clone(),
        version: "test".into(),
        keep_workdir: false,
        series_budget_bytes: 256 << 20,
    }
}

fn run(p: &SimParams) -> (tempfile::TempDir, Truth, SearchJob, SearchResults) {
    let dir = tempfile::tempdir().unwrap();
    let beam = dir.path().join("beam.fil");
    let truth = simulate(p, &beam, &|_, _| {}).unwrap();
    let j = job(dir.path(), &beam);
    let r = run_search(&j, &NoProgress).unwrap();
    (dir, truth, j, r)
}

/// DM spacing of the plan at `dm`.
fn dm_step_at(plan: &DmPlan, dm: f64) -> f64 {
    plan.steps
        .iter()
        .find(|s| dm < s.hidm())
        .map_or(plan.steps.last().unwrap().dmstep, |s| s.dmstep)
}

#[test]
fn two_pulsars_are_the_top_folds_and_the_birdie_is_not_folded() {
    // z = +20 at the fundamental over 60 s: a = -z c P / T².
    let t = 60.0;
    let accel = -20.0 * 299_792_458.0 * 0.0073 / (t * t);
    let psrs = vec![
        PulsarSpec {
            period_s: 0.0123,
            dm: 80.0,
            duty: 0.05,
            snr: 25.0,
            accel_m_s2: 0.0,
            phase: 0.1,
        },
        PulsarSpec {
            period_s: 0.0073,
            dm: 60.0,
            duty: 0.05,
            snr: 30.0,
            accel_m_s2: accel,
            phase: 0.5,
        },
    ];
    let rfi = RfiSpec {
        periodic_hz: 60.0,
        periodic_amplitude: 0.3,
        periodic_harmonics: 5,
        ..RfiSpec::default()
    };
    let (dir, truth, j, r) = run(&params(psrs, rfi, 7));
    assert_eq!(r.status, SearchStatus::Searched);
    assert!(
        truth.pulsars[1].z > 19.0,
        "the binary needs z > 0: {}",
        truth.pulsars[1].z
    );
    let h = palfa_core::beam::open_beam(&j.files).unwrap().header().clone();
    let plan = DmPlan::for_beam(&h, &j.searching.dedisp);
    assert!(r.candidates.len() >= 2, "{} candidates folded", r.candidates.len());
    let top: Vec<_> = r.candidates.iter().filter(|c| !c.impulsive).take(2).collect();
    for psr in &truth.pulsars {
        let m = top
            .iter()
            .find(|c| ((c.period_s - psr.period_s) / psr.period_s).abs() < 1e-4)
            .unwrap_or_else(|| panic!("pulsar P {} not among the top two folds: {:?}", psr.period_s, top));
        let step = dm_step_at(&plan, psr.dm);
        assert!(
            (m.dm - psr.dm).abs() <= step + 1e-9,
            "DM {} vs {} (step {step})",
            m.dm,
            psr.dm
        );
        assert!(m.prepfold_sigma > 8.0, "fold sigma {}", m.prepfold_sigma);
    }
    // The accelerated pulsar was found with z > 0 (by the high pass).
    let bin = top.iter().find(|c| (c.period_s - 0.0073).abs() < 1e-6).unwrap();
    assert!((bin.z - 20.0).abs() < 3.0, "z {}", bin.z);
    // Nothing folded at 60 Hz or its harmonics.
    for c in &r.candidates {
        for k in 1..=10 {
            let f = 60.0 * k as f64;
            assert!((c.frequency_hz - f).abs() > 0.05, "folded a mains harmonic: {c:?}");
            assert!(
                (c.frequency_hz - 60.0 / k as f64).abs() > 0.05 / k as f64,
                "folded a mains subharmonic: {c:?}"
            );
        }
    }
    // The results directory is complete and reads back.
    let back = SearchResults::read_dir(&j.outdir).unwrap();
    assert_eq!(back, r);
    // Every .singlepulse file of the archive has its series' .inf beside it
    // (PRESTO's single_pulse_search.py replots them only with it).
    let archive = std::fs::File::open(j.outdir.join(&r.single_pulses.events_archive)).unwrap();
    let names: Vec<String> = tar::Archive::new(archive)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    let sp: Vec<&String> = names.iter().filter(|n| n.ends_with(".singlepulse")).collect();
    assert_eq!(sp.len(), plan.all_dms().len(), "one .singlepulse per DM");
    for n in sp {
        let inf = n.replace(".singlepulse", ".inf");
        assert!(names.contains(&inf), "{inf} is not in the archive");
    }
    assert!(
        r.diagnostics.percent_zapped_total > 0.0,
        "dynamic zapping removed nothing"
    );
    drop(dir);
}

#[test]
fn pure_noise_gives_no_more_candidates_than_the_false_alarm_rate() {
    let (_dir, _truth, j, r) = run(&params(Vec::new(), RfiSpec::default(), 11));
    let s = &j.searching;
    // Expected number of noise detections at or above the folding threshold
    // (single-trial sigma `to_prepfold_sigma`), over every DM trial, both passes
    // and every harmonic stage: Σ numindep(stage) · Q(σ). A sifted candidate needs
    // at least one such detection, so this bounds the sifted count; refinement
    // raises powers a little, so allow a factor of 3 (and at least 3).
    let h = palfa_core::beam::open_beam(&j.files).unwrap().header().clone();
    let plan = DmPlan::for_beam(&h, &s.dedisp);
    let q = normal_logq(s.to_prepfold_sigma).exp();
    let mut expected = 0.0;
    for st in &plan.steps {
        let n = (h.nsamples as usize / st.downsamp) as f64;
        let t = n * h.tsamp_s * st.downsamp as f64;
        for (p, pass) in [(&s.lo_accel, AccelPass::Lo), (&s.hi_accel, AccelPass::Hi)] {
            let a = AccelSearcher::new(n as usize / 2 + 1, t, &AccelConfig::new(p, pass).unwrap()).unwrap();
            expected += st.numdms() as f64 * a.numindep().iter().sum::<f64>() * q;
        }
    }
    let allowed = (3.0 * expected).max(3.0);
    let above = r
        .candidates
        .iter()
        .filter(|c| c.sifting_sigma >= s.to_prepfold_sigma)
        .count();
    println!("noise: {above} candidates folded, {expected:.2} expected false alarms (allowed {allowed:.1})");
    assert!(
        (above as f64) <= allowed,
        "{above} noise candidates, {expected:.2} expected"
    );
    // And none of them folds like a pulsar.
    for c in &r.candidates {
        assert!(
            c.prepfold_sigma < 12.0,
            "noise folded at {} sigma: {c:?}",
            c.prepfold_sigma
        );
    }
}
