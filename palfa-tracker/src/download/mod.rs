//! The downloader: keeps the disk full of beams to search, fetching them
//! from the data archive, and never keeps a partial or wrong file.
//!
//! One [`iterate`](Downloader::iterate) does, as the original's loop (each
//! step in its own transactions, so the downloader can be killed anywhere
//! and restarted):
//!
//! 1. **check attempts**: finished transfers are joined; a `downloading`
//!    attempt with no live transfer (the downloader died) becomes
//!    `interrupted`, its file `failed`, its `.part` removed;
//! 2. **check requests**: a `waiting` restore that the archive says is
//!    `done` has its files listed and tracked as `new` (names checked,
//!    refused ones recorded as `terminal_failure`) and becomes `finished`;
//!    one not done after `request_timeout_hours` is `failed`; a finished
//!    request whose files are all dealt with becomes `cleaned_up`;
//! 3. **request**: while fewer than `numrestores` restores wait and the
//!    disk budget allows, ask for as many files as fit (see [`budget`]);
//! 4. **start downloads**: `retrying` files first, then `new`, while fewer
//!    than `numdownloads` transfers run and the file fits the budget; each
//!    transfer runs on its own thread into `<temp>/<name>.part`;
//! 5. **verify**: an `unverified` file whose `.part` has exactly the listed
//!    size is renamed to its name and becomes `downloaded`; any other size
//!    is `verification_failed` and the `.part` is removed;
//! 6. **recover**: a `failed` file is `retrying` while it has had fewer
//!    than `numretries` counted attempts (`download_failed`,
//!    `verification_failed`; an `interrupted` attempt does not count), else
//!    `terminal_failure`, with every attempt's reason in its history.

pub mod budget;
mod lock;
mod status;
mod transfer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use serde::Serialize;

pub use budget::DiskBudget;
pub use lock::DownloaderLock;
pub use status::{bytes, DownloadStatus, InFlight, RequestInfo};
pub use transfer::part_path;

use crate::archive::{shown, Archive, ArchiveError, RemoteFile, RestoreState};
use crate::clock;
use crate::db::{last_note, FileOrigin, FileRow, NewFile, RequestRow, Tracker};
use crate::states::{AttemptStatus, FileStatus, RequestStatus};
use crate::TrackerError;
use transfer::{remove_part, Job, Outcome};

/// GUID placeholder of a request recorded before the archive answered.
pub const PENDING_GUID_PREFIX: &str = "pending:";

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

struct Live {
    file_id: i64,
    name: String,
    size: u64,
    bytes: Arc<AtomicU64>,
    started: Instant,
    handle: JoinHandle<Outcome>,
}

/// The downloader of one database.
pub struct Downloader {
    tracker: Tracker,
    archive: Arc<dyn Archive>,
    settings: DownloadSettings,
    live: HashMap<i64, Live>,
    abandon: Arc<AtomicBool>,
    done_tx: Sender<i64>,
    done_rx: Receiver<i64>,
    next_request: Instant,
    _lock: DownloaderLock,
}

impl Downloader {
    /// A downloader on `tracker`'s database. Fails if another downloader
    /// runs on it. Cleans up after a downloader that died: `.part` files of
    /// tracked files are removed, requests left without their GUID are failed.
    pub fn new(
        tracker: Tracker,
        archive: Arc<dyn Archive>,
        mut settings: DownloadSettings,
    ) -> Result<Self, DownloadError> {
        let lock = DownloaderLock::acquire(tracker.path())?;
        std::fs::create_dir_all(&settings.temp).map_err(|e| DownloadError::Io {
            path: settings.temp.clone(),
            source: e,
        })?;
        settings.temp = settings.temp.canonicalize().map_err(|e| DownloadError::Io {
            path: settings.temp.clone(),
            source: e,
        })?;
        settings.numretries = settings.numretries.max(1);
        settings.numdownloads = settings.numdownloads.max(1);
        let (done_tx, done_rx) = channel();
        let d = Self {
            tracker,
            archive,
            settings,
            live: HashMap::new(),
            abandon: Arc::new(AtomicBool::new(false)),
            done_tx,
            done_rx,
            next_request: Instant::now(),
            _lock: lock,
        };
        d.remove_stale_parts()?;
        Ok(d)
    }

    /// The database.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The settings (with `temp` made absolute).
    pub fn settings(&self) -> &DownloadSettings {
        &self.settings
    }

