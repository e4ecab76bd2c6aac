//! rfifind equivalent on simulated beams with known RFI, and on a real file.
//!
//! The beams are small (128 channels, 131 µs, 20-30 s) so that the whole file
//! runs in seconds in release mode. A bad channel is masked in every interval,
//! so masked fractions are compared with the bad channels' cells; an impulse is
//! clipped spectrum by spectrum (its samples plus the guard), not masked, so
//! clipped fractions are compared with the impulses' spectra.

use std::path::{Path, PathBuf};

use palfa_core::beam::{open_beam, read_range, SpectraSource};
use palfa_core::config::RfiParams;
use palfa_core::formats::presto::RfiMask;
use palfa_core::simulate::{simulate, ImpulseSpec, PulsarSpec, RfiSpec, SimParams, SinglePulseSpec, Truth};
use palfa_core::DataFormat;
use palfa_search::rfi::{
    bits, find_rfi, plot_rfi, read_clipped_spectra, read_presto_stats, MaskedSource, RfiResult, CLIP_GUARD,
};

/// A file under `../shared/data/`; `None` (with a note) only where that folder is absent.
fn shared(rel: &str) -> Option<PathBuf> {
    palfa_testkit::shared_data(rel)
}

const TSAMP: f64 = 131e-6;
const NCHANS: usize = 128;

/// A PALFA-band beam: 128 channels of 2.52 MHz below 1537 MHz.
fn base_params(seconds: f64, seed: u64) -> SimParams {
    SimParams {
        seed,
        nchans: NCHANS,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s: TSAMP,
        nsamples: (seconds / TSAMP).round() as u64,
        ..SimParams::default()
    }
}

fn impulse(time_s: f64, width_ms: f64, amplitude: f64) -> ImpulseSpec {
    ImpulseSpec {
        time_s,
        width_s: width_ms * 1e-3,
        amplitude,
    }
}

/// The RFI beam: 5 bad channels, 4 short broadband bursts of 0.8-6 σ per
/// channel, and 60-Hz mains hum in every channel (peaks of 1 σ per channel,
/// 11 σ in the band sum, in every interval: it must not be clipped).
fn rfi_params() -> SimParams {
    SimParams {
        rfi: RfiSpec {
            periodic_hz: 60.0,
            periodic_amplitude: 1.0,
            periodic_harmonics: 5,
            bad_channels: vec![5, 40, 41, 77, 120],
            bad_channel_noise: 10.0,
            impulses: vec![
                impulse(3.3, 2.0, 3.0),
                impulse(11.0, 10.0, 0.8),
                impulse(17.2, 1.0, 6.0),
                impulse(25.9, 5.0, 2.0),
            ],
            narrowband: Vec::new(),
        },
        ..base_params(30.0, 11)
    }
}

fn run(path: &Path, params: &RfiParams) -> RfiResult {
    let mut beam = open_beam(&[path]).unwrap();
    find_rfi(beam.as_mut(), params, &|_, _| {}).unwrap()
}

/// Cells (interval, channel) of the bad channels: every interval of each.
fn bad_channel_cells(truth: &Truth, numint: usize) -> Vec<bool> {
    let mut cells = vec![false; numint * NCHANS];
    for &c in &truth.rfi.bad_channels {
        (0..numint).for_each(|i| cells[i * NCHANS + c] = true);
    }
    cells
}

/// Is every spectrum of `[s0, s1)` inside one of the clipped ranges?
fn clipped_whole(ranges: &[(u64, u64)], s0: u64, s1: u64) -> bool {
    ranges.iter().any(|&(a, b)| a <= s0 && s1 <= b)
}

/// Is spectrum `t` clipped?
fn is_clipped(ranges: &[(u64, u64)], t: u64) -> bool {
    ranges.iter().any(|&(a, b)| (a..b).contains(&t))
}

