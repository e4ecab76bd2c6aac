//! Set-up checks (`palfa check`): does every service the configuration
//! names answer, and answer as the survey needs?
//!
//! Each check is one module; [`run_checks`] runs the ones asked for, each on
//! its own thread with its own deadline (a server that accepts a connection
//! and never answers is a failure, never a hang), and returns a
//! [`CheckReport`]: per check, pass / fail / skipped, the time it took, and on
//! failure one sentence of cause and the configuration key or command that
//! fixes it. No password from the configuration appears in any of it: every
//! text is scrubbed with [`Redactor`] before it is returned.
//!
//! ```
//! use palfa_core::config::Config;
//! use palfa_tracker::check::{run_checks, CheckOptions, Outcome};
//! let cfg = Config::builtin();
//! let report = run_checks(&cfg, &CheckOptions { names: vec!["install".into()], ..CheckOptions::default() });
//! assert_eq!(report.checks[0].name, "install");
//! assert_eq!(report.checks[0].outcome, Outcome::Pass);
//! ```

mod archive;
mod config;
mod disk;
mod email;
mod ftp;
mod install;
mod queue;
mod resultsdb;
mod tracker;
mod worker;

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use serde::Serialize;

use crate::archive::Redactor;

pub use worker::{worker_side, write_worker_report, WorkerItem, WorkerNeeds, WorkerReport, WORKER_REPORT_FILE};

/// The checks, in the order they run.
pub const CHECK_NAMES: [&str; 10] = [
    "config",
    "install",
    "tracker",
    "disk",
    "resultsdb",
    "archive",
    "ftp",
    "email",
    "queue",
    "worker",
];

/// The default deadline of each check.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// What to check, and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The checks to run (names of [`CHECK_NAMES`]); empty: every one the
    /// configuration enables.
    pub names: Vec<String>,
    /// The deadline of each check.
    pub timeout: Duration,
    /// Send the e-mail test message (the `email` check otherwise logs in
    /// without sending).
    pub send_email: bool,
    /// Run the `worker` check: submit a short job through the queue that
    /// checks a worker node (otherwise it is skipped unless named).
    pub worker: bool,
    /// The `archive` check also makes a real restore of this many beams and
    /// waits until their files are listed (0: only the test methods).
    pub restore: u32,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            names: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            send_email: false,
            worker: false,
            restore: 0,
        }
    }
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "why")]
pub enum Outcome {
    /// Everything it looked at is as the survey needs.
    Pass,
    /// Something is wrong: see [`Check::cause`] and [`Check::fix`].
    Fail,
    /// Not run, and why (the configuration does not use the service).
    Skipped(String),
}

impl Outcome {
    /// `pass`, `fail` or `skipped`.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The check's name (one of [`CHECK_NAMES`]).
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took \[s\].
    pub duration_s: f64,
    /// On failure: one sentence saying what is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// On failure: the configuration key or command that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// What was looked at and found (versions, counts, notes).
    pub details: Vec<String>,
}

/// The results of a run of checks.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    /// This palfa's version and commit.
    pub palfa_version: String,
    /// The configuration file checked (none: built-in defaults).
    pub config: Option<String>,
    /// Whether every check that ran passed.
    pub passed: bool,
    /// One entry per check, in the order they ran.
    pub checks: Vec<Check>,
}

/// What a check module returns.
#[derive(Debug)]
pub(crate) enum Verdict {
    Pass(Vec<String>),
    Fail {
        cause: String,
        fix: String,
        details: Vec<String>,
    },
    Skip(String),
}

