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
