//! PRESTO `.bestprof` files: the text summary `prepfold` writes beside a `.pfd`.
//!
//! A header of `# Key = value` lines (the statistics of the best profile, its
//! reduced χ² and significance, the best DM, period and derivatives with their
//! errors, the orbit), a line of `#`, then one line per profile bin. palfa writes
//! the same `printf` formats as PRESTO's `write_bestprof` (`src/prepfold_plot.c`),
//! and reads both its own files and PRESTO's.
//!
//! ```
//! use palfa_core::formats::presto::bestprof::Bestprof;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut b = Bestprof::default();
//! b.candidate = "Cand_1".into();
//! b.profile = vec![1.0, 5.0, 2.0, 1.0];
//! b.profile_bins = 4;
//! b.reduced_chi2 = 3.25;
//! let text = b.to_text();
//! assert!(text.contains("# Reduced chi-sqr  =  3.250\n"));
//! let back = Bestprof::parse(&text, std::path::Path::new("x.bestprof"))?;
//! assert_eq!(back.profile, b.profile);
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::cfmt::g;

/// A value with its 1-σ error, as `value +/- error`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ValueErr {
    /// The value.
    pub value: f64,
    /// Its uncertainty.
    pub err: f64,
}

/// The orbit lines of a `.bestprof` (present when a binary orbit was folded).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BestprofOrbit {
    /// Orbital period \[s\].
    pub p_orb_s: f64,
    /// Projected semi-major axis \[lt-s\].
    pub asini_c_s: f64,
    /// Eccentricity.
    pub eccentricity: f64,
    /// Longitude of periastron \[deg\].
    pub w_deg: f64,
    /// Time of periastron (MJD).
    pub t_peri: f64,
}

/// The contents of a `.bestprof` file. `None` stands for PRESTO's `N/A`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bestprof {
    /// Data file folded.
    pub input_file: String,
    /// Candidate name.
    pub candidate: String,
    /// Telescope.
    pub telescope: String,
    /// Topocentric reference epoch (MJD).
    pub epoch_topo: Option<f64>,
    /// Barycentric reference epoch (MJD).
    pub epoch_bary: Option<f64>,
    /// Sample time \[s\].
    pub t_sample: f64,
    /// Samples folded.
    pub data_folded: f64,
    /// Mean of the data folded.
    pub data_avg: f64,
    /// Standard deviation of the data folded.
    pub data_stddev: f64,
    /// Bins in the profile.
    pub profile_bins: usize,
    /// Mean of the profile.
    pub profile_avg: f64,
    /// Expected standard deviation of a profile bin from noise.
    pub profile_stddev: f64,
    /// Reduced χ² of the best profile (PRESTO: with the effective-DOF correction).
    pub reduced_chi2: f64,
    /// Probability that noise gives this χ².
    pub prob_noise: f64,
    /// The Gaussian-equivalent significance of that probability \[σ\].
    pub sigma: f64,
    /// Best DM (only written for folds of several subbands).
    pub best_dm: Option<f64>,
    /// Topocentric period \[ms\].
    pub p_topo_ms: Option<ValueErr>,
    /// Topocentric period derivative \[s/s\].
    pub pd_topo: Option<ValueErr>,
    /// Topocentric period second derivative \[s/s²\].
    pub pdd_topo: Option<ValueErr>,
    /// Barycentric period \[ms\].
    pub p_bary_ms: Option<ValueErr>,
    /// Barycentric period derivative \[s/s\].
    pub pd_bary: Option<ValueErr>,
    /// Barycentric period second derivative \[s/s²\].
    pub pdd_bary: Option<ValueErr>,
    /// Orbit, if one was folded.
    pub orbit: Option<BestprofOrbit>,
    /// The best profile.
    pub profile: Vec<f64>,
}

