//! The crate's error type.

use std::path::PathBuf;

use crate::queue::QueueError;
use crate::states::{IllegalTransition, UnknownState};

/// What went wrong in the tracker, the pooler or a utility.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackerError {
    /// SQLite failed.
    #[error("job-tracker database {}: {source}", path.display())]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The database does not exist (`palfa db create` makes it).
    #[error("job-tracker database {} does not exist (create it with `palfa db create`)", .0.display())]
    Missing(PathBuf),
    /// The database's schema is older than this program's (`palfa db migrate` updates it).
    #[error("job-tracker database {} has schema version {found}, this palfa needs {wanted} (run `palfa db migrate`)", path.display())]
    OldSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The version this build uses.
        wanted: i64,
    },
    /// The database was made by a newer palfa.
    #[error("job-tracker database {} has schema version {found}, newer than this palfa knows ({wanted})", path.display())]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The newest version this build knows.
        wanted: i64,
    },
    /// A state change the life cycle does not allow.
    #[error("row {id}: {source}")]
    Illegal {
        /// The row.
        id: i64,
        /// The move asked for.
        source: IllegalTransition,
    },
    /// A stored status is not one of the table's states.
    #[error("row {id}: {source}")]
    UnknownState {
        /// The row.
        id: i64,
        /// What was stored.
        source: UnknownState,
    },
    /// No row with this id.
    #[error("{table}: no row with id {id}")]
    NotFound {
        /// The table.
        table: &'static str,
        /// The id asked for.
        id: i64,
    },
    /// A file or directory could not be read, written or removed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Another job pooler holds the lock on this database.
    #[error("another job pooler is running on {} (lock file {})", db.display(), lock.display())]
    PoolerRunning {
        /// The database.
        db: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The queue manager failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// A request the utilities cannot carry out (the message says why).
    #[error("{0}")]
    Refused(String),
}

impl TrackerError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrackerError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether this is SQLite saying the database is busy or locked.
    pub fn is_busy(&self) -> bool {
        matches!(self, TrackerError::Sqlite { source, .. } if is_busy(source))
    }
}

/// Whether a SQLite error is `SQLITE_BUSY` or `SQLITE_LOCKED`.
pub(crate) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Results of this crate.
pub type Result<T, E = TrackerError> = std::result::Result<T, E>;
