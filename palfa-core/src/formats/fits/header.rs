//! FITS header cards: parsing and writing.
//!
//! A FITS header is a sequence of 80-character ASCII cards in 2880-byte blocks,
//! ending with an `END` card. palfa parses the cards itself because it must also
//! *write* PSRFITS (for tests and the simulator), which the Rust FITS readers do
//! not do; one small codec serves both directions.

use std::io::Read;

use crate::error::FormatErrorKind;

/// Size of a FITS block \[bytes\].
pub const BLOCK: usize = 2880;
/// Size of a header card \[bytes\].
pub const CARD: usize = 80;

/// A header value.
#[derive(Debug, Clone, PartialEq)]
pub enum FitsValue {
    /// A quoted string (trailing blanks removed).
    Str(String),
    /// `T` or `F`.
    Logical(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Float(f64),
    /// A keyword with no value.
    Undefined,
}

impl FitsValue {
    /// The value as written in a card, for messages.
    pub fn display(&self) -> String {
        match self {
            FitsValue::Str(s) => s.clone(),
            FitsValue::Logical(b) => if *b { "T" } else { "F" }.to_string(),
            FitsValue::Int(i) => i.to_string(),
            FitsValue::Float(f) => f.to_string(),
            FitsValue::Undefined => String::new(),
        }
    }
}

/// One header card.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    /// Keyword (up to 8 characters, upper case).
    pub key: String,
    /// Value.
    pub value: FitsValue,
    /// Comment after the `/`, if any.
    pub comment: String,
}

/// An ordered FITS header.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FitsHeader {
    /// The cards, without `END`.
    pub cards: Vec<Card>,
}

impl FitsHeader {
    /// Reads a header from `r`, block by block, up to and including the block
    /// holding `END`. Returns the header and the number of bytes consumed, or
    /// `Ok(None)` at a clean end of file (no bytes at all).
    pub fn read_from(r: &mut impl Read) -> Result<Option<(FitsHeader, u64)>, FormatErrorKind> {
        let mut cards = Vec::new();
        let mut consumed = 0u64;
        let mut block = vec![0u8; BLOCK];
        loop {
            let n = read_full(r, &mut block)?;
            if n == 0 && consumed == 0 {
                return Ok(None);
            }
            if n < BLOCK {
                return Err(FormatErrorKind::Truncated {
                    what: "FITS header block".into(),
                    expected: consumed + BLOCK as u64,
                    found: consumed + n as u64,
                });
            }
            consumed += BLOCK as u64;
            for raw in block.chunks(CARD) {
                if !raw.iter().all(|&c| (0x20..=0x7e).contains(&c)) {
                    return Err(FormatErrorKind::BadMagic {
                        format: "FITS",
                        reason: "header holds non-ASCII bytes".into(),
                    });
                }
                let text = std::str::from_utf8(raw).expect("checked ASCII");
                let key = text[..8].trim_end();
                if key == "END" {
                    return Ok(Some((FitsHeader { cards }, consumed)));
                }
                if let Some(card) = parse_card(text)? {
                    cards.push(card);
                }
            }
        }
    }

    /// The card for `key`, if present (the first one).
    pub fn get(&self, key: &str) -> Option<&FitsValue> {
        self.cards.iter().find(|c| c.key == key).map(|c| &c.value)
    }

