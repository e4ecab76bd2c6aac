//! The configuration a call runs with: a `palfa.toml`, or palfa's built-in
//! defaults ([`Config::builtin`], in memory; a search then works in its own
//! directory under the system's temporary directory).

use std::path::PathBuf;

use palfa_core::config::{Config, Searching};
use pyo3::prelude::*;

use crate::errors;

/// `config` loaded and checked, or the built-in defaults.
pub(crate) fn load(config: Option<PathBuf>) -> PyResult<Config> {
    match config {
        Some(path) => Config::load(&path).map_err(errors::config),
        None => Ok(Config::builtin()),
    }
}

/// `[searching]` of `config`, or the built-in defaults.
pub(crate) fn searching(config: Option<PathBuf>) -> PyResult<Searching> {
    Ok(load(config)?.searching)
}
