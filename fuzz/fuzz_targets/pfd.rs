#![no_main]
//! Fuzz target: the PRESTO prepfold `.pfd` reader (`Pfd::from_bytes`, then `check`
//! and the per-part accessors of a file that parses).

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::pfd::Pfd;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.pfd");
    if let Ok(p) = Pfd::from_bytes(data, path) {
        if p.check(path).is_ok() {
            let _ = (p.is_barycentric(), p.hifreq());
            if p.npart > 0 && p.nsub > 0 {
                let _ = p.profile(p.npart - 1, p.nsub - 1);
                let _ = p.stat(p.npart - 1, p.nsub - 1);
                let _ = p.subband_top_freq(p.nsub - 1);
            }
        }
    }
});
