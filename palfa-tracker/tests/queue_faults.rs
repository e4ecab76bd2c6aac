//! The pooler against a queue that misbehaves: a stand-in for Slurm's tools
//! (`common::fake_slurm`) under the real `SlurmQueue` and `JobPool`. Over all
//! of them: every beam is searched exactly once (one processed submission, one
//! worker run), no job waits behind one the queue refuses, and no job is
//! `processed` without a complete results directory.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::fake_slurm::{job_of_token, FakeSlurm, Fault};
use common::*;
use palfa_core::formats::results::SearchResults;
use palfa_tracker::ops;
use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::{JobPool, Tracker};

/// A survey of `n` filterbank beams (job ids 1..=n), tracked.
fn survey(n: usize, extra: &str) -> Survey {
    let s = Survey::new(GOOD_WORKER, extra);
    for i in 0..n {
        write_filterbank(&s.rawdata().join(format!("beam{i:02}.fil")));
    }
    ops::add_files(&s.tracker(), &s.rawdata(), false).unwrap();
    s
}

/// Every processed job was processed once, ran once, and has complete results.
fn assert_each_beam_searched_once(s: &Survey, t: &Tracker) {
    let runs = s.runs();
    for j in t.jobs().unwrap() {
        let subs = t.submits_of_job(j.id).unwrap();
        let processed: Vec<_> = subs.iter().filter(|x| x.status == SubmitStatus::Processed).collect();
        let ran: Vec<_> = runs
            .iter()
            .filter(|r| r.contains(&format!("/palfa_{}_", j.id)))
            .collect();
        if j.status == JobStatus::Processed {
            assert_eq!(processed.len(), 1, "job {} processed once: {subs:#?}", j.id);
            assert_eq!(ran.len(), 1, "job {} ran once: {ran:?}", j.id);
            SearchResults::read_dir(&processed[0].output_dir)
                .unwrap_or_else(|e| panic!("job {} processed without complete results: {e}", j.id));
        } else {
            assert!(
                processed.is_empty(),
                "job {} is {} with a processed submission",
                j.id,
                j.status
            );
        }
        // Results of attempts that did not succeed are gone.
        for x in subs.iter().filter(|x| x.status != SubmitStatus::Processed) {
            assert!(!x.output_dir.exists(), "{} left {}", x.status, x.output_dir.display());
        }
    }
}

