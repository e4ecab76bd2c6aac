//! `palfa bench`: the end-to-end speed figure.
//!
//! Simulates a PALFA-size beam (or reuses one), searches it exactly as
//! `palfa search` does, in this process, and reports wall time, CPU time,
//! peak memory, the time of each stage, throughput, the speed-up over PRESTO's
//! measured cost (`shared/reference/presto-baseline.md`, scaled to the beam's
//! length) and what the search recovered of the injected signals.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use palfa_core::config::Searching;
use palfa_core::formats::results::SearchResults;
use palfa_core::formats::results::SearchStatus;
use palfa_core::simulate::{simulate, truth_path, Truth};
use palfa_search::dedisp::plan_sum_bytes;
use palfa_search::pipeline::floors::{self, Floors};
use palfa_search::pipeline::{plan_dms, resources, run_search, SearchJob, DEFAULT_SERIES_BUDGET};
use serde::Serialize;

use super::recovery::{self, Recovered};
use super::search::{search_config, Bars};
use super::simulate::{preset_params, Preset};
use crate::{progress, Cli};

/// PRESTO's cost of the whole PALFA recipe on one 25-s beam, one core
/// [core-seconds]: `recipe.sh` run beside palfa on the project's 2-core AMD
/// EPYC and scaled to all 6276 DM trials with PALFA's 100 folds
/// (docs/performance.md, "Round three"). presto-baseline.md's table gave
/// twice as much (39 900 core-s for 268 s): its acceleration search cost was
/// not reproduced on the same kind of machine.
const PRESTO_CORE_S: f64 = 1_760.0;
/// The beam length that figure is for [s].
const PRESTO_BEAM_S: f64 = 25.0;

/// Arguments of `palfa bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The beam to simulate and search.
    #[arg(long, value_enum, default_value = "palfa")]
    pub preset: Preset,
    /// Length of the beam [s] (default: the preset's).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Working directory: the beam, the search's results and the report go here.
    #[arg(long, default_value = "palfa-bench")]
    pub dir: PathBuf,
    /// Search the beam already in DIR (from an earlier run with the same preset) instead of simulating it.
    #[arg(long)]
    pub reuse: bool,
    /// Memory for one group of dedispersed series and the buffers that make them [MiB].
    #[arg(long, default_value_t = DEFAULT_SERIES_BUDGET >> 20)]
    pub series_budget_mb: u64,
    /// Print the report as JSON on standard output (as DIR/bench.json) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One stage's figures.
#[derive(Debug, Serialize)]
struct StageRow {
    stage: String,
    /// Wall seconds (the "(core-s)" rows: CPU seconds summed over threads).
    seconds: f64,
    /// Process CPU seconds during the stage.
    cpu_s: Option<f64>,
    /// Largest resident memory sampled during the stage [MiB].
    peak_rss_mib: Option<f64>,
    /// Work per wall second, in `unit`.
    throughput: Option<f64>,
    unit: Option<&'static str>,
}

/// What `palfa bench` measured (written to DIR/bench.json).
#[derive(Debug, Serialize)]
struct BenchReport {
    cpu: String,
    threads: usize,
    nchans: usize,
    nsamples: u64,
    tsamp_s: f64,
    duration_s: f64,
    dm_trials: u32,
    wall_s: f64,
    cpu_s: f64,
    peak_rss_mib: f64,
    channel_samples_per_s: f64,
    realtime_factor: f64,
    presto_core_s_scaled: f64,
    speedup_per_core: f64,
    speedup_wall_vs_one_presto_core: f64,
    stages: Vec<StageRow>,
    floors: Floors,
    /// The bytes the dedispersion's sums must move (`plan_sum_bytes`) and
    /// their rate over the stage's wall time, against the copy floor.
    dedispersion_traffic: Option<Traffic>,
    recovered: Vec<Recovered>,
}

/// A stage's memory traffic against the copy floor.
#[derive(Debug, Serialize)]
struct Traffic {
    bytes: u64,
    bytes_per_s: f64,
    /// Seconds the same bytes take at the copy floor's rate.
    floor_s: f64,
    /// The stage's wall time over `floor_s`.
    times_floor: f64,
}

