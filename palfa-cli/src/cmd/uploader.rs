//! `palfa uploader`: the uploader daemon (processed beams into the results database).

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use palfa_tracker::notify::notifier_from_config;
use palfa_tracker::resultsdb::{self, schema, StoreError};
use palfa_tracker::{RunOptions, StopReason, Tracker, Uploader};

use crate::Cli;

/// Arguments of `palfa uploader`.
#[derive(Debug, Args)]
pub struct UploaderArgs {
    /// Do one iteration and exit.
    #[arg(long)]
    pub once: bool,
    /// Exit once no job is `processed` (every processed beam uploaded or refused).
    #[arg(long)]
    pub until_idle: bool,
    /// Exit after this many iterations.
    #[arg(long)]
    pub max_iterations: Option<usize>,
    /// Seconds between iterations (default: background.sleep).
    #[arg(long)]
    pub sleep: Option<f64>,
}

/// Runs the uploader until SIGINT/SIGTERM (or the options say so).
pub fn run(cli: &Cli, args: &UploaderArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let once = args.once || args.max_iterations == Some(1);
    // A results database without this palfa's schema is a mistake to fix
    // first; one that cannot be reached now is waited for, unless this run
    // is meant to end.
    match resultsdb::open(&cfg.commondb).and_then(|mut s| schema::check(s.as_mut())) {
        Ok(()) => {}
        Err(e @ StoreError::Schema(_)) => return Err(e.into()),
        Err(e) if once || args.until_idle => return Err(e.into()),
        Err(e) => tracing::warn!("results database not reachable yet (will keep trying): {e}"),
    }
    let notifier = notifier_from_config(&cfg.email, Some(Tracker::open(&cfg.background.jobtracker_db)?))
        .context("setting up e-mail notifications")?;
    let mut up = Uploader::from_config(&cfg, tracker, notifier);
    tracing::info!(
        db = %cfg.background.jobtracker_db.display(),
        version_num = %up.settings().provenance.version_num,
        "uploader starting"
    );
    let opts = RunOptions {
        sleep: Duration::from_secs_f64(args.sleep.unwrap_or(cfg.background.sleep_s).max(0.0)),
        until_idle: args.until_idle,
        max_iterations: if once { Some(1) } else { args.max_iterations },
        stop_on_error: once || args.until_idle,
    };
    match up.run(&opts, &stop)? {
        StopReason::Signal => tracing::info!("uploader stopped by a signal"),
        StopReason::Idle => tracing::info!("no processed beam left; uploader done"),
        StopReason::Iterations => tracing::debug!("uploader did its iterations"),
    }
    Ok(ExitCode::SUCCESS)
}
