//! PRESTO `.inf` files: the text header of a dedispersed time series (`.dat`).
//!
//! One item per line: a label padded to 40 columns, `=  `, the value, in the
//! order PRESTO's `writeinf` uses for radio data. Reading is by label, so files
//! written by PRESTO and by palfa both read back.

use std::path::Path;

use crate::astro;
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::cfmt::g_lossless;
use crate::names::{presto_base, with_suffix};

/// The metadata of a time series, as in a PRESTO `.inf` file.
#[derive(Debug, Clone, PartialEq)]
pub struct InfFile {
    /// Data file name without suffix.
    pub basename: String,
    /// Telescope. PRESTO's `makedata` writes [`PRESTO_ARTIFICIAL`], and then
    /// the file has no observation lines (no position, epoch, band or DM);
    /// any other name, "None" included, gets every line.
    pub telescope: String,
    /// Instrument / backend.
    pub instrument: String,
    /// Object observed.
    pub object: String,
    /// J2000 right ascension \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// Observer.
    pub observer: String,
    /// MJD of the first sample.
    pub mjd: f64,
    /// Barycentred?
    pub barycentred: bool,
    /// Number of samples.
    pub n: u64,
    /// Sample time \[s\].
    pub dt: f64,
    /// On/off sample pairs where the data are real (empty: no breaks).
    pub onoff: Vec<(u64, u64)>,
    /// Beam diameter \[arcsec\].
    pub beam_diameter_arcsec: f64,
    /// Dispersion measure of the series.
    pub dm: f64,
    /// Centre frequency of the lowest channel \[MHz\].
    pub lofreq_mhz: f64,
    /// Total bandwidth \[MHz\].
    pub bandwidth_mhz: f64,
    /// Number of channels.
    pub nchan: usize,
    /// Channel width \[MHz\].
    pub chan_bw_mhz: f64,
    /// Who made the series.
    pub analyst: String,
    /// Free-text notes.
    pub notes: String,
}

impl Default for InfFile {
    fn default() -> Self {
        Self {
            basename: String::new(),
            telescope: "None".into(),
            instrument: "Unknown".into(),
            object: "Unknown".into(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            observer: "Unknown".into(),
            mjd: 0.0,
            barycentred: false,
            n: 0,
            dt: 0.0,
            onoff: Vec::new(),
            beam_diameter_arcsec: 0.0,
            dm: 0.0,
            lofreq_mhz: 0.0,
            bandwidth_mhz: 0.0,
            nchan: 1,
            chan_bw_mhz: 0.0,
            analyst: "palfa".into(),
            notes: String::new(),
        }
    }
}

const LABEL_WIDTH: usize = 40;

/// The telescope name of PRESTO's artificial data (`scopes[0]` in its
/// `src/ioinf.c`): `readinf` reads no observation lines after it.
pub const PRESTO_ARTIFICIAL: &str = "None (Artificial Data Set)";

fn line(label: &str, value: impl std::fmt::Display) -> String {
    format!(" {label:<w$}=  {value}\n", w = LABEL_WIDTH - 1)
}

impl InfFile {
    /// Observation length \[s\].
    pub fn duration_s(&self) -> f64 {
        self.n as f64 * self.dt
    }

    /// The on/off pairs as PRESTO writes and reads them: none when the data
    /// have no breaks, else ending with a pair whose off bin is the last
    /// sample (PRESTO's `readinf` reads pairs until one ends at N − 1, and
    /// its `prepdata` ends a padded series' list with the pair `N−1, N−1`).
    fn presto_onoff(&self) -> Vec<(u64, u64)> {
        let last = self.n.saturating_sub(1);
        if self.onoff.is_empty() || self.onoff == [(0, last)] {
            return Vec::new();
        }
        let mut pairs = self.onoff.clone();
        if pairs.last().is_some_and(|&(_, off)| off < last) {
            pairs.push((last, last));
        }
        pairs
    }

