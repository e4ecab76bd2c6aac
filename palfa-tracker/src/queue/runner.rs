//! Running the queue's commands (`sbatch`, `qstat`, …), with a time limit.
//!
//! The backends call commands through [`CommandRunner`], so that tests can
//! replay recorded outputs instead of running a real queue.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::QueueError;

/// What a command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit status (`None`: killed by a signal).
    pub status: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CommandOutput {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// The exit status as text (`exit status 1`, `killed by a signal`).
    pub fn status_text(&self) -> String {
        match self.status {
            Some(c) => format!("exit status {c}"),
            None => "killed by a signal".into(),
        }
    }
}

/// Runs a program with arguments and returns its output.
pub trait CommandRunner: Send + Sync {
    /// Runs `program args…` to the end (or its time limit).
    fn run(&self, program: &str, args: &[String]) -> Result<CommandOutput, QueueError>;
}

/// Runs commands on this machine, killing them after `timeout`.
#[derive(Debug, Clone)]
pub struct SystemRunner {
    /// Longest a command may run.
    pub timeout: Duration,
}

impl Default for SystemRunner {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
        }
    }
}

impl CommandRunner for SystemRunner {
    fn run(&self, program: &str, args: &[String]) -> Result<CommandOutput, QueueError> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| QueueError::Spawn {
                program: program.to_string(),
                source,
            })?;
        let mut out_pipe = child.stdout.take().expect("piped stdout");
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let out_t = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out_pipe.read_to_end(&mut s);
            s
        });
        let err_t = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err_pipe.read_to_end(&mut s);
            s
        });
        let start = Instant::now();
        let mut nap = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(st)) => break st,
                Ok(None) if start.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(QueueError::Timeout {
                        command: command_line(program, args),
                        seconds: self.timeout.as_secs(),
                    });
                }
                Ok(None) => {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(50));
                }
                Err(source) => {
                    return Err(QueueError::Spawn {
                        program: program.to_string(),
                        source,
                    })
                }
            }
        };
        let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
        Ok(CommandOutput {
            status: status.code(),
            stdout,
            stderr,
        })
    }
}

/// `program arg arg…` for messages.
pub(crate) fn command_line(program: &str, args: &[String]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

/// Runs a submit command (`sbatch`, `qsub`) and fails unless it exits with
/// status 0. A failure whose stderr matches one of `refusals` (case-insensitive)
/// and none of `unclear` is a [`QueueError::Refused`]; any other failure is a
/// [`QueueError::Command`] (the job may have been queued).
pub(crate) fn run_submit(
    runner: &dyn CommandRunner,
    program: &str,
    args: &[String],
    refusals: &[&str],
    unclear: &[&str],
) -> Result<CommandOutput, QueueError> {
    match run_ok(runner, program, args) {
        Err(QueueError::Command {
            command,
            status,
            stderr,
        }) => {
            let lower = stderr.to_ascii_lowercase();
            let refused = refusals.iter().any(|m| lower.contains(&m.to_ascii_lowercase()))
                && !unclear.iter().any(|m| lower.contains(&m.to_ascii_lowercase()));
            Err(if refused {
                QueueError::Refused {
                    command,
                    status,
                    stderr,
                }
            } else {
                QueueError::Command {
                    command,
                    status,
                    stderr,
                }
            })
        }
        other => other,
    }
}

/// Runs a command and fails unless it exits with status 0.
pub(crate) fn run_ok(runner: &dyn CommandRunner, program: &str, args: &[String]) -> Result<CommandOutput, QueueError> {
    let out = runner.run(program, args)?;
    if out.success() {
        Ok(out)
    } else {
        Err(QueueError::Command {
            command: command_line(program, args),
            status: out.status_text(),
            stderr: out.stderr.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_times_out() {
        let r = SystemRunner::default();
        let out = r
            .run("sh", &["-c".into(), "echo hi; echo oops >&2; exit 3".into()])
            .unwrap();
        assert_eq!(out.status, Some(3));
        assert_eq!(out.stdout, "hi\n");
        assert_eq!(out.stderr, "oops\n");
        let quick = SystemRunner {
            timeout: Duration::from_millis(200),
        };
        let e = quick.run("sleep", &["5".into()]).unwrap_err();
        assert!(matches!(e, QueueError::Timeout { .. }), "{e}");
        assert!(matches!(r.run("/no/such/program", &[]), Err(QueueError::Spawn { .. })));
    }
}
