#![no_main]
//! Fuzz target: the PRESTO `.inf` parser (`InfFile::parse`).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::inf::InfFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(inf) = InfFile::parse(&text, Path::new("fuzz.inf")) {
        let _ = inf.duration_s();
    }
});
