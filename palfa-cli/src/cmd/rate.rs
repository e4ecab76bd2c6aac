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
  palfa rate train --out model.json      train the score again (docs/ratings.md)
  palfa rate evaluate --beams 60         search unseen simulated beams, rank by score"
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
    /// Search simulated beams unlike the training ones end to end and report
    /// whether each pulsar folding above 8 sigma is in the top 3 by score.
    Evaluate(EvaluateArgs),
}

/// Arguments of `palfa rate evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Beams to simulate and search (each 30 s; about 10 s of search each on 2 cores).
    #[arg(long, default_value_t = 60)]
    pub beams: usize,
    /// The first beam's number (to resume or to split the work).
    #[arg(long, default_value_t = 0)]
    pub first: usize,
    /// Seed of the beams.
    #[arg(long, default_value_t = 2)]
    pub seed: u64,
    /// Directory for the beams and their searches (each removed once judged).
    #[arg(long, default_value = "palfa-evaluate")]
    pub dir: PathBuf,
    /// Keep each beam's results directory (DIR/eval_N/results: folds, plots)
    /// and its truth, to look at what was ranked where.
    #[arg(long)]
    pub keep: bool,
    /// Also write every beam's outcome as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Search nothing: rank the folds of an earlier `--json` output again,
    /// scored by `--model` (the ratings do not depend on the model).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// With `--from`: the model to score with (default: the built-in one).
    #[arg(long, value_name = "FILE", requires = "from")]
    pub model: Option<PathBuf>,
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
    /// Beams of `palfa rate evaluate`'s family (seed + 1000, so never the
    /// beams it evaluates on by default) searched end to end; their folds
    /// are trained on too: noise peaks and RFI as a search finds them.
    #[arg(long, default_value_t = 50)]
    pub searched_beams: usize,
    /// Take the searched beams' folds from `palfa rate evaluate --seed
    /// SEED+1000 --beams N --json FILE` instead of searching them again
    /// (from the same folds, the same model).
    #[arg(long, value_name = "FILE")]
    pub searched_from: Option<PathBuf>,
}

/// `palfa rate train --seed S` searches the beams of `palfa rate evaluate
/// --seed S+1000`.
const SEARCHED_SEED_OFFSET: u64 = 1000;

