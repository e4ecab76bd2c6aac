//! A custom queue manager: jobs run on a pool of threads inside this process,
//! at most `max_running` at once, the rest waiting their turn. The job pooler
//! drives it exactly as it drives the local, Slurm and PBS queues, for a tiny
//! survey of three simulated beams and one corrupt file; the jobs' states are
//! printed at the end.
//!
//! ```sh
//! cargo run --release -p palfa-tracker --example custom_queue
//! ```
//!
//! What a queue manager must do (`palfa_tracker::QueueManager`, see
//! `docs/tracker.md`):
//!
//! - `submit` a job (its files and results directory) and return the queue's
//!   id for it; the job must write a complete results directory there
//!   (`docs/results-format.md`) and end without error for the pooler to call it
//!   `processed`;
//! - say whether a job `is_running` (waiting or running), whether it
//!   `had_errors` once it has left the queue and what they were (`get_errors`);
//! - `delete` a job, report the queue's `status` and whether it `can_submit`;
//! - `lookup` a submission by the token the pooler gave it, so that a pooler
//!   that died between submitting and recording the id can find it again. This
//!   queue forgets everything when the process ends, which is fine for jobs
//!   that end with it; a real backend keeps its state where a restarted pooler
//!   can read it (the local queue keeps a directory per submission).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{simulate, PulsarSpec, SimParams};
use palfa_tracker::db::{FileOrigin, NewFile};
use palfa_tracker::queue::{JobRef, SubmitRequest};
use palfa_tracker::states::FileStatus;
use palfa_tracker::{
    Failure, JobPool, Notifier, PoolSettings, QueueError, QueueManager, QueueStatus, RunOptions, Tracker,
};

/// What a job does: search the beam `files` into the results directory `outdir`.
type Worker = dyn Fn(&[PathBuf], &Path) -> Result<(), String> + Send + Sync;

/// Where a job is.
#[derive(Debug, Clone)]
enum State {
    Waiting,
    Running,
    Done(Result<(), String>),
    Deleted,
}

#[derive(Debug)]
struct Job {
    token: String,
    files: Vec<PathBuf>,
    outdir: PathBuf,
    state: State,
}

#[derive(Default)]
struct Jobs {
    next_id: u64,
    /// By queue id, in submission order.
    jobs: BTreeMap<u64, Job>,
}

/// A queue of threads in this process.
struct ThreadQueue {
    max_running: usize,
    worker: Arc<Worker>,
    jobs: Arc<Mutex<Jobs>>,
}

impl ThreadQueue {
    fn new(max_running: usize, worker: Arc<Worker>) -> Self {
        Self {
            max_running,
            worker,
            jobs: Arc::default(),
        }
    }

    /// Starts waiting jobs, oldest first, while fewer than `max_running` run.
    fn start_waiting(jobs: &Arc<Mutex<Jobs>>, worker: &Arc<Worker>, max_running: usize) {
        let mut j = jobs.lock().unwrap();
        let mut running = j.jobs.values().filter(|x| matches!(x.state, State::Running)).count();
        for (&id, job) in j.jobs.iter_mut() {
            if running >= max_running {
                break;
            }
            if !matches!(job.state, State::Waiting) {
                continue;
            }
            job.state = State::Running;
            running += 1;
            let (files, outdir) = (job.files.clone(), job.outdir.clone());
            let (jobs, worker) = (Arc::clone(jobs), Arc::clone(worker));
            std::thread::spawn(move || {
                let result = worker(&files, &outdir);
                {
                    let mut j = jobs.lock().unwrap();
                    let job = j.jobs.get_mut(&id).expect("jobs are never forgotten");
                    // A job deleted while it ran stays deleted.
                    if matches!(job.state, State::Running) {
                        job.state = State::Done(result);
                    }
                }
                Self::start_waiting(&jobs, &worker, max_running);
            });
        }
    }

    /// The state of the job `r` names.
    fn state(&self, r: JobRef<'_>) -> Result<State, QueueError> {
        let id: u64 = r
            .queue_id
            .strip_prefix("thread-")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| QueueError::BadToken(r.queue_id.to_string()))?;
        let j = self.jobs.lock().unwrap();
        Ok(j.jobs
            .get(&id)
            .filter(|job| job.token == r.token)
            // Not ours: it left the queue long ago, in another process.
            .map_or(State::Done(Err("unknown to this queue".into())), |job| {
                job.state.clone()
            }))
    }
}

