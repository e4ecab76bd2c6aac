//! `palfa rate PFD…`: the ratings of existing folds (palfa's or PRESTO's `.pfd`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palfa_core::formats::presto::Pfd;
use palfa_search::rate::{rate_pfd, RateConfig, RATERS};

use crate::Cli;

/// `palfa rate …`
#[derive(Debug, Args)]
#[command(after_help = "\
Every rater, its version and what its value means: docs/ratings.md.

Examples:
  palfa rate results/beam/*.pfd          one table per fold
  palfa rate --json cand.pfd > r.json    the same as JSON (name, version, value)
  palfa rate --mains-hz 50 cand.pfd      a telescope on 50-Hz mains")]
pub struct RateArgs {
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

/// Runs `palfa rate`.
pub fn run(_cli: &Cli, a: &RateArgs) -> anyhow::Result<ExitCode> {
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
        for (r, info) in ratings.iter().zip(RATERS) {
            let v = r.value.map_or("-".to_string(), |v| format!("{v:.4}"));
            println!(
                "  {:<24} v{:<2} {v:>10}   {}",
                r.name,
                r.version,
                first_clause(info.meaning)
            );
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
