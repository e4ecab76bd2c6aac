//! Single-pulse search on synthetic series with known answers and on a real
//! PRESTO time series.
//!
//! S/N of an injected pulse is its matched-filter S/N: for a Gaussian of peak
//! `A` (in units of the noise σ) and r.m.s. width `σ_t`, sampled every `dt`,
//! `S/N = A·sqrt(σ_t·√π/dt)` (what the optimal filter would give).

use std::path::PathBuf;

use palfa_core::formats::presto::{read_singlepulse, write_dat, InfFile};
use palfa_core::names::with_suffix;
use palfa_search::singlepulse::{
    group_events, plot_singlepulse, search, search_files, Detrend, SinglePulseConfig, SinglePulseEvent,
    SinglePulseSearcher,
};
use palfa_search::stats::normal_logq;
use palfa_search::TimeSeries;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

const FWHM_PER_SIGMA: f64 = 2.354_820_045;

/// `n` samples of unit-variance white noise.
pub(crate) fn noise(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// Adds a Gaussian pulse centred at `t0` \[s\] of FWHM `fwhm_s` and matched-filter
/// S/N `snr` (noise of unit σ), averaged over each sample's duration.
pub(crate) fn inject(data: &mut [f32], dt: f64, t0: f64, fwhm_s: f64, snr: f64) {
    let sig = fwhm_s / FWHM_PER_SIGMA;
    let peak = snr / (sig * std::f64::consts::PI.sqrt() / dt).sqrt();
    let k = 1.0 / (sig * std::f64::consts::SQRT_2);
    // Sample i covers [i·dt, (i+1)·dt); its value is the mean of the Gaussian there.
    let norm = peak * sig * (std::f64::consts::PI / 2.0).sqrt() / dt;
    let lo = ((t0 - 8.0 * sig) / dt).floor().max(0.0) as usize;
    let hi = (((t0 + 8.0 * sig) / dt).ceil() as usize + 1).min(data.len());
    for (i, x) in data.iter_mut().enumerate().take(hi).skip(lo) {
        let a = libm::erf((i as f64 * dt - t0) * k);
        let b = libm::erf(((i + 1) as f64 * dt - t0) * k);
        *x += (norm * (b - a)) as f32;
    }
}

pub(crate) fn series(data: Vec<f32>, dt: f64, dm: f64) -> TimeSeries {
    let info = InfFile {
        basename: format!("test_DM{dm:.2}"),
        n: data.len() as u64,
        dt,
        dm,
        ..InfFile::default()
    };
    TimeSeries { info, data }
}

fn shared(rel: &str) -> Option<PathBuf> {
    palfa_testkit::shared_data(rel)
}

struct Recovery {
    ratio: f64,
    dt_err: f64,
    downfact: u32,
}

/// Injects `npulses` pulses of FWHM `fwhm_s` and S/N `snr` into white noise at
/// sample time `dt`, searches, and returns for each pulse the strongest event
/// within 3 FWHM (asserting there is one and only one above half the S/N).
fn recover(dt: f64, fwhm_s: f64, snr: f64, npulses: usize, seed: u64, cfg: &SinglePulseConfig) -> Vec<Recovery> {
    let n = 1 << 20;
    let mut data = noise(n, seed);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed + 1000);
    let t_obs = n as f64 * dt;
    let times: Vec<f64> = (0..npulses)
        .map(|k| (k as f64 + 0.5) / npulses as f64 * t_obs + rng.gen_range(0.0..dt))
        .collect();
    for &t in &times {
        inject(&mut data, dt, t, fwhm_s, snr);
    }
    let events = search(&series(data, dt, 10.0), cfg).unwrap();
    let reach = 3.0 * fwhm_s.max(dt);
    times
        .iter()
        .map(|&t0| {
            let near: Vec<&SinglePulseEvent> = events.iter().filter(|e| (e.time_s - t0).abs() <= reach).collect();
            let strong = near.iter().filter(|e| e.sigma > 0.5 * snr).count();
            assert_eq!(strong, 1, "pulse at {t0:.4} s (FWHM {fwhm_s} s): {near:?}");
            let best = near.iter().max_by(|a, b| a.sigma.total_cmp(&b.sigma)).unwrap();
            // The event time is that of the boxcar's centre sample (its start).
            Recovery {
                ratio: best.sigma / snr,
                dt_err: (best.time_s + 0.5 * dt - t0).abs(),
                downfact: best.downfact,
            }
        })
        .collect()
}

