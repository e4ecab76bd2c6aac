//! `palfa resultsdb create` and `palfa resultsdb query`: the results database.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use palfa_tracker::resultsdb::{self, build, query, schema};

use crate::Cli;

/// `palfa resultsdb …`
#[derive(Debug, Subcommand)]
pub enum ResultsDbCommand {
    /// Create (or bring up to date) the results database's schema ([commondb]); does nothing if it is current.
    Create,
    /// List the best candidates of the survey (period, DM, sigma, beam), best first.
    Query(QueryArgs),
    /// Print the version string this build stores with every beam (upload.version_num overrides it).
    Version,
}

/// Arguments of `palfa resultsdb query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// How many candidates.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Only candidates with at least this prepfold sigma.
    #[arg(long)]
    pub min_sigma: Option<f64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs a `resultsdb` subcommand.
pub fn run(cli: &Cli, cmd: &ResultsDbCommand) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    if let ResultsDbCommand::Version = cmd {
        println!("{}", build::effective_version_num(&cfg.upload));
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = resultsdb::open(&cfg.commondb)?;
    let where_ = store.describe();
    match cmd {
        ResultsDbCommand::Create => {
            let (before, after) = schema::create(store.as_mut())?;
            if before == after {
                println!("{where_}: schema version {after} is current; nothing done");
            } else if before == 0 {
                println!("{where_}: created (schema version {after})");
            } else {
                println!("{where_}: migrated from schema version {before} to {after}");
            }
        }
        ResultsDbCommand::Query(a) => {
            schema::check(store.as_mut())?;
            let best = query::best_candidates(store.as_mut(), a.limit, a.min_sigma)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&best)?);
            } else if best.is_empty() {
                println!("no candidates in {where_}");
            } else {
                println!(
                    "{:>6} {:>8} {:>14} {:>10} {:>8}  {:<40} {:>4}  known",
                    "score", "sigma", "period [ms]", "DM", "presto", "beam", "cand"
                );
                for c in &best {
                    let score = c.score.map_or("-".to_string(), |v| format!("{v:.3}"));
                    println!(
                        "{score:>6} {:>8.2} {:>14.6} {:>10.2} {:>8.2}  {:<40} {:>4}  {}",
                        c.prepfold_sigma,
                        c.period_s * 1e3,
                        c.dm,
                        c.presto_sigma,
                        c.beam,
                        c.cand_num,
                        c.known_tag().unwrap_or_else(|| "-".into())
                    );
                }
            }
        }
        ResultsDbCommand::Version => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}
