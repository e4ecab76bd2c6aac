//! Steps 1, 4, 5 and 6 of the downloader: transfers (started, joined,
//! found dead after a crash), verification of what arrived, and retries.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use super::transfer::{self, part_path, remove_part, Job, Outcome};
use super::{DownloadError, DownloadReport, Downloader, Live};
use crate::archive::RemoteFile;
use crate::db::{last_note, FileRow};
use crate::states::{AttemptStatus, FileStatus};

impl Downloader {
    /// Joins finished transfers (all of them with `all`).
    pub(super) fn reap(&mut self, r: &mut DownloadReport, all: bool) {
        while self.done_rx.try_recv().is_ok() {}
        let ids: Vec<i64> = self
            .live
            .iter()
            .filter(|(_, l)| all || l.handle.is_finished())
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let Some(l) = self.live.remove(&id) else { continue };
            match l.handle.join() {
                Ok(Outcome::Received(n)) => {
                    r.received += 1;
                    tracing::debug!(file = %l.name, bytes = n, "transfer ended");
                }
                Ok(Outcome::Failed(why)) => {
                    r.transfer_failed += 1;
                    tracing::warn!(file = %l.name, "transfer failed: {why}");
                }
                Ok(Outcome::Interrupted) => {
                    tracing::info!(file = %l.name, "transfer abandoned");
                }
                Ok(Outcome::Untracked(why)) => {
                    tracing::error!(file = %l.name, "transfer's outcome not recorded: {why}");
                }
                Err(_) => tracing::error!(file = %l.name, "transfer thread panicked"),
            }
        }
    }

    /// Removes `.part` files of tracked files (none is live at start-up),
    /// except those of `unverified` files.
    pub(super) fn remove_stale_parts(&self) -> Result<(), DownloadError> {
        let dir = &self.settings.temp;
        let entries = std::fs::read_dir(dir).map_err(|e| DownloadError::Io {
            path: dir.clone(),
            source: e,
        })?;
        for e in entries.flatten() {
            let path = e.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(base) = name.strip_suffix(".part") else {
                continue;
            };
            // An `unverified` file's `.part` is complete: step 5 checks it.
            let tracked = self.tracker.file_by_path(&dir.join(base))?;
            if tracked.is_some_and(|f| f.status != FileStatus::Unverified) {
                tracing::info!("removing stale partial file {}", path.display());
                remove_part(&path);
            }
        }
        Ok(())
    }

    pub(super) fn check_attempts(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        for a in self.tracker.attempts_with_status(AttemptStatus::Downloading)? {
            if self.live.contains_key(&a.id) {
                continue;
            }
            let file = self.tracker.file(a.file_id)?;
            remove_part(&part_path(&file.filename));
            let note = "interrupted: no live transfer (the downloader stopped or died during it)";
            let moved = self.tracker.transaction(|t| {
                let moved = t.set_status_from(a.id, AttemptStatus::Downloading, AttemptStatus::Interrupted, note)?;
                if moved {
                    t.set_status_from(a.file_id, FileStatus::Downloading, FileStatus::Failed, note)?;
                }
                Ok(moved)
            })?;
            if moved {
                r.interrupted += 1;
                tracing::warn!(file = %file.name, attempt = a.id, "{note}");
            }
        }
        Ok(())
    }

    pub(super) fn start_downloads(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        if self.live.len() >= self.settings.numdownloads {
            return Ok(());
        }
        let mut queue = self.tracker.files_with_status(FileStatus::Retrying)?;
        queue.extend(self.tracker.files_with_status(FileStatus::New)?);
        for f in queue {
            if self.live.len() >= self.settings.numdownloads {
                break;
            }
            let size = f.size.unwrap_or(0);
            if size > self.settings.space_to_use {
                let note = format!(
                    "listed size {size} bytes is more than the whole download.space_to_use ({} bytes): never fits",
                    self.settings.space_to_use
                );
                if self
                    .tracker
                    .transaction(|t| t.set_status_from(f.id, f.status, FileStatus::TerminalFailure, &note))?
                {
                    r.terminal += 1;
                    tracing::error!(file = %f.name, "{note}");
                }
                continue;
            }
            if !self.budget()?.can_start(size) {
                r.budget_full = true;
                tracing::debug!(file = %f.name, size, "disk budget full: download waits");
                break;
            }
            if self.start(&f)? {
                r.started += 1;
            }
        }
        Ok(())
    }

    /// Starts one transfer; `false` if the file was moved meanwhile.
    pub(super) fn start(&mut self, f: &FileRow) -> Result<bool, DownloadError> {
        let (Some(request_id), Some(size)) = (f.request_id, f.size) else {
            let note = "no restore request or size recorded: cannot be downloaded";
            self.tracker
                .transaction(|t| t.set_status_from(f.id, f.status, FileStatus::TerminalFailure, note))?;
            return Ok(false);
        };
        let req = self.tracker.request(request_id)?;
        let counted = self.counted_attempts(f.id)?;
        let note = format!(
            "attempt {} of {} from {}",
            counted + 1,
            self.settings.numretries,
            self.archive.describe()
        );
        let part = part_path(&f.filename);
        remove_part(&part);
        let attempt = self.tracker.transaction(|t| {
            if !t.set_status_from(f.id, f.status, FileStatus::Downloading, &note)? {
                return Ok(None);
            }
            Ok(Some(t.insert_attempt(f.id, &note)?))
        })?;
        let Some(attempt_id) = attempt else { return Ok(false) };
        let bytes = Arc::new(AtomicU64::new(0));
        let job = Job {
            db: self.tracker.path().to_path_buf(),
            archive: Arc::clone(&self.archive),
            guid: req.guid.clone(),
            file: RemoteFile {
                name: f.name.clone(),
                size,
            },
            file_id: f.id,
            attempt_id,
            dest: f.filename.clone(),
            bytes: Arc::clone(&bytes),
            stop: Arc::clone(&self.abandon),
            done: self.done_tx.clone(),
        };
        let handle = std::thread::Builder::new()
            .name(format!("download-{attempt_id}"))
            .spawn(move || transfer::run(job))
            .map_err(|e| DownloadError::Io {
                path: f.filename.clone(),
                source: e,
            })?;
        tracing::info!(file = %f.name, size, attempt = attempt_id, "download started");
        self.live.insert(
            attempt_id,
            Live {
                file_id: f.id,
                name: f.name.clone(),
                size,
                bytes,
                started: Instant::now(),
                handle,
            },
        );
        Ok(true)
    }

    pub(super) fn counted_attempts(&self, file_id: i64) -> Result<usize, DownloadError> {
        Ok(self
            .tracker
            .attempts_of_file(file_id)?
            .iter()
            .filter(|a| {
                matches!(
                    a.status,
                    AttemptStatus::DownloadFailed | AttemptStatus::VerificationFailed
                )
            })
            .count())
    }

    pub(super) fn verify(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        let live_files: Vec<i64> = self.live.values().map(|l| l.file_id).collect();
        for f in self.tracker.files_with_status(FileStatus::Unverified)? {
            if live_files.contains(&f.id) {
                continue;
            }
            let attempt = self
                .tracker
                .attempts_of_file(f.id)?
                .into_iter()
                .rev()
                .find(|a| a.status == AttemptStatus::Unverified);
            let listed = f.size.unwrap_or(0);
            let part = part_path(&f.filename);
            let part_len = std::fs::metadata(&part).ok().map(|m| m.len());
            let final_len = std::fs::metadata(&f.filename).ok().map(|m| m.len());
            let ok = match (part_len, final_len) {
                (Some(n), _) if n == listed => {
                    std::fs::rename(&part, &f.filename).map_err(|e| DownloadError::Io {
                        path: part.clone(),
                        source: e,
                    })?;
                    sync_dir(&self.settings.temp);
                    Ok(())
                }
                // Renamed by a downloader that died before recording it.
                (None, Some(n)) if n == listed => Ok(()),
                (Some(n), _) => Err(format!("size on disk {n} bytes, the archive listed {listed}")),
                (None, _) => Err("the partial file is missing".to_string()),
            };
            match ok {
                Ok(()) => {
                    let note = format!("size checked: {listed} bytes");
                    self.tracker.transaction(|t| {
                        if let Some(a) = &attempt {
                            t.set_status_from(a.id, AttemptStatus::Unverified, AttemptStatus::Downloaded, &note)?;
                        }
                        t.set_status_from(f.id, FileStatus::Unverified, FileStatus::Downloaded, &note)
                    })?;
                    r.downloaded += 1;
                    tracing::info!(file = %f.name, bytes = listed, "downloaded");
                }
                Err(why) => {
                    remove_part(&part);
                    let note = format!("verification failed: {why}");
                    self.tracker.transaction(|t| {
                        if let Some(a) = &attempt {
                            t.set_status_from(
                                a.id,
                                AttemptStatus::Unverified,
                                AttemptStatus::VerificationFailed,
                                &note,
                            )?;
                        }
                        t.set_status_from(f.id, FileStatus::Unverified, FileStatus::Failed, &note)
                    })?;
                    r.verification_failed += 1;
                    tracing::warn!(file = %f.name, "{note}");
                }
            }
        }
        Ok(())
    }

    pub(super) fn recover(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        for f in self.tracker.files_with_status(FileStatus::Failed)? {
            let attempts = self.tracker.attempts_of_file(f.id)?;
            let counted: Vec<_> = attempts
                .iter()
                .filter(|a| {
                    matches!(
                        a.status,
                        AttemptStatus::DownloadFailed | AttemptStatus::VerificationFailed
                    )
                })
                .collect();
            if counted.len() < self.settings.numretries {
                let note = format!(
                    "{} of {} attempts failed; trying again",
                    counted.len(),
                    self.settings.numretries
                );
                if self
                    .tracker
                    .transaction(|t| t.set_status_from(f.id, FileStatus::Failed, FileStatus::Retrying, &note))?
                {
                    r.retried += 1;
                }
            } else {
                let mut note = format!("given up after {} failed attempts:", counted.len());
                for a in &counted {
                    note.push_str(&format!("\nattempt #{} {}: {}", a.id, a.status, last_note(&a.details)));
                }
                if self
                    .tracker
                    .transaction(|t| t.set_status_from(f.id, FileStatus::Failed, FileStatus::TerminalFailure, &note))?
                {
                    r.terminal += 1;
                    tracing::error!(file = %f.name, "download given up: {note}");
                }
            }
        }
        Ok(())
    }
}

/// Makes a rename in `dir` durable (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
