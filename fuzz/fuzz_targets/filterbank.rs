#![no_main]
//! Fuzz target: the SIGPROC filterbank header parser and the filterbank reader.
//!
//! The input is parsed as a header from memory, then written to a file and opened
//! with `FilterbankReader`, whose spectra are all read through `SpectraSource`.

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::filterbank::header::SigprocHeader;
use palfa_core::formats::filterbank::FilterbankReader;
use palfa_fuzz::{drain, TempInput};

fuzz_target!(|data: &[u8]| {
    let _ = SigprocHeader::read_from(&mut &data[..]);
    let file = TempInput::new(".fil", data);
    if let Ok(mut r) = FilterbankReader::open(file.path()) {
        let _ = r.descending();
        drain(&mut r);
    }
});