    /// The transfers in flight.
    pub fn transfers(&self) -> Vec<TransferInfo> {
        let mut v: Vec<TransferInfo> = self
            .live
            .iter()
            .map(|(&attempt_id, l)| TransferInfo {
                file_id: l.file_id,
                attempt_id,
                name: l.name.clone(),
                size: l.size,
                done: l.bytes.load(Ordering::Relaxed),
                elapsed_ms: l.started.elapsed().as_millis() as u64,
            })
            .collect();
        v.sort_by_key(|t| t.attempt_id);
        v
    }

    /// The disk budget now.
    pub fn budget(&self) -> Result<DiskBudget, DownloadError> {
        let in_flight: u64 = self
            .live
            .values()
            .map(|l| l.size.saturating_sub(l.bytes.load(Ordering::Relaxed)))
            .sum();
        Ok(DiskBudget::gather(
            &self.tracker,
            &self.settings.temp,
            self.settings.space_to_use,
            self.settings.min_free_space,
            self.settings.file_size_estimate,
            in_flight,
        )?)
    }

    /// One pass of the six steps (see the module docs). With `stop` raised,
    /// no request or transfer is started and the transfers in flight are
    /// abandoned (each recorded `interrupted`, its `.part` removed).
    pub fn iterate(&mut self, stop: &AtomicBool) -> Result<DownloadReport, DownloadError> {
        let mut r = DownloadReport::default();
        let stopped = || stop.load(Ordering::Relaxed);
        if stopped() {
            self.abandon();
        }
        self.reap(&mut r, false);
        self.check_attempts(&mut r)?;
        if !stopped() {
            self.check_requests(&mut r)?;
        }
        if !stopped() {
            self.make_request(&mut r)?;
        }
        if !stopped() {
            self.start_downloads(&mut r)?;
        }
        self.verify(&mut r)?;
        self.recover(&mut r)?;
        self.clean_up_requests()?;
        if stopped() {
            self.abandon();
        }
        r.pending = self.pending()?;
        Ok(r)
    }

    /// Requests waiting, files in `new`, `downloading`, `unverified`,
    /// `failed` or `retrying`, and live transfers.
    pub fn pending(&self) -> Result<usize, DownloadError> {
        let waiting = self.tracker.requests_with_status(RequestStatus::Waiting)?.len();
        let files: usize = self
            .tracker
            .count_by_status::<FileStatus>()?
            .iter()
            .filter(|(s, _)| {
                matches!(
                    s,
                    FileStatus::New
                        | FileStatus::Downloading
                        | FileStatus::Unverified
                        | FileStatus::Failed
                        | FileStatus::Retrying
                )
            })
            .map(|(_, n)| n)
            .sum();
        Ok(waiting + files + self.live.len())
    }

    /// Iterates until `stop` is raised (or the options say so), sleeping
    /// `opts.sleep` between iterations but waking as soon as a transfer
    /// ends. `tick` is called with the transfers in flight (maybe none)
    /// about five times a second while waiting (for progress bars).
    pub fn run(
        &mut self,
        opts: &DownloadRunOptions,
        stop: &AtomicBool,
        tick: &mut dyn FnMut(&[TransferInfo]),
    ) -> Result<DownloadStop, DownloadError> {
        let mut done = 0usize;
        let mut budget_warned = false;
        loop {
            if stop.load(Ordering::Relaxed) {
                self.abandon();
                let mut r = DownloadReport::default();
                self.reap(&mut r, true);
                return Ok(DownloadStop::Signal);
            }
            match self.iterate(stop) {
                Ok(r) => {
                    let quiet = DownloadReport {
                        pending: r.pending,
                        budget_full: r.budget_full,
                        ..DownloadReport::default()
                    };
                    if r != quiet {
                        tracing::info!(
                            requested = r.requested,
                            ready = r.ready,
                            started = r.started,
                            downloaded = r.downloaded,
                            failed = r.transfer_failed + r.verification_failed,
                            retried = r.retried,
                            terminal = r.terminal,
                            pending = r.pending,
                            "downloader iteration"
                        );
                    }
                    if r.budget_full && !budget_warned {
                        let b = self.budget()?;
                        tracing::warn!(
                            used = b.used,
                            reserved = b.reserved,
                            space_to_use = b.space_to_use,
                            fs_available = b.fs_available,
                            min_free_space = b.min_free_space,
                            "disk budget full: requests and downloads wait for room"
                        );
                    }
                    budget_warned = r.budget_full;
                    if opts.until_idle && r.pending == 0 {
                        return Ok(DownloadStop::Idle);
                    }
                }
                Err(e) if opts.stop_on_error => {
                    self.abandon();
                    let mut r = DownloadReport::default();
                    self.reap(&mut r, true);
                    return Err(e);
                }
                Err(e) => tracing::error!("downloader iteration failed (will try again): {e}"),
            }
            done += 1;
            if opts.max_iterations.is_some_and(|m| done >= m) {
                return Ok(DownloadStop::Iterations);
            }
            self.wait(stop, opts.sleep, tick);
        }
    }

