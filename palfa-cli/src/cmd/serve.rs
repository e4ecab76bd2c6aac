//! `palfa serve` (being written).

use std::process::ExitCode;

use clap::Args;

use crate::Cli;

/// Arguments of `palfa serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {}

/// Runs `palfa serve`.
pub fn run(_cli: &Cli, _a: &ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("palfa serve is not written yet")
}