    /// Serialises in PRESTO's layout (`writeinf` in PRESTO's `src/ioinf.c`):
    /// PRESTO's `readinf` reads the lines in order, not by label, so the lines
    /// present must be exactly those it expects for the telescope.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s += &line("Data file name without suffix", &self.basename);
        s += &line("Telescope used", &self.telescope);
        let real = self.telescope != PRESTO_ARTIFICIAL;
        if real {
            s += &line("Instrument used", &self.instrument);
            s += &line("Object being observed", &self.object);
            s += &line(
                "J2000 Right Ascension (hh:mm:ss.ssss)",
                astro::format_sexagesimal(self.ra_deg / 15.0, 4, false),
            );
            s += &line(
                "J2000 Declination     (dd:mm:ss.ssss)",
                astro::format_sexagesimal(self.dec_deg, 4, false),
            );
            s += &line("Data observed by", &self.observer);
            let imjd = self.mjd.floor();
            let frac = format!("{:.15}", self.mjd - imjd);
            s += &line(
                "Epoch of observation (MJD)",
                format!("{}{}", imjd as i64, frac.trim_start_matches('0')),
            );
            s += &line("Barycentered?           (1 yes, 0 no)", u8::from(self.barycentred));
        }
        s += &line("Number of bins in the time series", format!("{:<11}", self.n));
        s += &line("Width of each time series bin (sec)", g_lossless(self.dt));
        let onoff = self.presto_onoff();
        s += &line("Any breaks in the data? (1 yes, 0 no)", u8::from(!onoff.is_empty()));
        for (i, (on, off)) in onoff.iter().enumerate() {
            s += &line(
                &format!("On/Off bin pair #{:>3}", i + 1),
                format!("{on:<11}, {off:<11}"),
            );
        }
        if real {
            s += &line("Type of observation (EM band)", "Radio");
            s += &line("Beam diameter (arcsec)", g_lossless(self.beam_diameter_arcsec));
            s += &line("Dispersion measure (cm-3 pc)", g_lossless(self.dm));
            s += &line("Central freq of low channel (MHz)", g_lossless(self.lofreq_mhz));
            s += &line("Total bandwidth (MHz)", g_lossless(self.bandwidth_mhz));
            s += &line("Number of channels", self.nchan);
            s += &line("Channel bandwidth (MHz)", g_lossless(self.chan_bw_mhz));
        }
        s += &line("Data analyzed by", &self.analyst);
        s += " Any additional notes:\n";
        // PRESTO indents each notes line by four spaces and ends with a blank line.
        s += &format!("    {}\n\n", self.notes.replace('\n', "\n    "));
        s
    }

