//! `palfa ddplan` (the dedispersion plan of a beam) and `palfa dedisperse`
//! (PRESTO prepsubband's job: `.dat` + `.inf` per trial DM).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::config::{Config, DdplanChoice};
use palfa_search::ddplan::{Band, DmPass, DmPlan};
use palfa_search::dedisp::{
    dedisperse_passes, dedisperse_plan_prepared, ChannelScaling, DedispConfig, PrepareOptions, PreparedBeam,
    Replacements,
};

use crate::{progress, Cli};

/// Arguments of `palfa ddplan`.
#[derive(Debug, Args)]
pub struct DdplanArgs {
    /// The beam (one file, or a Mock pair).
    #[arg(required = true, num_args = 1..=2)]
    pub files: Vec<PathBuf>,
    /// Always use the planner (not PALFA's plan for Mock beams).
    #[arg(long)]
    pub auto: bool,
    /// Lowest and highest DM of the planner.
    #[arg(long)]
    pub lodm: Option<f64>,
    /// Highest DM of the planner.
    #[arg(long)]
    pub hidm: Option<f64>,
    /// Subbands.
    #[arg(long)]
    pub nsub: Option<usize>,
    /// Also write the plan as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Arguments of `palfa dedisperse`.
#[derive(Debug, Args)]
pub struct DedisperseArgs {
    /// The beam (one file, or a Mock pair).
    #[arg(required = true, num_args = 1..=2)]
    pub files: Vec<PathBuf>,
    /// Output base: series are written as `<base>_DM<dm>.dat/.inf`.
    #[arg(short, long)]
    pub out: PathBuf,
    /// First trial DM (with --dmstep and --numdms: one pass of your own; default: the plan).
    #[arg(long)]
    pub lodm: Option<f64>,
    /// DM spacing.
    #[arg(long, default_value_t = 1.0)]
    pub dmstep: f64,
    /// Number of trial DMs.
    #[arg(long, default_value_t = 1)]
    pub numdms: usize,
    /// Downsampling factor (own pass only).
    #[arg(long, default_value_t = 1)]
    pub downsamp: usize,
    /// Subbands (own pass only; default: the configuration's nsub).
    #[arg(long)]
    pub nsub: Option<usize>,
    /// An rfifind mask to apply (PRESTO .mask layout). The spectra palfa's
    /// rfifind clipped as impulsive RFI are replaced too when its
    /// `<base>_rfifind.stats.json` is beside the mask (as in `palfa search`;
    /// a PRESTO mask alone clips nothing). The same as prepfold's --mask.
    #[arg(long)]
    pub mask: Option<PathBuf>,
    /// Subtract each spectrum's mean (zero-DM filter).
    #[arg(long)]
    pub zerodm: bool,
}

fn config(cli: &Cli) -> anyhow::Result<Config> {
    super::setup::load_config(cli.config.as_deref())
}

/// Runs `palfa ddplan`.
pub fn run_ddplan(cli: &Cli, a: &DdplanArgs) -> anyhow::Result<ExitCode> {
    let mut p = config(cli)?.searching.dedisp;
    if a.auto {
        p.ddplan = DdplanChoice::Auto;
    }
    if let Some(v) = a.lodm {
        p.min_dm = v;
    }
    if let Some(v) = a.hidm {
        p.max_dm = v;
    }
    if let Some(v) = a.nsub {
        p.nsub = v;
    }
    let beam = open_beam(&a.files)?;
    let h = beam.header();
    let plan = DmPlan::for_beam(h, &p);
    print!("{}", plan.table(Band::of(h)));
    if let Some(j) = &a.json {
        std::fs::write(j, serde_json::to_string_pretty(&plan)?).with_context(|| format!("writing {}", j.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `palfa dedisperse`.
pub fn run_dedisperse(cli: &Cli, a: &DedisperseArgs) -> anyhow::Result<ExitCode> {
    let cfg = config(cli)?;
    let mut src: Box<dyn SpectraSource> = open_beam(&a.files)?;
    let mut replaced = Replacements::none();
    if let Some(m) = &a.mask {
        let masked = super::rfifind::open_mask(src, m)?;
        replaced = masked.replacements();
        src = Box::new(masked);
    }
    let h = src.header().clone();
    let scaling = ChannelScaling::measure(src.as_mut())?;
    let dcfg = DedispConfig {
        zerodm: a.zerodm || cfg.searching.use_zerodm,
        ..DedispConfig::default()
    };
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let base = a.out.to_string_lossy().into_owned();
    let out_dir = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
        .to_path_buf();
    let mut written = 0usize;
    let mut write = |series: Vec<palfa_search::TimeSeries>| -> palfa_search::SearchResult<()> {
        for mut s in series {
            let name = format!("{base}_DM{:.2}", s.info.dm);
            s.info.basename = std::path::Path::new(&name)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            s.write(&name)?;
            written += 1;
        }
        Ok(())
    };
    let pb = progress::bar(1, "dedisperse", !cli.no_progress);
    if let Some(lodm) = a.lodm {
        let dms: Vec<f64> = (0..a.numdms)
            .map(|i| palfa_search::ddplan::round_dm(lodm + i as f64 * a.dmstep))
            .collect();
        let pass = DmPass {
            step: 0,
            pass: 0,
            subdm: 0.5 * (dms[0] + dms[dms.len() - 1]),
            dms,
            nsub: a.nsub.unwrap_or(cfg.searching.dedisp.nsub),
            downsamp: a.downsamp,
        };
        let out = dedisperse_passes(src.as_mut(), &[pass], &scaling, &dcfg, &|d, t| {
            pb.set_length(t);
            pb.set_position(d)
        })?;
        write(out.into_iter().flatten().collect())?;
    } else {
        // The whole plan: the beam read once (spilled beside the output
        // when large), then dedispersed group by group.
        let plan = DmPlan::for_beam(&h, &cfg.searching.dedisp);
        let opts = PrepareOptions {
            spill_dir: out_dir,
            ..PrepareOptions::default()
        };
        pb.set_message("read");
        let beam = PreparedBeam::prepare(src.as_mut(), replaced, &opts, &|d, t| {
            pb.set_length(t);
            pb.set_position(d)
        })?;
        pb.set_message("dedisperse");
        dedisperse_plan_prepared::<palfa_search::TimeSeries>(
            &beam,
            &plan,
            &scaling,
            &dcfg,
            1 << 30,
            &mut write,
            &|d, t| {
                pb.set_length(t);
                pb.set_position(d)
            },
        )?;
    }
    pb.finish_and_clear();
    println!("wrote {written} series as {base}_DM*.dat/.inf");
    Ok(ExitCode::SUCCESS)
}
