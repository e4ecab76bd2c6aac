//! One downloader per database: an exclusive `flock` on `<db>.downloader.lock`,
//! released by the kernel when the process ends, however it ends. Holding it
//! is what lets a starting downloader treat every `downloading` attempt as dead.

use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

use super::DownloadError;

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct DownloaderLock {
    _file: File,
    path: PathBuf,
}

impl DownloaderLock {
    /// Takes the lock of the database at `db`, or fails if another downloader holds it.
    pub fn acquire(db: &Path) -> Result<Self, DownloadError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".downloader.lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DownloadError::Io {
                path: path.clone(),
                source: e,
            })?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(DownloadError::AlreadyRunning {
                db: db.to_path_buf(),
                lock: path,
            }),
            Err(e) => Err(DownloadError::Io { path, source: e.into() }),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
