#![no_main]
//! Fuzz target: the binary accelsearch `.cand` reader (`read_cand_file`, records of
//! `fourierprops`).

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::read_cand_file;
use palfa_fuzz::TempInput;

fuzz_target!(|data: &[u8]| {
    let file = TempInput::new("_ACCEL_0.cand", data);
    let _ = read_cand_file(file.path());
});