    /// Parses `.inf` text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> FormatResult<Self> {
        let err = |k| FormatError::new(path, k);
        let mut inf = InfFile::default();
        let mut seen_n = false;
        let mut seen_dt = false;
        let mut lines = text.lines();
        while let Some(raw) = lines.next() {
            let trimmed = raw.trim();
            if trimmed.starts_with("Any additional notes") {
                inf.notes = lines.map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string();
                break;
            }
            let Some((label, value)) = raw.split_once('=') else {
                continue;
            };
            let label = label.trim();
            let value = value.trim();
            let num = |what: &str| -> FormatResult<f64> {
                value.parse::<f64>().map_err(|_| {
                    err(FormatErrorKind::BadKeyword {
                        key: what.to_string(),
                        value: value.to_string(),
                        reason: "not a number".into(),
                    })
                })
            };
            match label {
                l if l.starts_with("Data file name") => inf.basename = value.into(),
                l if l.starts_with("Telescope used") => inf.telescope = value.into(),
                l if l.starts_with("Instrument used") => inf.instrument = value.into(),
                l if l.starts_with("Object being observed") => inf.object = value.into(),
                l if l.starts_with("J2000 Right Ascension") => {
                    inf.ra_deg = astro::parse_sexagesimal(value).map(|h| h * 15.0).unwrap_or(0.0)
                }
                l if l.starts_with("J2000 Declination") => inf.dec_deg = astro::parse_sexagesimal(value).unwrap_or(0.0),
                l if l.starts_with("Data observed by") => inf.observer = value.into(),
                l if l.starts_with("Epoch of observation") => inf.mjd = num("Epoch of observation (MJD)")?,
                l if l.starts_with("Barycentered?") => inf.barycentred = value == "1",
                l if l.starts_with("Number of bins") => {
                    inf.n = num("Number of bins in the time series")? as u64;
                    seen_n = true;
                }
                l if l.starts_with("Width of each time series bin") => {
                    inf.dt = num("Width of each time series bin (sec)")?;
                    seen_dt = true;
                }
                l if l.starts_with("On/Off bin pair") => {
                    let mut it = value.split(',').map(|v| v.trim().parse::<u64>());
                    if let (Some(Ok(a)), Some(Ok(b))) = (it.next(), it.next()) {
                        inf.onoff.push((a, b));
                    }
                }
                l if l.starts_with("Beam diameter") => inf.beam_diameter_arcsec = num("Beam diameter (arcsec)")?,
                l if l.starts_with("Dispersion measure") => inf.dm = num("Dispersion measure (cm-3 pc)")?,
                l if l.starts_with("Central freq of low channel") => {
                    inf.lofreq_mhz = num("Central freq of low channel (MHz)")?
                }
                l if l.starts_with("Total bandwidth") => inf.bandwidth_mhz = num("Total bandwidth (MHz)")?,
                l if l.starts_with("Number of channels") => inf.nchan = num("Number of channels")? as usize,
                l if l.starts_with("Channel bandwidth") => inf.chan_bw_mhz = num("Channel bandwidth (MHz)")?,
                l if l.starts_with("Data analyzed by") => inf.analyst = value.into(),
                _ => {}
            }
        }
        if !seen_n {
            return Err(err(FormatErrorKind::MissingKeyword(
                "Number of bins in the time series".into(),
            )));
        }
        if !seen_dt || inf.dt.is_nan() || inf.dt <= 0.0 {
            return Err(err(FormatErrorKind::MissingKeyword(
                "Width of each time series bin (sec)".into(),
            )));
        }
        // PRESTO's terminating pair `N−1, N−1` after the real data marks the
        // end of the list, not one real sample.
        let last = inf.n.saturating_sub(1);
        if inf.onoff.len() >= 2 && inf.onoff.last() == Some(&(last, last)) {
            inf.onoff.pop();
        }
        Ok(inf)
    }

    /// Reads an `.inf` file.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Writes an `.inf` file.
    pub fn write(&self, path: impl AsRef<Path>) -> FormatResult<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_text()).map_err(|e| FormatError::io(path, e))
    }
}

/// Reads a PRESTO `.dat` file: little-endian `f32` samples.
pub fn read_dat(path: impl AsRef<Path>) -> FormatResult<Vec<f32>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    if bytes.len() % 4 != 0 {
        return Err(FormatError::new(
            path,
            FormatErrorKind::Truncated {
                what: "the last sample".into(),
                expected: bytes.len().div_ceil(4) as u64 * 4,
                found: bytes.len() as u64,
            },
        ));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

/// Writes a PRESTO `.dat` file.
pub fn write_dat(path: impl AsRef<Path>, data: &[f32]) -> FormatResult<()> {
    let path = path.as_ref();
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| FormatError::io(path, e))
}

