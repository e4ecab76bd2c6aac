//! One downloader per database: an exclusive `flock` on `<db>.downloader.lock`,
//! released by the kernel when the process ends, however it ends. Holding it
//! is what lets a starting downloader treat every `downloading` attempt as dead.

use std::path::Path;

use super::DownloadError;
use crate::process_lock::{LockError, ProcessLock};

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct DownloaderLock(ProcessLock);

impl DownloaderLock {
    /// Takes the lock of the database at `db`, or fails if another downloader holds it.
    pub fn acquire(db: &Path) -> Result<Self, DownloadError> {
        match ProcessLock::acquire(db, "downloader") {
            Ok(l) => Ok(Self(l)),
            Err(LockError::Held { lock }) => Err(DownloadError::AlreadyRunning {
                db: db.to_path_buf(),
                lock,
            }),
            Err(LockError::Io { lock, source }) => Err(DownloadError::Io { path: lock, source }),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}
