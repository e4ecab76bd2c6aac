#![no_main]
//! Fuzz target: the PRESTO/palfa `accelcands` sifted-candidate list parser.

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::accelcands::parse_accelcands;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(entries) = parse_accelcands(&text, Path::new("fuzz.accelcands")) {
        for e in &entries {
            let _ = e.freq_hz();
        }
    }
});