/// Reads a `.dat` + `.inf` pair given either name (or the base name).
pub fn read_series(path: impl AsRef<Path>) -> FormatResult<(InfFile, Vec<f32>)> {
    let base = presto_base(path.as_ref());
    let inf = InfFile::read(with_suffix(&base, ".inf"))?;
    let dat_path = with_suffix(&base, ".dat");
    let data = read_dat(&dat_path)?;
    if (data.len() as u64) < inf.n {
        return Err(FormatError::new(
            &dat_path,
            FormatErrorKind::Truncated {
                what: format!("{} samples promised by the .inf", inf.n),
                expected: inf.n * 4,
                found: data.len() as u64 * 4,
            },
        ));
    }
    Ok((inf, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs PRESTO's `readinf` takes from `text`: pairs are read until
    /// one ends at N − 1 or later; `None` where it would stop with "can not
    /// parse on-off pair" (it reads on past the pair lines).
    fn presto_reads_pairs(text: &str, n: u64) -> Option<Vec<(u64, u64)>> {
        let values: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once('=').map(|(_, v)| v.trim()))
            .collect();
        let breaks = text.lines().find(|l| l.contains("Any breaks"))?;
        if breaks.trim().ends_with('0') {
            return Some(vec![(0, n - 1)]);
        }
        let first = text
            .lines()
            .filter(|l| l.contains('='))
            .position(|l| l.contains("Any breaks"))?
            + 1;
        let mut pairs = Vec::new();
        for v in &values[first..] {
            let mut it = v.split(',').map(|x| x.trim().parse::<u64>());
            let (Some(Ok(on)), Some(Ok(off))) = (it.next(), it.next()) else {
                return None;
            };
            pairs.push((on, off));
            if off >= n - 1 {
                return Some(pairs);
            }
        }
        None
    }

    #[test]
    fn padded_series_end_their_pairs_as_presto_reads_them() {
        // A dedispersed series with padding after its real samples: one pair
        // that ends before the padding, which PRESTO could not read alone.
        let padded = InfFile {
            basename: "beam_DM100.00".into(),
            telescope: "Arecibo".into(),
            n: 1500,
            dt: 1e-3,
            onoff: vec![(0, 999)],
            ..InfFile::default()
        };
        let text = padded.to_text();
        assert!(text.contains(" Any breaks in the data? (1 yes, 0 no)  =  1"), "{text}");
        assert_eq!(
            presto_reads_pairs(&text, 1500),
            Some(vec![(0, 999), (1499, 1499)]),
            "{text}"
        );
        let back = InfFile::parse(&text, Path::new("x.inf")).unwrap();
        assert_eq!(back.onoff, vec![(0, 999)]);
        // Pairs already ending at the last sample are written as they are.
        let ends = InfFile {
            onoff: vec![(0, 999), (1200, 1499)],
            ..padded.clone()
        };
        assert_eq!(presto_reads_pairs(&ends.to_text(), 1500), Some(ends.onoff.clone()));
        // No breaks, and one pair covering everything: "no breaks", no pairs.
        for onoff in [vec![], vec![(0, 1499)]] {
            let whole = InfFile {
                onoff,
                ..padded.clone()
            };
            let text = whole.to_text();
            assert!(
                text.contains("(1 yes, 0 no)  =  0") && !text.contains("On/Off"),
                "{text}"
            );
            assert!(InfFile::parse(&text, Path::new("x.inf")).unwrap().onoff.is_empty());
        }
    }

    #[test]
    fn round_trip() {
        let inf = InfFile {
            basename: "beam_DM12.30".into(),
            telescope: "Arecibo".into(),
            instrument: "pdev".into(),
            object: "G45".into(),
            ra_deg: 288.3,
            dec_deg: -10.9,
            observer: "me".into(),
            mjd: 60000.123456789,
            n: 1 << 20,
            dt: 65.476e-6,
            onoff: vec![(0, 999), (1200, 1499)],
            beam_diameter_arcsec: 210.0,
            dm: 12.3,
            lofreq_mhz: 1214.68,
            bandwidth_mhz: 322.56,
            nchan: 960,
            chan_bw_mhz: 0.336,
            notes: "simulated".into(),
            ..InfFile::default()
        };
        let text = inf.to_text();
        assert!(
            text.contains(" Epoch of observation (MJD)             =  60000.1234567"),
            "{text}"
        );
        let back = InfFile::parse(&text, Path::new("x.inf")).unwrap();
        assert_eq!(back.n, inf.n);
        assert_eq!(back.dt, inf.dt);
        assert_eq!(back.onoff, inf.onoff);
        assert!((back.mjd - inf.mjd).abs() < 1e-11);
        assert!((back.ra_deg - inf.ra_deg).abs() < 1e-6 && (back.dec_deg - inf.dec_deg).abs() < 1e-6);
        assert_eq!(back.notes, "simulated");
        assert_eq!(back.dm, 12.3);
    }

    #[test]
    fn dm_decimals_survive_in_names() {
        let b = presto_base(Path::new("/d/beam_DM12.30.dat"));
        assert_eq!(b, Path::new("/d/beam_DM12.30"));
        assert_eq!(with_suffix(&b, ".inf"), Path::new("/d/beam_DM12.30.inf"));
        assert_eq!(presto_base(Path::new("beam_DM1.00")), Path::new("beam_DM1.00"));
    }

    #[test]
    fn missing_sample_count_is_an_error() {
        let e = InfFile::parse(" Width of each time series bin (sec)    =  0.001\n", Path::new("x.inf")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::MissingKeyword(_)));
    }
}
