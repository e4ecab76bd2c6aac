//! Queue managers: where jobs run.
//!
//! [`QueueManager`] has the seven methods of pipeline2.0's generic interface
//! (`submit`, `can_submit`, `is_running`, `delete`, `status`, `had_errors`,
//! `get_errors`) plus [`lookup`](QueueManager::lookup), which a restarted pooler
//! uses to find a submission by the token it gave the queue before it knew the
//! queue's id (see `docs/tracker.md`). Backends:
//!
//! - [`LocalQueue`]: child processes on this machine, detached from the pooler,
//!   their state in a directory per submission (the default);
//! - [`SlurmQueue`]: `sbatch`, `squeue`, `scancel` (and `sacct` when accounting is on);
//! - [`PbsQueue`]: Torque or OpenPBS, `qsub`, `qstat`, `qdel`.
//!
//! Every backend runs the same [`WorkerCommand`] through a small shell script
//! written into the submission's directory under `basic.qsublog_dir`; the
//! script records the worker's stdout, stderr and exit status there. A job
//! succeeded if and only if the worker exited with status 0; otherwise the
//! error text is the exit status and the end of its stderr.

mod error;
mod local;
mod pbs;
mod runner;
pub(crate) mod script;
mod slurm;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use palfa_core::config::{Config, QueueManagerKind};

pub use error::QueueError;
pub use local::LocalQueue;
pub use pbs::{parse_qstat_full, parse_qsub_output, PbsJob, PbsQueue};
pub use runner::{CommandOutput, CommandRunner, SystemRunner};
pub use slurm::SlurmQueue;

/// Every token starts with this (the job name in Slurm and PBS).
pub const TOKEN_PREFIX: &str = "palfa_";

/// The command a job runs: `program args… --outdir OUTDIR FILE…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerCommand {
    /// The program.
    pub program: PathBuf,
    /// Its first arguments (for `palfa` itself: `search`).
    pub args: Vec<String>,
    /// Environment variables set for it (e.g. `PALFA_CONFIG`).
    pub env: Vec<(String, String)>,
}

impl WorkerCommand {
    /// The command `jobpooler.worker_command` names: empty means this
    /// executable's `search` subcommand; otherwise a program and its arguments
    /// separated by white space. `PALFA_CONFIG` is set to the configuration
    /// file in use, if any.
    pub fn from_config(cfg: &Config) -> Result<Self, QueueError> {
        let words: Vec<&str> = cfg.jobpooler.worker_command.split_whitespace().collect();
        let (program, args) = match words.split_first() {
            Some((p, rest)) => (PathBuf::from(p), rest.iter().map(|s| s.to_string()).collect()),
            None => {
                let exe = std::env::current_exe().map_err(|source| QueueError::Io {
                    path: PathBuf::from("<current executable>"),
                    source,
                })?;
                (exe, vec!["search".to_string()])
            }
        };
        let mut env = Vec::new();
        if let Some(src) = &cfg.source {
            let abs = std::fs::canonicalize(src).unwrap_or_else(|_| src.clone());
            env.push((
                palfa_core::config::CONFIG_ENV.to_string(),
                abs.to_string_lossy().into_owned(),
            ));
        }
        Ok(Self { program, args, env })
    }

    /// The full command line for one job, program first.
    pub fn argv(&self, outdir: &Path, files: &[PathBuf]) -> Vec<String> {
        let mut v = vec![self.program.to_string_lossy().into_owned()];
        v.extend(self.args.iter().cloned());
        v.push("--outdir".into());
        v.push(outdir.to_string_lossy().into_owned());
        v.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
        v
    }
}

/// What to run for one submission.
#[derive(Debug, Clone, Copy)]
pub struct SubmitRequest<'a> {
    /// The job's id in the tracker.
    pub job_id: i64,
    /// The submission's unique token (see [`TOKEN_PREFIX`]).
    pub token: &'a str,
    /// The beam's data files.
    pub files: &'a [PathBuf],
    /// The results directory.
    pub outdir: &'a Path,
}

/// A submitted job: the queue's id and the token it was submitted with.
#[derive(Debug, Clone, Copy)]
pub struct JobRef<'a> {
    /// The queue's id.
    pub queue_id: &'a str,
    /// The submission's token.
    pub token: &'a str,
}

