//! `palfa report` (being written).

use std::process::ExitCode;

use clap::Args;

use crate::Cli;

/// Arguments of `palfa report`.
#[derive(Debug, Args)]
pub struct ReportArgs {}

/// Runs `palfa report`.
pub fn run(_cli: &Cli, _a: &ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("palfa report is not written yet")
}
