use palfa_core::astro::relative_delay_s;
use palfa_core::{BeamHeader, MemorySource};

use super::*;
use crate::ddplan::DmPass;

/// A noise-free beam holding Gaussian pulses of r.m.s. width `w` samples,
/// dispersed at `dm`, arriving at the top channel at samples `t0s`.
fn dispersed_pulses(nchans: usize, nsamp: usize, dm: f64, t0s: &[f64], w: f64) -> MemorySource {
    let h = BeamHeader::for_band(nchans, 1214.0, 322.0 / nchans as f64, 65.476e-6 * 4.0);
    let top = h.freq_mhz(nchans - 1);
    let mut data = vec![0f32; nchans * nsamp];
    for c in 0..nchans {
        let d = relative_delay_s(dm, h.freq_mhz(c), top) / h.tsamp_s;
        for &t0 in t0s {
            let centre = t0 + d;
            let lo = (centre - 6.0 * w).floor().max(0.0) as usize;
            let hi = ((centre + 6.0 * w).ceil() as usize).min(nsamp - 1);
            for t in lo..=hi {
                let x = (t as f64 - centre) / w;
                data[t * nchans + c] += (-0.5 * x * x).exp() as f32;
            }
        }
    }
    MemorySource::new(h, data)
}

/// The largest |a − b| of two series.
fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max)
}

fn pass(dms: Vec<f64>, nsub: usize, ds: usize) -> DmPass {
    let subdm = 0.5 * (dms[0] + dms[dms.len() - 1]);
    DmPass {
        step: 0,
        pass: 0,
        subdm,
        dms,
        nsub,
        downsamp: ds,
    }
}

fn raw() -> DedispConfig {
    // Noise-free tests: no normalisation (a channel's variance is the pulse's).
    DedispConfig {
        normalise: false,
        block: 1000,
        ..DedispConfig::default()
    }
}

#[test]
fn brute_force_puts_every_channel_back_at_the_top_arrival_time() {
    let mut src = dispersed_pulses(64, 6000, 300.0, &[1000.5, 3000.0], 2.0);
    let id = ChannelScaling::identity(64);
    let s = dedisperse_brute(&mut src, &[300.0], 1, &id, &raw(), &|_, _| {}).unwrap();
    let d = &s[0].data;
    let peak = d.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
    assert!((peak.0 as f64 - 1000.5).abs() <= 1.0 || (peak.0 as f64 - 3000.0).abs() <= 1.0);
    // Each channel's pulse is rounded onto the grid by at most half a sample, so
    // the peak keeps most of the 64 channels' unit peaks.
    assert!(*peak.1 > 0.9 * 64.0, "peak {}", peak.1);
    assert_eq!(s[0].info.dm, 300.0);
    assert_eq!(s[0].data.len(), 6000);
}

#[test]
fn subband_and_brute_force_agree_on_noise_free_data() {
    // Tolerance: stage 1 rounds each channel's shift at the subband DM and stage 2
    // each subband's at the trial DM, so a channel can land one sample away from
    // where brute force puts it (plus the subband smearing, here under a sample
    // because the trial DMs lie within ±1 of the subband DM). For a Gaussian of
    // r.m.s. width 3 samples a one-sample displacement changes a sample by at most
    // e^{-1/2}/3 ≈ 0.2 of that channel's peak; averaged over the band the series
    // differ by far less. We require the peak heights to agree to 5 % and every
    // sample to 10 % of the peak.
    let nch = 128;
    let mut src = dispersed_pulses(nch, 8000, 150.0, &[2000.0, 5000.3], 3.0);
    let id = ChannelScaling::identity(nch);
    let dms: Vec<f64> = (0..21).map(|i| 149.0 + 0.1 * i as f64).collect();
    let sub = dedisperse_passes(&mut src, &[pass(dms.clone(), 16, 1)], &id, &raw(), &|_, _| {}).unwrap();
    let brute = dedisperse_brute(&mut src, &dms, 1, &id, &raw(), &|_, _| {}).unwrap();
    for (a, b) in sub[0].iter().zip(&brute) {
        assert_eq!(a.info.dm, b.info.dm);
        let pa = a.data.iter().copied().fold(f32::MIN, f32::max);
        let pb = b.data.iter().copied().fold(f32::MIN, f32::max);
        let worst = max_difference(&a.data, &b.data);
        if (a.info.dm - 150.0).abs() < 1e-9 {
            assert!((pa - pb).abs() < 0.05 * pb, "DM {}: peaks {pa} vs {pb}", a.info.dm);
        }
        assert!(
            worst < 0.10 * pb,
            "DM {}: max difference {worst} vs peak {pb}",
            a.info.dm
        );
    }
    // The true DM gives the highest peak.
    let best = sub[0]
        .iter()
        .max_by(|x, y| {
            let px = x.data.iter().copied().fold(f32::MIN, f32::max);
            let py = y.data.iter().copied().fold(f32::MIN, f32::max);
            px.total_cmp(&py)
        })
        .unwrap();
    assert!((best.info.dm - 150.0).abs() <= 0.1 + 1e-9, "best DM {}", best.info.dm);
}

