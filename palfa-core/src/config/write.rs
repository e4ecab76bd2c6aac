//! The effective `[searching]` configuration written back as TOML: what a
//! results directory records of its search (`Provenance::config_toml`), and
//! what `palfa search --reproduce` reads again.
//!
//! Every key is written, with the names [`Searching::read`] reads, so that
//! the text read back gives an equal [`Searching`]. Numbers round-trip
//! exactly: Rust writes an `f64` in the shortest form that reads back to
//! the same value. Paths are written absolute.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml::Value;

use super::known::KnownParams;
use super::searching::{DdplanChoice, FfaParams, Searching};
use super::{Config, ConfigError};

/// One key whose value differs between two configuration texts
/// ([`toml_differences`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDifference {
    /// The key, `searching.to_prepfold_sigma` or `searching.ffa.enabled`.
    pub key: String,
    /// Its value in the first text (`None`: absent).
    pub first: Option<String>,
    /// Its value in the second text.
    pub second: Option<String>,
}

impl std::fmt::Display for KeyDifference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "(absent)".into());
        write!(f, "{}: {} -> {}", self.key, v(&self.first), v(&self.second))
    }
}

fn float(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        // `{:?}` is the shortest text that reads back to the same f64, and
        // always has a `.` or an exponent, so TOML reads a float.
        format!("{v:?}")
    }
}

