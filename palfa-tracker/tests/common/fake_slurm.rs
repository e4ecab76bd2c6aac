//! A stand-in for Slurm's `sbatch`, `squeue`, `scancel` and `sacct` that runs
//! job scripts on this machine and can be told to misbehave the ways a real
//! cluster does now and then: accept a job and still report an error, time
//! out, refuse one job forever, lose a job, fail to cancel. It plugs into
//! [`SlurmQueue`](palfa_tracker::SlurmQueue) as its
//! [`CommandRunner`], so the pooler above it is the real one. The real Slurm
//! is the end-to-end test (`tests/slurm.rs`).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use palfa_tracker::queue::{CommandOutput, CommandRunner};
use palfa_tracker::QueueError;

/// How `sbatch` misbehaves for one job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Queues the job, then fails as a client whose answer timed out
    /// ("Socket timed out on send/recv operation").
    AcceptThenError,
    /// Queues the job, but the command is killed at its time limit.
    AcceptThenTimeout,
    /// Times out without the job reaching the controller.
    TimeoutNotQueued,
    /// Refuses the job ("Invalid account or account/partition combination").
    Refuse,
    /// Accepts the job (prints an id), which then vanishes without running.
    Lose,
}

struct Job {
    id: u64,
    name: String,
    child: Option<Child>,
    state: &'static str,
}

#[derive(Default)]
struct State {
    next_id: u64,
    jobs: Vec<Job>,
    /// Tracker job id -> (fault, times left; None = forever).
    faults: BTreeMap<i64, (Fault, Option<usize>)>,
    /// `sbatch` calls per tracker job id.
    sbatch_calls: BTreeMap<i64, usize>,
    scancel_fails: bool,
    scancel_calls: usize,
}

/// The stand-in cluster.
#[derive(Default)]
pub struct FakeSlurm {
    state: Mutex<State>,
}

/// The tracker's job id in a token `palfa_<job>_<n>_<hex>`.
pub fn job_of_token(token: &str) -> Option<i64> {
    token.strip_prefix("palfa_")?.split('_').next()?.parse().ok()
}

fn ok(stdout: String) -> CommandOutput {
    CommandOutput {
        status: Some(0),
        stdout,
        stderr: String::new(),
    }
}

fn fail(stderr: &str) -> CommandOutput {
    CommandOutput {
        status: Some(1),
        stdout: String::new(),
        stderr: format!("{stderr}\n"),
    }
}

impl FakeSlurm {
    /// Makes `sbatch` misbehave for tracker job `job`, `times` times (`None`: always).
    pub fn fault(&self, job: i64, fault: Fault, times: Option<usize>) {
        self.state.lock().unwrap().faults.insert(job, (fault, times));
    }

    /// Makes `scancel` fail (as when the controller does not answer) or work again.
    pub fn scancel_fails(&self, fails: bool) {
        self.state.lock().unwrap().scancel_fails = fails;
    }

    /// `sbatch` calls made for tracker job `job`.
    pub fn sbatch_calls(&self, job: i64) -> usize {
        self.state.lock().unwrap().sbatch_calls.get(&job).copied().unwrap_or(0)
    }

    /// `scancel` calls made.
    pub fn scancel_calls(&self) -> usize {
        self.state.lock().unwrap().scancel_calls
    }

    /// Jobs the stand-in holds whose job name is `token` (any state).
    pub fn jobs_named(&self, token: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .jobs
            .iter()
            .filter(|j| j.name == token)
            .count()
    }

