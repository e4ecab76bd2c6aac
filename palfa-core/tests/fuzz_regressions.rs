//! Inputs found by fuzzing palfa's readers (`fuzz/`, see `fuzz/README.md`) that once
//! made a reader panic, hang or ask for an absurd allocation. Each must now give a
//! typed [`FormatErrorKind`] naming what is wrong, and never a panic.
//!
//! The inputs are under `tests/fuzz_inputs/`, minimised.

use std::path::{Path, PathBuf};

use palfa_core::formats::fits::{scan_hdus, FitsHeader, TableLayout};
use palfa_core::formats::presto::{AccelFile, Pfd, RfiMask, Zaplist};
use palfa_core::formats::psrfits::PsrfitsReader;
use palfa_core::FormatErrorKind;

/// The path of a stored fuzz input.
fn input(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_inputs")
        .join(name)
}

/// The bytes of a stored fuzz input.
fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(input(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The key a `BadKeyword` error names (panics on any other error).
fn bad_key(kind: &FormatErrorKind) -> &str {
    match kind {
        FormatErrorKind::BadKeyword { key, .. } => key,
        other => panic!("expected a BadKeyword error, got {other:?}"),
    }
}

/// The second header (the binary table) of a stored two-HDU FITS input.
fn second_header(name: &str) -> FitsHeader {
    let b = bytes(name);
    let mut r = &b[..];
    FitsHeader::read_from(&mut r).unwrap().unwrap();
    FitsHeader::read_from(&mut r).unwrap().unwrap().0
}

/// Big-endian `.pfd` with nsub ≈ npart ≈ 3.4·10⁷ and proflen ≈ 1.7·10⁷: their
/// product overflowed `u64` in the size check (a panic with overflow checks on, a
/// wrong check without).
#[test]
fn pfd_count_product_overflow_is_truncated() {
    let name = "pfd_count_product_overflow.pfd";
    let err = Pfd::from_bytes(&bytes(name), &input(name)).unwrap_err();
    assert!(matches!(err.kind, FormatErrorKind::Truncated { .. }), "{err}");
    assert!(err.to_string().contains(name), "{err}");
}

/// rfifind mask claiming 2³⁰ channels: it parsed, and `masked_fraction` then
/// allocated a 1 GiB flag vector (and looped for minutes over the cells).
#[test]
fn mask_with_huge_numchan_is_refused() {
    let name = "mask_huge_numchan.mask";
    let err = RfiMask::from_bytes(&bytes(name), &input(name)).unwrap_err();
    assert_eq!(bad_key(&err.kind), "numchan", "{err}");
    assert!(err.to_string().contains(name), "{err}");
}

/// rfifind mask of 2²⁰ channels × 65 intervals with every channel masked and no
/// lists (PRESTO's shorthand): 328 bytes that expanded to 520 MiB of lists.
#[test]
fn mask_with_too_many_cells_is_refused() {
    let name = "mask_too_many_cells.mask";
    let err = RfiMask::from_bytes(&bytes(name), &input(name)).unwrap_err();
    assert_eq!(bad_key(&err.kind), "channels per interval", "{err}");
}

/// Binary table with `TFIELDS = 999999999999`: `TableLayout` reserved room for
/// that many columns before reading any (an allocation of ~70 TiB).
#[test]
fn fits_huge_tfields_is_refused() {
    let name = "fits_huge_tfields.fits";
    let err = TableLayout::from_header(&second_header(name)).unwrap_err();
    assert_eq!(bad_key(&err), "TFIELDS", "{err}");
    assert!(PsrfitsReader::open(input(name)).is_err());
}

/// Binary table whose `TFORM1 = '4611686018427387904E'`: the column's byte count
/// overflowed `usize`.
#[test]
fn fits_tform_repeat_overflow_is_refused() {
    let name = "fits_tform_repeat_overflow.fits";
    let err = TableLayout::from_header(&second_header(name)).unwrap_err();
    assert_eq!(bad_key(&err), "TFORM1", "{err}");
    assert!(PsrfitsReader::open(input(name)).is_err());
}

/// Primary header with three axes of 2³² and `PCOUNT = 5`: the data size
/// overflowed `u64` (saturated, then overflowed adding PCOUNT). The refusal
/// names `NAXIS2`, the axis at which the product passes 2⁶⁴.
#[test]
fn fits_naxis_product_overflow_is_refused() {
    let name = "fits_naxis_product_overflow.fits";
    let b = bytes(name);
    let (h, _) = FitsHeader::read_from(&mut &b[..]).unwrap().unwrap();
    assert_eq!(bad_key(&h.data_len().unwrap_err()), "NAXIS2");
    let err = scan_hdus(&input(name), |_| false).unwrap_err();
    assert_eq!(bad_key(&err.kind), "NAXIS2", "{err}");
    assert!(err.to_string().contains(name), "{err}");
    assert!(PsrfitsReader::open(input(name)).is_err());
}

/// ACCEL text with `\r\n` line endings and a multi-byte character before the
/// appended `.inf` part: the start of that part was computed counting one byte
/// per line ending, and slicing there panicked inside the character.
#[test]
fn accel_with_crlf_before_the_inf_part_gives_an_error() {
    let name = "accel_crlf_before_inf.txt";
    let text = String::from_utf8(bytes(name)).unwrap();
    let err = AccelFile::parse(&text, &input(name)).unwrap_err();
    // The `.inf` part is found where it is, and it lacks the number of bins.
    assert!(matches!(err.kind, FormatErrorKind::MissingKeyword(_)), "{err}");
}

/// The same file in full, with `\r\n` endings throughout, parses as with `\n`.
#[test]
fn accel_with_crlf_endings_parses() {
    let inf = palfa_core::formats::presto::InfFile {
        n: 1024,
        dt: 1e-3,
        ..Default::default()
    };
    let accel = AccelFile { cands: Vec::new(), inf };
    let text = accel.to_text().replace('\n', "\r\n");
    let back = AccelFile::parse(&text, Path::new("crlf_ACCEL_0")).unwrap();
    assert_eq!(back.inf.n, 1024);
}

/// `.birds` file of 400 lines `1 1 99999`: each line asks for 99 999 harmonics, so
/// 4 000 bytes expanded to 40 million birds (a 768 MiB allocation).
#[test]
fn birds_harmonic_amplification_is_refused() {
    let name = "birds_harmonic_amplification.birds";
    let text = String::from_utf8(bytes(name)).unwrap();
    let err = Zaplist::parse_birds(&text, &input(name)).unwrap_err();
    assert_eq!(bad_key(&err.kind), "line 11", "{err}");
    assert!(err.to_string().contains(name), "{err}");
}
