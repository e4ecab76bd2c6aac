//! `palfa singlepulse FILE.dat…`: single-pulse search of PRESTO time series
//! (what `single_pulse_search.py` does): a `.singlepulse` file beside each
//! series, a combined plot, and the brightest groups of events across DMs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palfa_core::names::presto_base;
use palfa_search::singlepulse::{
    group_events, plot_singlepulse, search_files, Detrend, SinglePulseConfig, SinglePulseEvent,
};

use crate::{progress, Cli};

/// Arguments of `palfa singlepulse`.
#[derive(Debug, Args)]
pub struct SinglePulseArgs {
    /// PRESTO time series: `.dat` files with their `.inf` beside them (the base name also works).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Detection threshold [sigma] (default: the configuration's searching.singlepulse_threshold, PALFA 5).
    #[arg(long, short = 't')]
    pub threshold: Option<f64>,
    /// Widest boxcar [s] (default: searching.singlepulse_maxwidth, PALFA 0.1).
    #[arg(long, short = 'm')]
    pub maxwidth: Option<f64>,
    /// Plot events at or above this [sigma] (default: searching.singlepulse_plot_SNR, PALFA 6).
    #[arg(long)]
    pub plot_snr: Option<f64>,
    /// The combined plot (default: <base>_singlepulse.png beside the first file, <base> up to "_DM").
    #[arg(long, short = 'o')]
    pub plot: Option<PathBuf>,
    /// Do not draw the plot.
    #[arg(long, conflicts_with = "plot")]
    pub no_plot: bool,
    /// Samples per detrending block (default 1000, as PRESTO).
    #[arg(long)]
    pub detrend_len: Option<usize>,
    /// Subtract each block's median instead of a straight line (PRESTO's -f).
    #[arg(long)]
    pub fast: bool,
    /// Keep blocks whose noise level is an outlier (PRESTO's -b).
    #[arg(long)]
    pub no_bad_blocks: bool,
    /// Do not refit the blocks under bright, wide events (PRESTO's result).
    #[arg(long)]
    pub no_refit: bool,
    /// Print this many of the brightest groups of events across DMs.
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
}

/// Runs `palfa singlepulse`.
pub fn run(cli: &Cli, a: &SinglePulseArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = SinglePulseConfig::from(&super::setup::load_config(cli.config.as_deref())?.searching.singlepulse);
    if let Some(t) = a.threshold {
        cfg.threshold = t;
    }
    if let Some(m) = a.maxwidth {
        cfg.maxwidth_s = m;
    }
    if let Some(p) = a.plot_snr {
        cfg.plot_snr = p;
    }
    if let Some(d) = a.detrend_len {
        cfg.detrend_len = d;
    }
    if a.fast {
        cfg.detrend = Detrend::Median;
    }
    if a.no_bad_blocks {
        cfg.bad_blocks = false;
    }
    if a.no_refit {
        cfg.refit_bright = false;
    }
    cfg.check(1.0).context("invalid single-pulse settings")?;

    let pb = progress::bar(a.files.len() as u64, "singlepulse", !cli.no_progress);
    let t0 = std::time::Instant::now();
    let results = search_files(&a.files, &cfg, &|| pb.inc(1));
    pb.finish_and_clear();

    let mut failed = 0;
    let mut events: Vec<SinglePulseEvent> = Vec::new();
    let mut dms = Vec::new();
    let mut samples = 0u64;
    for (path, r) in a.files.iter().zip(&results) {
        match r {
            Ok(out) => {
                let (bad, blocks) = out.rejected_blocks;
                tracing::info!(
                    "{}: {} events, {bad} of {blocks} blocks rejected",
                    out.singlepulse.display(),
                    out.events.len()
                );
                events.extend_from_slice(&out.events);
                dms.push(out.info.dm);
                samples += out.info.n;
            }
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                failed += 1;
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "searched {} of {} series ({:.3e} samples) in {secs:.2} s: {} events above {} sigma",
        results.len() - failed,
        results.len(),
        samples as f64,
        events.len(),
        cfg.threshold
    );

    let groups = group_events(&events, &dms);
    if a.groups > 0 && !groups.is_empty() {
        println!("brightest groups (one pulse across neighbouring DMs):");
        println!("  sigma      DM   time (s)  width  DMs  DM range");
        for g in groups.iter().take(a.groups) {
            println!(
                "{:7.2} {:7.2} {:10.6} {:6} {:4}  {:.2}-{:.2}",
                g.best.sigma, g.best.dm, g.best.time_s, g.best.downfact, g.n_dms, g.dm_min, g.dm_max
            );
        }
    }

    if !a.no_plot && failed < results.len() {
        let (plot, title) = plot_target(a.plot.as_deref(), &a.files[0]);
        plot_singlepulse(&events, cfg.plot_snr, &plot, &title)?;
        println!("{}", plot.display());
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The plot's path and title: `<base>_singlepulse.png` with `<base>` the first
/// series' name up to `_DM` (as PRESTO names its plot), unless given.
fn plot_target(given: Option<&Path>, first: &Path) -> (PathBuf, String) {
    let base = presto_base(first);
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short = match name.find("_DM") {
        Some(i) => name[..i].to_string(),
        None => name,
    };
    let path = given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| base.with_file_name(format!("{short}_singlepulse.png")));
    (path, short)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plot_is_named_like_prestos() {
        let (p, t) = plot_target(None, Path::new("/d/beam_DM12.30.dat"));
        assert_eq!(p, PathBuf::from("/d/beam_singlepulse.png"));
        assert_eq!(t, "beam");
        let (p, _) = plot_target(Some(Path::new("x.png")), Path::new("beam_DM1.00.dat"));
        assert_eq!(p, PathBuf::from("x.png"));
    }
}
