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

/// A small observation description for writer tests.
pub fn spec(nchans: usize, nbits: u32, descending: bool) -> ObservationSpec {
    ObservationSpec {
        source_name: "J1234+5678".into(),
        telescope: "Arecibo".into(),
        backend: "pdev".into(),
        project_id: "p2030".into(),
        observer: "tester".into(),
        ra_deg: 188.5,
        dec_deg: -12.25,
        start_mjd: 60123.456789,
        tsamp_s: 65.476e-6,
        nchans,
        lofreq_mhz: 1214.0,
        chan_bw_mhz: 0.336,
        nbits,
        descending,
        beam_id: Some(3),
    }
}
