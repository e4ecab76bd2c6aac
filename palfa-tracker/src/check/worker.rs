//! `worker` (`palfa check --worker`): a short job through the configured
//! queue runs `palfa check --worker-side` on a worker node, which writes a
//! [`WorkerReport`] into the job's output directory; the head node reads it
//! back. It answers what only a worker can: the same palfa there, the
//! configuration readable there, the working and results directories
//! writable with room for a beam, the zaplists readable, the raw data
//! readable. The seed warns that the processing configuration must be
//! checked on the worker nodes: this is that check.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use palfa_core::formats::presto::zaplist::Zaplist;
use serde::{Deserialize, Serialize};

use super::{probe_writable, CheckOptions, Verdict};
use crate::download::budget::fs_available;
use crate::download::bytes as human;
use crate::queue::{self, JobRef, SubmitRequest, WorkerCommand, TOKEN_PREFIX};

/// The file the worker side writes into its job's output directory.
pub const WORKER_REPORT_FILE: &str = "worker-check.json";

/// How often the head node looks for the worker's report.
const POLL: Duration = Duration::from_millis(200);

/// The disk one beam's search needs on a worker (the caller estimates it from
/// the DM plan: `palfa_search::pipeline::disk_footprint`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerNeeds {
    /// The working directory of one beam, then its results directory \[bytes\].
    pub beam_bytes: u64,
    /// How the figure was found (one sentence).
    pub basis: String,
}

