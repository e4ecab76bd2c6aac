//! Helpers shared by the integration tests: a survey in a temporary directory,
//! small valid data files, and worker scripts standing in for `palfa search`.

#![allow(dead_code)]

pub mod fake_slurm;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use palfa_tracker::{Failure, JobPool, Notifier, PoolSettings, RunOptions, Tracker};

/// A worker that writes `results.json` and logs its run to `<root>/runs.log`.
pub const GOOD_WORKER: &str = r#"#!/bin/sh
[ "$1" = "search" ] && shift
[ "$1" = "--outdir" ] || { echo "bad arguments: $*" >&2; exit 2; }
out="$2"; shift 2
mkdir -p "$out" || exit 3
for f in "$@"; do [ -r "$f" ] || { echo "cannot read $f" >&2; exit 3; }; done
echo "searching $# file(s)" >&2
cp "$(dirname "$0")/results.template.json" "$out/results.json"
echo "$out" >> "$(dirname "$0")/runs.log"
exit 0
"#;

/// A worker that always fails with a message on stderr.
pub const BAD_WORKER: &str = r#"#!/bin/sh
echo "starting" >&2
echo "boom: the search fell over on $3" >&2
exit 3
"#;

/// A survey in a temporary directory: configuration, database, data directory.
pub struct Survey {
    pub dir: tempfile::TempDir,
    pub cfg: Config,
}

impl Survey {
    /// A survey whose jobs run `worker` (a shell script body), with extra TOML appended.
    pub fn new(worker: &str, extra_toml: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["logs", "qsublog", "rawdata", "work", "results", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let script = dir.path().join("bin/worker.sh");
        write_script(&script, worker);
        // Defaults for the keys `extra_toml` does not set.
        let mut defaults = String::new();
        for (k, v) in [("max_jobs_running", "4"), ("max_jobs_queue", "1")] {
            if !extra_toml.lines().any(|l| l.trim_start().starts_with(k)) {
                defaults.push_str(&format!("{k} = {v}\n"));
            }
        }
        let toml = format!(
            "[background]\nsleep = 0.05\n\n[jobpooler]\nworker_command = \"{}\"\n{defaults}{extra_toml}",
            script.display()
        );
        let path = dir.path().join("palfa.toml");
        std::fs::write(&path, toml).unwrap();
        let cfg = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
        Tracker::create(&cfg.background.jobtracker_db).unwrap();
        Self { dir, cfg }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn rawdata(&self) -> PathBuf {
        self.dir.path().join("rawdata")
    }

    pub fn tracker(&self) -> Tracker {
        Tracker::open(&self.cfg.background.jobtracker_db).unwrap()
    }

    /// A pooler with the configured local queue and a recording notifier.
    pub fn pool(&self, notes: &Recorder) -> JobPool {
        let queue = palfa_tracker::queue::from_config(&self.cfg).unwrap();
        JobPool::new(
            self.tracker(),
            queue,
            Box::new(notes.clone()),
            PoolSettings::from_config(&self.cfg),
        )
        .unwrap()
    }

    /// A pooler whose jobs go to `fake` through the real Slurm queue manager
    /// (no grace before a missing token is trusted: the stand-in answers at once).
    pub fn slurm_pool(&self, fake: &Arc<fake_slurm::FakeSlurm>, notes: &Recorder) -> JobPool {
        let worker = palfa_tracker::queue::WorkerCommand::from_config(&self.cfg).unwrap();
        let settings = palfa_core::config::SlurmSettings {
            account: String::new(),
            partition: String::new(),
            time: "1:00:00".into(),
            mem: String::new(),
            cpus_per_task: 1,
            extra_args: vec![],
            submit_grace_s: 0.0,
        };
        let runner: Arc<dyn palfa_tracker::queue::CommandRunner> = fake.clone();
        let queue =
            palfa_tracker::SlurmQueue::new(self.root().join("qsublog/slurm"), settings, worker, runner).unwrap();
        JobPool::new(
            self.tracker(),
            Box::new(queue),
            Box::new(notes.clone()),
            PoolSettings::from_config(&self.cfg),
        )
        .unwrap()
    }

    /// Lines of the good worker's run log.
    pub fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.root().join("bin/runs.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Runs the pooler until no job is pending; panics after `limit`.
pub fn run_until_idle(pool: &mut JobPool, limit: Duration) {
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    loop {
        let r = pool.iterate(&stop).unwrap();
        if r.pending_jobs == 0 {
            return;
        }
        assert!(start.elapsed() < limit, "pooler not idle after {limit:?}: {r:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Options for `JobPool::run` in tests.
pub fn quick_run() -> RunOptions {
    RunOptions {
        sleep: Duration::from_millis(20),
        until_idle: true,
        max_iterations: None,
        stop_on_error: true,
    }
}

#[allow(unused_imports)] // each test uses some of them
pub use palfa_testkit::fixtures::{make_beams, write_mock_pair, write_script};

/// A small valid SIGPROC filterbank file (256 spectra, 8 channels), its data
/// made from the path (files of different paths differ).
pub fn write_filterbank(path: &Path) {
    palfa_testkit::fixtures::write_filterbank(path, path.as_os_str().len());
}

/// A notifier that keeps what it is told.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<String>>>);

impl Recorder {
    pub fn events(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.events().iter().filter(|e| e.starts_with(prefix)).count()
    }
}

impl Notifier for Recorder {
    fn job_failed(&self, f: &Failure) {
        self.0.lock().unwrap().push(format!(
            "failed job {} attempt {}/{}: {}",
            f.job_id, f.attempts, f.max_attempts, f.error
        ));
    }
    fn job_terminal_failure(&self, f: &Failure) {
        self.0
            .lock()
            .unwrap()
            .push(format!("terminal job {} after {}: {}", f.job_id, f.attempts, f.error));
    }
    fn notice(&self, subject: &str, body: &str) {
        self.0.lock().unwrap().push(format!("notice {subject}: {body}"));
    }
}
