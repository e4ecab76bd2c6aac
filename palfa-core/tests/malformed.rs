//! Bad input gives a typed error naming the file and what is wrong: never a panic.

mod common;

use std::path::Path;

use common::spec;
use palfa_core::beam::open_beam;
use palfa_core::formats::filterbank::{FilterbankWriter, SigprocHeader, SigprocValue};
use palfa_core::formats::fits::{FitsHeader, FitsValue};
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_core::FormatErrorKind;

/// What a bad file must give.
#[derive(Debug, Clone, Copy)]
enum Want {
    Truncated,
    BadMagic,
    MissingKeyword,
    BadKeyword,
    UnsupportedNbits,
    ZeroChannels,
    NoData,
    Inconsistent,
    Unsupported,
}

fn matches(kind: &FormatErrorKind, want: Want) -> bool {
    use FormatErrorKind as K;
    matches!(
        (kind, want),
        (K::Truncated { .. }, Want::Truncated)
            | (K::BadMagic { .. }, Want::BadMagic)
            | (K::MissingKeyword(_), Want::MissingKeyword)
            | (K::BadKeyword { .. }, Want::BadKeyword)
            | (K::UnsupportedNbits(_), Want::UnsupportedNbits)
            | (K::ZeroChannels, Want::ZeroChannels)
            | (K::NoData(_), Want::NoData)
            | (K::Inconsistent(_), Want::Inconsistent)
            | (K::Unsupported(_), Want::Unsupported)
    )
}

fn good_filterbank(dir: &Path) -> Vec<u8> {
    let p = dir.join("good.fil");
    let mut w = FilterbankWriter::create(&p, &spec(16, 8, true)).unwrap();
    w.write_spectra(&vec![7.0; 16 * 100]).unwrap();
    w.finish().unwrap();
    std::fs::read(p).unwrap()
}

fn good_psrfits(dir: &Path) -> Vec<u8> {
    let p = dir.join("good.fits");
    let mut w = PsrfitsWriter::create(&p, &spec(16, 8, true), 32).unwrap();
    w.write_spectra(&vec![7.0; 16 * 96]).unwrap();
    w.finish().unwrap();
    std::fs::read(p).unwrap()
}

/// Replaces the value of FITS card `key` (the first match) with `value` (already formatted).
fn set_card(bytes: &mut [u8], key: &str, value: &str) {
    let want = format!("{key:<8}= ");
    let pos = bytes
        .chunks(80)
        .position(|c| c.starts_with(want.as_bytes()))
        .unwrap_or_else(|| panic!("no card {key}"));
    let card = format!("{:<80}", format!("{want}{value:>20}"));
    bytes[pos * 80..pos * 80 + 80].copy_from_slice(card.as_bytes());
}

