//! The configuration a call runs with: a `palfa.toml`, or palfa's built-in
//! defaults (read in a private temporary directory, removed afterwards).

use std::path::PathBuf;

use palfa_core::config::{Config, Searching};
use pyo3::prelude::*;

use crate::errors;

/// A temporary directory removed when dropped.
pub(crate) struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `config` loaded, or the built-in defaults with their directories in a
/// fresh private scratch directory that lives as long as the returned guard.
pub(crate) fn load(config: Option<PathBuf>) -> PyResult<(Config, Option<Scratch>)> {
    match config {
        Some(path) => Ok((Config::load(&path).map_err(errors::config)?, None)),
        None => {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("palfa-py-{}-{n}", std::process::id()));
            let scratch = Scratch(dir.clone());
            Ok((Config::defaults_in(&dir).map_err(errors::config)?, Some(scratch)))
        }
    }
}

/// `[searching]` of `config`, or the built-in defaults.
pub(crate) fn searching(config: Option<PathBuf>) -> PyResult<Searching> {
    Ok(load(config)?.0.searching)
}
