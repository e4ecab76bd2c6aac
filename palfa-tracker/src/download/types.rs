//! The downloader's settings, errors and reports.

use std::path::PathBuf;
use std::time::Duration;

use palfa_core::config::Config;
use serde::Serialize;

use crate::archive::ArchiveError;
use crate::TrackerError;

/// What went wrong in the downloader itself (the archive's own failures are
/// recorded in the tracker, not returned).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// The tracker failed.
    #[error(transparent)]
    Tracker(#[from] TrackerError),
    /// The archive cannot be used (its settings).
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A local file or directory could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another downloader holds the lock on this database.
    #[error("another downloader is running on {} (lock file {})", db.display(), lock.display())]
    AlreadyRunning {
        /// The database.
        db: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
}

/// What the downloader needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadSettings {
    /// Directory the files are downloaded into.
    pub temp: PathBuf,
    /// Bytes the downloaded files may take.
    pub space_to_use: u64,
    /// Bytes the file system must keep free.
    pub min_free_space: u64,
    /// Transfers at once.
    pub numdownloads: usize,
    /// Restores waiting at once.
    pub numrestores: usize,
    /// Counted attempts per file before it is a terminal failure (at least 1).
    pub numretries: usize,
    /// Most files per restore request.
    pub files_per_restore: usize,
    /// Bit depth asked for (recorded with each request).
    pub numbits: u32,
    /// Data type asked for (recorded with each request).
    pub file_type: String,
    /// A restore not ready after this long is failed.
    pub request_timeout: Duration,
    /// Size assumed per file not yet listed \[bytes\].
    pub file_size_estimate: u64,
    /// After a refused or failed restore request, wait this long before the next.
    pub request_backoff: Duration,
}

impl DownloadSettings {
    /// The settings of a checked configuration.
    pub fn from_config(cfg: &Config) -> Self {
        let d = &cfg.download;
        Self {
            temp: d.temp.clone(),
            space_to_use: d.space_to_use,
            min_free_space: d.min_free_space,
            numdownloads: d.numdownloads.max(1),
            numrestores: d.numrestores.max(1),
            numretries: d.numretries.max(1),
            files_per_restore: d.files_per_restore.max(1),
            numbits: d.request_numbits,
            file_type: d.request_datatype.clone(),
            request_timeout: Duration::from_secs_f64(d.request_timeout_hours * 3600.0),
            file_size_estimate: d.file_size_estimate,
            request_backoff: Duration::from_secs_f64(cfg.background.sleep_s.max(60.0)),
        }
    }
}

/// What one iteration did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DownloadReport {
    /// Attempts found without a live transfer (a downloader died) and interrupted.
    pub interrupted: usize,
    /// Transfers that ended with all bytes received.
    pub received: usize,
    /// Transfers that failed.
    pub transfer_failed: usize,
    /// Restore requests made and answered with a GUID.
    pub requested: usize,
    /// Restore requests refused or failed.
    pub request_failed: usize,
    /// Restores found ready and listed.
    pub ready: usize,
    /// Restores failed for taking longer than `request_timeout_hours`.
    pub timed_out: usize,
    /// Files newly tracked from listings.
    pub files_listed: usize,
    /// Listed names refused.
    pub names_refused: usize,
    /// Transfers started.
    pub started: usize,
    /// Files checked and `downloaded`.
    pub downloaded: usize,
    /// Files whose size did not match.
    pub verification_failed: usize,
    /// Files put back for another attempt.
    pub retried: usize,
    /// Files given up.
    pub terminal: usize,
    /// The disk budget kept a request or a download from being made.
    pub budget_full: bool,
    /// Requests waiting, files not yet downloaded or given up, and live transfers, at the end.
    pub pending: usize,
}

/// How [`Downloader::run`] loops.
#[derive(Debug, Clone, PartialEq)]
pub struct DownloadRunOptions {
    /// Pause between iterations (cut short when a transfer ends).
    pub sleep: Duration,
    /// Stop once nothing is waiting, downloading or retrying.
    pub until_idle: bool,
    /// Stop after this many iterations.
    pub max_iterations: Option<usize>,
    /// Return the first iteration error instead of logging it and going on.
    pub stop_on_error: bool,
}

/// Why [`Downloader::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DownloadStop {
    /// The stop flag was raised (SIGINT / SIGTERM); transfers were abandoned.
    Signal,
    /// Nothing pending.
    Idle,
    /// `max_iterations` were done.
    Iterations,
}

/// A transfer in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferInfo {
    /// The file.
    pub file_id: i64,
    /// The attempt.
    pub attempt_id: i64,
    /// The file's name.
    pub name: String,
    /// Its listed size \[bytes\].
    pub size: u64,
    /// Bytes received so far.
    pub done: u64,
    /// Time since the transfer started \[ms\].
    pub elapsed_ms: u64,
}
