//! Rows of `requests` and `download_attempts` (written by the downloader).

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::files::parse_status;
use super::tx::history_line;
use super::{Tracker, Tx};
use crate::clock;
use crate::error::{Result, TrackerError};
use crate::states::{AttemptStatus, RequestStatus, Status};

const REQUEST_COLUMNS: &str =
    "id, guid, size, numbits, numrequested, file_type, status, details, created_at, updated_at";

/// A row of `requests`: one restore request to the data archive.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestRow {
    /// Row id.
    pub id: i64,
    /// The archive's id for the restore (also its directory on the FTP server).
    pub guid: String,
    /// Total size of the restored files \[bytes\], once known.
    pub size: Option<u64>,
    /// Bit depth asked for.
    pub numbits: Option<u32>,
    /// Number of files asked for.
    pub numrequested: Option<u32>,
    /// Data type asked for (e.g. `mock`).
    pub file_type: Option<String>,
    /// Status.
    pub status: RequestStatus,
    /// History, one line per change.
    pub details: String,
    /// When the row was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
}

impl RequestRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            guid: r.get(1)?,
            size: r.get::<_, Option<i64>>(2)?.map(|v| v.max(0) as u64),
            numbits: r.get(3)?,
            numrequested: r.get(4)?,
            file_type: r.get(5)?,
            status: parse_status(&r.get::<_, String>(6)?, 6)?,
            details: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
        })
    }
}

/// A row of `download_attempts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptRow {
    /// Row id.
    pub id: i64,
    /// The file being fetched.
    pub file_id: i64,
    /// Status.
    pub status: AttemptStatus,
    /// History, one line per change.
    pub details: String,
    /// When the row was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
}

impl AttemptRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            file_id: r.get(1)?,
            status: parse_status(&r.get::<_, String>(2)?, 2)?,
            details: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
        })
    }
}

impl Tx<'_> {
    /// Records a restore request in state `waiting`; returns its id.
    pub fn insert_request(
        &self,
        guid: &str,
        numbits: u32,
        numrequested: u32,
        file_type: &str,
        note: &str,
    ) -> Result<i64> {
        let now = clock::now();
        self.sql().execute(
            "INSERT INTO requests (guid, numbits, numrequested, file_type, status, details, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                guid,
                numbits,
                numrequested,
                file_type,
                RequestStatus::Waiting.as_str(),
                history_line(&now, "created as waiting", note),
                now
            ],
        )?;
        Ok(self.sql().last_insert_rowid())
    }

    /// Sets a request's total size \[bytes\].
    pub fn set_request_size(&self, id: i64, size: u64) -> Result<()> {
        self.sql()
            .execute("UPDATE requests SET size = ?1 WHERE id = ?2", params![size as i64, id])?;
        Ok(())
    }

    /// Gives request `id` the GUID the archive answered (it was recorded
    /// with a placeholder before the archive was asked).
    pub fn set_request_guid(&self, id: i64, guid: &str) -> Result<()> {
        let n = self
            .sql()
            .execute("UPDATE requests SET guid = ?1 WHERE id = ?2", params![guid, id])?;
        if n == 0 {
            return Err(TrackerError::NotFound { table: "requests", id });
        }
        Ok(())
    }

    /// Records a download attempt of `file_id` in state `downloading`; returns its id.
    pub fn insert_attempt(&self, file_id: i64, note: &str) -> Result<i64> {
        let now = clock::now();
        self.sql().execute(
            "INSERT INTO download_attempts (file_id, status, details, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![
                file_id,
                AttemptStatus::Downloading.as_str(),
                history_line(&now, "created as downloading", note),
                now
            ],
        )?;
        Ok(self.sql().last_insert_rowid())
    }
}

impl Tracker {
    /// The request with row id `id`.
    pub fn request(&self, id: i64) -> Result<RequestRow> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE id = ?1"),
                [id],
                RequestRow::from_row,
            )
            .optional()
        })?
        .ok_or(TrackerError::NotFound { table: "requests", id })
    }

    /// The request whose GUID is `guid`.
    pub fn request_by_guid(&self, guid: &str) -> Result<Option<RequestRow>> {
        self.read(|c| {
            c.query_row(
                &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE guid = ?1"),
                [guid],
                RequestRow::from_row,
            )
            .optional()
        })
    }

    /// Requests in `status`, oldest first.
    pub fn requests_with_status(&self, status: RequestStatus) -> Result<Vec<RequestRow>> {
        self.read(|c| {
            c.prepare(&format!(
                "SELECT {REQUEST_COLUMNS} FROM requests WHERE status = ?1 ORDER BY id"
            ))?
            .query_map([status.as_str()], RequestRow::from_row)?
            .collect()
        })
    }

    /// Every request, oldest first.
    pub fn requests(&self) -> Result<Vec<RequestRow>> {
        self.read(|c| {
            c.prepare(&format!("SELECT {REQUEST_COLUMNS} FROM requests ORDER BY id"))?
                .query_map([], RequestRow::from_row)?
                .collect()
        })
    }

    /// Download attempts in `status`, oldest first.
    pub fn attempts_with_status(&self, status: AttemptStatus) -> Result<Vec<AttemptRow>> {
        self.read(|c| {
            c.prepare(
                "SELECT id, file_id, status, details, created_at, updated_at FROM download_attempts \
                 WHERE status = ?1 ORDER BY id",
            )?
            .query_map([status.as_str()], AttemptRow::from_row)?
            .collect()
        })
    }

    /// The download attempt with row id `id`.
    pub fn attempt(&self, id: i64) -> Result<AttemptRow> {
        self.read(|c| {
            c.query_row(
                "SELECT id, file_id, status, details, created_at, updated_at FROM download_attempts WHERE id = ?1",
                [id],
                AttemptRow::from_row,
            )
            .optional()
        })?
        .ok_or(TrackerError::NotFound {
            table: "download_attempts",
            id,
        })
    }

    /// The download attempts of a file, oldest first.
    pub fn attempts_of_file(&self, file_id: i64) -> Result<Vec<AttemptRow>> {
        self.read(|c| {
            c.prepare(
                "SELECT id, file_id, status, details, created_at, updated_at FROM download_attempts \
                 WHERE file_id = ?1 ORDER BY id",
            )?
            .query_map([file_id], AttemptRow::from_row)?
            .collect()
        })
    }
}
