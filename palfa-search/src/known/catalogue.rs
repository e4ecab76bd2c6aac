//! Pulsar catalogues: palfa's own small format, and the ATNF catalogue's
//! semicolon-separated export (PRESTO's `lib/psr_catalog.txt`) that
//! `palfa catalogue update` converts from.
//!
//! palfa's format (`docs/known-pulsars.md`) is a CSV file whose first line is
//! [`FORMAT_LINE`], followed by `#` comment lines (the source and its
//! attribution) and one line per pulsar with the columns of [`COLUMNS`]; an
//! empty field is a value the catalogue does not give.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use palfa_core::astro::parse_sexagesimal;

use crate::error::{SearchError, SearchResult};

/// First line of a catalogue in palfa's format.
pub const FORMAT_LINE: &str = "# palfa pulsar catalogue v1";
/// The columns of palfa's format, in order.
pub const COLUMNS: &str = "psrj,psrb,ra_deg,dec_deg,f0_hz,f1_hz_s,pepoch_mjd,dm,pb_days,a1_lt_s,s1400_mjy";
/// Largest file read as a catalogue \[bytes\] (the ATNF export is 1.5 MB).
pub const MAX_CATALOGUE_BYTES: u64 = 64 << 20;

/// The catalogue built into palfa.
const BUILTIN: &str = include_str!("../../data/psrcat.csv");

/// One catalogued pulsar.
#[derive(Debug, Clone, PartialEq)]
pub struct CataloguedPulsar {
    /// J2000 name (`J1903+0327`).
    pub jname: String,
    /// B1950 name, if any.
    pub bname: Option<String>,
    /// J2000 right ascension \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// Spin frequency at `pepoch_mjd` (barycentric) \[Hz\].
    pub f0_hz: f64,
    /// Its derivative \[Hz/s\] (0 when not catalogued).
    pub f1_hz_s: f64,
    /// Epoch of `f0_hz` \[MJD\] (`None`: not catalogued; F1 is then not applied).
    pub pepoch_mjd: Option<f64>,
    /// Dispersion measure \[pc cm⁻³\].
    pub dm: f64,
    /// Orbital period \[days\], for binaries.
    pub pb_days: Option<f64>,
    /// Projected semi-major axis \[lt-s\], for binaries.
    pub a1_lt_s: Option<f64>,
    /// Flux density at 1400 MHz \[mJy\].
    pub s1400_mjy: Option<f64>,
}

impl CataloguedPulsar {
    /// Spin frequency at `mjd` \[Hz\]: F0 + F1·(t − PEPOCH).
    pub fn freq_at(&self, mjd: f64) -> f64 {
        match self.pepoch_mjd {
            Some(ep) if self.f1_hz_s.is_finite() => self.f0_hz + self.f1_hz_s * (mjd - ep) * 86_400.0,
            _ => self.f0_hz,
        }
    }

    /// Largest fractional Doppler shift of its orbit, 2π·A1/PB (0 for an
    /// isolated pulsar).
    pub fn orbital_doppler(&self) -> f64 {
        match (self.pb_days, self.a1_lt_s) {
            (Some(pb), Some(a1)) if pb > 0.0 => 2.0 * std::f64::consts::PI * a1 / (pb * 86_400.0),
            _ => 0.0,
        }
    }

    /// The name to show: B name when there is one (the name most pulsar
    /// astronomers use for old pulsars), else the J name.
    pub fn display_name(&self) -> &str {
        self.bname.as_deref().unwrap_or(&self.jname)
    }
}

/// A list of pulsars and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    /// The `#` comment lines of the file (source, attribution), without `# `.
    pub source: Vec<String>,
    /// The pulsars.
    pub pulsars: Vec<CataloguedPulsar>,
}

