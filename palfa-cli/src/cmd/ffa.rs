//! `palfa ffa FILE.dat`: the FFA search of one time series, writing its
//! periodogram (`<base>_ffa.txt`) and plot (`<base>_ffa.png`) beside it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palfa_core::names::presto_base;
use palfa_search::ffa::{plan, plot_periodogram, FfaConfig, FfaSearcher};
use palfa_search::TimeSeries;

use crate::Cli;

/// Arguments of `palfa ffa`.
#[derive(Debug, Args)]
pub struct FfaArgs {
    /// The time series (PRESTO .dat with its .inf beside it).
    pub file: PathBuf,
    /// Shortest trial period [s] (default: the configuration's [searching.ffa]).
    #[arg(long)]
    pub min_period: Option<f64>,
    /// Longest trial period [s]; at most a tenth of the series is searched.
    #[arg(long)]
    pub max_period: Option<f64>,
    /// Fewest bins of a folded profile.
    #[arg(long)]
    pub bins_min: Option<usize>,
    /// One more than the most bins of a folded profile.
    #[arg(long)]
    pub bins_max: Option<usize>,
    /// Widest boxcar as a fraction of the period.
    #[arg(long)]
    pub max_duty: Option<f64>,
    /// Width of the de-reddening running median [s].
    #[arg(long)]
    pub rmed_width: Option<f64>,
    /// S/N from which a peak is reported.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Peaks reported at most.
    #[arg(long)]
    pub max_peaks: Option<usize>,
    /// Directory for the periodogram and plot (default: beside the input).
    #[arg(long, short)]
    pub outdir: Option<PathBuf>,
    /// Print the peaks as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs `palfa ffa`.
pub fn run(cli: &Cli, a: &FfaArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let mut fcfg = FfaConfig::from(&cfg.searching.ffa);
    if let Some(v) = a.min_period {
        fcfg.min_period_s = v;
    }
    if let Some(v) = a.max_period {
        fcfg.max_period_s = v;
    }
    if let Some(v) = a.bins_min {
        fcfg.bins_min = v;
    }
    if let Some(v) = a.bins_max {
        fcfg.bins_max = v;
    }
    if let Some(v) = a.max_duty {
        fcfg.max_duty = v;
    }
    if let Some(v) = a.rmed_width {
        fcfg.rmed_width_s = v;
    }
    if let Some(v) = a.threshold {
        fcfg.snr_threshold = v;
    }
    if let Some(v) = a.max_peaks {
        fcfg.max_peaks = v;
    }
    let searcher = FfaSearcher::new(fcfg.clone())?;
    let ts = TimeSeries::read(&a.file)?;
    let steps = plan(ts.data.len(), ts.info.dt, &fcfg);
    let t0 = std::time::Instant::now();
    let pgram = searcher.search(&ts)?;
    let elapsed = t0.elapsed().as_secs_f64();
    let peaks = pgram.peaks(fcfg.snr_threshold, fcfg.max_peaks);

    let base_in = presto_base(&a.file);
    let base = match &a.outdir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.join(base_in.file_name().unwrap_or_default())
        }
        None => base_in.clone(),
    };
    let txt = palfa_core::names::with_suffix(&base, "_ffa.txt");
    let png = palfa_core::names::with_suffix(&base, "_ffa.png");
    pgram.write_text(&txt)?;
    let title = format!(
        "{}  DM {:.2}  T {:.1} s  FFA {:.3}-{:.3} s",
        base.file_name().unwrap_or_default().to_string_lossy(),
        pgram.dm,
        pgram.t_obs_s,
        steps.first().map_or(0.0, |s| s.period_lo_s()),
        steps.last().map_or(0.0, |s| s.period_hi_s()),
    );
    plot_periodogram(&pgram, &peaks, fcfg.snr_threshold, &title, &png)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&peaks)?);
    } else {
        println!(
            "{}: N = {}, T = {:.3} s, DM {}; {} trial periods {:.4}-{:.4} s in {} steps ({:.3} s)",
            a.file.display(),
            ts.data.len(),
            pgram.t_obs_s,
            pgram.dm,
            pgram.len(),
            pgram.periods_s.first().copied().unwrap_or(0.0),
            pgram.periods_s.last().copied().unwrap_or(0.0),
            steps.len(),
            elapsed
        );
        if !peaks.is_empty() {
            println!(
                "{:>4} {:>8} {:>14} {:>12} {:>10} {:>7}",
                "peak", "S/N", "period (s)", "freq (Hz)", "width (ms)", "duty"
            );
            for (i, p) in peaks.iter().enumerate() {
                println!(
                    "{:>4} {:>8.2} {:>14.7} {:>12.7} {:>10.2} {:>6.2}%",
                    i + 1,
                    p.snr,
                    p.period_s,
                    1.0 / p.period_s,
                    1e3 * p.width_s,
                    100.0 * p.duty
                );
            }
        }
        println!(
            "{} peaks above S/N {}; periodogram {}, plot {}",
            peaks.len(),
            fcfg.snr_threshold,
            txt.display(),
            png.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
