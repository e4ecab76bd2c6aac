//! `palfa inspect --merge` and `palfa search` on one observation split over
//! three PSRFITS files with a gap between two of them: read as one beam, and
//! the injected pulsar found at its period and DM.

use std::path::{Path, PathBuf};
use std::process::Command;

use palfa_core::beam::{open_beam, read_range};
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_core::formats::results::SearchResults;
use palfa_core::formats::ObservationSpec;
use palfa_core::simulate::{simulate, PulsarSpec, SimParams};

fn palfa(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(args)
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap()
}

const PERIOD_S: f64 = 0.0873;
const DM: f64 = 45.0;
const NSBLK: usize = 4096;

/// A 25-s beam with one pulsar, written as three PSRFITS files: rows 0–7,
/// 8–15 and 17–23 of 1.05 s (row 16 is missing).
fn split_beam(dir: &Path) -> (Vec<PathBuf>, u64) {
    let p = SimParams {
        nchans: 64,
        chan_bw_mhz: 4.0,
        tsamp_s: 256e-6,
        nsamples: 24 * NSBLK as u64,
        pulsars: vec![PulsarSpec {
            period_s: PERIOD_S,
            dm: DM,
            duty: 0.05,
            snr: 40.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        ..SimParams::default()
    };
    let whole = dir.join("whole.fil");
    simulate(&p, &whole, &|_, _| {}).unwrap();
    let mut beam = open_beam(&[&whole]).unwrap();
    let h = beam.header().clone();
    let data = read_range(beam.as_mut(), 0, h.nsamples as usize).unwrap();
    let spec = ObservationSpec::from_header(&h, true);
    let n = h.nchans * NSBLK;
    let mut files = Vec::new();
    for (i, (from, to)) in [(0, 8), (8, 16), (17, 24)].into_iter().enumerate() {
        let mut s = spec.clone();
        s.start_mjd += (from * NSBLK) as f64 * s.tsamp_s / 86_400.0;
        let path = dir.join(format!("obs_000{i}.fits"));
        let mut w = PsrfitsWriter::create(&path, &s, NSBLK).unwrap();
        w.write_spectra(&data[from * n..to * n]).unwrap();
        w.finish().unwrap();
        files.push(path);
    }
    files.reverse();
    (files, h.nsamples)
}

#[test]
fn inspect_and_search_read_a_split_observation_as_one_beam() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, nsamples) = split_beam(tmp.path());
    let names: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();

    let out = palfa(&[&["inspect", "--merge", "--json"], &names[..]].concat());
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["header"]["nsamples"].as_u64(), Some(nsamples));
    assert_eq!(doc["header"]["files"].as_array().unwrap().len(), 3);
    assert!(doc["header"]["files"][0].as_str().unwrap().ends_with("obs_0000.fits"));

    let outdir = tmp.path().join("results");
    let out = palfa(
        &[
            &["search", "--no-progress", "--outdir", outdir.to_str().unwrap()],
            &names[..],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let res = SearchResults::read_dir(&outdir).unwrap();
    assert_eq!(res.header.num_samples, nsamples);
    assert_eq!(res.header.original_files.len(), 3);
    let found = res.candidates.iter().find(|c| {
        let h = (c.period_s / PERIOD_S).round();
        (1.0..=4.0).contains(&h) && (c.period_s / h - PERIOD_S).abs() < 1e-4 * PERIOD_S
    });
    let c = found.unwrap_or_else(|| panic!("the pulsar was not found: {:#?}", res.candidates));
    assert!((c.dm - DM).abs() < 0.15 * DM, "DM {} for {DM}", c.dm);
    assert!(c.prepfold_sigma > 8.0, "{}", c.prepfold_sigma);
}
