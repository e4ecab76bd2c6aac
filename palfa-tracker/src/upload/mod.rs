//! The uploader: puts every processed beam's results into the results
//! database, wholly or not at all, and marks it `uploaded`.
//!
//! For each job `processed` (its submission `processed`, the results in the
//! submission's `output_dir`), one [`iterate`](Uploader::iterate):
//!
//! 1. looks the beam up in the results database by (beam, `version_num`):
//!    found (an uploader killed after its commit) → marks the job and
//!    submission `uploaded` without uploading again;
//! 2. reads and checks the results directory ([`BeamRecord::from_dir`]);
//! 3. in **one transaction** inserts the header, the candidates, their files,
//!    the diagnostics and the single-pulse groups and files, reads them all
//!    back and compares every field and every blob's SHA-256 with the files on
//!    disk, and commits only if all match;
//! 4. marks the submission and the job `uploaded` (one tracker transaction) and,
//!    with `basic.delete_rawdata`, deletes the raw data.
//!
//! A results directory that is incomplete or corrupt, or rows that do not
//! read back as written: rollback, submission `upload_failed`, job `failed`
//! with the reason (the pooler retries it within `max_attempts`), notifier
//! called. A results database that cannot be reached or fails: rollback,
//! the tracker unchanged, tried again next iteration. The crash points
//! `upload.header`, `upload.candidates`, `upload.verified`,
//! `upload.committed` and `upload.marked` (see [`crate::crashpoint`]) lie
//! between these steps.

use std::sync::atomic::{AtomicBool, Ordering};

use palfa_core::config::Config;
use serde::Serialize;

use crate::crashpoint;
use crate::db::{JobRow, SubmitRow, Tracker};
use crate::error::Result;
use crate::notify::{Failure, Notifier};
use crate::pooler::{run_loop, RunOptions, StopReason};
use crate::resultsdb::record::{find_header, BeamRecord, Provenance, RecordError};
use crate::resultsdb::{self, schema, ResultsStore, StoreError};
use crate::states::{FileStatus, JobStatus, Status, SubmitStatus};

/// What the uploader needs from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadSettings {
    /// Institution, pipeline, survey and version stored with every beam.
    pub provenance: Provenance,
    /// `jobpooler.max_attempts` (for the notifications).
    pub max_attempts: usize,
    /// Delete the raw files of a beam once it is uploaded.
    pub delete_rawdata: bool,
}

impl UploadSettings {
    /// The settings of a checked configuration; `version_num` is the build's
    /// (`PALFA:<commit>;palfa:<version>`) unless `upload.version_num` overrides it.
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            provenance: Provenance {
                institution: cfg.basic.institution.clone(),
                pipeline: cfg.basic.pipeline.clone(),
                survey: cfg.basic.survey.clone(),
                version_num: resultsdb::build::effective_version_num(&cfg.upload),
            },
            max_attempts: cfg.jobpooler.max_attempts,
            delete_rawdata: cfg.basic.delete_rawdata,
        }
    }
}

/// What one iteration did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    /// Beams uploaded and marked `uploaded`.
    pub uploaded: usize,
    /// Beams found already in the results database and marked `uploaded`.
    pub marked: usize,
    /// Beams refused (incomplete or corrupt results, or a failed read-back).
    pub refused: usize,
    /// Failures of the results database (the beam stays `processed`).
    pub store_errors: usize,
    /// Raw files deleted.
    pub files_deleted: usize,
    /// Jobs still `processed` at the end.
    pub pending: usize,
}

/// Opens a connection to the results database (called again after a failure).
pub type StoreOpener = Box<dyn FnMut() -> std::result::Result<Box<dyn ResultsStore>, StoreError> + Send>;

/// The uploader of one tracker database.
pub struct Uploader {
    tracker: Tracker,
    open: StoreOpener,
    store: Option<Box<dyn ResultsStore>>,
    notifier: Box<dyn Notifier>,
    settings: UploadSettings,
}

/// How one beam's upload ended.
enum Outcome {
    Uploaded,
    Marked,
    Refused,
    /// The results database failed; stop this iteration.
    StoreFailed,
    /// Nothing to do (no processed submission, or another process moved it).
    Skipped,
}

impl Uploader {
    /// An uploader on `tracker`, opening the results database with `open`.
    pub fn new(tracker: Tracker, open: StoreOpener, notifier: Box<dyn Notifier>, settings: UploadSettings) -> Self {
        Self {
            tracker,
            open,
            store: None,
            notifier,
            settings,
        }
    }

