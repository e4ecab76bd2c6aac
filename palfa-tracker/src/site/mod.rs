//! A whole site in one process: the downloader, the job pooler and the
//! uploader, each in its own thread, on one configuration.
//!
//! A cluster runs the three daemons as separate processes (`palfa
//! downloader`, `palfa jobpool`, `palfa uploader`), perhaps on different
//! machines; a small site, or a demo, runs [`run`] (`palfa run`). One stop flag
//! stops all three cleanly: each finishes its current step, the downloader
//! abandons its transfers (recorded `interrupted`), and [`run`] returns once
//! every thread has.
//!
//! [`SurveyProgress`] counts where the survey's beams are, for a progress
//! display; [`is_idle`] says when nothing is left for any of the three.

mod progress;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palfa_core::config::Config;

use crate::archive::CornellArchive;
use crate::notify::notifier_from_config;
use crate::{
    DownloadRunOptions, DownloadSettings, Downloader, JobPool, PoolSettings, RunOptions, Tracker, TrackerError,
    Uploader,
};

pub use progress::{is_idle, SurveyProgress};

/// How [`run`] runs.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteOptions {
    /// Pause between each daemon's iterations.
    pub sleep: Duration,
    /// Run the downloader (needs `download.api_service_url`). Without it,
    /// beams arrive with `add-files` only.
    pub download: bool,
    /// Return once nothing is left to do (see [`is_idle`]), checked twice,
    /// at least one `sleep` apart.
    pub until_idle: bool,
}

/// Why [`run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SiteStop {
    /// The stop flag was raised.
    Signal,
    /// Nothing was left to do.
    Idle,
}

/// What stops a site.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// A daemon could not be set up (its settings, its lock, its database).
    #[error("{daemon}: cannot start: {message}")]
    Setup {
        /// `downloader`, `job pooler` or `uploader`.
        daemon: &'static str,
        /// Why.
        message: String,
    },
    /// A daemon stopped with an error; the others were stopped.
    #[error("{daemon} stopped: {message}")]
    Failed {
        /// `downloader`, `job pooler` or `uploader`.
        daemon: &'static str,
        /// Why.
        message: String,
    },
    /// The tracker could not be read.
    #[error(transparent)]
    Tracker(#[from] TrackerError),
}

fn setup<E: std::fmt::Display>(daemon: &'static str) -> impl Fn(E) -> SiteError {
    move |e| SiteError::Setup {
        daemon,
        message: e.to_string(),
    }
}

/// Runs the site's daemons on `cfg` until `stop` is raised (or, with
/// `until_idle`, until nothing is left to do).
///
/// Every daemon is set up before any starts, so that a mistake in the
/// configuration is reported at once. An iteration's error is logged and
/// tried again, as the separate daemons do; a daemon that stops with an
/// error stops the others, and its error is returned.
pub fn run(cfg: &Config, opts: &SiteOptions, stop: &AtomicBool) -> Result<SiteStop, SiteError> {
    let db = &cfg.background.jobtracker_db;
    let downloader = if opts.download {
        let archive = CornellArchive::from_config(cfg).map_err(setup("downloader"))?;
        let tracker = Tracker::open(db).map_err(setup("downloader"))?;
        Some(
            Downloader::new(tracker, Arc::new(archive), DownloadSettings::from_config(cfg))
                .map_err(setup("downloader"))?,
        )
    } else {
        None
    };
    let pool = {
        let queue = crate::queue::from_config(cfg).map_err(setup("job pooler"))?;
        let notifier = notifier_from_config(&cfg.email, Some(Tracker::open(db).map_err(setup("job pooler"))?))
            .map_err(setup("job pooler"))?;
        let tracker = Tracker::open(db).map_err(setup("job pooler"))?;
        JobPool::new(tracker, queue, notifier, PoolSettings::from_config(cfg)).map_err(setup("job pooler"))?
    };
    let mut uploader = {
        let notifier = notifier_from_config(&cfg.email, Some(Tracker::open(db).map_err(setup("uploader"))?))
            .map_err(setup("uploader"))?;
        Uploader::from_config(cfg, Tracker::open(db).map_err(setup("uploader"))?, notifier)
    };
    let watcher = Tracker::open(db)?;
    tracing::info!(
        db = %db.display(),
        downloader = downloader.is_some(),
        queue = pool.queue().kind(),
        "site starting: {} job pooler and uploader",
        if downloader.is_some() { "downloader," } else { "" }
    );

    // Raised to stop every thread: by `stop`, by idleness, or by a thread's end.
    let all_stop = AtomicBool::new(false);
    let ended = AtomicUsize::new(0);
    let loop_opts = RunOptions {
        sleep: opts.sleep,
        until_idle: false,
        max_iterations: None,
        stop_on_error: false,
    };
    let downloading = downloader.is_some();
    std::thread::scope(|scope| {
        let (all_stop, ended, loop_opts) = (&all_stop, &ended, &loop_opts);
        let finish = move || {
            ended.fetch_add(1, Ordering::SeqCst);
            all_stop.store(true, Ordering::SeqCst);
        };
        let dl = downloader.map(|mut dl| {
            scope.spawn(move || {
                let o = DownloadRunOptions {
                    sleep: loop_opts.sleep,
                    until_idle: false,
                    max_iterations: None,
                    stop_on_error: false,
                };
                let r = dl.run(&o, all_stop, &mut |_| {});
                finish();
                r.map(|_| ()).map_err(|e| SiteError::Failed {
                    daemon: "downloader",
                    message: e.to_string(),
                })
            })
        });
        let mut pool = pool;
        let pooler = scope.spawn(move || {
            let r = pool.run(loop_opts, all_stop);
            finish();
            r.map(|_| ()).map_err(|e| SiteError::Failed {
                daemon: "job pooler",
                message: e.to_string(),
            })
        });
        let up = scope.spawn(move || {
            let r = uploader.run(loop_opts, all_stop);
            finish();
            r.map(|_| ()).map_err(|e| SiteError::Failed {
                daemon: "uploader",
                message: e.to_string(),
            })
        });

        let mut why = SiteStop::Signal;
        let mut idle_since: Option<Instant> = None;
        let mut last_check = Instant::now();
        while !all_stop.load(Ordering::SeqCst) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
            if opts.until_idle && last_check.elapsed() >= opts.sleep.min(Duration::from_secs(1)) {
                last_check = Instant::now();
                match is_idle(&watcher, downloading) {
                    Ok(true) => {
                        let since = *idle_since.get_or_insert_with(Instant::now);
                        if since.elapsed() > opts.sleep.max(Duration::from_millis(500)) {
                            why = SiteStop::Idle;
                            break;
                        }
                    }
                    Ok(false) => idle_since = None,
                    Err(e) => tracing::warn!("cannot read the tracker (will try again): {e}"),
                }
            }
        }
        let by_a_thread = ended.load(Ordering::SeqCst) > 0;
        all_stop.store(true, Ordering::SeqCst);
        let mut first_err = None;
        let results = [dl.map(|h| h.join()), Some(pooler.join()), Some(up.join())];
        for r in results.into_iter().flatten() {
            let r = r.unwrap_or_else(|_| {
                Err(SiteError::Failed {
                    daemon: "a daemon",
                    message: "panicked".into(),
                })
            });
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        }
        match first_err {
            Some(e) => Err(e),
            None if by_a_thread && why != SiteStop::Idle && !stop.load(Ordering::Relaxed) => Err(SiteError::Failed {
                daemon: "a daemon",
                message: "ended without being asked to".into(),
            }),
            None => Ok(why),
        }
    })
}
