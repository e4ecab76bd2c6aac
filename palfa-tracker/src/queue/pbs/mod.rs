//! Torque / OpenPBS: `qsub`, `qstat`, `qdel`.
//!
//! The job name (`-N`) is the submission's token, so `qstat -f` finds a job a
//! killed pooler submitted. As with Slurm, the job script records the job id
//! and the worker's exit status in `<root>/<token>/` (a shared file system).
//! A job counts as running while `qstat` shows it in a state other than
//! completed (`C`, Torque) or finished (`F`, OpenPBS).

mod parse;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use palfa_core::config::PbsSettings;

pub use parse::{parse_qstat_full, parse_qsub_output, PbsJob};

use super::runner::{command_line, run_ok, run_submit};
use super::script::{self, Flavour, JobDir};
use super::{
    check_token, CommandRunner, JobRef, QueueError, QueueManager, QueueStatus, SubmitRequest, WorkerCommand,
    TOKEN_PREFIX,
};

/// `qsub` errors that mean the server rejected the job (Torque's and
/// OpenPBS's messages for a request they answered with a refusal).
const QSUB_REFUSALS: &[&str] = &[
    "Bad UID",
    "Unknown queue",
    "Unauthorized Request",
    "exceeds queue resource limits",
    "Illegal attribute or resource value",
    "Unknown resource",
    "Queue is not enabled",
    "Job rejected",
    "would exceed",
    "qsub: illegal -",
    "qsub: invalid option",
    "usage: qsub",
];

/// Words in a `qsub` error that mean the answer was lost on the way.
const QSUB_UNCLEAR: &[&str] = &[
    "end of file",
    "cannot connect",
    "connection",
    "timed out",
    "timeout",
    "protocol error",
    "pbs_iff",
    "try again",
];

/// A Torque or OpenPBS server reached through its command-line tools.
pub struct PbsQueue {
    root: PathBuf,
    settings: PbsSettings,
    worker: WorkerCommand,
    runner: Arc<dyn CommandRunner>,
    user: Option<String>,
}

impl std::fmt::Debug for PbsQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PbsQueue")
            .field("root", &self.root)
            .field("settings", &self.settings)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl PbsQueue {
    /// A PBS queue keeping job scripts and logs under `root` (made if missing);
    /// [`status`](QueueManager::status) counts the jobs of `$USER`.
    pub fn new(
        root: impl Into<PathBuf>,
        settings: PbsSettings,
        worker: WorkerCommand,
        runner: Arc<dyn CommandRunner>,
    ) -> Result<Self, QueueError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| QueueError::io(&root, e))?;
        let user = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).ok();
        Ok(Self {
            root,
            settings,
            worker,
            runner,
            user,
        })
    }

    /// Counts the jobs of `user` instead of `$USER` (`None`: of everyone).
    pub fn with_user(mut self, user: Option<&str>) -> Self {
        self.user = user.map(str::to_string);
        self
    }

    /// The `qsub` arguments for a submission whose directory is `dir`.
    pub fn qsub_args(&self, token: &str, dir: &Path) -> Vec<String> {
        let s = &self.settings;
        let mut a = vec![
            "-V".to_string(),
            "-N".into(),
            token.to_string(),
            "-o".into(),
            dir.join("pbs.out").to_string_lossy().into_owned(),
            "-e".into(),
            dir.join("pbs.err").to_string_lossy().into_owned(),
        ];
        if !s.queue.is_empty() {
            a.push("-q".into());
            a.push(s.queue.clone());
        }
        if !s.resources.is_empty() {
            a.push("-l".into());
            a.push(s.resources.clone());
        }
        a.extend(s.extra_args.iter().cloned());
        a.push(dir.join("job.sh").to_string_lossy().into_owned());
        a
    }

    fn job_dir(&self, token: &str) -> JobDir {
        JobDir::new(self.root.join(token))
    }

    /// The job as `qstat -f <id>` shows it (`None`: unknown or finished and forgotten).
    fn qstat_one(&self, queue_id: &str) -> Result<Option<PbsJob>, QueueError> {
        let args = vec!["-f".to_string(), queue_id.to_string()];
        let out = self.runner.run("qstat", &args)?;
        if !out.success() {
            if parse::says_job_gone(&out.stderr) {
                return Ok(None);
            }
            return Err(QueueError::Command {
                command: command_line("qstat", &args),
                status: out.status_text(),
                stderr: out.stderr.trim().to_string(),
            });
        }
        Ok(parse_qstat_full(&out.stdout).into_iter().next())
    }

    /// This pipeline's jobs in `qstat -f`.
    fn our_jobs(&self) -> Result<Vec<PbsJob>, QueueError> {
        let out = run_ok(self.runner.as_ref(), "qstat", &["-f".to_string()])?;
        Ok(parse_qstat_full(&out.stdout)
            .into_iter()
            .filter(|j| j.name().is_some_and(|n| n.starts_with(TOKEN_PREFIX)))
            .filter(|j| match (&self.user, j.owner()) {
                (Some(u), Some(o)) => u == o,
                _ => true,
            })
            .collect())
    }
}

