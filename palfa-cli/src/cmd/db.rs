//! `palfa db create` and `palfa db migrate`: the job-tracker database.

use std::process::ExitCode;

use clap::Subcommand;
use palfa_tracker::db::SCHEMA_VERSION;
use palfa_tracker::Tracker;

use crate::Cli;

/// `palfa db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Create the job-tracker database (background.jobtracker_db); does nothing if it exists.
    Create,
    /// Bring an existing job-tracker database to this palfa's schema version.
    Migrate,
}

/// Runs a `db` subcommand.
pub fn run(cli: &Cli, cmd: &DbCommand) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let path = &cfg.background.jobtracker_db;
    match cmd {
        DbCommand::Create => {
            let (t, created) = Tracker::create(path)?;
            let version = t.schema_version()?;
            if created {
                println!("{}: created (schema version {version})", path.display());
            } else if version < SCHEMA_VERSION {
                println!(
                    "{}: exists, schema version {version}; run `palfa db migrate` to bring it to {SCHEMA_VERSION}",
                    path.display()
                );
            } else {
                println!("{}: exists (schema version {version}); nothing done", path.display());
            }
        }
        DbCommand::Migrate => {
            let t = Tracker::open_any_version(path)?;
            let (before, after) = t.migrate()?;
            if before == after {
                println!("{}: schema version {after} is current; nothing done", path.display());
            } else {
                println!("{}: migrated from schema version {before} to {after}", path.display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
