//! `.accelcands` files: the combined, sifted list of periodicity candidates of
//! one beam, in the layout of PRESTO sifting's `write_candlist` (the PALFA
//! uploader's "Accelcands list" diagnostic).
//!
//! The file starts with one `#` column-title line. Each candidate is one line
//!
//! ```text
//! <accelfile>:<candnum>   DM  SNR  sigma  numharm  ipow  cpow  P(ms)  r  z  (numhits)
//! ```
//!
//! (Python `"%-65s   %7.2f  %6.2f  %6.2f    %2d     %7.1f  %7.1f  %12.6f  %10.2f  %8.2f  (%d)"`)
//! followed, when it was seen at more than one DM, by one line per DM hit in
//! increasing DM, `  DM=%6.2f SNR=%5.2f Sigma=%5.2f   ***` with one star per 3σ.
//! PALFA's 2013 sifting wrote hits without the `Sigma=` field; the reader
//! accepts both.
//!
//! ```
//! use palfa_core::formats::presto::accelcands::{parse_accelcands, to_text, AccelcandsEntry, AccelcandsHit};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let hit = |dm, snr, sigma| AccelcandsHit { dm, snr, sigma: Some(sigma) };
//! let cand = AccelcandsEntry {
//!     accelfile: "beam_DM50.20_ACCEL_0".into(), candnum: 2, dm: 50.2, snr: 14.1, sigma: 11.9,
//!     numharm: 16, ipow: 160.5, cpow: 80.2, period_s: 0.7139, r: 96.18, z: 0.0, numhits: 2,
//!     hits: vec![hit(50.1, 13.0, 11.0), hit(50.2, 14.1, 11.9)],
//! };
//! let text = to_text(std::slice::from_ref(&cand));
//! assert!(text.lines().nth(1).unwrap().starts_with("beam_DM50.20_ACCEL_0:2 "));
//! let back = parse_accelcands(&text, "x.accelcands".as_ref())?;
//! assert_eq!(back[0].candnum, 2);
//! assert_eq!(back[0].hits.len(), 2);
//! assert!((back[0].period_s - 0.7139).abs() < 1e-9);
//! # Ok(()) }
//! ```

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};

/// The column-title line PRESTO writes at the top of the file (and of the
/// sifting report), without its newline.
pub const HEADER: &str = "#                           file:candnum                               DM     SNR    sigma   numharm    ipow     cpow      P(ms)          r         z     numhits ";

/// One DM at which a sifted candidate was detected.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AccelcandsHit {
    /// DM of the series \[pc cm⁻³\].
    pub dm: f64,
    /// Harmonic-summed S/N there (Σ √max(p − 1, 0) over the harmonics).
    pub snr: f64,
    /// Single-trial significance there \[σ\] (`None` in PALFA-2013 files).
    pub sigma: Option<f64>,
}

/// One candidate of an `.accelcands` file.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelcandsEntry {
    /// The ACCEL file it came from, without directory (`<base>_DM<dm>_ACCEL_<zmax>`).
    pub accelfile: String,
    /// Its 1-based number in that file.
    pub candnum: usize,
    /// DM of its best detection \[pc cm⁻³\].
    pub dm: f64,
    /// Harmonic-summed S/N.
    pub snr: f64,
    /// Single-trial significance \[σ\].
    pub sigma: f64,
    /// Harmonics summed.
    pub numharm: usize,
    /// Incoherent (summed) power of the harmonics.
    pub ipow: f64,
    /// Coherent power.
    pub cpow: f64,
    /// Period \[s\] (written in ms).
    pub period_s: f64,
    /// Fourier frequency \[bins\].
    pub r: f64,
    /// Fourier-frequency derivative \[bins\].
    pub z: f64,
    /// Number of DMs it was detected at.
    pub numhits: usize,
    /// The detections, in increasing DM. Written only when there are more than
    /// one; a file read back gives one hit made from the candidate line for a
    /// candidate with `numhits == 1`.
    pub hits: Vec<AccelcandsHit>,
}

impl AccelcandsEntry {
    /// The candidate's line, without newline and without hits.
    pub fn candidate_line(&self) -> String {
        let name = format!("{}:{}", self.accelfile, self.candnum);
        format!(
            "{name:<65}   {:7.2}  {:6.2}  {:6.2}    {:2}     {:7.1}  {:7.1}  {:12.6}  {:10.2}  {:8.2}  ({})",
            self.dm,
            self.snr,
            self.sigma,
            self.numharm,
            self.ipow,
            self.cpow,
            self.period_s * 1000.0,
            self.r,
            self.z,
            self.numhits
        )
    }

    /// Frequency \[Hz\].
    pub fn freq_hz(&self) -> f64 {
        1.0 / self.period_s
    }
}

