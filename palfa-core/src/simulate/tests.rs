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
            narrowband: Vec::new(),
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

#[test]
fn narrowband_rfi_is_in_its_channels_only() {
    // A 3-σ sinusoid at 37 Hz in channels 5..=7 (lowest = 0): there, each
    // channel correlates with the sinusoid; elsewhere it does not.
    let dir = tempfile::tempdir().unwrap();
    let (nchans, n) = (16, 16384);
    let p = SimParams {
        nchans,
        nsamples: n as u64,
        nbits: 32,
        rfi: RfiSpec {
            narrowband: vec![NarrowbandSpec {
                freq_hz: 37.0,
                amplitude: 3.0,
                harmonics: 1,
                first_channel: 5,
                last_channel: 7,
            }],
            ..RfiSpec::default()
        },
        ..SimParams::default()
    };
    let path = dir.path().join("nb.fil");
    simulate(&p, &path, &|_, _| {}).unwrap();
    let mut beam = open_beam(&[&path]).unwrap();
    let data = read_range(beam.as_mut(), 0, n).unwrap();
    for c in 0..nchans {
        let x: Vec<f64> = (0..n).map(|i| data[i * nchans + c] as f64).collect();
        let mean = x.iter().sum::<f64>() / n as f64;
        let sd = (x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        // Normalised correlation with the sinusoid (√2·cos has unit power).
        let corr = x
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let t = i as f64 * p.tsamp_s;
                (v - mean) / sd * (std::f64::consts::TAU * 37.0 * t).cos() * std::f64::consts::SQRT_2
            })
            .sum::<f64>()
            / n as f64;
        // 3-σ peak on unit noise: power 4.5 of 5.5, correlation √(4.5/5.5) ≈ 0.9.
        if (5..=7).contains(&c) {
            assert!(corr > 0.8, "channel {c}: {corr}");
        } else {
            assert!(corr.abs() < 0.05, "channel {c}: {corr}");
        }
    }
    let mut bad = p.clone();
    bad.rfi.narrowband[0].last_channel = nchans;
    assert!(bad.validate().is_err());
}
