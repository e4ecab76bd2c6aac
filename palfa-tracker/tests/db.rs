//! The job-tracker database: creation, schema versions, checked transitions
//! with history, and the guards in the schema itself.

use palfa_tracker::db::{FileOrigin, NewFile, SCHEMA_VERSION};
use palfa_tracker::states::{AttemptStatus, FileStatus, JobStatus, RequestStatus, SubmitStatus};
use palfa_tracker::{Tracker, TrackerError};

fn new_file(dir: &std::path::Path, name: &str, status: FileStatus) -> NewFile {
    NewFile {
        filename: dir.join(name),
        remote_filename: None,
        request_id: None,
        size: Some(10),
        origin: FileOrigin::Download,
        status,
    }
}

#[test]
fn create_is_idempotent_and_open_needs_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/jobtracker.db");
    assert!(matches!(Tracker::open(&path), Err(TrackerError::Missing(_))));
    let (t, created) = Tracker::create(&path).unwrap();
    assert!(created);
    assert_eq!(t.schema_version().unwrap(), SCHEMA_VERSION);
    t.insert_file(&new_file(dir.path(), "a.fil", FileStatus::New), "x")
        .unwrap();
    drop(t);
    let (t, created) = Tracker::create(&path).unwrap();
    assert!(!created);
    assert_eq!(
        t.files_with_status(FileStatus::New).unwrap().len(),
        1,
        "existing data kept"
    );
    let mode: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn schema_versions_are_checked_and_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    // An empty SQLite file: version 0.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE x (y); PRAGMA user_version = 0;")
        .unwrap();
    match Tracker::open(&path) {
        Err(TrackerError::OldSchema { found: 0, wanted, .. }) => assert_eq!(wanted, SCHEMA_VERSION),
        other => panic!("{other:?}"),
    }
    let t = Tracker::open_any_version(&path).unwrap();
    assert_eq!(t.migrate().unwrap(), (0, SCHEMA_VERSION));
    assert_eq!(
        t.migrate().unwrap(),
        (SCHEMA_VERSION, SCHEMA_VERSION),
        "migrating twice is harmless"
    );
    drop(t);
    Tracker::open(&path).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    assert!(matches!(
        Tracker::open(&path),
        Err(TrackerError::NewerSchema { found: 99, .. })
    ));
}

#[test]
fn transitions_are_checked_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = Tracker::create(dir.path().join("t.db")).unwrap();
    let f = t
        .insert_file(&new_file(dir.path(), "a.fil", FileStatus::New), "restored")
        .unwrap()
        .unwrap();
    t.set_file_status(f, FileStatus::Downloading, "attempt 1").unwrap();
    t.set_file_status(f, FileStatus::Unverified, "got 10 bytes").unwrap();
    let before = t.file(f).unwrap();
    assert!(before.downloaded_at.is_none());
    // Illegal: an error, and the row is untouched.
    let e = t.set_file_status(f, FileStatus::New, "back").unwrap_err();
    assert!(matches!(e, TrackerError::Illegal { .. }), "{e}");
    assert!(
        e.to_string().contains("files: illegal transition unverified -> new"),
        "{e}"
    );
    assert_eq!(t.file(f).unwrap(), before);
    t.set_file_status(f, FileStatus::Downloaded, "size checked").unwrap();
    let row = t.file(f).unwrap();
    assert!(row.downloaded_at.is_some());
    let lines: Vec<&str> = row.details.lines().collect();
    assert_eq!(lines.len(), 4, "{}", row.details);
    assert!(lines[0].ends_with("created as new: restored"));
    assert!(lines[1].contains("new -> downloading: attempt 1"));
    assert!(lines[3].contains("unverified -> downloaded: size checked"));
    assert!(row.updated_at >= row.created_at);
    // Notes and multi-line notes.
    t.transaction(|tx| tx.note::<FileStatus>(f, "line one\nline two"))
        .unwrap();
    let d = t.file(f).unwrap().details;
    assert!(d.ends_with("note: line one\n    line two\n"), "{d}");
    // A missing row.
    assert!(matches!(
        t.set_job_status(42, JobStatus::Submitted, ""),
        Err(TrackerError::NotFound { table: "jobs", id: 42 })
    ));
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = Tracker::create(dir.path().join("t.db")).unwrap();
    let f = t
        .insert_file(&new_file(dir.path(), "a.fil", FileStatus::Downloaded), "")
        .unwrap()
        .unwrap();
    let r = t.transaction(|tx| {
        let job = tx.insert_job("a.fil", &[f], "")?;
        tx.set_status(job, JobStatus::Submitted, "")?;
        tx.set_status(job, JobStatus::New, "illegal")?; // fails: everything rolls back
        Ok(job)
    });
    assert!(r.is_err());
    assert!(t.jobs().unwrap().is_empty());
    assert_eq!(t.files_without_job().unwrap().len(), 1);
    // One file, one job: a second job for the same file is refused.
    t.transaction(|tx| tx.insert_job("a.fil", &[f], "")).unwrap();
    assert!(t.transaction(|tx| tx.insert_job("again", &[f], "")).is_err());
    assert_eq!(t.jobs().unwrap().len(), 1);
}

#[test]
fn the_schema_forbids_two_live_submissions_of_a_job() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let (t, _) = Tracker::create(&path).unwrap();
    let f = t
        .insert_file(&new_file(dir.path(), "a.fil", FileStatus::Downloaded), "")
        .unwrap()
        .unwrap();
    let job = t.transaction(|tx| tx.insert_job("a.fil", &[f], "")).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let ins = |token: &str, status: &str| {
        c.execute(
            "INSERT INTO job_submits (job_id, token, queue_kind, output_dir, status, created_at, updated_at) \
             VALUES (?1, ?2, 'local', '/tmp', ?3, 'now', 'now')",
            rusqlite::params![job, token, status],
        )
    };
    ins("palfa_1_1_a", "failed").unwrap();
    ins("palfa_1_2_a", "running").unwrap();
    assert!(ins("palfa_1_3_a", "submitting").is_err(), "second live submission");
    assert!(ins("palfa_1_2_a", "failed").is_err(), "tokens are unique");
    ins("palfa_1_4_a", "lost").unwrap();
    assert_eq!(t.attempts(job).unwrap(), 2, "failed and running count; lost does not");
    let subs = t.submits_of_job(job).unwrap();
    assert_eq!(subs[1].status, SubmitStatus::Running);
}

#[test]
fn requests_and_download_attempts_follow_their_life_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = Tracker::create(dir.path().join("t.db")).unwrap();
    let (req, att) = t
        .transaction(|tx| {
            let req = tx.insert_request("guid-123", 4, 10, "mock", "asked for 10 files")?;
            tx.set_request_size(req, 123_456)?;
            let mut f = new_file(dir.path(), "a.fits", FileStatus::New);
            f.request_id = Some(req);
            let fid = tx.insert_file(&f, "listed by the archive")?.unwrap();
            let att = tx.insert_attempt(fid, "ftp")?;
            tx.set_status(att, AttemptStatus::Unverified, "")?;
            tx.set_status(req, RequestStatus::Finished, "files ready")?;
            Ok((req, att))
        })
        .unwrap();
    let r = t.request(req).unwrap();
    assert_eq!((r.status, r.size), (RequestStatus::Finished, Some(123_456)));
    let attempts = t.attempts_of_file(1).unwrap();
    assert_eq!(attempts[0].id, att);
    assert_eq!(attempts[0].status, AttemptStatus::Unverified);
    assert!(t
        .transaction(|tx| tx.set_status(req, RequestStatus::Waiting, ""))
        .is_err());
}
