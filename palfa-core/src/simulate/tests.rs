use super::*;
use crate::beam::{open_beam, read_range};

fn small() -> SimParams {
    SimParams {
        nchans: 16,
        nsamples: 10_000,
        nsblk: 512,
        mock_overlap: 4,
        pulsars: vec![PulsarSpec {
            period_s: 0.0123,
            dm: 40.0,
            duty: 0.05,
            snr: 50.0,
            accel_m_s2: 30.0,
            phase: 0.1,
        }],
        single_pulses: vec![SinglePulseSpec {
            time_s: 0.3,
            dm: 60.0,
            width_s: 0.002,
            snr: 20.0,
        }],
        rfi: RfiSpec {
            periodic_hz: 60.0,
            periodic_amplitude: 0.5,
            periodic_harmonics: 3,
            bad_channels: vec![3],
            bad_channel_noise: 5.0,
            impulses: vec![ImpulseSpec {
                time_s: 0.1,
                width_s: 0.001,
                amplitude: 3.0,
            }],
        },
        ..SimParams::default()
    }
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = small();
    let a = dir.path().join("a.fil");
    let b = dir.path().join("b.fil");
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    one.install(|| simulate(&p, &a, &|_, _| {})).unwrap();
    let three = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    three.install(|| simulate(&p, &b, &|_, _| {})).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let c = dir.path().join("c.fil");
    simulate(&SimParams { seed: 2, ..p }, &c, &|_, _| {}).unwrap();
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&c).unwrap());
}

#[test]
fn truth_json_describes_the_injections() {
    let dir = tempfile::tempdir().unwrap();
    let p = small();
    let path = dir.path().join("beam.fil");
    let t = simulate(&p, &path, &|_, _| {}).unwrap();
    let back: Truth = serde_json::from_str(&std::fs::read_to_string(truth_path(&path)).unwrap()).unwrap();
    assert_eq!(back, t);
    let ps = &t.pulsars[0];
    assert!((ps.f0_hz - 1.0 / 0.0123).abs() < 1e-9);
    // a > 0 (receding, accelerating away) lowers the apparent frequency.
    assert!(ps.fdot_hz_s < 0.0 && ps.z < 0.0);
    assert_eq!(t.single_pulses[0].sample, (0.3 / p.tsamp_s).round() as u64);
    assert_eq!(t.rfi.bad_channels, vec![3]);
    assert_eq!(t.rfi.impulse_samples.len(), 1);
}

#[test]
fn bad_parameters_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SimParams { nbits: 3, ..small() };
    assert!(matches!(
        simulate(&bad, &dir.path().join("x.fil"), &|_, _| {}),
        Err(SimError::Params(_))
    ));
    let bad = SimParams {
        rfi: RfiSpec {
            bad_channels: vec![99],
            ..RfiSpec::default()
        },
        ..small()
    };
    assert!(matches!(
        simulate(&bad, &dir.path().join("x.fil"), &|_, _| {}),
        Err(SimError::Params(_))
    ));
}

#[test]
fn single_pulse_is_where_the_truth_says() {
    // No pulsar, no RFI: one strong pulse at DM 0, so the band sum peaks at its sample.
    let dir = tempfile::tempdir().unwrap();
    let p = SimParams {
        nchans: 16,
        nsamples: 8000,
        nbits: 32,
        single_pulses: vec![SinglePulseSpec {
            time_s: 0.2,
            dm: 0.0,
            width_s: 0.0005,
            snr: 40.0,
        }],
        ..SimParams::default()
    };
    let path = dir.path().join("sp.fil");
    let t = simulate(&p, &path, &|_, _| {}).unwrap();
    let mut beam = open_beam(&[&path]).unwrap();
    let data = read_range(beam.as_mut(), 0, 8000).unwrap();
    let sums: Vec<f32> = data.chunks(16).map(|s| s.iter().sum()).collect();
    let peak = sums.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0 as u64;
    assert!(
        peak.abs_diff(t.single_pulses[0].sample) <= 1,
        "peak {peak} vs {}",
        t.single_pulses[0].sample
    );
}
