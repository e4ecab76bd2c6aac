//! The survey subcommands as an operator uses them: `palfa db`, `add-files`,
//! `jobpool`, `jobs stop/kill`, `status`.

mod tracker_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

#[test]
fn db_create_add_files_jobpool_and_status() {
    let site = Site::new(WORKER, "max_jobs_running = 4\n");
    // Before `db create`, the other commands say what to do.
    let out = site.palfa(&["status"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("palfa db create"));

    assert!(site.ok(&["db", "create"]).contains("created"));
    assert!(site.ok(&["db", "create"]).contains("nothing done"));
    assert!(site.ok(&["db", "migrate"]).contains("is current"));

    make_beams(&site.path("rawdata"), 3, 1);
    std::fs::write(site.path("rawdata/notes.txt"), "not data").unwrap();
    std::fs::write(site.path("rawdata/broken.fil"), b"\x0c\0\0\0HEADER_START junk").unwrap();
    let text = site.ok(&["add-files", "rawdata"]);
    assert!(text.contains("5 added, 0 already tracked, 2 skipped"), "{text}");
    assert!(text.contains("notes.txt: not a data file"), "{text}");
    // Again, and from another directory holding a copy: no duplicates.
    std::fs::create_dir(site.path("copy")).unwrap();
    std::fs::copy(site.path("rawdata/beam000.fil"), site.path("copy/beam000.fil")).unwrap();
    assert!(site
        .ok(&["add-files", "rawdata"])
        .contains("0 added, 5 already tracked"));
    assert!(site.ok(&["add-files", "copy"]).contains("0 added, 1 already tracked"));

    let st = site.status();
    assert_eq!(count(&st, "files", "downloaded"), 5);
    assert_eq!(count(&st, "jobs", "new"), 0);

    site.ok(&["jobpool", "--until-idle"]);
    let st = site.status();
    assert_eq!(count(&st, "jobs", "processed"), 4, "{st:#}");
    assert_eq!(count(&st, "job_submits", "processed"), 4);
    assert_eq!(st["live"].as_array().unwrap().len(), 0);
    let text = site.ok(&["status"]);
    assert!(text.contains("jobs (4 rows)") && text.contains("processed"), "{text}");
    assert_eq!(site.runs().len(), 4);
}

/// A worker that runs until it is stopped.
const SLOW: &str = "#!/bin/sh\nsleep 60\n";

#[test]
fn jobs_stop_and_kill_from_the_command_line() {
    let site = Site::new(
        SLOW,
        "max_jobs_running = 3\nmax_attempts = 1\n\n[basic]\ndelete_rawdata = true\n",
    );
    make_beams(&site.path("rawdata"), 3, 0);
    site.ok(&["db", "create"]);
    site.ok(&["add-files", "rawdata"]);
    site.ok(&["jobpool", "--once"]);
    let st = site.status();
    let live = st["live"].as_array().unwrap();
    assert_eq!(live.len(), 3, "{st:#}");
    let qid = |i: usize| live[i]["queue_id"].as_str().unwrap().to_string();
    let (a, b) = (qid(0), qid(1));

    let text = site.ok(&["jobs", "stop", &a]);
    assert!(text.contains("will be resubmitted"), "{text}");
    let text = site.ok(&["jobs", "stop", "--fail", &b]);
    assert!(text.contains("failed"), "{text}");
    let out = site.palfa(&["jobs", "stop", "no-such-id"]).output().unwrap();
    assert!(!out.status.success(), "stopping an unknown id fails");

    let t = Tracker::open(site.db()).unwrap();
    let by_qid = |q: &str| t.submits_by_queue_id(q).unwrap()[0].clone();
    assert_eq!(by_qid(&a).status, SubmitStatus::Removed);
    assert_eq!(by_qid(&b).status, SubmitStatus::Stopped);
    assert_eq!(t.job(by_qid(&b).job_id).unwrap().status, JobStatus::Failed);

    let c_job = by_qid(&qid(2)).job_id;
    let text = site.ok(&["jobs", "kill", "--file", "rawdata/beam002.fil"]);
    assert!(
        text.contains("now terminal_failure") && text.contains("1 raw files deleted"),
        "{text}"
    );
    assert_eq!(t.job(c_job).unwrap().status, JobStatus::TerminalFailure);
    assert!(!site.path("rawdata/beam002.fil").exists());
    let out = site
        .palfa(&["jobs", "kill", "--id", &c_job.to_string()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "killing it again does nothing");
    assert!(String::from_utf8_lossy(&out.stdout).contains("already terminal_failure"));
    let text = site.ok(&["jobs", "kill", "--id", &by_qid(&a).job_id.to_string()]);
    assert!(text.contains("terminal_failure"), "{text}");
}

#[test]
fn sigterm_stops_the_pooler_cleanly() {
    let site = Site::new(WORKER, "max_jobs_running = 2\n");
    make_beams(&site.path("rawdata"), 4, 0);
    site.ok(&["db", "create"]);
    site.ok(&["add-files", "rawdata"]);
    let mut child = site
        .palfa(&["jobpool", "--sleep", "30"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it make and submit jobs, then ask it to stop.
    let t = Tracker::open(site.db()).unwrap();
    let start = Instant::now();
    while t.submits_with_status(SubmitStatus::Running).unwrap().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let stopped_at = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(stopped_at.elapsed() < Duration::from_secs(10), "pooler ignores SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(5),
        "it stops without finishing its 30 s sleep"
    );
    // The jobs it started go on without it and a new pooler picks them up.
    site.ok(&["jobpool", "--until-idle"]);
    assert_eq!(count(&site.status(), "jobs", "processed"), 4);
    assert_eq!(site.runs().len(), 4);
}

#[test]
fn pooler_and_add_files_processes_with_a_writer_share_the_database() {
    let site = Site::new(WORKER, "max_jobs_running = 4\n");
    site.ok(&["db", "create"]);
    // An uploader-like writer in this process, marking processed jobs uploaded.
    let db = site.db();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || -> Result<usize, String> {
            let t = Tracker::open(&db).map_err(|e| e.to_string())?;
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                for j in t.jobs_with_status(JobStatus::Processed).map_err(|e| e.to_string())? {
                    t.transaction(|tx| tx.set_status_from(j.id, JobStatus::Processed, JobStatus::Uploaded, "uploaded"))
                        .map_err(|e| e.to_string())?;
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(n)
        })
    };
    let mut pooler = site
        .palfa(&["jobpool"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for round in 0..6 {
        let dir = site.path(&format!("in{round}"));
        std::fs::create_dir(&dir).unwrap();
        make_beams(&dir, 2, 0);
        // Same file names in every round: rename to keep them distinct.
        for i in 0..2 {
            std::fs::rename(
                dir.join(format!("beam{i:03}.fil")),
                dir.join(format!("r{round}_{i}.fil")),
            )
            .unwrap();
        }
        let out = site.palfa(&["add-files", &format!("in{round}")]).output().unwrap();
        assert_success(&out, &["add-files"]);
    }
    let t = Tracker::open(site.db()).unwrap();
    let start = Instant::now();
    while t
        .jobs()
        .unwrap()
        .iter()
        .filter(|j| j.status == JobStatus::Uploaded)
        .count()
        < 12
    {
        assert!(start.elapsed() < Duration::from_secs(60), "not all jobs uploaded");
        if let Some(st) = pooler.try_wait().unwrap() {
            panic!("the pooler died: {st}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-TERM", &pooler.id().to_string()])
        .status()
        .unwrap();
    let out = pooler.wait_with_output().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let uploaded = writer.join().unwrap().expect("the writer never failed");
    assert_eq!(uploaded, 12);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        !log.contains("locked") && !log.contains("busy") && !log.contains("ERROR"),
        "{log}"
    );
}