fn string(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

fn path(p: &Option<PathBuf>) -> String {
    match p {
        None => string(""),
        Some(p) => {
            let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
            string(&abs.to_string_lossy())
        }
    }
}

fn list(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

struct Out(String);

impl Out {
    fn kv(&mut self, key: &str, value: impl std::fmt::Display) {
        let _ = writeln!(self.0, "{key} = {value}");
    }
    fn f(&mut self, key: &str, v: f64) {
        self.kv(key, float(v));
    }
}

impl Searching {
    /// Every key of `[searching]` and its sub-tables (`[searching.ffa]`,
    /// `[searching.known]`) as TOML, `base_tmp_dir` included: reading it
    /// back ([`Searching::from_toml`]) gives an equal `Searching`.
    ///
    /// Both acceleration passes share one `accel_fhi` (as the reader
    /// sets them); that of the low pass is written.
    ///
    /// ```
    /// use palfa_core::config::Searching;
    /// let mut s = Searching::default();
    /// s.to_prepfold_sigma = 7.25;
    /// assert_eq!(Searching::from_toml(&s.to_toml()).unwrap(), s);
    /// ```
    pub fn to_toml(&self) -> String {
        self.write_toml(true)
    }

    /// [`to_toml`](Self::to_toml) without `base_tmp_dir`: the text a results
    /// directory records and hashes (`Provenance::config_toml`).
    /// `base_tmp_dir` is only where this machine keeps its scratch files; it
    /// changes nothing in the results, and leaving it out keeps the hash of
    /// one search configuration the same on every machine.
    pub fn provenance_toml(&self) -> String {
        self.write_toml(false)
    }

    fn write_toml(&self, with_tmp_dir: bool) -> String {
        let mut o = Out(String::from("[searching]\n"));
        o.kv("use_subbands", self.use_subbands);
        o.kv("fold_rawdata", self.fold_rawdata);
        o.kv("use_zerodm", self.use_zerodm);
        let r = &self.rfi;
        o.f("rfifind_chunk_time", r.chunk_time_s);
        o.f("rfifind_timesig", r.timesig);
        o.f("rfifind_freqsig", r.freqsig);
        o.f("rfifind_intfrac", r.intfrac);
        o.f("rfifind_chanfrac", r.chanfrac);
        o.f("rfifind_clip", r.clip_sigma);
        o.kv("rfifind_zap_chans", list(&r.zap_chans));
        o.kv("rfifind_zap_ints", list(&r.zap_ints));
        let d = &self.dedisp;
        let ddplan = match d.ddplan {
            DdplanChoice::Palfa => "palfa",
            DdplanChoice::Auto => "auto",
        };
        o.kv("ddplan", string(ddplan));
        o.f("max_dm", d.max_dm);
        o.f("min_dm", d.min_dm);
        o.kv("nsub", d.nsub);
        o.f("dedisp_resolution", d.resolution_s);
        let sp = &self.singlepulse;
        o.f("singlepulse_threshold", sp.threshold);
        o.f("singlepulse_plot_SNR", sp.plot_snr);
        o.f("singlepulse_maxwidth", sp.maxwidth_s);
        o.kv("singlepulse_detrendlen", sp.detrend_len);
        o.kv("singlepulse_fast", sp.median_detrend);
        o.kv("singlepulse_badblocks", sp.bad_blocks);
        o.kv("singlepulse_refit", sp.refit);
        o.f("accel_fhi", self.lo_accel.fhi_hz);
        for (pass, a) in [("lo", &self.lo_accel), ("hi", &self.hi_accel)] {
            o.kv(&format!("{pass}_accel_numharm"), a.numharm);
            o.f(&format!("{pass}_accel_sigma"), a.sigma);
            o.kv(&format!("{pass}_accel_zmax"), a.zmax);
            o.f(&format!("{pass}_accel_flo"), a.flo_hz);
        }
        o.f("to_prepfold_sigma", self.to_prepfold_sigma);
        let sf = &self.sifting;
        o.f("sifting_sigma_threshold", sf.sigma_threshold);
        o.f("sifting_c_pow_threshold", sf.c_pow_threshold);
        o.f("sifting_r_err", sf.r_err);
        o.f("sifting_short_period", sf.short_period_s);
        o.f("sifting_long_period", sf.long_period_s);
        o.f("sifting_harm_pow_cutoff", sf.harm_pow_cutoff);
        let tol = if sf.scaled_harmonic_tolerance {
            "scaled"
        } else {
            "fixed"
        };
        o.kv("sifting_harmonic_tolerance", string(tol));
        o.kv("rednoise_startwidth", self.rednoise.startwidth);
        o.kv("rednoise_endwidth", self.rednoise.endwidth);
        o.f("rednoise_endfreq", self.rednoise.endfreq_hz);
        let z = &self.dynamic_zap;
        o.kv("dynamic_zap", z.enabled);
        o.f("dynamic_zap_sigma", z.sigma);
        o.f("dynamic_zap_min_dm_fraction", z.min_dm_fraction);
        o.kv("dynamic_zap_max_birds", z.max_birds);
        o.kv("max_cands_to_fold", self.max_cands_to_fold);
        o.kv("numhits_to_fold", self.numhits_to_fold);
        o.f("low_DM_cutoff", self.low_dm_cutoff);
        o.f("low_T_to_search", self.low_t_to_search_s);
        o.f("mains_hz", self.mains_hz);
        if with_tmp_dir {
            o.kv("base_tmp_dir", path(&self.base_tmp_dir));
        }
        write_ffa(&mut o, &self.ffa);
        write_known(&mut o, &self.known);
        o.0
    }

    /// Reads `[searching]` from configuration text such as
    /// [`to_toml`](Self::to_toml) writes (other sections, if any, are read
    /// and checked too but not returned). Relative paths are resolved against
    /// the current directory; paths are not checked on this machine (a
    /// recorded configuration names another machine's files).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let base = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        Config::parse_deferring_paths(text, Path::new("<configuration text>"), &base).map(|c| c.searching)
    }
}

fn write_ffa(o: &mut Out, f: &FfaParams) {
    o.0.push_str("\n[searching.ffa]\n");
    o.kv("enabled", f.enabled);
    o.f("min_period", f.min_period_s);
    o.f("max_period", f.max_period_s);
    o.kv("bins_min", f.bins_min);
    o.kv("bins_max", f.bins_max);
    o.f("max_duty", f.max_duty);
    o.f("rmed_width", f.rmed_width_s);
    o.f("snr_threshold", f.snr_threshold);
    o.kv("max_peaks", f.max_peaks);
}

fn write_known(o: &mut Out, k: &KnownParams) {
    o.0.push_str("\n[searching.known]\n");
    o.kv("enabled", k.enabled);
    o.kv("catalogue", path(&k.catalogue));
    o.f("beam_radius", k.beam_radius_deg);
    o.f("sidelobe_margin", k.sidelobe_margin_deg);
    o.f("far_sidelobe_radius", k.far_sidelobe_radius_deg);
    o.f("far_sidelobe_min_flux", k.far_sidelobe_min_flux_mjy);
    o.kv("max_harmonic", k.max_harmonic);
    o.f("doppler_tolerance", k.doppler_tolerance);
    o.f("fourier_bins", k.fourier_bins);
    o.f("dm_tolerance_frac", k.dm_tolerance_frac);
    o.f("dm_tolerance", k.dm_tolerance);
}

fn flatten(prefix: &str, t: &toml::Table, out: &mut std::collections::BTreeMap<String, String>) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Table(sub) => flatten(&key, sub, out),
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

/// The keys whose values differ between two configuration texts (each
/// flattened to `section.key = value`; a key in only one is a difference
/// too), in key order. Text that is not valid TOML is compared as empty.
pub fn toml_differences(first: &str, second: &str) -> Vec<KeyDifference> {
    let parse = |s: &str| {
        let mut m = std::collections::BTreeMap::new();
        if let Ok(t) = s.parse::<toml::Table>() {
            flatten("", &t, &mut m);
        }
        m
    };
    let (a, b) = (parse(first), parse(second));
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| KeyDifference {
            key: k.clone(),
            first: a.get(k).cloned(),
            second: b.get(k).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AccelParams, KnownParams};

    #[test]
    fn defaults_round_trip() {
        let s = Searching::default();
        let text = s.to_toml();
        assert_eq!(Searching::from_toml(&text).unwrap(), s, "{text}");
        assert_eq!(Searching::from_toml(&s.provenance_toml()).unwrap(), s);
        assert!(!s.provenance_toml().contains("base_tmp_dir"));
    }

    #[test]
    fn every_key_the_reader_knows_is_written() {
        let text = Searching::default().to_toml();
        let written: BTreeSet<String> = {
            let mut m = std::collections::BTreeMap::new();
            flatten("", &text.parse::<toml::Table>().unwrap(), &mut m);
            m.into_keys().collect()
        };
        let known: BTreeSet<String> = Config::known_keys()
            .into_iter()
            .filter(|k| k.starts_with("searching."))
            .collect();
        assert_eq!(written, known);
    }

    #[test]
    fn non_default_values_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Searching {
            use_subbands: false,
            fold_rawdata: false,
            use_zerodm: true,
            to_prepfold_sigma: 6.1 + 1e-12,
            max_cands_to_fold: 7,
            numhits_to_fold: 3,
            low_dm_cutoff: 0.1 + 0.2,
            low_t_to_search_s: 1.0 / 3.0,
            mains_hz: 50.0,
            lo_accel: AccelParams {
                numharm: 4,
                sigma: 2.5,
                zmax: 0,
                flo_hz: 0.75,
                fhi_hz: 1234.5678,
            },
            hi_accel: AccelParams {
                numharm: 32,
                sigma: 1e-5,
                zmax: 200,
                flo_hz: 0.1,
                fhi_hz: 1234.5678,
            },
            base_tmp_dir: Some(dir.path().to_path_buf()),
            ..Searching::default()
        };
        s.rfi.chunk_time_s = 1.048576;
        s.rfi.zap_chans = vec![0, 5, 959];
        s.rfi.zap_ints = vec![3];
        s.rfi.clip_sigma = 0.0;
        s.dedisp.ddplan = DdplanChoice::Auto;
        s.dedisp.max_dm = 555.5;
        s.dedisp.min_dm = 1e-3;
        s.dedisp.nsub = 32;
        s.dedisp.resolution_s = 2.5e-4;
        s.singlepulse.median_detrend = true;
        s.singlepulse.plot_snr = 7.7;
        s.singlepulse.detrend_len = 2048;
        s.sifting.sigma_threshold = 3.3;
        s.sifting.scaled_harmonic_tolerance = false;
        s.sifting.short_period_s = 0.0015;
        s.rednoise.endfreq_hz = 7.125;
        s.dynamic_zap.enabled = false;
        s.dynamic_zap.max_birds = 0;
        s.ffa = FfaParams {
            enabled: false,
            min_period_s: 0.75,
            max_period_s: 12.5,
            bins_min: 100,
            bins_max: 120,
            max_duty: 0.15,
            rmed_width_s: 3.3,
            snr_threshold: 6.5,
            max_peaks: 4,
        };
        s.known = KnownParams {
            enabled: false,
            catalogue: Some(dir.path().join("psrcat \"x\".json")),
            beam_radius_deg: 0.07,
            far_sidelobe_radius_deg: 0.0,
            max_harmonic: 8,
            doppler_tolerance: 3e-4,
            ..KnownParams::default()
        };
        let text = s.to_toml();
        let back = Searching::from_toml(&text).unwrap();
        assert_eq!(back, s, "{text}");
        // Bit for bit, not only ==.
        assert_eq!(back.to_prepfold_sigma.to_bits(), s.to_prepfold_sigma.to_bits());
        assert_eq!(back.to_toml(), text);
        let d = toml_differences(&Searching::default().provenance_toml(), &s.provenance_toml());
        let keys: Vec<&str> = d.iter().map(|k| k.key.as_str()).collect();
        assert!(keys.contains(&"searching.to_prepfold_sigma"), "{keys:?}");
        assert!(keys.contains(&"searching.ffa.max_peaks"), "{keys:?}");
        assert!(keys.contains(&"searching.known.catalogue"), "{keys:?}");
        assert!(!keys.contains(&"searching.rednoise_startwidth"), "{keys:?}");
    }

    #[test]
    fn differences_name_each_key() {
        let a = "[searching]\nto_prepfold_sigma = 6.0\nnsub = 96\n";
        let b = "[searching]\nto_prepfold_sigma = 5.5\nnsub = 96\n[searching.ffa]\nenabled = false\n";
        let d = toml_differences(a, b);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].key, "searching.ffa.enabled");
        assert_eq!(d[0].first, None);
        assert_eq!(d[1].to_string(), "searching.to_prepfold_sigma: 6.0 -> 5.5");
        assert!(toml_differences(a, a).is_empty());
    }
}
