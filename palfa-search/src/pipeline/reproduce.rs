//! `palfa search --reproduce RESULTS_DIR`: search a beam again with the
//! configuration its results directory recorded, and say whether the
//! candidates are the same.
//!
//! The inputs are the recorded files (or others given in their place), each
//! checked against its recorded size and SHA-256 first. The configuration is
//! the recorded `config_toml` (checked against its hash), with this machine's
//! scratch directory. The comparison covers every field of every candidate
//! except its file names, the single-pulse groups and event count, and the
//! number of DM trials. Numbers must be equal exactly: two searches of one
//! beam with one configuration and one build on one machine with the same
//! number of threads give bit-identical candidates
//! (`palfa-cli/tests/reproduce_cli.rs` checks it). With another number of
//! threads they do not: parallel sums (folding, above all) are split
//! differently, and fold statistics differ in the fifth or sixth digit, some
//! ratings by more. So the search runs again with the recorded number of
//! threads (`host.threads`) unless [`ReproduceOptions::threads`] says
//! otherwise. [`ReproduceOptions::tolerance`] allows a relative difference
//! where a comparison across machines or builds needs one.

use std::fmt;
use std::path::{Path, PathBuf};

use palfa_core::config::{toml_differences, KeyDifference, Processing, Searching};
use palfa_core::formats::results::{PeriodicityCandidate, SearchResults};
use serde_json::Value;

use super::provenance::{config_record, hash_file, sha256_hex};
use super::{run_search, SearchJob, StageProgress, DEFAULT_SERIES_BUDGET};
use crate::error::SearchError;

/// Why a results directory could not be reproduced at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReproduceError {
    /// The results directory cannot be read.
    #[error("{}: cannot read the results: {error}", dir.display())]
    Results {
        /// The directory.
        dir: PathBuf,
        /// The cause.
        error: palfa_core::FormatError,
    },
    /// The results were written before palfa recorded provenance.
    #[error("{}: results.json records no provenance (written by an older palfa); it cannot be reproduced", dir.display())]
    NoProvenance {
        /// The directory.
        dir: PathBuf,
    },
    /// Not as many input files as recorded.
    #[error("{given} input file(s) given, the results record {recorded}")]
    InputCount {
        /// Files given.
        given: usize,
        /// Files recorded.
        recorded: usize,
    },
    /// An input file is not the one recorded.
    #[error("{}: not the recorded input {recorded_path}: {what}", path.display())]
    InputMismatch {
        /// The file read.
        path: PathBuf,
        /// The path recorded for it.
        recorded_path: String,
        /// What differs (size or SHA-256, recorded and found).
        what: String,
    },
    /// The recorded configuration does not match its recorded hash.
    #[error("the recorded configuration's SHA-256 is {found}, the results record {recorded}: results.json was edited")]
    ConfigHash {
        /// Recorded.
        recorded: String,
        /// Of the recorded text.
        found: String,
    },
    /// The recorded configuration cannot be read.
    #[error("the recorded configuration cannot be read: {0}")]
    Config(palfa_core::config::ConfigError),
    /// The search failed (or an input could not be read).
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What to reproduce, and how.
#[derive(Debug, Clone)]
pub struct ReproduceOptions {
    /// The results directory (with `results.json`).
    pub results_dir: PathBuf,
    /// Files to read in place of the recorded inputs (same order); empty:
    /// the recorded paths.
    pub files: Vec<PathBuf>,
    /// The configuration in use now (`--config`), to say whether the recorded
    /// one differs; its `base_tmp_dir` is where the search works.
    pub current: Searching,
    /// `[processing]` of this machine.
    pub processing: Processing,
    /// Where the new results go; `None`: a temporary directory, removed
    /// afterwards.
    pub outdir: Option<PathBuf>,
    /// Memory for one group of dedispersed series \[bytes\].
    pub series_budget_bytes: u64,
    /// Largest relative difference of two numbers counted as equal (0:
    /// exactly equal).
    pub tolerance: f64,
    /// Threads to search with; `None`: as many as the recorded search used.
    pub threads: Option<usize>,
}