impl QueueManager for PbsQueue {
    fn kind(&self) -> &'static str {
        "pbs"
    }

    fn submit(&self, req: &SubmitRequest<'_>) -> Result<String, QueueError> {
        check_token(req.token)?;
        let dir = self.root.join(req.token);
        let argv = self.worker.argv(req.outdir, req.files);
        let text = script::render(&dir, req.token, Flavour::Batch("PBS_JOBID"), &argv, &self.worker.env);
        script::write_job_dir(&dir, req.token, &text)?;
        let args = self.qsub_args(req.token, &dir);
        let out = run_submit(self.runner.as_ref(), "qsub", &args, QSUB_REFUSALS, QSUB_UNCLEAR)?;
        parse_qsub_output(&out.stdout).ok_or_else(|| QueueError::Parse {
            command: command_line("qsub", &args),
            message: "expected a job id".into(),
            output: out.stdout.clone(),
        })
    }

    fn can_submit(&self) -> Result<bool, QueueError> {
        self.our_jobs().map(|_| true)
    }

    fn is_running(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        Ok(self.qstat_one(job.queue_id)?.is_some_and(|j| !j.is_finished()))
    }

    fn delete(&self, job: JobRef<'_>) -> Result<(), QueueError> {
        let jd = self.job_dir(job.token);
        if jd.dir.is_dir() {
            jd.mark_deleted(&format!("deleted with qdel at {}", crate::clock::now()))?;
        }
        let args = vec![job.queue_id.to_string()];
        let out = self.runner.run("qdel", &args)?;
        if out.success() || parse::says_job_gone(&out.stderr) {
            Ok(())
        } else {
            Err(QueueError::Command {
                command: command_line("qdel", &args),
                status: out.status_text(),
                stderr: out.stderr.trim().to_string(),
            })
        }
    }

    fn status(&self) -> Result<QueueStatus, QueueError> {
        let mut st = QueueStatus::default();
        for j in self.our_jobs()? {
            if j.is_running() {
                st.running += 1;
            } else if !j.is_finished() {
                st.queued += 1;
            }
        }
        Ok(st)
    }

    fn had_errors(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        Ok(!self.job_dir(job.token).succeeded())
    }

    fn get_errors(&self, job: JobRef<'_>) -> Result<String, QueueError> {
        let jd = self.job_dir(job.token);
        if jd.succeeded() {
            return Ok(String::new());
        }
        let mut extra = Vec::new();
        if let Ok(Some(j)) = self.qstat_one(job.queue_id) {
            if let Some(code) = j.exit_status() {
                extra.push(format!("PBS job {} exit status: {code}", j.id));
            }
        }
        Ok(jd.error_report(&["stderr", "pbs.err"], &extra))
    }

    fn lookup(&self, token: &str) -> Result<Option<String>, QueueError> {
        check_token(token)?;
        let found = self.our_jobs()?.into_iter().find(|j| j.name() == Some(token));
        if let Some(j) = found {
            return Ok(Some(j.id));
        }
        Ok(self.job_dir(token).recorded_jobid())
    }

    fn submit_grace(&self) -> Duration {
        Duration::from_secs_f64(self.settings.submit_grace_s.max(0.0))
    }
}
