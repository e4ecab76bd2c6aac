//! Helpers shared by the integration tests: a survey in a temporary directory,
//! small valid data files, and worker scripts standing in for `palfa search`.

#![allow(dead_code)]

pub mod fake_slurm;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_core::formats::ObservationSpec;
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

/// Writes an executable script, and beside it `results.template.json`: a
/// complete `results.json` (the example of `palfa_core`) that the stand-in
/// workers copy into their output directory.
pub fn write_script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let template = path.with_file_name("results.template.json");
    let text = serde_json::to_string_pretty(&palfa_core::formats::results::SearchResults::example()).unwrap();
    std::fs::write(template, text).unwrap();
}

fn spec(nchans: usize, lofreq_mhz: f64, descending: bool) -> ObservationSpec {
    ObservationSpec {
        source_name: "G45.07+00.11".into(),
        telescope: "Arecibo".into(),
        backend: "pdev".into(),
        project_id: "p2030".into(),
        observer: "palfa".into(),
        ra_deg: 288.0,
        dec_deg: 10.9,
        start_mjd: 61_041.5,
        tsamp_s: 65.476e-6,
        nchans,
        lofreq_mhz,
        chan_bw_mhz: 0.336,
        nbits: 8,
        descending,
        beam_id: Some(3),
    }
}

fn ramp(nspec: usize, nchans: usize, seed: usize) -> Vec<f32> {
    (0..nspec * nchans)
        .map(|i| ((i * 7 + seed * 13) % 200) as f32 + 20.0)
        .collect()
}

/// A small valid SIGPROC filterbank file (256 spectra, 8 channels).
pub fn write_filterbank(path: &Path) {
    let s = spec(8, 1214.0, true);
    let mut w = FilterbankWriter::create(path, &s).unwrap();
    w.write_spectra(&ramp(256, 8, path.as_os_str().len())).unwrap();
    w.finish().unwrap();
}

/// The two halves of a small Mock beam in `dir`; returns (s0, s1) paths.
/// s1 is the lower band; the bands overlap by 4 channels on one grid.
pub fn write_mock_pair(dir: &Path, beam: u32, scan: u32) -> (PathBuf, PathBuf) {
    let name = |sub: u32| format!("4bit-p2030.20260101.G45.07+00.11.b{beam}s{sub}g0.{scan:05}.fits");
    let (p0, p1) = (dir.join(name(0)), dir.join(name(1)));
    let lower = spec(8, 1300.0, true);
    let upper = spec(8, 1300.0 + 4.0 * 0.336, true);
    for (p, s) in [(&p1, &lower), (&p0, &upper)] {
        let mut w = PsrfitsWriter::create(p, s, 64).unwrap();
        w.write_spectra(&ramp(256, 8, beam as usize)).unwrap();
        w.finish().unwrap();
    }
    (p0, p1)
}

/// Makes `n_fil` filterbank beams and `n_mock` Mock pairs in `dir`.
pub fn make_beams(dir: &Path, n_fil: usize, n_mock: usize) {
    for i in 0..n_fil {
        write_filterbank(&dir.join(format!("beam{i:03}.fil")));
    }
    for i in 0..n_mock {
        write_mock_pair(dir, (i % 8) as u32, 100 + (i / 8) as u32);
    }
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