impl Verdict {
    pub(crate) fn fail(cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Verdict::Fail {
            cause: cause.into(),
            fix: fix.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn fail_with(cause: impl Into<String>, fix: impl Into<String>, details: Vec<String>) -> Self {
        Verdict::Fail {
            cause: cause.into(),
            fix: fix.into(),
            details,
        }
    }
}

/// Whether a check runs when no name is given, or why it is skipped.
fn enabled(name: &str, cfg: &Config, opts: &CheckOptions) -> Result<(), String> {
    match name {
        "archive" if cfg.download.api_service_url.trim().is_empty() => {
            Err("download.api_service_url is not set (no data archive to download from)".into())
        }
        "ftp" if cfg.download.api_service_url.trim().is_empty() || cfg.download.ftp_host.trim().is_empty() => {
            Err("download.api_service_url or download.ftp_host is not set (no data archive to download from)".into())
        }
        "email" if !cfg.email.enabled && !opts.send_email => {
            Err("email.enabled = false (name the check, or give --send-email, to check it anyway)".into())
        }
        "worker" if !opts.worker => {
            Err("give --worker (or name the check) to submit a short job that checks a worker node".into())
        }
        _ => Ok(()),
    }
}

/// The fix to suggest when a check runs past its deadline.
fn timeout_fix(name: &str) -> &'static str {
    match name {
        "archive" => "check download.api_service_url and that the restore service behind it answers",
        "ftp" => "check download.ftp_host and download.ftp_port, and that the FTP server behind them answers",
        "email" => "check email.smtp_host, email.smtp_port and email.smtp_security",
        "resultsdb" => "check [commondb] (the server, the network) and that nothing holds a lock on the database",
        "tracker" => "check that no process holds a write lock on background.jobtracker_db for long",
        "queue" => "check that the queue manager's controller answers (squeue / qstat)",
        "worker" => "the queue may be busy: run again with a longer --timeout (squeue / qstat show why a job waits)",
        "disk" => "check the file systems of download.temp, jobpooler.base_results_directory and basic.log_dir",
        _ => "run the check again with -v for the log",
    }
}

fn run_one(name: &str, cfg: &Config, opts: &CheckOptions) -> Verdict {
    match name {
        "config" => config::check(cfg),
        "install" => install::check(cfg),
        "tracker" => tracker::check(cfg),
        "disk" => disk::check(cfg),
        "resultsdb" => resultsdb::check(cfg),
        "archive" => archive::check(cfg, opts),
        "ftp" => ftp::check(cfg, opts),
        "email" => email::check(cfg, opts),
        "queue" => queue::check(cfg, opts),
        "worker" => worker::check(cfg, opts),
        other => Verdict::fail(
            format!("there is no check named {other:?}"),
            format!("name one of {}", CHECK_NAMES.join(", ")),
        ),
    }
}

/// Runs the checks `opts` names (every one the configuration enables when
/// it names none), each on its own thread with deadline `opts.timeout`.
/// A check still running at its deadline is reported as failed and left
/// behind (its thread ends with the process).
pub fn run_checks(cfg: &Config, opts: &CheckOptions) -> CheckReport {
    let redact = redactor(cfg);
    let explicit = !opts.names.is_empty();
    let names: Vec<String> = if explicit {
        let mut n = opts.names.clone();
        if opts.worker && !n.iter().any(|x| x == "worker") {
            n.push("worker".into());
        }
        n
    } else {
        CHECK_NAMES.iter().map(|s| s.to_string()).collect()
    };
    let mut checks = Vec::new();
    for name in names {
        let start = Instant::now();
        let verdict = match enabled(&name, cfg, opts) {
            Err(why) if !explicit => Verdict::Skip(why),
            _ => {
                let (tx, rx) = mpsc::channel();
                let (c, o, n) = (cfg.clone(), opts.clone(), name.clone());
                let spawned = std::thread::Builder::new()
                    .name(format!("check-{name}"))
                    .spawn(move || {
                        let _ = tx.send(run_one(&n, &c, &o));
                    });
                match spawned {
                    Err(e) => Verdict::fail(format!("cannot start the check's thread: {e}"), "free some memory"),
                    Ok(_) => match rx.recv_timeout(opts.timeout) {
                        Ok(v) => v,
                        Err(mpsc::RecvTimeoutError::Timeout) => Verdict::fail(
                            format!(
                                "no answer within the deadline of {:.0} s: the server accepted the connection and \
                                 never answered, or a command hung",
                                opts.timeout.as_secs_f64()
                            ),
                            timeout_fix(&name),
                        ),
                        Err(mpsc::RecvTimeoutError::Disconnected) => Verdict::fail(
                            "the check stopped without a result (it panicked; the log has the message)",
                            "report this as a bug in palfa",
                        ),
                    },
                }
            }
        };
        let duration_s = start.elapsed().as_secs_f64();
        let clean = |s: String| redact.clean(s);
        let check = match verdict {
            Verdict::Pass(details) => Check {
                name,
                outcome: Outcome::Pass,
                duration_s,
                cause: None,
                fix: None,
                details: details.into_iter().map(clean).collect(),
            },
            Verdict::Fail { cause, fix, details } => Check {
                name,
                outcome: Outcome::Fail,
                duration_s,
                // One line: drivers' messages come with newlines and tabs.
                cause: Some(clean(cause.split_whitespace().collect::<Vec<_>>().join(" "))),
                fix: Some(clean(fix)),
                details: details.into_iter().map(clean).collect(),
            },
            Verdict::Skip(why) => Check {
                name,
                outcome: Outcome::Skipped(clean(why)),
                duration_s,
                cause: None,
                fix: None,
                details: Vec::new(),
            },
        };
        checks.push(check);
    }
    CheckReport {
        palfa_version: crate::resultsdb::build::version_num(),
        config: cfg.source.as_ref().map(|p| redact.clean(p.display())),
        passed: checks.iter().all(|c| c.outcome != Outcome::Fail),
        checks,
    }
}

/// A redactor of every secret of the configuration.
pub fn redactor(cfg: &Config) -> Redactor {
    Redactor::new([
        cfg.commondb.password.expose(),
        cfg.download.api_password.expose(),
        cfg.download.ftp_password.expose(),
        cfg.email.smtp_password.expose(),
    ])
}

/// Writes and removes a small file in `dir`: whether this user can create files there.
pub(crate) fn probe_writable(dir: &Path) -> Result<(), String> {
    let p = dir.join(format!(".palfa-check-{}", std::process::id()));
    std::fs::write(&p, b"palfa check\n").map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    std::fs::remove_file(&p).map_err(|e| format!("cannot remove {}: {e}", p.display()))
}
