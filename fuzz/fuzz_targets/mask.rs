#![no_main]
//! Fuzz target: the PRESTO rfifind `.mask` reader (`RfiMask::from_bytes`) and the
//! queries made of a mask that parses.

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use palfa_core::formats::presto::mask::RfiMask;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = RfiMask::from_bytes(data, Path::new("fuzz.mask")) {
        let _ = m.masked_fraction();
        let mut flags = vec![false; m.numchan.min(1 << 20)];
        if flags.len() == m.numchan {
            for interval in [0, m.numint / 2, m.numint.saturating_sub(1), m.numint] {
                m.channel_flags(interval, &mut flags);
            }
        }
        for s in [0u64, 1, u64::MAX] {
            let i = m.interval_of(s);
            let _ = m.is_masked(i, 0);
        }
    }
});
