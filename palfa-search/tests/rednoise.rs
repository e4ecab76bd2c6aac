//! Red-noise whitening flattens a steep red spectrum and keeps a pulsar's harmonics.

mod accel_support;

use accel_support::*;
use palfa_core::formats::presto::InfFile;
use palfa_search::rednoise::whiten;
use palfa_search::spectrum::{Spectrum, SpectrumMaker};
use palfa_search::TimeSeries;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Mean normalised power in log-spaced bands of bins from 4 to the end.
fn band_means(s: &Spectrum) -> Vec<(usize, usize, f64)> {
    // The last bin (Nyquist, real-valued) is left out.
    let n = s.amps.len() - 1;
    let mut out = Vec::new();
    let mut lo = 4usize;
    while lo < n {
        let hi = (lo * 2).min(n);
        let m = s.amps[lo..hi].iter().map(|a| a.norm_sqr() as f64).sum::<f64>() / (hi - lo) as f64;
        out.push((lo, hi, m));
        lo = hi;
    }
    out
}

#[test]
fn one_over_f_squared_noise_comes_out_flat() {
    // A random walk (1/f² power) plus white noise: power spans ~8 decades.
    // The walk is tied down at both ends (a Brownian bridge) so that the jump
    // between its end and its start does not leak a deterministic 1/f² ramp
    // into every bin (real red noise has no such step).
    let n = 1 << 18;
    let dt = 1e-3;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut walk = 0f64;
    let steps: Vec<(f64, f64)> = (0..n)
        .map(|_| {
            let a: f64 = StandardNormal.sample(&mut rng);
            let b: f64 = StandardNormal.sample(&mut rng);
            walk += 3.0 * a;
            (walk, b)
        })
        .collect();
    let end = walk;
    let data: Vec<f32> = steps
        .iter()
        .enumerate()
        .map(|(i, &(w, b))| (w - end * i as f64 / n as f64 + b) as f32)
        .collect();
    let ts = TimeSeries {
        info: InfFile {
            n: n as u64,
            dt,
            ..InfFile::default()
        },
        data,
    };
    let mut spec = SpectrumMaker::new().make(&ts).unwrap();
    let before = band_means(&spec);
    whiten(&mut spec, &RED);
    let after = band_means(&spec);
    let span_before = before[0].2 / before[before.len() - 1].2;
    eprintln!(
        "band means before: {:?}",
        before.iter().map(|b| format!("{:.2e}", b.2)).collect::<Vec<_>>()
    );
    eprintln!(
        "band means after:  {:?}",
        after.iter().map(|b| format!("{:.3}", b.2)).collect::<Vec<_>>()
    );
    assert!(span_before > 1e6, "the input is not red enough: {span_before}");
    // Whitened: mean 1 in every band. A band of m bins has a standard error of
    // 1/√m; the level (median / ln 2 of blocks of 6–100 bins) is biased ~2%
    // high (the sample median of an exponential sits above ln 2), and bands of
    // a few bins at the bottom, where blocks are 6–30 bins and the slope is
    // steepest, are allowed 60%.
    for &(lo, hi, m) in &after {
        let tol = if hi - lo < 64 {
            0.6
        } else {
            0.04 + 4.0 / ((hi - lo) as f64).sqrt()
        };
        assert!((m - 1.0).abs() < tol, "bins {lo}..{hi}: mean {m}");
    }
    // The exponential distribution: median power ln 2 above the red region.
    let mut p: Vec<f32> = spec.amps[1000..].iter().map(|a| a.norm_sqr()).collect();
    p.sort_by(f32::total_cmp);
    let med = p[p.len() / 2] as f64;
    assert!((med - std::f64::consts::LN_2).abs() < 0.02, "median {med}");
}

#[test]
fn pulsar_harmonics_keep_their_power() {
    // The same noise with and without a bright pulsar: the level that
    // whitening divides by must not absorb the harmonics (the block median
    // ignores a few strong bins), so each harmonic's whitened power relative
    // to the raw one is the same as for the noise alone.
    let n = 1 << 18;
    let dt = 2e-4;
    let psr = Pulsar {
        f0: 23.1,
        fdot: 0.0,
        duty: 0.05,
        snr: 30.0,
    };
    let maker = SpectrumMaker::new();
    let with = maker.make(&series(n, dt, std::slice::from_ref(&psr), 12)).unwrap();
    let without = maker.make(&series(n, dt, &[], 12)).unwrap();
    let mut w_with = with.clone();
    let mut w_without = without.clone();
    whiten(&mut w_with, &RED);
    whiten(&mut w_without, &RED);
    let t = with.t_obs_s;
    let mut total = 0.0;
    let mut expected = 0.0;
    for h in 1..=8 {
        let k = (h as f64 * psr.f0 * t).round() as usize;
        let scale = |raw: &Spectrum, white: &Spectrum| white.amps[k].norm() as f64 / raw.amps[k].norm() as f64;
        let ratio = scale(&with, &w_with) / scale(&without, &w_without);
        // When a harmonic's 2–3 bright bins join a 100-bin block, its median
        // moves up by at most ~3 ranks, each ~3% of the level (the exponential
        // density at the median is 1/2): ≤ ~10% in level, ≤ ~5% in amplitude,
        // for each of the two blocks interpolated between. A harmonic whose
        // own power set the level would lose far more (its power is 20–70×
        // the noise).
        assert!((ratio - 1.0).abs() < 0.1, "harmonic {h}: scale changed by {ratio}");
        // Seven bins hold ≥ 95% of an off-bin harmonic's power; 7 of noise.
        total += (k - 3..=k + 3).map(|i| w_with.amps[i].norm_sqr() as f64).sum::<f64>();
        expected += psr.harmonic_power(n, h) + 7.0;
    }
    // The harmonics' whitened power is what was injected: within the ~5% lost
    // outside the bins summed, the level's ~2% bias, a few % from the
    // harmonics' own effect on the level, and the noise (σ ≈ 30 of ~400).
    eprintln!("whitened power in 8 harmonics: {total:.1}, injected {expected:.1}");
    assert!((total / expected - 1.0).abs() < 0.25, "{total} vs {expected}");
}
