//! `palfa run`: the downloader, the job pooler and the uploader in one
//! process, for a small site (a cluster runs them as separate daemons).

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use palfa_tracker::site::{self, SiteOptions, SiteStop, SurveyProgress};
use palfa_tracker::Tracker;

use crate::Cli;

/// Arguments of `palfa run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  palfa --config site/palfa.toml run                     # until SIGINT/SIGTERM
  palfa run --until-idle --log-file logs/palfa-run.log   # a batch: stop when nothing is left
  palfa run --no-download                                # beams arrive with `palfa add-files`")]
pub struct RunArgs {
    /// Exit once nothing is left to do: no restore waiting, no file to
    /// download, no beam to search or upload, and the archive's answer to the
    /// newest restore request was a failure (it had nothing more to give).
    #[arg(long)]
    pub until_idle: bool,
    /// Seconds between each daemon's iterations (default: background.sleep).
    #[arg(long)]
    pub sleep: Option<f64>,
    /// Do not run the downloader (also when download.api_service_url is not set).
    #[arg(long)]
    pub no_download: bool,
}

/// Runs the site until SIGINT/SIGTERM (or, with --until-idle, until done).
pub fn run(cli: &Cli, a: &RunArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = crate::daemon::stop_on_signals()?;
    let sleep = a.sleep.unwrap_or(cfg.background.sleep_s);
    if !(sleep >= 0.0 && sleep.is_finite()) {
        anyhow::bail!("--sleep must be a number of seconds >= 0");
    }
    let download = !a.no_download && !cfg.download.api_service_url.is_empty();
    if !a.no_download && !download {
        tracing::info!("download.api_service_url is not set: no downloader (beams arrive with `palfa add-files`)");
    }
    let opts = SiteOptions {
        sleep: Duration::from_secs_f64(sleep),
        download,
        until_idle: a.until_idle,
    };
    // Survey bars when the log goes to a file and this is a terminal.
    let show = !cli.no_progress && cli.log_file.is_some();
    let done = std::sync::atomic::AtomicBool::new(false);
    let why = std::thread::scope(|scope| {
        if show {
            let (db, done) = (&cfg.background.jobtracker_db, &done);
            scope.spawn(move || {
                let Ok(t) = Tracker::open(db) else { return };
                let mut bars = crate::progress::SurveyBars::new(true);
                while !done.load(Ordering::Relaxed) {
                    if let Ok(p) = SurveyProgress::gather(&t) {
                        bars.update(&p);
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                bars.finish();
            });
        }
        let r = site::run(&cfg, &opts, &stop);
        done.store(true, Ordering::Relaxed);
        r
    })
    .context("running the site")?;
    match why {
        SiteStop::Signal => tracing::info!("stopped by a signal"),
        SiteStop::Idle => tracing::info!("nothing left to do; done"),
    }
    Ok(ExitCode::SUCCESS)
}
