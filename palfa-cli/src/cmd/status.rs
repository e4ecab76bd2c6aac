//! `palfa status`: the survey at a glance.

use std::process::ExitCode;

use clap::Args;
use palfa_tracker::download::DownloadStatus;
use palfa_tracker::{DownloadSettings, StatusReport, Tracker};

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

/// Prints counts by state, live submissions, recent failures and the downloads.
pub fn run(cli: &Cli, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let report = StatusReport::gather(&tracker, args.recent)?;
    // The download side: requests, transfers in flight, disk against the budget.
    let downloads = DownloadStatus::gather(&tracker, &DownloadSettings::from_config(&cfg))?;
    if args.json {
        let mut v = serde_json::to_value(&report)?;
        if let Some(m) = v.as_object_mut() {
            m.insert("downloads".into(), serde_json::to_value(&downloads)?);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", report.to_text());
        print!("{}", downloads.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
