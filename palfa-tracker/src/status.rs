//! `palfa status`: counts by state, running jobs and recent failures.

use std::fmt::Write as _;

use serde::Serialize;

use crate::db::Tracker;
use crate::error::Result;

use crate::states::{AttemptStatus, FileStatus, JobStatus, RequestStatus, Status, SubmitStatus};

/// Rows of one table by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    /// The table.
    pub table: &'static str,
    /// `(state, rows)`, every state listed (in JSON: an object `{state: rows}`).
    #[serde(serialize_with = "counts_as_map")]
    pub counts: Vec<(&'static str, usize)>,
}

impl TableCounts {
    fn of<S: Status>(tracker: &Tracker) -> Result<Self> {
        Ok(Self {
            table: S::TABLE,
            counts: tracker
                .count_by_status::<S>()?
                .into_iter()
                .map(|(s, n)| (s.as_str(), n))
                .collect(),
        })
    }

    /// Rows in all states.
    pub fn total(&self) -> usize {
        self.counts.iter().map(|c| c.1).sum()
    }
}

/// A live submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveSubmission {
    /// The job.
    pub job_id: i64,
    /// Its beam.
    pub beam: String,
    /// `submitting` or `running`.
    pub status: SubmitStatus,
    /// The queue's id, once known.
    pub queue_id: Option<String>,
    /// Since when (UTC).
    pub since: String,
    /// Results directory.
    pub output_dir: String,
}

/// A recent failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecentFailure {
    /// The job.
    pub job_id: i64,
    /// Its beam.
    pub beam: String,
    /// The job's status now.
    pub job_status: JobStatus,
    /// The submission's status (`failed`, `stopped`, `submit_failed`).
    pub submit_status: SubmitStatus,
    /// The queue's id.
    pub queue_id: Option<String>,
    /// When (UTC).
    pub when: String,
    /// The first line of the error.
    pub error: String,
}

/// The state of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// The database.
    pub database: String,
    /// Counts by state for every table.
    pub tables: Vec<TableCounts>,
    /// Submissions being made or in the queue.
    pub live: Vec<LiveSubmission>,
    /// The newest failures.
    pub recent_failures: Vec<RecentFailure>,
}

impl StatusReport {
    /// Gathers the report, with at most `recent` failures.
    pub fn gather(tracker: &Tracker, recent: usize) -> Result<Self> {
        let tables = vec![
            TableCounts::of::<RequestStatus>(tracker)?,
            TableCounts::of::<FileStatus>(tracker)?,
            TableCounts::of::<AttemptStatus>(tracker)?,
            TableCounts::of::<JobStatus>(tracker)?,
            TableCounts::of::<SubmitStatus>(tracker)?,
        ];
        let mut live = Vec::new();
        for s in [SubmitStatus::Submitting, SubmitStatus::Running, SubmitStatus::Stopping] {
            for sub in tracker.submits_with_status(s)? {
                let job = tracker.job(sub.job_id)?;
                live.push(LiveSubmission {
                    job_id: sub.job_id,
                    beam: job.beam,
                    status: sub.status,
                    queue_id: sub.queue_id,
                    since: sub.updated_at,
                    output_dir: sub.output_dir.display().to_string(),
                });
            }
        }
        let failed = [SubmitStatus::Failed, SubmitStatus::Stopped, SubmitStatus::SubmitFailed];
        let mut recent_failures = Vec::new();
        for sub in tracker.recent_submits(&failed, recent)? {
            let job = tracker.job(sub.job_id)?;
            recent_failures.push(RecentFailure {
                job_id: sub.job_id,
                beam: job.beam,
                job_status: job.status,
                submit_status: sub.status,
                queue_id: sub.queue_id,
                when: sub.updated_at,
                error: failure_line(&sub.details),
            });
        }
        Ok(Self {
            database: tracker.path().display().to_string(),
            tables,
            live,
            recent_failures,
        })
    }

    /// The report as text tables.
    pub fn to_text(&self) -> String {
        let mut s = format!("job-tracker database: {}\n", self.database);
        for t in &self.tables {
            let _ = writeln!(s, "\n{} ({} rows)", t.table, t.total());
            for (state, n) in &t.counts {
                if *n > 0 {
                    let _ = writeln!(s, "  {state:<22} {n:>8}");
                }
            }
        }
        let _ = writeln!(s, "\nlive submissions: {}", self.live.len());
        if !self.live.is_empty() {
            let _ = writeln!(
                s,
                "  {:>6}  {:<12} {:<16} {:<25} beam",
                "job", "status", "queue id", "since"
            );
            for l in &self.live {
                let _ = writeln!(
                    s,
                    "  {:>6}  {:<12} {:<16} {:<25} {}",
                    l.job_id,
                    l.status.as_str(),
                    l.queue_id.as_deref().unwrap_or("-"),
                    l.since,
                    l.beam
                );
            }
        }
        let _ = writeln!(s, "\nrecent failures: {}", self.recent_failures.len());
        for f in &self.recent_failures {
            let _ = writeln!(
                s,
                "  job {} ({}, now {}) {} {} at {}: {}",
                f.job_id,
                f.beam,
                f.job_status,
                f.queue_id.as_deref().unwrap_or("-"),
                f.submit_status,
                f.when,
                f.error
            );
        }
        s
    }
}

fn counts_as_map<S: serde::Serializer>(counts: &[(&'static str, usize)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(counts.len()))?;
    for (k, v) in counts {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// The first line of the last change recorded in a history.
fn failure_line(details: &str) -> String {
    crate::db::last_note(details).lines().next().unwrap_or("").to_string()
}
