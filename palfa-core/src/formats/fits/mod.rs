//! Minimal FITS container support: headers, HDU walking and binary-table layout.
//!
//! Only what PSRFITS needs: palfa reads the headers of every HDU and locates the
//! data unit of the `SUBINT` table; the table's rows are then read directly.

pub mod bintable;
pub mod header;

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};
pub use bintable::{ColumnType, TableLayout};
pub use header::{FitsHeader, FitsValue};

/// One header-data unit located in a file.
#[derive(Debug, Clone)]
pub struct Hdu {
    /// Its header.
    pub header: FitsHeader,
    /// Byte offset of the data unit.
    pub data_start: u64,
    /// Length of the data unit without padding.
    pub data_len: u64,
}

impl Hdu {
    /// `EXTNAME`, if any.
    pub fn extname(&self) -> Option<String> {
        self.header.get_str("EXTNAME").map(|s| s.trim().to_string())
    }
}

/// Reads the HDU headers of the FITS file at `path`, in order, stopping after the
/// first HDU for which `stop` returns true (or at the end of the file).
///
/// The data units are not read, only located. A data unit that would run past
/// the end of the file is reported as [`FormatErrorKind::Truncated`] naming the HDU.
pub fn scan_hdus(path: &Path, stop: impl Fn(&Hdu) -> bool) -> FormatResult<Vec<Hdu>> {
    let file = File::open(path).map_err(|e| FormatError::io(path, e))?;
    let file_len = file.metadata().map_err(|e| FormatError::io(path, e))?.len();
    let mut r = BufReader::new(file);
    let mut hdus = Vec::new();
    let mut pos = 0u64;
    loop {
        if pos >= file_len {
            break;
        }
        r.seek(SeekFrom::Start(pos)).map_err(|e| FormatError::io(path, e))?;
        let (header, hlen) = match FitsHeader::read_from(&mut r) {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) if hdus.is_empty() => {
                // A first header that does not parse means this is not FITS at all.
                return Err(FormatError::new(
                    path,
                    match e {
                        FormatErrorKind::Io(e) => FormatErrorKind::Io(e),
                        other => FormatErrorKind::BadMagic {
                            format: "FITS",
                            reason: other.to_string(),
                        },
                    },
                ));
            }
            Err(e) => return Err(FormatError::new(path, e)),
        };
        if hdus.is_empty() && header.cards.first().map(|c| c.key.as_str()) != Some("SIMPLE") {
            return Err(FormatError::new(
                path,
                FormatErrorKind::BadMagic {
                    format: "FITS",
                    reason: "the first card is not SIMPLE".into(),
                },
            ));
        }
        let data_start = pos + hlen;
        let data_len = header.data_len().map_err(|e| FormatError::new(path, e))?;
        let idx = hdus.len();
        if data_start + data_len > file_len {
            let name = header.get_str("EXTNAME").unwrap_or_else(|| format!("HDU {idx}"));
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: format!("the data of {}", name.trim()),
                    expected: data_start + data_len,
                    found: file_len,
                },
            ));
        }
        let hdu = Hdu {
            header,
            data_start,
            data_len,
        };
        let done = stop(&hdu);
        hdus.push(hdu);
        if done {
            break;
        }
        pos = data_start + header::padded_len(data_len);
    }
    if hdus.is_empty() {
        return Err(FormatError::new(
            path,
            FormatErrorKind::BadMagic {
                format: "FITS",
                reason: "the file is empty".into(),
            },
        ));
    }
    Ok(hdus)
}
