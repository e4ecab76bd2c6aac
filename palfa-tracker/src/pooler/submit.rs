//! Steps 1 and 6: submitting jobs, and reconciling submissions a dead pooler
//! (or an unclear answer from the queue) left half done.
//!
//! A submission is made in three moves:
//!
//! 1. one transaction records it as `submitting` with a fresh token and moves
//!    the job to `submitted` (the unique index on live submissions makes a
//!    second live submission of a job impossible);
//! 2. the queue is asked to run it, under the token (the local queue's state
//!    directory, Slurm's `--job-name`, PBS's `-N`);
//! 3. one transaction records the answer:
//!    - accepted: the queue id, and `running`;
//!    - a certain refusal ([`QueueError::is_certain_refusal`]): `submit_failed`,
//!      the job `retrying` but held back for a while (or a terminal failure
//!      after `max_refusals`);
//!    - anything else (a time-out, an error printed after the queue may have
//!      taken the job): the error is noted and the row *stays* `submitting`.
//!
//! A row left `submitting` (by a pooler killed between moves 1 and 3, or by
//! an unclear answer) is settled by step 1 of a later iteration, once the
//! queue's [`submit_grace`](crate::queue::QueueManager::submit_grace) has
//! passed: the queue is asked for the token
//! ([`lookup`](crate::queue::QueueManager::lookup)); if it has the job, the
//! row becomes `running` with that queue id; if not, `lost` and the job
//! `retrying`. So a job is never submitted twice and never forgotten.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::{new_token, remove_results_dir, IterationReport, JobPool, PoolSettings};
use crate::clock;
use crate::crashpoint;
use crate::db::{JobRow, SubmitRow, Tx};
use crate::error::Result;
use crate::notify::Failure;
use crate::queue::{QueueError, SubmitRequest};
use crate::states::{FileStatus, JobStatus, SubmitStatus};

/// What became of one job the pooler tried to submit.
enum Submitted {
    /// The queue took it.
    Accepted,
    /// The queue refused it.
    Refused,
    /// The submit call failed without saying whether the queue took it.
    Unclear,
    /// Nothing was sent (the job changed meanwhile, or its files are gone).
    Skipped,
}

impl JobPool {
    pub(super) fn reconcile(&mut self, r: &mut IterationReport) -> Result<()> {
        let grace = self.queue.submit_grace().as_secs_f64();
        for sub in self.tracker.submits_with_status(SubmitStatus::Submitting)? {
            if clock::age_s(&sub.created_at) < grace {
                continue;
            }
            let found = match self.queue.lookup(&sub.token) {
                Ok(found) => found,
                Err(e) => {
                    // Not known either way: ask again next time, go on with the others.
                    tracing::warn!(job = sub.job_id, token = %sub.token, "cannot ask the queue for a submission: {e}");
                    r.queue_errors += 1;
                    continue;
                }
            };
            crashpoint::hit("reconcile.looked_up");
            match found {
                Some(qid) => {
                    let note = match &sub.queue_error {
                        Some(e) => format!(
                            "found in the {} queue as {qid}: it took the job despite the error ({e})",
                            self.queue.kind()
                        ),
                        None => format!(
                            "found in the {} queue as {qid} after a pooler restart",
                            self.queue.kind()
                        ),
                    };
                    let done = self.tracker.transaction(|t| {
                        t.set_queue_id(sub.id, &qid)?;
                        t.set_status_from(sub.id, SubmitStatus::Submitting, SubmitStatus::Running, &note)
                    })?;
                    if done {
                        tracing::info!(job = sub.job_id, queue_id = %qid, "adopted a submission the queue holds");
                        r.adopted += 1;
                    }
                }
                None => self.settle_lost(&sub, r)?,
            }
        }
        Ok(())
    }

