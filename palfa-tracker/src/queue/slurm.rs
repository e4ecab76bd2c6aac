//! Slurm: `sbatch`, `squeue`, `scancel`, and `sacct` when accounting is on.
//!
//! The job name is the submission's token, so `squeue --name` finds a job a
//! killed pooler submitted. The job script (see [`script`](super::script))
//! records the job id and the worker's exit status in the submission's
//! directory `<root>/<token>/`, which must be on a file system the compute
//! nodes share: that is how errors are known without accounting storage, and
//! after Slurm has forgotten the job (`MinJobAge`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use palfa_core::config::SlurmSettings;

use super::runner::{command_line, run_ok, run_submit};
use super::script::{self, Flavour, JobDir};
use super::{
    check_token, CommandRunner, JobRef, QueueError, QueueManager, QueueStatus, SubmitRequest, WorkerCommand,
    TOKEN_PREFIX,
};

/// Job states in which a job has left the queue for good.
const FINISHED: &[&str] = &[
    "BOOT_FAIL",
    "CANCELLED",
    "COMPLETED",
    "DEADLINE",
    "FAILED",
    "NODE_FAIL",
    "OUT_OF_MEMORY",
    "PREEMPTED",
    "REVOKED",
    "SPECIAL_EXIT",
    "TIMEOUT",
];

/// Job states counted as running (the rest of the unfinished ones are queued).
const RUNNING: &[&str] = &[
    "RUNNING",
    "COMPLETING",
    "CONFIGURING",
    "STAGE_OUT",
    "SIGNALING",
    "RESIZING",
];

/// `sbatch` errors that mean the job was refused: the controller's answer to a
/// submission it rejected, or options `sbatch` itself rejects before sending.
const SBATCH_REFUSALS: &[&str] = &[
    "Batch job submission failed:",
    "sbatch: error: Invalid",
    "sbatch: error: invalid",
    "sbatch: unrecognized option",
    "sbatch: invalid option",
];

/// Words in an `sbatch` error that mean the answer was lost on the way: the
/// job may have been queued.
const SBATCH_UNCLEAR: &[&str] = &[
    "timed out",
    "timeout",
    "unable to contact",
    "connection",
    "zero bytes were transmitted",
    "communication",
    "standby mode",
    "slurm_receive_msg",
    "try again",
];

/// A Slurm cluster reached through its command-line tools.
pub struct SlurmQueue {
    root: PathBuf,
    settings: SlurmSettings,
    worker: WorkerCommand,
    runner: Arc<dyn CommandRunner>,
}

impl std::fmt::Debug for SlurmQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlurmQueue")
            .field("root", &self.root)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl SlurmQueue {
    /// A Slurm queue keeping job scripts and logs under `root` (made if missing).
    pub fn new(
        root: impl Into<PathBuf>,
        settings: SlurmSettings,
        worker: WorkerCommand,
        runner: Arc<dyn CommandRunner>,
    ) -> Result<Self, QueueError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| QueueError::io(&root, e))?;
        Ok(Self {
            root,
            settings,
            worker,
            runner,
        })
    }

    /// The `sbatch` arguments for a submission whose directory is `dir`.
    pub fn sbatch_args(&self, token: &str, dir: &std::path::Path) -> Vec<String> {
        let s = &self.settings;
        let mut a = vec![
            "--parsable".to_string(),
            format!("--job-name={token}"),
            format!("--output={}", dir.join("slurm.out").display()),
            format!("--error={}", dir.join("slurm.err").display()),
            format!("--chdir={}", dir.display()),
        ];
        if !s.account.is_empty() {
            a.push(format!("--account={}", s.account));
        }
        if !s.partition.is_empty() {
            a.push(format!("--partition={}", s.partition));
        }
        if !s.time.is_empty() {
            a.push(format!("--time={}", s.time));
        }
        if !s.mem.is_empty() {
            a.push(format!("--mem={}", s.mem));
        }
        if s.cpus_per_task > 0 {
            a.push(format!("--cpus-per-task={}", s.cpus_per_task));
        }
        a.extend(s.extra_args.iter().cloned());
        a.push(dir.join("job.sh").to_string_lossy().into_owned());
        a
    }

    /// The job's state as `squeue` reports it (`None`: Slurm has forgotten it).
    fn state(&self, queue_id: &str) -> Result<Option<String>, QueueError> {
        let args = vec![
            "-h".to_string(),
            "-t".into(),
            "all".into(),
            "-j".into(),
            queue_id.to_string(),
            "-o".into(),
            "%T".into(),
        ];
        let out = self.runner.run("squeue", &args)?;
        if !out.success() {
            if out.stderr.contains("Invalid job id") {
                return Ok(None);
            }
            return Err(QueueError::Command {
                command: command_line("squeue", &args),
                status: out.status_text(),
                stderr: out.stderr.trim().to_string(),
            });
        }
        Ok(out
            .stdout
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string))
    }

    fn our_jobs(&self) -> Result<Vec<(String, String, String)>, QueueError> {
        let args = vec!["-h".to_string(), "--me".into(), "-o".into(), "%i|%j|%T".into()];
        let out = run_ok(self.runner.as_ref(), "squeue", &args)?;
        Ok(parse_squeue(&out.stdout)
            .into_iter()
            .filter(|(_, name, _)| name.starts_with(TOKEN_PREFIX))
            .collect())
    }

    fn job_dir(&self, token: &str) -> JobDir {
        JobDir::new(self.root.join(token))
    }

    /// What `sacct` says about a job, if accounting is on.
    fn sacct(&self, queue_id: &str) -> Option<String> {
        let args = vec![
            "-n".to_string(),
            "-P".into(),
            "-j".into(),
            queue_id.to_string(),
            "-o".into(),
            "JobID,State,ExitCode".into(),
        ];
        let out = self.runner.run("sacct", &args).ok()?;
        (out.success() && !out.stdout.trim().is_empty()).then(|| format!("sacct: {}", out.stdout.trim()))
    }
}

