//! Where a survey's beams are, from the tracker alone.

use serde::Serialize;

use crate::states::{FileStatus, JobStatus, RequestStatus};
use crate::{Result, Tracker};

/// Counts of a survey's files and beams, for a progress display.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SurveyProgress {
    /// Restore requests made to the archive.
    pub requests: usize,
    /// Files the tracker knows (asked of the archive, or added).
    pub files: usize,
    /// Files on disk (downloaded or added), or searched and since deleted.
    pub files_arrived: usize,
    /// Files given up (download failed for good).
    pub files_failed: usize,
    /// Beams (jobs) made from arrived files.
    pub beams: usize,
    /// Beams searched (processed, and uploaded).
    pub beams_searched: usize,
    /// Beams in the results database.
    pub beams_uploaded: usize,
    /// Beams given up (a search or an upload failed for good).
    pub beams_failed: usize,
}

impl SurveyProgress {
    /// Counts from `tracker`'s database.
    pub fn gather(tracker: &Tracker) -> Result<Self> {
        let files = tracker.count_by_status::<FileStatus>()?;
        let jobs = tracker.count_by_status::<JobStatus>()?;
        let count_f =
            |want: &[FileStatus]| -> usize { files.iter().filter(|(s, _)| want.contains(s)).map(|(_, n)| n).sum() };
        let count_j =
            |want: &[JobStatus]| -> usize { jobs.iter().filter(|(s, _)| want.contains(s)).map(|(_, n)| n).sum() };
        Ok(Self {
            requests: tracker.count_by_status::<RequestStatus>()?.iter().map(|(_, n)| n).sum(),
            files: files.iter().map(|(_, n)| n).sum(),
            files_arrived: count_f(&[FileStatus::Downloaded, FileStatus::Deleted]),
            files_failed: count_f(&[FileStatus::TerminalFailure]),
            beams: jobs.iter().map(|(_, n)| n).sum(),
            beams_searched: count_j(&[JobStatus::Processed, JobStatus::Uploaded]),
            beams_uploaded: count_j(&[JobStatus::Uploaded]),
            beams_failed: count_j(&[JobStatus::TerminalFailure]),
        })
    }
}

/// Whether nothing is left for the site's daemons: no restore request
/// waiting, no file to download (or being downloaded, checked or retried),
/// no arrived file without a beam, no beam to search (or being searched or
/// retried), no searched beam to upload; and, when `downloading`, the
/// archive's answer to the newest restore request was a failure (the archive
/// had nothing more to give, or could not be reached).
pub fn is_idle(tracker: &Tracker, downloading: bool) -> Result<bool> {
    if !tracker.requests_with_status(RequestStatus::Waiting)?.is_empty() {
        return Ok(false);
    }
    let files_busy = tracker
        .count_by_status::<FileStatus>()?
        .iter()
        .any(|(s, n)| *n > 0 && s.is_pending());
    if files_busy || !tracker.files_without_job()?.is_empty() {
        return Ok(false);
    }
    let jobs_busy = tracker
        .count_by_status::<JobStatus>()?
        .iter()
        .any(|(s, n)| *n > 0 && (s.is_pending() || *s == JobStatus::Processed));
    if jobs_busy {
        return Ok(false);
    }
    if downloading {
        let newest = tracker.requests()?.into_iter().max_by_key(|r| r.id);
        return Ok(newest.is_some_and(|r| r.status == RequestStatus::Failed));
    }
    Ok(true)
}