impl AccelcandsHit {
    /// The hit's line, without newline.
    pub fn line(&self) -> String {
        let (text, stars_of) = match self.sigma {
            Some(sigma) => (
                format!("  DM={:6.2} SNR={:5.2} Sigma={:5.2}   ", self.dm, self.snr, sigma),
                sigma,
            ),
            None => (format!("  DM={:6.2} SNR={:5.2}   ", self.dm, self.snr), self.snr),
        };
        let stars = if stars_of.is_finite() && stars_of > 0.0 {
            (stars_of / 3.0) as usize
        } else {
            0
        };
        text + &"*".repeat(stars.min(200))
    }
}

/// The whole file as text.
pub fn to_text(entries: &[AccelcandsEntry]) -> String {
    let mut s = String::with_capacity(160 * (entries.len() + 1));
    s += HEADER;
    s.push('\n');
    for e in entries {
        s += &e.candidate_line();
        s.push('\n');
        if e.hits.len() > 1 {
            for h in &e.hits {
                let _ = writeln!(s, "{}", h.line());
            }
        }
    }
    s
}

/// Writes an `.accelcands` file.
pub fn write_accelcands(path: impl AsRef<Path>, entries: &[AccelcandsEntry]) -> FormatResult<()> {
    let path = path.as_ref();
    std::fs::write(path, to_text(entries)).map_err(|e| FormatError::io(path, e))
}

/// Reads an `.accelcands` file.
pub fn read_accelcands(path: impl AsRef<Path>) -> FormatResult<Vec<AccelcandsEntry>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
    parse_accelcands(&text, path)
}

/// Parses `.accelcands` text; `path` names the file in errors. Blank lines and
/// `#` comments are skipped; any other line must be a candidate or a hit line.
pub fn parse_accelcands(text: &str, path: &Path) -> FormatResult<Vec<AccelcandsEntry>> {
    let bad = |lineno: usize, reason: String| {
        FormatError::new(
            path,
            FormatErrorKind::BadMagic {
                format: "PRESTO .accelcands",
                reason: format!("line {lineno}: {reason}"),
            },
        )
    };
    let mut out: Vec<AccelcandsEntry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        let content = line.split('#').next().unwrap_or("");
        if content.trim().is_empty() {
            continue;
        }
        if content.trim_start().starts_with("DM=") {
            let hit = parse_hit(content).map_err(|r| bad(lineno, r))?;
            let Some(last) = out.last_mut() else {
                return Err(bad(lineno, "a DM hit before any candidate".into()));
            };
            last.hits.push(hit);
        } else {
            out.push(parse_candidate(content).map_err(|r| bad(lineno, r))?);
        }
    }
    for e in &mut out {
        if e.hits.is_empty() {
            // PRESTO omits the hit list of a single-DM candidate: the line is its hit.
            e.hits.push(AccelcandsHit {
                dm: e.dm,
                snr: e.snr,
                sigma: Some(e.sigma),
            });
        }
    }
    Ok(out)
}

fn parse_candidate(line: &str) -> Result<AccelcandsEntry, String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    // name, 9 numbers, (numhits); the name could hold spaces, so count from the end.
    if tokens.len() < 11 {
        return Err(format!(
            "a candidate line needs 11 fields (file:candnum, DM, SNR, sigma, numharm, ipow, cpow, P(ms), r, z, (numhits)), found {}: {line:?}",
            tokens.len()
        ));
    }
    let n = tokens.len();
    let numhits_tok = tokens[n - 1];
    let numhits = numhits_tok
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .and_then(|t| t.parse::<usize>().ok())
        .ok_or_else(|| format!("numhits {numhits_tok:?} is not \"(N)\""))?;
    let nums = &tokens[n - 10..n - 1];
    let num = |k: usize, what: &str| -> Result<f64, String> {
        nums[k]
            .parse::<f64>()
            .map_err(|_| format!("{what} {:?} is not a number", nums[k]))
    };
    let name = tokens[..n - 10].join(" ");
    let (accelfile, candnum) = name
        .rsplit_once(':')
        .ok_or_else(|| format!("{name:?} is not \"file:candnum\""))?;
    let candnum = candnum
        .parse::<usize>()
        .map_err(|_| format!("candidate number {candnum:?} is not a whole number"))?;
    let numharm = nums[3]
        .parse::<usize>()
        .map_err(|_| format!("numharm {:?} is not a whole number", nums[3]))?;
    Ok(AccelcandsEntry {
        accelfile: accelfile.to_string(),
        candnum,
        dm: num(0, "DM")?,
        snr: num(1, "SNR")?,
        sigma: num(2, "sigma")?,
        numharm,
        ipow: num(4, "ipow")?,
        cpow: num(5, "cpow")?,
        period_s: num(6, "P(ms)")? / 1000.0,
        r: num(7, "r")?,
        z: num(8, "z")?,
        numhits,
        hits: Vec::new(),
    })
}

