//! Steps 3 to 5: following running submissions, deciding about failed jobs,
//! and deleting the raw data of jobs given up.

use palfa_core::formats::results::SearchResults;

use super::{remove_results_dir, IterationReport, JobPool};
use crate::crashpoint;
use crate::db::{SubmitRow, Tracker};
use crate::error::Result;
use crate::notify::Failure;
use crate::queue::{JobRef, QueueError};
use crate::states::{FileStatus, JobStatus, SubmitStatus};

impl JobPool {
    pub(super) fn poll(&mut self, r: &mut IterationReport) -> Result<()> {
        for sub in self.tracker.submits_with_status(SubmitStatus::Stopping)? {
            match crate::ops::settle_stop(&self.tracker, self.queue.as_ref(), &sub) {
                Ok(true) => r.stops_settled += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(job = sub.job_id, token = %sub.token, "cannot settle a stop yet: {e}");
                    r.queue_errors += 1;
                }
            }
        }
        for sub in self.tracker.submits_with_status(SubmitStatus::Running)? {
            let Some(qid) = sub.queue_id.clone() else {
                tracing::warn!(submit = sub.id, "running submission without a queue id; skipped");
                continue;
            };
            match self.ended_with(&sub, &qid) {
                Ok(None) => {}
                Ok(Some(error)) => self.record_end(&sub, &qid, error, r)?,
                Err(e) => {
                    // One job the queue cannot answer for must not hold up the others.
                    tracing::warn!(job = sub.job_id, queue_id = %qid, "cannot follow a job: {e}");
                    r.queue_errors += 1;
                }
            }
        }
        Ok(())
    }

    /// `None` while the job is in the queue; once it has left, `Some(None)`
    /// if it succeeded (exit status 0 and a complete results directory), else
    /// `Some(Some(why))`.
    fn ended_with(&self, sub: &SubmitRow, qid: &str) -> Result<Option<Option<String>>, QueueError> {
        let job_ref = JobRef {
            queue_id: qid,
            token: &sub.token,
        };
        if self.queue.is_running(job_ref)? {
            return Ok(None);
        }
        if self.queue.had_errors(job_ref)? {
            let text = self.queue.get_errors(job_ref)?;
            return Ok(Some(Some(if text.trim().is_empty() {
                "the job ended with errors (no error log)".to_string()
            } else {
                text
            })));
        }
        Ok(Some(match SearchResults::read_dir(&sub.output_dir) {
            Ok(_) => None,
            Err(e) => Some(format!(
                "the worker exited with status 0 but left no complete results directory: {e}"
            )),
        }))
    }

    /// Records how a submission ended (`processed` or `failed`), and its job.
    fn record_end(&mut self, sub: &SubmitRow, qid: &str, error: Option<String>, r: &mut IterationReport) -> Result<()> {
        if error.is_some() {
            // Its products are not a beam's results; remove them before the
            // failure is committed (a crash between the two fails it again).
            remove_results_dir(&sub.output_dir, &sub.token);
        }
        crashpoint::hit("poll.checked");
        let outdir = sub.output_dir.display().to_string();
        let changed = self.tracker.transaction(|t| match &error {
            None => {
                let moved = t.set_status_from(
                    sub.id,
                    SubmitStatus::Running,
                    SubmitStatus::Processed,
                    &format!("finished without errors; results in {outdir}"),
                )?;
                if moved {
                    t.set_status_from(
                        sub.job_id,
                        JobStatus::Submitted,
                        JobStatus::Processed,
                        &format!("processed by {qid}; results in {outdir}"),
                    )?;
                }
                Ok(moved)
            }
            Some(err) => {
                let moved = t.set_status_from(sub.id, SubmitStatus::Running, SubmitStatus::Failed, err)?;
                if moved {
                    t.set_status_from(
                        sub.job_id,
                        JobStatus::Submitted,
                        JobStatus::Failed,
                        &format!("submission {qid} failed:\n{err}"),
                    )?;
                }
                Ok(moved)
            }
        })?;
        if !changed {
            return Ok(()); // An operator stopped it meanwhile.
        }
        crashpoint::hit("poll.committed");
        match error {
            None => r.processed += 1,
            Some(err) => {
                r.failed += 1;
                let job = self.tracker.job(sub.job_id)?;
                self.notifier.job_failed(&Failure {
                    job_id: job.id,
                    beam: job.beam,
                    attempts: self.tracker.attempts(sub.job_id)?,
                    max_attempts: self.settings.max_attempts,
                    queue_id: Some(qid.to_string()),
                    error: err,
                });
            }
        }
        Ok(())
    }

    pub(super) fn recover(&mut self, r: &mut IterationReport) -> Result<()> {
        let max = self.settings.max_attempts;
        for job in self.tracker.jobs_with_status(JobStatus::Failed)? {
            let outcome = self.tracker.transaction(|t| {
                let attempts = t.attempts(job.id)?;
                let (to, note) = if attempts < max {
                    (
                        JobStatus::Retrying,
                        format!("{attempts} of {max} attempts used; will retry"),
                    )
                } else {
                    (
                        JobStatus::TerminalFailure,
                        format!("{attempts} attempts failed (max_attempts = {max}); giving up"),
                    )
                };
                let moved = t.set_status_from(job.id, JobStatus::Failed, to, &note)?;
                Ok(moved.then_some((to, attempts)))
            })?;
            match outcome {
                Some((JobStatus::Retrying, _)) => r.retried += 1,
                Some((_, attempts)) => {
                    r.terminal += 1;
                    let error = last_error(&self.tracker, job.id)?;
                    self.notifier.job_terminal_failure(&Failure {
                        job_id: job.id,
                        beam: job.beam.clone(),
                        attempts,
                        max_attempts: max,
                        queue_id: None,
                        error,
                    });
                }
                None => {}
            }
        }
        Ok(())
    }

    pub(super) fn clean_up(&mut self, r: &mut IterationReport) -> Result<()> {
        if self.settings.delete_rawdata {
            r.files_deleted += delete_raw_files_of_failed_jobs(&self.tracker)?;
        }
        Ok(())
    }
}