fn run_until_idle_or(pool: &mut JobPool, limit: Duration) -> usize {
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let mut iterations = 0;
    loop {
        let r = pool.iterate(&stop).unwrap();
        iterations += 1;
        if r.pending_jobs == 0 {
            return iterations;
        }
        assert!(start.elapsed() < limit, "pooler not idle after {limit:?}: {r:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_error_after_the_queue_took_the_job_does_not_submit_it_again() {
    for fault in [Fault::AcceptThenError, Fault::AcceptThenTimeout] {
        let s = survey(2, "max_jobs_running = 4\nmax_jobs_queue = 4\n");
        let fake = Arc::new(FakeSlurm::default());
        fake.fault(1, fault, Some(1));
        let notes = Recorder::default();
        let mut pool = s.slurm_pool(&fake, &notes);
        run_until_idle_or(&mut pool, Duration::from_secs(30));
        let t = s.tracker();
        assert_eq!(fake.sbatch_calls(1), 1, "{fault:?}: job 1 given to sbatch once");
        let subs = t.submits_of_job(1).unwrap();
        assert_eq!(subs.len(), 1, "{fault:?}: {subs:#?}");
        assert_eq!(subs[0].status, SubmitStatus::Processed);
        assert!(subs[0].queue_error.is_some());
        assert!(
            subs[0].details.contains("took the job despite the error"),
            "{}",
            subs[0].details
        );
        assert_eq!(t.job(1).unwrap().status, JobStatus::Processed);
        assert_each_beam_searched_once(&s, &t);
    }
}

#[test]
fn an_unclear_error_for_a_job_the_queue_never_got_is_a_refusal_and_retried() {
    let s = survey(1, "refusal_backoff_s = 0.05\nmax_refusals = 3\n");
    let fake = Arc::new(FakeSlurm::default());
    fake.fault(1, Fault::TimeoutNotQueued, Some(1));
    let notes = Recorder::default();
    let mut pool = s.slurm_pool(&fake, &notes);
    run_until_idle_or(&mut pool, Duration::from_secs(30));
    let t = s.tracker();
    let st: Vec<_> = t.submits_of_job(1).unwrap().iter().map(|x| x.status).collect();
    assert_eq!(st, [SubmitStatus::Lost, SubmitStatus::Processed]);
    assert_eq!(t.refusals(1).unwrap(), 1);
    assert_eq!(t.attempts(1).unwrap(), 1, "a refusal is not an attempt");
    assert_eq!(fake.sbatch_calls(1), 2);
    assert_eq!(notes.count("notice job submission refused"), 1, "{:?}", notes.events());
    assert_each_beam_searched_once(&s, &t);
}

#[test]
fn a_job_the_queue_refuses_forever_does_not_hold_up_the_others() {
    let s = survey(
        4,
        "max_jobs_running = 1\nmax_jobs_queue = 1\nmax_refusals = 3\nrefusal_backoff_s = 0.05\n",
    );
    let fake = Arc::new(FakeSlurm::default());
    fake.fault(1, Fault::Refuse, None);
    let notes = Recorder::default();
    let mut pool = s.slurm_pool(&fake, &notes);
    run_until_idle_or(&mut pool, Duration::from_secs(60));
    let t = s.tracker();
    let j1 = t.job(1).unwrap();
    assert_eq!(j1.status, JobStatus::TerminalFailure, "{}", j1.details);
    assert!(j1.details.contains("refused 3 times"), "{}", j1.details);
    assert!(
        j1.details.contains("Invalid account"),
        "the queue's reason is kept: {}",
        j1.details
    );
    let subs = t.submits_of_job(1).unwrap();
    assert_eq!(subs.len(), 3);
    assert!(subs.iter().all(|x| x.status == SubmitStatus::SubmitFailed));
    assert_eq!(fake.sbatch_calls(1), 3);
    for j in 2..=4 {
        assert_eq!(t.job(j).unwrap().status, JobStatus::Processed, "job {j}");
    }
    // The operator heard of each refusal, and of the job given up with the reason.
    assert_eq!(notes.count("notice job submission refused"), 2, "{:?}", notes.events());
    let terminal: Vec<_> = notes
        .events()
        .into_iter()
        .filter(|e| e.starts_with("terminal job 1"))
        .collect();
    assert_eq!(terminal.len(), 1, "{:?}", notes.events());
    assert!(terminal[0].contains("refused the job 3 times"), "{terminal:?}");
    assert_each_beam_searched_once(&s, &t);
    // No job directory piles up for the refused job beyond its three tries.
    let dirs = std::fs::read_dir(s.root().join("qsublog/slurm"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name().to_string_lossy().into_owned();
            job_of_token(&name) == Some(1)
        })
        .count();
    assert!(dirs <= 3, "{dirs} job directories for job 1");
}

#[test]
fn a_job_the_queue_loses_is_retried_and_searched_once() {
    let s = survey(2, "max_attempts = 2\n");
    let fake = Arc::new(FakeSlurm::default());
    fake.fault(2, Fault::Lose, Some(1));
    let notes = Recorder::default();
    let mut pool = s.slurm_pool(&fake, &notes);
    run_until_idle_or(&mut pool, Duration::from_secs(30));
    let t = s.tracker();
    let st: Vec<_> = t.submits_of_job(2).unwrap().iter().map(|x| x.status).collect();
    assert_eq!(st, [SubmitStatus::Failed, SubmitStatus::Processed]);
    let failed = &t.submits_of_job(2).unwrap()[0];
    assert!(
        failed.details.contains("without recording an exit status"),
        "{}",
        failed.details
    );
    assert_each_beam_searched_once(&s, &t);
}

#[test]
fn jobs_stop_waits_until_the_queue_has_removed_the_job() {
    // A worker slow enough to be stopped while it runs.
    let slow = r#"#!/bin/sh
out="$2"; shift 2
case "$1" in *beam00*) [ -e "$(dirname "$0")/go" ] || sleep 30 ;; esac
mkdir -p "$out" && cp "$(dirname "$0")/results.template.json" "$out/results.json"
echo "$out" >> "$(dirname "$0")/runs.log"
"#;
    let s = Survey::new(slow, "max_jobs_running = 4\nmax_jobs_queue = 4\n");
    write_filterbank(&s.rawdata().join("beam00.fil"));
    ops::add_files(&s.tracker(), &s.rawdata(), false).unwrap();
    let fake = Arc::new(FakeSlurm::default());
    let notes = Recorder::default();
    let mut pool = s.slurm_pool(&fake, &notes);
    let stop = AtomicBool::new(false);
    pool.iterate(&stop).unwrap();
    let t = s.tracker();
    let sub = t.submits_of_job(1).unwrap().remove(0);
    assert_eq!(sub.status, SubmitStatus::Running);
    let qid = sub.queue_id.clone().unwrap();

    // The controller does not answer scancel: nothing is committed as stopped,
    // and the job is not submitted again while the old run may go on.
    fake.scancel_fails(true);
    let queue = palfa_tracker::SlurmQueue::new(
        s.root().join("qsublog/slurm"),
        palfa_core::config::SlurmSettings {
            submit_grace_s: 0.0,
            ..Default::default()
        },
        palfa_tracker::queue::WorkerCommand::from_config(&s.cfg).unwrap(),
        fake.clone(),
    )
    .unwrap();
    let out = ops::stop_submissions(&t, &queue, std::slice::from_ref(&qid), false).unwrap();
    assert!(!out[0].stopped, "{out:?}");
    assert!(out[0].message.contains("did not remove it yet"), "{}", out[0].message);
    assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::Stopping);
    assert_eq!(t.job(1).unwrap().status, JobStatus::Submitted);
    for _ in 0..5 {
        let r = pool.iterate(&stop).unwrap();
        assert_eq!(r.submitted, 0, "resubmitted while the old run may go on: {r:?}");
    }
    assert_eq!(t.submits_of_job(1).unwrap().len(), 1);
    assert_eq!(fake.sbatch_calls(1), 1);
    assert!(fake.scancel_calls() >= 6, "the pooler asks the queue again");

    // The controller answers again: the pooler settles the stop, then the job runs anew.
    fake.scancel_fails(false);
    std::fs::write(s.root().join("bin/go"), "").unwrap();
    run_until_idle_or(&mut pool, Duration::from_secs(30));
    let st: Vec<_> = t.submits_of_job(1).unwrap().iter().map(|x| x.status).collect();
    assert_eq!(st, [SubmitStatus::Removed, SubmitStatus::Processed]);
    assert_eq!(t.attempts(1).unwrap(), 1);
    assert_eq!(s.runs().len(), 1, "the stopped run never finished: {:?}", s.runs());
    assert_each_beam_searched_once(&s, &t);
}
