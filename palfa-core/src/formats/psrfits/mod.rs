//! PSRFITS search mode: reader and writer.
//!
//! Read: the primary header (OBSFREQ, OBSBW, OBSNCHAN, STT_IMJD/SMJD/OFFS,
//! RA/DEC, SRC_NAME, TELESCOP, BACKEND) and the `SUBINT` table (DATA, DAT_FREQ,
//! DAT_WTS, DAT_SCL, DAT_OFFS, TBIN, NSBLK, NBITS, NCHAN, NPOL, OFFS_SUB) at
//! 1, 2, 4, 8 and 16 bits (and 32-bit reals). Total intensity is formed by
//! `POL_TYPE`: AA + BB for `AABB`/`AABBCRCI`, Stokes I for `IQUV`, a single
//! product as it is; with several products in an unknown order the file is
//! refused. `SIGNINT = 1` marks 8-bit samples as two's-complement signed
//! bytes (other depths with it are refused). Without a usable DAT_FREQ the channels come from OBSFREQ and
//! CHAN_BW, else OBSBW. Headers are parsed card by card;
//! the table's fixed-width rows are read directly at the data offset, one row at
//! a time, which is what keeps reading fast and memory bounded.

mod read;
mod write;

use std::path::Path;

pub use read::PsrfitsReader;
pub use write::{PsrfitsWriter, RawRow};

/// `EXTNAME` of the search-mode data table.
pub const SUBINT: &str = "SUBINT";

/// Beam number from a PALFA-style file name (`…b3s0g0…` or `….b3.…`), if any.
pub(crate) fn beam_from_name(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    for i in 0..bytes.len().saturating_sub(1) {
        if bytes[i] == b'b' && bytes[i + 1].is_ascii_digit() && (i == 0 || bytes[i - 1] == b'.') {
            let next = bytes.get(i + 2).copied();
            if matches!(next, Some(b's') | Some(b'.')) {
                return Some((bytes[i + 1] - b'0') as u32);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beam_numbers_from_palfa_names() {
        assert_eq!(
            beam_from_name(Path::new("4bit-p2030.20120101.G45.07+00.11.b3s0g0.00100.fits")),
            Some(3)
        );
        assert_eq!(
            beam_from_name(Path::new("p2030.20120101.G45.07+00.11.b5.00100.fits")),
            Some(5)
        );
        assert_eq!(beam_from_name(Path::new("small.fits")), None);
    }
}
