//! Crash recovery: each point where a pooler can die during a submission,
//! reproduced by doing the submission's moves by hand, then a new pooler.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::{JobPool, PoolSettings};
use crate::db::{FileOrigin, NewFile, Tracker};
use crate::notify::NoNotifier;
use crate::queue::{LocalQueue, QueueManager, SubmitRequest, WorkerCommand};
use crate::states::{FileStatus, JobStatus, SubmitStatus};

const WORKER: &str = "#!/bin/sh\nout=\"$2\"; mkdir -p \"$out\" && cp \"$(dirname \"$0\")/results.json\" \"$out/results.json\"\necho \"$out\" >> \"$(dirname \"$0\")/runs.log\"\n";

struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("worker.sh");
        std::fs::write(&script, WORKER).unwrap();
        palfa_core::formats::results::SearchResults::example()
            .write_dir(dir.path())
            .unwrap();
        std::process::Command::new("chmod")
            .arg("755")
            .arg(&script)
            .status()
            .unwrap();
        let (t, _) = Tracker::create(dir.path().join("t.db")).unwrap();
        let file = NewFile {
            filename: dir.path().join("beam.fil"),
            remote_filename: None,
            request_id: None,
            size: None,
            origin: FileOrigin::Added,
            status: FileStatus::Downloaded,
        };
        t.insert_file(&file, "test").unwrap();
        Self { dir }
    }

    fn queue(&self) -> LocalQueue {
        let w = WorkerCommand {
            program: self.dir.path().join("worker.sh"),
            args: vec![],
            env: vec![],
        };
        LocalQueue::new(self.dir.path().join("qsublog/local"), 2, w).unwrap()
    }

    fn pool(&self) -> JobPool {
        let settings = PoolSettings {
            base_results_directory: self.dir.path().join("results"),
            max_jobs_running: 2,
            max_jobs_queue: 1,
            max_attempts: 2,
            delete_rawdata: false,
            lone_file_wait_s: 1e9,
            max_refusals: 3,
            refusal_backoff: Duration::ZERO,
        };
        let t = Tracker::open(self.dir.path().join("t.db")).unwrap();
        JobPool::new(t, Box::new(self.queue()), Box::new(NoNotifier), settings).unwrap()
    }

    fn runs(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("runs.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Makes the job and does move 1 of a submission (the row, `submitting`).
    fn record_submission(&self, token: &str) -> (i64, PathBuf) {
        let mut pool = self.pool();
        pool.create_jobs(&mut Default::default()).unwrap();
        let outdir = self.dir.path().join("results").join(token);
        let t = pool.tracker();
        let job = t.jobs().unwrap()[0].id;
        t.transaction(|tx| {
            tx.set_status(job, JobStatus::Submitted, "test")?;
            tx.insert_submit(job, token, "local", &outdir, "test")
        })
        .unwrap();
        (job, outdir)
    }
}

fn run_until_idle(pool: &mut JobPool) {
    let start = Instant::now();
    while pool.iterate(&AtomicBool::new(false)).unwrap().pending_jobs > 0 {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn statuses(t: &Tracker, job: i64) -> Vec<SubmitStatus> {
    t.submits_of_job(job).unwrap().iter().map(|s| s.status).collect()
}

#[test]
fn died_before_the_queue_heard_of_it_then_lost_and_resubmitted() {
    let s = Setup::new();
    let (job, _) = s.record_submission("palfa_1_1_aaaaaa");
    let mut pool = s.pool();
    let r = pool.iterate(&AtomicBool::new(false)).unwrap();
    assert_eq!((r.lost, r.submitted), (1, 1));
    run_until_idle(&mut pool);
    let t = pool.tracker();
    assert_eq!(statuses(t, job), [SubmitStatus::Lost, SubmitStatus::Processed]);
    assert_eq!(t.job(job).unwrap().status, JobStatus::Processed);
    assert_eq!(t.attempts(job).unwrap(), 1, "a lost submission is not an attempt");
    assert_eq!(s.runs(), 1);
}

#[test]
fn died_after_the_queue_accepted_it_then_adopted_not_resubmitted() {
    let s = Setup::new();
    let token = "palfa_1_1_bbbbbb";
    let (job, outdir) = s.record_submission(token);
    let files = [s.dir.path().join("beam.fil")];
    s.queue()
        .submit(&SubmitRequest {
            job_id: job,
            token,
            files: &files,
            outdir: &outdir,
        })
        .unwrap();
    let mut pool = s.pool();
    let r = pool.iterate(&AtomicBool::new(false)).unwrap();
    assert_eq!((r.adopted, r.lost, r.submitted), (1, 0, 0));
    run_until_idle(&mut pool);
    let t = pool.tracker();
    assert_eq!(statuses(t, job), [SubmitStatus::Processed]);
    assert_eq!(t.submits_of_job(job).unwrap()[0].queue_id.as_deref(), Some(token));
    assert_eq!(s.runs(), 1);
}

#[test]
fn died_after_writing_the_script_but_before_starting_it_then_started_once() {
    let s = Setup::new();
    let token = "palfa_1_1_cccccc";
    let (job, outdir) = s.record_submission(token);
    // Write the job's directory as `submit` does, without starting it.
    let q = s.queue();
    let w = WorkerCommand {
        program: s.dir.path().join("worker.sh"),
        args: vec![],
        env: vec![],
    };
    let argv = w.argv(&outdir, &[s.dir.path().join("beam.fil")]);
    let dir = q.job_dir(token);
    let text = crate::queue::script::render(&dir, token, crate::queue::script::Flavour::Local, &argv, &[]);
    crate::queue::script::write_job_dir(&dir, token, &text).unwrap();
    let mut pool = s.pool();
    let r = pool.iterate(&AtomicBool::new(false)).unwrap();
    assert_eq!((r.adopted, r.submitted), (1, 0));
    run_until_idle(&mut pool);
    // Starting the script again changes nothing: it ran once.
    q.lookup(token).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(statuses(pool.tracker(), job), [SubmitStatus::Processed]);
    assert_eq!(s.runs(), 1);
    assert!(Path::new(&outdir).join("results.json").is_file());
}
