//! `palfa jobs stop [--fail] QUEUE_ID…`: take running jobs out of the queue.

use serde::Serialize;

use crate::db::Tracker;
use crate::error::Result;
use crate::queue::{JobRef, QueueManager};
use crate::states::{JobStatus, SubmitStatus};

/// What happened to one queue id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopOutcome {
    /// The queue id asked for.
    pub queue_id: String,
    /// Its job, if found.
    pub job_id: Option<i64>,
    /// Whether it was stopped.
    pub stopped: bool,
    /// What was done, or why not.
    pub message: String,
}

/// Removes running submissions from the queue. With `fail`, the submission
/// becomes `stopped` and its job `failed` (the attempt counts; the pooler then
/// retries or gives up as for any failure); without, the submission becomes
/// `removed` and its job `retrying` (the attempt does not count).
///
/// The database changes first, so a pooler polling at the same moment leaves
/// the submission alone; then the queue deletes the job.
pub fn stop_submissions(
    tracker: &Tracker,
    queue: &dyn QueueManager,
    queue_ids: &[String],
    fail: bool,
) -> Result<Vec<StopOutcome>> {
    let mut out = Vec::new();
    for qid in queue_ids {
        let subs = tracker.submits_by_queue_id(qid)?;
        let Some(sub) = subs.iter().find(|s| s.status == SubmitStatus::Running) else {
            let message = match subs.first() {
                Some(s) => format!(
                    "submission {} of job {} is {}, not running",
                    s.token, s.job_id, s.status
                ),
                None => "no submission has this queue id".to_string(),
            };
            out.push(StopOutcome {
                queue_id: qid.clone(),
                job_id: subs.first().map(|s| s.job_id),
                stopped: false,
                message,
            });
            continue;
        };
        let (sub_to, job_to, how) = if fail {
            (
                SubmitStatus::Stopped,
                JobStatus::Failed,
                "stopped by an operator (`palfa jobs stop --fail`); the attempt counts",
            )
        } else {
            (
                SubmitStatus::Removed,
                JobStatus::Retrying,
                "removed by an operator (`palfa jobs stop`); the attempt does not count",
            )
        };
        let moved = tracker.transaction(|t| {
            if !t.set_status_from(sub.id, SubmitStatus::Running, sub_to, how)? {
                return Ok(false);
            }
            t.set_status_from(
                sub.job_id,
                JobStatus::Submitted,
                job_to,
                &format!("submission {qid} {how}"),
            )?;
            Ok(true)
        })?;
        if !moved {
            out.push(StopOutcome {
                queue_id: qid.clone(),
                job_id: Some(sub.job_id),
                stopped: false,
                message: "it finished or changed while being stopped".into(),
            });
            continue;
        }
        let deleted = queue.delete(JobRef {
            queue_id: qid,
            token: &sub.token,
        });
        out.push(StopOutcome {
            queue_id: qid.clone(),
            job_id: Some(sub.job_id),
            stopped: deleted.is_ok(),
            message: match deleted {
                Ok(()) => format!(
                    "job {} {}",
                    sub.job_id,
                    if fail { "failed" } else { "will be resubmitted" }
                ),
                Err(e) => format!("recorded as stopped, but the queue did not delete it: {e}"),
            },
        });
    }
    Ok(out)
}