    /// A string value; numbers are turned into their text.
    pub fn get_str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            FitsValue::Str(s) => Some(s.clone()),
            FitsValue::Undefined => None,
            v => Some(v.display()),
        }
    }

    /// A number (integer or real). A string holding a number is accepted too,
    /// since some writers quote numbers.
    pub fn get_f64(&self, key: &str) -> Result<Option<f64>, FormatErrorKind> {
        match self.get(key) {
            None | Some(FitsValue::Undefined) => Ok(None),
            Some(FitsValue::Int(i)) => Ok(Some(*i as f64)),
            Some(FitsValue::Float(f)) => Ok(Some(*f)),
            Some(FitsValue::Str(s)) if s.trim().is_empty() || s.trim() == "*" => Ok(None),
            Some(v @ FitsValue::Str(s)) => s
                .trim()
                .replace(['D', 'd'], "E")
                .parse()
                .map(Some)
                .map_err(|_| bad(key, v, "not a number")),
            Some(v) => Err(bad(key, v, "not a number")),
        }
    }

    /// A required number.
    pub fn require_f64(&self, key: &str) -> Result<f64, FormatErrorKind> {
        self.get_f64(key)?
            .ok_or_else(|| FormatErrorKind::MissingKeyword(key.to_string()))
    }

    /// An integer; a real with no fraction is accepted.
    pub fn get_i64(&self, key: &str) -> Result<Option<i64>, FormatErrorKind> {
        match self.get(key) {
            None | Some(FitsValue::Undefined) => Ok(None),
            Some(FitsValue::Int(i)) => Ok(Some(*i)),
            Some(v @ FitsValue::Float(f)) => {
                if f.fract() == 0.0 && f.abs() < 9e15 {
                    Ok(Some(*f as i64))
                } else {
                    Err(bad(key, v, "not an integer"))
                }
            }
            Some(v @ FitsValue::Str(s)) => s.trim().parse().map(Some).map_err(|_| bad(key, v, "not an integer")),
            Some(v) => Err(bad(key, v, "not an integer")),
        }
    }

    /// A required integer.
    pub fn require_i64(&self, key: &str) -> Result<i64, FormatErrorKind> {
        self.get_i64(key)?
            .ok_or_else(|| FormatErrorKind::MissingKeyword(key.to_string()))
    }

    /// Appends (or replaces) a card.
    pub fn set(&mut self, key: &str, value: FitsValue, comment: &str) {
        let card = Card {
            key: key.to_string(),
            value,
            comment: comment.to_string(),
        };
        match self.cards.iter_mut().find(|c| c.key == key) {
            Some(c) => *c = card,
            None => self.cards.push(card),
        }
    }

    /// Serialises the header with its `END` card, padded with blanks to whole blocks.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BLOCK);
        for card in &self.cards {
            out.extend_from_slice(format_card(card).as_bytes());
        }
        out.extend_from_slice(format!("{:<80}", "END").as_bytes());
        let padded = out.len().div_ceil(BLOCK) * BLOCK;
        out.resize(padded, b' ');
        out
    }

    /// Size in bytes of the data unit that follows this header, without padding:
    /// |BITPIX|/8 · GCOUNT · (PCOUNT + NAXIS1 · … · NAXISn).
    pub fn data_len(&self) -> Result<u64, FormatErrorKind> {
        let bitpix = self.require_i64("BITPIX")?;
        let naxis = self.require_i64("NAXIS")?;
        if naxis == 0 {
            return Ok(0);
        }
        if !(0..=999).contains(&naxis) {
            return Err(bad("NAXIS", &FitsValue::Int(naxis), "FITS allows 0 to 999 axes"));
        }
        let mut n: u64 = 1;
        for i in 1..=naxis {
            let key = format!("NAXIS{i}");
            let len = self.require_i64(&key)?;
            if len < 0 {
                return Err(bad(&key, &FitsValue::Int(len), "negative axis length"));
            }
            n = n
                .checked_mul(len as u64)
                .ok_or_else(|| bad(&key, &FitsValue::Int(len), TOO_LARGE))?;
        }
        let pcount = self.get_i64("PCOUNT")?.unwrap_or(0).max(0);
        let gcount = self.get_i64("GCOUNT")?.unwrap_or(1).max(1);
        // An overflow here means a data unit far larger than any file: refuse it,
        // naming the count that made it so.
        let n = n
            .checked_add(pcount as u64)
            .ok_or_else(|| bad("PCOUNT", &FitsValue::Int(pcount), TOO_LARGE))?;
        (bitpix.unsigned_abs() / 8)
            .checked_mul(gcount as u64)
            .and_then(|b| b.checked_mul(n))
            .ok_or_else(|| bad("GCOUNT", &FitsValue::Int(gcount), TOO_LARGE))
    }
}

/// Why a header whose data unit would take more than 2⁶⁴ bytes is refused.
const TOO_LARGE: &str = "the data unit would be larger than 2^64 bytes";

/// Rounds `len` up to whole FITS blocks.
pub fn padded_len(len: u64) -> u64 {
    len.div_ceil(BLOCK as u64) * BLOCK as u64
}

