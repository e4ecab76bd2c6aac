//! The job pooler: turns downloaded beams into jobs, submits them to a queue,
//! follows them to the end and retries the ones that fail.
//!
//! One [`iterate`](JobPool::iterate) does, in order (each step in its own
//! transactions, so the pooler can be killed anywhere and restarted):
//!
//! 1. **reconcile** submissions left `submitting` by a pooler that died, or by
//!    a submit call whose answer was unclear: ask the queue for their token;
//!    found → `running`, never accepted → `lost` and the job back to
//!    `retrying` (see `docs/tracker.md`);
//! 2. **create** one job per beam from `downloaded` files that are in no job
//!    (a Mock s0/s1 pair makes one job; a lone half waits, and is reported
//!    once after `jobpooler.lone_file_wait_s`);
//! 3. **poll** running submissions: finished with exit status 0 *and* a
//!    complete results directory → `processed`, else `failed` with the error
//!    log or the reason in the history (a failed attempt's results directory
//!    is removed); settle `stopping` submissions once the queue removed them;
//! 4. **recover** failed jobs: `retrying` while fewer than `max_attempts`
//!    submissions counted, else `terminal_failure`;
//! 5. **clean up**: with `basic.delete_rawdata`, delete the raw files of jobs
//!    that are terminal failures;
//! 6. **submit** `new` and `retrying` jobs that are not held back, oldest
//!    first, while the queue can take them and fewer than `max_jobs_running`
//!    run and `max_jobs_queue` wait. A job the queue refuses is held back
//!    (`refusal_backoff`, doubling) and the next one is tried; after
//!    `max_refusals` refusals it is a terminal failure.

mod create;
mod lock;
mod poll;
mod submit;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use serde::Serialize;

pub use lock::PoolerLock;
pub(crate) use poll::delete_job_files;

use crate::db::Tracker;
use crate::error::Result;
use crate::notify::Notifier;
use crate::queue::QueueManager;
use crate::states::JobStatus;

/// What the pooler needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSettings {
    /// Each submission's results go to `<this>/<beam>/<token>`.
    pub base_results_directory: PathBuf,
    /// Most jobs running at once.
    pub max_jobs_running: usize,
    /// Most jobs waiting in the queue at once.
    pub max_jobs_queue: usize,
    /// Counted submissions of a job before it is a terminal failure.
    pub max_attempts: usize,
    /// Delete the raw files of jobs that fail for good.
    pub delete_rawdata: bool,
    /// How long a lone Mock half waits for its partner before it is reported \[s\].
    pub lone_file_wait_s: f64,
    /// Refusals by the queue of one job before it is a terminal failure.
    pub max_refusals: usize,
    /// How long a refused job waits before it is tried again, doubled with
    /// each refusal, at most [`MAX_REFUSAL_BACKOFF`].
    pub refusal_backoff: Duration,
}

/// The longest a refused job waits before it is tried again.
pub const MAX_REFUSAL_BACKOFF: Duration = Duration::from_secs(3600);

impl PoolSettings {
    /// How long a job waits after its `n`-th refusal (`n` >= 1).
    pub fn backoff_after(&self, n: usize) -> Duration {
        let doublings = n.saturating_sub(1).min(30) as u32;
        self.refusal_backoff
            .saturating_mul(1u32 << doublings)
            .min(MAX_REFUSAL_BACKOFF)
    }
}

impl PoolSettings {
    /// The settings of a checked configuration.
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            base_results_directory: cfg.jobpooler.base_results_directory.clone(),
            max_jobs_running: cfg.jobpooler.max_jobs_running,
            max_jobs_queue: cfg.jobpooler.max_jobs_queue,
            max_attempts: cfg.jobpooler.max_attempts,
            delete_rawdata: cfg.basic.delete_rawdata,
            lone_file_wait_s: cfg.jobpooler.lone_file_wait_s,
            max_refusals: cfg.jobpooler.max_refusals,
            refusal_backoff: Duration::from_secs_f64(cfg.jobpooler.refusal_backoff_s),
        }
    }
}

/// What one iteration did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IterationReport {
    /// Submissions found in the queue after a restart.
    pub adopted: usize,
    /// Submissions that never reached the queue.
    pub lost: usize,
    /// Jobs made.
    pub created: usize,
    /// Lone Mock halves reported.
    pub lone_reported: usize,
    /// Submissions that finished without errors.
    pub processed: usize,
    /// Submissions that finished with errors.
    pub failed: usize,
    /// Jobs put back for another attempt.
    pub retried: usize,
    /// Jobs given up.
    pub terminal: usize,
    /// Raw files deleted.
    pub files_deleted: usize,
    /// Submissions made.
    pub submitted: usize,
    /// Submissions the queue refused (for certain, or found missing after an
    /// unclear answer).
    pub refused: usize,
    /// Submissions whose submit call failed without saying whether the queue
    /// took the job: they stay `submitting` until the queue is asked.
    pub unclear: usize,
    /// Submissions an operator asked to stop that the queue has now removed.
    pub stops_settled: usize,
    /// Queue calls that failed this iteration (logged; retried next time).
    pub queue_errors: usize,
    /// Jobs still needing the pooler (new, submitted, failed, retrying) at the end.
    pub pending_jobs: usize,
}

/// How [`JobPool::run`] loops.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// Pause between iterations.
    pub sleep: Duration,
    /// Stop once no job is pending (every beam processed or given up).
    pub until_idle: bool,
    /// Stop after this many iterations.
    pub max_iterations: Option<usize>,
    /// Return the first iteration error instead of logging it and going on.
    pub stop_on_error: bool,
}

