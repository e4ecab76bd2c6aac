#![no_main]
//! Fuzz target: the PRESTO `.singlepulse` parser (`parse_singlepulse`).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::singlepulse::parse_singlepulse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_singlepulse(&text, Path::new("fuzz.singlepulse"));
});
