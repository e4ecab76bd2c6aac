//! `palfa uploader`: the uploader daemon (processed beams into the results database).

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palfa_tracker::notify::notifier_from_config;
use palfa_tracker::resultsdb::{self, schema, StoreError};
use palfa_tracker::{RunOptions, StopReason, Tracker, Uploader};

use crate::Cli;

/// Arguments of `palfa uploader`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  palfa --config site/palfa.toml uploader                   # until SIGINT/SIGTERM
  palfa uploader --log-file logs/uploader.log --log-format json
  palfa uploader --once                                     # upload what is processed now")]
pub struct UploaderArgs {
    /// How it loops.
    #[command(flatten)]
    pub run: crate::daemon::LoopArgs,
}

/// Runs the uploader until SIGINT/SIGTERM (or the options say so).
pub fn run(cli: &Cli, args: &UploaderArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = crate::daemon::stop_on_signals()?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let _once = args.run.once();
    // A results database without this palfa's schema is a mistake to fix
    // first; one that cannot be reached now is waited for, unless this run
    // is meant to end.
    match resultsdb::open(&cfg.commondb).and_then(|mut s| schema::check(s.as_mut())) {
        Ok(()) => {}
        Err(e @ StoreError::Schema(_)) => return Err(e.into()),
        Err(e) if args.run.stop_on_error() => return Err(e.into()),
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
        sleep: args.run.sleep(cfg.background.sleep_s),
        until_idle: args.run.until_idle,
        max_iterations: args.run.max_iterations(),
        stop_on_error: args.run.stop_on_error(),
    };
    match up.run(&opts, &stop)? {
        StopReason::Signal => tracing::info!("uploader stopped by a signal"),
        StopReason::Idle => tracing::info!("no processed beam left; uploader done"),
        StopReason::Iterations => tracing::debug!("uploader did its iterations"),
    }
    Ok(ExitCode::SUCCESS)
}
