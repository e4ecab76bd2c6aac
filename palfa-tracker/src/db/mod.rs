//! The job-tracker database: one SQLite file shared by the downloader, the job
//! pooler, the uploader and the utilities, each in its own process.
//!
//! Every connection uses WAL mode (readers never wait for the writer),
//! `synchronous = FULL` (a commit is on disk before it returns), a busy
//! timeout, and `BEGIN IMMEDIATE` for writes, so that a writer waits for the
//! lock up front instead of failing half way; a write that still meets
//! `SQLITE_BUSY` is retried. Every state change goes through a [`Tx`], which
//! checks the transition and appends a line to the row's history.

mod files;
mod jobs;
mod requests;
mod schema;
mod tx;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

pub use files::{FileOrigin, FileRow, NewFile};
pub use jobs::{JobRow, SubmitRow};
pub use requests::{AttemptRow, RequestRow};
pub use schema::SCHEMA_VERSION;
pub use tx::{last_note, Tx, MAX_NOTE_BYTES};

use crate::error::{is_busy, Result, TrackerError};

/// How long one statement waits for another process's lock \[ms\].
pub const BUSY_TIMEOUT_MS: u64 = 30_000;
/// Extra tries of a whole write transaction that still met `SQLITE_BUSY`.
const BUSY_RETRIES: u32 = 20;

/// An open job-tracker database.
///
/// One value per thread: it holds one SQLite connection (`Send`, not `Sync`).
#[derive(Debug)]
pub struct Tracker {
    conn: Connection,
    path: PathBuf,
}

impl Tracker {
    /// Creates the database at `path` with the current schema. An existing
    /// database is left as it is. Returns the tracker and whether it was created.
    pub fn create(path: impl AsRef<Path>) -> Result<(Self, bool)> {
        let path = path.as_ref();
        let existed = path.exists();
        if !existed {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| TrackerError::io(dir, e))?;
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let t = Self::connect(path, flags)?;
        if !existed || t.schema_version()? == 0 {
            t.migrate()?;
        }
        Ok((t, !existed))
    }

    /// Opens an existing database whose schema is current.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let t = Self::open_any_version(path)?;
        let found = t.schema_version()?;
        if found < SCHEMA_VERSION {
            return Err(TrackerError::OldSchema {
                path: t.path.clone(),
                found,
                wanted: SCHEMA_VERSION,
            });
        }
        if found > SCHEMA_VERSION {
            return Err(TrackerError::NewerSchema {
                path: t.path.clone(),
                found,
                wanted: SCHEMA_VERSION,
            });
        }
        Ok(t)
    }

    /// Opens an existing database whatever its schema version (for [`migrate`](Self::migrate)).
    pub fn open_any_version(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(TrackerError::Missing(path.to_path_buf()));
        }
        Self::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<Self> {
        let err = |source| TrackerError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX).map_err(err)?;
        conn.busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS)).map_err(err)?;
        let t = Self {
            conn,
            path: path.to_path_buf(),
        };
        // Switching to WAL needs the write lock once; retry like any write.
        t.retry_busy(|| {
            let mode: String = t.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(db = %path.display(), mode, "SQLite refused WAL mode");
            }
            Ok(())
        })?;
        t.conn
            // FULL: a committed change survives a power cut (NORMAL in WAL mode
            // may lose the last commits, e.g. a `submitting` row whose job the
            // queue already holds). The tracker writes little, so it costs little.
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(err)?;
        Ok(t)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version stored in the file (0: empty).
    pub fn schema_version(&self) -> Result<i64> {
        self.read(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
    }

    /// Applies every migration the database lacks. Returns the versions before and after.
    pub fn migrate(&self) -> Result<(i64, i64)> {
        let before = self.schema_version()?;
        if before > SCHEMA_VERSION {
            return Err(TrackerError::NewerSchema {
                path: self.path.clone(),
                found: before,
                wanted: SCHEMA_VERSION,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate() {
            let target = i as i64 + 1;
            self.write_raw(|tx| {
                // Re-read inside the lock: another process may have migrated meanwhile.
                let v: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                if v < target {
                    tx.execute_batch(sql)?;
                    tx.execute_batch(&format!("PRAGMA user_version = {target}"))?;
                }
                Ok(())
            })?;
        }
        Ok((before, self.schema_version()?))
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`) and commits it.
    ///
    /// If `f` fails, nothing it did is kept. If SQLite reports the database busy
    /// even after the busy timeout, the whole transaction is run again (so `f`
    /// may run more than once and must not have effects outside the database).
    pub fn transaction<T>(&self, mut f: impl FnMut(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_raw(|tx| {
            let t = Tx::new(tx);
            f(&t).map_err(Inner::Tracker)
        })
    }

    /// Like [`transaction`](Self::transaction), on the raw connection (crate-internal).
    fn write_raw<T>(&self, mut f: impl FnMut(&Transaction<'_>) -> Result<T, Inner>) -> Result<T> {
        let mut delay = Duration::from_millis(5);
        for attempt in 0..=BUSY_RETRIES {
            let outcome = (|| -> Result<T, Inner> {
                let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
                let v = f(&tx)?;
                tx.commit()?;
                Ok(v)
            })();
            match outcome {
                Ok(v) => return Ok(v),
                Err(e) if e.is_busy() && attempt < BUSY_RETRIES => {
                    tracing::debug!(db = %self.path.display(), attempt, "database busy; retrying the transaction");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
                Err(e) => return Err(self.locate(e)),
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Runs a read (auto-commit; sees one consistent snapshot per statement).
    pub(crate) fn read<T>(&self, f: impl Fn(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        self.retry_busy(|| f(&self.conn))
    }

    fn retry_busy<T>(&self, f: impl Fn() -> rusqlite::Result<T>) -> Result<T> {
        let mut delay = Duration::from_millis(5);
        for attempt in 0..=BUSY_RETRIES {
            match f() {
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
                r => return r.map_err(|source| self.sql_error(source)),
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    fn sql_error(&self, source: rusqlite::Error) -> TrackerError {
        TrackerError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn locate(&self, e: Inner) -> TrackerError {
        match e {
            Inner::Sql(source) => self.sql_error(source),
            Inner::Tracker(TrackerError::Sqlite { path, source }) if path.as_os_str().is_empty() => {
                self.sql_error(source)
            }
            Inner::Tracker(e) => e,
        }
    }
}

/// Errors inside a transaction: SQLite's own, or ours.
#[derive(Debug)]
enum Inner {
    Sql(rusqlite::Error),
    Tracker(TrackerError),
}

impl Inner {
    fn is_busy(&self) -> bool {
        match self {
            Inner::Sql(e) => is_busy(e),
            Inner::Tracker(e) => e.is_busy(),
        }
    }
}

impl From<rusqlite::Error> for Inner {
    fn from(e: rusqlite::Error) -> Self {
        Inner::Sql(e)
    }
}

/// A SQLite error inside a [`Tx`]; the tracker adds the database path when it
/// leaves the transaction.
impl From<rusqlite::Error> for TrackerError {
    fn from(source: rusqlite::Error) -> Self {
        TrackerError::Sqlite {
            path: PathBuf::new(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let (t, _) = super::Tracker::create(dir.path().join("t.db")).unwrap();
        let sync: i64 = t.read(|c| c.query_row("PRAGMA synchronous", [], |r| r.get(0))).unwrap();
        assert_eq!(sync, 2, "synchronous must be FULL (2)");
        let mode: String = t
            .read(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
