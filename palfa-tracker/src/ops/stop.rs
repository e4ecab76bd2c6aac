//! `palfa jobs stop [--fail] QUEUE_ID…`: take running jobs out of the queue.
//!
//! Stopping is two moves, so that a job the queue could not remove never runs
//! beside a new submission of the same beam:
//!
//! 1. one transaction moves the submission `running -> stopping` and records
//!    what it should become (`stop_as`): from then on the pooler neither polls
//!    it as running nor submits the job again (`stopping` is live);
//! 2. the queue is asked to delete the job; only once it has (or the job had
//!    left the queue) does [`settle_stop`] commit the end state: `stopped` /
//!    `removed`, and the job `failed`, `retrying` or `terminal_failure`.
//!
//! If the queue refuses or cannot be reached, the submission stays `stopping`
//! and every pooler iteration asks the queue again.

use serde::Serialize;

use crate::crashpoint;
use crate::db::{SubmitRow, Tracker};
use crate::error::Result;
use crate::pooler::remove_results_dir;
use crate::queue::{JobRef, QueueManager};
use crate::states::{JobStatus, SubmitStatus};

/// What a `stopping` submission becomes once the queue has removed its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StopAs {
    /// `stopped`, the job `failed`: the attempt counts (`jobs stop --fail`).
    Stopped,
    /// `removed`, the job `retrying`: the attempt does not count (`jobs stop`).
    Removed,
    /// `stopped`, the job `terminal_failure` (`jobs kill`).
    Killed,
}

impl StopAs {
    /// The name stored in `job_submits.stop_as`.
    pub fn as_str(self) -> &'static str {
        match self {
            StopAs::Stopped => "stopped",
            StopAs::Removed => "removed",
            StopAs::Killed => "killed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [StopAs::Stopped, StopAs::Removed, StopAs::Killed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    fn why(self) -> &'static str {
        match self {
            StopAs::Stopped => "stopped by an operator (`palfa jobs stop --fail`); the attempt counts",
            StopAs::Removed => "removed by an operator (`palfa jobs stop`); the attempt does not count",
            StopAs::Killed => "killed by an operator (`palfa jobs kill`)",
        }
    }
}

/// What happened to one queue id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StopOutcome {
    /// The queue id asked for.
    pub queue_id: String,
    /// Its job, if found.
    pub job_id: Option<i64>,
    /// Whether the queue removed it and the end state is recorded.
    pub stopped: bool,
    /// What was done, or why not.
    pub message: String,
}

/// Removes running submissions from the queue. With `fail`, the submission
/// becomes `stopped` and its job `failed` (the attempt counts; the pooler then
/// retries or gives up as for any failure); without, the submission becomes
/// `removed` and its job `retrying` (the attempt does not count). See the
/// module docs for the order of the moves; a submission already `stopping` is
/// asked of the queue again.
pub fn stop_submissions(
    tracker: &Tracker,
    queue: &dyn QueueManager,
    queue_ids: &[String],
    fail: bool,
) -> Result<Vec<StopOutcome>> {
    let stop_as = if fail { StopAs::Stopped } else { StopAs::Removed };
    let mut out = Vec::new();
    for qid in queue_ids {
        let subs = tracker.submits_by_queue_id(qid)?;
        let live = subs
            .iter()
            .find(|s| matches!(s.status, SubmitStatus::Running | SubmitStatus::Stopping));
        let Some(sub) = live else {
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
        let sub = match request_stop(tracker, sub, stop_as)? {
            Some(s) => s,
            None => {
                out.push(StopOutcome {
                    queue_id: qid.clone(),
                    job_id: Some(sub.job_id),
                    stopped: false,
                    message: "it finished or changed while being stopped".into(),
                });
                continue;
            }
        };
        out.push(outcome_of_settle(tracker, queue, &sub, qid));
    }
    Ok(out)
}

/// Move 1: `running -> stopping` with `stop_as` recorded (a submission already
/// `stopping` is returned as it is). `None` if it is no longer running.
pub(crate) fn request_stop(tracker: &Tracker, sub: &SubmitRow, stop_as: StopAs) -> Result<Option<SubmitRow>> {
    if sub.status == SubmitStatus::Stopping {
        return Ok(Some(sub.clone()));
    }
    let moved = tracker.transaction(|t| {
        if !t.set_status_from(
            sub.id,
            SubmitStatus::Running,
            SubmitStatus::Stopping,
            &format!("{}; waiting for the queue to remove it", stop_as.why()),
        )? {
            return Ok(false);
        }
        t.set_stop_as(sub.id, stop_as.as_str())?;
        Ok(true)
    })?;
    crashpoint::hit("stop.recorded");
    if !moved {
        return Ok(None);
    }
    Ok(Some(tracker.submit(sub.id)?))
}

/// Move 2, and the outcome for the operator.
pub(crate) fn outcome_of_settle(
    tracker: &Tracker,
    queue: &dyn QueueManager,
    sub: &SubmitRow,
    qid: &str,
) -> StopOutcome {
    let what = match sub.stop_as.as_deref().and_then(StopAs::parse) {
        Some(StopAs::Stopped) => "failed",
        Some(StopAs::Killed) => "is a terminal failure",
        _ => "will be resubmitted",
    };
    let (stopped, message) = match settle_stop(tracker, queue, sub) {
        Ok(true) => (true, format!("job {} {what}", sub.job_id)),
        Ok(false) => (false, "it changed while being stopped".to_string()),
        Err(e) => (
            false,
            format!(
                "recorded as stopping, but the queue did not remove it yet: {e}; \
                 the pooler asks the queue again each iteration and submits nothing for job {} meanwhile",
                sub.job_id
            ),
        ),
    };
    StopOutcome {
        queue_id: qid.to_string(),
        job_id: Some(sub.job_id),
        stopped,
        message,
    }
}

/// Asks the queue to delete a `stopping` submission's job and, once it has,
/// records the end state the operator asked for. Returns `Ok(false)` if the
/// row is no longer `stopping`; a queue error leaves it `stopping`.
pub fn settle_stop(tracker: &Tracker, queue: &dyn QueueManager, sub: &SubmitRow) -> Result<bool> {
    let qid = sub.queue_id.clone().unwrap_or_default();
    queue.delete(JobRef {
        queue_id: &qid,
        token: &sub.token,
    })?;
    crashpoint::hit("stop.deleted");
    let stop_as = sub
        .stop_as
        .as_deref()
        .and_then(StopAs::parse)
        .unwrap_or(StopAs::Removed);
    remove_results_dir(&sub.output_dir, &sub.token);
    let why = stop_as.why();
    tracker.transaction(|t| {
        let (sub_to, job_to) = match stop_as {
            StopAs::Stopped => (SubmitStatus::Stopped, JobStatus::Failed),
            StopAs::Removed => (SubmitStatus::Removed, JobStatus::Retrying),
            StopAs::Killed => (SubmitStatus::Stopped, JobStatus::TerminalFailure),
        };
        if !t.set_status_from(
            sub.id,
            SubmitStatus::Stopping,
            sub_to,
            &format!("the {} queue removed {qid}", queue.kind()),
        )? {
            return Ok(false);
        }
        t.set_status_from(
            sub.job_id,
            JobStatus::Submitted,
            job_to,
            &format!("submission {qid} {why}"),
        )?;
        Ok(true)
    })
}
