//! Rows of `jobs`, `job_files` and `job_submits`.

use std::path::PathBuf;

use rusqlite::{params, OptionalExtension, Row};
use serde::Serialize;

use super::files::{parse_status, FileRow, FILE_COLUMNS};
use super::tx::history_line;
use super::{Tracker, Tx};
use crate::clock;
use crate::error::{Result, TrackerError};
use crate::states::{JobStatus, Status, SubmitStatus};

/// A row of `jobs`: one beam's processing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRow {
    /// Row id.
    pub id: i64,
    /// The beam's name (a Mock pair's merged name, or the file's name).
    pub beam: String,
    /// Status.
    pub status: JobStatus,
    /// History, one line per change.
    pub details: String,
    /// When the row was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
    /// Not submitted before this time (UTC), set after the queue refused it.
    pub hold_until: Option<String>,
}

const JOB_COLUMNS: &str = "id, beam, status, details, created_at, updated_at, hold_until";

impl JobRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            beam: r.get(1)?,
            status: parse_status(&r.get::<_, String>(2)?, 2)?,
            details: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
            hold_until: r.get(6)?,
        })
    }

    /// Whether the job is held back from submission now (after a refusal).
    pub fn is_held(&self) -> bool {
        self.hold_until
            .as_deref()
            .and_then(clock::parse_time)
            .is_some_and(|t| t > std::time::SystemTime::now())
    }
}

/// A row of `job_submits`: one submission of a job to a queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubmitRow {
    /// Row id.
    pub id: i64,
    /// The job.
    pub job_id: i64,
    /// Unique name given to the queue (job name / state directory) before the
    /// queue id is known; how a restarted pooler finds the submission.
    pub token: String,
    /// Which queue manager (`local`, `slurm`, `pbs`).
    pub queue_kind: String,
    /// The queue's id for it, once accepted.
    pub queue_id: Option<String>,
    /// Where the job writes its results.
    pub output_dir: PathBuf,
    /// Status.
    pub status: SubmitStatus,
    /// History, one line per change (error logs included).
    pub details: String,
    /// When the row was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
    /// The submit call's error when it left unclear whether the queue took the job.
    pub queue_error: Option<String>,
    /// For a `stopping` submission: what it becomes once the queue has removed
    /// the job (`stopped`, `removed` or `killed`).
    pub stop_as: Option<String>,
}

const SUBMIT_COLUMNS: &str = "id, job_id, token, queue_kind, queue_id, output_dir, status, details, created_at, \
                              updated_at, queue_error, stop_as";

impl SubmitRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            job_id: r.get(1)?,
            token: r.get(2)?,
            queue_kind: r.get(3)?,
            queue_id: r.get(4)?,
            output_dir: PathBuf::from(r.get::<_, String>(5)?),
            status: parse_status(&r.get::<_, String>(6)?, 6)?,
            details: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
            queue_error: r.get(10)?,
            stop_as: r.get(11)?,
        })
    }
}

