//! `palfa jobs stop` and `palfa jobs kill`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use palfa_tracker::{ops, Tracker};

use crate::Cli;

/// `palfa jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Remove running jobs from the queue (by default the attempt does not count and the job is resubmitted).
    Stop {
        /// Count the attempt: the job fails (and is retried or given up like any failure).
        #[arg(short, long)]
        fail: bool,
        /// Queue ids (as `palfa status` lists them).
        #[arg(required = true)]
        queue_ids: Vec<String>,
    },
    /// Make jobs terminal failures, removing them from the queue and deleting
    /// their raw data if basic.delete_rawdata is set.
    Kill {
        /// A job id (repeatable).
        #[arg(short, long = "id")]
        ids: Vec<i64>,
        /// A file of the job (repeatable).
        #[arg(short, long = "file")]
        files: Vec<PathBuf>,
    },
}

/// Runs a `jobs` subcommand; exits with failure if something was not done.
pub fn run(cli: &Cli, cmd: &JobsCommand) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let queue = palfa_tracker::queue::from_config(&cfg)?;
    let mut all_done = true;
    match cmd {
        JobsCommand::Stop { fail, queue_ids } => {
            for o in ops::stop_submissions(&tracker, queue.as_ref(), queue_ids, *fail)? {
                all_done &= o.stopped;
                println!("{}: {}", o.queue_id, o.message);
            }
        }
        JobsCommand::Kill { ids, files } => {
            if ids.is_empty() && files.is_empty() {
                anyhow::bail!("name jobs with --id ID or --file FILE");
            }
            let outcomes = ops::kill_jobs(&tracker, queue.as_ref(), ids, files, cfg.basic.delete_rawdata)?;
            for o in outcomes {
                all_done &= o.killed;
                let deleted = if o.files_deleted > 0 {
                    format!(" ({} raw files deleted)", o.files_deleted)
                } else {
                    String::new()
                };
                println!("job {}: {}{deleted}", o.job_id, o.message);
            }
        }
    }
    Ok(if all_done { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
