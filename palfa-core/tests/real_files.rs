//! The real files in ../shared/data/ (from sigpyproc3 and your): header values,
//! and samples checked against an independent reader (cfitsio, through the
//! `fitsio` crate) or against the same observation in the other format.

mod common;

use common::{set_card, shared};
use palfa_core::beam::{open_beam, read_range, SpectraSource};
use palfa_core::{DataFormat, FormatErrorKind};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn tutorial_filterbank_header() {
    let Some(path) = shared("sigpyproc3/tutorial.fil") else {
        return;
    };
    let beam = open_beam(&[&path]).unwrap();
    let h = beam.header();
    assert_eq!(h.format, DataFormat::Filterbank);
    assert_eq!(h.nchans, 64);
    assert_eq!(h.nbits, 2);
    assert_eq!(h.tsamp_s, 320e-6);
    assert_eq!(h.nsamples, 187_520);
    assert!(close(h.duration_s(), 60.0064, 1e-6));
    // fch1 = 1510, foff = -1.09: channel 0 (lowest) is 1510 - 63 * 1.09.
    assert!(close(h.lofreq_mhz, 1441.33, 1e-9));
    assert!(close(h.hifreq_mhz(), 1510.0, 1e-9));
    assert!(close(h.chan_bw_mhz, 1.09, 1e-12));
    assert_eq!(h.start_mjd, 50000.0);
    assert_eq!(h.source_name, "P: 250.000000000000 ms, DM: 30.000");
}

#[test]
fn tutorial_two_bit_samples_unpack_lowest_bits_first() {
    // sigproc packs 2-bit samples first-sample-in-lowest-bits. Check one byte
    // of the file against the reader by hand.
    let Some(path) = shared("sigpyproc3/tutorial.fil") else {
        return;
    };
    let bytes = std::fs::read(&path).unwrap();
    let data = &bytes[244..];
    let mut beam = open_beam(&[&path]).unwrap();
    let first = read_range(beam.as_mut(), 0, 2).unwrap();
    // Spectrum 0 is bytes 0..16 (64 channels x 2 bits), stored highest frequency first.
    for file_chan in 0..64 {
        let byte = data[file_chan / 4];
        let want = ((byte >> (2 * (file_chan % 4))) & 3) as f32;
        let normalised = 63 - file_chan; // lowest frequency first
        assert_eq!(first[normalised], want, "channel {file_chan}");
    }
}

#[test]
fn your_28_fil_and_fits_hold_the_same_observation() {
    let (Some(fil), Some(fits)) = (shared("your/28.fil"), shared("your/28.fits")) else {
        return;
    };
    let mut a = open_beam(&[&fil]).unwrap();
    let mut b = open_beam(&[&fits]).unwrap();
    let (ha, hb) = (a.header().clone(), b.header().clone());
    assert_eq!(ha.nchans, 336);
    assert_eq!(hb.nchans, 336);
    assert_eq!(ha.tsamp_s, 0.00126646875);
    assert_eq!(hb.tsamp_s, 0.00126646875);
    assert!(close(ha.lofreq_mhz, 1130.0, 1e-9) && close(hb.lofreq_mhz, 1130.0, 1e-9));
    assert!(close(ha.chan_bw_mhz, 1.0, 1e-9) && close(hb.chan_bw_mhz, 1.0, 1e-9));
    assert_eq!(ha.nsamples, 5120);
    assert_eq!(hb.nsamples, 7 * 789);
    // PSRFITS start: STT_IMJD + (STT_SMJD + STT_OFFS)/86400, row 1 starting at 0.
    let want = 58682.0 + (53595.0 + 0.3637763159349561) / 86400.0;
    assert!(close(hb.start_mjd, want, 1e-11), "{} vs {want}", hb.start_mjd);
    assert!(close(ha.start_mjd, 58682.620316710374, 1e-11));
    assert!(close(ha.start_mjd, hb.start_mjd, 2e-11));
    assert_eq!(hb.source_name, "src1");
    assert_eq!(hb.telescope, "VLA");
    assert_eq!(hb.backend, "YUPPI");
    assert!(close(hb.ra_deg, (12.0 + 26.0 / 60.0 + 37.6361 / 3600.0) * 15.0, 1e-9));
    assert!(close(hb.dec_deg, 13.0 + 57.0 / 60.0 + 52.1120 / 3600.0, 1e-9));
    assert!(close(ha.ra_deg, hb.ra_deg, 1e-6) && close(ha.dec_deg, hb.dec_deg, 1e-6));
    let da = read_range(a.as_mut(), 0, 5120).unwrap();
    let db = read_range(b.as_mut(), 0, 5120).unwrap();
    assert_eq!(da, db, "the filterbank and PSRFITS copies differ");
}