impl Tx<'_> {
    /// Makes a job in state `new` holding `file_ids`. Fails (changing nothing
    /// once the transaction is dropped) if one of the files is already in a job.
    pub fn insert_job(&self, beam: &str, file_ids: &[i64], note: &str) -> Result<i64> {
        let now = clock::now();
        self.sql().execute(
            "INSERT INTO jobs (beam, status, details, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![
                beam,
                JobStatus::New.as_str(),
                history_line(&now, "created as new", note),
                now
            ],
        )?;
        let job_id = self.sql().last_insert_rowid();
        for &f in file_ids {
            self.sql().execute(
                "INSERT INTO job_files (job_id, file_id, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)",
                params![job_id, f, now],
            )?;
        }
        Ok(job_id)
    }

    /// Records a submission in state `submitting`; returns its id.
    pub(crate) fn insert_submit(
        &self,
        job_id: i64,
        token: &str,
        queue_kind: &str,
        output_dir: &std::path::Path,
        note: &str,
    ) -> Result<i64> {
        let now = clock::now();
        self.sql().execute(
            "INSERT INTO job_submits (job_id, token, queue_kind, output_dir, status, details, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                job_id,
                token,
                queue_kind,
                output_dir.to_string_lossy(),
                SubmitStatus::Submitting.as_str(),
                history_line(&now, "created as submitting", note),
                now
            ],
        )?;
        Ok(self.sql().last_insert_rowid())
    }

    /// Every submission of a job, counted or not.
    pub(crate) fn submit_count(&self, job_id: i64) -> Result<usize> {
        let n: i64 = self
            .sql()
            .query_row("SELECT COUNT(*) FROM job_submits WHERE job_id = ?1", [job_id], |r| {
                r.get(0)
            })?;
        Ok(n as usize)
    }

    /// Sets a submission's queue id.
    pub(crate) fn set_queue_id(&self, submit_id: i64, queue_id: &str) -> Result<()> {
        self.sql().execute(
            "UPDATE job_submits SET queue_id = ?1 WHERE id = ?2",
            params![queue_id, submit_id],
        )?;
        Ok(())
    }

    /// Submissions of a job that count towards `max_attempts`.
    pub fn attempts(&self, job_id: i64) -> Result<usize> {
        Ok(count_attempts(self.sql(), job_id)?)
    }

    /// Times the queue refused a job: submissions `submit_failed`, and `lost`
    /// ones whose submit call had failed with an unclear error.
    pub fn refusals(&self, job_id: i64) -> Result<usize> {
        Ok(count_refusals(self.sql(), job_id)?)
    }

    /// Records the submit call's unclear error on a `submitting` submission.
    pub(crate) fn set_queue_error(&self, submit_id: i64, error: &str) -> Result<()> {
        self.sql().execute(
            "UPDATE job_submits SET queue_error = ?1 WHERE id = ?2",
            params![error, submit_id],
        )?;
        Ok(())
    }

    /// Records what a `stopping` submission becomes once the queue removed it.
    pub(crate) fn set_stop_as(&self, submit_id: i64, stop_as: &str) -> Result<()> {
        self.sql().execute(
            "UPDATE job_submits SET stop_as = ?1 WHERE id = ?2",
            params![stop_as, submit_id],
        )?;
        Ok(())
    }

    /// Holds a job back from submission until `until` (a database timestamp;
    /// `None` lifts the hold).
    pub(crate) fn set_hold(&self, job_id: i64, until: Option<&str>) -> Result<()> {
        self.sql()
            .execute("UPDATE jobs SET hold_until = ?1 WHERE id = ?2", params![until, job_id])?;
        Ok(())
    }
}

fn count_refusals(c: &rusqlite::Connection, job_id: i64) -> rusqlite::Result<usize> {
    let n: i64 = c.query_row(
        "SELECT COUNT(*) FROM job_submits WHERE job_id = ?1 AND \
         (status = 'submit_failed' OR (status = 'lost' AND queue_error IS NOT NULL))",
        [job_id],
        |r| r.get(0),
    )?;
    Ok(n as usize)
}

fn count_attempts(c: &rusqlite::Connection, job_id: i64) -> rusqlite::Result<usize> {
    let counted: Vec<&str> = SubmitStatus::ALL
        .iter()
        .filter(|s| s.counts_as_attempt())
        .map(|s| s.as_str())
        .collect();
    let list = counted.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
    let sql = format!("SELECT COUNT(*) FROM job_submits WHERE job_id = ?1 AND status IN ({list})");
    let n: i64 = c.query_row(&sql, [job_id], |r| r.get(0))?;
    Ok(n as usize)
}

