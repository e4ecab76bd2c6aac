//! Birdie zapping: dynamic birdies (periodic RFI strongest at DM 0 is zapped,
//! a pulsar strongest at its own DM is not), applying a zaplist, and the order
//! in which a beam's zaplist is chosen.

mod accel_support;

use accel_support::*;
use palfa_core::config::DynamicZapParams;
use palfa_core::formats::presto::zaplist::{Bird, Zaplist};
use palfa_search::spectrum::Spectrum;
use palfa_search::zap::{add_birdies, apply_zaplist, find_birdies, find_zaplist, ZaplistQuery, ZaplistSource};

const N: usize = 1 << 18;
const DT: f64 = 2e-4;
const PSR_DM: f64 = 50.0;
const PSR_F0: f64 = 1.0 / 0.0317;

/// The series at `dm`: noise, 60 Hz mains with 5 harmonics (undispersed, so
/// fading slowly as the DM grows), and a pulsar whose S/N peaks at DM 50.
fn spectrum_at(dm: f64, seed: u64) -> Spectrum {
    let snr = 40.0 * (-0.5 * ((dm - PSR_DM) / 40.0).powi(2)).exp();
    let psr = Pulsar {
        f0: PSR_F0,
        fdot: 0.0,
        duty: 0.2,
        snr,
    };
    let mut ts = series(N, DT, std::slice::from_ref(&psr), seed);
    let amp = 0.05 * (-dm / 200.0).exp();
    for (i, v) in ts.data.iter_mut().enumerate() {
        let t = i as f64 * DT;
        let mains: f64 = (1..=5)
            .map(|h| (2.0 * std::f64::consts::PI * 60.0 * h as f64 * t + 0.3 * h as f64).sin())
            .sum();
        *v += (amp * mains) as f32;
    }
    ts.info.dm = dm;
    whitened(&ts)
}

fn params() -> DynamicZapParams {
    DynamicZapParams {
        enabled: true,
        sigma: 8.0,
        min_dm_fraction: 0.5,
        max_birds: 200,
    }
}

#[test]
fn mains_at_dm0_is_zapped_and_a_dm50_pulsar_is_not() {
    let dm0 = spectrum_at(0.0, 100);
    let others: Vec<Spectrum> = (1..=8).map(|i| spectrum_at(10.0 * i as f64, 100 + i)).collect();
    let t = dm0.t_obs_s;
    // The pulsar is bright enough at DM 0 to pass the threshold on its own.
    let k = (PSR_F0 * t).round() as usize;
    let p0 = dm0.amps[k - 1..=k + 1]
        .iter()
        .map(|a| a.norm_sqr())
        .fold(0f32, f32::max);
    assert!(
        p0 > 60.0,
        "the pulsar is too faint at DM 0 ({p0}) for this test to mean anything"
    );
    let birds = find_birdies(&dm0, &others, &params());
    for b in &birds {
        eprintln!(
            "birdie {:.4} Hz width {:.4} sigma {:.1} power {:.0} in {:.0}% of DMs",
            b.freq_hz,
            b.width_hz,
            b.sigma,
            b.power_dm0,
            100.0 * b.dm_fraction
        );
    }
    for h in 1..=5 {
        let f = 60.0 * h as f64;
        assert!(
            birds.iter().any(|b| (b.freq_hz - f).abs() < 1.0 / t),
            "{f} Hz mains harmonic not found"
        );
    }
    for h in 1..=4 {
        let f = PSR_F0 * h as f64;
        assert!(
            birds.iter().all(|b| (b.freq_hz - f).abs() > 2.0 / t),
            "the pulsar's harmonic {h} ({f:.3} Hz) was zapped"
        );
    }
    // Nothing else: pure noise gives no birdie at 8σ with the trials of every bin.
    assert_eq!(birds.len(), 5, "{birds:?}");
    // Disabled, or capped.
    assert!(find_birdies(
        &dm0,
        &others,
        &DynamicZapParams {
            enabled: false,
            ..params()
        }
    )
    .is_empty());
    assert_eq!(
        find_birdies(
            &dm0,
            &others,
            &DynamicZapParams {
                max_birds: 2,
                ..params()
            }
        )
        .len(),
        2
    );

    // The zaplist used (static + dynamic) removes the mains from the spectrum.
    let mut list = Zaplist::default();
    list.birds.push(Bird {
        freq_hz: 1000.0,
        width_hz: 0.1,
        barycentric: false,
    });
    add_birdies(&mut list, &birds, false);
    let mut zapped = dm0.clone();
    let stats = apply_zaplist(&mut zapped, &list, 0.0);
    for h in 1..=5 {
        let k = (60.0 * h as f64 * t).round() as usize;
        let p = zapped.amps[k - 1..=k + 1]
            .iter()
            .map(|a| a.norm_sqr())
            .fold(0f32, f32::max);
        assert!(p < 20.0, "{} Hz still has power {p}", 60 * h);
    }
    assert!(stats.bins_zapped >= 5 + 5 && stats.fraction_zapped_total < 1e-3);
    assert_eq!(stats.below_10hz, 0.0);
    // Saved as a diagnostic, it reads back.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beam.zaplist");
    list.write(&path).unwrap();
    assert_eq!(Zaplist::read(&path).unwrap().birds.len(), list.birds.len());
}