impl Catalogue {
    /// The catalogue built into palfa (parsed once).
    pub fn builtin() -> &'static Catalogue {
        static CAT: OnceLock<Catalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            Catalogue::parse(BUILTIN, Path::new("<built-in>")).expect("the built-in catalogue is valid (tested)")
        })
    }

    /// Reads a catalogue file, in palfa's format or the ATNF export.
    pub fn read(path: impl AsRef<Path>) -> SearchResult<Self> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| SearchError::io(path, e))?;
        if meta.len() > MAX_CATALOGUE_BYTES {
            return Err(err(
                path,
                0,
                format!("{} bytes: too large for a pulsar catalogue", meta.len()),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| SearchError::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| err(path, 0, format!("not UTF-8 text ({e})")))?;
        Self::parse(&text, path)
    }

    /// Parses a catalogue: palfa's format when the text starts with
    /// [`FORMAT_LINE`], else the ATNF semicolon export. `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> SearchResult<Self> {
        if text.starts_with(FORMAT_LINE) {
            parse_palfa(text, path)
        } else if text
            .lines()
            .next()
            .is_some_and(|l| l.contains(';') && l.contains("PSRJ"))
        {
            parse_atnf(text, path)
        } else {
            Err(err(
                path,
                1,
                format!("neither a palfa catalogue (first line `{FORMAT_LINE}`) nor an ATNF export (a `;`-separated header naming PSRJ)"),
            ))
        }
    }

    /// The catalogue in palfa's format.
    pub fn to_palfa_format(&self) -> String {
        let mut out = String::new();
        out.push_str(FORMAT_LINE);
        out.push('\n');
        for s in &self.source {
            let _ = writeln!(out, "# {s}");
        }
        let _ = writeln!(out, "# columns: {COLUMNS}");
        let opt = |v: Option<f64>| v.map(fmt_num).unwrap_or_default();
        for p in &self.pulsars {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                p.jname,
                p.bname.as_deref().unwrap_or(""),
                fmt_num(p.ra_deg),
                fmt_num(p.dec_deg),
                fmt_num(p.f0_hz),
                fmt_num(p.f1_hz_s),
                opt(p.pepoch_mjd),
                fmt_num(p.dm),
                opt(p.pb_days),
                opt(p.a1_lt_s),
                opt(p.s1400_mjy),
            );
        }
        out
    }

    /// Writes the catalogue in palfa's format, atomically (a temporary file
    /// renamed into place).
    pub fn write(&self, path: impl AsRef<Path>) -> SearchResult<()> {
        let path = path.as_ref();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_palfa_format()).map_err(|e| SearchError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| SearchError::io(path, e))
    }
}