/// Parses `squeue -o %i|%j|%T` lines into (id, name, state).
pub(crate) fn parse_squeue(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.trim().splitn(3, '|');
            Some((it.next()?.to_string(), it.next()?.to_string(), it.next()?.to_string()))
        })
        .collect()
}

/// The job id in `sbatch --parsable` output (`id` or `id;cluster`).
pub(crate) fn parse_sbatch(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let id = line.split(';').next()?.trim();
    (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit() || c == '_')).then(|| id.to_string())
}

impl QueueManager for SlurmQueue {
    fn kind(&self) -> &'static str {
        "slurm"
    }

    fn submit(&self, req: &SubmitRequest<'_>) -> Result<String, QueueError> {
        check_token(req.token)?;
        let dir = self.root.join(req.token);
        let argv = self.worker.argv(req.outdir, req.files);
        let text = script::render(&dir, req.token, Flavour::Batch("SLURM_JOB_ID"), &argv, &self.worker.env);
        script::write_job_dir(&dir, req.token, &text)?;
        let args = self.sbatch_args(req.token, &dir);
        let out = run_submit(self.runner.as_ref(), "sbatch", &args, SBATCH_REFUSALS, SBATCH_UNCLEAR)?;
        parse_sbatch(&out.stdout).ok_or_else(|| QueueError::Parse {
            command: command_line("sbatch", &args),
            message: "expected a job id".into(),
            output: out.stdout.clone(),
        })
    }

    fn can_submit(&self) -> Result<bool, QueueError> {
        // The controller answers: jobs can be submitted (limits are the pooler's).
        self.our_jobs().map(|_| true)
    }

    fn is_running(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        Ok(match self.state(job.queue_id)? {
            None => false,
            Some(s) => !FINISHED.iter().any(|f| s.starts_with(f)),
        })
    }

    fn delete(&self, job: JobRef<'_>) -> Result<(), QueueError> {
        let jd = self.job_dir(job.token);
        if jd.dir.is_dir() {
            jd.mark_deleted(&format!("cancelled with scancel at {}", crate::clock::now()))?;
        }
        let args = vec![job.queue_id.to_string()];
        let out = self.runner.run("scancel", &args)?;
        if out.success() || out.stderr.contains("Invalid job id") || out.stderr.contains("already completing") {
            Ok(())
        } else {
            Err(QueueError::Command {
                command: command_line("scancel", &args),
                status: out.status_text(),
                stderr: out.stderr.trim().to_string(),
            })
        }
    }

    fn status(&self) -> Result<QueueStatus, QueueError> {
        let mut st = QueueStatus::default();
        for (_, _, state) in self.our_jobs()? {
            if RUNNING.contains(&state.as_str()) {
                st.running += 1;
            } else if !FINISHED.iter().any(|f| state.starts_with(f)) {
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
        if let Ok(Some(state)) = self.state(job.queue_id) {
            extra.push(format!("Slurm job {} state: {state}", job.queue_id));
        }
        extra.extend(self.sacct(job.queue_id));
        Ok(jd.error_report(&["stderr", "slurm.err"], &extra))
    }

    fn lookup(&self, token: &str) -> Result<Option<String>, QueueError> {
        check_token(token)?;
        let args = vec![
            "-h".to_string(),
            "--me".into(),
            "-t".into(),
            "all".into(),
            format!("--name={token}"),
            "-o".into(),
            "%i".into(),
        ];
        let out = run_ok(self.runner.as_ref(), "squeue", &args)?;
        // Tokens are unique, but take the newest job should a name recur.
        let newest = out
            .stdout
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .max_by_key(|id| (id.len(), id.to_string()));
        if let Some(id) = newest {
            return Ok(Some(id.to_string()));
        }
        // Forgotten by Slurm, but it ran: its script wrote the id.
        Ok(self.job_dir(token).recorded_jobid())
    }

    fn submit_grace(&self) -> Duration {
        Duration::from_secs_f64(self.settings.submit_grace_s.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_outputs() {
        assert_eq!(parse_sbatch("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_sbatch("77;cluster\n").as_deref(), Some("77"));
        assert_eq!(parse_sbatch("Submitted batch job 5"), None);
        let rows = parse_squeue("12|palfa_1_2_ab|RUNNING\n13|other|PENDING\n");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], ("12".into(), "palfa_1_2_ab".into(), "RUNNING".into()));
    }

    #[test]
    fn sbatch_arguments_follow_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let q = SlurmQueue::new(
            dir.path(),
            SlurmSettings {
                account: "acct".into(),
                partition: "part".into(),
                time: "1:00:00".into(),
                mem: String::new(),
                cpus_per_task: 2,
                extra_args: vec!["--qos=low".into()],
                submit_grace_s: 120.0,
            },
            WorkerCommand {
                program: "/bin/true".into(),
                args: vec![],
                env: vec![],
            },
            Arc::new(super::super::SystemRunner::default()),
        )
        .unwrap();
        let a = q.sbatch_args("palfa_1_1_x", &dir.path().join("palfa_1_1_x"));
        assert!(a.contains(&"--account=acct".to_string()));
        assert!(a.contains(&"--partition=part".to_string()));
        assert!(a.contains(&"--time=1:00:00".to_string()));
        assert!(a.contains(&"--cpus-per-task=2".to_string()));
        assert!(a.contains(&"--qos=low".to_string()));
        assert!(!a.iter().any(|x| x.starts_with("--mem")));
        assert!(a.last().unwrap().ends_with("palfa_1_1_x/job.sh"));
    }
}