#[test]
fn bad_channels_are_masked_and_impulses_clipped_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rfi.fil");
    let truth = simulate(&rfi_params(), &path, &|_, _| {}).unwrap();
    let r = run(&path, &RfiParams::default());
    let (numint, p) = (r.numint(), r.ptsperint);
    let bad = bad_channel_cells(&truth, numint);
    let bad_fraction = bad.iter().filter(|&&b| b).count() as f64 / bad.len() as f64;
    let impulses = &truth.rfi.impulse_samples;
    // Each impulse's spectra and a guard on either side (the impulses are far apart).
    let expected_clipped = impulses
        .iter()
        .map(|&(s0, s1)| (s1 - s0) as f64 + 2.0 * CLIP_GUARD as f64)
        .sum::<f64>()
        / r.nsamples as f64;
    eprintln!(
        "RFI beam: {numint} intervals of {p}; masked {:.4} (bad channels {bad_fraction:.4}); clipped {:.5} \
         (impulses + guard {expected_clipped:.5}), combined {:.4}; zapped chans {:?}, ints {:?}; \
         impulses {impulses:?}, clipped {:?}; peaks {:?} level {}",
        r.masked_fraction,
        r.clipped_fraction,
        r.masked_or_clipped_fraction,
        r.mask.zap_chans,
        r.mask.zap_ints,
        r.clipped_spectra,
        r.clip_peak_sigma,
        r.clip_level_sigma
    );
    // The cell mask: every bad channel in every interval, and no whole interval.
    assert_eq!(r.mask.zap_chans, truth.rfi.bad_channels);
    assert!(r.mask.zap_ints.is_empty(), "{:?}", r.mask.zap_ints);
    let false_cells = (0..numint * NCHANS)
        .filter(|&k| !bad[k] && r.mask.is_masked(k / NCHANS, k % NCHANS))
        .count();
    assert!(
        (r.masked_fraction - bad_fraction).abs() < 0.02,
        "masked {} vs bad channels {bad_fraction}",
        r.masked_fraction
    );
    assert!(false_cells * 100 < numint * NCHANS, "{false_cells} false cells");
    // Every impulse is clipped whole, guard included, and its intervals are not masked.
    for &(s0, s1) in impulses {
        let guarded = (s0 - CLIP_GUARD as u64, s1 + CLIP_GUARD as u64);
        assert!(
            clipped_whole(&r.clipped_spectra, guarded.0, guarded.1),
            "impulse {s0}..{s1} not clipped whole: {:?}",
            r.clipped_spectra
        );
        for i in (s0 as usize / p)..=((s1 as usize - 1) / p) {
            let masked = (0..NCHANS).filter(|&c| r.mask.is_masked(i, c)).count();
            assert_eq!(
                masked,
                truth.rfi.bad_channels.len(),
                "interval {i} of impulse {s0}..{s1}"
            );
            assert!(r.clipped[i] > 0);
        }
    }
    // Nothing else is clipped: every stretch holds an impulse, and reaches at
    // most `SLACK` spectra beyond its guard. (The bursts start on peaks of the
    // 60-Hz hum, whose lobe, at 11 σ in the band sum, extends the stretch by
    // about 8 spectra before them.)
    const SLACK: u64 = 10;
    for &(a, b) in &r.clipped_spectra {
        let Some(&(s0, s1)) = impulses.iter().find(|&&(s0, s1)| s0 < b && a < s1) else {
            panic!("false clip {a}..{b}");
        };
        let guard = CLIP_GUARD as u64;
        assert!(
            a + SLACK + guard >= s0 && b <= s1 + guard + SLACK,
            "{a}..{b} for {s0}..{s1}"
        );
    }
    let slack = (2 * SLACK as usize * impulses.len()) as f64 / r.nsamples as f64;
    assert!(
        r.clipped_fraction >= expected_clipped && r.clipped_fraction <= expected_clipped + slack,
        "clipped {} vs {expected_clipped} (+ at most {slack})",
        r.clipped_fraction
    );
    // The combined figure adds the clipped spectra of the unmasked cells (checked
    // sample by sample in the MaskedSource test).
    assert!(r.masked_or_clipped_fraction > r.masked_fraction);
    assert!(r.masked_or_clipped_fraction < r.masked_fraction + 2.0 * r.clipped_fraction);
}