/// Shortest decimal that reads back as the same f64.
fn fmt_num(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-4 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn err(path: &Path, line: usize, message: impl Into<String>) -> SearchError {
    SearchError::Catalogue {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn check_pulsar(p: &CataloguedPulsar) -> Result<(), String> {
    if !(p.ra_deg.is_finite() && (0.0..360.0).contains(&p.ra_deg)) {
        return Err(format!("right ascension {} deg is not in [0, 360)", p.ra_deg));
    }
    if !(p.dec_deg.is_finite() && (-90.0..=90.0).contains(&p.dec_deg)) {
        return Err(format!("declination {} deg is not in [-90, 90]", p.dec_deg));
    }
    if !(p.f0_hz.is_finite() && p.f0_hz > 0.0 && p.f0_hz < 1e4) {
        return Err(format!("spin frequency {} Hz is not in (0, 10⁴)", p.f0_hz));
    }
    if !p.f1_hz_s.is_finite() || p.f1_hz_s.abs() > 1e-6 {
        return Err(format!("frequency derivative {} Hz/s is not plausible", p.f1_hz_s));
    }
    if !(p.dm.is_finite() && (0.0..1e5).contains(&p.dm)) {
        return Err(format!("DM {} is not in [0, 10⁵)", p.dm));
    }
    for (what, v) in [
        ("PEPOCH", p.pepoch_mjd),
        ("PB", p.pb_days),
        ("A1", p.a1_lt_s),
        ("S1400", p.s1400_mjy),
    ] {
        if let Some(v) = v {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{what} {v} is not a non-negative number"));
            }
        }
    }
    if p.jname.is_empty() || p.jname.len() > 64 || p.jname.contains([',', '\n', '<', '>', '"', '&']) {
        return Err(format!("name {:?} is empty, too long or holds , < > \" &", p.jname));
    }
    if let Some(b) = &p.bname {
        if b.len() > 64 || b.contains([',', '\n', '<', '>', '"', '&']) {
            return Err(format!("name {b:?} is too long or holds , < > \" &"));
        }
    }
    Ok(())
}

fn parse_palfa(text: &str, path: &Path) -> SearchResult<Catalogue> {
    let mut source = Vec::new();
    let mut pulsars = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            if !c.starts_with("columns:") && !c.is_empty() {
                source.push(c.to_string());
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 11 {
            return Err(err(path, n, format!("{} fields, expected 11 ({COLUMNS})", f.len())));
        }
        let num = |k: usize, what: &str| -> SearchResult<f64> {
            f[k].parse::<f64>()
                .map_err(|_| err(path, n, format!("{what} {:?} is not a number", f[k])))
        };
        let opt = |k: usize, what: &str| -> SearchResult<Option<f64>> {
            if f[k].is_empty() {
                Ok(None)
            } else {
                num(k, what).map(Some)
            }
        };
        let p = CataloguedPulsar {
            jname: f[0].to_string(),
            bname: (!f[1].is_empty()).then(|| f[1].to_string()),
            ra_deg: num(2, "ra_deg")?,
            dec_deg: num(3, "dec_deg")?,
            f0_hz: num(4, "f0_hz")?,
            f1_hz_s: num(5, "f1_hz_s")?,
            pepoch_mjd: opt(6, "pepoch_mjd")?,
            dm: num(7, "dm")?,
            pb_days: opt(8, "pb_days")?,
            a1_lt_s: opt(9, "a1_lt_s")?,
            s1400_mjy: opt(10, "s1400_mjy")?,
        };
        check_pulsar(&p).map_err(|m| err(path, n, format!("{}: {m}", p.jname)))?;
        pulsars.push(p);
    }
    if pulsars.is_empty() {
        return Err(err(path, 0, "no pulsars"));
    }
    Ok(Catalogue { source, pulsars })
}

/// Right ascension `hh[:mm[:ss.s]]` \[deg\].
pub fn parse_ra(s: &str) -> Option<f64> {
    let h = parse_sexagesimal(s)?;
    (0.0..24.0).contains(&h).then_some(h * 15.0)
}

/// Declination `±dd[:mm[:ss.s]]` \[deg\].
pub fn parse_dec(s: &str) -> Option<f64> {
    let d = parse_sexagesimal(s)?;
    (d.abs() <= 90.0).then_some(d)
}

/// The ATNF catalogue's semicolon export: a header line naming each
/// parameter at the field where its value is (followed by its error and
/// reference fields), a units line, then one line per pulsar; `*` is a
/// missing value. Pulsars without a position, a spin frequency (F0 or P0) or
/// a DM cannot be matched and are left out, and counted in the source lines.
fn parse_atnf(text: &str, path: &Path) -> SearchResult<Catalogue> {
    let mut lines = text.lines().enumerate();
    let (_, header) = lines.next().ok_or_else(|| err(path, 0, "empty"))?;
    let names: Vec<&str> = header.split(';').map(str::trim).collect();
    let col = |name: &str| names.iter().position(|n| *n == name);
    let need = |name: &str| col(name).ok_or_else(|| err(path, 1, format!("the header has no {name} column")));
    let c_psrj = need("PSRJ")?;
    let c_name = col("NAME");
    let c_ra = need("RAJ")?;
    let c_dec = need("DECJ")?;
    let c_f0 = col("F0");
    let c_f1 = col("F1");
    let c_p0 = col("P0");
    let c_p1 = col("P1");
    if c_f0.is_none() && c_p0.is_none() {
        return Err(err(path, 1, "the header has neither an F0 nor a P0 column"));
    }
    let c_pepoch = col("PEPOCH");
    let c_dm = need("DM")?;
    let c_pb = col("PB");
    let c_a1 = col("A1");
    let c_s1400 = col("S1400");
    let mut pulsars = Vec::new();
    let mut left_out = 0usize;
    for (i, line) in lines {
        let n = i + 1;
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        // The units line and blank lines have no pulsar number in field 0.
        if f.first().is_none_or(|x| x.parse::<u64>().is_err()) {
            continue;
        }
        let get = |c: Option<usize>| -> Option<&str> {
            c.and_then(|c| f.get(c)).copied().filter(|v| !v.is_empty() && *v != "*")
        };
        let num =
            |c: Option<usize>| -> Option<f64> { get(c).and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite()) };
        let Some(jname) = get(Some(c_psrj)) else {
            return Err(err(path, n, "no PSRJ name"));
        };
        let bname = get(c_name).filter(|b| b.starts_with('B')).map(str::to_string);
        let ra = get(Some(c_ra)).and_then(parse_ra);
        let dec = get(Some(c_dec)).and_then(parse_dec);
        let (f0, f1) = match (num(c_f0), num(c_p0)) {
            (Some(f0), _) => (Some(f0), num(c_f1).unwrap_or(0.0)),
            (None, Some(p0)) if p0 > 0.0 => (Some(1.0 / p0), num(c_p1).map_or(0.0, |p1| -p1 / (p0 * p0))),
            _ => (None, 0.0),
        };
        let dm = num(Some(c_dm));
        let (Some(ra_deg), Some(dec_deg), Some(f0_hz), Some(dm)) = (ra, dec, f0, dm) else {
            left_out += 1;
            continue;
        };
        let p = CataloguedPulsar {
            jname: jname.to_string(),
            bname,
            ra_deg,
            dec_deg,
            f0_hz,
            f1_hz_s: f1,
            pepoch_mjd: num(c_pepoch),
            dm,
            pb_days: num(c_pb),
            a1_lt_s: num(c_a1),
            s1400_mjy: num(c_s1400),
        };
        check_pulsar(&p).map_err(|m| err(path, n, format!("{jname}: {m}")))?;
        pulsars.push(p);
    }
    if pulsars.is_empty() {
        return Err(err(path, 0, "no pulsar with a position, a spin frequency and a DM"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Catalogue {
        source: vec![
            format!("converted by palfa {} from {name}, an export of the ATNF Pulsar Catalogue", env!("CARGO_PKG_VERSION")),
            "ATNF Pulsar Catalogue: Manchester, R. N., Hobbs, G. B., Teoh, A. & Hobbs, M., AJ 129, 1993 (2005); https://www.atnf.csiro.au/research/pulsar/psrcat/".into(),
            format!("{} pulsars; {left_out} left out for lack of a position, a spin frequency or a DM", pulsars.len()),
        ],
        pulsars,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ATNF: &str = "#;NAME;;PSRJ;;RAJ;;;DECJ;;;F0;;;F1;;;PEPOCH;;DM;;;S1400;;;PB;;;A1;;;
;;;;;(hms);;;(dms);;;(Hz);;;(s^-2);;;(MJD);;(cm^-3pc);;;(mJy);;;(days);;;(ltsec);;;
1;B1937+21;ref;J1939+2134;ref;19:39:38.561;1e-6;r;+21:34:59.12;1e-5;r;641.928;1e-9;r;-4.33E-14;0;r;55000;r;71.02;0;r;13.2;0;r;*;0;*;*;0;*;
2;J1903+0327;ref;J1903+0327;ref;19:03:05.79;1e-6;r;+03:27:19.2;1e-5;r;465.135;1e-9;r;*;0;*;55000;r;297.5;0;r;1.3;0;r;95.17;0;r;105.59;0;r;
3;J0000+00;ref;J0000+00;ref;*;0;*;*;0;*;1.0;0;r;*;0;*;*;*;10;0;r;*;0;*;*;0;*;*;0;*;
";

    #[test]
    fn atnf_export_converts_and_round_trips() {
        let c = Catalogue::parse(ATNF, Path::new("psr_catalog.txt")).unwrap();
        assert_eq!(c.pulsars.len(), 2, "the pulsar without a position is left out");
        let b = &c.pulsars[0];
        assert_eq!(b.jname, "J1939+2134");
        assert_eq!(b.bname.as_deref(), Some("B1937+21"));
        assert!((b.ra_deg - (19.0 + 39.0 / 60.0 + 38.561 / 3600.0) * 15.0).abs() < 1e-9);
        assert!((b.dec_deg - (21.0 + 34.0 / 60.0 + 59.12 / 3600.0)).abs() < 1e-9);
        assert_eq!(b.s1400_mjy, Some(13.2));
        assert_eq!(c.pulsars[1].bname, None, "a J name in NAME is not a B name");
        assert!(
            (c.pulsars[1].orbital_doppler() - 2.0 * std::f64::consts::PI * 105.59 / (95.17 * 86400.0)).abs() < 1e-12
        );
        assert!(c.source.iter().any(|s| s.contains("Manchester")));
        let text = c.to_palfa_format();
        let back = Catalogue::parse(&text, Path::new("x.csv")).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn bad_catalogues_are_refused_with_the_line() {
        let p = Path::new("c.csv");
        let head = format!("{FORMAT_LINE}\n# test\n");
        for (body, want) in [
            ("J1,,10,20,1.0,0,,5\n", "8 fields"),
            ("J1,,400,20,1.0,0,,5,,,\n", "right ascension"),
            ("J1,,10,20,-1.0,0,,5,,,\n", "spin frequency"),
            ("J1,,10,20,1.0,0,,x,,,\n", "dm \"x\""),
            ("J<1>,,10,20,1.0,0,,5,,,\n", "name"),
            ("", "no pulsars"),
        ] {
            let e = Catalogue::parse(&format!("{head}{body}"), p).unwrap_err().to_string();
            assert!(e.contains(want), "{body:?}: {e}");
        }
        let e = Catalogue::parse("hello\n", p).unwrap_err().to_string();
        assert!(e.contains("neither"), "{e}");
        assert_eq!(parse_ra("24:00:00"), None);
        assert_eq!(parse_dec("-91:00"), None);
        assert_eq!(parse_dec("-00:30"), Some(-0.5));
    }

    #[test]
    fn builtin_catalogue_is_valid_and_attributed() {
        let c = Catalogue::builtin();
        assert!(c.pulsars.len() > 3000, "{}", c.pulsars.len());
        assert!(c.source.iter().any(|s| s.contains("Manchester")));
        let b1937 = c
            .pulsars
            .iter()
            .find(|p| p.bname.as_deref() == Some("B1937+21"))
            .unwrap();
        assert!((1.0 / b1937.f0_hz - 1.5578e-3).abs() < 1e-6);
        assert!((b1937.dm - 71.0).abs() < 0.1);
    }
}