    fn refresh(st: &mut State) {
        for j in &mut st.jobs {
            if let Some(c) = j.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    j.state = if status.success() { "COMPLETED" } else { "FAILED" };
                    j.child = None;
                }
            }
        }
    }

    fn sbatch(&self, args: &[String]) -> Result<CommandOutput, QueueError> {
        let arg = |prefix: &str| args.iter().find_map(|a| a.strip_prefix(prefix)).map(str::to_string);
        let name = arg("--job-name=").expect("sbatch --job-name");
        let chdir = PathBuf::from(arg("--chdir=").expect("sbatch --chdir"));
        let script = PathBuf::from(args.last().expect("a script"));
        let job = job_of_token(&name).expect("a palfa token");
        let mut st = self.state.lock().unwrap();
        *st.sbatch_calls.entry(job).or_default() += 1;
        let fault = match st.faults.get_mut(&job) {
            Some((f, left)) => {
                let f = *f;
                if let Some(n) = left {
                    *n -= 1;
                    if *n == 0 {
                        st.faults.remove(&job);
                    }
                }
                Some(f)
            }
            None => None,
        };
        let timeout = || QueueError::Timeout {
            command: format!("sbatch {}", args.join(" ")),
            seconds: 120,
        };
        match fault {
            Some(Fault::Refuse) => {
                return Ok(fail(
                    "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified",
                ))
            }
            Some(Fault::TimeoutNotQueued) => return Err(timeout()),
            _ => {}
        }
        st.next_id += 1;
        let id = st.next_id + 1000;
        let child = if fault == Some(Fault::Lose) {
            None
        } else {
            Some(
                Command::new("sh")
                    .arg(&script)
                    .process_group(0)
                    .current_dir(&chdir)
                    .env("SLURM_JOB_ID", id.to_string())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start a job script"),
            )
        };
        // A lost job: Slurm forgets it at once, squeue does not know the id.
        if child.is_some() {
            st.jobs.push(Job {
                id,
                name,
                child,
                state: "RUNNING",
            });
        }
        match fault {
            Some(Fault::AcceptThenError) => Ok(fail(
                "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",
            )),
            Some(Fault::AcceptThenTimeout) => Err(timeout()),
            _ => Ok(ok(format!("{id}\n"))),
        }
    }

    fn squeue(&self, args: &[String]) -> CommandOutput {
        let mut st = self.state.lock().unwrap();
        Self::refresh(&mut st);
        let all_states = args.windows(2).any(|w| w[0] == "-t" && w[1] == "all");
        let format = args
            .windows(2)
            .find(|w| w[0] == "-o")
            .map(|w| w[1].clone())
            .unwrap_or_default();
        if let Some(w) = args.windows(2).find(|w| w[0] == "-j") {
            let id: u64 = w[1].parse().unwrap_or(0);
            return match st.jobs.iter().find(|j| j.id == id) {
                Some(j) => ok(format!("{}\n", j.state)),
                None => fail("slurm_load_jobs error: Invalid job id specified"),
            };
        }
        let by_name = args.iter().find_map(|a| a.strip_prefix("--name=")).map(str::to_string);
        let mut out = String::new();
        for j in &st.jobs {
            let finished = matches!(j.state, "COMPLETED" | "FAILED" | "CANCELLED");
            if finished && !all_states {
                continue;
            }
            if by_name.as_ref().is_some_and(|n| n != &j.name) {
                continue;
            }
            let line = format
                .replace("%i", &j.id.to_string())
                .replace("%j", &j.name)
                .replace("%T", j.state);
            out.push_str(&line);
            out.push('\n');
        }
        ok(out)
    }

    fn scancel(&self, args: &[String]) -> CommandOutput {
        let mut st = self.state.lock().unwrap();
        st.scancel_calls += 1;
        let id: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
        if st.scancel_fails {
            return fail(&format!(
                "scancel: error: Kill job error on job id {id}: Socket timed out on send/recv operation"
            ));
        }
        Self::refresh(&mut st);
        match st.jobs.iter_mut().find(|j| j.id == id) {
            Some(j) => {
                if let Some(c) = j.child.take() {
                    kill_group(c);
                    j.state = "CANCELLED";
                }
                ok(String::new())
            }
            None => fail(&format!(
                "scancel: error: Kill job error on job id {id}: Invalid job id specified"
            )),
        }
    }
}

/// Kills a job script and everything it started (its own process group).
fn kill_group(mut c: Child) {
    use rustix::process::{kill_process_group, Pid, Signal};
    // The script leads its own group (`process_group(0)`); never signal a
    // group that is not a live child's.
    if let (Ok(None), Some(pid)) = (c.try_wait(), Pid::from_raw(c.id() as i32)) {
        if c.id() > 1 {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
    let _ = c.kill();
    let _ = c.wait();
}

impl CommandRunner for FakeSlurm {
    fn run(&self, program: &str, args: &[String]) -> Result<CommandOutput, QueueError> {
        match program {
            "sbatch" => self.sbatch(args),
            "squeue" => Ok(self.squeue(args)),
            "scancel" => Ok(self.scancel(args)),
            "sacct" => Ok(fail("sacct: error: Slurm accounting storage is disabled")),
            other => panic!("the fake Slurm does not know {other}"),
        }
    }
}

impl Drop for FakeSlurm {
    fn drop(&mut self) {
        if let Ok(mut st) = self.state.lock() {
            for j in &mut st.jobs {
                if let Some(c) = j.child.take() {
                    kill_group(c);
                }
            }
        }
    }
}