/// Reads a PSRFITS file with cfitsio and applies the PSRFITS rules in the most
/// direct way: samples unpacked from DATA's bytes (most significant bits first)
/// or read as cfitsio scales them (16 and 32 bits), then
/// (raw - ZERO_OFF) * DAT_SCL + DAT_OFFS, times DAT_WTS, Stokes I / AA+BB,
/// lowest frequency first.
fn reference_spectra(path: &std::path::Path) -> (usize, Vec<f32>) {
    let mut f = fitsio::FitsFile::open(path).unwrap();
    let hdu = f.hdu("SUBINT").unwrap();
    let nchan = hdu.read_key::<i64>(&mut f, "NCHAN").unwrap() as usize;
    let npol = hdu.read_key::<i64>(&mut f, "NPOL").unwrap() as usize;
    let nsblk = hdu.read_key::<i64>(&mut f, "NSBLK").unwrap() as usize;
    let nbits = hdu.read_key::<i64>(&mut f, "NBITS").unwrap() as usize;
    let signed = hdu.read_key::<i64>(&mut f, "SIGNINT").unwrap_or(0) == 1;
    let pol_type: String = hdu.read_key(&mut f, "POL_TYPE").unwrap();
    let zero_off = hdu.read_key::<f64>(&mut f, "ZERO_OFF").unwrap_or(0.0).abs() as f32;
    let nrows = hdu.read_key::<i64>(&mut f, "NAXIS2").unwrap() as usize;
    let samples: Vec<f32> = if nbits > 8 {
        hdu.read_col::<f64>(&mut f, "DATA")
            .unwrap()
            .iter()
            .map(|&v| v as f32)
            .collect()
    } else {
        let bytes: Vec<u8> = hdu.read_col(&mut f, "DATA").unwrap();
        let per_row = nsblk * npol * nchan;
        let row_bytes = bytes.len() / nrows;
        (0..nrows * per_row)
            .map(|i| {
                let (row, k) = (i / per_row, i % per_row * nbits);
                let byte = bytes[row * row_bytes + k / 8];
                let v = (byte >> (8 - nbits - k % 8)) & ((1u16 << nbits) - 1) as u8;
                if signed {
                    v as i8 as f32
                } else {
                    v as f32
                }
            })
            .collect()
    };
    let freq: Vec<f32> = hdu.read_col(&mut f, "DAT_FREQ").unwrap();
    let wts: Vec<f32> = hdu.read_col(&mut f, "DAT_WTS").unwrap();
    let offs: Vec<f32> = hdu.read_col(&mut f, "DAT_OFFS").unwrap();
    let scl: Vec<f32> = hdu.read_col(&mut f, "DAT_SCL").unwrap();
    let per_row_os = offs.len() / nrows;
    let npol_used = if npol >= 2 && pol_type.trim().starts_with("AABB") {
        2
    } else {
        1
    };
    let descending = nchan > 1 && freq[1] < freq[0];
    let mut out = Vec::with_capacity(nrows * nsblk * nchan);
    for r in 0..nrows {
        for s in 0..nsblk {
            let mut spec = vec![0f32; nchan];
            for p in 0..npol_used {
                for c in 0..nchan {
                    let raw = samples[r * nsblk * npol * nchan + (s * npol + p) * nchan + c];
                    let k = if per_row_os >= nchan * npol { p * nchan + c } else { c };
                    let v = (raw - zero_off) * scl[r * per_row_os + k] + offs[r * per_row_os + k];
                    spec[c] += v * wts[r * nchan + c];
                }
            }
            if descending {
                spec.reverse();
            }
            out.extend(spec);
        }
    }
    (nchan, out)
}

/// The largest difference between two equally long lists of spectra, relative
/// to the value's size (at least 1).
fn worst_difference(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0f32, f32::max)
}

#[test]
fn palfa_written_psrfits_of_every_depth_matches_cfitsio() {
    // Non-integer data: the writer quantises with per-channel scales and
    // offsets, which the reference applies by the definition.
    let dir = tempfile::tempdir().unwrap();
    for nbits in [1, 2, 4, 8, 16, 32] {
        for descending in [false, true] {
            let spec = common::spec(24, nbits, descending);
            let n = 3 * 40 + 7;
            let data: Vec<f32> = (0..n * 24)
                .map(|i| ((i * 7919 % 1013) as f32 * 0.37).sin() * 40.0 + 100.0)
                .collect();
            let path = dir.path().join(format!("w{nbits}{descending}.fits"));
            let mut w = palfa_core::formats::psrfits::PsrfitsWriter::create(&path, &spec, 40).unwrap();
            w.write_spectra(&data).unwrap();
            w.finish().unwrap();
            let (nchan, want) = reference_spectra(&path);
            assert_eq!(nchan, 24);
            let mut beam = open_beam(&[&path]).unwrap();
            let n = beam.header().nsamples as usize;
            let got = read_range(beam.as_mut(), 0, n).unwrap();
            let worst = worst_difference(&got, &want);
            assert!(
                worst < 1e-5,
                "{nbits}-bit, descending {descending}: differs from cfitsio's by {worst}"
            );
        }
    }
}

