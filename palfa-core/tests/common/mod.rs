//! Helpers shared by palfa-core's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use palfa_core::formats::ObservationSpec;

/// A file under `../shared/data/` (the project's real test data, from other
/// pulsar projects). Tests that need it say so and skip **only** where that
/// folder is absent; CI always has it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    palfa_testkit::shared_data(rel)
}

/// A small observation description for writer tests (1214 MHz up).
pub fn spec(nchans: usize, nbits: u32, descending: bool) -> ObservationSpec {
    palfa_testkit::fixtures::observation(nchans, 1214.0, nbits, descending)
}

/// Replaces the value of FITS header card `key` (the first one) by `value`
/// (as it is written in the card: quote strings).
pub fn set_card(bytes: &mut [u8], key: &str, value: &str) {
    let name = format!("{key:<8}=");
    let at = (0..bytes.len() / 80)
        .map(|i| i * 80)
        .find(|&i| bytes[i..i + 9] == *name.as_bytes())
        .unwrap_or_else(|| panic!("no {key} card"));
    let card = format!("{name} {value:>20}");
    bytes[at..at + 80].copy_from_slice(format!("{card:<80}").as_bytes());
}

pub mod cfitsio_psrfits;
