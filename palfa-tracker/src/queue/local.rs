//! The local queue: jobs run as processes on this machine.
//!
//! Each submission gets a directory `<root>/<token>/` (see [`script`](super::script)
//! for its files) and a marker `<root>/live/<token>` while it may be running.
//! The job script is started through `setsid -f`, so it runs in its own
//! session, is not the pooler's child, and goes on when the pooler is stopped
//! or killed; its pid and exit status are files, so a restarted pooler finds
//! every job as it left it. The queue id is the token.
//!
//! The script claims its directory (`mkdir started`) before it runs the
//! worker, so starting it twice runs the worker once: a restarted pooler may
//! start any submission whose script exists without asking whether a dying
//! pooler already did.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::script::{self, Flavour, JobDir};
use super::{check_token, JobRef, QueueError, QueueManager, QueueStatus, SubmitRequest, WorkerCommand};

/// How long `submit` waits for the job script to record its pid.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a job may sit claimed without a pid before it counts as dead.
const CLAIM_TIMEOUT: Duration = Duration::from_secs(60);

/// Child processes on this machine, at most `max_running` at once.
#[derive(Debug, Clone)]
pub struct LocalQueue {
    root: PathBuf,
    max_running: usize,
    worker: WorkerCommand,
}

/// Where a local job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Probe {
    /// The script is not running yet (never started, or being started).
    NotStarted,
    /// Claimed, pid not written yet.
    Starting,
    /// Running with this pid.
    Running(u32),
    /// Ended (exit status recorded, or removed from the queue).
    Finished,
    /// Its process is gone without an exit status.
    Vanished,
}

impl LocalQueue {
    /// A local queue keeping its state under `root` (made if missing).
    pub fn new(root: impl Into<PathBuf>, max_running: usize, worker: WorkerCommand) -> Result<Self, QueueError> {
        let root = root.into();
        let live = root.join("live");
        std::fs::create_dir_all(&live).map_err(|e| QueueError::io(&live, e))?;
        Ok(Self {
            root,
            max_running: max_running.max(1),
            worker,
        })
    }

    /// The state directory of a submission.
    pub fn job_dir(&self, token: &str) -> PathBuf {
        self.root.join(token)
    }

    fn live_marker(&self, token: &str) -> PathBuf {
        self.root.join("live").join(token)
    }

    /// Starts the job script, detached. Harmless if it already runs or ran.
    fn launch(&self, token: &str) -> Result<(), QueueError> {
        let dir = self.job_dir(token);
        let status = Command::new("setsid")
            .arg("-f")
            .arg("sh")
            .arg(dir.join("job.sh"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|source| QueueError::Spawn {
                program: "setsid".into(),
                source,
            })?;
        if !status.success() {
            return Err(QueueError::Command {
                command: format!("setsid -f sh {}", dir.join("job.sh").display()),
                status: format!("{status}"),
                stderr: String::new(),
            });
        }
        Ok(())
    }

    fn probe(&self, token: &str) -> Probe {
        let jd = JobDir::new(self.job_dir(token));
        if jd.exit().is_some() || jd.deleted().is_some() {
            return Probe::Finished;
        }
        match read_pid(&jd.dir) {
            Some(pid) if process_alive(pid, &jd.dir) => Probe::Running(pid),
            Some(_) => {
                // It may have written its exit status since we looked.
                if jd.exit().is_some() {
                    Probe::Finished
                } else {
                    Probe::Vanished
                }
            }
            None => match std::fs::metadata(jd.dir.join("started")).and_then(|m| m.modified()) {
                Ok(t) if age(t) < CLAIM_TIMEOUT => Probe::Starting,
                Ok(_) => Probe::Vanished,
                Err(_) => Probe::NotStarted,
            },
        }
    }

    fn wait_started(&self, token: &str) -> Result<(), QueueError> {
        let start = Instant::now();
        let mut nap = Duration::from_millis(1);
        loop {
            match self.probe(token) {
                Probe::NotStarted | Probe::Starting if start.elapsed() < START_TIMEOUT => {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(50));
                }
                Probe::NotStarted | Probe::Starting => {
                    return Err(QueueError::NotStarted {
                        token: token.to_string(),
                        dir: self.job_dir(token),
                        seconds: START_TIMEOUT.as_secs(),
                    })
                }
                _ => return Ok(()),
            }
        }
    }

    fn mark_live(&self, token: &str) -> Result<(), QueueError> {
        let p = self.live_marker(token);
        std::fs::write(&p, b"").map_err(|e| QueueError::io(p, e))
    }

    fn unmark_live(&self, token: &str) {
        let _ = std::fs::remove_file(self.live_marker(token));
    }
}