#[test]
fn zaplist_search_order_follows_pipeline2() {
    let dir = tempfile::tempdir().unwrap();
    let q = ZaplistQuery {
        file_stem: "p2030.20130101.G45.b3.00100".into(),
        project_id: "p2030".into(),
        date: "20130101".into(),
        beam: Some(3),
    };
    let default = dir.path().join("default.zaplist");
    std::fs::write(&default, "  60  0.1\n").unwrap();
    let (l, src) = find_zaplist(&q, None, None).unwrap();
    assert!(l.birds.is_empty() && src == ZaplistSource::BuiltIn);
    let (_, src) = find_zaplist(&q, Some(dir.path()), Some(&default)).unwrap();
    assert_eq!(src, ZaplistSource::Default(default.clone()));
    let all = dir.path().join("p2030.20130101.all.zaplist");
    std::fs::write(&all, "B 1 0.1\n").unwrap();
    let (_, src) = find_zaplist(&q, Some(dir.path()), Some(&default)).unwrap();
    assert_eq!(src, ZaplistSource::Custom(all));
    let beam = dir.path().join("p2030.20130101.b3.zaplist");
    std::fs::write(&beam, "B 2 0.1\n").unwrap();
    let (_, src) = find_zaplist(&q, Some(dir.path()), Some(&default)).unwrap();
    assert_eq!(src, ZaplistSource::Custom(beam));
    let file = dir.path().join("p2030.20130101.G45.b3.00100.zaplist");
    std::fs::write(&file, "B 3 0.1\n").unwrap();
    let (l, src) = find_zaplist(&q, Some(dir.path()), Some(&default)).unwrap();
    assert_eq!(src, ZaplistSource::Custom(file));
    assert_eq!(l.birds[0].freq_hz, 3.0);
    // A broken list is an error, not silently skipped.
    std::fs::write(dir.path().join("p2030.20130101.G45.b3.00100.zaplist"), "B three 0.1\n").unwrap();
    assert!(find_zaplist(&q, Some(dir.path()), None).is_err());
}

/// A strong line is zapped over its leakage at DM 0 but only over its peak
/// where dedispersion has spread it over many cycles, so that a pulsar a
/// fraction of a hertz from a mains harmonic survives at its own DM.
#[test]
fn a_birdie_is_zapped_as_wide_as_its_line_leaks_at_each_dm() {
    use palfa_search::zap::Birdie;
    let t = 100.0;
    let b = Birdie {
        freq_hz: 240.0,
        width_hz: 0.0,
        core_width_hz: 3.0 / t,
        t_obs_s: t,
        sigma: 50.0,
        power_dm0: 1e6,
        dm_fraction: 1.0,
    };
    // DM 0: no channel moves; the line leaks over 2·√P/π + 2 ≈ 639 bins each side.
    let w0 = b.width_for(&[0.0; 64]);
    assert!(
        (w0 * t - 2.0 * (2.0 * 1e3 / std::f64::consts::PI + 2.0)).abs() < 1e-6,
        "{w0}"
    );
    // Channels spread evenly over 40 cycles of the line: its power there is
    // nil and only the peak itself is zapped.
    let spread: Vec<f64> = (0..64).map(|c| c as f64 / 64.0 * 40.0 / 240.0).collect();
    let w = b.width_for(&spread);
    assert!((w - 3.0 / t).abs() < 1e-9, "{w}");
    // In between: a partly washed-out line needs less than at DM 0.
    let part: Vec<f64> = (0..64).map(|c| c as f64 / 64.0 * 0.8 / 240.0).collect();
    let wp = b.width_for(&part);
    assert!(wp < w0 && wp > w, "{wp}");
}
