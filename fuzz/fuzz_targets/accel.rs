#![no_main]
//! Fuzz target: the PRESTO accelsearch ACCEL text parser (`AccelFile::parse`).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::accel::AccelFile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(a) = AccelFile::parse(&text, Path::new("fuzz_ACCEL_0")) {
        let _ = a.t_obs_s();
    }
});