    /// Sleeps up to `d`, waking early on `stop` or when a transfer ends.
    fn wait(&self, stop: &AtomicBool, d: Duration, tick: &mut dyn FnMut(&[TransferInfo])) {
        let end = Instant::now() + d;
        while !stop.load(Ordering::Relaxed) {
            tick(&self.transfers());
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.done_rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(_) => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        tick(&self.transfers());
    }

    /// Asks every transfer to stop and waits for them (each records itself).
    pub fn abandon(&mut self) {
        if self.live.is_empty() {
            return;
        }
        self.abandon.store(true, Ordering::Relaxed);
        let mut r = DownloadReport::default();
        self.reap(&mut r, true);
        self.abandon = Arc::new(AtomicBool::new(false));
    }

    /// Joins finished transfers (all of them with `all`).
    fn reap(&mut self, r: &mut DownloadReport, all: bool) {
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
    fn remove_stale_parts(&self) -> Result<(), DownloadError> {
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

    fn check_attempts(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
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

    fn check_requests(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        for req in self.tracker.requests_with_status(RequestStatus::Waiting)? {
            if req.guid.starts_with(PENDING_GUID_PREFIX) {
                let note = "the downloader stopped while asking the archive for this restore; its answer is lost";
                self.fail_request(req.id, note)?;
                r.request_failed += 1;
                continue;
            }
            let age = Duration::from_secs_f64(clock::age_s(&req.created_at));
            if age > self.settings.request_timeout {
                let note = format!(
                    "not done after {:.2} h (download.request_timeout_hours = {:.2})",
                    age.as_secs_f64() / 3600.0,
                    self.settings.request_timeout.as_secs_f64() / 3600.0
                );
                self.fail_request(req.id, &note)?;
                tracing::warn!(guid = %req.guid, "restore failed: {note}");
                r.timed_out += 1;
                continue;
            }
            match self.archive.location(&req.guid) {
                Ok(RestoreState::Done) => match self.archive.list(&req.guid) {
                    Ok(listing) => self.record_listing(&req, listing, r)?,
                    Err(e) => self.note_request_once(&req, &format!("listing the restore failed: {e}"))?,
                },
                Ok(RestoreState::NotYet(s)) => {
                    tracing::debug!(guid = %req.guid, answer = %s, "restore not ready");
                    let note = format!("not ready yet: the archive says {:?}", shown_answer(&s));
                    if last_note(&req.details) != note {
                        self.tracker.transaction(|t| t.note::<RequestStatus>(req.id, &note))?;
                    }
                }
                Err(e) => self.note_request_once(&req, &format!("asking whether the restore is ready failed: {e}"))?,
            }
        }
        Ok(())
    }

    /// Finished requests whose files are all dealt with become `cleaned_up`.
    fn clean_up_requests(&self) -> Result<(), DownloadError> {
        for req in self.tracker.requests_with_status(RequestStatus::Finished)? {
            let files = self.tracker.files_of_request(req.id)?;
            let open = files.iter().any(|f| {
                !matches!(
                    f.status,
                    FileStatus::Downloaded | FileStatus::TerminalFailure | FileStatus::Deleted
                )
            });
            if !open {
                let n_ok = files.iter().filter(|f| f.status != FileStatus::TerminalFailure).count();
                let note = format!("every file dealt with: {n_ok} of {} downloaded", files.len());
                self.tracker.transaction(|t| {
                    t.set_status_from(req.id, RequestStatus::Finished, RequestStatus::CleanedUp, &note)
                })?;
            }
        }
        Ok(())
    }

    fn fail_request(&self, id: i64, note: &str) -> Result<(), DownloadError> {
        self.tracker
            .transaction(|t| t.set_status_from(id, RequestStatus::Waiting, RequestStatus::Failed, note))?;
        Ok(())
    }

    /// Adds a note to a request's history unless it is already its last one.
    fn note_request_once(&self, req: &RequestRow, note: &str) -> Result<(), DownloadError> {
        tracing::warn!(guid = %req.guid, "{note}");
        if last_note(&req.details) != note {
            self.tracker.transaction(|t| t.note::<RequestStatus>(req.id, note))?;
        }
        Ok(())
    }

    fn record_listing(
        &self,
        req: &RequestRow,
        listing: crate::archive::Listing,
        r: &mut DownloadReport,
    ) -> Result<(), DownloadError> {
        let temp = &self.settings.temp;
        let total: u64 = listing.files.iter().map(|f| f.size).sum();
        let note = format!(
            "ready: {} files, {total} bytes listed{}",
            listing.files.len(),
            if listing.refused.is_empty() {
                String::new()
            } else {
                format!(", {} names refused", listing.refused.len())
            }
        );
        let (listed, refused) = self.tracker.transaction(|t| {
            if !t.set_status_from(req.id, RequestStatus::Waiting, RequestStatus::Finished, &note)? {
                return Ok((0, 0));
            }
            t.set_request_size(req.id, total)?;
            let mut listed = 0;
            for f in &listing.files {
                let nf = NewFile {
                    filename: temp.join(&f.name),
                    remote_filename: Some(format!("{}/{}", req.guid, f.name)),
                    request_id: Some(req.id),
                    size: Some(f.size),
                    origin: FileOrigin::Download,
                    status: FileStatus::New,
                };
                let why = format!("listed in restore {} ({} bytes)", req.guid, f.size);
                match t.insert_file(&nf, &why)? {
                    Some(_) => listed += 1,
                    None => {
                        t.note::<RequestStatus>(req.id, &format!("{} is already tracked: not tracked twice", f.name))?
                    }
                }
            }
            for (i, (raw, bad)) in listing.refused.iter().enumerate() {
                // Never a path built from the refused name: a placeholder that is never written.
                let nf = NewFile {
                    filename: temp.join(format!(".refused-{}-{i}", req.id)),
                    remote_filename: Some(format!("{}/{}", req.guid, shown(raw))),
                    request_id: Some(req.id),
                    size: None,
                    origin: FileOrigin::Download,
                    status: FileStatus::New,
                };
                if let Some(id) = t.insert_file(&nf, &format!("listed in restore {}", req.guid))? {
                    t.set_status_from(id, FileStatus::New, FileStatus::TerminalFailure, bad)?;
                }
            }
            Ok((listed, listing.refused.len()))
        })?;
        if listed + refused > 0 {
            r.ready += 1;
            tracing::info!(guid = %req.guid, files = listed, refused, bytes = total, "restore ready");
        }
        r.files_listed += listed;
        r.names_refused += refused;
        Ok(())
    }

    fn make_request(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        let waiting = self.tracker.requests_with_status(RequestStatus::Waiting)?.len();
        if waiting >= self.settings.numrestores || Instant::now() < self.next_request {
            return Ok(());
        }
        let n = self.budget()?.files_to_request(self.settings.files_per_restore);
        if n == 0 {
            r.budget_full = true;
            tracing::debug!("disk budget full: no restore request");
            return Ok(());
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let placeholder = format!(
            "{PENDING_GUID_PREFIX}{}-{nanos}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let s = &self.settings;
        let id = self.tracker.transaction(|t| {
            t.insert_request(
                &placeholder,
                s.numbits,
                n,
                &s.file_type,
                &format!("asking {} for {n} files", self.archive.describe()),
            )
        })?;
        match self.archive.restore(n) {
            Ok(guid) => {
                if let Some(other) = self.tracker.request_by_guid(&guid)? {
                    let note = format!(
                        "the archive answered GUID {guid}, which request #{} already has: not a second request",
                        other.id
                    );
                    tracing::error!("{note}");
                    self.fail_request(id, &note)?;
                    r.request_failed += 1;
                    self.next_request = Instant::now() + self.settings.request_backoff;
                } else {
                    self.tracker.transaction(|t| {
                        t.set_request_guid(id, &guid)?;
                        t.note::<RequestStatus>(id, &format!("the archive answered GUID {guid}"))
                    })?;
                    tracing::info!(guid = %guid, files = n, "restore requested");
                    r.requested += 1;
                }
            }
            Err(e) => {
                let note = format!("restore request failed: {e}");
                tracing::warn!("{note}");
                self.fail_request(id, &note)?;
                r.request_failed += 1;
                self.next_request = Instant::now() + self.settings.request_backoff;
            }
        }
        Ok(())
    }

    fn start_downloads(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
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
    fn start(&mut self, f: &FileRow) -> Result<bool, DownloadError> {
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

    fn counted_attempts(&self, file_id: i64) -> Result<usize, DownloadError> {
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

    fn verify(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
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

    fn recover(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
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

impl Drop for Downloader {
    fn drop(&mut self) {
        self.abandon();
    }
}

/// A service's answer as it may be recorded: at most 100 characters.
fn shown_answer(s: &str) -> String {
    s.chars().take(100).collect()
}

/// Makes a rename in `dir` durable (best effort).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}
