//! PRESTO's `_ACCEL_<zmax>` candidate text files (written by `accelsearch`).
//!
//! Three parts, each followed by two blank lines except the last:
//! 1. the fundamentals table: two title lines, a dashed line, then per
//!    candidate Cand (1-based), Sigma, Summed Power, Coherent Power, Num Harm,
//!    Period (ms), Frequency (Hz), FFT 'r' (bin), Freq Deriv (Hz/s), FFT 'z'
//!    (bins), Accel (m/s²), Notes — values with errors as `value(err)`;
//! 2. the harmonics table: Cand (on a candidate's first row only), Harm, Sigma
//!    (that harmonic alone, one trial), Power / Loc Pow, Raw Power, FFT 'r',
//!    Pred 'r', FFT 'z', Pred 'z', Phase (rad), Centroid, Purity, Notes;
//! 3. the series' `.inf` file, verbatim (sifting takes N and dt from it).
//!
//! Column widths and centring follow PRESTO's `output_fundamentals` and
//! `output_harmonics`, so PRESTO's `sifting.py` reads palfa's files (it splits
//! rows on whitespace and strips errors at `(`). [`AccelFile::parse`] reads
//! PRESTO's files and palfa's back.

mod cand;

use std::path::Path;

use super::inf::InfFile;
use crate::astro::SPEED_OF_LIGHT;
use crate::error::{FormatError, FormatErrorKind, FormatResult};

pub use cand::{read_cand_file, write_cand_file, FourierProps, FOURIERPROPS_LEN};

/// One harmonic row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccelFileHarm {
    /// Significance of this harmonic alone (one trial).
    pub sigma: f64,
    /// Normalised power.
    pub power: f64,
    /// Its error.
    pub power_err: f64,
    /// Power before normalisation.
    pub raw_power: f64,
    /// Fourier frequency \[bins\].
    pub r: f64,
    /// Its error.
    pub r_err: f64,
    /// r predicted from the fundamental's search value × harmonic number.
    pub pred_r: f64,
    /// Drift \[bins\].
    pub z: f64,
    /// Its error.
    pub z_err: f64,
    /// z predicted from the fundamental's search value × harmonic number.
    pub pred_z: f64,
    /// Phase \[rad\].
    pub phase_rad: f64,
    /// Its error.
    pub phase_err: f64,
    /// Centroid of the signal in time (0–1).
    pub centroid: f64,
    /// Its error.
    pub centroid_err: f64,
    /// Purity (1 for a steady sinusoid).
    pub purity: f64,
    /// Its error.
    pub purity_err: f64,
}

/// One candidate: a fundamentals row and its harmonic rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccelFileCand {
    /// Significance.
    pub sigma: f64,
    /// Summed (incoherent) power.
    pub summed_power: f64,
    /// Coherent power.
    pub coherent_power: f64,
    /// Harmonics summed.
    pub numharm: usize,
    /// Fundamental's Fourier frequency \[bins\].
    pub r: f64,
    /// Its error.
    pub r_err: f64,
    /// Fundamental's drift \[bins\].
    pub z: f64,
    /// Its error.
    pub z_err: f64,
    /// Free text (at most 20 characters are written).
    pub notes: String,
    /// Harmonic rows (`numharm` of them when written by palfa or PRESTO).
    pub harmonics: Vec<AccelFileHarm>,
}

/// A whole ACCEL file.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelFile {
    /// Candidates, in file order.
    pub cands: Vec<AccelFileCand>,
    /// The series' metadata (T = N·dt).
    pub inf: InfFile,
}

const FUND_WIDTHS: [usize; 12] = [4, 5, 6, 8, 4, 16, 15, 15, 15, 11, 15, 20];
const FUND_TITLES1: [&str; 12] = [
    "",
    "",
    "Summed",
    "Coherent",
    "Num",
    "Period",
    "Frequency",
    "FFT 'r'",
    "Freq Deriv",
    "FFT 'z'",
    "Accel",
    "",
];
const FUND_TITLES2: [&str; 12] = [
    "Cand", "Sigma", "Power", "Power", "Harm", "(ms)", "(Hz)", "(bin)", "(Hz/s)", "(bins)", "(m/s^2)", "Notes",
];
const HARM_WIDTHS: [usize; 13] = [5, 4, 5, 15, 11, 18, 13, 12, 9, 12, 10, 10, 20];
const HARM_TITLES1: [&str; 13] = [
    "", "", "", "Power /", "Raw", "FFT 'r'", "Pred 'r'", "FFT 'z'", "Pred 'z'", "Phase", "Centroid", "Purity", "",
];
const HARM_TITLES2: [&str; 13] = [
    "Cand", "Harm", "Sigma", "Loc Pow", "Power", "(bin)", "(bin)", "(bins)", "(bins)", "(rad)", "(0-1)", "<p> = 1",
    "Notes",
];

