//! `palfa jobpool` killed with SIGKILL at random moments, many times over,
//! never submits a job twice and never loses one.

mod tracker_support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const KILLS: usize = 40;
const FIL_BEAMS: usize = 16;
const MOCK_BEAMS: usize = 4;

/// What must hold whenever the pooler is dead.
fn check_invariants(t: &Tracker, beams: usize) {
    let jobs = t.jobs().unwrap();
    assert!(jobs.len() <= beams, "{} jobs for {beams} beams", jobs.len());
    let mut beam_names = BTreeMap::new();
    for j in &jobs {
        *beam_names.entry(j.beam.clone()).or_insert(0) += 1;
        let subs = t.submits_of_job(j.id).unwrap();
        let live: Vec<_> = subs.iter().filter(|s| s.status.is_live()).collect();
        assert!(live.len() <= 1, "job {} has {} live submissions", j.id, live.len());
        if j.status == JobStatus::Submitted {
            assert_eq!(live.len(), 1, "submitted job {} without a live submission", j.id);
        } else {
            assert!(live.is_empty(), "job {} is {} with a live submission", j.id, j.status);
        }
        for s in subs.iter().filter(|s| s.status == SubmitStatus::Running) {
            assert!(s.queue_id.is_some(), "running submission {} without a queue id", s.id);
        }
    }
    assert!(
        beam_names.values().all(|&n| n == 1),
        "a beam has two jobs: {beam_names:?}"
    );
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let site = Site::new(WORKER, "max_jobs_running = 3\nmax_jobs_queue = 1\nmax_attempts = 2\n");
    let beams = FIL_BEAMS + MOCK_BEAMS;
    make_beams(&site.path("rawdata"), FIL_BEAMS, MOCK_BEAMS);
    site.ok(&["db", "create"]);
    let added = site.ok(&["add-files", "rawdata"]);
    assert!(
        added.contains(&format!("{} added", FIL_BEAMS + 2 * MOCK_BEAMS)),
        "{added}"
    );

    let mut rng = Rng::seeded();
    let start = Instant::now();
    let mut kills = 0;
    let mut done_early = 0;
    while kills < KILLS {
        let mut child = site
            .palfa(&["jobpool"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.range(5, 160)));
        match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
            Some(st) => panic!("the pooler exited by itself ({st})"),
        }
        let t = Tracker::open(site.db()).unwrap();
        check_invariants(&t, beams);
        let pending = t.jobs().unwrap().iter().filter(|j| j.status.is_pending()).count();
        if t.jobs().unwrap().len() == beams && pending == 0 {
            done_early += 1;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "kill loop too slow");
    }
    eprintln!(
        "{kills} SIGKILLs in {:.1} s; the work was finished after {} of them",
        start.elapsed().as_secs_f64(),
        kills - done_early
    );

    // A clean run finishes whatever is left.
    let out = site
        .palfa(&["jobpool", "--until-idle"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_success(&out, &["jobpool", "--until-idle"]);

    let t = Tracker::open(site.db()).unwrap();
    check_invariants(&t, beams);
    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), beams, "one job per beam");
    let mut recovered = 0;
    for j in &jobs {
        assert_eq!(j.status, JobStatus::Processed, "job {}:\n{}", j.id, j.details);
        let subs = t.submits_of_job(j.id).unwrap();
        let processed = subs.iter().filter(|s| s.status == SubmitStatus::Processed).count();
        assert_eq!(processed, 1, "job {} processed once: {subs:#?}", j.id);
        for s in &subs {
            assert!(
                matches!(s.status, SubmitStatus::Processed | SubmitStatus::Lost),
                "job {} submission {} is {}",
                j.id,
                s.id,
                s.status
            );
        }
        recovered += subs
            .iter()
            .filter(|s| s.details.contains("after a pooler restart"))
            .count();
        recovered += subs.iter().filter(|s| s.status == SubmitStatus::Lost).count();
    }
    // The worker ran exactly once per beam: no submission reached the queue twice.
    let runs = site.runs();
    assert_eq!(runs.len(), beams, "worker runs: {runs:#?}");
    let distinct: std::collections::BTreeSet<_> = runs.iter().collect();
    assert_eq!(distinct.len(), beams);
    eprintln!("submissions recovered after a kill (adopted or lost): {recovered}");
}
