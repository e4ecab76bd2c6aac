//! `palfa jobpool`: the job pooler daemon.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palfa_tracker::notify::notifier_from_config;
use palfa_tracker::{JobPool, PoolSettings, RunOptions, StopReason, Tracker};

use crate::Cli;

/// Arguments of `palfa jobpool`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  palfa --config site/palfa.toml jobpool                    # until SIGINT/SIGTERM
  palfa jobpool --log-file logs/jobpool.log --log-format json
  palfa jobpool --until-idle --sleep 5                      # search what is tracked, then exit")]
pub struct JobpoolArgs {
    /// How it loops.
    #[command(flatten)]
    pub run: crate::daemon::LoopArgs,
}

/// Runs the pooler until SIGINT/SIGTERM (or the options say so).
pub fn run(cli: &Cli, args: &JobpoolArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = crate::daemon::stop_on_signals()?;
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
    let _once = args.run.once();
    let opts = RunOptions {
        sleep: args.run.sleep(cfg.background.sleep_s),
        until_idle: args.run.until_idle,
        max_iterations: args.run.max_iterations(),
        stop_on_error: args.run.stop_on_error(),
    };
    let why = pool.run(&opts, &stop)?;
    match why {
        StopReason::Signal => tracing::info!("job pooler stopped by a signal"),
        StopReason::Idle => tracing::info!("no job pending; job pooler done"),
        StopReason::Iterations => tracing::debug!("job pooler did its iterations"),
    }
    Ok(ExitCode::SUCCESS)
}