fn center(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if len >= width {
        return s.to_string();
    }
    let left = (width - len) / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(width - len - left))
}

/// `value(error)` with the error rounded to `ndig` significant digits and the
/// value to the same decimal place, as in journals (PRESTO's `nice_output`
/// without its `x10^` forms, so every field parses as a plain number).
pub fn value_with_error(val: f64, err: f64, ndig: u32) -> String {
    if !(err.is_finite() && err > 0.0 && val.is_finite()) {
        return format!("{val}(0)");
    }
    let ndig = ndig.max(1) as i32;
    let mut e = err.log10().floor() as i32;
    let mut digits = (err / 10f64.powi(e - ndig + 1)).round() as i64;
    if digits >= 10i64.pow(ndig as u32) {
        digits /= 10;
        e += 1;
    }
    let decimals = (ndig - 1 - e).max(0) as usize;
    if decimals == 0 {
        let scale = 10f64.powi(e - ndig + 1);
        let v = (val / scale).round() * scale;
        format!("{v:.0}({:.0})", digits as f64 * scale)
    } else {
        format!("{val:.decimals$}({digits})")
    }
}

fn strip_err(s: &str) -> &str {
    s.split('(').next().unwrap_or(s)
}

impl AccelFile {
    /// Observation length \[s\].
    pub fn t_obs_s(&self) -> f64 {
        self.inf.duration_s()
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let t = self.t_obs_s();
        let mut s = String::new();
        let header = |titles: &[&str], widths: &[usize]| -> String {
            let cols: Vec<String> = titles.iter().zip(widths).map(|(t, &w)| center(t, w)).collect();
            cols.join("  ") + "\n"
        };
        let dashes = |widths: &[usize]| -> String {
            widths.iter().map(|&w| "-".repeat(w)).collect::<Vec<_>>().join("--") + "\n"
        };
        s += &header(&FUND_TITLES1, &FUND_WIDTHS);
        s += &header(&FUND_TITLES2, &FUND_WIDTHS);
        s += &dashes(&FUND_WIDTHS);
        for (i, c) in self.cands.iter().enumerate() {
            let f = c.r / t;
            let ferr = c.r_err / t;
            let p_ms = 1000.0 * t / c.r;
            let perr_ms = 1000.0 * t * c.r_err / (c.r * c.r);
            let fd = c.z / (t * t);
            let fderr = c.z_err / (t * t);
            let acc = c.z * SPEED_OF_LIGHT / (t * t * f);
            let accerr = c.z_err * SPEED_OF_LIGHT / (t * t * f);
            let notes: String = c.notes.chars().take(20).collect();
            let vals = [
                format!("{:<4}", i + 1),
                format!("{:.2}", c.sigma),
                format!("{:.2}", c.summed_power),
                format!("{:.2}", c.coherent_power),
                format!("{}", c.numharm),
                value_with_error(p_ms, perr_ms, 1),
                value_with_error(f, ferr, 1),
                value_with_error(c.r, c.r_err, 2),
                value_with_error(fd, fderr, 1),
                value_with_error(c.z, c.z_err, 2),
                value_with_error(acc, accerr, 2),
            ];
            let cols: Vec<String> = vals.iter().zip(FUND_WIDTHS).map(|(v, w)| center(v, w)).collect();
            s += &cols.join("  ");
            s += &format!("    {notes:<20}\n");
        }
        s += "\n\n";
        s += &header(&HARM_TITLES1, &HARM_WIDTHS);
        s += &header(&HARM_TITLES2, &HARM_WIDTHS);
        s += &dashes(&HARM_WIDTHS);
        for (i, c) in self.cands.iter().enumerate() {
            for (j, h) in c.harmonics.iter().enumerate() {
                let cand = if j == 0 {
                    format!(" {:<4}", i + 1)
                } else {
                    "     ".into()
                };
                let vals = [
                    cand,
                    format!("{:<4}", j + 1),
                    format!("{:.2}", h.sigma),
                    value_with_error(h.power, h.power_err, 2),
                    format!("{:.3e}", h.raw_power),
                    value_with_error(h.r, h.r_err, 2),
                    format!("{:.2}", h.pred_r),
                    value_with_error(h.z, h.z_err, 2),
                    format!("{:.2}", h.pred_z),
                    value_with_error(h.phase_rad, h.phase_err, 2),
                    value_with_error(h.centroid, h.centroid_err, 2),
                    value_with_error(h.purity, h.purity_err, 2),
                ];
                let cols: Vec<String> = vals.iter().zip(HARM_WIDTHS).map(|(v, w)| center(v, w)).collect();
                s += &cols.join("  ");
                s += &format!("  {:<20}\n", "");
            }
        }
        s += "\n\n";
        s += &self.inf.to_text();
        s
    }

