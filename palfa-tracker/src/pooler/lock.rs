//! One job pooler per database: an exclusive `flock` on `<db>.pooler.lock`,
//! held while the pooler runs and released by the kernel when its process
//! ends, however it ends.

use std::fs::File;
use std::path::{Path, PathBuf};

use rustix::fs::{flock, FlockOperation};

use crate::error::{Result, TrackerError};

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct PoolerLock {
    _file: File,
    path: PathBuf,
}

impl PoolerLock {
    /// Takes the lock of the database at `db`, or fails if another pooler holds it.
    pub fn acquire(db: &Path) -> Result<Self> {
        let mut name = db.as_os_str().to_owned();
        name.push(".pooler.lock");
        let path = PathBuf::from(name);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| TrackerError::io(&path, e))?;
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(TrackerError::PoolerRunning {
                db: db.to_path_buf(),
                lock: path,
            }),
            Err(e) => Err(TrackerError::io(&path, e.into())),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_pooler_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let a = PoolerLock::acquire(&db).unwrap();
        assert!(matches!(
            PoolerLock::acquire(&db),
            Err(TrackerError::PoolerRunning { .. })
        ));
        drop(a);
        PoolerLock::acquire(&db).unwrap();
    }
}