/// Jobs of this pipeline in the queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueStatus {
    /// Running.
    pub running: usize,
    /// Waiting to run.
    pub queued: usize,
}

/// A queue that runs jobs (pipeline2.0's `PipelineQueueManager`).
pub trait QueueManager: Send {
    /// The backend's name (`local`, `slurm`, `pbs`).
    fn kind(&self) -> &'static str;

    /// Submits a job; returns the queue's unique id for it.
    fn submit(&self, req: &SubmitRequest<'_>) -> Result<String, QueueError>;

    /// Whether jobs can be submitted now.
    fn can_submit(&self) -> Result<bool, QueueError>;

    /// Whether the job is still in the queue (waiting or running).
    fn is_running(&self, job: JobRef<'_>) -> Result<bool, QueueError>;

    /// Removes the job from the queue (stopping it if it runs). A job that has
    /// already left the queue is not an error.
    fn delete(&self, job: JobRef<'_>) -> Result<(), QueueError>;

    /// How many of this pipeline's jobs run and wait.
    fn status(&self) -> Result<QueueStatus, QueueError>;

    /// Whether a job that has left the queue ended with an error.
    fn had_errors(&self, job: JobRef<'_>) -> Result<bool, QueueError>;

    /// The error log of a finished job (empty if it had no errors).
    fn get_errors(&self, job: JobRef<'_>) -> Result<String, QueueError>;

    /// The queue id of the submission made with `token`, if the queue ever
    /// accepted it; `None` means it never reached the queue and never will.
    fn lookup(&self, token: &str) -> Result<Option<String>, QueueError>;

    /// How long after a submission was recorded [`lookup`](Self::lookup) can be
    /// trusted to answer `None` for good (a `sbatch` left running by a killed
    /// pooler may still be talking to the controller before that).
    fn submit_grace(&self) -> Duration {
        Duration::ZERO
    }
}

/// The queue manager `jobpooler.queue_manager` names, with its state under
/// `basic.qsublog_dir`.
pub fn from_config(cfg: &Config) -> Result<Box<dyn QueueManager>, QueueError> {
    with_worker(cfg, WorkerCommand::from_config(cfg)?)
}

/// The queue manager `jobpooler.queue_manager` names, running `worker` for
/// every job instead of `jobpooler.worker_command` (`palfa check --worker`
/// runs its worker-side check this way).
pub fn with_worker(cfg: &Config, worker: WorkerCommand) -> Result<Box<dyn QueueManager>, QueueError> {
    let logs = &cfg.basic.qsublog_dir;
    let runner: Arc<dyn CommandRunner> = Arc::new(SystemRunner::default());
    Ok(match &cfg.jobpooler.queue_manager {
        QueueManagerKind::Local => Box::new(LocalQueue::new(
            logs.join("local"),
            cfg.jobpooler.max_jobs_running,
            worker,
        )?),
        QueueManagerKind::Slurm(s) => Box::new(SlurmQueue::new(logs.join("slurm"), s.clone(), worker, runner)?),
        QueueManagerKind::Pbs(p) => Box::new(PbsQueue::new(logs.join("pbs"), p.clone(), worker, runner)?),
    })
}

/// Checks that a token is safe as a file name and a job name.
pub(crate) fn check_token(token: &str) -> Result<(), QueueError> {
    let ok = token.starts_with(TOKEN_PREFIX)
        && token.len() <= 64
        && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(QueueError::BadToken(token.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_puts_outdir_before_files() {
        let w = WorkerCommand {
            program: "/bin/worker".into(),
            args: vec!["search".into()],
            env: vec![],
        };
        let argv = w.argv(
            Path::new("/out"),
            &[PathBuf::from("/d/a.fits"), PathBuf::from("/d/b.fits")],
        );
        assert_eq!(
            argv,
            ["/bin/worker", "search", "--outdir", "/out", "/d/a.fits", "/d/b.fits"]
        );
    }

    #[test]
    fn tokens_are_checked() {
        assert!(check_token("palfa_12_34_abcdef").is_ok());
        assert!(check_token("palfa_1/../x").is_err());
        assert!(check_token("other").is_err());
    }
}
