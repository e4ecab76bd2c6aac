//! `palfa.simulate`, `palfa.search` and `palfa.read_results`.

use std::path::PathBuf;

use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{simulate as simulate_beam, SimError, SimParams};
use palfa_search::pipeline::{run_search, NoProgress, SearchJob, DEFAULT_SERIES_BUDGET};
use pyo3::prelude::*;

use crate::{config, errors, run};

/// Writes a synthetic beam to `path` (`.fil`, `.fits`; a directory for a Mock
/// pair) and returns its truth (what was injected) as a dict; the truth is
/// also written beside it as JSON.
///
/// `params` overrides the simulator's defaults key by key (the names of
/// `palfa simulate --help` and `docs/simulate.md`: `nchans`, `nsamples`,
/// `tsamp_s`, `format` (`"filterbank"`, `"psrfits"`, `"mock"`), `pulsars` as
/// a list of dicts with `period_s`, `dm`, `duty`, `snr`, `accel_m_s2`,
/// `phase`, `single_pulses` with `time_s`, `dm`, `width_s`, `snr`, …). An
/// unknown key raises `ConfigError`. Ctrl-C interrupts the wait (the file is
/// then finished in the background).
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
    let truth = run::interruptible(py, move || simulate_beam(&p, &path, &|_, _| {}))?.map_err(|e| match e {
        SimError::Params(_) => errors::ConfigError::new_err(e.to_string()),
        SimError::Format(f) => errors::format(f),
        other => errors::FormatError::new_err(other.to_string()),
    })?;
    errors::to_py(py, &truth)
}

/// Searches one beam (a path, or a Mock s0/s1 pair) as `palfa search` does,
/// writes the results directory `outdir`, and returns `results.json` as a dict.
///
/// `config` is a `palfa.toml`; without one, PALFA's built-in defaults are
/// used, with working files in a private directory under the system's
/// temporary directory (removed afterwards). The search runs
/// without the GIL on a worker thread; Ctrl-C raises `KeyboardInterrupt` at
/// once, but the engine has no cancellation hook, so the interrupted search
/// goes on in the background until it ends (it still writes `outdir`).
#[pyfunction]
#[pyo3(signature = (files, outdir, config = None))]
pub fn search<'py>(
    py: Python<'py>,
    files: &Bound<'py, PyAny>,
    outdir: PathBuf,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let files = crate::beam::beam_paths(files)?;
    let cfg = config::load(config)?;
    let job = SearchJob {
        files,
        outdir,
        searching: cfg.searching.clone(),
        processing: cfg.processing.clone(),
        version: cfg.upload.version_num.clone(),
        keep_workdir: false,
        series_budget_bytes: DEFAULT_SERIES_BUDGET,
    };
    let results = run::interruptible(py, move || run_search(&job, &NoProgress))?.map_err(errors::search)?;
    errors::to_py(py, &results)
}

/// Reads a results directory (checking every file it names and their sizes)
/// and returns `results.json` as a dict.
#[pyfunction]
pub fn read_results(py: Python<'_>, dir: PathBuf) -> PyResult<Bound<'_, PyAny>> {
    let r = SearchResults::read_dir(&dir).map_err(errors::format)?;
    errors::to_py(py, &r)
}