/// (sample time, FWHM): 1 sample, ~8 samples, ~31 samples at PALFA's 64 µs; 50 ms at 1 ms.
const WIDTH_CASES: [(f64, f64); 4] = [(64e-6, 64e-6), (64e-6, 0.5e-3), (64e-6, 2e-3), (1e-3, 50e-3)];

fn summary(rec: &[Recovery]) -> (f64, f64, f64) {
    let r: Vec<f64> = rec.iter().map(|r| r.ratio).collect();
    let mean = r.iter().sum::<f64>() / r.len() as f64;
    (
        mean,
        r.iter().copied().fold(f64::INFINITY, f64::min),
        r.iter().copied().fold(0.0, f64::max),
    )
}

#[test]
fn gaussian_pulses_are_recovered_at_their_time_and_snr() {
    let cfg = SinglePulseConfig::default();
    let snr = 15.0;
    for (k, &(dt, fwhm)) in WIDTH_CASES.iter().enumerate() {
        let rec = recover(dt, fwhm, snr, 16, 10 + k as u64, &cfg);
        let (mean, min, max) = summary(&rec);
        let dfs: Vec<u32> = rec.iter().map(|r| r.downfact).collect();
        println!(
            "S/N {snr}, dt {dt:e} s, FWHM {fwhm:e} s ({:.1} samples): sigma/S/N mean {mean:.3}, {min:.2} to {max:.2}; downfacts {dfs:?}",
            fwhm / dt
        );
        for r in &rec {
            // Each pulse: within 25 %, give or take 3σ of the boxcar's own noise
            // (±1 in sigma, ±0.067 of S/N 15).
            let noise = 3.0 / snr;
            assert!((0.75 - noise..=1.25 + noise).contains(&r.ratio), "ratio {}", r.ratio);
            // At the right time: within the pulse's width (one sample for the narrowest).
            assert!(r.dt_err <= fwhm.max(dt), "time off by {} s", r.dt_err);
            // Width roughly right: the best boxcar of a Gaussian is ~1.2 FWHM;
            // noise moves it by a grid step or two.
            let w = fwhm / dt;
            let df = f64::from(r.downfact);
            assert!(
                df <= 3.0 * w.max(1.0) && df >= w / 3.0,
                "downfact {df} for FWHM {w:.1} samples"
            );
        }
    }
}

#[test]
fn sigma_is_calibrated_to_75_to_100_percent_of_the_matched_filter_snr() {
    // Bright pulses (S/N 40), so that the boxcar's ±1σ noise is only ±0.025 of
    // the ratio: a boxcar gets ~0.94 of the matched filter at its best width
    // (less for a one-sample pulse split over two samples: 0.85-0.93 by phase).
    let cfg = SinglePulseConfig::default();
    let snr = 40.0;
    for (k, &(dt, fwhm)) in WIDTH_CASES.iter().enumerate() {
        let rec = recover(dt, fwhm, snr, 16, 20 + k as u64, &cfg);
        let (mean, min, max) = summary(&rec);
        println!(
            "S/N {snr}, FWHM {:.1} samples: sigma/S/N mean {mean:.3}, {min:.2} to {max:.2}",
            fwhm / dt
        );
        // The mean of 16 has a noise error of ±0.006.
        assert!((0.75..=1.0).contains(&mean), "mean ratio {mean}");
        assert!(min >= 0.75 && max <= 1.05, "{min} to {max}");
    }
    // PRESTO's result (no refit of the blocks under bright pulses) falls short
    // for wide pulses, which is why palfa refits.
    let presto = SinglePulseConfig {
        refit_bright: false,
        ..cfg
    };
    let (mean, _, _) = summary(&recover(64e-6, 2e-3, snr, 16, 22, &presto));
    println!("without the refit, FWHM 31 samples at S/N {snr}: mean {mean:.3}");
    assert!(mean < 0.75);
}

