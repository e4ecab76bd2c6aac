//! `palfa jobs kill [--id ID] [--file FILE]`: give jobs up for good.

use std::path::PathBuf;

use serde::Serialize;

use crate::db::Tracker;
use crate::error::{Result, TrackerError};
use crate::pooler::delete_job_files;
use crate::queue::{JobRef, QueueManager};
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
/// the named files (by path, or by file name). A job in the queue is deleted
/// from it (its submission becomes `stopped`). With `delete_rawdata` the jobs'
/// raw files are deleted from disk.
pub fn kill_jobs(
    tracker: &Tracker,
    queue: &dyn QueueManager,
    job_ids: &[i64],
    files: &[PathBuf],
    delete_rawdata: bool,
) -> Result<Vec<KillOutcome>> {
    let mut ids: Vec<i64> = job_ids.to_vec();
    for f in files {
        let abs = std::fs::canonicalize(f).unwrap_or_else(|_| f.clone());
        let row = match tracker.file_by_path(&abs)? {
            Some(r) => Some(r),
            None => {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                tracker.files_named(&name)?.into_iter().next()
            }
        };
        let row = row.ok_or_else(|| TrackerError::Refused(format!("{} is not a tracked file", f.display())))?;
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
    if job.status.is_final() || job.status == JobStatus::TerminalFailure {
        outcome.message = format!("already {}", job.status);
    } else {
        let running = subs.iter().find(|s| s.status == SubmitStatus::Running).cloned();
        let note = "killed by an operator (`palfa jobs kill`)";
        let moved = tracker.transaction(|t| {
            if let Some(s) = &running {
                t.set_status_from(s.id, SubmitStatus::Running, SubmitStatus::Stopped, note)?;
            }
            t.set_status_from(id, job.status, JobStatus::TerminalFailure, note)
        })?;
        if !moved {
            outcome.message = "it changed while being killed; try again".into();
            return Ok(outcome);
        }
        outcome.killed = true;
        outcome.message = format!("was {}, now terminal_failure", job.status);
        if let Some(s) = running {
            let qid = s.queue_id.clone().unwrap_or_default();
            if let Err(e) = queue.delete(JobRef {
                queue_id: &qid,
                token: &s.token,
            }) {
                outcome
                    .message
                    .push_str(&format!("; the queue did not delete {qid}: {e}"));
            }
        }
    }
    if delete_rawdata && tracker.job(id)?.status == JobStatus::TerminalFailure {
        outcome.files_deleted = delete_job_files(tracker, id, "its job was killed")?;
    }
    Ok(outcome)
}
