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
mod files;
mod lock;
mod requests;
mod status;
mod transfer;
mod types;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use budget::DiskBudget;
pub use lock::DownloaderLock;
pub use status::{bytes, DownloadStatus, InFlight, RequestInfo};
pub use transfer::part_path;
pub use types::{DownloadError, DownloadReport, DownloadRunOptions, DownloadSettings, DownloadStop, TransferInfo};

use crate::archive::Archive;
use crate::db::Tracker;
use crate::states::{FileStatus, RequestStatus};
use transfer::Outcome;

/// GUID placeholder of a request recorded before the archive answered.
pub const PENDING_GUID_PREFIX: &str = "pending:";

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
            .filter(|(s, _)| s.is_pending())
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
}

impl Drop for Downloader {
    fn drop(&mut self) {
        self.abandon();
    }
}
