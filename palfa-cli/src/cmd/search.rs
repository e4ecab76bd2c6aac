//! `palfa search`: the whole search of one beam, as a worker runs it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use clap::Args;
use indicatif::ProgressBar;
use palfa_core::config::Config;
use palfa_search::pipeline::reproduce::{reproduce, ReproduceOptions};
use palfa_search::pipeline::{run_search, SearchJob, StageProgress, DEFAULT_SERIES_BUDGET};

use crate::{progress, Cli};

/// Arguments of `palfa search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Where the results directory is written (created if needed); with
    /// `--reproduce`, where the new results are kept (else they are removed).
    #[arg(long, required_unless_present = "reproduce")]
    pub outdir: Option<PathBuf>,
    /// The beam: one filterbank/PSRFITS file, consecutive files of one
    /// observation, or the two halves of a PALFA Mock beam (each in one or more files).
    /// With `--reproduce`, files to read in place of the recorded inputs.
    #[arg(required_unless_present = "reproduce", num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Search again the beam of the results directory RESULTS_DIR with the
    /// configuration it recorded, and say whether the candidates are the same
    /// and whether the current configuration differs from the recorded one
    /// (exit status 1 when the candidates differ).
    #[arg(long, value_name = "RESULTS_DIR")]
    pub reproduce: Option<PathBuf>,
    /// With `--reproduce`: threads to search with (default: as many as the
    /// recorded search used; the results are bit-identical only then).
    #[arg(long, requires = "reproduce")]
    pub threads: Option<usize>,
    /// Keep the working directory (for debugging).
    #[arg(long)]
    pub keep_workdir: bool,
    /// Memory for one group of dedispersed series and the buffers that make them [MiB].
    #[arg(long, default_value_t = DEFAULT_SERIES_BUDGET >> 20)]
    pub series_budget_mb: u64,
    /// Print the results summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Draws one indicatif bar per stage.
pub struct Bars {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars drawn only when `enabled` (and stderr is a terminal).
    pub fn new(enabled: bool) -> Self {
        Bars {
            enabled,
            current: Mutex::new(None),
        }
    }
}

impl StageProgress for Bars {
    fn start(&self, stage: &str, total: u64) {
        *self.current.lock().expect("bar lock") = Some(progress::bar(total, stage, self.enabled));
    }
    fn set(&self, done: u64) {
        if let Some(b) = &*self.current.lock().expect("bar lock") {
            b.set_position(done);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.current.lock().expect("bar lock").take() {
            b.finish_and_clear();
        }
    }
}

/// The configuration of a search: `--config`/`$PALFA_CONFIG`/`./palfa.toml`, else
/// the built-in one ([`Config::builtin`]: PALFA's defaults, working in a
/// private directory under the system's temporary directory, creating nothing
/// else). Sets rayon's thread count from `processing.num_threads`.
pub fn search_config(cli: &Cli) -> anyhow::Result<Config> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    if cfg.processing.num_threads > 0 {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(cfg.processing.num_threads)
            .build_global();
    }
    Ok(cfg)
}

/// Runs `palfa search`.
pub fn run(cli: &Cli, a: &SearchArgs) -> anyhow::Result<ExitCode> {
    let cfg = search_config(cli)?;
    if let Some(dir) = &a.reproduce {
        return run_reproduce(cli, a, &cfg, dir);
    }
    let outdir = a.outdir.clone().context("--outdir is required")?;
    let job = SearchJob {
        files: a.files.clone(),
        outdir: outdir.clone(),
        searching: cfg.searching.clone(),
        processing: cfg.processing.clone(),
        version: cfg.upload.version_num.clone(),
        keep_workdir: a.keep_workdir,
        series_budget_bytes: a.series_budget_mb << 20,
    };
    let bars = Bars::new(!cli.no_progress);
    let r = run_search(&job, &bars)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "{}: {} DM trials, {} candidates folded, {} single-pulse groups, RFI mask {:.2}%; results in {}",
            r.header.obs_name,
            r.num_dm_trials,
            r.candidates.len(),
            r.single_pulses.groups.len(),
            r.diagnostics.rfi_mask_percentage,
            outdir.display()
        );
        for c in r.candidates.iter().take(10) {
            println!(
                "  #{:<3} P {:>12.6} ms  DM {:>8.2}  z {:>6.1}  sift σ {:>6.2}  fold σ {:>6.2}  {}{}",
                c.cand_num,
                c.period_s * 1e3,
                c.dm,
                c.z,
                c.sifting_sigma,
                c.prepfold_sigma,
                c.search.as_str(),
                if c.impulsive { "  (impulsive)" } else { "" }
            );
        }
        for t in &r.timing {
            println!("  {:<32} {:>9.2} s", t.stage, t.seconds);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `palfa search --reproduce RESULTS_DIR [FILE...]`.
fn run_reproduce(cli: &Cli, a: &SearchArgs, cfg: &Config, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    let opts = ReproduceOptions {
        files: a.files.clone(),
        outdir: a.outdir.clone(),
        series_budget_bytes: a.series_budget_mb << 20,
        threads: a.threads,
        ..ReproduceOptions::new(dir, cfg.searching.clone(), cfg.processing.clone())
    };
    let bars = Bars::new(!cli.no_progress);
    let report = reproduce(&opts, &bars).with_context(|| format!("cannot reproduce {}", dir.display()))?;
    if a.json {
        let v = serde_json::json!({
            "obs_name": report.obs_name,
            "reproduced": report.reproduced(),
            "recorded_candidates": report.recorded_candidates,
            "new_candidates": report.new_candidates,
            "differences": report.differences,
            "config_changed": report.config_changed(),
            "recorded_config_sha256": report.recorded_config_sha256,
            "current_config_sha256": report.current_config_sha256,
            "config_changes": report.config_changes.iter().map(|c| serde_json::json!({
                "key": c.key, "recorded": c.first, "current": c.second,
            })).collect::<Vec<_>>(),
            "recorded_commit": report.recorded_commit,
            "current_commit": report.current_commit,
            "recorded_threads": report.recorded_threads,
            "threads": report.threads,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{report}");
    }
    Ok(if report.reproduced() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
