//! States of the processing stage: jobs and their submissions to a queue.

use super::status_enum;

status_enum! {
    /// One beam's processing (`jobs`).
    ///
    /// Created as `new` by the job pooler.
    JobStatus, table = "jobs", allowed = job_allowed,
    {
        /// Made from downloaded files; never submitted.
        New = "new",
        /// Has a live submission (being submitted, queued or running).
        Submitted = "submitted",
        /// The last submission finished without errors: results ready to upload.
        Processed = "processed",
        /// Results uploaded to the results database.
        Uploaded = "uploaded",
        /// The last submission failed (or its upload did); the pooler decides
        /// between retrying and giving up.
        Failed = "failed",
        /// Waiting to be submitted again.
        Retrying = "retrying",
        /// Given up (too many failed attempts, or killed by an operator).
        TerminalFailure = "terminal_failure",
    }
}

fn job_allowed(from: JobStatus, to: JobStatus) -> bool {
    use JobStatus::*;
    matches!(
        (from, to),
        (New, Submitted)
            | (New, TerminalFailure)
            | (Submitted, Processed)
            | (Submitted, Failed)
            | (Submitted, Retrying)
            | (Submitted, TerminalFailure)
            | (Processed, Uploaded)
            | (Processed, Failed)
            | (Processed, TerminalFailure)
            | (Failed, Retrying)
            | (Failed, TerminalFailure)
            | (Retrying, Submitted)
            | (Retrying, TerminalFailure)
    )
}

status_enum! {
    /// One submission of a job to a queue (`job_submits`).
    ///
    /// Created as `submitting`, in its own committed transaction, *before* the
    /// queue is asked to run it (see `docs/tracker.md`). The original's
    /// `processing_failed` is `failed`; an operator's `palfa jobs stop` makes it
    /// `stopping` until the queue has removed the job, then `stopped` (counts
    /// as an attempt) or `removed` (does not).
    SubmitStatus, table = "job_submits", allowed = submit_allowed,
    {
        /// Recorded; the queue has been (or is being) asked to run it.
        Submitting = "submitting",
        /// Accepted by the queue (waiting or running there); `queue_id` is known.
        Running = "running",
        /// Finished without errors.
        Processed = "processed",
        /// Finished with errors (the error log is in `details`).
        Failed = "failed",
        /// An operator asked to take it out of the queue; the queue has not
        /// confirmed yet (it is still live: nothing else is submitted for the job).
        Stopping = "stopping",
        /// Removed from the queue by an operator; counts as a failed attempt.
        Stopped = "stopped",
        /// Removed from the queue by an operator; does not count as an attempt.
        Removed = "removed",
        /// Never reached the queue (the pooler died before the queue accepted it).
        Lost = "lost",
        /// The queue refused it (a certain refusal: the queue said no).
        SubmitFailed = "submit_failed",
        /// Its results were uploaded.
        Uploaded = "uploaded",
        /// Uploading its results failed.
        UploadFailed = "upload_failed",
    }
}

fn submit_allowed(from: SubmitStatus, to: SubmitStatus) -> bool {
    use SubmitStatus::*;
    matches!(
        (from, to),
        (Submitting, Running)
            | (Submitting, Lost)
            | (Submitting, SubmitFailed)
            | (Running, Processed)
            | (Running, Failed)
            | (Running, Stopping)
            | (Stopping, Stopped)
            | (Stopping, Removed)
            | (Processed, Uploaded)
            | (Processed, UploadFailed)
    )
}

impl SubmitStatus {
    /// Whether the submission is (or may be) in the queue's hands.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            SubmitStatus::Submitting | SubmitStatus::Running | SubmitStatus::Stopping
        )
    }

    /// Whether it counts towards the job's `max_attempts`.
    pub fn counts_as_attempt(self) -> bool {
        use SubmitStatus::*;
        matches!(self, Running | Processed | Failed | Stopped | Uploaded | UploadFailed)
    }
}

impl JobStatus {
    /// Whether the job still needs the pooler (it is not processed, uploaded or given up).
    pub fn is_pending(self) -> bool {
        use JobStatus::*;
        matches!(self, New | Submitted | Failed | Retrying)
    }
}