#[test]
fn psrfits_samples_match_cfitsio() {
    for rel in ["your/28.fits", "your/small.fits", "your/test_4pol.fits"] {
        let Some(path) = shared(rel) else { return };
        let (nchan, want) = reference_spectra(&path);
        let mut beam = open_beam(&[&path]).unwrap();
        assert_eq!(beam.header().nchans, nchan);
        let n = beam.header().nsamples as usize;
        assert_eq!(n * nchan, want.len(), "{rel}: spectra count");
        // Read in odd-sized blocks to cross row boundaries.
        let mut got = vec![0f32; n * nchan];
        let mut done = 0;
        while done < n {
            let k = beam
                .read_spectra(&mut got[done * nchan..(done + 333.min(n - done)) * nchan])
                .unwrap();
            assert!(k > 0);
            done += k;
        }
        assert_eq!(got, want, "{rel}: samples differ from cfitsio's");
    }
}

#[test]
fn four_polarisation_file_reads_stokes_i() {
    let Some(path) = shared("your/test_4pol.fits") else {
        return;
    };
    let beam = open_beam(&[&path]).unwrap();
    let h = beam.header();
    assert_eq!(h.npol, 4);
    assert_eq!(h.nchans, 512);
    assert_eq!(h.tsamp_s, 2.048e-5);
    assert_eq!(h.nsamples, 200);
    assert_eq!(h.source_name, "B0950+08");
    // OBSBW -800 over 512 channels.
    assert!(close(h.chan_bw_mhz, 800.0 / 512.0, 1e-6));
}

#[test]
fn small_files_read() {
    let (Some(fil), Some(fits)) = (shared("your/small.fil"), shared("your/small.fits")) else {
        return;
    };
    let a = open_beam(&[&fil]).unwrap();
    assert_eq!(a.header().nsamples, 10);
    assert_eq!(a.header().nchans, 336);
    let b = open_beam(&[&fits]).unwrap();
    assert_eq!(b.header().nsamples, 789);
}