#[test]
fn downsampling_sums_samples_and_blocks_do_not_matter() {
    let nch = 32;
    let mut src = dispersed_pulses(nch, 5003, 80.0, &[1234.0], 4.0);
    let id = ChannelScaling::identity(nch);
    let p = pass(vec![79.0, 80.0, 81.0], 8, 3);
    let a = dedisperse_passes(&mut src, std::slice::from_ref(&p), &id, &raw(), &|_, _| {}).unwrap();
    let cfg = DedispConfig { block: 4096, ..raw() };
    let b = dedisperse_passes(&mut src, &[p], &id, &cfg, &|_, _| {}).unwrap();
    assert_eq!(a[0][1].data.len(), 5003 / 3);
    for (x, y) in a[0].iter().zip(&b[0]) {
        for (u, v) in x.data.iter().zip(&y.data) {
            assert!((u - v).abs() < 1e-3, "block size changed the result");
        }
    }
    // Downsampling by 3 sums three samples: the pulse's total is conserved.
    let total: f32 = a[0][1].data.iter().sum();
    let want = nch as f32 * (4.0 * (2.0 * std::f32::consts::PI).sqrt());
    assert!((total - want).abs() < 0.02 * want, "{total} vs {want}");
    assert!((a[0][1].info.dt - 3.0 * 4.0 * 65.476e-6).abs() < 1e-12);
}

#[test]
fn normalisation_and_zero_dm_remove_a_bandpass_and_dm0_bursts() {
    // A strong bandpass and an undispersed burst in every channel.
    let nch = 16;
    let h = BeamHeader::for_band(nch, 1400.0, 1.0, 1e-3);
    let mut data = Vec::new();
    for t in 0..4000usize {
        for c in 0..nch {
            let noise = (((t * 7919 + c * 104_729) % 1000) as f32 / 1000.0) - 0.5;
            let burst = if t == 2000 { 50.0 } else { 0.0 };
            data.push(100.0 * (c + 1) as f32 + noise + burst);
        }
    }
    let mut src = MemorySource::new(h, data);
    let scaling = ChannelScaling::measure(&mut src).unwrap();
    let cfg = DedispConfig {
        zerodm: true,
        ..DedispConfig::default()
    };
    let s = dedisperse_brute(&mut src, &[0.0], 1, &scaling, &cfg, &|_, _| {}).unwrap();
    let mean: f32 = s[0].data.iter().sum::<f32>() / 4000.0;
    assert!(mean.abs() < 0.05, "bandpass not removed: mean {mean}");
    assert!(
        s[0].data[2000].abs() < 1.0,
        "zero-DM filter left the burst: {}",
        s[0].data[2000]
    );
}

#[test]
fn tail_is_marked_as_padding() {
    let mut src = dispersed_pulses(32, 3000, 500.0, &[100.0], 2.0);
    let id = ChannelScaling::identity(32);
    let s = dedisperse_brute(&mut src, &[500.0, 0.0], 1, &id, &raw(), &|_, _| {}).unwrap();
    let (on, off) = s[0].info.onoff[0];
    assert_eq!(on, 0);
    let delay = relative_delay_s(500.0, 1214.0, 1214.0 + 31.0 * 322.0 / 32.0) / (4.0 * 65.476e-6);
    assert!(
        ((3000.0 - delay) - off as f64).abs() <= 2.0,
        "off {off} vs {}",
        3000.0 - delay
    );
    assert!(s[1].info.onoff.is_empty(), "DM 0 has no padding");
}

