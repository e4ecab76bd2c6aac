//! `palfa check`: set-up checks of every service the configuration names.

use std::process::ExitCode;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::Args;
use palfa_core::config::{Config, ConfigError};
use palfa_tracker::check::{
    run_checks, worker_side as check_worker, write_worker_report, CheckOptions, CheckReport, Outcome, WorkerNeeds,
    CHECK_NAMES,
};

use crate::Cli;

/// `palfa check …`
#[derive(Debug, Args)]
#[command(after_help = "\
Checks: config, install, tracker, disk, resultsdb, archive, ftp, email, queue, worker.
Without a name, every check the configuration enables runs (archive and ftp
need download.api_service_url, email needs email.enabled or --send-email,
worker needs --worker).

--worker submits a short job through the configured queue; on a worker node it
runs `palfa check --worker-side`, which checks the same palfa is installed, the
configuration is readable, the working and results directories are writable
with room for a beam, the zaplists and raw data are readable, and reports back
through the job's output directory (under basic.qsublog_dir). A busy queue may
need a longer --timeout.

Exit status: 0 all that ran passed, 1 a check failed, 2 the configuration is invalid
(a path that cannot be used on this machine, such as a read-only directory, fails
the config check and the check of its service instead: exit status 1).

Examples:
  palfa check                          every check, one line each
  palfa check ftp archive              only the data archive
  palfa check --json > check.json      the same as one JSON document
  palfa check --timeout 30 resultsdb   a slow database server
  palfa check email --send-email       also send the test message
  palfa check --worker --timeout 120   also check a worker node through the queue
  palfa check archive --restore 1 --timeout 600
                                       a real restore of one beam, waited for and listed")]
pub struct CheckArgs {
    /// The checks to run (default: every one the configuration enables).
    #[arg(value_name = "NAME", value_parser = PossibleValuesParser::new(CHECK_NAMES))]
    pub names: Vec<String>,
    /// Print one JSON document instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Deadline of each check [s].
    #[arg(long, value_name = "S", default_value_t = 15.0)]
    pub timeout: f64,
    /// Send the e-mail test message (the email check otherwise logs in without sending).
    #[arg(long)]
    pub send_email: bool,
    /// The archive check also makes a real restore of N beams and waits (within --timeout) until their files are listed.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub restore: u32,
    /// Also check a worker node: submit a short job through the configured queue.
    #[arg(long)]
    pub worker: bool,
    /// Run the worker node's side of `--worker` here (what the check job runs).
    #[arg(long, conflicts_with_all = ["worker", "names", "send_email", "restore"])]
    pub worker_side: bool,
    /// With --worker-side: the directory to write the report into.
    #[arg(long, value_name = "DIR", requires = "worker_side")]
    pub outdir: Option<std::path::PathBuf>,
}

/// Runs `palfa check`.
pub fn run(cli: &Cli, a: &CheckArgs) -> anyhow::Result<ExitCode> {
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= 86_400.0) {
        anyhow::bail!("--timeout must be between 0 and 86400 s, not {}", a.timeout);
    }
    if a.worker_side {
        return worker_side(cli, a);
    }
    // A path that cannot be used here (a directory missing or read-only) is
    // the business of the check of its service, not an invalid configuration.
    let loaded = match Config::locate(cli.config.as_deref()) {
        Some(path) => Config::load_deferring_paths(path).map(|(c, _)| c),
        None => Ok(Config::builtin()),
    };
    let cfg = match loaded {
        Ok(c) => c,
        Err(e) => return Ok(invalid(a, &e)),
    };
    let opts = CheckOptions {
        names: a.names.clone(),
        timeout: Duration::from_secs_f64(a.timeout),
        send_email: a.send_email,
        worker: a.worker,
        restore: a.restore,
    };
    let report = run_checks(&cfg, &opts);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_lines(&report, cli.verbose > 0);
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `palfa check --worker-side [--outdir DIR]`: what the worker check's job
/// runs on a worker node. Writes the report into DIR (and prints it); exit
/// status 0 when everything passed, 1 otherwise.
fn worker_side(cli: &Cli, a: &CheckArgs) -> anyhow::Result<ExitCode> {
    let loaded = match Config::locate(cli.config.as_deref()) {
        Some(path) => Config::load_deferring_paths(&path)
            .map(|(c, _)| c)
            .map_err(|e| e.to_string()),
        None => Ok(Config::builtin()),
    };
    let searching = loaded.as_ref().map(|c| c.searching.clone()).unwrap_or_default();
    let needs = beam_needs(&searching);
    let report = check_worker(loaded, &needs);
    if let Some(dir) = &a.outdir {
        write_worker_report(&report, dir)
            .map_err(|e| anyhow::anyhow!("cannot write the report into {}: {e}", dir.display()))?;
    }
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The disk a PALFA beam's search needs with these settings (the nominal
/// PALFA Mock beam: 960 channels, 2^22 samples of 65.476 µs).
fn beam_needs(s: &palfa_core::config::Searching) -> WorkerNeeds {
    let p = palfa_core::simulate::presets::Preset::Palfa.params();
    let mut h = palfa_core::header::BeamHeader::for_band(p.nchans, p.freq_mhz(0), p.chan_bw_mhz, p.tsamp_s);
    h.nsamples = p.nsamples;
    h.nbits = p.nbits;
    let f = palfa_search::pipeline::disk_footprint(&h, s);
    WorkerNeeds {
        beam_bytes: f.bytes,
        basis: format!(
            "a PALFA beam's {} DM trials, up to {} folds of {:.1} MB, and its {:.1} GB spilled while it is dedispersed",
            f.dm_trials,
            f.folds,
            f.pfd_bytes as f64 / 1e6,
            f.spill_bytes as f64 / 1e9
        ),
    }
}

/// The configuration cannot be loaded: exit status 2.
fn invalid(a: &CheckArgs, e: &ConfigError) -> ExitCode {
    if a.json {
        let doc = serde_json::json!({
            "passed": false,
            "config_valid": false,
            "error": e.to_string(),
            "checks": [],
        });
        println!("{doc:#}");
    } else {
        println!("config     FAIL  the configuration is invalid: {e}");
        println!("           fix: correct the file (palfa config check lists every problem)");
    }
    ExitCode::from(2)
}

fn print_lines(r: &CheckReport, verbose: bool) {
    if let Some(c) = &r.config {
        println!("palfa check of {c} ({})", r.palfa_version);
    } else {
        println!("palfa check of the built-in defaults ({})", r.palfa_version);
    }
    for c in &r.checks {
        let word = c.outcome.word().to_uppercase();
        let tail = match &c.outcome {
            Outcome::Pass => c.details.first().cloned().unwrap_or_default(),
            Outcome::Fail => c.cause.clone().unwrap_or_default(),
            Outcome::Skipped(why) => why.clone(),
        };
        println!("{:<10} {:<7} {:>6.2} s  {tail}", c.name, word, c.duration_s);
        if let Some(fix) = &c.fix {
            println!("{:<27}fix: {fix}", "");
        }
        let more: &[String] = match c.outcome {
            Outcome::Pass if verbose => &c.details[1.min(c.details.len())..],
            Outcome::Fail => &c.details,
            _ => &[],
        };
        for d in more {
            println!("{:<27}{d}", "");
        }
    }
    let failed = r.checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
    if failed == 0 {
        println!("all checks that ran passed");
    } else {
        println!("{failed} check(s) failed");
    }
}
