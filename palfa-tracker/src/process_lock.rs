//! One daemon of a kind per database: an exclusive `flock` on
//! `<db>.<role>.lock`, released by the kernel when the process ends, however
//! it ends. The pooler and the downloader hold one each.

use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

/// Why a lock was not taken.
#[derive(Debug)]
pub(crate) enum LockError {
    /// Another process holds it.
    Held {
        /// The lock file.
        lock: PathBuf,
    },
    /// The lock file could not be opened or locked.
    Io {
        /// The lock file.
        lock: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub(crate) struct ProcessLock {
    _file: File,
    path: PathBuf,
}

impl ProcessLock {
    /// Takes `<db>.<role>.lock`, or fails at once if another process holds it.
    pub(crate) fn acquire(db: &Path, role: &str) -> Result<Self, LockError> {
        let mut name = db.as_os_str().to_owned();
        name.push(format!(".{role}.lock"));
        let path = PathBuf::from(name);
        let file = match std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(source) => return Err(LockError::Io { lock: path, source }),
        };
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(LockError::Held { lock: path }),
            Err(e) => Err(LockError::Io {
                lock: path,
                source: e.into(),
            }),
        }
    }

    /// The lock file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}