/// The survey's must-show: an S/N 20 pulsar and an S/N 15 single pulse at DM 300
/// and no RFI leave the beam unmasked and unclipped.
#[test]
fn a_pulsar_and_a_dispersed_pulse_are_not_masked_or_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("psr.fil");
    let sim = SimParams {
        pulsars: vec![PulsarSpec {
            period_s: 4.1573e-3,
            dm: 131.4,
            duty: 0.05,
            snr: 20.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        single_pulses: vec![SinglePulseSpec {
            time_s: 9.0,
            dm: 300.0,
            width_s: 5e-3,
            snr: 15.0,
        }],
        ..base_params(20.0, 5)
    };
    simulate(&sim, &path, &|_, _| {}).unwrap();
    let r = run(&path, &RfiParams::default());
    eprintln!(
        "pulsar beam: masked {:.4}, clipped {:?}, clip peaks {:?}, level {}",
        r.masked_fraction, r.clipped_spectra, r.clip_peak_sigma, r.clip_level_sigma
    );
    // One false cell in 1280 would be 0.08 %.
    assert!(r.masked_fraction < 0.002, "{}", r.masked_fraction);
    assert!(r.clipped_spectra.is_empty(), "{:?}", r.clipped_spectra);
    assert_eq!(r.masked_or_clipped_fraction, r.masked_fraction);
}

/// A pulsar so bright (S/N 1000 at DM 50) that every cell's peak power exceeds
/// PRESTO's absolute threshold and its pulses reach 9 σ in the DM-0 band sum:
/// the relative power rule and the clip test's dispersion and persistence
/// rules keep it unmasked and unclipped.
#[test]
fn a_very_bright_pulsar_is_not_masked_wholesale_or_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bright.fil");
    let sim = SimParams {
        pulsars: vec![PulsarSpec {
            period_s: 0.7139,
            dm: 50.2,
            duty: 0.03,
            snr: 1000.0,
            accel_m_s2: 0.0,
            phase: 0.3,
        }],
        ..base_params(20.0, 6)
    };
    simulate(&sim, &path, &|_, _| {}).unwrap();
    let r = run(&path, &RfiParams::default());
    let n = r.stats.max_power.len();
    let over = r
        .stats
        .max_power
        .iter()
        .filter(|&&p| p as f64 > r.thresholds.pow_reject)
        .count();
    eprintln!(
        "bright pulsar: masked {:.4}; {over}/{n} cells above pow_reject {:.1}; clip peaks {:?}, level {}, dispersed events {:?}, clipped {:?}",
        r.masked_fraction, r.thresholds.pow_reject, r.clip_peak_sigma, r.clip_level_sigma, r.dispersed_events, r.clipped_spectra
    );
    assert!(
        over > n * 9 / 10,
        "the test needs a pulsar PRESTO's rule would mask: {over}/{n}"
    );
    assert!(
        r.clip_peak_sigma.iter().all(|&p| p > 6.0),
        "its pulses must reach the clip level"
    );
    assert!(r.masked_fraction < 0.01, "{}", r.masked_fraction);
    assert!(r.clipped_spectra.is_empty(), "{:?}", r.clipped_spectra);
}

/// A PALFA Mock pair (two PSRFITS files merged into one band) with bad channels
/// in both halves and one burst. The length is whole PSRFITS rows: the writer
/// pads a partial last row by repeating the last spectrum, a step that the
/// power test rightly flags in about half the channels.
#[test]
fn mock_pair_bad_channels_are_masked_and_the_burst_clipped() {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimParams {
        format: palfa_core::simulate::SimFormat::Mock,
        nsblk: 1024,
        nsamples: 74 * 1024,
        rfi: RfiSpec {
            bad_channels: vec![10, 100],
            bad_channel_noise: 10.0,
            impulses: vec![impulse(4.0, 3.0, 3.0)],
            ..RfiSpec::default()
        },
        ..base_params(10.0, 8)
    };
    let truth = simulate(&sim, dir.path(), &|_, _| {}).unwrap();
    assert_eq!(truth.files.len(), 2);
    let mut beam = open_beam(&truth.files).unwrap();
    assert_eq!(beam.header().format, DataFormat::MockPair);
    let params = RfiParams {
        chunk_time_s: 1.0,
        ..RfiParams::default()
    };
    let r = find_rfi(beam.as_mut(), &params, &|_, _| {}).unwrap();
    let p = r.ptsperint;
    let (s0, s1) = truth.rfi.impulse_samples[0];
    eprintln!(
        "mock pair: {} intervals of {p}, masked {:.4}, zapped chans {:?} ints {:?}, burst {s0}..{s1}, clipped {:?}",
        r.numint(),
        r.masked_fraction,
        r.mask.zap_chans,
        r.mask.zap_ints,
        r.clipped_spectra
    );
    assert_eq!(r.mask.zap_chans, vec![10, 100]);
    assert!(r.mask.zap_ints.is_empty());
    assert!((r.masked_fraction - 2.0 / NCHANS as f64).abs() < 0.01);
    let guard = CLIP_GUARD as u64;
    assert_eq!(r.clipped_spectra, vec![(s0 - guard, s1 + guard)]);
}

