//! Rust errors as Python exceptions: `PalfaError` and one subclass per kind,
//! each carrying the Rust message (which names the file, key or row).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(palfa, PalfaError, PyException, "Any error raised by palfa.");
create_exception!(
    palfa,
    FormatError,
    PalfaError,
    "A data file that cannot be read or written."
);
create_exception!(palfa, ConfigError, PalfaError, "A configuration that is not valid.");
create_exception!(palfa, SearchError, PalfaError, "A search stage failed.");
create_exception!(
    palfa,
    TrackerError,
    PalfaError,
    "The job-tracker database refused or failed."
);
create_exception!(
    palfa,
    ResultsDBError,
    PalfaError,
    "The results database could not be opened or read, or refused an upload."
);

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("PalfaError", py.get_type::<PalfaError>())?;
    m.add("FormatError", py.get_type::<FormatError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("SearchError", py.get_type::<SearchError>())?;
    m.add("TrackerError", py.get_type::<TrackerError>())?;
    m.add("ResultsDBError", py.get_type::<ResultsDBError>())?;
    // `palfa.Error`: the short name of the base class.
    m.add("Error", py.get_type::<PalfaError>())?;
    Ok(())
}

pub(crate) fn format(e: palfa_core::FormatError) -> PyErr {
    FormatError::new_err(e.to_string())
}

pub(crate) fn config(e: palfa_core::config::ConfigError) -> PyErr {
    ConfigError::new_err(e.to_string())
}

pub(crate) fn search(e: palfa_search::SearchError) -> PyErr {
    match e {
        palfa_search::SearchError::Format(f) => format(f),
        other => SearchError::new_err(other.to_string()),
    }
}

pub(crate) fn tracker(e: palfa_tracker::TrackerError) -> PyErr {
    TrackerError::new_err(e.to_string())
}

pub(crate) fn resultsdb(e: impl std::fmt::Display) -> PyErr {
    ResultsDBError::new_err(e.to_string())
}

pub(crate) fn other(e: impl std::fmt::Display) -> PyErr {
    PalfaError::new_err(e.to_string())
}

/// A Rust value as Python objects (dicts, lists, numbers, strings).
pub(crate) fn to_py<'py, T: serde::Serialize + ?Sized>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, v).map_err(other)
}
