//! The job pooler with the local queue, end to end: beams in, processed jobs out;
//! failures retried and given up; lone Mock halves; operators' utilities.

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use common::*;
use palfa_tracker::ops;
use palfa_tracker::states::{FileStatus, JobStatus, SubmitStatus};

#[test]
fn twenty_simulated_beams_end_as_twenty_processed_jobs() {
    let s = Survey::new(GOOD_WORKER, "");
    make_beams(&s.rawdata(), 16, 4);
    let t = s.tracker();
    let added = ops::add_files(&t, &s.rawdata(), false).unwrap();
    assert_eq!(added.added.len(), 24, "{added:?}");
    assert!(added.skipped.is_empty() && added.duplicates.is_empty());

    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    let why = pool.run(&quick_run(), &AtomicBool::new(false)).unwrap();
    assert_eq!(why, palfa_tracker::StopReason::Idle);

    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), 20);
    assert!(jobs.iter().all(|j| j.status == JobStatus::Processed), "{jobs:#?}");
    let mock_jobs = jobs.iter().filter(|j| t.job_files(j.id).unwrap().len() == 2).count();
    assert_eq!(mock_jobs, 4, "each Mock pair is one job");
    for j in &jobs {
        let subs = t.submits_of_job(j.id).unwrap();
        assert_eq!(subs.len(), 1, "job {} submitted once", j.id);
        assert_eq!(subs[0].status, SubmitStatus::Processed);
        assert!(subs[0].output_dir.join("results.json").is_file());
        assert!(subs[0].output_dir.starts_with(&s.cfg.jobpooler.base_results_directory));
        assert!(j.details.contains("submitted -> processed"), "{}", j.details);
    }
    assert_eq!(s.runs().len(), 20, "each beam searched once");
    assert!(notes.events().is_empty(), "{:?}", notes.events());
}

#[test]
fn a_failing_job_is_retried_then_given_up_with_its_log_and_files_deleted() {
    let s = Survey::new(BAD_WORKER, "max_attempts = 3\n\n[basic]\ndelete_rawdata = true\n");
    let (s0, s1) = write_mock_pair(&s.rawdata(), 2, 7);
    write_filterbank(&s.rawdata().join("other.fil"));
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    run_until_idle(&mut pool, Duration::from_secs(60));

    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), 2);
    for j in &jobs {
        assert_eq!(j.status, JobStatus::TerminalFailure);
        let subs = t.submits_of_job(j.id).unwrap();
        assert_eq!(subs.len(), 3, "max_attempts submissions");
        assert!(subs.iter().all(|s| s.status == SubmitStatus::Failed));
        for sub in &subs {
            assert!(sub.details.contains("boom: the search fell over"), "{}", sub.details);
            assert!(sub.details.contains("exited with status 3"), "{}", sub.details);
        }
        assert!(j.details.contains("3 attempts failed"), "{}", j.details);
        assert!(j.details.contains("boom"), "the error log is in the job's history too");
        for f in t.job_files(j.id).unwrap() {
            assert_eq!(f.status, FileStatus::Deleted);
            assert!(!f.filename.exists(), "{} deleted", f.filename.display());
        }
    }
    assert!(!s0.exists() && !s1.exists());
    assert_eq!(notes.count("failed job"), 6);
    assert_eq!(notes.count("terminal job"), 2);
    let terminal: Vec<String> = notes
        .events()
        .into_iter()
        .filter(|e| e.starts_with("terminal"))
        .collect();
    assert!(
        terminal
            .iter()
            .all(|e| e.contains("exited with status 3") && e.contains("boom")),
        "{terminal:?}"
    );
}

#[test]
fn failed_job_keeps_its_files_unless_configured() {
    let s = Survey::new(BAD_WORKER, "max_attempts = 1\n");
    write_filterbank(&s.rawdata().join("keep.fil"));
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let mut pool = s.pool(&Recorder::default());
    run_until_idle(&mut pool, Duration::from_secs(30));
    let j = &t.jobs().unwrap()[0];
    assert_eq!(j.status, JobStatus::TerminalFailure);
    assert!(s.rawdata().join("keep.fil").exists());
    assert_eq!(t.job_files(j.id).unwrap()[0].status, FileStatus::Downloaded);
}

#[test]
fn a_flaky_job_succeeds_on_its_second_attempt() {
    // Fails the first time it sees a beam, succeeds the next.
    let flaky = r#"#!/bin/sh
out="$2"; shift 2
mark="$(dirname "$0")/seen.$(basename "$1")"
if [ ! -e "$mark" ]; then touch "$mark"; echo "transient trouble" >&2; exit 1; fi
mkdir -p "$out" && cp "$(dirname "$0")/results.template.json" "$out/results.json"
"#;
    let s = Survey::new(flaky, "max_attempts = 2\n");
    write_filterbank(&s.rawdata().join("flaky.fil"));
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    run_until_idle(&mut pool, Duration::from_secs(30));
    let j = &t.jobs().unwrap()[0];
    assert_eq!(j.status, JobStatus::Processed);
    let subs = t.submits_of_job(j.id).unwrap();
    assert_eq!(
        subs.iter().map(|s| s.status).collect::<Vec<_>>(),
        [SubmitStatus::Failed, SubmitStatus::Processed]
    );
    assert!(j.details.contains("failed -> retrying"));
    assert_eq!(notes.count("failed job"), 1);
}

