//! `palfa jobs kill [--id ID] [--file FILE]`: give jobs up for good.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::stop::{outcome_of_settle, request_stop, StopAs};
use crate::db::{FileRow, Tracker};
use crate::error::{Result, TrackerError};
use crate::pooler::delete_job_files;
use crate::queue::QueueManager;
use crate::states::{JobStatus, Status, SubmitStatus};

/// What happened to one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KillOutcome {
    /// The job.
    pub job_id: i64,
    /// Whether it is now a terminal failure because of this call.
    pub killed: bool,
    /// Raw files deleted.
    pub files_deleted: usize,
    /// What was done, or why not.
    pub message: String,
}

/// Makes jobs terminal failures: the ones named by id, and the ones holding
/// the named files. A file is matched by its exact tracked path only (after
/// resolving it, if it exists); a path that is not tracked is refused, with
/// the tracked files of the same name listed, so that a wrong path never
/// kills another job. A job in the queue is first removed from it (its
/// submission `stopping`, then `stopped` once the queue confirms; if the queue
/// cannot remove it now, the pooler settles it later and the job is not
/// submitted meanwhile). With `delete_rawdata` the killed jobs' raw files are
/// deleted from disk.
pub fn kill_jobs(
    tracker: &Tracker,
    queue: &dyn QueueManager,
    job_ids: &[i64],
    files: &[PathBuf],
    delete_rawdata: bool,
) -> Result<Vec<KillOutcome>> {
    let mut ids: Vec<i64> = job_ids.to_vec();
    for f in files {
        let row = tracked_file(tracker, f)?;
        let job = tracker
            .job_of_file(row.id)?
            .ok_or_else(|| TrackerError::Refused(format!("{} is in no job", f.display())))?;
        ids.push(job);
    }
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::new();
    for id in ids {
        out.push(kill_one(tracker, queue, id, delete_rawdata)?);
    }
    Ok(out)
}

/// The tracked file at exactly `path` (as given, or resolved).
fn tracked_file(tracker: &Tracker, path: &Path) -> Result<FileRow> {
    let mut tried = vec![path.to_path_buf()];
    if let Ok(abs) = std::fs::canonicalize(path) {
        tried.push(abs);
    } else if path.is_relative() {
        if let Ok(cwd) = std::env::current_dir() {
            tried.push(cwd.join(path));
        }
    }
    for p in &tried {
        if let Some(row) = tracker.file_by_path(p)? {
            return Ok(row);
        }
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let same_name = tracker.files_named(&name)?;
    let hint = if same_name.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = same_name
            .iter()
            .map(|r| format!("  {}", r.filename.display()))
            .collect();
        format!(
            "; tracked files with that name (give one by its full path):\n{}",
            list.join("\n")
        )
    };
    Err(TrackerError::Refused(format!(
        "{} is not a tracked file{hint}",
        path.display()
    )))
}

fn kill_one(tracker: &Tracker, queue: &dyn QueueManager, id: i64, delete_rawdata: bool) -> Result<KillOutcome> {
    let job = tracker.job(id)?;
    let mut outcome = KillOutcome {
        job_id: id,
        killed: false,
        files_deleted: 0,
        message: String::new(),
    };
    let subs = tracker.submits_of_job(id)?;
    if subs.iter().any(|s| s.status == SubmitStatus::Submitting) {
        outcome.message = "a submission is being made; run the pooler (it settles it) and try again".into();
        return Ok(outcome);
    }
    let live = subs
        .iter()
        .find(|s| matches!(s.status, SubmitStatus::Running | SubmitStatus::Stopping))
        .cloned();
    if job.status.is_final() || job.status == JobStatus::TerminalFailure {
        outcome.message = format!("already {}", job.status);
    } else if let Some(sub) = live {
        // In the queue: out of it first, then terminal.
        let Some(sub) = request_stop(tracker, &sub, StopAs::Killed)? else {
            outcome.message = "it changed while being killed; try again".into();
            return Ok(outcome);
        };
        let qid = sub.queue_id.clone().unwrap_or_default();
        let settled = outcome_of_settle(tracker, queue, &sub, &qid);
        outcome.killed = settled.stopped;
        outcome.message = if settled.stopped {
            format!(
                "was {}, removed from the queue ({qid}), now terminal_failure",
                job.status
            )
        } else {
            settled.message
        };
    } else {
        let note = "killed by an operator (`palfa jobs kill`)";
        let moved = tracker.transaction(|t| t.set_status_from(id, job.status, JobStatus::TerminalFailure, note))?;
        if !moved {
            outcome.message = "it changed while being killed; try again".into();
            return Ok(outcome);
        }
        outcome.killed = true;
        outcome.message = format!("was {}, now terminal_failure", job.status);
    }
    if delete_rawdata && tracker.job(id)?.status == JobStatus::TerminalFailure {
        outcome.files_deleted = delete_job_files(tracker, id, "its job was killed")?;
    }
    Ok(outcome)
}
