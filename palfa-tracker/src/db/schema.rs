//! The schema and its migrations.
//!
//! The schema version is SQLite's `user_version`; migration `i` (0-based)
//! takes the database from version `i` to `i + 1`, each in its own transaction.
//! Never edit a published migration: add a new one.

/// Migrations, oldest first.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1: the six tables of pipeline2.0 plus sizes, paths, tokens and indices.
///
/// Every row keeps `status`, `details` (its history: one timestamped line per
/// change), `created_at` and `updated_at`.
const V1: &str = r#"
CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    size INTEGER,
    numbits INTEGER,
    numrequested INTEGER,
    file_type TEXT,
    status TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX requests_status ON requests(status);

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    filename TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    remote_filename TEXT,
    request_id INTEGER REFERENCES requests(id),
    size INTEGER,
    origin TEXT NOT NULL DEFAULT 'download',
    downloaded_at TEXT,
    lone_reported_at TEXT,
    status TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX files_status ON files(status);
CREATE INDEX files_name ON files(name);
CREATE INDEX files_request ON files(request_id);

CREATE TABLE download_attempts (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    status TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX download_attempts_file ON download_attempts(file_id);
CREATE INDEX download_attempts_status ON download_attempts(status);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    beam TEXT NOT NULL,
    status TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs(status);

CREATE TABLE job_files (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    file_id INTEGER NOT NULL UNIQUE REFERENCES files(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX job_files_job ON job_files(job_id);

CREATE TABLE job_submits (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id),
    token TEXT NOT NULL UNIQUE,
    queue_kind TEXT NOT NULL,
    queue_id TEXT,
    output_dir TEXT NOT NULL,
    status TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX job_submits_job ON job_submits(job_id);
CREATE INDEX job_submits_status ON job_submits(status);
CREATE INDEX job_submits_queue_id ON job_submits(queue_id);
-- At most one live submission per job, whatever happens to the pooler.
CREATE UNIQUE INDEX job_submits_one_live ON job_submits(job_id)
    WHERE status IN ('submitting', 'running');
"#;

/// Version 2: submissions that are being stopped, queue errors whose outcome
/// is unknown, and a per-job hold after the queue refused it.
///
/// - `jobs.hold_until`: the job is not submitted before this time (set after
///   the queue refused it, doubling with each refusal);
/// - `job_submits.queue_error`: the error the queue's submit call returned when
///   it is not certain the queue refused the job (the submission stays
///   `submitting` until the queue has been asked for its token);
/// - `job_submits.stop_as`: for a `stopping` submission, what it becomes once
///   the queue has removed the job (`stopped`, `removed` or `killed`);
/// - the live-submission index also covers `stopping`.
const V2: &str = r#"
ALTER TABLE jobs ADD COLUMN hold_until TEXT;
ALTER TABLE job_submits ADD COLUMN queue_error TEXT;
ALTER TABLE job_submits ADD COLUMN stop_as TEXT;
DROP INDEX job_submits_one_live;
CREATE UNIQUE INDEX job_submits_one_live ON job_submits(job_id)
    WHERE status IN ('submitting', 'running', 'stopping');
"#;
