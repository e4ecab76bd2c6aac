//! `[jobpooler]`: how jobs are made, submitted and retried, and the queue backends.

use std::path::PathBuf;

use super::reader::{PathKind, Section};

/// Which queue manager runs the jobs.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueManagerKind {
    /// Child processes on this machine (the default).
    Local,
    /// Slurm (`sbatch`, `squeue`, `sacct`, `scancel`).
    Slurm(SlurmSettings),
    /// Torque / OpenPBS (`qsub`, `qstat`, `qdel`).
    Pbs(PbsSettings),
}

impl QueueManagerKind {
    /// The name used in the configuration file.
    pub fn name(&self) -> &'static str {
        match self {
            QueueManagerKind::Local => "local",
            QueueManagerKind::Slurm(_) => "slurm",
            QueueManagerKind::Pbs(_) => "pbs",
        }
    }
}

/// `[jobpooler.slurm]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmSettings {
    /// `--account` (empty: not given).
    pub account: String,
    /// `--partition` (empty: the cluster's default).
    pub partition: String,
    /// `--time` limit, e.g. `"24:00:00"`.
    pub time: String,
    /// `--mem`, e.g. `"4G"` (empty: not given).
    pub mem: String,
    /// `--cpus-per-task`.
    pub cpus_per_task: u32,
    /// Extra arguments passed to `sbatch` as they are.
    pub extra_args: Vec<String>,
    /// Seconds after a submission was recorded before a pooler trusts
    /// `squeue` saying it does not hold the job (a submission whose `sbatch`
    /// was killed or timed out may still reach the controller meanwhile).
    pub submit_grace_s: f64,
}

/// `[jobpooler.pbs]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PbsSettings {
    /// Queue (`-q`; empty: the server's default).
    pub queue: String,
    /// Resource list (`-l`), e.g. `"nodes=1:ppn=2,walltime=24:00:00"`.
    pub resources: String,
    /// Extra arguments passed to `qsub` as they are.
    pub extra_args: Vec<String>,
    /// Seconds after a submission was recorded before a pooler trusts
    /// `qstat` saying it does not hold the job.
    pub submit_grace_s: f64,
}

impl Default for SlurmSettings {
    /// One day, 4 GB and 2 CPUs per job, 120 s of submission grace.
    fn default() -> Self {
        Self {
            account: String::new(),
            partition: String::new(),
            time: "24:00:00".into(),
            mem: "4G".into(),
            cpus_per_task: 2,
            extra_args: Vec::new(),
            submit_grace_s: DEFAULT_SUBMIT_GRACE_S,
        }
    }
}

impl Default for PbsSettings {
    /// One node, one core, a day per job, 120 s of submission grace.
    fn default() -> Self {
        Self {
            queue: String::new(),
            resources: "nodes=1:ppn=1,walltime=24:00:00".into(),
            extra_args: Vec::new(),
            submit_grace_s: DEFAULT_SUBMIT_GRACE_S,
        }
    }
}

/// Default seconds before a pooler trusts a queue that does not list a job.
pub const DEFAULT_SUBMIT_GRACE_S: f64 = 120.0;
/// Default `jobpooler.base_results_directory`, relative to the configuration's directory.
pub const DEFAULT_RESULTS_DIR: &str = "results";

/// `[jobpooler]`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobPooler {
    /// Directory under which each job's results directory is made.
    pub base_results_directory: PathBuf,
    /// Most jobs running at once.
    pub max_jobs_running: usize,
    /// Most jobs waiting in the queue at once (at least 1).
    pub max_jobs_queue: usize,
    /// Submissions of one job before it is a terminal failure.
    pub max_attempts: usize,
    /// Which queue runs the jobs.
    pub queue_manager: QueueManagerKind,
    /// Command a job runs (`{palfa} search …`); empty: this `palfa` executable.
    pub worker_command: String,
    /// Seconds a lone half of a Mock pair waits for its partner before it is reported.
    pub lone_file_wait_s: f64,
    /// Times the queue may refuse one job before it is a terminal failure.
    pub max_refusals: usize,
    /// Seconds a refused job waits before it is submitted again (doubled
    /// with each refusal, at most an hour).
    pub refusal_backoff_s: f64,
}