    /// A `submitting` row the queue does not have: `lost`, the job `retrying`
    /// (a refusal if its submit call had failed).
    fn settle_lost(&mut self, sub: &SubmitRow, r: &mut IterationReport) -> Result<()> {
        remove_results_dir(&sub.output_dir, &sub.token);
        let settings = self.settings.clone();
        let outcome = self.tracker.transaction(|t| {
            let why = match &sub.queue_error {
                Some(e) => format!("the queue does not have it after an unclear answer ({e}); a refusal"),
                None => "the queue never received it (the pooler stopped first)".to_string(),
            };
            if !t.set_status_from(sub.id, SubmitStatus::Submitting, SubmitStatus::Lost, &why)? {
                return Ok(None);
            }
            if sub.queue_error.is_some() {
                let why = format!("submission {} {why}", sub.token);
                return after_refusal(t, sub.job_id, &settings, &why).map(Some);
            }
            t.set_status_from(
                sub.job_id,
                JobStatus::Submitted,
                JobStatus::Retrying,
                &format!("submission {} never reached the queue; will submit again", sub.token),
            )?;
            Ok(Some(Refusal::NotCounted))
        })?;
        match outcome {
            None => {}
            Some(Refusal::NotCounted) => {
                tracing::warn!(job = sub.job_id, token = %sub.token, "a submission never reached the queue");
                r.lost += 1;
            }
            Some(refusal) => {
                r.lost += 1;
                self.report_refusal(sub.job_id, refusal, r)?;
            }
        }
        Ok(())
    }

    pub(super) fn submit_jobs(&mut self, r: &mut IterationReport, stop: &AtomicBool) -> Result<()> {
        let mut tried = BTreeSet::new();
        let mut refused_in_a_row = 0;
        while !stop.load(Ordering::Relaxed) {
            let st = self.queue.status()?;
            if st.running >= self.settings.max_jobs_running || st.queued >= self.settings.max_jobs_queue {
                break;
            }
            if !self.queue.can_submit()? {
                break;
            }
            let Some(job) = self.next_job(&tried)? else { break };
            tried.insert(job.id);
            match self.submit_one(&job, r)? {
                Submitted::Accepted | Submitted::Skipped => refused_in_a_row = 0,
                Submitted::Refused => {
                    refused_in_a_row += 1;
                    // Two different jobs refused in a row: the queue refuses
                    // everything for now; spare the others until next time.
                    if refused_in_a_row >= 2 {
                        break;
                    }
                }
                // The queue may be in trouble; its answer is awaited first.
                Submitted::Unclear => break,
            }
        }
        Ok(())
    }

    /// The oldest job waiting to be submitted that is not held back and not in `tried`.
    fn next_job(&self, tried: &BTreeSet<i64>) -> Result<Option<JobRow>> {
        let mut waiting = self.tracker.jobs_with_status(JobStatus::New)?;
        waiting.extend(self.tracker.jobs_with_status(JobStatus::Retrying)?);
        Ok(waiting
            .into_iter()
            .filter(|j| !tried.contains(&j.id) && !j.is_held())
            .min_by_key(|j| j.id))
    }

    fn submit_one(&mut self, job: &JobRow, r: &mut IterationReport) -> Result<Submitted> {
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
            return Ok(Submitted::Skipped);
        }
        let kind = self.queue.kind();
        let base = self.settings.base_results_directory.clone();
        // Move 1: record the submission before the queue hears of it.
        let planned = self.tracker.transaction(|t| {
            let n = t.submit_count(job.id)? + 1;
            let token = new_token(job.id, n);
            let outdir = base.join(palfa_core::names::path_component(&job.beam)).join(&token);
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
            return Ok(Submitted::Skipped); // Someone else moved the job meanwhile.
        };
        crashpoint::hit("submit.recorded");
        // Move 2: ask the queue.
        let paths: Vec<PathBuf> = files.iter().map(|f| f.filename.clone()).collect();
        let result = std::fs::create_dir_all(&outdir)
            .map_err(|e| QueueError::io(&outdir, e))
            .and_then(|()| {
                self.queue.submit(&SubmitRequest {
                    job_id: job.id,
                    token: &token,
                    files: &paths,
                    outdir: &outdir,
                })
            });
        crashpoint::hit("submit.asked");
        // Move 3: record the answer.
        match result {
            Ok(qid) => {
                let note = format!("accepted by the {kind} queue as {qid}; results in {}", outdir.display());
                self.tracker.transaction(|t| {
                    t.set_queue_id(submit_id, &qid)?;
                    t.set_status_from(submit_id, SubmitStatus::Submitting, SubmitStatus::Running, &note)
                })?;
                crashpoint::hit("submit.committed");
                tracing::info!(job = job.id, beam = %job.beam, queue_id = %qid, "submitted");
                r.submitted += 1;
                Ok(Submitted::Accepted)
            }
            Err(e) if e.is_certain_refusal() => {
                let msg = e.to_string();
                remove_results_dir(&outdir, &token);
                let settings = self.settings.clone();
                let refusal = self.tracker.transaction(|t| {
                    t.set_status_from(submit_id, SubmitStatus::Submitting, SubmitStatus::SubmitFailed, &msg)?;
                    after_refusal(t, job.id, &settings, &format!("the queue refused {token}: {msg}"))
                })?;
                crashpoint::hit("submit.committed");
                self.report_refusal(job.id, refusal, r)?;
                Ok(Submitted::Refused)
            }
            Err(e) => {
                let msg = e.to_string();
                self.tracker.transaction(|t| {
                    t.set_queue_error(submit_id, &msg)?;
                    t.note::<SubmitStatus>(
                        submit_id,
                        &format!(
                            "the queue's answer is unclear ({msg}); it stays submitting until the queue is asked for {token}"
                        ),
                    )
                })?;
                crashpoint::hit("submit.committed");
                tracing::warn!(job = job.id, token = %token, "unclear answer from the queue; will ask it for the token: {msg}");
                r.unclear += 1;
                Ok(Submitted::Unclear)
            }
        }
    }

