//! One transfer, on its own thread: `RETR` into `<name>.part`, then the
//! attempt and the file move to `unverified` (or `download_failed` /
//! `interrupted`, with the `.part` removed), in the worker's own connection
//! to the tracker so that the tracker's timestamps are the transfer's own.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use crate::archive::{Archive, ArchiveError, RemoteFile};
use crate::db::Tracker;
use crate::states::{AttemptStatus, FileStatus};

/// What a transfer needs.
pub(crate) struct Job {
    pub db: PathBuf,
    pub archive: Arc<dyn Archive>,
    pub guid: String,
    pub file: RemoteFile,
    pub file_id: i64,
    pub attempt_id: i64,
    pub dest: PathBuf,
    pub bytes: Arc<AtomicU64>,
    pub stop: Arc<AtomicBool>,
    pub done: Sender<i64>,
}

/// How a transfer ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// All bytes the server sent are in the `.part` file.
    Received(u64),
    /// The transfer failed; the reason.
    Failed(String),
    /// Abandoned because the downloader is stopping.
    Interrupted,
    /// The tracker could not be written; the attempt is left for recovery.
    Untracked(String),
}

/// The partial file of a download into `dest`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Runs the transfer and records how it ended.
pub(crate) fn run(job: Job) -> Outcome {
    let outcome = match Tracker::open(&job.db) {
        Ok(tracker) => transfer(&job, &tracker),
        Err(e) => Outcome::Untracked(e.to_string()),
    };
    let _ = job.done.send(job.attempt_id);
    outcome
}

fn transfer(job: &Job, tracker: &Tracker) -> Outcome {
    let part = part_path(&job.dest);
    let result = fetch(job, tracker, &part);
    let (attempt_to, file_to, note, outcome) = match result {
        Ok(n) => (
            AttemptStatus::Unverified,
            FileStatus::Unverified,
            format!("received {n} bytes (the archive listed {})", job.file.size),
            Outcome::Received(n),
        ),
        Err(ArchiveError::Stopped) => {
            remove_part(&part);
            (
                AttemptStatus::Interrupted,
                FileStatus::Failed,
                "interrupted: the downloader stopped during the transfer (partial file removed)".to_string(),
                Outcome::Interrupted,
            )
        }
        Err(e) => {
            remove_part(&part);
            let why = e.to_string();
            (
                AttemptStatus::DownloadFailed,
                FileStatus::Failed,
                why.clone(),
                Outcome::Failed(why),
            )
        }
    };
    let written = tracker.transaction(|t| {
        if t.set_status_from(job.attempt_id, AttemptStatus::Downloading, attempt_to, &note)? {
            t.set_status_from(job.file_id, FileStatus::Downloading, file_to, &note)?;
        }
        Ok(())
    });
    match written {
        Ok(()) => outcome,
        Err(e) => Outcome::Untracked(e.to_string()),
    }
}

fn fetch(job: &Job, tracker: &Tracker, part: &Path) -> Result<u64, ArchiveError> {
    let local = |source| ArchiveError::Local {
        path: part.display().to_string(),
        source,
    };
    // Unbuffered: the archive client writes in large chunks, and the size of
    // the `.part` on disk is the progress `palfa status` shows.
    let mut w = File::create(part).map_err(local)?;
    let mut started = || {
        let note = "the server accepted RETR; receiving";
        if let Err(e) = tracker.transaction(|t| t.note::<AttemptStatus>(job.attempt_id, note)) {
            tracing::warn!(attempt = job.attempt_id, "could not note the transfer's start: {e}");
        }
    };
    let n = job
        .archive
        .fetch(&job.guid, &job.file, &mut w, &job.bytes, &mut started, &job.stop)?;
    w.flush().map_err(local)?;
    w.sync_all().map_err(local)?;
    Ok(n)
}

/// Removes a partial file; a missing one is fine.
pub(crate) fn remove_part(part: &Path) {
    match std::fs::remove_file(part) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!("could not remove {}: {e}", part.display()),
    }
}