impl Tracker {
    /// The job with row id `id`.
    pub fn job(&self, id: i64) -> Result<JobRow> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        self.read(|c| c.query_row(&sql, [id], JobRow::from_row).optional())?
            .ok_or(TrackerError::NotFound { table: "jobs", id })
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Result<Vec<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id");
        self.read(|c| c.prepare(&sql)?.query_map([], JobRow::from_row)?.collect())
    }

    /// Jobs in `status`, oldest first.
    pub fn jobs_with_status(&self, status: JobStatus) -> Result<Vec<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE status = ?1 ORDER BY id");
        self.read(|c| {
            c.prepare(&sql)?
                .query_map([status.as_str()], JobRow::from_row)?
                .collect()
        })
    }

    /// The files of a job, in the order they were linked.
    pub fn job_files(&self, job_id: i64) -> Result<Vec<FileRow>> {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files JOIN job_files jf ON jf.file_id = files.id \
             WHERE jf.job_id = ?1 ORDER BY jf.id"
        );
        self.read(|c| c.prepare(&sql)?.query_map([job_id], FileRow::from_row)?.collect())
    }

    /// The job holding file `file_id`, if any.
    pub fn job_of_file(&self, file_id: i64) -> Result<Option<i64>> {
        self.read(|c| {
            c.query_row("SELECT job_id FROM job_files WHERE file_id = ?1", [file_id], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// The submission with row id `id`.
    pub fn submit(&self, id: i64) -> Result<SubmitRow> {
        let sql = format!("SELECT {SUBMIT_COLUMNS} FROM job_submits WHERE id = ?1");
        self.read(|c| c.query_row(&sql, [id], SubmitRow::from_row).optional())?
            .ok_or(TrackerError::NotFound {
                table: "job_submits",
                id,
            })
    }

    /// Every submission of a job, oldest first.
    pub fn submits_of_job(&self, job_id: i64) -> Result<Vec<SubmitRow>> {
        let sql = format!("SELECT {SUBMIT_COLUMNS} FROM job_submits WHERE job_id = ?1 ORDER BY id");
        self.read(|c| c.prepare(&sql)?.query_map([job_id], SubmitRow::from_row)?.collect())
    }

    /// Submissions in `status`, oldest first.
    pub fn submits_with_status(&self, status: SubmitStatus) -> Result<Vec<SubmitRow>> {
        let sql = format!("SELECT {SUBMIT_COLUMNS} FROM job_submits WHERE status = ?1 ORDER BY id");
        self.read(|c| {
            c.prepare(&sql)?
                .query_map([status.as_str()], SubmitRow::from_row)?
                .collect()
        })
    }

    /// Submissions the queue knows as `queue_id`, newest first.
    pub fn submits_by_queue_id(&self, queue_id: &str) -> Result<Vec<SubmitRow>> {
        let sql = format!("SELECT {SUBMIT_COLUMNS} FROM job_submits WHERE queue_id = ?1 ORDER BY id DESC");
        self.read(|c| c.prepare(&sql)?.query_map([queue_id], SubmitRow::from_row)?.collect())
    }

    /// The newest `limit` submissions in any of `statuses`, newest first.
    pub fn recent_submits(&self, statuses: &[SubmitStatus], limit: usize) -> Result<Vec<SubmitRow>> {
        let list = statuses.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT {SUBMIT_COLUMNS} FROM job_submits WHERE status IN ({list}) ORDER BY updated_at DESC, id DESC LIMIT ?1"
        );
        self.read(|c| {
            c.prepare(&sql)?
                .query_map([limit as i64], SubmitRow::from_row)?
                .collect()
        })
    }

    /// Submissions of a job that count towards `max_attempts`.
    pub fn attempts(&self, job_id: i64) -> Result<usize> {
        self.read(|c| count_attempts(c, job_id))
    }

    /// Times the queue refused a job (see [`Tx::refusals`]).
    pub fn refusals(&self, job_id: i64) -> Result<usize> {
        self.read(|c| count_refusals(c, job_id))
    }

    /// Moves job `id` to `to` (checked); returns the state it left.
    pub fn set_job_status(&self, id: i64, to: JobStatus, note: &str) -> Result<JobStatus> {
        self.transaction(|t| t.set_status(id, to, note))
    }

    /// Moves submission `id` to `to` (checked); returns the state it left.
    pub fn set_submit_status(&self, id: i64, to: SubmitStatus, note: &str) -> Result<SubmitStatus> {
        self.transaction(|t| t.set_status(id, to, note))
    }

    /// Number of rows of `S`'s table in each state (states with no rows included, as 0).
    pub fn count_by_status<S: Status>(&self) -> Result<Vec<(S, usize)>> {
        let sql = format!("SELECT status, COUNT(*) FROM {} GROUP BY status", S::TABLE);
        let rows: Vec<(String, i64)> = self.read(|c| {
            c.prepare(&sql)?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })?;
        Ok(S::ALL
            .iter()
            .map(|&s| {
                let n = rows.iter().find(|(name, _)| name == s.as_str()).map_or(0, |r| r.1);
                (s, n as usize)
            })
            .collect())
    }
}
