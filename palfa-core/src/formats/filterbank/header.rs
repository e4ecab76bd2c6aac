//! SIGPROC header keywords: parsing and writing.
//!
//! A header is `HEADER_START`, keyword/value pairs, `HEADER_END`. Each keyword is
//! a little-endian `i32` length plus its bytes, followed by a value whose type
//! depends on the keyword (so an unknown keyword cannot be skipped).

use std::io::Read;

use crate::error::FormatErrorKind;

/// A parsed header value.
#[derive(Debug, Clone, PartialEq)]
pub enum SigprocValue {
    /// A 32-bit integer.
    Int(i32),
    /// A 64-bit real.
    Double(f64),
    /// A string.
    Str(String),
    /// A one-byte flag (`signed`).
    Byte(u8),
}

const INT_KEYS: &[&str] = &[
    "telescope_id",
    "machine_id",
    "data_type",
    "barycentric",
    "pulsarcentric",
    "nbits",
    "nsamples",
    "nchans",
    "nifs",
    "nbeams",
    "ibeam",
];
const DOUBLE_KEYS: &[&str] = &[
    "tstart",
    "tsamp",
    "fch1",
    "foff",
    "src_raj",
    "src_dej",
    "az_start",
    "za_start",
    "refdm",
    "refrm",
    "period",
    "gal_l",
    "gal_b",
    "header_tobs",
    "fchannel",
];
const STR_KEYS: &[&str] = &["source_name", "rawdatafile"];
const MARKERS: &[&str] = &["FREQUENCY_START", "FREQUENCY_END"];

/// The keywords of a SIGPROC header in file order, and the header's length in bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SigprocHeader {
    /// `(keyword, value)` in file order (`fchannel` may repeat).
    pub items: Vec<(String, SigprocValue)>,
    /// Bytes from the start of the file to the first sample.
    pub len: u64,
}

impl SigprocHeader {
    /// Parses a header from the start of `r`.
    pub fn read_from(r: &mut impl Read) -> Result<Self, FormatErrorKind> {
        let mut pos = 0u64;
        let first = read_string(r, &mut pos).map_err(|e| match e {
            FormatErrorKind::Truncated { .. } | FormatErrorKind::BadKeyword { .. } => FormatErrorKind::BadMagic {
                format: "SIGPROC filterbank",
                reason: "it does not start with HEADER_START".into(),
            },
            other => other,
        })?;
        if first != "HEADER_START" {
            return Err(FormatErrorKind::BadMagic {
                format: "SIGPROC filterbank",
                reason: "it does not start with HEADER_START".into(),
            });
        }
        let mut items = Vec::new();
        loop {
            let key = read_string(r, &mut pos)?;
            if key == "HEADER_END" {
                break;
            }
            let k = key.as_str();
            let value = if INT_KEYS.contains(&k) {
                SigprocValue::Int(i32::from_le_bytes(read_n::<4>(r, &mut pos, k)?))
            } else if DOUBLE_KEYS.contains(&k) {
                SigprocValue::Double(f64::from_le_bytes(read_n::<8>(r, &mut pos, k)?))
            } else if STR_KEYS.contains(&k) {
                SigprocValue::Str(read_string(r, &mut pos)?)
            } else if k == "signed" {
                SigprocValue::Byte(read_n::<1>(r, &mut pos, k)?[0])
            } else if MARKERS.contains(&k) {
                continue;
            } else {
                return Err(FormatErrorKind::Unsupported(format!(
                    "unknown SIGPROC header keyword {k:?} (its value type is unknown, so it cannot be skipped)"
                )));
            };
            items.push((key, value));
        }
        Ok(Self { items, len: pos })
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&SigprocValue> {
        self.items.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// An integer keyword.
    pub fn int(&self, key: &str) -> Option<i32> {
        match self.get(key)? {
            SigprocValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A real keyword.
    pub fn double(&self, key: &str) -> Option<f64> {
        match self.get(key)? {
            SigprocValue::Double(d) => Some(*d),
            _ => None,
        }
    }

    /// A string keyword.
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            SigprocValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Serialises the header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_string(&mut out, "HEADER_START");
        for (k, v) in &self.items {
            put_string(&mut out, k);
            match v {
                SigprocValue::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
                SigprocValue::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
                SigprocValue::Str(s) => put_string(&mut out, s),
                SigprocValue::Byte(b) => out.push(*b),
            }
        }
        put_string(&mut out, "HEADER_END");
        out
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn read_n<const N: usize>(r: &mut impl Read, pos: &mut u64, what: &str) -> Result<[u8; N], FormatErrorKind> {
    let mut b = [0u8; N];
    r.read_exact(&mut b).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            FormatErrorKind::Truncated {
                what: format!("the header (value of {what})"),
                expected: *pos + N as u64,
                found: *pos,
            }
        } else {
            FormatErrorKind::Io(e)
        }
    })?;
    *pos += N as u64;
    Ok(b)
}

fn read_string(r: &mut impl Read, pos: &mut u64) -> Result<String, FormatErrorKind> {
    let len = i32::from_le_bytes(read_n::<4>(r, pos, "a keyword length")?);
    if !(1..=4096).contains(&len) {
        return Err(FormatErrorKind::BadKeyword {
            key: format!("(string at byte {})", *pos - 4),
            value: len.to_string(),
            reason: "implausible string length".into(),
        });
    }
    let mut b = vec![0u8; len as usize];
    r.read_exact(&mut b).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            FormatErrorKind::Truncated {
                what: "the header".into(),
                expected: *pos + len as u64,
                found: *pos,
            }
        } else {
            FormatErrorKind::Io(e)
        }
    })?;
    *pos += len as u64;
    String::from_utf8(b).map_err(|_| FormatErrorKind::BadKeyword {
        key: format!("(string at byte {})", *pos - len as u64),
        value: String::new(),
        reason: "not UTF-8 text".into(),
    })
}

/// Telescope names by SIGPROC `telescope_id` (sigproc's `aliases.c` plus later additions).
pub fn telescope_name(id: i32) -> String {
    match id {
        0 => "Fake",
        1 => "Arecibo",
        2 => "Ooty",
        3 => "Nancay",
        4 => "Parkes",
        5 => "Jodrell",
        6 => "GBT",
        7 => "GMRT",
        8 => "Effelsberg",
        9 => "ATA",
        10 => "SRT",
        11 => "LOFAR",
        12 => "VLA",
        20 => "CHIME",
        21 => "FAST",
        64 => "MeerKAT",
        65 => "KAT-7",
        _ => return format!("telescope_id {id}"),
    }
    .to_string()
}

/// The SIGPROC `telescope_id` for a telescope name (0, "Fake", if unknown).
pub fn telescope_id(name: &str) -> i32 {
    (0..=65)
        .find(|&id| telescope_name(id).eq_ignore_ascii_case(name.trim()))
        .unwrap_or(0)
}

/// Backend names by SIGPROC `machine_id`.
pub fn machine_name(id: i32) -> String {
    match id {
        0 => "FAKE",
        1 => "PSPM",
        2 => "WAPP",
        3 => "AOFTM",
        4 => "BCPM1",
        5 => "OOTY",
        6 => "SCAMP",
        7 => "GMRTFB",
        8 => "PULSAR2000",
        9 => "PARSPEC",
        10 => "BPP",
        11 => "COBALT",
        12 => "GMRTNEW",
        _ => return format!("machine_id {id}"),
    }
    .to_string()
}