impl ReproduceOptions {
    /// Reproduce `results_dir` from its recorded inputs, compared with the
    /// configuration `current`, exactly.
    pub fn new(results_dir: impl Into<PathBuf>, current: Searching, processing: Processing) -> Self {
        Self {
            results_dir: results_dir.into(),
            files: Vec::new(),
            current,
            processing,
            outdir: None,
            series_budget_bytes: DEFAULT_SERIES_BUDGET,
            tolerance: 0.0,
            threads: None,
        }
    }
}

/// What `--reproduce` found.
#[derive(Debug, Clone)]
pub struct ReproduceReport {
    /// The observation.
    pub obs_name: String,
    /// The files searched.
    pub inputs: Vec<PathBuf>,
    /// Candidates recorded.
    pub recorded_candidates: usize,
    /// Candidates found again.
    pub new_candidates: usize,
    /// Each difference between the recorded and the new results (empty:
    /// reproduced).
    pub differences: Vec<String>,
    /// The recorded configuration's SHA-256.
    pub recorded_config_sha256: String,
    /// The current configuration's SHA-256.
    pub current_config_sha256: String,
    /// Keys whose value differs between the recorded and the current
    /// configuration (`first`: recorded, `second`: current).
    pub config_changes: Vec<KeyDifference>,
    /// The commit that made the recorded results.
    pub recorded_commit: String,
    /// The commit of this palfa.
    pub current_commit: String,
    /// Threads of the recorded search.
    pub recorded_threads: usize,
    /// Threads of the search made again.
    pub threads: usize,
    /// The new results.
    pub results: SearchResults,
}

impl ReproduceReport {
    /// Whether the candidates, single-pulse groups and DM trials are the same.
    pub fn reproduced(&self) -> bool {
        self.differences.is_empty()
    }

    /// Whether the current configuration differs from the recorded one.
    pub fn config_changed(&self) -> bool {
        self.recorded_config_sha256 != self.current_config_sha256
    }
}

impl fmt::Display for ReproduceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reproduced() {
            writeln!(
                f,
                "{}: reproduced: {} candidates identical",
                self.obs_name, self.new_candidates
            )?;
        } else {
            writeln!(
                f,
                "{}: NOT reproduced: {} difference(s) ({} candidates recorded, {} now)",
                self.obs_name,
                self.differences.len(),
                self.recorded_candidates,
                self.new_candidates
            )?;
            for d in &self.differences {
                writeln!(f, "  {d}")?;
            }
        }
        if self.recorded_commit != self.current_commit {
            writeln!(
                f,
                "palfa commit: recorded {}, now {}",
                self.recorded_commit, self.current_commit
            )?;
        }
        if self.recorded_threads != self.threads {
            writeln!(
                f,
                "threads: recorded {}, now {} (results are bit-identical only with the same number)",
                self.recorded_threads, self.threads
            )?;
        }
        if self.config_changed() {
            writeln!(
                f,
                "configuration changed: the current one (sha256 {}) differs from the recorded one (sha256 {}) in {} key(s) (recorded -> current):",
                self.current_config_sha256,
                self.recorded_config_sha256,
                self.config_changes.len()
            )?;
            for c in &self.config_changes {
                writeln!(f, "  {c}")?;
            }
        } else {
            writeln!(f, "configuration unchanged (sha256 {})", self.recorded_config_sha256)?;
        }
        Ok(())
    }
}

