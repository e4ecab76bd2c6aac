//! Rows of `files`: raw data files, downloaded or added by hand.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::tx::history_line;
use super::{Tracker, Tx};
use crate::clock;
use crate::error::Result;
use crate::states::{FileStatus, Status};

/// How a file came to be tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileOrigin {
    /// Fetched by the downloader.
    Download,
    /// Tracked by `palfa add-files` (the original's `added` state).
    Added,
}

impl FileOrigin {
    fn as_str(self) -> &'static str {
        match self {
            FileOrigin::Download => "download",
            FileOrigin::Added => "added",
        }
    }
}

/// A row of `files`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
    /// Absolute path on local disk.
    pub filename: PathBuf,
    /// The file name without its directory.
    pub name: String,
    /// Path on the archive's server (downloaded files).
    pub remote_filename: Option<String>,
    /// The restore request that brought it (downloaded files).
    pub request_id: Option<i64>,
    /// Size \[bytes\], if known.
    pub size: Option<u64>,
    /// Downloaded or added.
    pub origin: FileOrigin,
    /// Status.
    pub status: FileStatus,
    /// History, one line per change.
    pub details: String,
    /// When the row was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
    /// When it became `downloaded` (UTC).
    pub downloaded_at: Option<String>,
    /// When it was reported as a Mock half without its partner (UTC).
    pub lone_reported_at: Option<String>,
}

pub(crate) const FILE_COLUMNS: &str = "files.id, files.filename, files.name, files.remote_filename, files.request_id, \
     files.size, files.origin, files.status, files.details, files.created_at, files.updated_at, \
     files.downloaded_at, files.lone_reported_at";

const FILES_WITHOUT_JOB: &str = "SELECT files.id, files.filename, files.name, files.remote_filename, \
     files.request_id, files.size, files.origin, files.status, files.details, files.created_at, files.updated_at, \
     files.downloaded_at, files.lone_reported_at FROM files WHERE status = 'downloaded' \
     AND NOT EXISTS (SELECT 1 FROM job_files jf WHERE jf.file_id = files.id) ORDER BY id";

impl FileRow {
    pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        let status: String = r.get(7)?;
        let origin: String = r.get(6)?;
        Ok(Self {
            id: r.get(0)?,
            filename: PathBuf::from(r.get::<_, String>(1)?),
            name: r.get(2)?,
            remote_filename: r.get(3)?,
            request_id: r.get(4)?,
            size: r.get::<_, Option<i64>>(5)?.map(|s| s.max(0) as u64),
            origin: if origin == "added" {
                FileOrigin::Added
            } else {
                FileOrigin::Download
            },
            status: parse_status(&status, 7)?,
            details: r.get(8)?,
            created_at: r.get(9)?,
            updated_at: r.get(10)?,
            downloaded_at: r.get(11)?,
            lone_reported_at: r.get(12)?,
        })
    }
}

/// Reads a stored status inside a row mapper.
pub(crate) fn parse_status<S: Status>(s: &str, col: usize) -> rusqlite::Result<S> {
    S::parse(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            col,
            rusqlite::types::Type::Text,
            format!("{}: unknown status {s:?}", S::TABLE).into(),
        )
    })
}

/// A file to start tracking.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFile {
    /// Absolute path on local disk (where it is, or will be once downloaded).
    pub filename: PathBuf,
    /// Path on the archive's server.
    pub remote_filename: Option<String>,
    /// The restore request that brought it.
    pub request_id: Option<i64>,
    /// Size \[bytes\], if known.
    pub size: Option<u64>,
    /// Downloaded or added.
    pub origin: FileOrigin,
    /// The state it starts in (`new` for the downloader, `downloaded` for added files).
    pub status: FileStatus,
}