#[test]
fn median_detrending_recovers_pulses_too() {
    let cfg = SinglePulseConfig {
        detrend: Detrend::Median,
        ..SinglePulseConfig::default()
    };
    let rec = recover(64e-6, 0.5e-3, 15.0, 16, 99, &cfg);
    let mean = rec.iter().map(|r| r.ratio).sum::<f64>() / rec.len() as f64;
    println!("median detrending: mean S/N ratio {mean:.3}");
    assert!((0.75..=1.0).contains(&mean), "mean ratio {mean}");
}

/// P(X_{i−1} ≤ u < X_i) for consecutive boxcar outputs of width w over white
/// noise: a standard bivariate normal with correlation ρ = (w−1)/w. This is
/// the expected number of up-crossings of u per sample.
fn upcrossing_rate(u: f64, w: u32) -> f64 {
    let q = |x: f64| normal_logq(x).exp();
    let rho = (f64::from(w) - 1.0) / f64::from(w);
    let s = (1.0 - rho * rho).sqrt();
    // P(X > u, Y > u) = ∫_u^∞ φ(x) Q((u − ρx)/s) dx, Simpson's rule.
    let steps = 4000;
    let h = 12.0 / steps as f64;
    let f = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt() * q((u - rho * x) / s);
    let mut both = f(u) + f(u + 12.0);
    for i in 1..steps {
        both += f(u + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    both *= h / 3.0;
    q(u) - both
}

#[test]
fn false_alarms_in_pure_noise_match_the_expected_rate() {
    let n = 1usize << 24;
    let dt = 64e-6;
    let cfg = SinglePulseConfig::default();
    let widths = cfg.downfacts(dt);
    let rates: Vec<f64> = widths
        .iter()
        .map(|&w| upcrossing_rate(cfg.threshold, w) * n as f64)
        .collect();
    let lower = rates.iter().copied().fold(0.0, f64::max);
    let upper: f64 = rates.iter().sum();
    // Offset and scale must not matter: the series is normalised.
    let data: Vec<f32> = noise(n, 4242).iter().map(|&x| 1.0e4 + 37.0 * x).collect();
    let events = search(&series(data, dt, 0.0), &cfg).unwrap();
    println!(
        "{} events above {}σ in {n} samples; expected between {lower:.1} (most crossings of one width) \
         and {upper:.1} (crossings of all {} widths); per width {:?}",
        events.len(),
        cfg.threshold,
        widths.len(),
        rates.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>()
    );
    // Every crossing of one width far from others survives the pruning, so at
    // least ~`lower` events; at most one per crossing of each width, `upper`.
    // Margins: Poisson (±2√) and the block noise estimates' own 2-3 % scatter,
    // which raises the rate of a 5σ threshold by ~20-30 %.
    let count = events.len() as f64;
    assert!(count >= 0.5 * lower, "{count} events, expected at least ~{lower:.1}");
    assert!(count <= 1.5 * upper, "{count} events, expected at most ~{upper:.1}");
    assert!(events.iter().all(|e| e.sigma > cfg.threshold && e.sigma < 7.0));
}

#[test]
fn slow_baseline_drifts_are_removed() {
    let n = 1usize << 21;
    let dt = 64e-6;
    let base = noise(n, 77);
    // A 100σ sinusoid of period 20 s on a ramp of 500σ across the series.
    let drift = |i: usize| {
        let t = i as f64 * dt;
        100.0 * (2.0 * std::f64::consts::PI * t / 20.0).sin() + 500.0 * i as f64 / n as f64
    };
    let drifting: Vec<f32> = base.iter().enumerate().map(|(i, &x)| x + drift(i) as f32).collect();
    let cfg = SinglePulseConfig::default();
    let clean = search(&series(base, dt, 0.0), &cfg).unwrap();
    let with_drift = search(&series(drifting.clone(), dt, 0.0), &cfg).unwrap();
    println!(
        "noise alone: {} events; with the drift: {} events",
        clean.len(),
        with_drift.len()
    );
    // Linear detrending per 64-ms block leaves < 0.01σ of the sinusoid's
    // curvature: the same noise events, give or take one near threshold.
    assert!(
        with_drift.len() <= clean.len() + 2,
        "{} vs {}",
        with_drift.len(),
        clean.len()
    );
    assert!(with_drift.iter().all(|e| e.sigma < 7.0));
    // Median removal cannot follow a slope of ~2σ per block: the drift then
    // shows up as many events (so the linear result above is not vacuous).
    let median = SinglePulseConfig {
        detrend: Detrend::Median,
        ..cfg
    };
    let med = search(&series(drifting, dt, 0.0), &median).unwrap();
    println!("median detrending with the drift: {} events", med.len());
    assert!(med.len() > 10 * (clean.len() + 1));
}

#[test]
fn a_bright_broad_rfi_burst_is_bad_blocked() {
    // 20 ms of 3σ-amplitude noise burst: its blocks' noise level is an outlier.
    let n = 1usize << 20;
    let dt = 64e-6;
    let mut data = noise(n, 5);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
    let start = 500_000;
    for x in &mut data[start..start + 312] {
        *x += 3.0 * rng.sample::<f32, _>(StandardNormal) + 2.0;
    }
    let on = search(&series(data.clone(), dt, 0.0), &SinglePulseConfig::default()).unwrap();
    let off_cfg = SinglePulseConfig {
        bad_blocks: false,
        ..SinglePulseConfig::default()
    };
    let off = search(&series(data, dt, 0.0), &off_cfg).unwrap();
    // Events in the burst's detrending block (samples 500000..501000).
    let in_block = |ev: &[SinglePulseEvent]| ev.iter().filter(|e| e.sample / 1000 == 500).count();
    // Far from it, rejecting the block changes nothing.
    let far = |ev: &[SinglePulseEvent]| -> Vec<SinglePulseEvent> {
        ev.iter()
            .filter(|e| e.sample + 1300 < start as u64 || e.sample > start as u64 + 1300)
            .copied()
            .collect()
    };
    println!(
        "events in the burst's block: bad blocks on {}, off {}",
        in_block(&on),
        in_block(&off)
    );
    assert!(in_block(&off) >= 1);
    assert_eq!(in_block(&on), 0);
    assert_eq!(far(&on), far(&off));
}

/// The arrival-time smearing \[s\] across 1200-1500 MHz per unit of DM error.
const SMEAR_PER_DM: f64 = 4.148_808e3 * (1.0 / (1200.0 * 1200.0) - 1.0 / (1500.0 * 1500.0));

#[test]
fn a_dispersed_pulse_groups_across_dm_trials_with_its_peak_at_the_true_dm() {
    // 61 DM trials 0..60; a 2-ms pulse of S/N 20 at DM 30, t = 20 s. At a trial
    // DM d the pulse is smeared by |d − 30|·SMEAR_PER_DM (fluence kept), so its
    // S/N drops as the DM error grows; the noise is independent per trial.
    let dt = 0.5e-3;
    let n = 1usize << 17;
    let (dm0, t0, fwhm, snr) = (30.0, 20.0, 2e-3, 20.0);
    let trials: Vec<f64> = (0..=60).map(f64::from).collect();
    let mut searcher = SinglePulseSearcher::new(SinglePulseConfig::default());
    let mut all = Vec::new();
    for (k, &dm) in trials.iter().enumerate() {
        let mut data = noise(n, 300 + k as u64);
        let smear = (dm - dm0).abs() * SMEAR_PER_DM;
        let sig0 = fwhm / FWHM_PER_SIGMA;
        let sig = (sig0 * sig0 + smear * smear / 12.0).sqrt();
        // Same fluence over a wider Gaussian: S/N scales as sqrt(σ0/σ).
        inject(
            &mut data,
            dt,
            t0 + 0.5 * smear,
            sig * FWHM_PER_SIGMA,
            snr * (sig0 / sig).sqrt(),
        );
        all.extend(searcher.search(&series(data, dt, dm)).unwrap());
    }
    let groups = group_events(&all, &trials);
    let g = &groups[0];
    println!(
        "{} events in {} groups; brightest: DM {:.1}-{:.1} ({} trials), best {:?}",
        all.len(),
        groups.len(),
        g.dm_min,
        g.dm_max,
        g.n_dms,
        g.best
    );
    assert!((g.best.dm - dm0).abs() <= 1.0, "best DM {}", g.best.dm);
    assert!((g.best.time_s - t0).abs() <= fwhm, "best time {}", g.best.time_s);
    assert!(g.best.sigma >= 0.75 * snr);
    // S/N ∝ (1 + (ΔDM·1.04 ms)²/(12σ0²))^-1/4 falls slowly: still 6.7 at ΔDM = 25
    // (a 26-ms smear), so the pulse is seen across most trials on both sides.
    assert!(
        g.n_dms >= 20 && g.dm_min < dm0 - 10.0 && g.dm_max > dm0 + 10.0,
        "{} trials",
        g.n_dms
    );
    // Other groups near the pulse's time are its faint, smeared far-DM pieces
    // (split off where a trial missed it); everything else is noise, confined to
    // one or two trials and never bright.
    for other in &groups[1..] {
        if (other.best.time_s - t0).abs() < 0.05 {
            assert!((other.best.dm - dm0).abs() > 20.0, "{other:?}");
        } else {
            assert!(other.n_dms <= 2 && other.best.sigma < 7.0, "{other:?}");
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("grouped_singlepulse.png");
    plot_singlepulse(&all, 5.0, &png, "synthetic DM 30 pulse").unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    let (w, h) = (
        u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
        u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
    );
    assert_eq!((w, h), (1500, 1050));
    if let Some(keep) = std::env::var_os("PALFA_KEEP_PLOTS") {
        std::fs::copy(&png, PathBuf::from(keep).join("singlepulse_grouped.png")).unwrap();
    }
}

#[test]
fn files_are_searched_in_parallel_and_written_beside_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let dt = 1e-3;
    let mut paths = Vec::new();
    let mut expected = Vec::new();
    for (k, dm) in [12.3, 45.67, 100.0].into_iter().enumerate() {
        let mut data = noise(100_000, 900 + k as u64);
        if k != 1 {
            inject(&mut data, dt, 30.0 + k as f64, 4e-3, 12.0);
        }
        let s = series(data, dt, dm);
        expected.push(search(&s, &SinglePulseConfig::default()).unwrap());
        // PRESTO names: the DM's decimals are part of the base name.
        let base = dir.path().join(format!("beam_DM{dm:.2}"));
        write_dat(with_suffix(&base, ".dat"), &s.data).unwrap();
        s.info.write(with_suffix(&base, ".inf")).unwrap();
        paths.push(with_suffix(&base, ".dat"));
    }
    paths.push(dir.path().join("missing_DM1.00.dat"));
    let done = std::sync::atomic::AtomicUsize::new(0);
    let out = search_files(&paths, &SinglePulseConfig::default(), &|| {
        done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(done.into_inner(), 4);
    assert!(out[3].is_err());
    for (k, r) in out[..3].iter().enumerate() {
        let r = r.as_ref().unwrap();
        assert_eq!(
            r.singlepulse.file_name().unwrap().to_str().unwrap(),
            format!("beam_DM{:.2}.singlepulse", r.info.dm)
        );
        assert_eq!(r.events, expected[k]);
        let back = read_singlepulse(&r.singlepulse).unwrap();
        assert_eq!(back.len(), r.events.len());
        for (b, e) in back.iter().zip(&r.events) {
            assert_eq!((b.sample, b.downfact), (e.sample, e.downfact));
            assert!((b.sigma - e.sigma).abs() <= 0.005 && (b.dm - e.dm).abs() <= 0.005);
            assert!((b.time_s - e.time_s).abs() <= 5e-7);
        }
    }
    // The pulses are found where injected (t = 30 s and 32 s, 4 ms wide).
    for (k, t) in [(0, 30.0), (2, 32.0)] {
        let r = out[k].as_ref().unwrap();
        let best = r.events.iter().max_by(|a, b| a.sigma.total_cmp(&b.sigma)).unwrap();
        assert!((best.time_s - t).abs() <= 4e-3 && best.sigma > 9.0, "{best:?}");
    }
}

#[test]
fn events_touching_padded_stretches_are_dropped() {
    // Real data on samples 0..=49_999 and 60_000..=99_999; PRESTO pads the gap
    // with a constant. Pulses: at 30 s (clear of the gap) and ending right at
    // the gap's edge (49.99 s, 8-ms wide), whose boxcar reaches into the padding.
    let dt = 1e-3;
    let mut data = noise(100_000, 31);
    for x in &mut data[50_000..60_000] {
        *x = 0.0;
    }
    inject(&mut data, dt, 30.0, 4e-3, 15.0);
    inject(&mut data, dt, 49.995, 8e-3, 15.0);
    let mut s = series(data, dt, 5.0);
    s.info.onoff = vec![(0, 49_999), (60_000, 99_999)];
    let events = search(&s, &SinglePulseConfig::default()).unwrap();
    println!("{events:?}");
    assert!(events.iter().any(|e| (e.time_s - 30.0).abs() < 0.004 && e.sigma > 10.0));
    // Nothing whose boxcar touches the padding: sample ± downfact/2 clear of 49_999..60_000.
    for e in &events {
        let half = f64::from(e.downfact) / 2.0;
        let (lo, hi) = (e.sample as f64 - half, e.sample as f64 + half);
        assert!(!(hi > 49_999.0 && lo < 60_000.0), "{e:?}");
    }
    // Without the on/off pairs the edge pulse is reported.
    s.info.onoff.clear();
    let all = search(&s, &SinglePulseConfig::default()).unwrap();
    assert!(
        all.iter().any(|e| (e.time_s - 49.99).abs() < 0.01 && e.sigma > 8.0),
        "{all:?}"
    );
}

/// PSR J1807−0847 (B1804−08): catalogue period \[s\]. The topocentric period
/// differs by the Earth's Doppler shift, at most 1e-4 of it.
const J1807_PERIOD_S: f64 = 0.163_727;

#[test]
fn real_gbt_series_of_psr_j1807_0847_shows_every_pulse() {
    let Some(dat) = shared("sigpyproc3/GBT_J1807-0847.dat") else {
        return;
    };
    let s = palfa_search::singlepulse::read_series_file(&dat).unwrap();
    assert_eq!(s.data.len(), 131_072);
    let mut searcher = SinglePulseSearcher::new(SinglePulseConfig::default());
    let events = searcher.search(&s).unwrap();
    let (rejected, blocks) = searcher.rejected_blocks();
    let strong: Vec<&SinglePulseEvent> = events.iter().filter(|e| e.sigma >= 10.0).collect();
    let sig: Vec<f64> = strong.iter().map(|e| e.sigma).collect();
    println!(
        "GBT J1807-0847 (DM {}): {} events, {} at >= 10σ (σ {:.1} to {:.1}), {rejected}/{blocks} blocks rejected",
        s.info.dm,
        events.len(),
        strong.len(),
        sig.iter().copied().fold(f64::INFINITY, f64::min),
        sig.iter().copied().fold(0.0, f64::max),
    );
    assert!(events.iter().all(|e| e.dm == s.info.dm && e.sigma > 5.0));
    // The pulsar is bright: its individual pulses stand out. 21.47 s hold 131
    // rotations; nearly every one must give one strong event, and no rotation two.
    let rotations = (s.duration_s() / J1807_PERIOD_S).floor() as usize;
    assert!(
        strong.len() >= rotations - 6 && strong.len() <= rotations + 1,
        "{} strong events",
        strong.len()
    );
    let t0 = strong[0].time_s;
    let k: Vec<f64> = strong
        .iter()
        .map(|e| ((e.time_s - t0) / J1807_PERIOD_S).round())
        .collect();
    assert!(k.windows(2).all(|w| w[1] > w[0]), "two events in one rotation");
    // Their times give the period: least squares of time against rotation number.
    let n = k.len() as f64;
    let (mk, mt) = (
        k.iter().sum::<f64>() / n,
        strong.iter().map(|e| e.time_s).sum::<f64>() / n,
    );
    let sxx: f64 = k.iter().map(|x| (x - mk) * (x - mk)).sum();
    let sxy: f64 = k.iter().zip(&strong).map(|(x, e)| (x - mk) * (e.time_s - mt)).sum();
    let period = sxy / sxx;
    let rms = (k
        .iter()
        .zip(&strong)
        .map(|(x, e)| (e.time_s - mt - period * (x - mk)).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    println!(
        "period from the single pulses {period:.6} s, timing rms {:.2} ms",
        rms * 1e3
    );
    assert!((period / J1807_PERIOD_S - 1.0).abs() < 2e-4, "period {period}");
    // Pulse-to-pulse jitter stays within the pulse (a few per cent of the period).
    assert!(rms < 0.02 * J1807_PERIOD_S, "rms {rms}");
}
