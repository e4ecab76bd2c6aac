#![no_main]
//! Fuzz target: the FITS header parser, the binary-table layout and the HDU walker.
//!
//! Every header that parses from memory has its data length and binary-table layout
//! computed; the input is also written to a file and walked with `scan_hdus`.

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::fits::{scan_hdus, FitsHeader, TableLayout};
use palfa_fuzz::TempInput;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok(Some((h, _len))) = FitsHeader::read_from(&mut rest) {
        let _ = h.data_len();
        if let Ok(layout) = TableLayout::from_header(&h) {
            let _ = layout.column("DATA");
        }
        for key in ["NAXIS", "NAXIS1", "NAXIS2", "TFIELDS", "NBITS", "OBSFREQ", "EXTNAME"] {
            let _ = h.get_i64(key);
            let _ = h.get_f64(key);
            let _ = h.get_str(key);
        }
        let _ = h.to_bytes();
    }
    let file = TempInput::new(".fits", data);
    if let Ok(hdus) = scan_hdus(file.path(), |_| false) {
        for hdu in &hdus {
            let _ = hdu.extname();
            let _ = TableLayout::from_header(&hdu.header);
        }
    }
});