    /// An uploader with the results database `[commondb]` names.
    pub fn from_config(cfg: &Config, tracker: Tracker, notifier: Box<dyn Notifier>) -> Self {
        let commondb = cfg.commondb.clone();
        Self::new(
            tracker,
            Box::new(move || resultsdb::open(&commondb)),
            notifier,
            UploadSettings::from_config(cfg),
        )
    }

    /// The tracker.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The settings.
    pub fn settings(&self) -> &UploadSettings {
        &self.settings
    }

    fn connect(&mut self) -> std::result::Result<&mut Box<dyn ResultsStore>, StoreError> {
        if self.store.is_none() {
            let mut s = (self.open)()?;
            schema::check(s.as_mut())?;
            self.store = Some(s);
        }
        Ok(self.store.as_mut().expect("connected"))
    }

    /// Jobs `processed`.
    pub fn pending(&self) -> Result<usize> {
        Ok(self.tracker.jobs_with_status(JobStatus::Processed)?.len())
    }

    /// One pass over the processed jobs (see the module docs). `stop` is
    /// checked between beams. Errors are the tracker's; the results
    /// database's are counted in the report and logged.
    pub fn iterate(&mut self, stop: &AtomicBool) -> Result<UploadReport> {
        let mut r = UploadReport::default();
        if self.settings.delete_rawdata {
            // Beams marked by an uploader that died before deleting their data.
            for job_id in uploaded_jobs_with_raw_data(&self.tracker)? {
                r.files_deleted += crate::pooler::delete_job_files(&self.tracker, job_id, "its beam is uploaded")?;
            }
        }
        let jobs = self.tracker.jobs_with_status(JobStatus::Processed)?;
        if !jobs.is_empty() {
            if let Err(e) = self.connect() {
                tracing::warn!("results database unavailable (will try again): {e}");
                r.store_errors += 1;
                r.pending = jobs.len();
                return Ok(r);
            }
        }
        for job in jobs {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            match self.upload_job(&job, &mut r)? {
                Outcome::Uploaded => r.uploaded += 1,
                Outcome::Marked => r.marked += 1,
                Outcome::Refused => r.refused += 1,
                Outcome::Skipped => {}
                Outcome::StoreFailed => {
                    r.store_errors += 1;
                    break;
                }
            }
        }
        r.pending = self.pending()?;
        Ok(r)
    }

