//! States of the download stage: restore requests, files and download attempts.

use super::status_enum;

status_enum! {
    /// A restore request made to the data archive (`requests`).
    ///
    /// Created as `waiting`.
    RequestStatus, table = "requests", allowed = request_allowed,
    {
        /// Asked for; the archive is restoring the files.
        Waiting = "waiting",
        /// The files are ready on the archive's server and are tracked in `files`.
        Finished = "finished",
        /// Every file of the request is downloaded or given up.
        CleanedUp = "cleaned_up",
        /// The archive refused or lost the request.
        Failed = "failed",
    }
}

fn request_allowed(from: RequestStatus, to: RequestStatus) -> bool {
    use RequestStatus::*;
    matches!(
        (from, to),
        (Waiting, Finished) | (Waiting, Failed) | (Finished, CleanedUp)
    )
}

status_enum! {
    /// A raw data file (`files`).
    ///
    /// Created as `new` by the downloader (a file of a restore, not yet fetched)
    /// or as `downloaded` by `palfa add-files`. The original's separate `added`
    /// state is `downloaded` here, with the file's origin kept in its own column.
    FileStatus, table = "files", allowed = file_allowed,
    {
        /// Known from a restore request; not fetched yet.
        New = "new",
        /// Being fetched.
        Downloading = "downloading",
        /// Fetched; its size is not checked yet.
        Unverified = "unverified",
        /// On local disk and checked: ready to be part of a job.
        Downloaded = "downloaded",
        /// The last download attempt failed.
        Failed = "failed",
        /// Waiting for another download attempt.
        Retrying = "retrying",
        /// Given up.
        TerminalFailure = "terminal_failure",
        /// Removed from local disk (after upload, or after its job failed for good).
        Deleted = "deleted",
    }
}

fn file_allowed(from: FileStatus, to: FileStatus) -> bool {
    use FileStatus::*;
    matches!(
        (from, to),
        (New, Downloading)
            | (New, TerminalFailure)
            | (Downloading, Unverified)
            | (Downloading, Failed)
            | (Unverified, Downloaded)
            | (Unverified, Failed)
            | (Failed, Retrying)
            | (Failed, TerminalFailure)
            | (Retrying, Downloading)
            | (Retrying, TerminalFailure)
            | (Downloaded, Deleted)
            | (TerminalFailure, Deleted)
    )
}

status_enum! {
    /// One attempt to download a file (`download_attempts`).
    ///
    /// Created as `downloading`. The original's `complete` is `downloaded`, and
    /// its `unknown` is `interrupted` (the downloader stopped during the attempt).
    AttemptStatus, table = "download_attempts", allowed = attempt_allowed,
    {
        /// Transfer under way.
        Downloading = "downloading",
        /// Transferred; size not checked yet.
        Unverified = "unverified",
        /// Transferred and checked.
        Downloaded = "downloaded",
        /// The transfer failed.
        DownloadFailed = "download_failed",
        /// Transferred, but the size does not match.
        VerificationFailed = "verification_failed",
        /// The downloader stopped (or died) during the attempt (not counted
        /// against `download.numretries`).
        Interrupted = "interrupted",
    }
}

fn attempt_allowed(from: AttemptStatus, to: AttemptStatus) -> bool {
    use AttemptStatus::*;
    matches!(
        (from, to),
        (Downloading, Unverified)
            | (Downloading, DownloadFailed)
            | (Downloading, Interrupted)
            | (Unverified, Downloaded)
            | (Unverified, VerificationFailed)
            | (Unverified, Interrupted)
    )
}

impl FileStatus {
    /// Whether the file still needs the downloader (new, being downloaded or
    /// checked, failed or waiting for a retry).
    pub fn is_pending(self) -> bool {
        use FileStatus::*;
        matches!(self, New | Downloading | Unverified | Failed | Retrying)
    }
}