/// Why [`JobPool::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StopReason {
    /// The stop flag was raised (SIGINT / SIGTERM).
    Signal,
    /// No job is pending.
    Idle,
    /// `max_iterations` were done.
    Iterations,
}

/// The job pooler of one database.
pub struct JobPool {
    tracker: Tracker,
    queue: Box<dyn QueueManager>,
    notifier: Box<dyn Notifier>,
    settings: PoolSettings,
    _lock: PoolerLock,
}

impl JobPool {
    /// A pooler on `tracker`'s database. Fails if another pooler runs on it.
    pub fn new(
        tracker: Tracker,
        queue: Box<dyn QueueManager>,
        notifier: Box<dyn Notifier>,
        settings: PoolSettings,
    ) -> Result<Self> {
        let lock = PoolerLock::acquire(tracker.path())?;
        Ok(Self {
            tracker,
            queue,
            notifier,
            settings,
            _lock: lock,
        })
    }

    /// The database.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The queue.
    pub fn queue(&self) -> &dyn QueueManager {
        self.queue.as_ref()
    }

    /// One pass of the six steps (see the module docs). `stop` is checked
    /// between steps and between submissions.
    pub fn iterate(&mut self, stop: &AtomicBool) -> Result<IterationReport> {
        let mut r = IterationReport::default();
        let stopped = || stop.load(Ordering::Relaxed);
        self.reconcile(&mut r)?;
        if !stopped() {
            self.create_jobs(&mut r)?;
        }
        if !stopped() {
            self.poll(&mut r)?;
        }
        if !stopped() {
            self.recover(&mut r)?;
        }
        if !stopped() {
            self.clean_up(&mut r)?;
        }
        if !stopped() {
            self.submit_jobs(&mut r, stop)?;
        }
        r.pending_jobs = self.pending_jobs()?;
        Ok(r)
    }

    /// Jobs in `new`, `submitted`, `failed` or `retrying`.
    pub fn pending_jobs(&self) -> Result<usize> {
        let counts = self.tracker.count_by_status::<JobStatus>()?;
        Ok(counts.iter().filter(|(s, _)| s.is_pending()).map(|(_, n)| n).sum())
    }

    /// Iterates until `stop` is raised (or the options say so), sleeping
    /// `opts.sleep` between iterations.
    pub fn run(&mut self, opts: &RunOptions, stop: &AtomicBool) -> Result<StopReason> {
        run_loop(
            "pooler",
            opts,
            stop,
            |s| self.iterate(s),
            |r: &IterationReport| {
                let quiet = IterationReport {
                    pending_jobs: r.pending_jobs,
                    ..IterationReport::default()
                };
                if *r != quiet {
                    tracing::info!(
                        created = r.created,
                        submitted = r.submitted,
                        processed = r.processed,
                        failed = r.failed,
                        retried = r.retried,
                        terminal = r.terminal,
                        pending = r.pending_jobs,
                        "pooler iteration"
                    );
                }
                r.pending_jobs
            },
        )
    }
}

/// The loop of a daemon (the pooler, the uploader): `iterate` until `stop` is
/// raised, or `opts` say so, sleeping `opts.sleep` between iterations.
/// `report` logs what an iteration did and returns how much work is still
/// pending (`until_idle` stops at 0). An iteration's error ends the loop with
/// `stop_on_error`; otherwise it is logged and the next iteration tries again.
pub(crate) fn run_loop<R>(
    what: &str,
    opts: &RunOptions,
    stop: &AtomicBool,
    mut iterate: impl FnMut(&AtomicBool) -> Result<R>,
    mut report: impl FnMut(&R) -> usize,
) -> Result<StopReason> {
    let mut done = 0usize;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(StopReason::Signal);
        }
        match iterate(stop) {
            Ok(r) => {
                let pending = report(&r);
                if opts.until_idle && pending == 0 {
                    return Ok(StopReason::Idle);
                }
            }
            Err(e) if opts.stop_on_error => return Err(e),
            Err(e) => tracing::error!("{what} iteration failed (will try again): {e}"),
        }
        done += 1;
        if opts.max_iterations.is_some_and(|m| done >= m) {
            return Ok(StopReason::Iterations);
        }
        sleep_unless(stop, opts.sleep);
    }
}

/// Sleeps for `d`, waking early if `stop` is raised.
fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// Removes the results directory of an attempt that failed, was lost or was
/// superseded, so that nothing downstream takes its products for a beam's
/// results. Only a directory named after its submission's token is removed.
pub(crate) fn remove_results_dir(outdir: &std::path::Path, token: &str) {
    if outdir.file_name().and_then(|n| n.to_str()) != Some(token) || crate::queue::check_token(token).is_err() {
        tracing::warn!(dir = %outdir.display(), token, "not a submission's results directory; left alone");
        return;
    }
    match std::fs::remove_dir_all(outdir) {
        Ok(()) => tracing::debug!(dir = %outdir.display(), "removed the results of an attempt that did not succeed"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(dir = %outdir.display(), "cannot remove the results of a failed attempt: {e}"),
    }
}

/// A fresh submission token: `palfa_<job>_<attempt>_<6 hex digits>`.
pub(crate) fn new_token(job_id: i64, attempt: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!(
        "{}{job_id}_{attempt}_{:06x}",
        crate::queue::TOKEN_PREFIX,
        h.finish() & 0xff_ffff
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_valid_and_differ() {
        let a = super::new_token(12, 1);
        let b = super::new_token(12, 1);
        assert!(a.starts_with("palfa_12_1_"), "{a}");
        assert_ne!(a, b);
        crate::queue::check_token(&a).unwrap();
    }
}

#[cfg(test)]
mod crash_tests;
