//! `palfa.Tracker`: a survey's job-tracker database.

use std::path::PathBuf;

use palfa_tracker::states::{FileStatus, Status};
use pyo3::prelude::*;

use crate::errors;

/// A job-tracker database (`background.jobtracker_db`): its files, jobs and
/// submissions, each with its state and history, as dicts.
#[pyclass(module = "palfa", unsendable)]
pub struct Tracker {
    inner: palfa_tracker::Tracker,
}

#[pymethods]
impl Tracker {
    /// Opens an existing database with the current schema.
    #[new]
    fn new(path: PathBuf) -> PyResult<Self> {
        let inner = palfa_tracker::Tracker::open(&path).map_err(errors::tracker)?;
        Ok(Self { inner })
    }

    /// Creates a database (an existing one is opened as it is).
    #[staticmethod]
    fn create(path: PathBuf) -> PyResult<Self> {
        let (inner, _) = palfa_tracker::Tracker::create(&path).map_err(errors::tracker)?;
        Ok(Self { inner })
    }

    /// Every job, oldest first.
    fn jobs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        errors::to_py(py, &self.inner.jobs().map_err(errors::tracker)?)
    }

    /// Every file, or those in `status` (e.g. `"downloaded"`).
    #[pyo3(signature = (status = None))]
    fn files<'py>(&self, py: Python<'py>, status: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let states: Vec<FileStatus> = match status {
            Some(s) => vec![FileStatus::parse(s).ok_or_else(|| {
                errors::TrackerError::new_err(format!(
                    "{s:?} is not a file state ({})",
                    FileStatus::ALL
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?],
            None => FileStatus::ALL.to_vec(),
        };
        let mut rows = Vec::new();
        for s in states {
            rows.extend(self.inner.files_with_status(s).map_err(errors::tracker)?);
        }
        rows.sort_by_key(|r| r.id);
        errors::to_py(py, &rows)
    }

    /// The submissions of a job, oldest first.
    fn submits<'py>(&self, py: Python<'py>, job_id: i64) -> PyResult<Bound<'py, PyAny>> {
        errors::to_py(py, &self.inner.submits_of_job(job_id).map_err(errors::tracker)?)
    }

    /// Rows by state for every table, live submissions and the `recent` last failures.
    #[pyo3(signature = (recent = 10))]
    fn status<'py>(&self, py: Python<'py>, recent: usize) -> PyResult<Bound<'py, PyAny>> {
        let r = palfa_tracker::StatusReport::gather(&self.inner, recent).map_err(errors::tracker)?;
        errors::to_py(py, &r)
    }

    /// Tracks the readable data files of `dir` as `palfa add-files` does;
    /// returns what was added, what was already tracked and what was skipped (with why).
    #[pyo3(signature = (dir, recursive = false))]
    fn add_files<'py>(&self, py: Python<'py>, dir: PathBuf, recursive: bool) -> PyResult<Bound<'py, PyAny>> {
        let r = palfa_tracker::ops::add_files(&self.inner, &dir, recursive).map_err(errors::tracker)?;
        errors::to_py(py, &r)
    }

    /// The database file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.inner.path().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("<palfa.Tracker {}>", self.inner.path().display())
    }
}
