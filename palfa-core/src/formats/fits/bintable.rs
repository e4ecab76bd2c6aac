//! The column layout of a FITS binary table (`XTENSION = 'BINTABLE'`).
//!
//! Rows are fixed width, so a column is just a byte offset and a length inside
//! the row: readers take whole rows from disk and slice them, which is what makes
//! PSRFITS reading fast (no per-element calls).

use super::header::{FitsHeader, FitsValue};
use crate::error::FormatErrorKind;

/// Element type of a column (the letter of `TFORMn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `L` logical, 1 byte.
    Logical,
    /// `X` bits, packed 8 to a byte.
    Bit,
    /// `B` unsigned byte.
    U8,
    /// `I` 16-bit signed integer.
    I16,
    /// `J` 32-bit signed integer.
    I32,
    /// `K` 64-bit signed integer.
    I64,
    /// `A` character.
    Char,
    /// `E` 32-bit IEEE real.
    F32,
    /// `D` 64-bit IEEE real.
    F64,
    /// `C` complex of two `E`.
    C32,
    /// `M` complex of two `D`.
    C64,
    /// `P` 32-bit array descriptor.
    P,
    /// `Q` 64-bit array descriptor.
    Q,
}

impl ColumnType {
    fn from_letter(c: char) -> Option<Self> {
        Some(match c {
            'L' => Self::Logical,
            'X' => Self::Bit,
            'B' => Self::U8,
            'I' => Self::I16,
            'J' => Self::I32,
            'K' => Self::I64,
            'A' => Self::Char,
            'E' => Self::F32,
            'D' => Self::F64,
            'C' => Self::C32,
            'M' => Self::C64,
            'P' => Self::P,
            'Q' => Self::Q,
            _ => return None,
        })
    }

    /// The `TFORM` letter.
    pub fn letter(self) -> char {
        match self {
            Self::Logical => 'L',
            Self::Bit => 'X',
            Self::U8 => 'B',
            Self::I16 => 'I',
            Self::I32 => 'J',
            Self::I64 => 'K',
            Self::Char => 'A',
            Self::F32 => 'E',
            Self::F64 => 'D',
            Self::C32 => 'C',
            Self::C64 => 'M',
            Self::P => 'P',
            Self::Q => 'Q',
        }
    }

    /// Bytes taken by `repeat` elements.
    pub fn bytes(self, repeat: usize) -> usize {
        match self {
            Self::Bit => repeat.div_ceil(8),
            Self::Logical | Self::U8 | Self::Char => repeat,
            Self::I16 => 2 * repeat,
            Self::I32 | Self::F32 => 4 * repeat,
            Self::I64 | Self::F64 | Self::C32 | Self::P => 8 * repeat,
            Self::C64 | Self::Q => 16 * repeat,
        }
    }
}

/// One column of a binary table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// `TTYPEn`, upper case, trimmed.
    pub name: String,
    /// Element type.
    pub ty: ColumnType,
    /// Number of elements per row.
    pub repeat: usize,
    /// Byte offset of the column inside a row.
    pub offset: usize,
    /// Bytes the column takes in a row.
    pub len: usize,
    /// `TZEROn` (0 if absent).
    pub zero: f64,
    /// `TSCALn` (1 if absent).
    pub scale: f64,
}

/// The layout of a binary table: row width, row count and columns.
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    /// Bytes per row (`NAXIS1`).
    pub row_len: usize,
    /// Rows (`NAXIS2`).
    pub nrows: u64,
    /// Columns in order.
    pub columns: Vec<Column>,
}

