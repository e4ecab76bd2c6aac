//! Hooks called when something goes wrong, for e-mail or other alerts.
//!
//! The pooler calls a [`Notifier`] after the change is committed, so a hook
//! is called at most once per event (a pooler killed between the commit and
//! the call skips it). [`LogNotifier`] writes the events to the log;
//! [`SmtpNotifier`] also mails them (`[email]`).

use serde::Serialize;

pub mod smtp;

pub use smtp::{notifier_from_config, MailError, SmtpNotifier};

/// A failed submission of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The job.
    pub job_id: i64,
    /// Its beam.
    pub beam: String,
    /// Attempts so far (counted submissions).
    pub attempts: usize,
    /// `jobpooler.max_attempts`.
    pub max_attempts: usize,
    /// The queue's id of the failed submission, if there was one.
    pub queue_id: Option<String>,
    /// The error log (the end of the worker's stderr and how it ended).
    pub error: String,
}

/// Receives the pooler's failure events.
pub trait Notifier: Send {
    /// A submission of a job failed (it may be retried).
    fn job_failed(&self, failure: &Failure);

    /// A job failed for good.
    fn job_terminal_failure(&self, failure: &Failure);

    /// Anything else an operator should know (a lone Mock half, a queue that
    /// refuses jobs).
    fn notice(&self, subject: &str, body: &str) {
        let _ = (subject, body);
    }
}

/// Writes every event to the log (`tracing`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn job_failed(&self, f: &Failure) {
        tracing::warn!(
            job = f.job_id,
            beam = %f.beam,
            queue_id = f.queue_id.as_deref().unwrap_or("-"),
            "job failed (attempt {} of {}): {}",
            f.attempts,
            f.max_attempts,
            first_line(&f.error)
        );
    }

    fn job_terminal_failure(&self, f: &Failure) {
        tracing::error!(
            job = f.job_id,
            beam = %f.beam,
            "job is a terminal failure after {} attempts: {}",
            f.attempts,
            first_line(&f.error)
        );
    }

    fn notice(&self, subject: &str, body: &str) {
        tracing::warn!("{subject}: {body}");
    }
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn job_failed(&self, _: &Failure) {}
    fn job_terminal_failure(&self, _: &Failure) {}
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