impl QueueManager for LocalQueue {
    fn kind(&self) -> &'static str {
        "local"
    }

    fn submit(&self, req: &SubmitRequest<'_>) -> Result<String, QueueError> {
        check_token(req.token)?;
        let dir = self.job_dir(req.token);
        let argv = self.worker.argv(req.outdir, req.files);
        let text = script::render(&dir, req.token, Flavour::Local, &argv, &self.worker.env);
        script::write_job_dir(&dir, req.token, &text)?;
        self.mark_live(req.token)?;
        self.launch(req.token)?;
        self.wait_started(req.token)?;
        Ok(req.token.to_string())
    }

    fn can_submit(&self) -> Result<bool, QueueError> {
        Ok(self.status()?.running < self.max_running)
    }

    fn is_running(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        check_token(job.queue_id)?;
        Ok(match self.probe(job.queue_id) {
            Probe::Running(_) | Probe::Starting => true,
            Probe::NotStarted => {
                // Recorded but never started (the pooler died first): start it now.
                if JobDir::new(self.job_dir(job.queue_id)).has_script() {
                    self.launch(job.queue_id)?;
                    true
                } else {
                    false
                }
            }
            Probe::Finished | Probe::Vanished => {
                self.unmark_live(job.queue_id);
                false
            }
        })
    }

    fn delete(&self, job: JobRef<'_>) -> Result<(), QueueError> {
        check_token(job.queue_id)?;
        let jd = JobDir::new(self.job_dir(job.queue_id));
        if !jd.has_script() || jd.exit().is_some() {
            self.unmark_live(job.queue_id);
            return Ok(());
        }
        // First the marker (a script not started yet then exits at once), then the signal.
        jd.mark_deleted(&format!("deleted from the local queue at {}", crate::clock::now()))?;
        if let Probe::Running(pid) = self.probe_ignoring_deleted(job.queue_id) {
            stop_process_group(pid, &jd.dir);
        }
        self.unmark_live(job.queue_id);
        Ok(())
    }

    fn status(&self) -> Result<QueueStatus, QueueError> {
        let live = self.root.join("live");
        let entries = std::fs::read_dir(&live).map_err(|e| QueueError::io(&live, e))?;
        let mut running = 0;
        for e in entries.flatten() {
            let token = e.file_name().to_string_lossy().into_owned();
            match self.probe(&token) {
                Probe::Finished | Probe::Vanished => self.unmark_live(&token),
                _ => running += 1,
            }
        }
        Ok(QueueStatus { running, queued: 0 })
    }

    fn had_errors(&self, job: JobRef<'_>) -> Result<bool, QueueError> {
        check_token(job.queue_id)?;
        Ok(match self.probe(job.queue_id) {
            Probe::Running(_) | Probe::Starting | Probe::NotStarted => false,
            Probe::Finished | Probe::Vanished => !JobDir::new(self.job_dir(job.queue_id)).succeeded(),
        })
    }

    fn get_errors(&self, job: JobRef<'_>) -> Result<String, QueueError> {
        if !self.had_errors(job)? {
            return Ok(String::new());
        }
        Ok(JobDir::new(self.job_dir(job.queue_id)).error_report(&["stderr"], &[]))
    }

    fn lookup(&self, token: &str) -> Result<Option<String>, QueueError> {
        check_token(token)?;
        let jd = JobDir::new(self.job_dir(token));
        if !jd.has_script() {
            return Ok(None);
        }
        if self.probe(token) == Probe::NotStarted {
            self.mark_live(token)?;
            self.launch(token)?;
        }
        Ok(Some(token.to_string()))
    }
}

impl LocalQueue {
    /// Like `probe`, but looks at the process even if the `deleted` marker exists.
    fn probe_ignoring_deleted(&self, token: &str) -> Probe {
        let dir = self.job_dir(token);
        match read_pid(&dir) {
            Some(pid) if process_alive(pid, &dir) => Probe::Running(pid),
            _ => Probe::Finished,
        }
    }
}

fn read_pid(dir: &Path) -> Option<u32> {
    std::fs::read_to_string(dir.join("pid")).ok()?.trim().parse().ok()
}

fn age(t: SystemTime) -> Duration {
    SystemTime::now().duration_since(t).unwrap_or(Duration::ZERO)
}

/// Whether `pid` is a live (not zombie) process running this job's script.
/// The check of the command line guards against a recycled pid.
fn process_alive(pid: u32, dir: &Path) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if Path::new("/proc/self").exists() {
        let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
            return false;
        };
        // The state follows the command name in parentheses: "pid (comm) S …".
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if matches!(state, Some('Z') | Some('X') | None) {
            return false;
        }
        let cmdline = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
        let needle = dir.to_string_lossy();
        return String::from_utf8_lossy(&cmdline).contains(needle.as_ref());
    }
    rustix::process::Pid::from_raw(pid as i32)
        .map(|p| rustix::process::test_kill_process(p).is_ok())
        .unwrap_or(false)
}

/// Sends SIGTERM to the job's process group (the script is its session and
/// group leader), then SIGKILL if it is still there after 5 s.
fn stop_process_group(pid: u32, dir: &Path) {
    use rustix::process::{kill_process_group, Pid, Signal};
    let Some(p) = Pid::from_raw(pid as i32) else { return };
    let _ = kill_process_group(p, Signal::TERM);
    let start = Instant::now();
    while process_alive(pid, dir) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    if process_alive(pid, dir) {
        let _ = kill_process_group(p, Signal::KILL);
    }
}
