//! PRESTO `.singlepulse` files: the single-pulse events found in one
//! dedispersed time series, as `single_pulse_search.py` writes them.
//!
//! Layout: a header line
//! `# DM      Sigma      Time (s)     Sample    Downfact`, then one event per
//! line formatted like C's `%7.2f %7.2f %13.6f %10d     %3d`, sorted by sample.
//! A series without events gives an **empty file** (no header either).
//! `Time (s)` is `Sample × dt` from the start of the series; `Downfact` is the
//! width of the boxcar that detected the event \[samples\].
//!
//! ```
//! use palfa_core::formats::presto::singlepulse::{format_singlepulse, parse_singlepulse, SinglePulseEvent};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let ev = SinglePulseEvent { dm: 112.38, sigma: 7.25, time_s: 1.25, sample: 7629, downfact: 6 };
//! let text = format_singlepulse(&[ev]);
//! assert_eq!(text.lines().nth(1), Some(" 112.38    7.25      1.250000       7629       6"));
//! let back = parse_singlepulse(&text, std::path::Path::new("x.singlepulse"))?;
//! assert_eq!(back, vec![ev]);
//! # Ok(()) }
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{FormatError, FormatErrorKind, FormatResult};

/// The header line PRESTO writes above the events.
pub const SINGLEPULSE_HEADER: &str = "# DM      Sigma      Time (s)     Sample    Downfact";

/// One single-pulse event: a boxcar-filtered sample of a dedispersed series
/// above the detection threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SinglePulseEvent {
    /// Dispersion measure of the series \[pc cm⁻³\].
    pub dm: f64,
    /// Significance: the boxcar sum of the normalised series over √width \[σ\].
    pub sigma: f64,
    /// Time of `sample` from the start of the series \[s\] (`sample × dt`).
    pub time_s: f64,
    /// Sample index of the event (the centre of the boxcar) in the series.
    pub sample: u64,
    /// Width of the boxcar that found it \[samples\].
    pub downfact: u32,
}

impl SinglePulseEvent {
    /// The event as one line of a `.singlepulse` file (with its newline).
    pub fn to_line(&self) -> String {
        format!(
            "{:7.2} {:7.2} {:13.6} {:10}     {:3}\n",
            self.dm, self.sigma, self.time_s, self.sample, self.downfact
        )
    }
}

/// The text of a `.singlepulse` file for `events` (sorted by sample here; stable,
/// so events of one sample keep their order). Empty when there are no events.
pub fn format_singlepulse(events: &[SinglePulseEvent]) -> String {
    if events.is_empty() {
        return String::new();
    }
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|e| e.sample);
    let mut s = String::with_capacity(64 * (sorted.len() + 1));
    s.push_str(SINGLEPULSE_HEADER);
    s.push('\n');
    for e in &sorted {
        s.push_str(&e.to_line());
    }
    s
}

/// Writes a `.singlepulse` file (an empty file when there are no events).
pub fn write_singlepulse(path: impl AsRef<Path>, events: &[SinglePulseEvent]) -> FormatResult<()> {
    let path = path.as_ref();
    std::fs::write(path, format_singlepulse(events)).map_err(|e| FormatError::io(path, e))
}