    fn upload_job(&mut self, job: &JobRow, r: &mut UploadReport) -> Result<Outcome> {
        let Some(submit) = self
            .tracker
            .submits_of_job(job.id)?
            .into_iter()
            .filter(|s| s.status == SubmitStatus::Processed)
            .max_by_key(|s| s.id)
        else {
            tracing::warn!(job = job.id, beam = %job.beam, "job is processed but has no processed submission; skipped");
            return Ok(Outcome::Skipped);
        };
        let version = self.settings.provenance.version_num.clone();
        let store = match self.connect() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("results database unavailable (will try again): {e}");
                return Ok(Outcome::StoreFailed);
            }
        };
        // 1. Already there (an uploader died after committing)?
        match find_header(store.as_mut(), &job.beam, &version) {
            Ok(Some(id)) => {
                let note =
                    format!("found in the results database (header {id}, {version}); marked, not uploaded again");
                return self
                    .mark(job, &submit, &note, r)
                    .map(|m| if m { Outcome::Marked } else { Outcome::Skipped });
            }
            Ok(None) => {}
            Err(e) => return Ok(self.store_failed(job, e)),
        }
        // 2. Read and check the results directory.
        let record = match BeamRecord::from_dir(&job.beam, &submit.output_dir, &self.settings.provenance) {
            Ok(rec) => rec,
            Err(RecordError::Refused(why)) => return self.refuse(job, &submit, &why),
            Err(RecordError::Store(e)) => return Ok(self.store_failed(job, e)),
        };
        // 3. One transaction.
        let store = self.store.as_mut().expect("connected").as_mut();
        match write_and_verify(store, &record) {
            Ok(header_id) => {
                crashpoint::hit("upload.committed");
                let note = format!(
                    "uploaded to the results database (header {header_id}, {} candidates, {} rows, {} bytes of files, {version})",
                    record.num_candidates(),
                    record.num_rows(),
                    record.blob_bytes()
                );
                tracing::info!(job = job.id, beam = %job.beam, header = header_id, "beam uploaded");
                self.mark(job, &submit, &note, r)
                    .map(|m| if m { Outcome::Uploaded } else { Outcome::Skipped })
            }
            Err(RecordError::Refused(why)) => self.refuse(job, &submit, &why),
            Err(RecordError::Store(e)) => Ok(self.store_failed(job, e)),
        }
    }

    /// Marks the submission and job `uploaded` and deletes the raw data if
    /// configured. Returns false if another process moved the job first.
    fn mark(&mut self, job: &JobRow, submit: &SubmitRow, note: &str, r: &mut UploadReport) -> Result<bool> {
        let moved = self.tracker.transaction(|t| {
            if !t.set_status_from(job.id, JobStatus::Processed, JobStatus::Uploaded, note)? {
                return Ok(false);
            }
            t.set_status_from(submit.id, SubmitStatus::Processed, SubmitStatus::Uploaded, note)?;
            Ok(true)
        })?;
        crashpoint::hit("upload.marked");
        if moved && self.settings.delete_rawdata {
            r.files_deleted += crate::pooler::delete_job_files(&self.tracker, job.id, "its beam is uploaded")?;
        }
        Ok(moved)
    }

    /// The beam's results are refused: submission `upload_failed`, job `failed`.
    fn refuse(&mut self, job: &JobRow, submit: &SubmitRow, why: &str) -> Result<Outcome> {
        tracing::warn!(job = job.id, beam = %job.beam, "upload refused: {why}");
        let note = format!("upload failed: {why}");
        let attempts = self.tracker.transaction(|t| {
            if !t.set_status_from(job.id, JobStatus::Processed, JobStatus::Failed, &note)? {
                return Ok(None);
            }
            t.set_status_from(submit.id, SubmitStatus::Processed, SubmitStatus::UploadFailed, &note)?;
            Ok(Some(t.attempts(job.id)?))
        })?;
        let Some(attempts) = attempts else {
            return Ok(Outcome::Skipped);
        };
        self.notifier.job_failed(&Failure {
            job_id: job.id,
            beam: job.beam.clone(),
            attempts,
            max_attempts: self.settings.max_attempts,
            queue_id: submit.queue_id.clone(),
            error: format!("upload of {} failed: {why}", submit.output_dir.display()),
        });
        Ok(Outcome::Refused)
    }

    fn store_failed(&mut self, job: &JobRow, e: StoreError) -> Outcome {
        tracing::warn!(job = job.id, beam = %job.beam, "results database failed (the beam stays processed; will try again): {e}");
        if let Some(s) = self.store.as_mut() {
            let _ = s.rollback();
        }
        // Reconnect next time: the connection may be dead.
        self.store = None;
        Outcome::StoreFailed
    }

    /// Iterates until `stop` is raised (or the options say so: `until_idle`
    /// stops when no job is `processed`), sleeping `opts.sleep` between iterations.
    pub fn run(&mut self, opts: &RunOptions, stop: &AtomicBool) -> Result<StopReason> {
        run_loop(
            "uploader",
            opts,
            stop,
            |s| self.iterate(s),
            |rep: &UploadReport| {
                let quiet = UploadReport {
                    pending: rep.pending,
                    ..UploadReport::default()
                };
                if *rep != quiet {
                    tracing::info!(
                        uploaded = rep.uploaded,
                        marked = rep.marked,
                        refused = rep.refused,
                        store_errors = rep.store_errors,
                        files_deleted = rep.files_deleted,
                        pending = rep.pending,
                        "uploader iteration"
                    );
                }
                rep.pending
            },
        )
    }
}

/// Inserts `record` in one transaction, reads it back, and commits only if
/// everything matches; rolls back otherwise. Returns the header's id.
pub fn write_and_verify(store: &mut dyn ResultsStore, record: &BeamRecord) -> std::result::Result<i64, RecordError> {
    store.begin()?;
    let r = (|| {
        let header_id = record.insert_header(store)?;
        crashpoint::hit("upload.header");
        for table in record.tables() {
            record.insert_table(store, header_id, table)?;
            if table == "candidates" {
                crashpoint::hit("upload.candidates");
            }
        }
        record.verify(store, header_id)?;
        crashpoint::hit("upload.verified");
        store.commit()?;
        Ok(header_id)
    })();
    if r.is_err() {
        let _ = store.rollback();
    }
    r
}

/// Jobs `uploaded` that still have `downloaded` raw files (one query).
fn uploaded_jobs_with_raw_data(tracker: &Tracker) -> Result<Vec<i64>> {
    tracker.read(|c| {
        let mut st = c.prepare(
            "SELECT DISTINCT jf.job_id FROM job_files jf JOIN jobs j ON j.id = jf.job_id \
             JOIN files f ON f.id = jf.file_id WHERE j.status = ?1 AND f.status = ?2 ORDER BY jf.job_id",
        )?;
        let ids = st
            .query_map([JobStatus::Uploaded.as_str(), FileStatus::Downloaded.as_str()], |r| {
                r.get::<_, i64>(0)
            })?
            .collect::<rusqlite::Result<Vec<i64>>>()?;
        Ok(ids)
    })
}