impl Tx<'_> {
    /// Starts tracking a file; returns its id, or `None` if a file with the same
    /// path is already tracked (then nothing changes).
    pub fn insert_file(&self, f: &NewFile, note: &str) -> Result<Option<i64>> {
        let now = clock::now();
        let name = f
            .filename
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let downloaded_at = (f.status == FileStatus::Downloaded).then(|| now.clone());
        let n = self.sql().execute(
            "INSERT INTO files (filename, name, remote_filename, request_id, size, origin, downloaded_at, \
             status, details, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) ON CONFLICT(filename) DO NOTHING",
            params![
                f.filename.to_string_lossy(),
                name,
                f.remote_filename,
                f.request_id,
                f.size.map(|s| s as i64),
                f.origin.as_str(),
                downloaded_at,
                f.status.as_str(),
                history_line(&now, &format!("created as {}", f.status), note),
                now,
            ],
        )?;
        Ok((n == 1).then(|| self.sql().last_insert_rowid()))
    }

    /// Downloaded files that are not part of any job yet, oldest first.
    pub fn files_without_job(&self) -> Result<Vec<FileRow>> {
        let mut st = self.sql().prepare(FILES_WITHOUT_JOB)?;
        let rows = st
            .query_map([], FileRow::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Records that a lone Mock half was reported.
    pub(crate) fn mark_lone_reported(&self, file_id: i64, note: &str) -> Result<()> {
        self.note::<FileStatus>(file_id, note)?;
        self.sql().execute(
            "UPDATE files SET lone_reported_at = ?1 WHERE id = ?2",
            params![clock::now(), file_id],
        )?;
        Ok(())
    }
}

impl Tracker {
    /// The file with row id `id`.
    pub fn file(&self, id: i64) -> Result<FileRow> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE id = ?1");
        self.read(|c| c.query_row(&sql, [id], FileRow::from_row).optional())?
            .ok_or(crate::TrackerError::NotFound { table: "files", id })
    }

    /// The file tracked at `path` (as stored: absolute).
    pub fn file_by_path(&self, path: &Path) -> Result<Option<FileRow>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE filename = ?1");
        self.read(|c| {
            c.query_row(&sql, [path.to_string_lossy()], FileRow::from_row)
                .optional()
        })
    }

    /// Files whose name (without directory) is `name`.
    pub fn files_named(&self, name: &str) -> Result<Vec<FileRow>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE name = ?1 ORDER BY id");
        self.read(|c| c.prepare(&sql)?.query_map([name], FileRow::from_row)?.collect())
    }

    /// Files in `status`, oldest first.
    pub fn files_with_status(&self, status: FileStatus) -> Result<Vec<FileRow>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE status = ?1 ORDER BY id");
        self.read(|c| {
            c.prepare(&sql)?
                .query_map([status.as_str()], FileRow::from_row)?
                .collect()
        })
    }

    /// Downloaded files that are not part of any job yet, oldest first.
    pub fn files_without_job(&self) -> Result<Vec<FileRow>> {
        self.read(|c| {
            c.prepare(FILES_WITHOUT_JOB)?
                .query_map([], FileRow::from_row)?
                .collect()
        })
    }

    /// The files of restore request `request_id`, oldest first.
    pub fn files_of_request(&self, request_id: i64) -> Result<Vec<FileRow>> {
        let sql = format!("SELECT {FILE_COLUMNS} FROM files WHERE request_id = ?1 ORDER BY id");
        self.read(|c| c.prepare(&sql)?.query_map([request_id], FileRow::from_row)?.collect())
    }

    /// For each file state: the number of files and the sum of their known
    /// sizes \[bytes\] (states with no file are left out).
    pub fn file_sizes_by_status(&self) -> Result<Vec<(FileStatus, usize, u64)>> {
        let rows: Vec<(String, i64, i64)> = self.read(|c| {
            c.prepare(
                "SELECT status, COUNT(*), COALESCE(SUM(MAX(COALESCE(size, 0), 0)), 0) FROM files GROUP BY status",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n, b)| Some((FileStatus::parse(&s)?, n as usize, b.max(0) as u64)))
            .collect())
    }

    /// The mean size of the files whose size is known \[bytes\], if any.
    pub fn mean_file_size(&self) -> Result<Option<u64>> {
        let v: Option<f64> =
            self.read(|c| c.query_row("SELECT AVG(size) FROM files WHERE size > 0", [], |r| r.get(0)))?;
        Ok(v.map(|x| x.round() as u64))
    }

    /// Starts tracking one file (see [`Tx::insert_file`]).
    pub fn insert_file(&self, f: &NewFile, note: &str) -> Result<Option<i64>> {
        self.transaction(|t| t.insert_file(f, note))
    }

    /// Moves file `id` to `to` (checked); returns the state it left.
    pub fn set_file_status(&self, id: i64, to: FileStatus, note: &str) -> Result<FileStatus> {
        self.transaction(|t| t.set_status(id, to, note))
    }
}