#[test]
fn empty_fits_is_refused_clearly() {
    let Some(path) = shared("your/empty.fits") else { return };
    let err = open_beam(&[&path]).err().expect("empty.fits must be refused");
    assert!(matches!(err.kind, FormatErrorKind::NoData(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("empty.fits") && msg.contains("no rows"), "{msg}");
}

/// A copy of `src` in `dir` with its SUBINT header's POL_TYPE set to `value`
/// (an 8-character string card).
fn with_pol_type(src: &std::path::Path, dir: &std::path::Path, value: &str) -> std::path::PathBuf {
    let mut bytes = std::fs::read(src).unwrap();
    set_card(&mut bytes, "POL_TYPE", &format!("'{value:<8}'"));
    let out = dir.join(format!(
        "pol_{}.fits",
        if value.trim().is_empty() { "none" } else { value.trim() }
    ));
    std::fs::write(&out, bytes).unwrap();
    out
}

#[test]
fn polarisation_orders_give_total_intensity_or_a_clear_refusal() {
    let Some(path) = shared("your/test_4pol.fits") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The same four products read as AABBCRCI: AA + BB, as cfitsio decodes it.
    let aabb = with_pol_type(&path, dir.path(), "AABBCRCI");
    let (nchan, want) = reference_spectra(&aabb);
    let mut beam = open_beam(&[&aabb]).unwrap();
    let n = beam.header().nsamples as usize;
    let got = read_range(beam.as_mut(), 0, n).unwrap();
    assert_eq!(got.len(), n * nchan);
    let worst = worst_difference(&got, &want);
    assert!(worst < 1e-6, "AA + BB differs from cfitsio's by {worst}");
    // and it is not the IQUV reading (Stokes I alone).
    let mut iquv = open_beam(&[&path]).unwrap();
    assert_ne!(read_range(iquv.as_mut(), 0, n).unwrap(), got);
    // Orders nobody can interpret are refused, naming the file and the key.
    for bad in ["XYZW", ""] {
        let p = with_pol_type(&path, dir.path(), bad);
        let e = open_beam(&[&p]).err().expect("an unknown order was read").to_string();
        assert!(e.contains("POL_TYPE") && e.contains("pol_"), "{e}");
    }
}

/// A SIGPROC header read the plainest way: `(keyword, value)` until
/// `HEADER_END`, the value's type from the keyword as SIGPROC defines it; and
/// where the data start.
fn sigproc_header(bytes: &[u8]) -> (std::collections::HashMap<String, f64>, usize) {
    let mut at = 0;
    let string = |at: &mut usize| {
        let n = i32::from_le_bytes(bytes[*at..*at + 4].try_into().unwrap()) as usize;
        let s = String::from_utf8_lossy(&bytes[*at + 4..*at + 4 + n]).into_owned();
        *at += 4 + n;
        s
    };
    assert_eq!(string(&mut at), "HEADER_START");
    let mut keys = std::collections::HashMap::new();
    loop {
        let key = string(&mut at);
        let value = match key.as_str() {
            "HEADER_END" => return (keys, at),
            "source_name" | "rawdatafile" => {
                string(&mut at);
                continue;
            }
            "FREQUENCY_START" | "FREQUENCY_END" => continue,
            "signed" => {
                at += 1;
                bytes[at - 1] as f64
            }
            "telescope_id" | "machine_id" | "data_type" | "barycentric" | "pulsarcentric" | "nbits" | "nsamples"
            | "nchans" | "nifs" | "nbeams" | "ibeam" => {
                at += 4;
                i32::from_le_bytes(bytes[at - 4..at].try_into().unwrap()) as f64
            }
            _ => {
                at += 8;
                f64::from_le_bytes(bytes[at - 8..at].try_into().unwrap())
            }
        };
        keys.insert(key, value);
    }
}

/// Decodes a filterbank file the plainest way, from the SIGPROC definition:
/// spectra lowest frequency first, and the channel count.
fn definition_spectra(path: &std::path::Path) -> (usize, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let (keys, start) = sigproc_header(&bytes);
    let (nchans, nbits) = (keys["nchans"] as usize, keys["nbits"] as usize);
    let nifs = keys.get("nifs").copied().unwrap_or(1.0) as usize;
    assert_eq!(nifs, 1, "{}", path.display());
    let data = &bytes[start..];
    let n = data.len() * 8 / nbits / nchans;
    let sample = |i: usize| -> f32 {
        match nbits {
            32 => f32::from_le_bytes(data[4 * i..4 * i + 4].try_into().unwrap()),
            16 => u16::from_le_bytes([data[2 * i], data[2 * i + 1]]) as f32,
            8 if keys.get("signed") == Some(&1.0) => data[i] as i8 as f32,
            b => ((data[i * b / 8] >> (i * b % 8)) & ((1u16 << b) - 1) as u8) as f32,
        }
    };
    let descending = keys["foff"] < 0.0;
    let mut out = Vec::with_capacity(n * nchans);
    for s in 0..n {
        for c in 0..nchans {
            let file_chan = if descending { nchans - 1 - c } else { c };
            out.push(sample(s * nchans + file_chan));
        }
    }
    (nchans, out)
}

/// Reads all of `path` with palfa and checks it against [`definition_spectra`].
fn check_against_definition(path: &std::path::Path) {
    let (nchans, want) = definition_spectra(path);
    let mut beam = open_beam(&[path]).unwrap();
    let n = beam.header().nsamples as usize;
    assert_eq!(n * nchans, want.len(), "{}", path.display());
    let got = read_range(beam.as_mut(), 0, n).unwrap();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            w,
            "{} spectrum {} channel {}",
            path.display(),
            i / nchans,
            i % nchans
        );
    }
}

#[test]
fn every_real_filterbank_matches_an_independent_decoding() {
    let Some(dir) = shared("") else { return };
    let mut files: Vec<_> = ["sigpyproc3", "your"]
        .iter()
        .flat_map(|d| std::fs::read_dir(dir.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fil"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for path in files {
        check_against_definition(&path);
    }
}

#[test]
fn palfa_written_filterbank_of_every_depth_matches_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    for nbits in [1, 2, 4, 8, 16, 32] {
        for descending in [false, true] {
            let spec = common::spec(24, nbits, descending);
            let top = if nbits >= 16 { 1000 } else { (1u32 << nbits) - 1 };
            let data: Vec<f32> = (0..53 * 24)
                .map(|i| ((i * 7919 + 13) as u32 % (top + 1)) as f32)
                .collect();
            let path = dir.path().join(format!("w{nbits}{descending}.fil"));
            let mut w = palfa_core::formats::filterbank::FilterbankWriter::create(&path, &spec).unwrap();
            w.write_spectra(&data).unwrap();
            w.finish().unwrap();
            check_against_definition(&path);
        }
    }
}
