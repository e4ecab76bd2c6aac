//! Synthetic observations and beams: a header, its writer's description,
//! and the small survey of data files that the tracker's tests track.

use std::path::{Path, PathBuf};

use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_core::formats::ObservationSpec;
use palfa_core::{BeamHeader, DataFormat};

/// A PALFA-like observation for writers: `nchans` channels of 0.336 MHz
/// from `lofreq_mhz` (lowest channel's centre), 65.476 µs samples, `nbits`
/// bits, stored highest frequency first when `descending`.
pub fn observation(nchans: usize, lofreq_mhz: f64, nbits: u32, descending: bool) -> ObservationSpec {
    ObservationSpec {
        source_name: "G45.07+00.11".into(),
        telescope: "Arecibo".into(),
        backend: "pdev".into(),
        project_id: "p2030".into(),
        observer: "palfa".into(),
        ra_deg: 288.0,
        dec_deg: 10.9,
        start_mjd: 61_041.5,
        tsamp_s: 65.476e-6,
        nchans,
        lofreq_mhz,
        chan_bw_mhz: 0.336,
        nbits,
        descending,
        beam_id: Some(3),
    }
}

/// The header of an in-memory beam (for
/// [`MemorySource`](palfa_core::beam::MemorySource)): `nchans` channels
/// covering 300 MHz from 1200 MHz, `tsamp_s` samples, 32-bit, every weight 1;
/// `nsamples` is set by the source from its data.
pub fn header(nchans: usize, tsamp_s: f64) -> BeamHeader {
    BeamHeader {
        files: Vec::new(),
        format: DataFormat::Filterbank,
        source_name: "mem".into(),
        telescope: "Arecibo".into(),
        backend: "test".into(),
        project_id: String::new(),
        observer: String::new(),
        ra_deg: 0.0,
        dec_deg: 0.0,
        start_mjd: 60000.0,
        tsamp_s,
        nsamples: 0,
        nchans,
        lofreq_mhz: 1200.0,
        chan_bw_mhz: 300.0 / nchans as f64,
        nbits: 32,
        npol: 1,
        beam_id: None,
        chan_weights: vec![1.0; nchans],
        file_size: 0,
    }
}

/// `nspec × nchans` values (time-major) of a deterministic ramp between 20
/// and 220, different for each `seed`.
pub fn ramp(nspec: usize, nchans: usize, seed: usize) -> Vec<f32> {
    (0..nspec * nchans)
        .map(|i| ((i * 7 + seed * 13) % 200) as f32 + 20.0)
        .collect()
}

/// A small valid SIGPROC filterbank beam at `path` (256 spectra, 8
/// channels), its data made from `seed`.
pub fn write_filterbank(path: &Path, seed: usize) {
    let mut w = FilterbankWriter::create(path, &observation(8, 1214.0, 8, true)).unwrap();
    w.write_spectra(&ramp(256, 8, seed)).unwrap();
    w.finish().unwrap();
}

/// The two halves of a small PALFA Mock beam in `dir`, named as the survey
/// names them; returns (s0, s1). s1 is the lower band; the bands overlap by
/// 4 channels on one grid.
pub fn write_mock_pair(dir: &Path, beam: u32, scan: u32) -> (PathBuf, PathBuf) {
    let name = |sub: u32| format!("4bit-p2030.20260101.G45.07+00.11.b{beam}s{sub}g0.{scan:05}.fits");
    let (p0, p1) = (dir.join(name(0)), dir.join(name(1)));
    let lower = observation(8, 1300.0, 8, true);
    let upper = observation(8, 1300.0 + 4.0 * 0.336, 8, true);
    for (p, s) in [(&p1, &lower), (&p0, &upper)] {
        let mut w = PsrfitsWriter::create(p, s, 64).unwrap();
        w.write_spectra(&ramp(256, 8, beam as usize)).unwrap();
        w.finish().unwrap();
    }
    (p0, p1)
}

/// A small survey in `dir`: `n_fil` filterbank beams (`beam000.fil`, …) and
/// `n_mock` Mock s0/s1 pairs, `n_fil + n_mock` beams in all.
pub fn make_beams(dir: &Path, n_fil: usize, n_mock: usize) {
    for i in 0..n_fil {
        write_filterbank(&dir.join(format!("beam{i:03}.fil")), i);
    }
    for i in 0..n_mock {
        write_mock_pair(dir, (i % 8) as u32, 100 + (i / 8) as u32);
    }
}

/// Writes an executable script (a stand-in worker), and beside it
/// `results.template.json`: a complete `results.json`
/// ([`SearchResults::example`](palfa_core::formats::results::SearchResults::example))
/// for the script to copy into its output directory.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let template = path.with_file_name("results.template.json");
    let text = serde_json::to_string_pretty(&palfa_core::formats::results::SearchResults::example()).unwrap();
    std::fs::write(template, text).unwrap();
}