impl TableLayout {
    /// Reads the layout from a `BINTABLE` header and checks that the columns fill the row.
    pub fn from_header(h: &FitsHeader) -> Result<Self, FormatErrorKind> {
        let row_len = h.require_i64("NAXIS1")?;
        let nrows = h.require_i64("NAXIS2")?;
        let nfields = h.require_i64("TFIELDS")?;
        if row_len < 0 || nrows < 0 || nfields < 0 {
            return Err(FormatErrorKind::Inconsistent(
                "negative NAXIS1, NAXIS2 or TFIELDS".into(),
            ));
        }
        if nfields > 999 {
            return Err(FormatErrorKind::BadKeyword {
                key: "TFIELDS".into(),
                value: nfields.to_string(),
                reason: "FITS allows at most 999 columns".into(),
            });
        }
        let mut columns = Vec::with_capacity(nfields as usize);
        let mut offset = 0usize;
        for i in 1..=nfields {
            let name = h
                .get_str(&format!("TTYPE{i}"))
                .unwrap_or_default()
                .trim()
                .to_uppercase();
            let key = format!("TFORM{i}");
            let tform = h
                .get_str(&key)
                .ok_or_else(|| FormatErrorKind::MissingKeyword(key.clone()))?;
            let (repeat, ty) = parse_tform(&tform).ok_or_else(|| FormatErrorKind::BadKeyword {
                key: key.clone(),
                value: tform.clone(),
                reason: "not a binary-table column format".into(),
            })?;
            // The column must fit in the row (checked without overflowing).
            let len = match ty {
                ColumnType::Bit => Some(repeat.div_ceil(8)),
                _ => repeat.checked_mul(ty.bytes(1)),
            };
            let end = len
                .and_then(|len| offset.checked_add(len))
                .filter(|&end| end <= row_len as usize)
                .ok_or_else(|| FormatErrorKind::BadKeyword {
                    key: key.clone(),
                    value: tform.clone(),
                    reason: format!("the columns up to this one take more than NAXIS1 = {row_len} bytes per row"),
                })?;
            let len = end - offset;
            columns.push(Column {
                name,
                ty,
                repeat,
                offset,
                len,
                zero: h.get_f64(&format!("TZERO{i}"))?.unwrap_or(0.0),
                scale: h.get_f64(&format!("TSCAL{i}"))?.unwrap_or(1.0),
            });
            offset += len;
        }
        if offset != row_len as usize {
            return Err(FormatErrorKind::Inconsistent(format!(
                "the columns take {offset} bytes per row but NAXIS1 = {row_len}"
            )));
        }
        Ok(Self {
            row_len: row_len as usize,
            nrows: nrows as u64,
            columns,
        })
    }

    /// The column named `name` (case-insensitive).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Adds the header cards (`NAXIS1`, `NAXIS2`, `TFIELDS`, `TTYPEn`, `TFORMn`) for
    /// columns given as `(name, type, repeat, TDIM or "")`.
    pub fn write_cards(h: &mut FitsHeader, nrows: u64, cols: &[(&str, ColumnType, usize, String)]) -> Self {
        let mut columns = Vec::new();
        let mut offset = 0;
        for (name, ty, repeat, _) in cols {
            let len = ty.bytes(*repeat);
            columns.push(Column {
                name: name.to_string(),
                ty: *ty,
                repeat: *repeat,
                offset,
                len,
                zero: 0.0,
                scale: 1.0,
            });
            offset += len;
        }
        h.set("NAXIS1", FitsValue::Int(offset as i64), "width of table in bytes");
        h.set("NAXIS2", FitsValue::Int(nrows as i64), "number of rows");
        h.set("PCOUNT", FitsValue::Int(0), "");
        h.set("GCOUNT", FitsValue::Int(1), "");
        h.set("TFIELDS", FitsValue::Int(cols.len() as i64), "number of columns");
        for (i, (name, ty, repeat, tdim)) in cols.iter().enumerate() {
            let n = i + 1;
            h.set(&format!("TTYPE{n}"), FitsValue::Str(name.to_string()), "");
            h.set(
                &format!("TFORM{n}"),
                FitsValue::Str(format!("{repeat}{}", ty.letter())),
                "",
            );
            if !tdim.is_empty() {
                h.set(&format!("TDIM{n}"), FitsValue::Str(tdim.clone()), "");
            }
        }
        Self {
            row_len: offset,
            nrows,
            columns,
        }
    }
}

/// Parses `rT[a]`: repeat count (default 1) and type letter.
fn parse_tform(s: &str) -> Option<(usize, ColumnType)> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit())?;
    let repeat = if digits == 0 { 1 } else { s[..digits].parse().ok()? };
    let ty = ColumnType::from_letter(s[digits..].chars().next()?)?;
    Some((repeat, ty))
}

/// Reads big-endian `f32`s from `bytes` into `out`.
pub fn be_f32s(bytes: &[u8], out: &mut [f32]) {
    for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *o = f32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    }
}

/// Reads one big-endian `f64` at the start of `bytes`.
pub fn be_f64(bytes: &[u8]) -> f64 {
    f64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tform_parsing() {
        assert_eq!(parse_tform("265104B"), Some((265104, ColumnType::U8)));
        assert_eq!(parse_tform("1D"), Some((1, ColumnType::F64)));
        assert_eq!(parse_tform("E"), Some((1, ColumnType::F32)));
        assert_eq!(parse_tform("336E    "), Some((336, ColumnType::F32)));
        assert_eq!(parse_tform("12Z"), None);
    }
}