#[test]
fn half_precision_series_match_f32_to_eleven_bits_and_need_normalised_channels() {
    use crate::series::HalfSeries;
    use rand::{Rng, SeedableRng};
    // Noise of unit variance in 48 channels plus a dispersed pulse.
    let (nch, nsamp) = (48, 7001);
    let mut src = dispersed_pulses(nch, nsamp, 60.0, &[2500.0], 3.0);
    let h = src.header().clone();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let mut data = palfa_core::beam::read_range(&mut src, 0, nsamp).unwrap();
    for v in data.iter_mut() {
        *v = 5.0 * *v + 100.0 + 3.0 * (rng.gen::<f32>() - 0.5) * 12f32.sqrt();
    }
    let mut src = MemorySource::new(h, data);
    let scaling = ChannelScaling::measure(&mut src).unwrap();
    let cfg = DedispConfig {
        block: 1000,
        ..DedispConfig::default()
    };
    let p = pass(vec![58.0, 60.0, 62.0], 8, 2);
    let full = dedisperse_passes(&mut src, std::slice::from_ref(&p), &scaling, &cfg, &|_, _| {}).unwrap();
    let half =
        dedisperse_passes_into::<HalfSeries>(&mut src, std::slice::from_ref(&p), &scaling, &cfg, &|_, _| {}).unwrap();
    // rms of 48 channels x 2 samples: sqrt(96) ~ 9.8, stored in units of 8.
    for (f, h) in full[0].iter().zip(&half[0]) {
        assert_eq!(f.info, h.info);
        let w = h.to_series();
        let peak = f.data.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(peak > 50.0, "the pulse is there: {peak}");
        for (a, b) in f.data.iter().zip(&w.data) {
            assert!((a - b).abs() <= a.abs() * 4.9e-4 + 8.0 * 6.2e-5, "{a} vs {b}");
        }
    }
    let raw_half = dedisperse_passes_into::<HalfSeries>(&mut src, &[p], &scaling, &raw(), &|_, _| {});
    assert!(matches!(raw_half, Err(SearchError::Params(_))));
}

#[test]
fn exact_dedispersion_matches_brute_force_in_a_fraction_of_the_memory() {
    // Subbands formed at each DM: only the two-stage rounding differs from
    // brute force (a channel up to one sample away), as in
    // `subband_and_brute_force_agree_on_noise_free_data` without the
    // subband smearing.
    let nch = 128;
    let mut src = dispersed_pulses(nch, 8000, 400.0, &[2000.0, 5000.3], 3.0);
    let id = ChannelScaling::identity(nch);
    let dms = [0.0, 100.0, 400.0, 800.0];
    let exact = dedisperse_exact(&mut src, &dms, 1, 16, &id, &raw(), &|_, _| {}).unwrap();
    let brute = dedisperse_brute(&mut src, &dms, 1, &id, &raw(), &|_, _| {}).unwrap();
    // Samples compared with the dedispersed pulse's height (at other DMs
    // the pulse is smeared over hundreds of samples, each well below it).
    let full = brute[2].data.iter().copied().fold(f32::MIN, f32::max);
    for (a, b) in exact.iter().zip(&brute) {
        assert_eq!((a.info.dm, a.data.len()), (b.info.dm, b.data.len()));
        let worst = max_difference(&a.data, &b.data);
        assert!(
            worst < 0.05 * full,
            "DM {}: max difference {worst} vs {full}",
            a.info.dm
        );
    }
    // At its own DM the pulse is whole in both.
    let at = exact[2].data.iter().copied().fold(f32::MIN, f32::max);
    assert!((at - full).abs() < 0.05 * full, "peaks {at} vs {full}");
    assert!(at > 0.9 * nch as f32, "peak {at}");

    // A PALFA beam's zaplist probe (960 channels, 65.476 µs, 14 DMs up to
    // 4096 with 96 subbands): less than half of brute force's working memory.
    let h = BeamHeader::for_band(960, 1214.0, 322.0 / 960.0, 65.476e-6);
    let probe = crate::zap::probe_dms(5090.4);
    let cfg = DedispConfig::default();
    let exact = exact_working_bytes(&h, &probe, 1, 96, &cfg);
    let brute = engine::working_bytes(&h, &exact_specs(&probe, 1), 1, &cfg);
    assert!(brute > 900_000_000, "{brute}");
    assert!(exact < brute / 2, "{exact} vs {brute}");
}