impl Default for JobPooler {
    /// The local queue, two jobs running and one waiting, two attempts each.
    fn default() -> Self {
        Self {
            base_results_directory: DEFAULT_RESULTS_DIR.into(),
            max_jobs_running: 2,
            max_jobs_queue: 1,
            max_attempts: 2,
            queue_manager: QueueManagerKind::Local,
            worker_command: String::new(),
            lone_file_wait_s: 3600.0,
            max_refusals: 5,
            refusal_backoff_s: 60.0,
        }
    }
}

impl JobPooler {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        let max_jobs_running = s.int("max_jobs_running", d.max_jobs_running as i64, 1, 100_000) as usize;
        let max_jobs_queue = s.int("max_jobs_queue", d.max_jobs_queue as i64, 1, 100_000) as usize;
        let kind = s.choice("queue_manager", "local", &["local", "slurm", "pbs"]);
        let slurm_t = s.sub_table("slurm");
        let pbs_t = s.sub_table("pbs");
        let base_results_directory = s
            .path(
                "base_results_directory",
                DEFAULT_RESULTS_DIR,
                PathKind::WritableDir,
                false,
            )
            .unwrap_or_default();
        let max_attempts = s.int("max_attempts", d.max_attempts as i64, 1, 1000) as usize;
        let worker_command = s.string("worker_command", &d.worker_command);
        let lone_file_wait_s = s.f64("lone_file_wait_s", d.lone_file_wait_s, 0.0, 1e9);
        let max_refusals = s.int("max_refusals", d.max_refusals as i64, 1, 1000) as usize;
        let refusal_backoff_s = s.f64("refusal_backoff_s", d.refusal_backoff_s, 0.0, 86_400.0);
        let ctx = &mut *s.ctx;
        let slurm = {
            let mut t = Section::nested(slurm_t, "jobpooler.slurm", ctx);
            let d = SlurmSettings::default();
            let v = SlurmSettings {
                account: t.string("account", &d.account),
                partition: t.string("partition", &d.partition),
                time: t.string("time", &d.time),
                mem: t.string("mem", &d.mem),
                cpus_per_task: t.int("cpus_per_task", i64::from(d.cpus_per_task), 1, 1024) as u32,
                extra_args: t.string_list("extra_args"),
                submit_grace_s: t.f64("submit_grace_s", d.submit_grace_s, 0.0, 86_400.0),
            };
            if !valid_slurm_time(&v.time) {
                let k = t.key("time");
                t.ctx.problem(
                    &k,
                    format!("{:?} is not a Slurm time (minutes, or [D-]HH:MM:SS)", v.time),
                );
            }
            t.finish();
            v
        };
        let pbs = {
            let mut t = Section::nested(pbs_t, "jobpooler.pbs", ctx);
            let d = PbsSettings::default();
            let v = PbsSettings {
                queue: t.string("queue", &d.queue),
                resources: t.string("resources", &d.resources),
                extra_args: t.string_list("extra_args"),
                submit_grace_s: t.f64("submit_grace_s", d.submit_grace_s, 0.0, 86_400.0),
            };
            t.finish();
            v
        };
        let queue_manager = match kind.as_str() {
            "slurm" => QueueManagerKind::Slurm(slurm),
            "pbs" => QueueManagerKind::Pbs(pbs),
            _ => QueueManagerKind::Local,
        };
        Self {
            base_results_directory,
            max_jobs_running,
            max_jobs_queue,
            max_attempts,
            queue_manager,
            worker_command,
            lone_file_wait_s,
            max_refusals,
            refusal_backoff_s,
        }
    }
}

/// Slurm accepts `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`.
fn valid_slurm_time(t: &str) -> bool {
    let (days, rest) = match t.split_once('-') {
        Some((d, r)) => (Some(d), r),
        None => (None, t),
    };
    if let Some(d) = days {
        if d.is_empty() || !d.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let parts: Vec<&str> = rest.split(':').collect();
    !rest.is_empty()
        && parts.len() <= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn slurm_times() {
        for ok in ["60", "24:00:00", "1-00:00:00", "2-12", "30:00"] {
            assert!(super::valid_slurm_time(ok), "{ok}");
        }
        for bad in ["", "1h", "a-10", "1:2:3:4", "10:"] {
            assert!(!super::valid_slurm_time(bad), "{bad}");
        }
    }
}