/// Runs `palfa rate`.
pub fn run(cli: &Cli, a: &RateArgs) -> anyhow::Result<ExitCode> {
    if let Some(RateCommand::Train(t)) = &a.command {
        return train(cli, t);
    }
    if let Some(RateCommand::Evaluate(e)) = &a.command {
        return evaluate(cli, e);
    }
    if !(a.mains_hz.is_finite() && a.mains_hz > 0.0) {
        anyhow::bail!("--mains-hz must be a positive frequency, not {}", a.mains_hz);
    }
    let cfg = RateConfig::new(a.mains_hz);
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
    let searched = if let Some(from) = &t.searched_from {
        let r: palfa_search::rate::evaluate::EvalReport = read_json(from, "an evaluation")?;
        if r.beams.len() != t.searched_beams {
            anyhow::bail!(
                "{} holds {} beams, not --searched-beams {}",
                from.display(),
                r.beams.len(),
                t.searched_beams
            );
        }
        palfa_search::rate::train::searched_folds(&r)
    } else if t.searched_beams > 0 {
        let r = search_family(
            cli,
            t.seed + SEARCHED_SEED_OFFSET,
            0..t.searched_beams,
            &t.dir,
            false,
            "searched beams",
        )?;
        palfa_search::rate::train::searched_folds(&r)
    } else {
        Vec::new()
    };
    let total = (t.beams + t.test_beams) as u64;
    let bar = crate::progress::bar(total, "beams", !cli.no_progress);
    let report = train(
        t.seed,
        t.beams,
        t.test_beams,
        t.model_version,
        &t.dir,
        &searched,
        &|d, _| bar.set_position(d as u64),
    )?;
    bar.finish_and_clear();
    let fp: Vec<String> = report
        .false_positives
        .iter()
        .map(|(k, n, of)| format!("{k:?} {n}/{of}"))
        .collect();
    let mut model = report.model.clone();
    model.trained = format!(
        "palfa rate train --beams {} --test-beams {} --searched-beams {} --seed {} --model-version {} (palfa {}): trained \
         on {} pulsar and {} other folds ({} of them from searched beams); held out {} pulsar and {} other folds: AUC {:.4} (prepfold sigma alone {:.4}); held-out \
         non-pulsars above 0.5: {}",
        t.beams,
        t.test_beams,
        t.searched_beams,
        t.seed,
        t.model_version,
        env!("CARGO_PKG_VERSION"),
        report.train_folds.0,
        report.train_folds.1,
        searched.len(),
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

fn evaluate(cli: &Cli, e: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    use palfa_search::rate::evaluate::{EvalReport, SCORE_THRESHOLD, SIGMA_MUST_RANK, TOP};
    use palfa_search::rate::score::{builtin_model, ScoreModel};
    if e.beams == 0 {
        anyhow::bail!("--beams must be at least 1");
    }
    let report = if let Some(from) = &e.from {
        let saved: EvalReport = read_json(from, "an evaluation")?;
        let model = match &e.model {
            Some(m) => {
                let model: ScoreModel = read_json(m, "a model")?;
                if !model.matches_features() {
                    anyhow::bail!("{} was trained on other features than this palfa computes", m.display());
                }
                model
            }
            None => builtin_model().clone(),
        };
        saved.rescore(&model)
    } else {
        search_family(cli, e.seed, e.first..e.first + e.beams, &e.dir, e.keep, "beams")?
    };
    println!(
        "beam  chans  pulsars (P ms, DM, S/N: fold sigma, rank by score, by sigma)  folds  others>{SCORE_THRESHOLD}"
    );
    for b in &report.beams {
        let ps: Vec<String> = b
            .pulsars
            .iter()
            .map(|p| {
                let r = |x: Option<usize>| x.map_or("-".into(), |r| r.to_string());
                format!(
                    "{:.2} ms, {:.0}, {:.0}: {}, #{}, #{}",
                    p.period_s * 1e3,
                    p.dm,
                    p.snr,
                    p.sigma.map_or("not folded".into(), |s| format!("{s:.1}")),
                    r(p.rank),
                    r(p.rank_by_sigma)
                )
            })
            .collect();
        let mark = if b.counts() && !b.passes() { "  <- missed" } else { "" };
        println!(
            "{:>4}  {:>5}  {:<60}  {:>5}  {:>3}{mark}",
            b.beam,
            b.nchans,
            if ps.is_empty() {
                "none".to_string()
            } else {
                ps.join("; ")
            },
            b.folds,
            b.others_above_threshold
        );
    }
    let (n, ok) = report.ranked_beams();
    let (_, ok_sigma) = report.ranked_beams_by_sigma();
    let (np, folded, strong) = report.pulsars();
    let (ne, nf, above, most, max_sigma) = report.empty_beams();
    let pct = |a: usize, b: usize| if b == 0 { 0.0 } else { 100.0 * a as f64 / b as f64 };
    println!();
    println!("pulsars: {np} injected, {folded} folded, {strong} above {SIGMA_MUST_RANK} sigma");
    println!(
        "beams with a pulsar above {SIGMA_MUST_RANK} sigma: {n}; every such pulsar in the top {TOP} by score in {ok} \
         ({:.1} %), by sigma alone in {ok_sigma} ({:.1} %)",
        pct(ok, n),
        pct(ok_sigma, n)
    );
    println!(
        "noise-and-RFI-only beams: {ne}, {nf} folds, {above} above score {SCORE_THRESHOLD} (at most {most} in one beam), \
         highest fold sigma {max_sigma:.1}"
    );
    if let Some(path) = &e.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")
            .map_err(|err| anyhow::anyhow!("cannot write {}: {err}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads the JSON file `path`, which should hold `what`.
fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path, what: &str) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|err| anyhow::anyhow!("cannot read {}: {err}", path.display()))?;
    serde_json::from_str(&text).map_err(|err| anyhow::anyhow!("{} is not {what}: {err}", path.display()))
}

/// Simulates and searches `beams` of `palfa rate evaluate`'s family with
/// `seed` in `dir`, with the configured `[searching]`, showing progress as `label`.
fn search_family(
    cli: &Cli,
    seed: u64,
    beams: std::ops::Range<usize>,
    dir: &std::path::Path,
    keep_results: bool,
    label: &str,
) -> anyhow::Result<palfa_search::rate::evaluate::EvalReport> {
    use palfa_search::rate::evaluate::{evaluate, EvalConfig};
    let cfg = crate::cmd::setup::load_config(cli.config.as_deref())?;
    std::fs::create_dir_all(dir).map_err(|err| anyhow::anyhow!("cannot make {}: {err}", dir.display()))?;
    let ec = EvalConfig {
        seed,
        first: beams.start,
        beams: beams.len(),
        searching: cfg.searching,
        processing: cfg.processing,
        dir: dir.to_path_buf(),
        keep_results,
    };
    let bar = crate::progress::bar(ec.beams as u64, label, !cli.no_progress);
    let report = evaluate(&ec, &|d, _| bar.set_position(d as u64))?;
    bar.finish_and_clear();
    Ok(report)
}
