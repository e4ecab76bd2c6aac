#![no_main]
//! Fuzz target: the PRESTO `.zaplist` and `.birds` parsers (`Zaplist::parse`,
//! `Zaplist::parse_birds`).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::zaplist::Zaplist;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Zaplist::parse(&text, Path::new("fuzz.zaplist"));
    let _ = Zaplist::parse_birds(&text, Path::new("fuzz.birds"));
});
