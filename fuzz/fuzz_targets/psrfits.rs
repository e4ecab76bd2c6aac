#![no_main]
//! Fuzz target: the PSRFITS search-mode reader (`PsrfitsReader`), header and data.

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::psrfits::PsrfitsReader;
use palfa_fuzz::{drain, TempInput};

fuzz_target!(|data: &[u8]| {
    let file = TempInput::new(".fits", data);
    if let Ok(mut r) = PsrfitsReader::open(file.path()) {
        let _ = (r.nrows(), r.nsblk(), r.start_time(), r.descending());
        let _ = r.row_channel_means(0);
        drain(&mut r);
    }
});