fn parse_hit(line: &str) -> Result<AccelcandsHit, String> {
    // "DM= 50.20 SNR=14.10 Sigma=11.90   ***": values may be space-padded after '='.
    let body = line.trim().trim_end_matches('*').trim();
    let value_of = |key: &str| -> Result<Option<f64>, String> {
        let Some(pos) = body.find(key) else {
            return Ok(None);
        };
        let rest = body[pos + key.len()..].trim_start();
        let tok = rest.split_whitespace().next().unwrap_or("");
        tok.parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{key} value {tok:?} is not a number"))
    };
    let dm = value_of("DM=")?.ok_or("a hit line without DM=")?;
    let snr = value_of("SNR=")?.ok_or("a hit line without SNR=")?;
    let sigma = value_of("Sigma=")?;
    Ok(AccelcandsHit { dm, snr, sigma })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(candnum: usize, dm: f64, hits: Vec<AccelcandsHit>) -> AccelcandsEntry {
        AccelcandsEntry {
            accelfile: format!("p2030.20130101.G45.00-00.12.C.b0.00000_DM{dm:.2}_ACCEL_50"),
            candnum,
            dm,
            snr: 12.3456,
            sigma: 15.2,
            numharm: 8,
            ipow: 123.44,
            cpow: 45.61,
            period_s: 0.0041573,
            r: 16512.342,
            z: -3.5,
            numhits: hits.len().max(1),
            hits,
        }
    }

    #[test]
    fn layout_matches_presto() {
        // Exactly the line PRESTO's Python formatting gives for these values.
        let e = entry(3, 131.4, vec![]);
        assert_eq!(
            e.candidate_line(),
            "p2030.20130101.G45.00-00.12.C.b0.00000_DM131.40_ACCEL_50:3           131.40   12.35   15.20     8       123.4     45.6      4.157300    16512.34     -3.50  (1)"
        );
        let h = AccelcandsHit {
            dm: 131.4,
            snr: 12.3,
            sigma: Some(15.2),
        };
        assert_eq!(h.line(), "  DM=131.40 SNR=12.30 Sigma=15.20   *****");
        let old = AccelcandsHit { sigma: None, ..h };
        assert_eq!(old.line(), "  DM=131.40 SNR=12.30   ****");
        assert_eq!(HEADER.len(), 1 + 66 + 9 + 8 + 8 + 9 + 9 + 9 + 14 + 12 + 8 + 9);
    }

    #[test]
    fn round_trip_and_palfa_2013_hits() {
        let hit = |dm, snr, sigma| AccelcandsHit {
            dm,
            snr,
            sigma: Some(sigma),
        };
        let entries = vec![
            entry(
                1,
                50.2,
                vec![hit(50.1, 10.0, 9.0), hit(50.2, 14.0, 12.0), hit(50.3, 11.0, 9.5)],
            ),
            entry(7, 2100.5, vec![]),
        ];
        let text = to_text(&entries);
        let back = parse_accelcands(&text, Path::new("x")).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].hits.len(), 3);
        assert_eq!(back[0].hits[1], hit(50.2, 14.0, 12.0));
        assert_eq!(back[1].hits.len(), 1, "single hit synthesised from the candidate line");
        assert_eq!(back[1].numhits, 1);
        assert!((back[1].dm - 2100.5).abs() < 1e-9);
        // Written values come back to their printed precision, and text is stable.
        assert!((back[0].period_s - 0.0041573).abs() < 1e-12);
        assert!((back[0].r - 16512.34).abs() < 1e-9 && (back[0].snr - 12.35).abs() < 1e-9);
        assert_eq!(to_text(&back), text);

        let old = "# comment\nbeam_DM10.00_ACCEL_0:4   10.00  8.00  7.00    2   30.0  20.0  100.000000  687.00  0.00  (2)\n  DM= 9.90 SNR= 7.00   **\n  DM=10.00 SNR= 8.00   **\n";
        let back = parse_accelcands(old, Path::new("old")).unwrap();
        assert_eq!(back[0].hits[0].sigma, None);
        assert_eq!(back[0].hits[0].dm, 9.9);
        assert!((back[0].period_s - 0.1).abs() < 1e-12);
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let e = parse_accelcands("#h\nbeam:1 1 2 3\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse_accelcands("  DM=1.00 SNR=2.00\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("before any candidate"), "{e}");
        let line = "b:1   10.00  8.00  7.00    2   30.0  20.0  100.0  687.00  0.00  (x)\n";
        assert!(parse_accelcands(line, Path::new("x")).is_err());
        let line = "b:1   10.00  8.00  seven    2   30.0  20.0  100.0  687.00  0.00  (1)\n";
        assert!(parse_accelcands(line, Path::new("x"))
            .unwrap_err()
            .to_string()
            .contains("sigma"));
        assert!(parse_accelcands("", Path::new("x")).unwrap().is_empty());
    }
}