#[test]
fn zero_weight_channels_are_masked() {
    let sim_path = tempfile::tempdir().unwrap();
    let path = sim_path.path().join("w.fil");
    simulate(&base_params(8.0, 3), &path, &|_, _| {}).unwrap();
    let mut beam = open_beam(&[&path]).unwrap();
    let mut header = beam.header().clone();
    let data = read_range(beam.as_mut(), 0, header.nsamples as usize).unwrap();
    let mut data = data;
    // Dead channels at both edges, as in a merged Mock beam: zero weight, zero data.
    for c in [0, 1, NCHANS - 1] {
        header.chan_weights[c] = 0.0;
        data.iter_mut().skip(c).step_by(NCHANS).for_each(|v| *v = 0.0);
    }
    header.format = DataFormat::MockPair;
    let mut src = palfa_core::beam::MemorySource::new(header, data);
    let r = find_rfi(
        &mut src,
        &RfiParams {
            chunk_time_s: 1.0,
            ..RfiParams::default()
        },
        &|_, _| {},
    )
    .unwrap();
    eprintln!(
        "weights: masked {:.4}, zapped {:?}",
        r.masked_fraction, r.mask.zap_chans
    );
    assert_eq!(r.mask.zap_chans, vec![0, 1, NCHANS - 1]);
    assert!((r.masked_fraction - 3.0 / NCHANS as f64).abs() < 0.005);
    assert!(r.flag(0, 0) & bits::USERCHAN != 0);
    assert!(r.clipped_spectra.is_empty());
}

#[test]
fn files_round_trip_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rfi.fil");
    simulate(&rfi_params(), &path, &|_, _| {}).unwrap();
    let r = run(
        &path,
        &RfiParams {
            zap_chans: vec![64],
            zap_ints: vec![1],
            ..RfiParams::default()
        },
    );
    let files = r.write_files(dir.path().join("out"), "beam").unwrap();
    assert!(files.mask.ends_with("beam_rfifind.mask"));
    assert_eq!(RfiMask::read(&files.mask).unwrap(), r.mask);
    let (stats, ptsperint) = read_presto_stats(&files.stats).unwrap();
    assert_eq!((stats, ptsperint), (r.stats.clone(), r.ptsperint));
    assert_eq!(std::fs::read(&files.bytemask).unwrap(), r.flags);
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(json["masked_fraction"].as_f64().unwrap(), r.masked_fraction);
    assert_eq!(json["clipped_fraction"].as_f64().unwrap(), r.clipped_fraction);
    assert_eq!(
        json["masked_or_clipped_fraction"].as_f64().unwrap(),
        r.masked_or_clipped_fraction
    );
    assert_eq!(r.clipped_spectra.len(), 4, "the beam's 4 bursts");
    assert_eq!(read_clipped_spectra(&files.json).unwrap(), r.clipped_spectra);
    assert!(read_clipped_spectra(&files.inf).is_err());
    assert_eq!(json["channels"].as_array().unwrap().len(), NCHANS);
    let inf = palfa_core::formats::presto::InfFile::read(&files.inf).unwrap();
    assert_eq!(inf.n, r.nsamples);
    assert!(r.mask.zap_chans.contains(&64) && r.mask.zap_ints.contains(&1));
    let png = dir.path().join("beam_rfifind.png");
    plot_rfi(&r, &png).unwrap();
    std::fs::copy(&png, "/tmp/rfi_test_plot.png").ok();
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000);
}

