//! PRESTO birdie lists: `.zaplist` (what `zapbirds -zapfile` reads) and
//! `.birds` (what `makezaplist.py` expands into a `.zaplist`).
//!
//! `.zaplist`: one bird per line, `freq width` in Hz, whitespace-separated. A
//! line starting with `B` is **barycentric** (`B freq width`), a plain line is
//! topocentric; a line whose first character is `#` is a comment. (PRESTO also
//! counts blank lines as birds at 0 Hz; palfa skips them.) [`Zaplist::to_text`]
//! writes `makezaplist.py`'s layout: `#` header lines, then
//! `B %20.15g  %20.15g` or two spaces and `%20.15g  %20.15g`, sorted by
//! frequency.
//!
//! `.birds`: `#` comments; lines of at most 3 characters are skipped;
//! `freq width` is one bird; `freq width numharm [grow [bary]]` is harmonics
//! 1…numharm at `freq·h`, `width·h` if `grow` is non-zero else `width`,
//! barycentric if `bary` is non-zero. PRESTO's `P psrname numharm` lines need a
//! pulsar catalogue and are refused.
//!
//! ```
//! use palfa_core::formats::presto::zaplist::Zaplist;
//! use std::path::Path;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let birds = Zaplist::parse_birds("# mains\n60.0 0.05 3 1\n", Path::new("x.birds"))?;
//! assert_eq!(birds.birds.len(), 3);
//! assert_eq!(birds.birds[2].freq_hz, 180.0);
//! assert!((birds.birds[2].width_hz - 0.15).abs() < 1e-12);
//! // Written with 15 significant digits, as PRESTO writes them.
//! let back = Zaplist::parse(&birds.to_text(), Path::new("x.zaplist"))?;
//! for (a, b) in back.birds.iter().zip(&birds.birds) {
//!     assert!((a.freq_hz - b.freq_hz).abs() < 1e-12 && (a.width_hz - b.width_hz).abs() < 1e-12);
//! }
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::cfmt::g;

/// One frequency range to zap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bird {
    /// Centre frequency \[Hz\].
    pub freq_hz: f64,
    /// Full width \[Hz\].
    pub width_hz: f64,
    /// The frequency is barycentric (`B` line); otherwise topocentric.
    pub barycentric: bool,
}

/// A list of birds to zap.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Zaplist {
    /// The birds, in file order.
    pub birds: Vec<Bird>,
    /// Comment lines (without the leading `#`), written at the top.
    pub comments: Vec<String>,
}

/// Most birds a `.birds` file may expand to (2²⁰, 24 MiB): each line can ask for
/// up to 100 000 harmonics, so a few kilobytes could otherwise ask for gigabytes.
pub const MAX_BIRDS: usize = 1 << 20;

fn bad(path: &Path, line: usize, text: &str, reason: &str) -> FormatError {
    FormatError::new(
        path,
        FormatErrorKind::BadKeyword {
            key: format!("line {line}"),
            value: text.to_string(),
            reason: reason.to_string(),
        },
    )
}

fn number(path: &Path, line: usize, text: &str, field: &str, what: &str) -> FormatResult<f64> {
    match field.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(bad(path, line, text, &format!("{what} {field:?} is not a number"))),
    }
}

fn check(path: &Path, line: usize, text: &str, freq: f64, width: f64) -> FormatResult<()> {
    if freq < 0.0 || width < 0.0 {
        return Err(bad(path, line, text, "frequency and width must not be negative"));
    }
    Ok(())
}