    /// Parses an ACCEL file's text (PRESTO's or palfa's); `path` names it in errors.
    ///
    /// # Errors
    /// Unparsable rows, harmonic rows before any candidate, or a missing `.inf` part.
    pub fn parse(text: &str, path: &Path) -> FormatResult<Self> {
        let err = |line: usize, reason: &str| {
            FormatError::new(
                path,
                FormatErrorKind::BadKeyword {
                    key: format!("line {line}"),
                    value: text.lines().nth(line - 1).unwrap_or("").to_string(),
                    reason: reason.to_string(),
                },
            )
        };
        let num = |line: usize, f: &str| -> FormatResult<f64> {
            strip_err(f)
                .parse::<f64>()
                .map_err(|_| err(line, &format!("{f:?} is not a number")))
        };
        let mut cands: Vec<AccelFileCand> = Vec::new();
        let mut part = 0; // 0: fundamentals, 1: harmonics, 2: inf
        let mut inf_start = None;
        let mut current: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim_start().starts_with("Data file name") {
                // Where this line starts in `text` (`lines` yields subslices of it).
                // Summing line lengths + 1 miscounted `\r\n` endings and could land
                // inside a multi-byte character.
                inf_start = Some(line.as_ptr() as usize - text.as_ptr() as usize);
                part = 2;
                break;
            }
            if line.contains("Loc Pow") || line.contains("Pred 'r'") {
                part = 1;
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.is_empty() || !fields[0].starts_with(|c: char| c.is_ascii_digit()) {
                continue;
            }
            if part == 0 && line.starts_with(|c: char| c.is_ascii_digit()) {
                if fields.len() < 11 {
                    return Err(err(n, "a fundamentals row needs at least 11 columns"));
                }
                let r_field = fields[7];
                let z_field = fields[9];
                let err_of = |f: &str| -> f64 {
                    f.split_once('(')
                        .and_then(|(v, e)| {
                            let e = e.trim_end_matches(')');
                            let decimals = v.split_once('.').map(|(_, d)| d.len()).unwrap_or(0) as i32;
                            e.parse::<f64>().ok().map(|e| e * 10f64.powi(-decimals))
                        })
                        .unwrap_or(0.0)
                };
                cands.push(AccelFileCand {
                    sigma: num(n, fields[1])?,
                    summed_power: num(n, fields[2])?,
                    coherent_power: num(n, fields[3])?,
                    numharm: num(n, fields[4])? as usize,
                    r: num(n, r_field)?,
                    r_err: err_of(r_field),
                    z: num(n, z_field)?,
                    z_err: err_of(z_field),
                    notes: fields.get(11..).map(|f| f.join(" ")).unwrap_or_default(),
                    harmonics: Vec::new(),
                });
            } else if part == 1 {
                // With the candidate number: 12 numeric columns, else 11.
                let (cand, rest) = if fields.len() >= 12 && !fields[1].contains('(') && !fields[2].contains('(') {
                    (Some(num(n, fields[0])? as usize), &fields[1..])
                } else {
                    (None, &fields[..])
                };
                if let Some(c) = cand {
                    current = Some(c);
                }
                let idx = current
                    .and_then(|c| c.checked_sub(1))
                    .filter(|&c| c < cands.len())
                    .ok_or_else(|| err(n, "harmonic row for an unknown candidate"))?;
                if rest.len() < 11 {
                    return Err(err(n, "a harmonics row needs 11 columns after the candidate number"));
                }
                let e = |f: &str| -> f64 {
                    f.split_once('(')
                        .and_then(|(v, e)| {
                            let e = e.trim_end_matches(')');
                            let decimals = v.split_once('.').map(|(_, d)| d.len()).unwrap_or(0) as i32;
                            e.parse::<f64>().ok().map(|e| e * 10f64.powi(-decimals))
                        })
                        .unwrap_or(0.0)
                };
                cands[idx].harmonics.push(AccelFileHarm {
                    sigma: num(n, rest[1])?,
                    power: num(n, rest[2])?,
                    power_err: e(rest[2]),
                    raw_power: num(n, rest[3])?,
                    r: num(n, rest[4])?,
                    r_err: e(rest[4]),
                    pred_r: num(n, rest[5])?,
                    z: num(n, rest[6])?,
                    z_err: e(rest[6]),
                    pred_z: num(n, rest[7])?,
                    phase_rad: num(n, rest[8])?,
                    phase_err: e(rest[8]),
                    centroid: num(n, rest[9])?,
                    centroid_err: e(rest[9]),
                    purity: num(n, rest[10])?,
                    purity_err: e(rest[10]),
                });
            }
        }
        let start = match (part, inf_start) {
            (2, Some(s)) => s,
            _ => {
                return Err(FormatError::new(
                    path,
                    FormatErrorKind::MissingKeyword("the appended .inf part".into()),
                ))
            }
        };
        let inf = InfFile::parse(&text[start..], path)?;
        Ok(Self { cands, inf })
    }