/// `MaskedSource` from the result (mask and clipped spectra), from the mask
/// file alone (no clipping: a `.mask` cannot hold it), and from the mask file
/// with the clipped spectra read back from the `.stats.json`.
#[test]
fn masked_source_replaces_masked_and_clipped_samples_with_the_channel_level() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rfi.fil");
    let sim = rfi_params();
    let truth = simulate(&sim, &path, &|_, _| {}).unwrap();
    let r = run(&path, &RfiParams::default());
    let files = r.write_files(dir.path(), "rfi").unwrap();
    // The simulator's channel means and σ (bandpass 0.8-1.0 of noise_mean).
    let mean =
        |c: usize| sim.noise_mean * (0.8 + 0.2 * (std::f64::consts::PI * (c as f64 + 0.5) / NCHANS as f64).sin());
    let sigma = |c: usize| mean(c) * sim.noise_rms_frac;
    let raw = read_range(open_beam(&[&path]).unwrap().as_mut(), 0, truth_len(&truth)).unwrap();
    let from_file = |clip: bool| {
        let src = MaskedSource::from_mask(open_beam(&[&path]).unwrap(), RfiMask::read(&files.mask).unwrap()).unwrap();
        if clip {
            src.with_clipped_spectra(read_clipped_spectra(&files.json).unwrap())
        } else {
            src
        }
    };
    for (how, mut src) in [
        (
            "stats",
            MaskedSource::from_result(open_beam(&[&path]).unwrap(), &r).unwrap(),
        ),
        ("mask file", from_file(false)),
        ("mask file + stats.json", from_file(true)),
    ] {
        let clips = src.clipped_spectra().to_vec();
        let clipping = how != "mask file";
        assert_eq!(
            clips,
            if clipping {
                r.clipped_spectra.clone()
            } else {
                Vec::new()
            }
        );
        let mut worst = 0f64;
        for i in 0..r.numint() {
            for c in 0..NCHANS {
                let dev = (src.level(i, c) as f64 - mean(c)).abs() / sigma(c);
                let tol = if truth.rfi.bad_channels.contains(&c) { 1.5 } else { 0.2 };
                assert!(dev < tol, "{how}: level of ({i}, {c}) is {dev:.3} σ off");
                if !truth.rfi.bad_channels.contains(&c) {
                    worst = worst.max(dev);
                }
            }
        }
        eprintln!("{how}: worst level error of a good channel {worst:.4} σ");
        // Read in odd-sized blocks and compare with the raw data sample by sample.
        let mut out = Vec::new();
        let mut buf = vec![0f32; 777 * NCHANS];
        loop {
            let n = src.read_spectra(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n * NCHANS]);
        }
        assert_eq!(out.len(), raw.len());
        let mut replaced = vec![0usize; r.numint()];
        for (t, (o, w)) in out.chunks(NCHANS).zip(raw.chunks(NCHANS)).enumerate() {
            let i = r.mask.interval_of(t as u64);
            let clipped = is_clipped(&clips, t as u64);
            for c in 0..NCHANS {
                if clipped || r.mask.is_masked(i, c) {
                    assert_eq!(o[c], src.level(i, c), "{how}: spectrum {t}, channel {c}");
                    replaced[i] += 1;
                } else {
                    assert_eq!(o[c], w[c], "{how}: spectrum {t}, channel {c}");
                }
            }
        }
        // The combined fraction is what the source replaces, each cell weighing the same.
        let p = r.ptsperint;
        let weighted: f64 = (0..r.numint())
            .map(|i| replaced[i] as f64 / ((raw.len() / NCHANS).min((i + 1) * p) - i * p) as f64)
            .sum::<f64>()
            / (r.numint() * NCHANS) as f64;
        let expected = if clipping {
            r.masked_or_clipped_fraction
        } else {
            r.masked_fraction
        };
        assert!((weighted - expected).abs() < 1e-9, "{how}: {weighted} vs {expected}");
        // Clipping leaves no impulse in the band sum; the mask alone leaves them all.
        for (k, &(s0, s1)) in truth.rfi.impulse_samples.iter().enumerate() {
            let i = r.mask.interval_of(s0);
            let level: f64 = (0..NCHANS).map(|c| src.level(i, c) as f64).sum();
            let excess = (s0..s1)
                .map(|t| {
                    let t = t as usize;
                    out[t * NCHANS..(t + 1) * NCHANS].iter().map(|&v| v as f64).sum::<f64>() - level
                })
                .sum::<f64>()
                / (s1 - s0) as f64;
            let injected: f64 = (0..NCHANS)
                .filter(|c| !truth.rfi.bad_channels.contains(c))
                .map(|c| sim.rfi.impulses[k].amplitude * sigma(c))
                .sum();
            if clipping {
                assert!(
                    excess.abs() < 1e-4 * level,
                    "{how}: impulse at {s0}..{s1} left ({excess:.1})"
                );
            } else {
                assert!(
                    excess > 0.5 * injected,
                    "{how}: impulse at {s0}..{s1}: {excess:.1} of {injected:.1}"
                );
            }
        }
    }
    // A mask for another beam is refused.
    let mut wrong = r.mask.clone();
    wrong.numchan = 64;
    assert!(MaskedSource::from_mask(open_beam(&[&path]).unwrap(), wrong).is_err());
}

fn truth_len(t: &Truth) -> usize {
    t.params.nsamples as usize
}

#[test]
fn real_filterbank_has_a_small_masked_fraction() {
    let Some(path) = shared("sigpyproc3/tutorial.fil") else {
        return;
    };
    let r = run(&path, &RfiParams::default());
    eprintln!(
        "tutorial.fil: {} ch x {} intervals of {}; masked {:.4}, clipped {:.5}; zapped chans {:?} ints {:?}; clipped {:?}",
        r.stats.nchan,
        r.numint(),
        r.ptsperint,
        r.masked_fraction,
        r.clipped_fraction,
        r.mask.zap_chans,
        r.mask.zap_ints,
        r.clipped_spectra
    );
    let png = std::env::temp_dir().join("tutorial_rfifind.png");
    plot_rfi(&r, &png).unwrap();
    assert!(r.masked_fraction < 0.05);
    assert!(r.masked_or_clipped_fraction < 0.05);
}
