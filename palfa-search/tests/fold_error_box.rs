//! A slow pulsar folded at its own period, not at a mains alias (issues 16
//! and 21): in a 68.7-s beam with 60-Hz mains hum in every channel, a
//! 713.9-ms pulsar's fold used to move to 716.66 ms, where 60 Hz is the 43rd
//! harmonic of the spin frequency and the hum folds coherently. The fold of an
//! acceleration-search candidate now keeps to the candidate's error box.

use palfa_core::beam::open_beam;
use palfa_core::simulate::{simulate, PulsarSpec, RfiSpec, SimParams};
use palfa_search::candidate::{AccelCandidate, AccelPass};
use palfa_search::fold::{fold_candidates, FoldConfig, FoldRequest, MIN_FREQ_BOX_TURNS};

const PERIOD_S: f64 = 0.7139;
const DM: f64 = 50.2;

#[test]
fn slow_pulsar_fold_keeps_to_the_candidates_error_box() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mains.fil");
    let p = SimParams {
        nchans: 128,
        chan_bw_mhz: 2.52,
        tsamp_s: 131.0e-6,
        nsamples: 1 << 19,
        pulsars: vec![PulsarSpec {
            period_s: PERIOD_S,
            dm: DM,
            duty: 0.03,
            snr: 20.0,
            accel_m_s2: 0.0,
            phase: 0.6,
        }],
        rfi: RfiSpec {
            periodic_hz: 60.0,
            periodic_amplitude: 1.4,
            periodic_harmonics: 5,
            ..RfiSpec::default()
        },
        ..SimParams::default()
    };
    simulate(&p, &path, &|_, _| {}).unwrap();
    let t = p.nsamples as f64 * p.tsamp_s;
    // The candidate as the acceleration search reports a 16-harmonic detection
    // of it (sifting sigma 15): 0.01 bins off the true frequency.
    let cand = AccelCandidate {
        dm: DM,
        r: t / PERIOD_S - 0.01,
        z: 0.0,
        numharm: 16,
        sigma: 15.0,
        power: 120.0,
        coherent_power: 100.0,
        harm_powers: (1..=16).map(|k| 1.0 + 14.0 / k as f64).collect(),
        t_obs_s: t,
        pass: AccelPass::Lo,
        pulse_width_s: None,
    };
    let boxed = FoldRequest::from_accel(&cand, "boxed");
    let err = boxed
        .freq_err_hz
        .expect("a candidate with signal power has an error box");
    assert!(err * t < 0.05, "{} bins", err * t);
    // The same candidate folded as prepfold does, over its whole grid.
    let free = FoldRequest {
        freq_err_hz: None,
        ..FoldRequest::from_accel(&cand, "free")
    };
    let cfg = FoldConfig {
        min_sigma: 0.0,
        ..FoldConfig::default()
    };
    let mut beam = open_beam(&[&path]).unwrap();
    let folds = fold_candidates(beam.as_mut(), &[boxed, free], &cfg, &|_, _| {}).unwrap();
    let turns_off = |period: f64| (1.0 / period - 1.0 / PERIOD_S) * t;
    for f in &folds {
        eprintln!(
            "{}: P {:.4} ms ({:+.3} turns from the pulsar), {:.1} sigma",
            f.label,
            f.summary.period_s * 1e3,
            turns_off(f.summary.period_s),
            f.summary.sigma
        );
    }
    let (boxed, free) = (&folds[0].summary, &folds[1].summary);
    // Over the whole grid the fold is drawn to the mains alias (this is the
    // behaviour being fixed: if it stops happening, the test no longer tests).
    assert!(
        turns_off(free.period_s).abs() > 0.3,
        "the mains alias no longer pulls the free fold"
    );
    // In the error box it stays on the pulsar, within the box, and detects it.
    let box_turns = MIN_FREQ_BOX_TURNS.max(5.0 * err * t);
    assert!(
        turns_off(boxed.period_s).abs() <= box_turns + 0.02,
        "{}",
        turns_off(boxed.period_s)
    );
    assert!(boxed.sigma > 8.0, "{}", boxed.sigma);
}