/// One thing the worker side looked at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerItem {
    /// What was looked at (`config`, `working directory`, …).
    pub what: String,
    /// Whether it is as the search needs.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// When not ok: the configuration key or command that fixes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl WorkerItem {
    fn ok(what: &str, detail: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(what: &str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// What `palfa check --worker-side` found on a worker node.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerReport {
    /// The worker's palfa version and commit.
    pub palfa_version: String,
    /// The worker's host name.
    pub host: String,
    /// The configuration file read there (none: built-in defaults).
    pub config: Option<String>,
    /// One entry per thing looked at.
    pub items: Vec<WorkerItem>,
}

impl WorkerReport {
    /// Whether everything looked at is as the search needs.
    pub fn passed(&self) -> bool {
        self.items.iter().all(|i| i.ok)
    }
}

/// The worker side: checks, on this machine, what a search job needs.
/// `loaded` is the configuration as it loaded here (or why it did not).
pub fn worker_side(loaded: Result<Config, String>, needs: &WorkerNeeds) -> WorkerReport {
    let host = rustix::system::uname().nodename().to_string_lossy().into_owned();
    let mut report = WorkerReport {
        palfa_version: crate::resultsdb::build::version_num(),
        host,
        config: None,
        items: Vec::new(),
    };
    let cfg = match loaded {
        Ok(c) => c,
        Err(why) => {
            report.items.push(WorkerItem::fail(
                "config",
                format!("the configuration cannot be read on this worker: {why}"),
                "put the configuration file where the worker nodes read it (a shared file system) at the same path",
            ));
            return report;
        }
    };
    report.config = cfg.source.as_ref().map(|p| p.display().to_string());
    report.items.push(WorkerItem::ok(
        "config",
        match &cfg.source {
            Some(p) => format!("{} read", p.display()),
            None => "no configuration file named: built-in defaults".into(),
        },
    ));
    let items = &mut report.items;
    let (key, workdir) = match &cfg.searching.base_tmp_dir {
        Some(d) => ("searching.base_tmp_dir", d.clone()),
        None => (
            "processing.base_working_directory",
            cfg.processing.base_working_directory.clone(),
        ),
    };
    items.push(room("working directory", key, &workdir, needs));
    items.push(room(
        "results directory",
        "jobpooler.base_results_directory",
        &cfg.jobpooler.base_results_directory,
        needs,
    ));
    items.push(zaplists(&cfg));
    items.push(readable_dir("raw data", "download.temp", &cfg.download.temp));
    let tmp = std::env::temp_dir();
    items.push(match probe_writable(&tmp) {
        Ok(()) => WorkerItem::ok("temporary directory", format!("{}: writable", tmp.display())),
        Err(why) => WorkerItem::fail(
            "temporary directory",
            why,
            format!("make {} writable, or set TMPDIR for the jobs", tmp.display()),
        ),
    });
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = match cfg.processing.num_threads {
        0 => format!("all {cpus} CPUs (processing.num_threads = 0)"),
        n => format!("{n} of {cpus} CPUs (processing.num_threads)"),
    };
    items.push(WorkerItem::ok("threads", threads));
    report
}

/// A directory that must exist, be writable, and hold one beam's products.
fn room(what: &str, key: &str, dir: &Path, needs: &WorkerNeeds) -> WorkerItem {
    if !dir.is_dir() {
        return WorkerItem::fail(
            what,
            format!("{key} = {} does not exist on this worker", dir.display()),
            format!(
                "mkdir -p {} on the worker nodes (or set {key} to a directory they have)",
                dir.display()
            ),
        );
    }
    if let Err(why) = probe_writable(dir) {
        return WorkerItem::fail(
            what,
            format!("{key} is not writable on this worker: {why}"),
            format!(
                "make {} writable by the user the jobs run as (or set {key})",
                dir.display()
            ),
        );
    }
    match fs_available(dir) {
        Some(free) if free < needs.beam_bytes => WorkerItem::fail(
            what,
            format!(
                "{key} = {} has {} free, less than one beam needs ({}: {})",
                dir.display(),
                human(free),
                human(needs.beam_bytes),
                needs.basis
            ),
            format!(
                "free space on {}'s file system, or set {key} to a larger one",
                dir.display()
            ),
        ),
        Some(free) => WorkerItem::ok(
            what,
            format!(
                "{key} = {}: writable, {} free (a beam needs up to {})",
                dir.display(),
                human(free),
                human(needs.beam_bytes)
            ),
        ),
        None => WorkerItem::ok(
            what,
            format!("{key} = {}: writable (free space unknown)", dir.display()),
        ),
    }
}

/// The configured zaplists: the default one parses, the directory lists.
fn zaplists(cfg: &Config) -> WorkerItem {
    let p = &cfg.processing;
    let mut found = Vec::new();
    if let Some(f) = &p.default_zaplist {
        match Zaplist::read(f) {
            Ok(z) => found.push(format!(
                "processing.default_zaplist = {}: {} birdies",
                f.display(),
                z.birds.len()
            )),
            Err(why) => {
                return WorkerItem::fail(
                    "zaplists",
                    format!(
                        "processing.default_zaplist = {} cannot be read here: {why}",
                        f.display()
                    ),
                    "make the zaplist readable from the worker nodes (or set processing.default_zaplist)",
                )
            }
        }
    }
    if let Some(d) = &p.zaplistdir {
        let item = readable_dir("zaplists", "processing.zaplistdir", d);
        if !item.ok {
            return item;
        }
        found.push(item.detail);
    }
    if found.is_empty() {
        found.push("none configured: the built-in empty list (plus each beam's own birdies)".into());
    }
    WorkerItem::ok("zaplists", found.join("; "))
}

fn readable_dir(what: &str, key: &str, dir: &Path) -> WorkerItem {
    match std::fs::read_dir(dir) {
        Ok(entries) => WorkerItem::ok(
            what,
            format!("{key} = {}: readable ({} entries)", dir.display(), entries.count()),
        ),
        Err(e) => WorkerItem::fail(
            what,
            format!("{key} = {} cannot be read on this worker: {e}", dir.display()),
            format!(
                "mount {} on the worker nodes at the same path (or set {key})",
                dir.display()
            ),
        ),
    }
}

/// The program the check job runs, and a note on how it was chosen: the
/// program of `jobpooler.worker_command` when it is a `palfa search`, else
/// this palfa.
fn check_command(cfg: &Config) -> Result<(WorkerCommand, String), String> {
    let base = WorkerCommand::from_config(cfg).map_err(|e| e.to_string())?;
    let (program, note) = if base.args.first().map(String::as_str) == Some("search") {
        let note = format!("runs {} check --worker-side on a worker", base.program.display());
        (base.program, note)
    } else {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this palfa's executable: {e}"))?;
        let note = format!(
            "jobpooler.worker_command is not a `palfa search`: runs this palfa ({}) check --worker-side instead",
            exe.display()
        );
        (exe, note)
    };
    Ok((
        WorkerCommand {
            program,
            args: vec!["check".into(), "--worker-side".into()],
            env: base.env,
        },
        note,
    ))
}

pub(crate) fn check(cfg: &Config, opts: &CheckOptions) -> Verdict {
    // Leave time to remove the job before the overall deadline cuts the check.
    let deadline = Instant::now() + opts.timeout.mul_f64(0.85);
    let (worker, note) = match check_command(cfg) {
        Ok(w) => w,
        Err(why) => return Verdict::fail(why, "set jobpooler.worker_command to palfa search"),
    };
    let mut details = vec![note];
    let queue = match queue::with_worker(cfg, worker) {
        Ok(q) => q,
        Err(e) => {
            return Verdict::fail(
                format!("the queue cannot be used: {e}"),
                "palfa check queue says more; check jobpooler.queue_manager and basic.qsublog_dir",
            )
        }
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let token = format!("{TOKEN_PREFIX}check_{}_{nanos}", std::process::id());
    let outdir: PathBuf = cfg.basic.qsublog_dir.join("check").join(&token);
    if let Err(e) = std::fs::create_dir_all(&outdir) {
        return Verdict::fail(
            format!("cannot make the check job's directory {}: {e}", outdir.display()),
            "make basic.qsublog_dir writable (the jobs' logs go there)",
        );
    }
    let req = SubmitRequest {
        job_id: 0,
        token: &token,
        files: &[],
        outdir: &outdir,
    };
    let id = match queue.submit(&req) {
        Ok(id) => id,
        Err(e) => {
            return Verdict::fail_with(
                format!("the {} queue did not take the check job: {e}", queue.kind()),
                "palfa check queue says more; check the [jobpooler] queue settings",
                details,
            )
        }
    };
    details.push(format!("job {id} submitted to the {} queue", queue.kind()));
    let job = JobRef {
        queue_id: &id,
        token: &token,
    };
    let report_path = outdir.join(WORKER_REPORT_FILE);
    let started = Instant::now();
    loop {
        if report_path.is_file() {
            break;
        }
        match queue.is_running(job) {
            Ok(true) => {}
            Ok(false) if report_path.is_file() => break,
            Ok(false) => {
                let errors = queue.get_errors(job).unwrap_or_else(|e| e.to_string());
                let tail: Vec<&str> = errors.lines().rev().take(3).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                return Verdict::fail_with(
                    format!(
                        "the check job {id} ended without a report: {}",
                        if tail.is_empty() {
                            "no error output".to_string()
                        } else {
                            tail.join(" / ")
                        }
                    ),
                    "check that palfa runs on the worker nodes at the same path (jobpooler.worker_command) \
                     and that the job's output directory under basic.qsublog_dir is shared with them",
                    details,
                );
            }
            Err(e) => {
                let _ = queue.delete(job);
                return Verdict::fail_with(
                    format!("cannot ask the queue about the check job {id}: {e}"),
                    "palfa check queue says more",
                    details,
                );
            }
        }
        if Instant::now() >= deadline {
            let _ = queue.delete(job);
            return Verdict::fail_with(
                format!(
                    "the check job {id} was still waiting or running after {:.0} s, and was removed from the queue",
                    started.elapsed().as_secs_f64()
                ),
                "the queue may be busy: run palfa check --worker again with a longer --timeout (squeue / qstat \
                 show why a job waits)",
                details,
            );
        }
        std::thread::sleep(POLL);
    }
    let report: WorkerReport = match std::fs::read_to_string(&report_path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(r) => r,
        Err(why) => {
            return Verdict::fail_with(
                format!("the worker's report {} cannot be read: {why}", report_path.display()),
                "run palfa check --worker-side on a worker node by hand to see its answer",
                details,
            )
        }
    };
    let _ = std::fs::remove_dir_all(&outdir);
    details.push(format!(
        "worker {} ran palfa {} with {}",
        report.host,
        report.palfa_version,
        report.config.as_deref().unwrap_or("the built-in defaults")
    ));
    for i in &report.items {
        details.push(format!("{}: {}{}", i.what, if i.ok { "" } else { "FAIL " }, i.detail));
    }
    let head = crate::resultsdb::build::version_num();
    if report.palfa_version != head {
        return Verdict::fail_with(
            format!(
                "the worker {} runs palfa {}, this head node {head}",
                report.host, report.palfa_version
            ),
            "install the same palfa on the worker nodes (jobpooler.worker_command names the one the jobs run)",
            details,
        );
    }
    let failed: Vec<&WorkerItem> = report.items.iter().filter(|i| !i.ok).collect();
    match failed.first() {
        None => {
            details.insert(
                0,
                format!(
                    "worker {} answered in {:.1} s: same palfa, configuration read, directories writable with room \
                     for a beam",
                    report.host,
                    started.elapsed().as_secs_f64()
                ),
            );
            Verdict::Pass(details)
        }
        Some(first) => {
            let more = match failed.len() {
                1 => String::new(),
                n => format!(" (and {} more: see below)", n - 1),
            };
            Verdict::fail_with(
                format!("on the worker {}: {}{more}", report.host, first.detail),
                first.fix.clone().unwrap_or_default(),
                details,
            )
        }
    }
}

/// Writes `report` as `dir/worker-check.json`, whole (written then renamed).
pub fn write_worker_report(report: &WorkerReport, dir: &Path) -> std::io::Result<PathBuf> {
    let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    let tmp = dir.join(format!("{WORKER_REPORT_FILE}.tmp"));
    std::fs::write(&tmp, text)?;
    let dest = dir.join(WORKER_REPORT_FILE);
    std::fs::rename(&tmp, &dest)?;
    Ok(dest)
}