/// The error log of a job's newest failed submission.
fn last_error(tracker: &Tracker, job_id: i64) -> Result<String> {
    let subs = tracker.submits_of_job(job_id)?;
    Ok(subs
        .iter()
        .rev()
        .find(|s| matches!(s.status, SubmitStatus::Failed | SubmitStatus::Stopped))
        .map(|s| crate::db::last_note(&s.details))
        .unwrap_or_default())
}

/// Deletes from disk the `downloaded` files of jobs that are terminal
/// failures and marks them `deleted`. Idempotent: a pooler killed half way
/// finishes the work on its next iteration. Returns how many were deleted.
pub(crate) fn delete_raw_files_of_failed_jobs(tracker: &Tracker) -> Result<usize> {
    let mut n = 0;
    for job in tracker.jobs_with_status(JobStatus::TerminalFailure)? {
        n += delete_job_files(tracker, job.id, "its job is a terminal failure")?;
    }
    Ok(n)
}

/// Deletes a job's `downloaded` files from disk and marks them `deleted`.
pub(crate) fn delete_job_files(tracker: &Tracker, job_id: i64, why: &str) -> Result<usize> {
    let mut n = 0;
    for f in tracker.job_files(job_id)? {
        if f.status != FileStatus::Downloaded {
            continue;
        }
        match std::fs::remove_file(&f.filename) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %f.filename.display(), "cannot delete raw data: {e}");
                continue;
            }
        }
        let note = format!("raw data deleted from disk: {why} (job {job_id})");
        if tracker.transaction(|t| t.set_status_from(f.id, FileStatus::Downloaded, FileStatus::Deleted, &note))? {
            n += 1;
        }
    }
    Ok(n)
}