/// Replaces a SIGPROC integer keyword's value.
fn set_sigproc_int(bytes: &mut [u8], key: &str, value: i32) {
    let needle: Vec<u8> = (key.len() as i32)
        .to_le_bytes()
        .into_iter()
        .chain(key.bytes())
        .collect();
    let pos = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap()
        + needle.len();
    bytes[pos..pos + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
#[allow(clippy::vec_init_then_push)] // a table built case by case reads best
fn every_bad_file_gives_its_error_kind() {
    let dir = tempfile::tempdir().unwrap();
    let fil = good_filterbank(dir.path());
    let fits = good_psrfits(dir.path());
    let fil_header_len = fil.len() - 16 * 100;

    let mut cases: Vec<(&str, Vec<u8>, Want)> = Vec::new();
    cases.push(("empty file", Vec::new(), Want::BadMagic));
    cases.push((
        "random bytes",
        b"this is not a pulsar data file at all".to_vec(),
        Want::BadMagic,
    ));
    cases.push((
        "filterbank header cut short",
        fil[..fil_header_len - 30].to_vec(),
        Want::Truncated,
    ));
    cases.push((
        "filterbank missing its last half spectrum",
        fil[..fil.len() - 8].to_vec(),
        Want::Truncated,
    ));
    cases.push((
        "filterbank with a header and no data",
        fil[..fil_header_len].to_vec(),
        Want::NoData,
    ));
    let mut b = fil.clone();
    set_sigproc_int(&mut b, "nbits", 3);
    cases.push(("filterbank with 3-bit samples", b, Want::UnsupportedNbits));
    let mut b = fil.clone();
    set_sigproc_int(&mut b, "nchans", 0);
    cases.push(("filterbank with zero channels", b, Want::ZeroChannels));
    let mut b = fil.clone();
    // Rename "tsamp" to "tsXmp": an unknown keyword whose value cannot be skipped.
    let at = b.windows(5).position(|w| w == b"tsamp").unwrap();
    b[at + 2] = b'X';
    cases.push(("filterbank with an unknown keyword", b, Want::Unsupported));
    let mut hdr = SigprocHeader::read_from(&mut fil.as_slice()).unwrap();
    hdr.items.retain(|(k, _)| k != "tsamp");
    let mut b = hdr.to_bytes();
    b.extend_from_slice(&fil[fil_header_len..]);
    cases.push(("filterbank without tsamp", b, Want::MissingKeyword));
    let mut hdr = SigprocHeader::read_from(&mut fil.as_slice()).unwrap();
    hdr.items.push(("nsamples".into(), SigprocValue::Int(500)));
    let mut b = hdr.to_bytes();
    b.extend_from_slice(&fil[fil_header_len..]);
    cases.push((
        "filterbank whose nsamples promises more than is there",
        b,
        Want::Truncated,
    ));

    cases.push((
        "FITS cut inside the primary header",
        fits[..1000].to_vec(),
        Want::BadMagic,
    ));
    cases.push((
        "PSRFITS with half its rows missing",
        fits[..fits.len() - 2880].to_vec(),
        Want::Truncated,
    ));
    let mut b = fits.clone();
    set_card(&mut b, "NBITS", "3");
    cases.push(("PSRFITS with NBITS = 3", b, Want::UnsupportedNbits));
    let mut b = fits.clone();
    set_card(&mut b, "NCHAN", "0");
    cases.push(("PSRFITS with NCHAN = 0", b, Want::ZeroChannels));
    let mut b = fits.clone();
    set_card(&mut b, "NSBLK", "64");
    cases.push(("PSRFITS whose DATA column does not fit NSBLK", b, Want::Inconsistent));
    let mut b = fits.clone();
    set_card(&mut b, "TBIN", "0.0");
    cases.push(("PSRFITS with TBIN = 0", b, Want::BadKeyword));
    let mut b = fits.clone();
    set_card(&mut b, "OBS_MODE", "'PSR     '");
    cases.push(("fold-mode PSRFITS", b, Want::Unsupported));
    let mut b = fits.clone();
    set_card(&mut b, "EXTNAME", "'HISTORY '");
    cases.push(("FITS without a SUBINT table", b, Want::NoData));
    let mut b = fits.clone();
    set_card(&mut b, "TBIN", "'fast    '");
    cases.push(("PSRFITS with a text TBIN", b, Want::BadKeyword));
    let mut b = fits.clone();
    let at = b.windows(8).position(|w| w == b"TBIN    ").unwrap();
    b[at..at + 8].copy_from_slice(b"TBXN    ");
    cases.push(("PSRFITS without TBIN", b, Want::MissingKeyword));
    let mut h = FitsHeader::default();
    h.set("SIMPLE", FitsValue::Logical(true), "");
    h.set("BITPIX", FitsValue::Int(8), "");
    h.set("NAXIS", FitsValue::Int(0), "");
    cases.push(("FITS with only a primary header", h.to_bytes(), Want::NoData));

    let mut failures = Vec::new();
    for (i, (what, bytes, want)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.dat"));
        std::fs::write(&path, bytes).unwrap();
        match open_beam(&[&path]) {
            Ok(_) => failures.push(format!("{what}: opened without error")),
            Err(e) => {
                if !matches(&e.kind, *want) {
                    failures.push(format!("{what}: expected {want:?}, got {e}"));
                }
                if !e.to_string().contains(&format!("bad{i}.dat")) {
                    failures.push(format!("{what}: message does not name the file: {e}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = open_beam(&["/nonexistent/beam.fil"]).err().unwrap();
    assert!(matches!(err.kind, FormatErrorKind::Io(_)));
    assert!(err.to_string().contains("/nonexistent/beam.fil"));
}

#[test]
fn a_missing_file_among_several_is_named() {
    let err = open_beam(&["/nonexistent/a.fil", "/nonexistent/b.fil", "/nonexistent/c.fil"])
        .err()
        .unwrap();
    assert!(matches!(err.kind, FormatErrorKind::Io(_)));
    assert!(err.to_string().contains("/nonexistent/a.fil"), "{err}");
}
