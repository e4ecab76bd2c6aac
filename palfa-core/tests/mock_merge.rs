//! A beam written as a PALFA Mock s0/s1 pair and merged equals the single-band beam.

use palfa_core::beam::{open_beam, read_range};
use palfa_core::formats::mock::{MockMerger, MockName};
use palfa_core::simulate::{mock_names, simulate, PulsarSpec, SimFormat, SimParams};
use palfa_core::DataFormat;

fn params(format: SimFormat, nbits: u32) -> SimParams {
    SimParams {
        format,
        nbits,
        nchans: 64,
        nsamples: 6000,
        nsblk: 1024,
        mock_overlap: 8,
        mock_upper_gain: 1.37,
        noise_mean: 40.0,
        pulsars: vec![PulsarSpec {
            period_s: 0.033,
            dm: 50.0,
            duty: 0.05,
            snr: 80.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        ..SimParams::default()
    }
}

#[test]
fn merged_mock_pair_equals_single_band_beam() {
    let dir = tempfile::tempdir().unwrap();
    // The reference: the same beam (same seed) as one 32-bit filterbank, unquantised.
    let single = dir.path().join("single.fil");
    simulate(&params(SimFormat::Filterbank, 32), &single, &|_, _| {}).unwrap();
    let mock_dir = dir.path().join("mock");
    for nbits in [8u32, 4] {
        let p = params(SimFormat::Mock, nbits);
        let truth = simulate(&p, &mock_dir, &|_, _| {}).unwrap();
        let (s0, s1) = mock_names(&p);
        assert_eq!(MockName::parse(std::path::Path::new(&s0)).unwrap().subband, 0);
        assert_eq!(truth.files.len(), 2);
        // Either order of the two files merges the same way.
        let mut merged = open_beam(&[mock_dir.join(&s0), mock_dir.join(&s1)]).unwrap();
        let h = merged.header().clone();
        assert_eq!(h.format, DataFormat::MockPair);
        assert_eq!(h.nchans, 64);
        assert_eq!(h.nsamples, 6 * 1024);
        let mut reference = open_beam(&[&single]).unwrap();
        let href = reference.header().clone();
        assert!((h.lofreq_mhz - href.lofreq_mhz).abs() < 1e-3);
        assert!((h.chan_bw_mhz - href.chan_bw_mhz).abs() < 1e-5);
        assert!((h.start_mjd - href.start_mjd).abs() * 86400.0 < 1e-6);
        let got = read_range(merged.as_mut(), 0, 6000).unwrap();
        let want = read_range(reference.as_mut(), 0, 6000).unwrap();
        // Quantisation: 8-bit rounds to integers (0.5) then the upper band is rescaled
        // (per-row min-max over ~±4σ of a level-40 channel in 255 steps); 4-bit uses
        // 15 steps. Allow half a step plus the level-matching error.
        let sigma = 0.15 * 40.0;
        let step = if nbits == 8 {
            0.5 + 1.37 * 10.0 * sigma / 255.0
        } else {
            1.37 * 12.0 * sigma / 15.0
        };
        let mut max_err = 0f32;
        let mut sum_err = 0f64;
        for (a, b) in got.iter().zip(&want) {
            max_err = max_err.max((a - b).abs());
            sum_err += (a - b) as f64;
        }
        assert!(max_err <= step as f32, "{nbits}-bit: max error {max_err} > {step}");
        // No level offset: the mean error is far below a quantisation step.
        let mean_err = sum_err / got.len() as f64;
        assert!(mean_err.abs() < 0.05 * step, "{nbits}-bit: mean error {mean_err}");
        std::fs::remove_dir_all(&mock_dir).unwrap();
    }
}

#[test]
fn merger_reports_the_level_match_and_the_split() {
    let dir = tempfile::tempdir().unwrap();
    let p = params(SimFormat::Mock, 8);
    simulate(&p, dir.path(), &|_, _| {}).unwrap();
    let (s0, s1) = mock_names(&p);
    let m = MockMerger::open(&dir.path().join(&s1), &dir.path().join(&s0)).unwrap();
    // Overlap 8: the lower half keeps 36 - 4 = 32 channels.
    assert_eq!(m.lower_channels_kept(), 32);
    assert!((m.upper_gain() - 1.0 / 1.37).abs() < 0.01, "gain {}", m.upper_gain());
}

#[test]
fn mismatched_halves_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    simulate(&params(SimFormat::Mock, 8), &a, &|_, _| {}).unwrap();
    let other = SimParams {
        tsamp_s: 2.0 * 65.476e-6,
        ..params(SimFormat::Mock, 8)
    };
    simulate(&other, &b, &|_, _| {}).unwrap();
    let (s0, _) = mock_names(&other);
    let (_, s1) = mock_names(&params(SimFormat::Mock, 8));
    let err = open_beam(&[a.join(s1), b.join(s0)]).err().unwrap();
    assert!(err.to_string().contains("different sample times"), "{err}");
}
