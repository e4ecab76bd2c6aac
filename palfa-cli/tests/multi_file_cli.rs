//! `palfa inspect --merge` and `palfa search` on one observation split over
//! three PSRFITS files with a gap between two of them: read as one beam, and
//! the injected pulsar found at its period and DM; and `palfa inspect` on
//! every real file of `../shared/data/`.

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

#[test]
fn inspect_reads_every_real_file_and_names_the_one_it_cannot() {
    let Some(dir) = palfa_testkit::shared_data("") else {
        return;
    };
    let files: Vec<PathBuf> = ["sigpyproc3/tutorial.fil", "sigpyproc3/tutorial_2bit.fil", "your/28.fil"]
        .iter()
        .chain(&[
            "your/28.fits",
            "your/small.fits",
            "your/test_4pol.fits",
            "your/small.fil",
        ])
        .map(|f| dir.join(f))
        .collect();
    let names: Vec<&str> = files.iter().map(|f| f.to_str().unwrap()).collect();
    let out = palfa(&[&["inspect", "--json", "--stats-spectra", "0"], &names[..]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // One JSON document per file, each with its spectra read.
    let text = String::from_utf8_lossy(&out.stdout);
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(|d| d.unwrap())
        .collect();
    assert_eq!(docs.len(), files.len());
    for (d, f) in docs.iter().zip(&files) {
        let n = d["header"]["nsamples"].as_u64().unwrap();
        assert!(n > 0 && d["spectra_read"].as_u64() == Some(n), "{}: {d}", f.display());
    }
    // The 4-polarisation file is read as total intensity of its 4 products.
    assert_eq!(docs[5]["header"]["npol"].as_u64(), Some(4));
    // A file with no rows: exit status 1, the file named, the others still shown.
    let empty = dir.join("your/empty.fits");
    let out = palfa(&["inspect", empty.to_str().unwrap(), names[0]]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.fits"));
    assert!(!out.stdout.is_empty());
}
