//! Several writers on one database at once — the pooler, an uploader-like
//! writer, `add-files` and a status reader, each with its own connection as
//! separate processes would have — and no "database is locked" failure.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use palfa_tracker::states::{FileStatus, JobStatus, SubmitStatus};
use palfa_tracker::{ops, StatusReport, Tracker};

/// Uploads (marks uploaded) every processed job, as the uploader will.
fn upload_processed(t: &Tracker) -> palfa_tracker::Result<usize> {
    let mut n = 0;
    for job in t.jobs_with_status(JobStatus::Processed)? {
        let subs = t.submits_of_job(job.id)?;
        let files = t.job_files(job.id)?;
        t.transaction(|tx| {
            if !tx.set_status_from(job.id, JobStatus::Processed, JobStatus::Uploaded, "results uploaded")? {
                return Ok(());
            }
            for s in subs.iter().filter(|s| s.status == SubmitStatus::Processed) {
                tx.set_status_from(s.id, SubmitStatus::Processed, SubmitStatus::Uploaded, "uploaded")?;
            }
            for f in &files {
                tx.set_status_from(
                    f.id,
                    FileStatus::Downloaded,
                    FileStatus::Deleted,
                    "raw data removed after upload",
                )?;
            }
            Ok(())
        })?;
        n += 1;
    }
    Ok(n)
}

#[test]
fn pooler_uploader_and_add_files_share_one_database() {
    const ROUNDS: usize = 12;
    const BEAMS_PER_ROUND: usize = 3;
    let s = Survey::new(GOOD_WORKER, "");
    let db = s.cfg.background.jobtracker_db.clone();
    let done_adding = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));

    let pooler = {
        let (done_adding, stop) = (done_adding.clone(), stop.clone());
        let mut pool = s.pool(&Recorder::default());
        thread::spawn(move || -> Result<(), String> {
            let start = Instant::now();
            loop {
                let r = pool.iterate(&stop).map_err(|e| format!("pooler: {e}"))?;
                if done_adding.load(Ordering::SeqCst) && r.pending_jobs == 0 && r.created == 0 {
                    return Ok(());
                }
                if start.elapsed() > Duration::from_secs(120) {
                    return Err(format!("pooler not done: {r:?}"));
                }
                thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let uploader = {
        let (db, stop) = (db.clone(), stop.clone());
        thread::spawn(move || -> Result<usize, String> {
            let t = Tracker::open(&db).map_err(|e| e.to_string())?;
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += upload_processed(&t).map_err(|e| format!("uploader: {e}"))?;
                thread::sleep(Duration::from_millis(2));
            }
            n += upload_processed(&t).map_err(|e| format!("uploader: {e}"))?;
            Ok(n)
        })
    };
    let reader = {
        let (db, stop) = (db.clone(), stop.clone());
        thread::spawn(move || -> Result<usize, String> {
            let t = Tracker::open(&db).map_err(|e| e.to_string())?;
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                StatusReport::gather(&t, 5).map_err(|e| format!("status: {e}"))?;
                n += 1;
            }
            Ok(n)
        })
    };
    let adder = {
        let (db, root) = (db.clone(), s.root().to_path_buf());
        let done_adding = done_adding.clone();
        thread::spawn(move || -> Result<usize, String> {
            let t = Tracker::open(&db).map_err(|e| e.to_string())?;
            let mut added = 0;
            for round in 0..ROUNDS {
                let dir = root.join(format!("incoming{round}"));
                std::fs::create_dir(&dir).unwrap();
                for b in 0..BEAMS_PER_ROUND {
                    write_filterbank(&dir.join(format!("r{round}b{b}.fil")));
                }
                let rep = ops::add_files(&t, &dir, false).map_err(|e| format!("add-files: {e}"))?;
                added += rep.added.len();
                // And again: every file is a duplicate now.
                let again = ops::add_files(&t, &dir, false).map_err(|e| format!("add-files: {e}"))?;
                if !again.added.is_empty() {
                    return Err("a file was added twice".into());
                }
            }
            done_adding.store(true, Ordering::SeqCst);
            Ok(added)
        })
    };

    let added = adder.join().unwrap();
    let pooled = pooler.join().unwrap();
    stop.store(true, Ordering::SeqCst);
    let uploaded = uploader.join().unwrap();
    let reads = reader.join().unwrap();
    for r in [&pooled.clone().map(|_| 0), &added, &uploaded, &reads] {
        if let Err(e) = r {
            assert!(
                !e.contains("locked") && !e.contains("busy"),
                "database lock failure: {e}"
            );
            panic!("{e}");
        }
    }
    let beams = ROUNDS * BEAMS_PER_ROUND;
    assert_eq!(added.unwrap(), beams);
    let t = s.tracker();
    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), beams);
    assert!(
        jobs.iter().all(|j| j.status == JobStatus::Uploaded),
        "all jobs uploaded"
    );
    assert_eq!(uploaded.unwrap(), beams);
    assert!(reads.unwrap() > 0);
}
