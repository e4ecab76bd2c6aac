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

/// Exits 0 without complete results, by the name of its beam: `trunc*` writes
/// half of `results.json` (as a crash in the middle of a plain write would),
/// `none*` writes nothing, `short*` names a product and writes it too short;
/// the second time it sees a beam it does the job properly.
const SLOPPY_WORKER: &str = r#"#!/bin/sh
out="$2"; shift 2
mark="$(dirname "$0")/seen.$(basename "$1")"
mkdir -p "$out"
if [ ! -e "$mark" ]; then
  touch "$mark"
  case "$(basename "$1")" in
    trunc*) head -c 200 "$(dirname "$0")/results.template.json" > "$out/results.json" ;;
    none*) : ;;
    short*) sed 's/"plots": \[\]/"plots": ["sp.png"]/; s/"file_sizes": {}/"file_sizes": {"sp.png": 100}/' \
              "$(dirname "$0")/results.template.json" > "$out/results.json"; echo x > "$out/sp.png" ;;
  esac
  exit 0
fi
cp "$(dirname "$0")/results.template.json" "$out/results.json"
echo "$out" >> "$(dirname "$0")/runs.log"
"#;

#[test]
fn exit_status_zero_without_complete_results_is_a_failed_attempt() {
    let s = Survey::new(SLOPPY_WORKER, "max_attempts = 2\n");
    for n in ["trunc.fil", "none.fil", "short.fil"] {
        write_filterbank(&s.rawdata().join(n));
    }
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    run_until_idle(&mut pool, Duration::from_secs(60));
    for j in t.jobs().unwrap() {
        let subs = t.submits_of_job(j.id).unwrap();
        let st: Vec<_> = subs.iter().map(|x| x.status).collect();
        assert_eq!(
            st,
            [SubmitStatus::Failed, SubmitStatus::Processed],
            "{}: {subs:#?}",
            j.beam
        );
        let why = &subs[0].details;
        assert!(why.contains("no complete results directory"), "{}: {why}", j.beam);
        assert!(!subs[0].output_dir.exists(), "a failed attempt's results are removed");
        palfa_core::formats::results::SearchResults::read_dir(&subs[1].output_dir).unwrap();
        assert_eq!(j.status, JobStatus::Processed);
    }
    let sub_of = |beam: &str| {
        let j = t.jobs().unwrap().into_iter().find(|j| j.beam == beam).unwrap();
        t.submits_of_job(j.id).unwrap().remove(0).details
    };
    assert!(sub_of("trunc.fil").contains("not a palfa results file"));
    assert!(sub_of("none.fil").contains("results.json"));
    assert!(
        sub_of("short.fil").contains("2 bytes on disk, 100"),
        "{}",
        sub_of("short.fil")
    );
    assert_eq!(notes.count("failed job"), 3, "{:?}", notes.events());
}

#[test]
fn kill_by_file_matches_exact_paths_only() {
    let s = Survey::new(SLOW_WORKER, "[basic]\ndelete_rawdata = true\n");
    let other = s.root().join("elsewhere");
    std::fs::create_dir_all(&other).unwrap();
    write_filterbank(&s.rawdata().join("same.fil"));
    write_filterbank(&other.join("same.fil"));
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    // The second same-named file is not tracked (a duplicate name); give it a job anyway
    // through a third directory holding a file of that name.
    let third = s.root().join("third");
    std::fs::create_dir_all(&third).unwrap();
    write_filterbank(&third.join("beam.fil"));
    ops::add_files(&t, &third, false).unwrap();
    let mut pool = s.pool(&Recorder::default());
    pool.iterate(&AtomicBool::new(false)).unwrap();
    let queue = palfa_tracker::queue::from_config(&s.cfg).unwrap();

    // A path that is not tracked, with the name of a tracked file: refused, nothing killed.
    let wrong = other.join("same.fil");
    let e = ops::kill_jobs(&t, queue.as_ref(), &[], std::slice::from_ref(&wrong), true).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("is not a tracked file"), "{msg}");
    let tracked = std::fs::canonicalize(s.rawdata().join("same.fil")).unwrap();
    assert!(msg.contains(&tracked.display().to_string()), "candidates listed: {msg}");
    assert!(t.jobs().unwrap().iter().all(|j| j.status == JobStatus::Submitted));
    assert!(tracked.exists(), "no raw data deleted");
    // A bare name is not a path either.
    assert!(ops::kill_jobs(&t, queue.as_ref(), &[], &["beam.fil".into()], true).is_err());
    // The exact path works.
    let out = ops::kill_jobs(&t, queue.as_ref(), &[], std::slice::from_ref(&tracked), true).unwrap();
    assert!(out[0].killed, "{out:?}");
    assert!(!tracked.exists());
    let others = t.jobs().unwrap().into_iter().filter(|j| j.id != out[0].job_id);
    assert!(others.into_iter().all(|j| j.status == JobStatus::Submitted));
    for s in t.submits_with_status(SubmitStatus::Running).unwrap() {
        queue
            .delete(palfa_tracker::queue::JobRef {
                queue_id: s.queue_id.as_deref().unwrap(),
                token: &s.token,
            })
            .unwrap();
    }
}

/// A SIGPROC header that asks for absurd sizes: `nchans` x `nifs` x `nbits`
/// = 2^30 x 2 x 16 bits, a 4-GiB spectrum in a file of 64 data bytes. (More
/// than two IFs, where the product could once wrap past 2^64, are now refused
/// on their own.)
fn hostile_filterbank(path: &std::path::Path) {
    fn key(b: &mut Vec<u8>, k: &str) {
        b.extend((k.len() as i32).to_le_bytes());
        b.extend(k.as_bytes());
    }
    let mut b = Vec::new();
    key(&mut b, "HEADER_START");
    for (k, v) in [("nchans", 1i32 << 30), ("nifs", 2), ("nbits", 16)] {
        key(&mut b, k);
        b.extend(v.to_le_bytes());
    }
    for (k, v) in [("tsamp", 6.4e-5f64), ("fch1", 1500.0), ("foff", -1.0)] {
        key(&mut b, k);
        b.extend(v.to_le_bytes());
    }
    key(&mut b, "HEADER_END");
    b.extend([0u8; 64]);
    std::fs::write(path, b).unwrap();
}

#[test]
fn add_files_reports_a_hostile_file_and_tracks_the_rest() {
    let s = Survey::new(GOOD_WORKER, "");
    write_filterbank(&s.rawdata().join("a.fil"));
    hostile_filterbank(&s.rawdata().join("b_hostile.fil"));
    std::fs::write(
        s.rawdata().join("c_truncated.fil"),
        b"\x0c\x00\x00\x00HEADER_START\x06\x00",
    )
    .unwrap();
    write_filterbank(&s.rawdata().join("d.fil"));
    let t = s.tracker();
    let r = ops::add_files(&t, &s.rawdata(), false).unwrap();
    let added: Vec<_> = r.added.iter().map(|(_, p)| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(added, ["a.fil", "d.fil"], "{r:#?}");
    assert_eq!(r.skipped.len(), 2, "{r:#?}");
    let hostile = r.skipped.iter().find(|(p, _)| p.ends_with("b_hostile.fil")).unwrap();
    assert!(hostile.1.contains("larger than the file"), "{}", hostile.1);
    assert_eq!(t.files_with_status(FileStatus::Downloaded).unwrap().len(), 2);
}
