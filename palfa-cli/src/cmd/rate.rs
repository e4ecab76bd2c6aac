//! `palfa rate PFD…`: the ratings of existing folds (palfa's or PRESTO's `.pfd`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palfa_core::formats::presto::Pfd;
use palfa_search::rate::{rate_pfd, RateConfig, RATERS};

use crate::Cli;

/// `palfa rate …`
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "\
Every rater, its version and what its value means: docs/ratings.md. The last
rating, score, is the built-in model's (palfa rate train made it).

Examples:
  palfa rate results/beam/*.pfd          one table per fold
  palfa rate --json cand.pfd > r.json    the same as JSON (name, version, value)
  palfa rate --mains-hz 50 cand.pfd      a telescope on 50-Hz mains
  palfa rate train --out model.json      train the score again (docs/ratings.md)"
)]
pub struct RateArgs {
    /// Train the score instead.
    #[command(subcommand)]
    pub command: Option<RateCommand>,
    /// Fold files (`.pfd`).
    #[arg(required = true, value_name = "PFD")]
    pub files: Vec<PathBuf>,
    /// Print one JSON document: {file: [ratings]}.
    #[arg(long)]
    pub json: bool,
    /// The mains frequency at the telescope [Hz].
    #[arg(long, default_value_t = 60.0, value_name = "HZ")]
    pub mains_hz: f64,
}

/// `palfa rate train`.
#[derive(Debug, clap::Subcommand)]
pub enum RateCommand {
    /// Train the score on folds of simulated beams (pulsars, RFI, noise) and
    /// write the model (the built-in one is palfa-search/src/rate/model.json).
    Train(TrainArgs),
}

/// Arguments of `palfa rate train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Where to write the model (JSON).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Simulated beams to train on.
    #[arg(long, default_value_t = 400)]
    pub beams: usize,
    /// Further beams held out for the figures (AUC, false positives).
    #[arg(long, default_value_t = 150)]
    pub test_beams: usize,
    /// Seed of the simulated beams.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The model's version.
    #[arg(long, default_value_t = 1)]
    pub model_version: u32,
    /// Also draw the ROC curves of the score and of sigma alone (PNG).
    #[arg(long, value_name = "PNG")]
    pub roc: Option<PathBuf>,
    /// Directory for the simulated beams (each removed once folded).
    #[arg(long, default_value = "palfa-train")]
    pub dir: PathBuf,
}

/// Runs `palfa rate`.
pub fn run(cli: &Cli, a: &RateArgs) -> anyhow::Result<ExitCode> {
    if let Some(RateCommand::Train(t)) = &a.command {
        return train(cli, t);
    }
    if !(a.mains_hz.is_finite() && a.mains_hz > 0.0) {
        anyhow::bail!("--mains-hz must be a positive frequency, not {}", a.mains_hz);
    }
    let cfg = RateConfig { mains_hz: a.mains_hz };
    let mut failed = false;
    let mut doc = serde_json::Map::new();
    for f in &a.files {
        let ratings = match Pfd::read(f) {
            Ok(pfd) => rate_pfd(&pfd, &cfg),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
                continue;
            }
        };
        if a.json {
            doc.insert(f.display().to_string(), serde_json::to_value(&ratings)?);
            continue;
        }
        println!("{}", f.display());
        for r in &ratings {
            let v = r.value.map_or("-".to_string(), |v| format!("{v:.4}"));
            let meaning = RATERS
                .iter()
                .find(|i| i.name == r.name)
                .map_or("pulsar-likeness in [0, 1] from the ratings (palfa rate train)", |i| {
                    first_clause(i.meaning)
                });
            println!("  {:<24} v{:<2} {v:>10}   {meaning}", r.name, r.version);
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// The meaning up to its first colon (what is measured, not how to read it).
fn first_clause(s: &str) -> &str {
    s.split(':').next().unwrap_or(s)
}

fn train(cli: &Cli, t: &TrainArgs) -> anyhow::Result<ExitCode> {
    use palfa_search::rate::train::{plot_roc, train};
    if t.beams < 10 || t.test_beams < 10 {
        anyhow::bail!("--beams and --test-beams must be at least 10");
    }
    std::fs::create_dir_all(&t.dir).map_err(|e| anyhow::anyhow!("cannot make {}: {e}", t.dir.display()))?;
    let total = (t.beams + t.test_beams) as u64;
    let bar = crate::progress::bar(total, "beams", !cli.no_progress);
    let report = train(t.seed, t.beams, t.test_beams, t.model_version, &t.dir, &|d, _| {
        bar.set_position(d as u64)
    })?;
    bar.finish_and_clear();
    let fp: Vec<String> = report
        .false_positives
        .iter()
        .map(|(k, n, of)| format!("{k:?} {n}/{of}"))
        .collect();
    let mut model = report.model.clone();
    model.trained = format!(
        "palfa rate train --beams {} --test-beams {} --seed {} --model-version {} (palfa {}): trained on {} pulsar and \
         {} other folds; held out {} pulsar and {} other folds: AUC {:.4} (prepfold sigma alone {:.4}); held-out \
         non-pulsars above 0.5: {}",
        t.beams,
        t.test_beams,
        t.seed,
        t.model_version,
        env!("CARGO_PKG_VERSION"),
        report.train_folds.0,
        report.train_folds.1,
        report.test_folds.0,
        report.test_folds.1,
        report.auc_score,
        report.auc_sigma,
        fp.join(", ")
    );
    std::fs::write(&t.out, serde_json::to_string_pretty(&model)? + "\n")
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", t.out.display()))?;
    if let Some(png) = &t.roc {
        plot_roc(&report, png)?;
    }
    println!("{}", model.trained);
    println!("model written to {}", t.out.display());
    Ok(ExitCode::SUCCESS)
}