    /// Reads an ACCEL file.
    ///
    /// # Errors
    /// As [`parse`](Self::parse), or the file cannot be read.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Writes the file.
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
    fn values_with_errors() {
        assert_eq!(value_with_error(1234.5678, 0.25, 2), "1234.57(25)");
        assert_eq!(value_with_error(1234.5678, 0.03125, 2), "1234.568(31)");
        assert_eq!(value_with_error(6.1213, 0.0004, 1), "6.1213(4)");
        assert_eq!(value_with_error(-12.3, 2.0, 2), "-12.3(20)");
        assert_eq!(value_with_error(12345.0, 250.0, 2), "12350(250)");
        assert_eq!(value_with_error(3.0, 0.0, 2), "3(0)");
    }

    fn sample() -> AccelFile {
        let harm = |h: f64| AccelFileHarm {
            sigma: 5.0 / h,
            power: 30.0 / h,
            power_err: 7.7,
            raw_power: 3.2e7,
            r: 2461.44 * h,
            r_err: 0.03,
            pred_r: 2461.5 * h,
            z: 0.5 * h,
            z_err: 0.2,
            pred_z: 0.0,
            phase_rad: 1.2,
            phase_err: 0.1,
            centroid: 0.5,
            centroid_err: 0.05,
            purity: 1.0,
            purity_err: 0.1,
        };
        AccelFile {
            cands: vec![
                AccelFileCand {
                    sigma: 12.34,
                    summed_power: 153.6,
                    coherent_power: 300.2,
                    numharm: 2,
                    r: 2461.44,
                    r_err: 0.25,
                    z: 0.5,
                    z_err: 1.0,
                    notes: String::new(),
                    harmonics: vec![harm(1.0), harm(2.0)],
                },
                AccelFileCand {
                    sigma: 3.1,
                    summed_power: 20.0,
                    coherent_power: 20.0,
                    numharm: 1,
                    r: 99.5,
                    r_err: 0.5,
                    z: -4.0,
                    z_err: 2.0,
                    notes: String::new(),
                    harmonics: vec![harm(1.0)],
                },
            ],
            inf: InfFile {
                basename: "x_DM10.00".into(),
                n: 1 << 18,
                dt: 2e-4,
                dm: 10.0,
                ..InfFile::default()
            },
        }
    }

    #[test]
    fn round_trip() {
        let f = sample();
        let text = f.to_text();
        let back = AccelFile::parse(&text, Path::new("x_ACCEL_50")).unwrap();
        assert_eq!(back.cands.len(), 2);
        assert_eq!(back.inf.n, f.inf.n);
        for (a, b) in back.cands.iter().zip(&f.cands) {
            assert!((a.sigma - b.sigma).abs() < 0.006 && a.numharm == b.numharm);
            assert!(
                (a.r - b.r).abs() < 0.006 && (a.r_err - b.r_err).abs() < 1e-9,
                "{} {}",
                a.r_err,
                b.r_err
            );
            assert!((a.z - b.z).abs() < 0.06);
            assert_eq!(a.harmonics.len(), b.harmonics.len());
            for (ha, hb) in a.harmonics.iter().zip(&b.harmonics) {
                assert!((ha.r - hb.r).abs() < 0.006 && (ha.power - hb.power).abs() < 0.06);
                assert!((ha.raw_power - hb.raw_power).abs() < 1e5);
            }
        }
        // sifting.py's view: fundamentals rows start with a digit, field 7 is r.
        let row = text.lines().find(|l| l.starts_with('1')).unwrap();
        let fields: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(fields[7].split('(').next().unwrap(), "2461.44");
        assert_eq!(fields[4], "2");
        // Harmonic rows of a candidate's first harmonic start with " <digit>".
        assert!(text.lines().any(|l| l.starts_with(" 1 ")));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(AccelFile::parse("1  x y\n", Path::new("a")).is_err());
        assert!(AccelFile::parse("no inf here\n", Path::new("a")).is_err());
    }
}