impl Bestprof {
    /// Serialises with PRESTO's `printf` formats.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let mut line = |k: &str, v: String| {
            s.push_str("# ");
            s.push_str(k);
            s.push_str(&v);
            s.push('\n');
        };
        line("Input file       =  ", self.input_file.clone());
        line("Candidate        =  ", self.candidate.clone());
        line("Telescope        =  ", self.telescope.clone());
        match self.epoch_topo {
            Some(e) => line("Epoch_topo       =  ", format!("{e:.12}")),
            None => line("Epoch_topo       =  ", "N/A".into()),
        }
        match self.epoch_bary {
            Some(e) => line("Epoch_bary (MJD) =  ", format!("{e:.12}")),
            None => line("Epoch_bary       =  ", "N/A".into()),
        }
        line("T_sample         =  ", g(self.t_sample, 6));
        line("Data Folded      =  ", format!("{:.0}", self.data_folded));
        line("Data Avg         =  ", pad17(g(self.data_avg, 15)));
        line("Data StdDev      =  ", pad17(g(self.data_stddev, 15)));
        line("Profile Bins     =  ", self.profile_bins.to_string());
        line("Profile Avg      =  ", pad17(g(self.profile_avg, 15)));
        line("Profile StdDev   =  ", pad17(g(self.profile_stddev, 15)));
        line("Reduced chi-sqr  =  ", format!("{:.3}", self.reduced_chi2));
        s.push_str(&format!(
            "# Prob(Noise)      <  {}   (~{:.1} sigma)\n",
            g(self.prob_noise, 3),
            self.sigma
        ));
        let mut line = |k: &str, v: String| {
            s.push_str("# ");
            s.push_str(k);
            s.push_str(&v);
            s.push('\n');
        };
        if let Some(dm) = self.best_dm {
            line("Best DM          =  ", format!("{dm:.3}"));
        }
        let ve = |v: &Option<ValueErr>| match v {
            Some(v) => format!("{} +/- {}", pad17(g(v.value, 15)), g(v.err, 3)),
            None => "N/A".into(),
        };
        line("P_topo (ms)      =  ", ve(&self.p_topo_ms));
        line("P'_topo (s/s)    =  ", ve(&self.pd_topo));
        line("P''_topo (s/s^2) =  ", ve(&self.pdd_topo));
        line("P_bary (ms)      =  ", ve(&self.p_bary_ms));
        line("P'_bary (s/s)    =  ", ve(&self.pd_bary));
        line("P''_bary (s/s^2) =  ", ve(&self.pdd_bary));
        match &self.orbit {
            None => {
                for k in [
                    "P_orb (s)        =  ",
                    "asin(i)/c (s)    =  ",
                    "eccentricity     =  ",
                    "w (rad)          =  ",
                    "T_peri           =  ",
                ] {
                    line(k, "N/A".into());
                }
            }
            Some(o) => {
                line("P_orb (s)        =  ", pad17(g(o.p_orb_s, 15)));
                line("asin(i)/c (s)    =  ", pad17(g(o.asini_c_s, 15)));
                line("eccentricity     =  ", pad17(g(o.eccentricity, 15)));
                line("w (deg)          =  ", pad17(g(o.w_deg, 15)));
                line("T_peri           =  ", format!("{:.12}", o.t_peri));
            }
        }
        s.push_str("######################################################\n");
        for (i, v) in self.profile.iter().enumerate() {
            s.push_str(&format!("{i:4}  {}\n", g(*v, 7)));
        }
        s
    }

    /// Parses `.bestprof` text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> FormatResult<Self> {
        let bad = |key: &str, value: &str| {
            FormatError::new(
                path,
                FormatErrorKind::BadKeyword {
                    key: key.to_string(),
                    value: value.to_string(),
                    reason: "not a number".into(),
                },
            )
        };
        let num = |key: &str, v: &str| -> FormatResult<f64> { v.trim().parse::<f64>().map_err(|_| bad(key, v)) };
        let opt = |key: &str, v: &str| -> FormatResult<Option<f64>> {
            if v.trim() == "N/A" {
                Ok(None)
            } else {
                num(key, v).map(Some)
            }
        };
        let valerr = |key: &str, v: &str| -> FormatResult<Option<ValueErr>> {
            let v = v.trim();
            if v == "N/A" {
                return Ok(None);
            }
            let (a, e) = v.split_once("+/-").unwrap_or((v, "0"));
            Ok(Some(ValueErr {
                value: num(key, a)?,
                err: num(key, e)?,
            }))
        };
        let mut b = Bestprof::default();
        let mut in_profile = false;
        let mut seen = [false; 3]; // Data Folded, Profile Bins, Reduced chi-sqr
        let mut orbit = BestprofOrbit::default();
        let mut has_orbit = false;
        for raw in text.lines() {
            if in_profile {
                let mut it = raw.split_whitespace();
                if let (Some(_), Some(v)) = (it.next(), it.next()) {
                    b.profile.push(num("profile bin", v)?);
                }
                continue;
            }
            let Some(body) = raw.strip_prefix('#') else {
                continue;
            };
            if body.starts_with("#####") {
                in_profile = true;
                continue;
            }
            let (key, value) = if let Some((k, v)) = body.split_once('=') {
                (k.trim(), v.trim())
            } else if let Some((k, v)) = body.split_once('<') {
                (k.trim(), v.trim())
            } else {
                continue;
            };
            // Keys without their unit suffix, as PRESTO's comparison script does.
            let bare = key.split('(').next().unwrap_or(key).trim();
            match (bare, key) {
                ("Input file", _) => b.input_file = value.into(),
                ("Candidate", _) => b.candidate = value.into(),
                ("Telescope", _) => b.telescope = value.into(),
                ("Epoch_topo", _) => b.epoch_topo = opt(key, value)?,
                ("Epoch_bary", _) => b.epoch_bary = opt(key, value)?,
                ("T_sample", _) => b.t_sample = num(key, value)?,
                ("Data Folded", _) => {
                    b.data_folded = num(key, value)?;
                    seen[0] = true;
                }
                ("Data Avg", _) => b.data_avg = num(key, value)?,
                ("Data StdDev", _) => b.data_stddev = num(key, value)?,
                ("Profile Bins", _) => {
                    b.profile_bins = num(key, value)? as usize;
                    seen[1] = true;
                }
                ("Profile Avg", _) => b.profile_avg = num(key, value)?,
                ("Profile StdDev", _) => b.profile_stddev = num(key, value)?,
                ("Reduced chi-sqr", _) => {
                    b.reduced_chi2 = num(key, value)?;
                    seen[2] = true;
                }
                ("Prob", _) => {
                    // "2.9e-25   (~10.3 sigma)"
                    let mut parts = value.splitn(2, '(');
                    b.prob_noise = num(key, parts.next().unwrap_or(""))?;
                    let sig = parts.next().unwrap_or("").trim_start_matches('~');
                    let sig = sig.split_whitespace().next().unwrap_or("");
                    b.sigma = num(key, sig)?;
                }
                ("Best DM", _) => b.best_dm = Some(num(key, value)?),
                ("P_topo", _) => b.p_topo_ms = valerr(key, value)?,
                ("P'_topo", _) => b.pd_topo = valerr(key, value)?,
                ("P''_topo", _) => b.pdd_topo = valerr(key, value)?,
                ("P_bary", _) => b.p_bary_ms = valerr(key, value)?,
                ("P'_bary", _) => b.pd_bary = valerr(key, value)?,
                ("P''_bary", _) => b.pdd_bary = valerr(key, value)?,
                ("P_orb", _) | ("asin", _) | ("eccentricity", _) | ("w", _) | ("T_peri", _) => {
                    if let Some(v) = opt(key, value)? {
                        has_orbit = true;
                        match bare {
                            "P_orb" => orbit.p_orb_s = v,
                            "asin" => orbit.asini_c_s = v,
                            "eccentricity" => orbit.eccentricity = v,
                            "w" => orbit.w_deg = v,
                            _ => orbit.t_peri = v,
                        }
                    }
                }
                _ => {}
            }
        }
        let names = ["Data Folded", "Profile Bins", "Reduced chi-sqr"];
        if let Some(i) = seen.iter().position(|s| !s) {
            return Err(FormatError::new(path, FormatErrorKind::MissingKeyword(names[i].into())));
        }
        if b.profile.len() != b.profile_bins {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Inconsistent(format!(
                    "Profile Bins = {} but {} profile lines follow",
                    b.profile_bins,
                    b.profile.len()
                )),
            ));
        }
        if has_orbit {
            b.orbit = Some(orbit);
        }
        Ok(b)
    }

    /// Reads a `.bestprof` file.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| FormatError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Writes a `.bestprof` file.
    pub fn write(&self, path: impl AsRef<Path>) -> FormatResult<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_text()).map_err(|e| FormatError::io(path, e))
    }
}

