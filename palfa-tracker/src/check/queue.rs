//! `queue`: the queue manager's commands are found and answer, with the
//! counts of running and queued jobs. The local queue needs nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use palfa_core::config::{Config, QueueManagerKind};

use super::{CheckOptions, Verdict};
use crate::queue::{CommandRunner, SystemRunner, WorkerCommand};

pub(crate) fn check(cfg: &Config, opts: &CheckOptions) -> Verdict {
    let mut details = Vec::new();
    match WorkerCommand::from_config(cfg) {
        Ok(_) if cfg.jobpooler.worker_command.trim().is_empty() => {
            details.push("worker command: this palfa's `palfa search`".into())
        }
        Ok(_) => details.push(format!("worker command: {}", cfg.jobpooler.worker_command)),
        Err(e) => {
            return Verdict::fail(
                format!("the worker command cannot be used: {e}"),
                "set jobpooler.worker_command (the program each job runs: palfa search)",
            )
        }
    }
    let (kind, commands, list): (&str, &[&str], (&str, Vec<String>)) = match &cfg.jobpooler.queue_manager {
        QueueManagerKind::Local => {
            details.insert(
                0,
                format!(
                    "local queue: jobs run as child processes of the job pooler on this machine (at most {} at once); \
                 no queue manager to ask",
                    cfg.jobpooler.max_jobs_running
                ),
            );
            return Verdict::Pass(details);
        }
        QueueManagerKind::Slurm(_) => (
            "Slurm",
            &["sbatch", "squeue", "sacct", "scancel"],
            ("squeue", vec!["--noheader".into(), "--format=%T".into()]),
        ),
        QueueManagerKind::Pbs(_) => ("PBS", &["qsub", "qstat", "qdel"], ("qstat", Vec::new())),
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut missing = Vec::new();
    for c in commands {
        match find_in_path(c, &path) {
            Some(p) => details.push(format!("{c}: {}", p.display())),
            None => missing.push(*c),
        }
    }
    if !missing.is_empty() {
        return Verdict::fail_with(
            format!(
                "the {kind} command(s) {} are not found in PATH on this machine",
                missing.join(", ")
            ),
            format!(
                "install the {kind} client commands on this machine or add their directory to PATH (or set \
                 jobpooler.queue_manager)"
            ),
            details,
        );
    }
    let runner = SystemRunner {
        timeout: opts.timeout.mul_f64(0.8).max(Duration::from_millis(100)),
    };
    let (prog, args) = list;
    match runner.run(prog, &args) {
        Err(e) => Verdict::fail_with(
            format!("{prog} did not answer: {e}"),
            format!("check that the {kind} controller runs and answers this machine"),
            details,
        ),
        Ok(out) if !out.success() => Verdict::fail_with(
            format!(
                "{prog} failed ({}): {}",
                out.status_text(),
                out.stderr.lines().last().unwrap_or("").trim()
            ),
            format!("check that the {kind} controller runs and answers this machine"),
            details,
        ),
        Ok(out) => {
            let (mut running, mut queued) = (0, 0);
            for line in out.stdout.lines() {
                let state = if kind == "Slurm" {
                    line.trim()
                } else {
                    // qstat: Job id, Name, User, Time Use, S, Queue
                    line.split_whitespace().nth(4).unwrap_or("")
                };
                match state {
                    "RUNNING" | "R" | "COMPLETING" => running += 1,
                    "PENDING" | "Q" | "H" | "W" => queued += 1,
                    _ => {}
                }
            }
            details.insert(0, format!("{prog} answered: {running} job(s) running, {queued} queued"));
            Verdict::Pass(details)
        }
    }
}

/// The first executable `name` in the directories of `path`.
fn find_in_path(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    p.is_file() && rustix::fs::access(p, rustix::fs::Access::EXEC_OK).is_ok()
}
