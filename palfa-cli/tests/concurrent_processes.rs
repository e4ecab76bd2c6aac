//! The pooler, `add-files`, `jobs stop` and `status` as separate processes on
//! one tracker database, many rounds at once: no "database is locked", no
//! lost update (every file tracked once, every beam one job), and every beam
//! processed exactly once in the end.

mod tracker_support;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use palfa_core::formats::results::SearchResults;
use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const ROUNDS: usize = 12;
const BEAMS_PER_ROUND: usize = 3;

fn finish(child: Child, what: &str) -> (bool, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    for bad in ["database is locked", "database busy", "SQLITE_BUSY"] {
        assert!(!stderr.contains(bad), "{what}: {bad}:\n{stderr}");
    }
    (out.status.success(), stderr)
}

#[test]
fn pooler_add_files_stop_and_status_as_processes_on_one_database() {
    let site = Site::new(WORKER, "max_jobs_running = 3\nmax_jobs_queue = 1\nmax_attempts = 3\n");
    site.ok(&["db", "create"]);
    let mut pooler = site
        .palfa(&["jobpool"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let mut stops = BTreeMap::new();
    for round in 0..ROUNDS {
        let dir = site.path(&format!("rawdata/round{round:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        for b in 0..BEAMS_PER_ROUND {
            write_beam(&dir.join(format!("r{round:02}b{b}.fil")), round * 10 + b);
        }
        let rel = format!("rawdata/round{round:02}");
        let add = site
            .palfa(&["add-files", &rel])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = site
            .palfa(&["status", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Stop whatever runs now (the attempt does not count; it is resubmitted).
        let running: Vec<String> = Tracker::open(site.db())
            .unwrap()
            .submits_with_status(SubmitStatus::Running)
            .unwrap()
            .into_iter()
            .filter_map(|s| s.queue_id)
            .take(1)
            .collect();
        let stop = (!running.is_empty()).then(|| {
            let mut args = vec!["jobs", "stop"];
            args.extend(running.iter().map(String::as_str));
            site.palfa(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        });
        let (ok, err) = finish(add, "add-files");
        assert!(ok, "add-files failed: {err}");
        let (ok, err) = finish(status, "status");
        assert!(ok, "status failed: {err}");
        if let Some(stop) = stop {
            // It may find the job finished meanwhile (exit 1, said plainly); never a database error.
            let (ok, _) = finish(stop, "jobs stop");
            *stops.entry(ok).or_insert(0) += 1;
        }
        assert!(pooler.try_wait().unwrap().is_none(), "the pooler died");
        std::thread::sleep(Duration::from_millis(150));
    }
    // Stop the pooler cleanly, then let a clean run finish the rest.
    let st = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pooler.id().to_string())
        .status()
        .unwrap();
    assert!(st.success());
    let (ok, err) = finish(pooler, "jobpool");
    assert!(ok, "the pooler did not stop cleanly: {err}");
    let out = site
        .palfa(&["jobpool", "--until-idle"])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_success(&out, &["jobpool", "--until-idle"]);
    eprintln!(
        "{ROUNDS} rounds in {:.1} s; jobs stop accepted/refused: {stops:?}",
        start.elapsed().as_secs_f64()
    );

    let t = Tracker::open(site.db()).unwrap();
    let beams = ROUNDS * BEAMS_PER_ROUND;
    let files = t
        .files_with_status(palfa_tracker::states::FileStatus::Downloaded)
        .unwrap();
    assert_eq!(files.len(), beams, "every file tracked once");
    let jobs = t.jobs().unwrap();
    assert_eq!(jobs.len(), beams, "one job per beam");
    let runs = site.runs();
    for j in &jobs {
        assert_eq!(j.status, JobStatus::Processed, "job {}:\n{}", j.id, j.details);
        let subs = t.submits_of_job(j.id).unwrap();
        let processed: Vec<_> = subs.iter().filter(|s| s.status == SubmitStatus::Processed).collect();
        assert_eq!(processed.len(), 1, "job {}: {subs:#?}", j.id);
        SearchResults::read_dir(&processed[0].output_dir).unwrap();
        let dir = processed[0].output_dir.display().to_string();
        assert_eq!(runs.iter().filter(|r| **r == dir).count(), 1, "{dir} ran once");
        for s in &subs {
            assert!(
                matches!(
                    s.status,
                    SubmitStatus::Processed | SubmitStatus::Removed | SubmitStatus::Lost
                ),
                "job {} submission {} is {}",
                j.id,
                s.id,
                s.status
            );
        }
    }
}