/// Searches the recorded beam again with the recorded configuration and
/// compares; see the module's documentation.
pub fn reproduce(opts: &ReproduceOptions, progress: &dyn StageProgress) -> Result<ReproduceReport, ReproduceError> {
    let dir = &opts.results_dir;
    let recorded = SearchResults::read_dir(dir).map_err(|error| ReproduceError::Results {
        dir: dir.clone(),
        error,
    })?;
    let Some(prov) = recorded.provenance.clone() else {
        return Err(ReproduceError::NoProvenance { dir: dir.clone() });
    };
    let files: Vec<PathBuf> = if opts.files.is_empty() {
        prov.inputs.iter().map(|i| PathBuf::from(&i.path)).collect()
    } else {
        opts.files.clone()
    };
    if files.len() != prov.inputs.len() {
        return Err(ReproduceError::InputCount {
            given: files.len(),
            recorded: prov.inputs.len(),
        });
    }
    for (path, rec) in files.iter().zip(&prov.inputs) {
        check_input(path, rec)?;
    }
    let found = sha256_hex(prov.config_toml.as_bytes());
    if found != prov.config_sha256 {
        return Err(ReproduceError::ConfigHash {
            recorded: prov.config_sha256.clone(),
            found,
        });
    }
    let mut searching = Searching::from_toml(&prov.config_toml).map_err(ReproduceError::Config)?;
    searching.base_tmp_dir = opts.current.base_tmp_dir.clone();
    let (current_toml, current_sha) = config_record(&opts.current);

    let (outdir, temporary) = match &opts.outdir {
        Some(d) => (d.clone(), false),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let d = std::env::temp_dir().join(format!("palfa-reproduce.{}.{nanos}", std::process::id()));
            (d, true)
        }
    };
    let job = SearchJob {
        files: files.clone(),
        outdir: outdir.clone(),
        searching,
        processing: opts.processing.clone(),
        version: recorded.version.clone(),
        keep_workdir: false,
        series_budget_bytes: opts.series_budget_bytes,
    };
    let threads = opts.threads.unwrap_or(prov.host.threads).max(1);
    let new = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(|| run_search(&job, progress)),
        Err(e) => {
            tracing::warn!("cannot make a pool of {threads} threads ({e}); searching with rayon's own");
            run_search(&job, progress)
        }
    };
    if temporary {
        let _ = std::fs::remove_dir_all(&outdir);
    }
    let new = new?;
    let differences = compare(&recorded, &new, opts.tolerance);
    Ok(ReproduceReport {
        obs_name: recorded.header.obs_name.clone(),
        inputs: files,
        recorded_candidates: recorded.candidates.len(),
        new_candidates: new.candidates.len(),
        differences,
        config_changes: toml_differences(&prov.config_toml, &current_toml),
        recorded_config_sha256: prov.config_sha256.clone(),
        current_config_sha256: current_sha,
        recorded_commit: prov.git_commit.clone(),
        current_commit: palfa_core::build::GIT_COMMIT.to_string(),
        recorded_threads: prov.host.threads,
        threads: new.provenance.as_ref().map_or(threads, |p| p.host.threads),
        results: new,
    })
}

fn check_input(path: &Path, rec: &palfa_core::formats::results::InputFile) -> Result<(), ReproduceError> {
    let mismatch = |what: String| ReproduceError::InputMismatch {
        path: path.to_path_buf(),
        recorded_path: rec.path.clone(),
        what,
    };
    let meta = std::fs::metadata(path).map_err(|e| SearchError::io(path, e))?;
    if meta.len() != rec.size {
        return Err(mismatch(format!(
            "size {} bytes, recorded {} bytes",
            meta.len(),
            rec.size
        )));
    }
    let (_, sha) = hash_file(path)?;
    if sha != rec.sha256 {
        return Err(mismatch(format!("SHA-256 {sha}, recorded {}", rec.sha256)));
    }
    Ok(())
}

/// A candidate as compared: every field but the names of its files.
fn comparable(c: &PeriodicityCandidate) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        for k in ["plot_file", "pfd_file", "bestprof_file"] {
            m.remove(k);
        }
    }
    v
}

fn numbers_equal(a: f64, b: f64, tol: f64) -> bool {
    a.to_bits() == b.to_bits() || a == b || (tol > 0.0 && (a - b).abs() <= tol * a.abs().max(b.abs()))
}

