//! Steps 1 and 6: submitting jobs, and reconciling submissions a dead pooler
//! left half done.
//!
//! A submission is made in three moves:
//!
//! 1. one transaction records it as `submitting` with a fresh token and moves
//!    the job to `submitted` (the unique index on live submissions makes a
//!    second live submission of a job impossible);
//! 2. the queue is asked to run it, under the token (the local queue's state
//!    directory, Slurm's `--job-name`, PBS's `-N`);
//! 3. one transaction records the queue id and moves it to `running`.
//!
//! Killed between 1 and 3, the next pooler finds the row `submitting` and asks
//! the queue for the token ([`QueueManager::lookup`](crate::queue::QueueManager::lookup)):
//! if the queue has it, the row becomes `running` with that queue id; if not,
//! the row becomes `lost` and the job `retrying`. So a job is never submitted
//! twice and never forgotten.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{new_token, IterationReport, JobPool};
use crate::clock;
use crate::db::JobRow;
use crate::error::Result;
use crate::queue::SubmitRequest;
use crate::states::{FileStatus, JobStatus, SubmitStatus};

impl JobPool {
    pub(super) fn reconcile(&mut self, r: &mut IterationReport) -> Result<()> {
        let grace = self.queue.submit_grace().as_secs_f64();
        for sub in self.tracker.submits_with_status(SubmitStatus::Submitting)? {
            if clock::age_s(&sub.created_at) < grace {
                continue;
            }
            match self.queue.lookup(&sub.token)? {
                Some(qid) => {
                    let note = format!(
                        "found in the {} queue as {qid} after a pooler restart",
                        self.queue.kind()
                    );
                    let done = self.tracker.transaction(|t| {
                        t.set_queue_id(sub.id, &qid)?;
                        t.set_status_from(sub.id, SubmitStatus::Submitting, SubmitStatus::Running, &note)
                    })?;
                    if done {
                        tracing::info!(job = sub.job_id, queue_id = %qid, "adopted a submission made before a restart");
                        r.adopted += 1;
                    }
                }
                None => {
                    let done = self.tracker.transaction(|t| {
                        let moved = t.set_status_from(
                            sub.id,
                            SubmitStatus::Submitting,
                            SubmitStatus::Lost,
                            "the queue never received it (the pooler stopped first)",
                        )?;
                        if moved {
                            t.set_status_from(
                                sub.job_id,
                                JobStatus::Submitted,
                                JobStatus::Retrying,
                                &format!("submission {} never reached the queue; will submit again", sub.token),
                            )?;
                        }
                        Ok(moved)
                    })?;
                    if done {
                        tracing::warn!(job = sub.job_id, token = %sub.token, "a submission never reached the queue");
                        r.lost += 1;
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn submit_jobs(&mut self, r: &mut IterationReport, stop: &AtomicBool) -> Result<()> {
        while !stop.load(Ordering::Relaxed) {
            let st = self.queue.status()?;
            if st.running >= self.settings.max_jobs_running || st.queued >= self.settings.max_jobs_queue {
                break;
            }
            if !self.queue.can_submit()? {
                break;
            }
            let Some(job) = self.next_job()? else { break };
            if !self.submit_one(&job, r)? {
                break;
            }
        }
        Ok(())
    }

    /// The oldest job waiting to be submitted.
    fn next_job(&self) -> Result<Option<JobRow>> {
        let mut waiting = self.tracker.jobs_with_status(JobStatus::New)?;
        waiting.extend(self.tracker.jobs_with_status(JobStatus::Retrying)?);
        Ok(waiting.into_iter().min_by_key(|j| j.id))
    }

    /// Submits one job; `false` if the queue refused it (stop submitting for now).
    fn submit_one(&mut self, job: &JobRow, r: &mut IterationReport) -> Result<bool> {
        let files = self.tracker.job_files(job.id)?;
        if let Some(gone) = files.iter().find(|f| f.status != FileStatus::Downloaded) {
            let note = format!(
                "its file {} is {}; cannot process",
                gone.filename.display(),
                gone.status
            );
            self.tracker.transaction(|t| {
                t.set_status_from(job.id, job.status, JobStatus::TerminalFailure, &note)
                    .map(|_| ())
            })?;
            r.terminal += 1;
            self.notifier
                .notice("job given up", &format!("job {} ({}): {note}", job.id, job.beam));
            return Ok(true);
        }
        let kind = self.queue.kind();
        let base = self.settings.base_results_directory.clone();
        // Move 1: record the submission before the queue hears of it.
        let planned = self.tracker.transaction(|t| {
            let n = t.submit_count(job.id)? + 1;
            let token = new_token(job.id, n);
            let outdir = base.join(&job.beam).join(&token);
            if !t.set_status_from(
                job.id,
                job.status,
                JobStatus::Submitted,
                &format!("submitting as {token}"),
            )? {
                return Ok(None);
            }
            let id = t.insert_submit(job.id, &token, kind, &outdir, &format!("to the {kind} queue"))?;
            Ok(Some((id, token, outdir)))
        })?;
        let Some((submit_id, token, outdir)) = planned else {
            return Ok(true); // Someone else moved the job meanwhile.
        };
        // Move 2: ask the queue.
        let paths: Vec<PathBuf> = files.iter().map(|f| f.filename.clone()).collect();
        let result = std::fs::create_dir_all(&outdir)
            .map_err(|e| crate::queue::QueueError::io(&outdir, e))
            .and_then(|()| {
                self.queue.submit(&SubmitRequest {
                    job_id: job.id,
                    token: &token,
                    files: &paths,
                    outdir: &outdir,
                })
            });
        // Move 3: record the answer.
        match result {
            Ok(qid) => {
                let note = format!("accepted by the {kind} queue as {qid}; results in {}", outdir.display());
                self.tracker.transaction(|t| {
                    t.set_queue_id(submit_id, &qid)?;
                    t.set_status_from(submit_id, SubmitStatus::Submitting, SubmitStatus::Running, &note)
                })?;
                tracing::info!(job = job.id, beam = %job.beam, queue_id = %qid, "submitted");
                r.submitted += 1;
                Ok(true)
            }
            Err(e) => {
                let msg = e.to_string();
                self.tracker.transaction(|t| {
                    t.set_status_from(submit_id, SubmitStatus::Submitting, SubmitStatus::SubmitFailed, &msg)?;
                    t.set_status_from(
                        job.id,
                        JobStatus::Submitted,
                        JobStatus::Retrying,
                        &format!("the queue refused the submission: {msg}"),
                    )?;
                    Ok(())
                })?;
                r.refused += 1;
                self.notifier.notice(
                    "job submission refused",
                    &format!("job {} ({}): {msg}", job.id, job.beam),
                );
                Ok(false)
            }
        }
    }
}
