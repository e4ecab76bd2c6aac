//! One job pooler per database: an exclusive `flock` on `<db>.pooler.lock`,
//! held while the pooler runs and released by the kernel when its process
//! ends, however it ends.

use std::path::Path;

use crate::error::{Result, TrackerError};
use crate::process_lock::{LockError, ProcessLock};

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct PoolerLock(ProcessLock);

impl PoolerLock {
    /// Takes the lock of the database at `db`, or fails if another pooler holds it.
    pub fn acquire(db: &Path) -> Result<Self> {
        match ProcessLock::acquire(db, "pooler") {
            Ok(l) => Ok(Self(l)),
            Err(LockError::Held { lock }) => Err(TrackerError::PoolerRunning {
                db: db.to_path_buf(),
                lock,
            }),
            Err(LockError::Io { lock, source }) => Err(TrackerError::io(lock, source)),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.0.path()
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
