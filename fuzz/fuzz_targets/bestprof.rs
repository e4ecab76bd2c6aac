#![no_main]
//! Fuzz target: the PRESTO prepfold `.bestprof` parser (`Bestprof::parse`).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::bestprof::Bestprof;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Bestprof::parse(&text, Path::new("fuzz.pfd.bestprof"));
});
