//! The working directory of a search, and handing finished results over.
//!
//! A search works in its own directory under `base_tmp_dir` (or the processing
//! directory) and copies its products into the results directory only when it
//! has finished, `results.json` last: a results directory holding
//! `results.json` is complete, one without it is not.

use std::path::{Path, PathBuf};

use palfa_core::formats::results::{sync_tree, SearchResults};

use crate::error::{SearchError, SearchResult};

/// A working directory, removed when dropped unless kept.
#[derive(Debug)]
pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// Creates `<base>/<name>.<pid>` with a `results/` subdirectory.
    pub fn create(base: &Path, name: &str, keep: bool) -> SearchResult<Self> {
        let path = base.join(format!("{name}.{}", std::process::id()));
        std::fs::create_dir_all(path.join("results")).map_err(|e| SearchError::io(&path, e))?;
        Ok(Self { path, keep })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where finished products are collected before they are handed over.
    pub fn results(&self) -> PathBuf {
        self.path.join("results")
    }

    /// Copies every collected product into `outdir`, records their sizes,
    /// flushes them to disk, and writes `results.json` last, atomically (see
    /// [`SearchResults::write_dir`]): a crash at any moment leaves a directory
    /// without `results.json` or a complete one.
    pub fn deliver(&self, results: &mut SearchResults, outdir: &Path) -> SearchResult<()> {
        std::fs::create_dir_all(outdir).map_err(|e| SearchError::io(outdir, e))?;
        // A results.json of an earlier run in the same directory goes first:
        // until the new one is written the directory is incomplete.
        let old = outdir.join(palfa_core::formats::results::RESULTS_FILE);
        match std::fs::remove_file(&old) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SearchError::io(&old, e)),
        }
        copy_tree(&self.results(), outdir)?;
        results.record_file_sizes(outdir)?;
        sync_tree(outdir)?;
        results.write_dir(outdir)?;
        Ok(())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn copy_tree(from: &Path, to: &Path) -> SearchResult<()> {
    for entry in std::fs::read_dir(from).map_err(|e| SearchError::io(from, e))? {
        let entry = entry.map_err(|e| SearchError::io(from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            std::fs::create_dir_all(&dst).map_err(|e| SearchError::io(&dst, e))?;
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| SearchError::io(&dst, e))?;
        }
    }
    Ok(())
}