/// Runs `palfa bench`.
pub fn run(cli: &Cli, a: &BenchArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let beam = a.dir.join("beam.fil");
    let truth = if a.reuse && truth_path(&beam).is_file() {
        let text = std::fs::read_to_string(truth_path(&beam))?;
        serde_json::from_str::<Truth>(&text).with_context(|| format!("reading {}", truth_path(&beam).display()))?
    } else {
        let mut p = preset_params(a.preset);
        if let Some(d) = a.duration {
            anyhow::ensure!(d > 0.0, "--duration must be positive");
            p.nsamples = (d / p.tsamp_s).round() as u64;
        }
        let total = p.nsamples;
        let bar = progress::bar(total, "simulate", !cli.no_progress);
        let t = simulate(&p, &beam, &|d, _| bar.set_position(d)).context("simulating the beam")?;
        bar.finish_and_clear();
        t
    };
    let p = &truth.params;

    let cfg = search_config(cli)?;
    let outdir = a.dir.join("results");
    if outdir.exists() {
        std::fs::remove_dir_all(&outdir).with_context(|| format!("clearing {}", outdir.display()))?;
    }
    let job = SearchJob {
        files: truth.files.clone(),
        outdir: outdir.clone(),
        searching: cfg.searching.clone(),
        processing: cfg.processing.clone(),
        version: cfg.upload.version_num.clone(),
        keep_workdir: false,
        series_budget_bytes: a.series_budget_mb << 20,
    };
    // The floors, measured before the search on the same machine: a 256-MiB
    // copy on every thread and one thread's real FFTs of the longest series.
    let fft_len = (p.nsamples as usize).next_power_of_two().clamp(1 << 10, 1 << 23);
    let floors = floors::measure(256 << 20, fft_len);
    let bars = Bars::new(!cli.no_progress && !a.json);
    let cpu0 = cpu_seconds();
    let t0 = Instant::now();
    let r = run_search(&job, &bars)?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu0;
    if let SearchStatus::SkippedTooShort { duration_s, min_s } = r.status {
        anyhow::bail!("the beam ({duration_s:.1} s) is shorter than low_T_to_search ({min_s} s): nothing was searched");
    }

    let duration = p.nsamples as f64 * p.tsamp_s;
    let presto = PRESTO_CORE_S * duration / PRESTO_BEAM_S;
    let report = BenchReport {
        cpu: cpu_model(),
        threads: rayon::current_num_threads(),
        nchans: p.nchans,
        nsamples: p.nsamples,
        tsamp_s: p.tsamp_s,
        duration_s: duration,
        dm_trials: r.num_dm_trials,
        wall_s: wall,
        cpu_s: cpu,
        peak_rss_mib: resources::peak_rss_bytes().unwrap_or(0) as f64 / (1u64 << 20) as f64,
        channel_samples_per_s: p.nchans as f64 * p.nsamples as f64 / wall,
        realtime_factor: duration / wall,
        presto_core_s_scaled: presto,
        speedup_per_core: presto / cpu,
        speedup_wall_vs_one_presto_core: presto / wall,
        stages: r
            .timing
            .iter()
            .map(|t| {
                let work = stage_work(&t.stage, p.nchans as f64 * p.nsamples as f64, r.num_dm_trials, &r);
                StageRow {
                    stage: t.stage.clone(),
                    seconds: t.seconds,
                    cpu_s: t.cpu_seconds,
                    peak_rss_mib: t.peak_rss_mib,
                    throughput: work.filter(|_| t.seconds > 0.0).map(|(w, _)| w / t.seconds),
                    unit: work.map(|(_, u)| u),
                }
            })
            .collect(),
        dedispersion_traffic: dedispersion_traffic(&r, &cfg.searching, &truth, &floors)?,
        floors,
        recovered: recovery::compare(&truth, &r),
    };
    let text = serde_json::to_string_pretty(&report)?;
    let json = a.dir.join("bench.json");
    std::fs::write(&json, &text).with_context(|| format!("writing {}", json.display()))?;
    if a.json {
        println!("{text}");
    } else {
        print_report(&report);
        println!("report written to {}", json.display());
    }
    let all = report.recovered.iter().all(|x| x.found.is_some());
    Ok(if all { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(b: &BenchReport) {
    println!(
        "beam: {} channels x {} samples of {:.3} us ({:.1} s), {} DM trials",
        b.nchans,
        b.nsamples,
        b.tsamp_s * 1e6,
        b.duration_s,
        b.dm_trials
    );
    println!("machine: {}, {} threads", b.cpu, b.threads);
    println!("stages (wall seconds; '(core-s)' rows are CPU seconds summed over threads):");
    println!(
        "  {:<36} {:>9} {:>9} {:>10}  throughput",
        "stage", "wall s", "CPU s", "peak MiB"
    );
    let opt = |v: Option<f64>, prec: usize| v.map_or_else(|| "-".to_string(), |x| format!("{x:.prec$}"));
    for s in &b.stages {
        let rate = match (s.throughput, s.unit) {
            (Some(t), Some(u)) => format!("{t:.3e} {u}"),
            _ => String::new(),
        };
        println!(
            "  {:<36} {:>9.1} {:>9} {:>10}  {rate}",
            s.stage,
            s.seconds,
            opt(s.cpu_s, 1),
            opt(s.peak_rss_mib, 0)
        );
    }
    println!(
        "floors: copy {:.1} GB/s ({} threads, read + write), realfft {:.3e} points/s on one thread at {} points",
        b.floors.copy_bytes_per_s / 1e9,
        b.floors.copy_threads,
        b.floors.realfft_points_per_s,
        b.floors.fft_len
    );
    if let Some(t) = &b.dedispersion_traffic {
        println!(
            "dedispersion: its sums move {:.1} GB, {:.1} GB/s; {:.1} s at the copy floor, {:.1}x that",
            t.bytes as f64 / 1e9,
            t.bytes_per_s / 1e9,
            t.floor_s,
            t.times_floor
        );
    }
    println!(
        "total: {:.1} s wall, {:.1} CPU-s, peak RSS {:.0} MiB",
        b.wall_s, b.cpu_s, b.peak_rss_mib
    );
    println!(
        "throughput: {:.3e} channel-samples/s, {:.2}x real time",
        b.channel_samples_per_s, b.realtime_factor
    );
    println!(
        "PRESTO (its recipe measured beside palfa, docs/performance.md, scaled to {:.1} s): {:.0} core-s; palfa is {:.1}x cheaper per core, \
         and {:.1}x faster in wall time than PRESTO on one core",
        b.duration_s, b.presto_core_s_scaled, b.speedup_per_core, b.speedup_wall_vs_one_presto_core
    );
    println!("recovered:");
    recovery::print(&b.recovered, "  ");
}

/// The dedispersion's traffic (the search's plan for this beam, half-precision
/// series) against the copy floor; `None` without a dedispersion stage.
fn dedispersion_traffic(
    r: &SearchResults,
    s: &Searching,
    truth: &Truth,
    floors: &Floors,
) -> anyhow::Result<Option<Traffic>> {
    let Some(t) = r.timing.iter().find(|t| t.stage == "dedispersion" && t.seconds > 0.0) else {
        return Ok(None);
    };
    let h = palfa_core::open_beam(&truth.files)?.header().clone();
    let plan = plan_dms(&h, &s.dedisp).plan;
    let bytes = plan_sum_bytes(&plan, h.nchans, h.nsamples, 2);
    let floor_s = bytes as f64 / floors.copy_bytes_per_s.max(1.0);
    Ok(Some(Traffic {
        bytes,
        bytes_per_s: bytes as f64 / t.seconds,
        floor_s,
        times_floor: t.seconds / floor_s,
    }))
}

/// CPU seconds this process has used so far (0 where unknown).
fn cpu_seconds() -> f64 {
    resources::process_cpu_seconds().unwrap_or(0.0)
}

/// The work a stage did and its unit, for its throughput: raw
/// channel-samples for rfifind, channel-samples × DM trials for the
/// dedispersion (PRESTO's measure), DM trials for the per-DM searches,
/// candidates for the folding.
fn stage_work(stage: &str, channel_samples: f64, dm_trials: u32, r: &SearchResults) -> Option<(f64, &'static str)> {
    match stage {
        "rfifind" | "prepare" => Some((channel_samples, "channel-samples/s")),
        "dedispersion" => Some((channel_samples * dm_trials as f64, "channel-sample-DMs/s")),
        "per-DM searches" => Some((dm_trials as f64, "DM trials/s")),
        "folding" => Some((r.candidates.len() as f64, "folds/s")),
        _ => None,
    }
}

/// The CPU's model name, from /proc/cpuinfo where there is one, else the architecture.
fn cpu_model() -> String {
    palfa_search::pipeline::provenance::cpu_model().unwrap_or_else(|| std::env::consts::ARCH.to_string())
}