/// Parses `.singlepulse` text; `path` names the file in errors.
///
/// Lines starting with `#` and blank lines are skipped. Each other line must
/// hold the five columns; `Sample` and `Downfact` may be written as integers or
/// as whole-valued floats (as `numpy.savetxt` does).
pub fn parse_singlepulse(text: &str, path: &Path) -> FormatResult<Vec<SinglePulseEvent>> {
    let mut out = Vec::new();
    for (lineno, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let bad = |col: &str, value: &str, reason: &str| {
            FormatError::new(
                path,
                FormatErrorKind::BadKeyword {
                    key: format!("line {} column {col}", lineno + 1),
                    value: value.to_string(),
                    reason: reason.to_string(),
                },
            )
        };
        let fields: Vec<&str> = t.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(bad(
                "count",
                t,
                &format!(
                    "expected 5 columns (DM Sigma Time Sample Downfact), found {}",
                    fields.len()
                ),
            ));
        }
        let num = |i: usize, col: &str| -> FormatResult<f64> {
            fields[i]
                .parse::<f64>()
                .map_err(|_| bad(col, fields[i], "not a number"))
        };
        let whole = |i: usize, col: &str| -> FormatResult<u64> {
            let v = num(i, col)?;
            if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 2f64.powi(53) {
                Ok(v as u64)
            } else {
                Err(bad(col, fields[i], "not a non-negative whole number"))
            }
        };
        let downfact = whole(4, "Downfact")?;
        out.push(SinglePulseEvent {
            dm: num(0, "DM")?,
            sigma: num(1, "Sigma")?,
            time_s: num(2, "Time")?,
            sample: whole(3, "Sample")?,
            downfact: u32::try_from(downfact).map_err(|_| bad("Downfact", fields[4], "too large"))?,
        });
    }
    Ok(out)
}

/// Reads a `.singlepulse` file.
pub fn read_singlepulse(path: impl AsRef<Path>) -> FormatResult<Vec<SinglePulseEvent>> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
    parse_singlepulse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(sample: u64, sigma: f64, downfact: u32) -> SinglePulseEvent {
        SinglePulseEvent {
            dm: 312.5,
            sigma,
            time_s: sample as f64 * 65.476e-6,
            sample,
            downfact,
        }
    }

    #[test]
    fn lines_have_prestos_columns() {
        // Column widths from single_pulse_search.py's "%7.2f %7.2f %13.6f %10d     %3d".
        let line = ev(157_307, 12.345, 14).to_line();
        assert_eq!(line, " 312.50   12.35     10.299833     157307      14\n");
        assert_eq!(line.len(), 7 + 1 + 7 + 1 + 13 + 1 + 10 + 5 + 3 + 1);
    }

    #[test]
    fn round_trip_sorted_by_sample() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b_DM312.50.singlepulse");
        let events = vec![ev(900, 6.5, 3), ev(12, 5.01, 1), ev(400_000, 25.0, 300)];
        write_singlepulse(&path, &events).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(SINGLEPULSE_HEADER));
        let back = read_singlepulse(&path).unwrap();
        let samples: Vec<u64> = back.iter().map(|e| e.sample).collect();
        assert_eq!(samples, vec![12, 900, 400_000]);
        for b in &back {
            let e = events.iter().find(|e| e.sample == b.sample).unwrap();
            // Written with 2 decimals (DM, sigma) and 6 (time): equal to that precision.
            assert!((b.dm - e.dm).abs() <= 0.005 && (b.sigma - e.sigma).abs() <= 0.005);
            assert!((b.time_s - e.time_s).abs() <= 5e-7);
            assert_eq!(b.downfact, e.downfact);
        }
    }

    #[test]
    fn no_events_is_an_empty_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.singlepulse");
        write_singlepulse(&path, &[]).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
        assert!(read_singlepulse(&path).unwrap().is_empty());
    }

    #[test]
    fn reads_numpy_style_floats() {
        let text = "# DM Sigma Time Sample Downfact\n1.000000e+01 6.0 0.5 1.000000e+03 2.0\n";
        let back = parse_singlepulse(text, Path::new("x")).unwrap();
        assert_eq!(back[0].sample, 1000);
        assert_eq!(back[0].downfact, 2);
    }

    #[test]
    fn malformed_lines_name_line_and_column() {
        let e = parse_singlepulse("# h\n 10.00 6.00 1.0 12\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = parse_singlepulse("10.0 6.0 1.0 12.5 3\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("Sample"), "{e}");
        let e = parse_singlepulse("10.0 abc 1.0 12 3\n", Path::new("x")).unwrap_err();
        assert!(e.to_string().contains("Sigma"), "{e}");
    }
}