/// C's `%-17s` padding of an already formatted number.
fn pad17(s: String) -> String {
    format!("{s:<17}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_orbit_and_dm() {
        let b = Bestprof {
            input_file: "beam.fil".into(),
            candidate: "Cand_3".into(),
            telescope: "Arecibo".into(),
            epoch_topo: Some(60000.12345678901),
            epoch_bary: None,
            t_sample: 65.476e-6,
            data_folded: 1048576.0,
            data_avg: 1234.5,
            data_stddev: 45.25,
            profile_bins: 3,
            profile_avg: 1.0e6,
            profile_stddev: 1000.0,
            reduced_chi2: 12.345,
            prob_noise: 1.5e-30,
            sigma: 11.4,
            best_dm: Some(131.4),
            p_topo_ms: Some(ValueErr {
                value: 4.1573,
                err: 2e-7,
            }),
            pd_topo: Some(ValueErr {
                value: -5.78e-8,
                err: 1e-9,
            }),
            pdd_topo: Some(ValueErr { value: 0.0, err: 1e-13 }),
            orbit: Some(BestprofOrbit {
                p_orb_s: 3600.0,
                asini_c_s: 1.5,
                eccentricity: 0.1,
                w_deg: 45.0,
                t_peri: 60000.25,
            }),
            profile: vec![1.0, 2.5, 1e6],
            ..Bestprof::default()
        };
        let text = b.to_text();
        assert!(text.contains("# Best DM          =  131.400\n"), "{text}");
        assert!(text.contains("# Epoch_bary       =  N/A\n"));
        let back = Bestprof::parse(&text, Path::new("x")).unwrap();
        assert_eq!(back.profile, b.profile);
        assert_eq!(back.best_dm, Some(131.4));
        assert_eq!(back.p_topo_ms, b.p_topo_ms);
        assert_eq!(back.p_bary_ms, None);
        assert_eq!(back.orbit, b.orbit);
        assert!((back.epoch_topo.unwrap() - 60000.12345678901).abs() < 1e-11);
        assert_eq!(back.reduced_chi2, 12.345);
        assert_eq!(back.sigma, 11.4);
    }

    #[test]
    fn missing_lines_are_errors() {
        let e = Bestprof::parse("# Data Folded = 10\n", Path::new("x")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::MissingKeyword(_)));
        let e = Bestprof::parse(
            "# Data Folded = 10\n# Profile Bins = 3\n# Reduced chi-sqr = 1.0\n####\n 0 1\n",
            Path::new("x"),
        )
        .unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::Inconsistent(_)));
    }
}
