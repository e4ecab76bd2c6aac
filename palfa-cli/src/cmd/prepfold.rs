//! `palfa prepfold`: fold raw data at a period and DM (prepfold equivalent), or
//! re-derive the best profile of an existing `.pfd`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::formats::presto::Pfd;
use palfa_core::names::with_suffix;
use palfa_search::fold::{
    bestprof_from, fold_candidates, plot_fold, write_bestprof, write_pfd, FoldConfig, FoldParams, FoldRequest,
    FoldResult, ImpulsiveRule,
};

use crate::{progress, Cli};

/// Arguments of `palfa prepfold`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["period", "pfd"])))]
pub struct PrepfoldArgs {
    /// Raw data: one filterbank or PSRFITS file, or the two files of a PALFA Mock pair.
    pub files: Vec<PathBuf>,
    /// Period to fold at, at the first sample [s].
    #[arg(long, requires = "dm", requires = "files")]
    pub period: Option<f64>,
    /// Period derivative [s/s].
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub pdot: f64,
    /// DM to fold at [pc cm^-3].
    #[arg(long)]
    pub dm: Option<f64>,
    /// Subbands (default: searching.nsub of the configuration, else 96).
    #[arg(long)]
    pub nsub: Option<usize>,
    /// Sub-integrations (default: PALFA's choice by period).
    #[arg(long)]
    pub npart: Option<usize>,
    /// Profile bins (default: PALFA's choice by period).
    #[arg(long)]
    pub nbins: Option<usize>,
    /// Do not search over DM.
    #[arg(long)]
    pub nodmsearch: bool,
    /// Do not search over period derivative.
    #[arg(long)]
    pub nopdsearch: bool,
    /// Do not search over period.
    #[arg(long)]
    pub nopsearch: bool,
    /// Fold only the whole trials: no search at all.
    #[arg(long)]
    pub nosearch: bool,
    /// An rfifind mask to apply (PRESTO .mask layout). The spectra palfa's
    /// rfifind clipped as impulsive RFI are replaced too when its
    /// `<base>_rfifind.stats.json` is beside the mask (as in `palfa search`;
    /// a PRESTO mask alone clips nothing). The same as dedisperse's --mask.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Clip spectra whose zero-DM sum is this many sigma off (default: searching.rfifind_clip, else 6).
    #[arg(long, conflicts_with = "noclip")]
    pub clip: Option<f64>,
    /// Do not clip the data.
    #[arg(long)]
    pub noclip: bool,
    /// Output base name: writes BASE.pfd, BASE.pfd.bestprof and BASE.pfd.png
    /// (default: <first file stem>_DM<dm>_<period in ms>ms_Cand).
    #[arg(short = 'o', long = "out")]
    pub out: Option<PathBuf>,
    /// Candidate name written into the files.
    #[arg(long)]
    pub candname: Option<String>,
    /// Re-derive the best profile of this .pfd (palfa's or PRESTO's) and print its .bestprof numbers.
    #[arg(long, conflicts_with = "period")]
    pub pfd: Option<PathBuf>,
    /// With --pfd: also draw the fold's plot to this PNG.
    #[arg(long, requires = "pfd")]
    pub plot: Option<PathBuf>,
}

/// Runs `palfa prepfold`.
pub fn run(cli: &Cli, a: &PrepfoldArgs) -> anyhow::Result<ExitCode> {
    if let Some(pfd_path) = &a.pfd {
        return show_pfd(pfd_path, a.plot.as_deref());
    }
    let (Some(period), Some(dm)) = (a.period, a.dm) else {
        bail!("--period and --dm are required to fold raw data");
    };
    if a.files.is_empty() || a.files.len() > 2 {
        bail!("give one data file, or the two files of a Mock pair");
    }
    let mut cfg = FoldConfig::from_searching(&super::setup::load_config(cli.config.as_deref())?.searching);
    cfg.min_sigma = f64::NEG_INFINITY;
    cfg.max_cands = 1;
    if let Some(n) = a.nsub {
        cfg.nsub = n;
    }
    if let Some(c) = a.clip {
        cfg.clip_sigma = c;
    }
    if a.noclip {
        cfg.clip_sigma = 0.0;
    }
    let mut params = FoldParams::palfa_for_period(period);
    if let Some(n) = a.nbins {
        params.nbins = n;
    }
    if let Some(n) = a.npart {
        params.npart = n;
    }
    params.search_dm &= !(a.nodmsearch || a.nosearch);
    params.search_pdot &= !(a.nopdsearch || a.nosearch);
    params.search_p &= !(a.nopsearch || a.nosearch);
    let beam = open_beam(&a.files)?;
    let stem = beam.header().basename();
    let label = a
        .candname
        .clone()
        .unwrap_or_else(|| format!("{:.2}ms_Cand", period * 1e3));
    let base = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{stem}_DM{dm:.2}_{label}")));
    let mut source: Box<dyn SpectraSource> = match &a.mask {
        Some(m) => Box::new(super::rfifind::open_mask(beam, m)?),
        None => beam,
    };
    let request = FoldRequest {
        params: Some(params),
        ..FoldRequest::new(label, period, a.pdot, dm, f64::INFINITY)
    };
    let total = source.header().nsamples;
    let pb = progress::bar(total, "prepfold", !cli.no_progress);
    let t0 = std::time::Instant::now();
    let mut folds = fold_candidates(source.as_mut(), &[request], &cfg, &|done, _| pb.set_position(done))?;
    pb.finish_and_clear();
    let fold = folds.pop().context("nothing was folded")?;
    if let Some(parent) = base.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let pfd_path = with_suffix(&base, ".pfd");
    write_pfd(&fold, &pfd_path)?;
    write_bestprof(&fold, with_suffix(&base, ".pfd.bestprof"))?;
    plot_fold(&fold, with_suffix(&base, ".pfd.png"))?;
    tracing::info!("folded in {:.1} s", t0.elapsed().as_secs_f64());
    print_summary(&fold);
    println!("{}", pfd_path.display());
    Ok(ExitCode::SUCCESS)
}

fn print_summary(f: &FoldResult) {
    let s = &f.summary;
    println!(
        "Best DM {:.3}  P {:.12} ms +/- {:.2e}  P' {:.5e} +/- {:.2e}",
        s.dm,
        s.period_s * 1e3,
        s.period_err_s * 1e3,
        s.pdot,
        s.pdot_err
    );
    println!(
        "Reduced chi-sqr {:.3}  sigma {:.2} (DOF-corrected {:.2})  impulsive: {} (top {} parts hold {:.0}%)",
        s.redchi2,
        s.sigma,
        s.sigma_dof_corrected,
        if f.impulsive { "YES" } else { "no" },
        f.impulsiveness.top_parts,
        100.0 * f.impulsiveness.top_fraction
    );
}

fn show_pfd(path: &Path, plot: Option<&Path>) -> anyhow::Result<ExitCode> {
    let pfd = Pfd::read(path)?;
    let result = FoldResult::from_pfd(pfd, &ImpulsiveRule::default());
    print!("{}", bestprof_from(&result.pfd, &result.summary).to_text());
    if let Some(png) = plot {
        plot_fold(&result, png)?;
    }
    Ok(ExitCode::SUCCESS)
}