#[test]
fn a_lone_mock_half_waits_and_is_reported_once() {
    let s = Survey::new(GOOD_WORKER, "lone_file_wait_s = 0.0\n");
    let (s0, s1) = write_mock_pair(&s.rawdata(), 5, 1);
    let partner_dir = s.root().join("later");
    std::fs::create_dir(&partner_dir).unwrap();
    std::fs::rename(&s1, partner_dir.join(s1.file_name().unwrap())).unwrap();
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    let stop = AtomicBool::new(false);
    for _ in 0..3 {
        let r = pool.iterate(&stop).unwrap();
        assert_eq!(r.created, 0);
    }
    assert_eq!(notes.count("notice lone Mock file"), 1, "{:?}", notes.events());
    let f = t.file_by_path(&std::fs::canonicalize(&s0).unwrap()).unwrap().unwrap();
    assert!(f.lone_reported_at.is_some());
    assert!(f.details.contains("without its partner"));
    // The partner arrives: the pair becomes one job.
    ops::add_files(&t, &partner_dir, false).unwrap();
    run_until_idle(&mut pool, Duration::from_secs(30));
    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, JobStatus::Processed);
    assert_eq!(t.job_files(jobs[0].id).unwrap().len(), 2);
}

#[test]
fn only_one_pooler_per_database() {
    let s = Survey::new(GOOD_WORKER, "");
    let _first = s.pool(&Recorder::default());
    let queue = palfa_tracker::queue::from_config(&s.cfg).unwrap();
    let second = palfa_tracker::JobPool::new(
        s.tracker(),
        queue,
        Box::new(palfa_tracker::NoNotifier),
        palfa_tracker::PoolSettings::from_config(&s.cfg),
    );
    assert!(matches!(second, Err(palfa_tracker::TrackerError::PoolerRunning { .. })));
}

/// A worker that runs until it is killed.
const SLOW_WORKER: &str = "#!/bin/sh\nsleep 30\n";

#[test]
fn stop_and_kill_take_jobs_out_of_the_queue() {
    let s = Survey::new(SLOW_WORKER, "max_attempts = 2\n\n[basic]\ndelete_rawdata = true\n");
    for n in ["a.fil", "b.fil", "c.fil"] {
        write_filterbank(&s.rawdata().join(n));
    }
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let mut pool = s.pool(&Recorder::default());
    let stop = AtomicBool::new(false);
    pool.iterate(&stop).unwrap();
    let running = t.submits_with_status(SubmitStatus::Running).unwrap();
    assert_eq!(running.len(), 3);
    let qid = |i: usize| running[i].queue_id.clone().unwrap();
    let queue = palfa_tracker::queue::from_config(&s.cfg).unwrap();

    // Without --fail: removed, the attempt does not count, the job is resubmitted.
    let out = ops::stop_submissions(&t, queue.as_ref(), &[qid(0)], false).unwrap();
    assert!(out[0].stopped, "{out:?}");
    assert_eq!(t.submit(running[0].id).unwrap().status, SubmitStatus::Removed);
    assert_eq!(t.job(running[0].job_id).unwrap().status, JobStatus::Retrying);
    assert_eq!(t.attempts(running[0].job_id).unwrap(), 0);

    // With --fail: stopped, the attempt counts.
    let out = ops::stop_submissions(&t, queue.as_ref(), &[qid(1)], true).unwrap();
    assert!(out[0].stopped, "{out:?}");
    assert_eq!(t.job(running[1].job_id).unwrap().status, JobStatus::Failed);
    assert_eq!(t.attempts(running[1].job_id).unwrap(), 1);
    // Stopping it again is refused, not an error.
    let again = ops::stop_submissions(&t, queue.as_ref(), &[qid(1), "nope".into()], true).unwrap();
    assert!(again.iter().all(|o| !o.stopped));

    // The queue no longer runs them.
    let st = queue.status().unwrap();
    assert_eq!(st.running, 1, "{st:?}");

    // Kill by file: terminal failure, out of the queue, files deleted.
    let c_file = std::fs::canonicalize(s.rawdata().join("c.fil")).unwrap();
    let killed_job = t
        .job_of_file(t.file_by_path(&c_file).unwrap().unwrap().id)
        .unwrap()
        .unwrap();
    let out = ops::kill_jobs(&t, queue.as_ref(), &[], std::slice::from_ref(&c_file), true).unwrap();
    assert_eq!(out.len(), 1);
    assert!(out[0].killed, "{out:?}");
    assert_eq!(out[0].files_deleted, 1);
    assert_eq!(t.job(killed_job).unwrap().status, JobStatus::TerminalFailure);
    assert!(!c_file.exists());
    assert_eq!(queue.status().unwrap().running, 0);

    // Kill by id, and the pooler does not touch killed jobs afterwards.
    let out = ops::kill_jobs(&t, queue.as_ref(), &[running[0].job_id, running[1].job_id], &[], false).unwrap();
    assert!(out.iter().all(|o| o.killed), "{out:?}");
    let r = pool.iterate(&stop).unwrap();
    assert_eq!(r.submitted, 0);
    assert_eq!(r.pending_jobs, 0);
    let again = ops::kill_jobs(&t, queue.as_ref(), &[killed_job], &[], false).unwrap();
    assert!(!again[0].killed && again[0].message.contains("already"));
}
