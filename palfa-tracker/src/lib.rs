//! The state of a palfa survey, and the job pooler that moves it forward.
//!
//! - [`Tracker`] is the job-tracker database: one SQLite file (WAL mode, busy
//!   timeout, `BEGIN IMMEDIATE` writes) with the six tables of pipeline2.0 —
//!   `requests`, `files`, `download_attempts`, `jobs`, `job_files`,
//!   `job_submits` — shared by the downloader, the pooler, the uploader and the
//!   utilities, each in its own process. Schema versions are migrations.
//! - [`states`] holds each table's states and legal transitions (drawn in
//!   `docs/states.md`). Every change goes through a [`Tx`], which refuses an
//!   illegal move and appends a timestamped line to the row's `details`.
//! - [`JobPool`] makes one job per beam, submits jobs to a
//!   [`QueueManager`] ([`LocalQueue`], [`SlurmQueue`], [`PbsQueue`]), follows
//!   them and retries failures up to `max_attempts`. It can be killed at any
//!   moment and restarted without losing or duplicating a job or a submission
//!   (`docs/tracker.md` explains how).
//! - [`Downloader`] keeps the disk full of beams: it asks the data
//!   [`archive`] for restores (the original PALFA archive's HTTP restore
//!   service and FTP/FTPS server, behind the [`archive::Archive`] trait),
//!   downloads their files in parallel within a disk budget, retries
//!   failures and survives being killed (`docs/archive-api.md`). With the
//!   `archive-server` feature, `archive::server` is a reference archive.
//! - [`ops`] has the operators' utilities (add files, stop and kill jobs) and
//!   [`StatusReport`] the survey's summary. Failures are reported through a
//!   [`Notifier`] (the log, or e-mail with [`notify::SmtpNotifier`]).
//! - [`Uploader`] puts every processed beam into the results database
//!   ([`resultsdb`]: SQLite, or any server through ODBC), wholly or not at all.
//!
//! ```
//! use palfa_tracker::db::{FileOrigin, NewFile};
//! use palfa_tracker::states::{FileStatus, JobStatus};
//! use palfa_tracker::Tracker;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let (tracker, created) = Tracker::create(dir.path().join("jobtracker.db"))?;
//! assert!(created);
//! let file = NewFile {
//!     filename: dir.path().join("beam.fil"),
//!     remote_filename: None,
//!     request_id: None,
//!     size: Some(1024),
//!     origin: FileOrigin::Added,
//!     status: FileStatus::Downloaded,
//! };
//! let file_id = tracker.insert_file(&file, "copied from a disk")?.expect("new file");
//! let job = tracker.transaction(|t| t.insert_job("beam.fil", &[file_id], "one beam"))?;
//! tracker.set_job_status(job, JobStatus::Submitted, "sent to the queue")?;
//! // A job cannot go back to `new`: the change is refused and nothing is written.
//! assert!(tracker.set_job_status(job, JobStatus::New, "oops").is_err());
//! let row = tracker.job(job)?;
//! assert_eq!(row.status, JobStatus::Submitted);
//! assert!(row.details.contains("new -> submitted: sent to the queue"));
//! # Ok(()) }
//! ```

pub mod archive;
pub mod check;
pub mod clock;
pub mod crashpoint;
#[cfg(feature = "dashboard")]
pub mod dashboard;
pub mod db;
pub mod download;
mod error;
pub mod notify;
pub mod ops;
pub mod pooler;
mod process_lock;
pub mod queue;
pub mod resultsdb;
pub mod site;
pub mod states;
mod status;
pub mod upload;

pub use db::{Tracker, Tx};
pub use download::{DownloadReport, DownloadRunOptions, DownloadSettings, DownloadStop, Downloader, TransferInfo};
pub use error::{Result, TrackerError};
pub use notify::{Failure, LogNotifier, NoNotifier, Notifier};
pub use pooler::{IterationReport, JobPool, PoolSettings, RunOptions, StopReason};
pub use queue::{LocalQueue, PbsQueue, QueueError, QueueManager, QueueStatus, SlurmQueue};
pub use status::{LiveSubmission, RecentFailure, StatusReport, TableCounts};
pub use upload::{UploadReport, UploadSettings, Uploader};