fn bad(key: &str, v: &FitsValue, reason: &str) -> FormatErrorKind {
    FormatErrorKind::BadKeyword {
        key: key.to_string(),
        value: v.display(),
        reason: reason.to_string(),
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parses one 80-character card. Commentary cards (COMMENT, HISTORY, blank) give `None`.
fn parse_card(text: &str) -> Result<Option<Card>, FormatErrorKind> {
    let key = text[..8].trim_end().to_string();
    if key.is_empty() || key == "COMMENT" || key == "HISTORY" || key == "CONTINUE" || &text[8..10] != "= " {
        return Ok(None);
    }
    let rest = &text[10..];
    let trimmed = rest.trim_start();
    let (value, comment) = if let Some(body) = trimmed.strip_prefix('\'') {
        // A quoted string: '' is an escaped quote.
        let mut s = String::new();
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if matches!(chars.peek(), Some((_, '\''))) {
                    s.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                s.push(c);
            }
        }
        let end = end.ok_or_else(|| FormatErrorKind::BadKeyword {
            key: key.clone(),
            value: trimmed.to_string(),
            reason: "string value has no closing quote".into(),
        })?;
        let comment = body[end..]
            .trim_start()
            .strip_prefix('/')
            .unwrap_or("")
            .trim()
            .to_string();
        (FitsValue::Str(s.trim_end().to_string()), comment)
    } else {
        let (v, c) = match trimmed.find('/') {
            Some(i) => (&trimmed[..i], trimmed[i + 1..].trim()),
            None => (trimmed, ""),
        };
        let v = v.trim();
        let value = if v.is_empty() {
            FitsValue::Undefined
        } else if v == "T" {
            FitsValue::Logical(true)
        } else if v == "F" {
            FitsValue::Logical(false)
        } else if let Ok(i) = v.parse::<i64>() {
            FitsValue::Int(i)
        } else if let Ok(f) = v.replace(['D', 'd'], "E").parse::<f64>() {
            FitsValue::Float(f)
        } else {
            return Err(FormatErrorKind::BadKeyword {
                key,
                value: v.to_string(),
                reason: "value is neither a string, a logical nor a number".into(),
            });
        };
        (value, c.to_string())
    };
    Ok(Some(Card { key, value, comment }))
}

fn format_card(card: &Card) -> String {
    let value = match &card.value {
        FitsValue::Str(s) => {
            let q = format!("'{:<8}'", s.replace('\'', "''"));
            format!("{q:<20}")
        }
        FitsValue::Logical(b) => format!("{:>20}", if *b { "T" } else { "F" }),
        FitsValue::Int(i) => format!("{i:>20}"),
        FitsValue::Float(f) => format!("{:>20}", format_float(*f)),
        FitsValue::Undefined => " ".repeat(20),
    };
    let mut s = format!("{:<8}= {}", card.key, value);
    if !card.comment.is_empty() {
        s.push_str(" / ");
        s.push_str(&card.comment);
    }
    s.truncate(CARD);
    format!("{s:<80}")
}

/// A real written so that it reads back exactly and always looks like a real.
fn format_float(f: f64) -> String {
    let s = format!("{f:?}");
    if s.len() <= 20 {
        if s.contains(['.', 'e', 'E']) {
            s.replace('e', "E")
        } else {
            format!("{s}.0")
        }
    } else {
        format!("{f:.13E}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_round_trip() {
        let mut h = FitsHeader::default();
        h.set("SIMPLE", FitsValue::Logical(true), "file conforms");
        h.set("TELESCOP", FitsValue::Str("Arecibo".into()), "");
        h.set("QUOTE", FitsValue::Str("it's".into()), "");
        h.set("NAXIS", FitsValue::Int(0), "");
        h.set("OBSFREQ", FitsValue::Float(1375.4321), "[MHz]");
        h.set("TINY", FitsValue::Float(6.5476e-5), "");
        h.set("STT_OFFS", FitsValue::Float(0.3637763159349561), "");
        let bytes = h.to_bytes();
        assert_eq!(bytes.len(), BLOCK);
        let (back, n) = FitsHeader::read_from(&mut bytes.as_slice()).unwrap().unwrap();
        assert_eq!(n, BLOCK as u64);
        assert_eq!(back.get_str("TELESCOP").unwrap(), "Arecibo");
        assert_eq!(back.get_str("QUOTE").unwrap(), "it's");
        assert_eq!(back.get_f64("OBSFREQ").unwrap(), Some(1375.4321));
        assert_eq!(back.get_f64("TINY").unwrap(), Some(6.5476e-5));
        assert_eq!(back.get_f64("STT_OFFS").unwrap(), Some(0.3637763159349561));
        assert_eq!(back.get("SIMPLE"), Some(&FitsValue::Logical(true)));
    }

    #[test]
    fn truncated_header_is_an_error() {
        let bytes = vec![b' '; 100];
        assert!(matches!(
            FitsHeader::read_from(&mut bytes.as_slice()),
            Err(FormatErrorKind::Truncated { .. })
        ));
    }
}
