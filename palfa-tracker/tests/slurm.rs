//! The Slurm backend against a real cluster (`.ci/services/slurm.sh` starts a
//! one-node cluster on localhost). Runs when `PALFA_TEST_SLURM=1`, and then
//! fails if Slurm is not reachable; skips with a note otherwise.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use palfa_core::config::SlurmSettings;
use palfa_tracker::queue::{JobRef, QueueManager, SlurmQueue, SubmitRequest, SystemRunner, WorkerCommand};
use palfa_tracker::states::{JobStatus, SubmitStatus};

fn slurm_wanted() -> bool {
    palfa_testkit::service("PALFA_TEST_SLURM", "a Slurm cluster", "slurm.sh")
}

/// Succeeds, fails or sleeps, by the name of its first file.
const WORKER: &str = r#"#!/bin/sh
out="$2"; shift 2
case "$1" in
  *fail*) echo "worker: cannot search $1 (deliberate failure)" >&2; exit 5 ;;
  *slow*) sleep 300 ;;
esac
mkdir -p "$out" && cp "$(dirname "$0")/results.template.json" "$out/results.json"
"#;

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not done after {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn settings() -> SlurmSettings {
    SlurmSettings {
        account: String::new(),
        partition: String::new(),
        time: "10".into(),
        mem: String::new(),
        cpus_per_task: 1,
        extra_args: vec![],
        submit_grace_s: 120.0,
    }
}

#[test]
fn slurm_submits_polls_cancels_and_reads_errors() {
    if !slurm_wanted() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("worker.sh");
    write_script(&script, WORKER);
    let worker = WorkerCommand {
        program: script,
        args: vec![],
        env: vec![("PALFA_TEST_VAR".into(), "1".into())],
    };
    let q = SlurmQueue::new(
        dir.path().join("qsublog"),
        settings(),
        worker,
        Arc::new(SystemRunner::default()),
    )
    .unwrap();
    assert!(q.can_submit().expect("Slurm must be reachable when PALFA_TEST_SLURM=1"));

    let submit = |token: &str, file: &str| -> String {
        let out = dir.path().join("results").join(token);
        let files = [PathBuf::from(file)];
        q.submit(&SubmitRequest {
            job_id: 1,
            token,
            files: &files,
            outdir: &out,
        })
        .unwrap_or_else(|e| panic!("sbatch failed: {e}"))
    };
    // Slurm remembers finished jobs for a while: tokens unique to this run.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let nonce = (now.as_nanos() as u64 ^ std::process::id() as u64) & 0xff_ffff;
    let token = |n: u32| format!("palfa_{n}_1_{nonce:06x}");
    let good = (token(1), submit(&token(1), "/data/good.fil"));
    let bad = (token(2), submit(&token(2), "/data/fail.fil"));
    let slow = (token(3), submit(&token(3), "/data/slow.fil"));
    fn r(j: &(String, String)) -> JobRef<'_> {
        JobRef {
            queue_id: &j.1,
            token: &j.0,
        }
    }

    // The token finds the job (what a restarted pooler asks).
    assert_eq!(q.lookup(&good.0).unwrap().as_deref(), Some(good.1.as_str()));
    assert_eq!(q.lookup("palfa_9_9_ffffff").unwrap(), None);
    let st = q.status().unwrap();
    assert!(st.running + st.queued >= 1, "{st:?}");

    wait_until("good and bad jobs finish", Duration::from_secs(90), || {
        !q.is_running(r(&good)).unwrap() && !q.is_running(r(&bad)).unwrap()
    });
    assert!(!q.had_errors(r(&good)).unwrap());
    assert_eq!(q.get_errors(r(&good)).unwrap(), "");
    assert!(dir.path().join("results").join(&good.0).join("results.json").is_file());
    assert!(q.had_errors(r(&bad)).unwrap());
    let err = q.get_errors(r(&bad)).unwrap();
    assert!(err.contains("deliberate failure") && err.contains("status 5"), "{err}");

    // Cancel the slow one.
    wait_until("slow job starts", Duration::from_secs(60), || {
        Path::new(&dir.path().join("qsublog").join(&slow.0).join("jobid")).exists()
    });
    assert!(q.is_running(r(&slow)).unwrap());
    q.delete(r(&slow)).unwrap();
    wait_until("cancelled job leaves the queue", Duration::from_secs(60), || {
        !q.is_running(r(&slow)).unwrap()
    });
    assert!(q.had_errors(r(&slow)).unwrap());
    let err = q.get_errors(r(&slow)).unwrap();
    assert!(err.contains("scancel") || err.contains("CANCELLED"), "{err}");
    // Deleting a job that has left the queue is not an error.
    q.delete(r(&slow)).unwrap();
}

#[test]
fn pooler_runs_beams_through_slurm() {
    if !slurm_wanted() {
        return;
    }
    let s = Survey::new(
        WORKER,
        "queue_manager = \"slurm\"\nmax_attempts = 2\n\n[jobpooler.slurm]\ntime = \"10\"\nmem = \"\"\ncpus_per_task = 1\n",
    );
    for n in ["s1.fil", "s2.fil", "fail3.fil"] {
        write_filterbank(&s.rawdata().join(n));
    }
    let t = s.tracker();
    palfa_tracker::ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    run_until_idle(&mut pool, Duration::from_secs(150));
    let mut processed = 0;
    for j in t.jobs().unwrap() {
        let subs = t.submits_of_job(j.id).unwrap();
        if j.beam.starts_with("fail") {
            assert_eq!(j.status, JobStatus::TerminalFailure);
            assert_eq!(subs.len(), 2);
            assert!(subs[1].details.contains("deliberate failure"), "{}", subs[1].details);
        } else {
            assert_eq!(j.status, JobStatus::Processed, "{}", j.details);
            assert_eq!(subs.len(), 1);
            assert_eq!(subs[0].status, SubmitStatus::Processed);
            assert!(subs[0].queue_id.as_deref().unwrap().chars().all(|c| c.is_ascii_digit()));
            processed += 1;
        }
    }
    assert_eq!(processed, 2);
    assert_eq!(notes.count("terminal job"), 1);
}