impl Zaplist {
    /// Parses `.zaplist` text; `path` names the file in errors.
    ///
    /// # Errors
    /// A line that is not `[B] freq width` with non-negative numbers.
    pub fn parse(text: &str, path: &Path) -> FormatResult<Self> {
        let mut z = Zaplist::default();
        for (i, raw) in text.lines().enumerate() {
            if let Some(c) = raw.strip_prefix('#') {
                z.comments.push(c.trim().to_string());
                continue;
            }
            if raw.trim().is_empty() {
                continue;
            }
            let (bary, rest) = match raw.strip_prefix('B') {
                Some(r) => (true, r),
                None => (false, raw),
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.len() < 2 {
                return Err(bad(path, i + 1, raw, "expected a frequency and a width"));
            }
            let freq = number(path, i + 1, raw, f[0], "frequency")?;
            let width = number(path, i + 1, raw, f[1], "width")?;
            check(path, i + 1, raw, freq, width)?;
            z.birds.push(Bird {
                freq_hz: freq,
                width_hz: width,
                barycentric: bary,
            });
        }
        Ok(z)
    }

    /// Parses `.birds` text, expanding harmonics.
    ///
    /// # Errors
    /// Malformed lines, and `P` (catalogue pulsar) lines.
    pub fn parse_birds(text: &str, path: &Path) -> FormatResult<Self> {
        let mut z = Zaplist::default();
        for (i, raw) in text.lines().enumerate() {
            if let Some(c) = raw.strip_prefix('#') {
                z.comments.push(c.trim().to_string());
                continue;
            }
            if raw.trim().len() <= 3 {
                continue;
            }
            let f: Vec<&str> = raw.split_whitespace().collect();
            if f[0] == "P" {
                return Err(FormatError::new(
                    path,
                    FormatErrorKind::Unsupported(format!(
                        "line {}: catalogue-pulsar birds ({raw:?}) need a pulsar catalogue; list their harmonics instead",
                        i + 1
                    )),
                ));
            }
            if f.len() < 2 {
                return Err(bad(path, i + 1, raw, "expected a frequency and a width"));
            }
            let freq = number(path, i + 1, raw, f[0], "frequency")?;
            let width = number(path, i + 1, raw, f[1], "width")?;
            check(path, i + 1, raw, freq, width)?;
            let numharm = match f.get(2) {
                Some(s) => {
                    let n = number(path, i + 1, raw, s, "number of harmonics")?;
                    if !(1.0..=100_000.0).contains(&n) || n.fract() != 0.0 {
                        return Err(bad(path, i + 1, raw, "number of harmonics must be a whole number ≥ 1"));
                    }
                    n as usize
                }
                None => 1,
            };
            let flag = |k: usize| -> FormatResult<bool> {
                match f.get(k) {
                    Some(s) => Ok(number(path, i + 1, raw, s, "flag")? != 0.0),
                    None => Ok(false),
                }
            };
            let grow = flag(3)?;
            let bary = flag(4)?;
            if z.birds.len() + numharm > MAX_BIRDS {
                return Err(bad(
                    path,
                    i + 1,
                    raw,
                    &format!("the harmonics make more than {MAX_BIRDS} birds in all"),
                ));
            }
            z.add_harmonics(freq, width, numharm, grow, bary);
        }
        Ok(z)
    }

    /// Adds harmonics 1…`numharm` of `freq_hz`, each `width_hz` wide, or
    /// `h·width_hz` if `grow`.
    pub fn add_harmonics(&mut self, freq_hz: f64, width_hz: f64, numharm: usize, grow: bool, barycentric: bool) {
        for h in 1..=numharm {
            let hf = h as f64;
            self.birds.push(Bird {
                freq_hz: freq_hz * hf,
                width_hz: if grow { width_hz * hf } else { width_hz },
                barycentric,
            });
        }
    }

    /// Reads a `.birds` file (by extension) or a `.zaplist` file (anything else).
    ///
    /// # Errors
    /// The file cannot be read or is malformed.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
        if path.extension().is_some_and(|e| e == "birds") {
            Self::parse_birds(&text, path)
        } else {
            Self::parse(&text, path)
        }
    }

    /// The list in `makezaplist.py`'s layout, sorted by frequency.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.comments.is_empty() {
            s += "# This file was created by palfa.\n";
            s += "# Lines beginning with '#' are comments\n";
            s += "# Lines beginning with 'B' are barycentric freqs (i.e. PSR freqs)\n";
            s += "#                 Freq                 Width\n";
            s += "# --------------------  --------------------\n";
        } else {
            for c in &self.comments {
                s += &format!("# {c}\n");
            }
        }
        let mut birds = self.birds.clone();
        birds.sort_by(|a, b| a.freq_hz.total_cmp(&b.freq_hz));
        for b in &birds {
            let prefix = if b.barycentric { "B " } else { "  " };
            s += &format!("{prefix}{:>20}  {:>20}\n", g(b.freq_hz, 15), g(b.width_hz, 15));
        }
        s
    }

    /// Writes the list as a `.zaplist` file.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> FormatResult<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_text()).map_err(|e| FormatError::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_barycentric_topocentric_and_comments() {
        let text = "# header\nB   120.000   0.00333\n  60.0  0.05\n\n# another\n";
        let z = Zaplist::parse(text, Path::new("a.zaplist")).unwrap();
        assert_eq!(z.birds.len(), 2);
        assert!(z.birds[0].barycentric && !z.birds[1].barycentric);
        assert_eq!(z.birds[1].freq_hz, 60.0);
        assert_eq!(z.comments, vec!["header", "another"]);
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in ["60.0\n", "sixty 0.1\n", "60 -1\n", "B 60 nan\n"] {
            assert!(Zaplist::parse(bad, Path::new("a.zaplist")).is_err(), "{bad:?}");
        }
        assert!(Zaplist::parse_birds("P J0534+2200 5\n", Path::new("a.birds")).is_err());
        assert!(Zaplist::parse_birds("60 0.1 2.5\n", Path::new("a.birds")).is_err());
    }

    #[test]
    fn birds_expand_with_and_without_growth() {
        let z = Zaplist::parse_birds("abc\n50.0 0.1 3\n10 0.01 2 1 1\n", Path::new("a.birds")).unwrap();
        let got: Vec<(f64, f64, bool)> = z.birds.iter().map(|b| (b.freq_hz, b.width_hz, b.barycentric)).collect();
        assert_eq!(
            got,
            vec![
                (50.0, 0.1, false),
                (100.0, 0.1, false),
                (150.0, 0.1, false),
                (10.0, 0.01, true),
                (20.0, 0.02, true)
            ]
        );
    }

    #[test]
    fn written_layout_matches_makezaplist() {
        let mut z = Zaplist::default();
        z.birds.push(Bird {
            freq_hz: 60.0,
            width_hz: 0.05,
            barycentric: false,
        });
        z.birds.push(Bird {
            freq_hz: 1.0 / 3.0,
            width_hz: 1.0 / 300.0,
            barycentric: true,
        });
        let t = z.to_text();
        let lines: Vec<&str> = t.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            lines[0],
            format!("B {:>20}  {:>20}", "0.333333333333333", "0.00333333333333333")
        );
        assert_eq!(lines[1], format!("  {:>20}  {:>20}", "60", "0.05"));
        assert_eq!(g(1.5e20, 15), "1.5e+20");
        assert_eq!(g(123456.789, 15), "123456.789");
    }
}
