//! `palfa sift`: sift the acceleration-search candidates of a beam into the
//! ranked `.accelcands` list and its diagnostics.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use palfa_search::sift::{sift_all, write_products, CandidateFile, HarmonicTolerance, SiftConfig};

use crate::Cli;

/// Arguments of `palfa sift`.
#[derive(Debug, Args)]
pub struct SiftArgs {
    /// Output base: writes BASE.accelcands, BASE.accelcands.summary, BASE.accelcands.report,
    /// BASE.accelcands.rejects.png and BASE.accelcands.summary.png.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Candidate files written by the pipeline (<base>.candidates.json): a JSON object
    /// {"searched_dms": [...], "candidates": [...]} or a bare array of candidates (see docs/sifting.md).
    #[arg(required = true)]
    pub candidates: Vec<PathBuf>,
    /// Text file of the searched DMs (numbers separated by spaces, commas or newlines);
    /// replaces the DMs in the candidate files.
    #[arg(long)]
    pub dms: Option<PathBuf>,
    /// How the harmonic test's frequency tolerance scales with the ratio.
    #[arg(long, value_enum, default_value_t = ToleranceArg::Scaled)]
    pub harmonic_tolerance: ToleranceArg,
    /// Also write the whole result (candidates, rejects with reasons, counts) as BASE.sift.json.
    #[arg(long)]
    pub json: bool,
}

/// `--harmonic-tolerance` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToleranceArg {
    /// Within r_err bins of the predicted frequency, whatever the ratio (PRESTO HEAD).
    Scaled,
    /// A fixed tolerance on the stronger candidate's frequency (PALFA's 2013 sifting).
    Fixed,
}

/// Runs `palfa sift`.
pub fn run(cli: &Cli, args: &SiftArgs) -> anyhow::Result<ExitCode> {
    let mut cfg = SiftConfig::from_searching(&super::setup::load_config(cli.config.as_deref())?.searching);
    cfg.harmonic_tolerance = match args.harmonic_tolerance {
        ToleranceArg::Scaled => HarmonicTolerance::Scaled,
        ToleranceArg::Fixed => HarmonicTolerance::Fixed,
    };

    let mut all = CandidateFile::default();
    for path in &args.candidates {
        let file = CandidateFile::read(path)?;
        tracing::debug!("{}: {} candidates", path.display(), file.candidates.len());
        all.searched_dms.extend(file.dms_or_candidate_dms());
        all.candidates.extend(file.candidates);
    }
    if let Some(path) = &args.dms {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        all.searched_dms = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<f64>()
                    .with_context(|| format!("{}: {t:?} is not a DM", path.display()))
            })
            .collect::<anyhow::Result<_>>()?;
    }
    let dms = std::mem::take(&mut all.searched_dms);
    let ffa_dms = std::mem::take(&mut all.ffa_searched_dms);
    let (lo, hi, ffa) = all.split_passes();
    let t0 = std::time::Instant::now();
    let result = sift_all(lo, hi, ffa, &dms, &ffa_dms, &cfg)?;
    let sift_s = t0.elapsed().as_secs_f64();

    if let Some(parent) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let products = write_products(&result, &cfg, &args.out)?;
    if args.json {
        let mut path = args.out.as_os_str().to_os_string();
        path.push(".sift.json");
        let path = PathBuf::from(path);
        let text = serde_json::to_string(&result)?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    tracing::info!(
        "sifted {} candidates from {} DMs in {sift_s:.2} s",
        result.num_input,
        result.num_searched_dms
    );
    println!(
        "{} candidates read; {} sifted, {} with sigma >= {}",
        result.num_input, result.num_produced, result.num_above_threshold, result.fold_sigma
    );
    for p in [
        &products.accelcands,
        &products.summary,
        &products.report,
        &products.rejects_png,
        &products.summary_png,
    ] {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}
