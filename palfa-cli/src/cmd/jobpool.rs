//! `palfa jobpool`: the job pooler daemon.

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use palfa_tracker::notify::notifier_from_config;
use palfa_tracker::{JobPool, PoolSettings, RunOptions, StopReason, Tracker};

use crate::Cli;

/// Arguments of `palfa jobpool`.
#[derive(Debug, Args)]
pub struct JobpoolArgs {
    /// Do one iteration and exit.
    #[arg(long)]
    pub once: bool,
    /// Exit once no job is pending (every beam processed or given up).
    #[arg(long)]
    pub until_idle: bool,
    /// Exit after this many iterations.
    #[arg(long)]
    pub max_iterations: Option<usize>,
    /// Seconds between iterations (default: background.sleep).
    #[arg(long)]
    pub sleep: Option<f64>,
}

/// Runs the pooler until SIGINT/SIGTERM (or the options say so).
pub fn run(cli: &Cli, args: &JobpoolArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while stopping ends the process at once.
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let queue = palfa_tracker::queue::from_config(&cfg).context("setting up the queue manager")?;
    tracing::info!(
        db = %cfg.background.jobtracker_db.display(),
        queue = queue.kind(),
        "job pooler starting"
    );
    // E-mail when `[email] enabled` (naming each job's files), else the log only.
    let notifier = notifier_from_config(&cfg.email, Some(Tracker::open(&cfg.background.jobtracker_db)?))
        .context("setting up e-mail notifications")?;
    let mut pool = JobPool::new(tracker, queue, notifier, PoolSettings::from_config(&cfg))?;
    let once = args.once || args.max_iterations == Some(1);
    let opts = RunOptions {
        sleep: Duration::from_secs_f64(args.sleep.unwrap_or(cfg.background.sleep_s).max(0.0)),
        until_idle: args.until_idle,
        max_iterations: if once { Some(1) } else { args.max_iterations },
        stop_on_error: once || args.until_idle,
    };
    let why = pool.run(&opts, &stop)?;
    match why {
        StopReason::Signal => tracing::info!("job pooler stopped by a signal"),
        StopReason::Idle => tracing::info!("no job pending; job pooler done"),
        StopReason::Iterations => tracing::debug!("job pooler did its iterations"),
    }
    Ok(ExitCode::SUCCESS)
}