impl QueueManager for ThreadQueue {
    fn kind(&self) -> &'static str {
        "threads"
    }

    fn submit(&self, req: &SubmitRequest<'_>) -> Result<String, QueueError> {
        let id = {
            let mut j = self.jobs.lock().unwrap();
            if j.jobs.values().any(|job| job.token == req.token) {
                return Err(QueueError::DuplicateToken(req.token.to_string()));
            }
            j.next_id += 1;
            let id = j.next_id;
            j.jobs.insert(
                id,
                Job {
                    token: req.token.to_string(),
                    files: req.files.to_vec(),
                    outdir: req.outdir.to_path_buf(),
                    state: State::Waiting,
                },
            );
            id
        };
        Self::start_waiting(&self.jobs, &self.worker, self.max_running);
        Ok(format!("thread-{id}"))
    }

    fn can_submit(&self) -> Result<bool, QueueError> {
        // The pooler also keeps to `max_jobs_running` and `max_jobs_queue`
        // using `status`; a queue says no here when it cannot take jobs at all.
        Ok(true)
    }

    fn is_running(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        Ok(matches!(self.state(job)?, State::Waiting | State::Running))
    }

    fn delete(&self, r: JobRef<'_>) -> Result<(), QueueError> {
        // A thread cannot be killed: a running job is let finish and its
        // result ignored.
        let mut j = self.jobs.lock().unwrap();
        for job in j.jobs.values_mut().filter(|job| job.token == r.token) {
            if matches!(job.state, State::Waiting | State::Running) {
                job.state = State::Deleted;
            }
        }
        Ok(())
    }

    fn status(&self) -> Result<QueueStatus, QueueError> {
        let j = self.jobs.lock().unwrap();
        let count = |f: fn(&State) -> bool| j.jobs.values().filter(|job| f(&job.state)).count();
        Ok(QueueStatus {
            running: count(|s| matches!(s, State::Running)),
            queued: count(|s| matches!(s, State::Waiting)),
        })
    }

    fn had_errors(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        Ok(!matches!(self.state(job)?, State::Done(Ok(()))))
    }

    fn get_errors(&self, job: JobRef<'_>) -> Result<String, QueueError> {
        Ok(match self.state(job)? {
            State::Done(Err(e)) => e,
            State::Deleted => "deleted from the queue".into(),
            _ => String::new(),
        })
    }

    fn lookup(&self, token: &str) -> Result<Option<String>, QueueError> {
        let j = self.jobs.lock().unwrap();
        Ok(j.jobs
            .iter()
            .find(|(_, job)| job.token == token)
            .map(|(id, _)| format!("thread-{id}")))
    }
}

/// A toy worker: reads the beam's header and writes a results directory with
/// no candidates (a real one runs `palfa_search::pipeline::run_search`, see
/// the `search_beam` example, or `palfa search`).
fn toy_search(files: &[PathBuf], outdir: &Path) -> Result<(), String> {
    let beam = palfa_core::open_beam(files).map_err(|e| e.to_string())?;
    let h = beam.header();
    std::thread::sleep(Duration::from_millis(300)); // searching…
    let mut r = SearchResults::example();
    r.header.obs_name = files[0]
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    r.header.original_files = files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    r.header.num_channels = h.nchans;
    r.header.num_samples = h.nsamples;
    r.header.sample_time_s = h.tsamp_s;
    r.header.observation_time_s = h.duration_s();
    r.write_dir(outdir).map_err(|e| e.to_string())
}

/// Prints the pooler's failure events.
struct PrintNotifier;

impl Notifier for PrintNotifier {
    fn job_failed(&self, f: &Failure) {
        println!(
            "  job {} ({}) failed, attempt {} of {}: {}",
            f.job_id,
            f.beam,
            f.attempts,
            f.max_attempts,
            f.error.lines().next().unwrap_or("")
        );
    }

    fn job_terminal_failure(&self, f: &Failure) {
        println!("  job {} ({}) failed for good", f.job_id, f.beam);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let raw = dir.path().join("rawdata");
    let results = dir.path().join("results");
    std::fs::create_dir_all(&raw)?;
    std::fs::create_dir_all(&results)?;

    // Three tiny beams, and one file that is not a beam at all.
    for (i, period_s) in [0.05, 0.07, 0.11].into_iter().enumerate() {
        let p = SimParams {
            seed: i as u64 + 1,
            nchans: 16,
            nsamples: 8192,
            pulsars: vec![PulsarSpec {
                period_s,
                dm: 30.0,
                duty: 0.05,
                snr: 20.0,
                accel_m_s2: 0.0,
                phase: 0.0,
            }],
            ..SimParams::default()
        };
        simulate(&p, &raw.join(format!("beam{i}.fil")), &|_, _| {})?;
    }
    let corrupt = raw.join("corrupt.fil");
    std::fs::write(&corrupt, "not a filterbank file")?;

    // The survey: a tracker database with the beams tracked as downloaded.
    let (tracker, _) = Tracker::create(dir.path().join("jobtracker.db"))?;
    let added = palfa_tracker::ops::add_files(&tracker, &raw, false)?;
    println!("tracked {} beams", added.added.len());
    // `add-files` refuses files that do not parse; track the corrupt one by
    // hand so that its job fails.
    tracker.insert_file(
        &NewFile {
            filename: corrupt,
            remote_filename: None,
            request_id: None,
            size: None,
            origin: FileOrigin::Added,
            status: FileStatus::Downloaded,
        },
        "tracked by the custom_queue example",
    )?;

    // The pooler with the thread queue: two jobs at once, two attempts each.
    let queue = ThreadQueue::new(2, Arc::new(toy_search));
    let settings = PoolSettings {
        base_results_directory: results,
        max_jobs_running: 2,
        max_jobs_queue: 2,
        max_attempts: 2,
        delete_rawdata: false,
        lone_file_wait_s: 0.0,
        max_refusals: 3,
        refusal_backoff: Duration::ZERO,
    };
    let mut pool = JobPool::new(tracker, Box::new(queue), Box::new(PrintNotifier), settings)?;
    let opts = RunOptions {
        sleep: Duration::from_millis(100),
        until_idle: true,
        max_iterations: Some(1000),
        stop_on_error: true,
    };
    println!("running the job pooler until every job is processed or has failed for good");
    let why = pool.run(&opts, &AtomicBool::new(false))?;
    println!("pooler stopped: {why:?}");

    // What became of each job, and of each of its submissions.
    let tracker = pool.tracker();
    println!("\n  job  beam                  status             submissions (queue id: status)");
    for job in tracker.jobs()? {
        let subs: Vec<String> = tracker
            .submits_of_job(job.id)?
            .iter()
            .map(|s| format!("{}: {}", s.queue_id.as_deref().unwrap_or("-"), s.status))
            .collect();
        println!(
            "{:5}  {:20}  {:17}  {}",
            job.id,
            job.beam,
            job.status.to_string(),
            subs.join(", ")
        );
    }
    Ok(())
}
