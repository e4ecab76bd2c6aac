//! `palfa status`: the survey at a glance.

use std::process::ExitCode;

use clap::Args;
use palfa_tracker::{StatusReport, Tracker};

use crate::Cli;

/// Arguments of `palfa status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// How many recent failures to list.
    #[arg(long, default_value_t = 10)]
    pub recent: usize,
}

/// Prints counts by state, live submissions and recent failures.
pub fn run(cli: &Cli, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let report = StatusReport::gather(&tracker, args.recent)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