    /// Counts a refusal in the report and tells the operator.
    fn report_refusal(&mut self, job_id: i64, refusal: Refusal, r: &mut IterationReport) -> Result<()> {
        let job = self.tracker.job(job_id)?;
        r.refused += 1;
        match refusal {
            Refusal::NotCounted => {}
            Refusal::HeldUntil { n, until, why } => {
                tracing::warn!(job = job.id, beam = %job.beam, refusals = n, hold_until = %until, "{why}");
                self.notifier.notice(
                    "job submission refused",
                    &format!(
                        "job {} ({}): {why}\nrefusal {n} of {}; the job waits until {until}, other jobs go on",
                        job.id, job.beam, self.settings.max_refusals
                    ),
                );
            }
            Refusal::GivenUp { n, why } => {
                r.terminal += 1;
                self.notifier.job_terminal_failure(&Failure {
                    job_id: job.id,
                    beam: job.beam.clone(),
                    attempts: self.tracker.attempts(job.id)?,
                    max_attempts: self.settings.max_attempts,
                    queue_id: None,
                    error: format!("the queue refused the job {n} times (max_refusals); last: {why}"),
                });
            }
        }
        Ok(())
    }
}

/// What a refusal did to its job.
enum Refusal {
    /// Not a refusal (a submission lost by a pooler crash).
    NotCounted,
    /// The job waits until `until` (its `n`-th refusal).
    HeldUntil { n: usize, until: String, why: String },
    /// The job is a terminal failure (its `n`-th refusal).
    GivenUp { n: usize, why: String },
}

/// Moves a `submitted` job whose submission the queue refused to `retrying`,
/// held back for [`PoolSettings::backoff_after`], or to `terminal_failure`
/// once it has been refused `max_refusals` times. Call after the submission's
/// own row has left `submitting`.
fn after_refusal(t: &Tx<'_>, job_id: i64, settings: &PoolSettings, why: &str) -> Result<Refusal> {
    let n = t.refusals(job_id)?;
    if n >= settings.max_refusals {
        t.set_status_from(
            job_id,
            JobStatus::Submitted,
            JobStatus::TerminalFailure,
            &format!(
                "{why}\nrefused {n} times (max_refusals = {}); giving up",
                settings.max_refusals
            ),
        )?;
        return Ok(Refusal::GivenUp {
            n,
            why: why.to_string(),
        });
    }
    let wait = settings.backoff_after(n);
    let until = clock::format_time(SystemTime::now() + wait);
    t.set_hold(job_id, Some(&until))?;
    t.set_status_from(
        job_id,
        JobStatus::Submitted,
        JobStatus::Retrying,
        &format!(
            "{why}\nrefusal {n} of {}; held back {:.0} s (until {until}) while other jobs are submitted",
            settings.max_refusals,
            wait.as_secs_f64()
        ),
    )?;
    Ok(Refusal::HeldUntil {
        n,
        until,
        why: why.to_string(),
    })
}
