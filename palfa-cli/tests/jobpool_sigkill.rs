//! `palfa jobpool` killed with SIGKILL many times over, at random moments and
//! at each step of the submission protocol (`PALFA_CRASH_AT`), never submits a
//! job twice, never loses one, and never calls a job processed without a
//! complete results directory. Runs with the local queue always, and with a
//! real Slurm cluster when `PALFA_TEST_SLURM=1` (`.ci/services/slurm.sh`).
//! The random seed is printed; `PALFA_TEST_SEED` replays a run.

mod tracker_support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use palfa_core::formats::results::SearchResults;
use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

/// Where the pooler is made to die (see `docs/tracker.md`), in an order that
/// reaches each: a kill before the queue's answer is recorded leaves a
/// `submitting` row for the next pooler to reconcile.
const CRASH_POINTS: &[&str] = &[
    "submit.recorded",
    "reconcile.looked_up",
    "submit.asked",
    "reconcile.looked_up",
    "submit.committed",
    "poll.checked",
    "poll.committed",
];

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
        for s in subs.iter().filter(|s| s.status == SubmitStatus::Processed) {
            if let Err(e) = SearchResults::read_dir(&s.output_dir) {
                panic!("job {} processed without complete results: {e}", j.id);
            }
        }
    }
    assert!(
        beam_names.values().all(|&n| n == 1),
        "a beam has two jobs: {beam_names:?}"
    );
}

/// Kills the pooler `random` times at random moments and `aimed` times at
/// crash points, then lets a clean run finish, and checks that every beam was
/// searched exactly once.
#[allow(clippy::too_many_arguments)]
fn kill_loop(
    site: &Site,
    beams: usize,
    random: usize,
    aimed: usize,
    point_wait: Duration,
    max_n: u64,
    min_points: usize,
) {
    let mut rng = Rng::seeded();
    let start = Instant::now();
    let mut killed_at: BTreeMap<String, usize> = BTreeMap::new();
    // Aimed kills first, while there is work to do (they cycle through the
    // points), then random ones.
    let schedule: Vec<bool> = (0..random + aimed).map(|i| i < aimed).collect();
    let mut aimed_so_far = 0;
    for aim in schedule {
        let mut cmd = site.palfa(&["jobpool"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let point = CRASH_POINTS[aimed_so_far % CRASH_POINTS.len()];
        if aim {
            aimed_so_far += 1;
            // The n-th time; a restarted pooler reconciles the one row a kill left.
            let n = if point.starts_with("reconcile") {
                1
            } else {
                rng.range(1, max_n + 1)
            };
            cmd.env("PALFA_CRASH_AT", format!("{point}:{n}"));
        }
        let mut child = cmd.spawn().unwrap();
        if aim {
            // It kills itself at the point, if it gets there in time.
            let t0 = Instant::now();
            while child.try_wait().unwrap().is_none() && t0.elapsed() < point_wait {
                std::thread::sleep(Duration::from_millis(10));
            }
            match child.try_wait().unwrap() {
                Some(st) => {
                    assert_eq!(
                        std::os::unix::process::ExitStatusExt::signal(&st),
                        Some(9),
                        "the pooler ended by itself ({st})"
                    );
                    *killed_at.entry(point.to_string()).or_default() += 1;
                }
                None => {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    *killed_at.entry("(random, point not reached)".into()).or_default() += 1;
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(rng.range(5, 160)));
            match child.try_wait().unwrap() {
                None => {
                    child.kill().unwrap(); // SIGKILL
                    child.wait().unwrap();
                    *killed_at.entry("(random)".into()).or_default() += 1;
                }
                Some(st) => panic!("the pooler exited by itself ({st})"),
            }
        }
        let t = Tracker::open(site.db()).unwrap();
        check_invariants(&t, beams);
        assert!(start.elapsed() < Duration::from_secs(300), "kill loop too slow");
    }
    eprintln!(
        "{} SIGKILLs in {:.1} s: {killed_at:?}",
        random + aimed,
        start.elapsed().as_secs_f64()
    );
    // Which points a pooler reaches in time depends on the queue's pace; the
    // invariants above are checked after every kill either way.
    assert!(
        killed_at.keys().filter(|k| !k.starts_with('(')).count() >= min_points,
        "too few crash points reached: {killed_at:?}"
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
            if s.status == SubmitStatus::Lost {
                assert!(!s.output_dir.exists(), "a lost attempt left {}", s.output_dir.display());
            }
        }
        recovered += subs
            .iter()
            .filter(|s| s.details.contains("after a pooler restart") || s.status == SubmitStatus::Lost)
            .count();
    }
    // The worker ran exactly once per beam: no submission reached the queue twice.
    let runs = site.runs();
    assert_eq!(runs.len(), beams, "worker runs: {runs:#?}");
    let distinct: std::collections::BTreeSet<_> = runs.iter().collect();
    assert_eq!(distinct.len(), beams);
    eprintln!("submissions recovered after a kill (adopted or lost): {recovered}");
}

#[test]
fn sigkill_at_random_points_and_at_each_step_loses_and_duplicates_nothing() {
    let site = Site::new(WORKER, "max_jobs_running = 3\nmax_jobs_queue = 1\nmax_attempts = 2\n");
    let (fil, mock) = (16, 4);
    make_beams(&site.path("rawdata"), fil, mock);
    site.ok(&["db", "create"]);
    let added = site.ok(&["add-files", "rawdata"]);
    assert!(added.contains(&format!("{} added", fil + 2 * mock)), "{added}");
    kill_loop(&site, fil + mock, 30, 30, Duration::from_secs(1), 3, 4);
}

#[test]
fn sigkill_with_the_slurm_queue_loses_and_duplicates_nothing() {
    if !palfa_testkit::service("PALFA_TEST_SLURM", "a Slurm cluster", "slurm.sh") {
        return;
    }
    let site = Site::new(
        WORKER,
        "max_jobs_running = 3\nmax_jobs_queue = 2\nmax_attempts = 2\nqueue_manager = \"slurm\"\n\n\
         [jobpooler.slurm]\ntime = \"10\"\nmem = \"\"\ncpus_per_task = 1\nsubmit_grace_s = 2.0\n",
    );
    let fil = 10;
    make_beams(&site.path("rawdata"), fil, 0);
    site.ok(&["db", "create"]);
    site.ok(&["add-files", "rawdata"]);
    kill_loop(&site, fil, 6, 14, Duration::from_secs(6), 1, 2);
}
