//! `palfa add-files DIR`: track data files that arrived without the downloader.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palfa_tracker::{ops, Tracker};

use crate::Cli;

/// Arguments of `palfa add-files`.
#[derive(Debug, Args)]
pub struct AddFilesArgs {
    /// Directory holding the data files.
    pub dir: PathBuf,
    /// Look in subdirectories too.
    #[arg(short, long)]
    pub recursive: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Adds the files; exits with failure if some were skipped as unreadable.
pub fn run(cli: &Cli, args: &AddFilesArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let report = ops::add_files(&tracker, &args.dir, args.recursive)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (id, p) in &report.added {
            println!("added     {} (file {id})", p.display());
        }
        for (p, existing) in &report.duplicates {
            println!("tracked   {} (as {})", p.display(), existing.display());
        }
        for (p, why) in &report.skipped {
            println!("skipped   {}: {why}", p.display());
        }
        println!(
            "{} added, {} already tracked, {} skipped",
            report.added.len(),
            report.duplicates.len(),
            report.skipped.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}