/// Appends a line for each leaf of `a` and `b` that differs.
fn diff_values(path: &str, a: &Value, b: &Value, tol: f64, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(f64::NAN), y.as_f64().unwrap_or(f64::NAN));
            if !numbers_equal(x, y, tol) {
                out.push(format!("{path}: recorded {x:?}, now {y:?}"));
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let null = Value::Null;
                diff_values(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&null),
                    y.get(k).unwrap_or(&null),
                    tol,
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_values(&format!("{path}[{i}]"), p, q, tol, out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: recorded {a}, now {b}")),
    }
}

/// Each difference between recorded and new results in what a search
/// finds: candidates (all fields but file names), single-pulse groups and
/// event count, DM trials. `tol`: relative tolerance on numbers (0: exact).
pub fn compare(recorded: &SearchResults, new: &SearchResults, tol: f64) -> Vec<String> {
    let mut out = Vec::new();
    if recorded.num_dm_trials != new.num_dm_trials {
        out.push(format!(
            "num_dm_trials: recorded {}, now {}",
            recorded.num_dm_trials, new.num_dm_trials
        ));
    }
    if recorded.status != new.status {
        out.push(format!("status: recorded {:?}, now {:?}", recorded.status, new.status));
    }
    if recorded.candidates.len() != new.candidates.len() {
        out.push(format!(
            "candidates: recorded {}, now {}",
            recorded.candidates.len(),
            new.candidates.len()
        ));
    }
    for (i, (a, b)) in recorded.candidates.iter().zip(&new.candidates).enumerate() {
        diff_values(
            &format!("candidates[{i}] (#{})", a.cand_num),
            &comparable(a),
            &comparable(b),
            tol,
            &mut out,
        );
    }
    let (rs, ns) = (&recorded.single_pulses, &new.single_pulses);
    if rs.num_events != ns.num_events {
        out.push(format!(
            "single_pulses.num_events: recorded {}, now {}",
            rs.num_events, ns.num_events
        ));
    }
    if rs.groups.len() != ns.groups.len() {
        out.push(format!(
            "single_pulses.groups: recorded {}, now {}",
            rs.groups.len(),
            ns.groups.len()
        ));
    }
    for (i, (a, b)) in rs.groups.iter().zip(&ns.groups).enumerate() {
        let (a, b) = (
            serde_json::to_value(a).unwrap_or(Value::Null),
            serde_json::to_value(b).unwrap_or(Value::Null),
        );
        diff_values(&format!("single_pulses.groups[{i}]"), &a, &b, tol, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_ignores_file_names_and_finds_changes() {
        let mut a = SearchResults::example();
        let c: PeriodicityCandidate = serde_json::from_value(serde_json::json!({
            "cand_num": 1, "period_s": 0.1, "frequency_hz": 10.0, "pdot": 0.0, "fdot_hz_s": 0.0,
            "dm": 50.0, "presto_sigma": 8.0, "sifting_sigma": 9.0, "prepfold_sigma": 20.0,
            "reduced_chi2": 5.0, "snr": 30.0, "coherent_power": 1.0, "incoherent_power": 2.0,
            "num_hits": 3, "num_harmonics": 4, "z": 0.0, "accel_m_s2": 0.0,
            "sifting_period_s": 0.1, "sifting_dm": 50.0, "impulsive": false,
            "plot_file": "a.png", "pfd_file": "a.pfd", "bestprof_file": "a.bestprof"
        }))
        .unwrap();
        a.candidates.push(c);
        let mut b = a.clone();
        b.candidates[0].plot_file = "b.png".into();
        b.candidates[0].pfd_file = "b.pfd".into();
        assert!(compare(&a, &b, 0.0).is_empty());
        b.candidates[0].dm = 50.000000001;
        let d = compare(&a, &b, 0.0);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].contains(".dm: recorded 50.0, now 50.000000001"), "{d:?}");
        assert!(compare(&a, &b, 1e-9).is_empty());
        b.num_dm_trials = 7;
        b.candidates.clear();
        let d = compare(&a, &b, 0.0);
        assert!(d.iter().any(|l| l.starts_with("num_dm_trials")), "{d:?}");
        assert!(d.iter().any(|l| l == "candidates: recorded 1, now 0"), "{d:?}");
    }
}
