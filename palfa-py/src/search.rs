//! `palfa.simulate`, `palfa.search` and `palfa.read_results`.

use std::path::PathBuf;

use palfa_core::config::Config;
use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{simulate as simulate_beam, SimParams};
use palfa_search::pipeline::{run_search, NoProgress, SearchJob, DEFAULT_SERIES_BUDGET};
use pyo3::prelude::*;

use crate::errors;

/// Writes a synthetic beam to `path` (`.fil`, `.fits`) and returns its truth
/// (what was injected) as a dict; the truth is also written beside it as JSON.
///
/// `params` overrides the simulator's defaults key by key (the names of
/// `palfa simulate --help` and `docs/simulate.md`: `nchans`, `nsamples`,
/// `tsamp_s`, `pulsars` as a list of dicts with `period_s`, `dm`, `duty`,
/// `snr`, `accel_m_s2`, `phase`, …).
#[pyfunction]
#[pyo3(signature = (path, params = None))]
pub fn simulate<'py>(
    py: Python<'py>,
    path: PathBuf,
    params: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut value = serde_json::to_value(SimParams::default()).map_err(errors::other)?;
    if let Some(p) = params {
        let given: serde_json::Value = pythonize::depythonize(p).map_err(errors::other)?;
        let serde_json::Value::Object(given) = given else {
            return Err(pyo3::exceptions::PyTypeError::new_err("params must be a dict"));
        };
        let serde_json::Value::Object(ref mut all) = value else {
            unreachable!("SimParams serialises to an object")
        };
        for (k, v) in given {
            if !all.contains_key(&k) {
                return Err(errors::ConfigError::new_err(format!(
                    "unknown simulation parameter {k:?}"
                )));
            }
            all.insert(k, v);
        }
    }
    let p: SimParams = serde_json::from_value(value)
        .map_err(|e| errors::ConfigError::new_err(format!("simulation parameters: {e}")))?;
    let truth = py
        .allow_threads(|| simulate_beam(&p, &path, &|_, _| {}))
        .map_err(errors::other)?;
    errors::to_py(py, &truth)
}

/// Searches one beam (a path, or a Mock s0/s1 pair) as `palfa search` does,
/// writes the results directory `outdir`, and returns `results.json` as a dict.
///
/// `config` is a `palfa.toml`; without one, PALFA's built-in defaults are
/// used with working files in a private temporary directory. The GIL is
/// released during the search.
#[pyfunction]
#[pyo3(signature = (files, outdir, config = None))]
pub fn search<'py>(
    py: Python<'py>,
    files: &Bound<'py, PyAny>,
    outdir: PathBuf,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let files = crate::beam::beam_paths(files)?;
    let (cfg, _scratch) = match config {
        Some(path) => (Config::load(&path).map_err(errors::config)?, None),
        None => {
            let scratch = std::env::temp_dir().join(format!("palfa-py-{}", std::process::id()));
            (
                Config::defaults_in(&scratch).map_err(errors::config)?,
                Some(Scratch(scratch)),
            )
        }
    };
    let job = SearchJob {
        files,
        outdir,
        searching: cfg.searching.clone(),
        processing: cfg.processing.clone(),
        version: cfg.upload.version_num.clone(),
        keep_workdir: false,
        series_budget_bytes: DEFAULT_SERIES_BUDGET,
    };
    let results = py
        .allow_threads(|| run_search(&job, &NoProgress))
        .map_err(errors::search)?;
    errors::to_py(py, &results)
}

/// Reads a results directory (checking every file it names and their sizes)
/// and returns `results.json` as a dict.
#[pyfunction]
pub fn read_results(py: Python<'_>, dir: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let r = SearchResults::read_dir(&dir).map_err(errors::format)?;
    errors::to_py(py, &r)
}

/// A temporary directory removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
