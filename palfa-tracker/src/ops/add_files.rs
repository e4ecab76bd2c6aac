//! `palfa add-files DIR`: track data files that arrived without the downloader.

use std::path::{Path, PathBuf};

use palfa_core::beam::{detect_format, open_file};
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::db::{FileOrigin, NewFile, Tracker};
use crate::error::{Result, TrackerError};
use crate::states::FileStatus;

/// What `add_files` did with each file it looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AddReport {
    /// Files now tracked (row id, path).
    pub added: Vec<(i64, PathBuf)>,
    /// Files already tracked (path, the tracked file with that name).
    pub duplicates: Vec<(PathBuf, PathBuf)>,
    /// Files not added (path, why).
    pub skipped: Vec<(PathBuf, String)>,
}

/// Checks that `path` is a readable SIGPROC filterbank or PSRFITS file (its
/// header parses); returns the format's name. A reader that panics on a
/// hostile file is caught and reported as the file's error.
pub fn check_data_file(path: &Path) -> Result<String, String> {
    match std::panic::catch_unwind(|| check_data_file_inner(path)) {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            Err(format!("the reader failed on this file (a bug in palfa: {what})"))
        }
    }
}

fn check_data_file_inner(path: &Path) -> Result<String, String> {
    let format = detect_format(path).map_err(|e| format!("not a data file: {e}"))?;
    let src = open_file(path).map_err(|e| format!("unreadable {format:?} file: {e}"))?;
    if src.header().nsamples == 0 {
        return Err("the file holds no spectra".into());
    }
    Ok(format!("{format:?}"))
}

/// Tracks every readable data file in `dir` (and its subdirectories with
/// `recursive`) as `downloaded`, origin `added`. A file is not added twice:
/// not if its path is tracked, nor if a file with the same name is. Hidden
/// files and files that are not data are skipped, and listed.
pub fn add_files(tracker: &Tracker, dir: &Path, recursive: bool) -> Result<AddReport> {
    let dir = std::fs::canonicalize(dir).map_err(|e| TrackerError::io(dir, e))?;
    let mut paths = Vec::new();
    collect(&dir, recursive, &mut paths)?;
    paths.sort();
    let mut report = AddReport::default();
    for path in paths {
        let format = match check_data_file(&path) {
            Ok(f) => f,
            Err(why) => {
                report.skipped.push((path, why));
                continue;
            }
        };
        let size = std::fs::metadata(&path).map(|m| m.len()).ok();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let new = NewFile {
            filename: path.clone(),
            remote_filename: None,
            request_id: None,
            size,
            origin: FileOrigin::Added,
            status: FileStatus::Downloaded,
        };
        let note = format!("added by `palfa add-files` ({format}, {} bytes)", size.unwrap_or(0));
        let outcome = tracker.transaction(|t| {
            let same_name: Option<String> = t
                .sql()
                .query_row(
                    "SELECT filename FROM files WHERE name = ?1 OR filename = ?2 ORDER BY id LIMIT 1",
                    [name.as_str(), path.to_string_lossy().as_ref()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(existing) = same_name {
                return Ok(Err(PathBuf::from(existing)));
            }
            Ok(t.insert_file(&new, &note)?.ok_or_else(|| path.clone()))
        })?;
        match outcome {
            Ok(id) => report.added.push((id, path)),
            Err(existing) => report.duplicates.push((path, existing)),
        }
    }
    Ok(report)
}

fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| TrackerError::io(dir, e))?;
    for e in entries {
        let e = e.map_err(|err| TrackerError::io(dir, err))?;
        let path = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = e.file_type().map_err(|err| TrackerError::io(&path, err))?;
        if ft.is_dir() {
            if recursive {
                collect(&path, recursive, out)?;
            }
        } else if ft.is_file() || ft.is_symlink() {
            out.push(path);
        }
    }
    Ok(())
}
