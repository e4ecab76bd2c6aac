#![no_main]
//! Fuzz target: the PALFA Mock pair merger (`MockMerger::open` on two files).
//!
//! The first 4 bytes (little-endian, modulo the rest's length) say where the rest
//! is split into the s0 file and the s1 file; the merged beam is read in full.

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::mock::MockMerger;
use palfa_fuzz::{drain, TempInput};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let (head, rest) = data.split_at(4);
    let split = u32::from_le_bytes(head.try_into().unwrap()) as usize % (rest.len() + 1);
    let (a, b) = rest.split_at(split);
    let fa = TempInput::new(".b0s0g0.00100.fits", a);
    let fb = TempInput::new(".b0s1g0.00100.fits", b);
    if let Ok(mut m) = MockMerger::open(fa.path(), fb.path()) {
        let _ = (m.upper_gain(), m.lower_channels_kept());
        drain(&mut m);
    }
});
