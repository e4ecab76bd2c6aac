//! `palfa report`: write the HTML report (`report.html`) of results directories.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palfa_search::report::write_report_for_dir;

use crate::Cli;

/// Arguments of `palfa report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Results directories (each holding the results.json of `palfa search`);
    /// writes DIR/report.html in each and prints its path.
    #[arg(required = true, num_args = 1.., value_name = "RESULTS_DIR")]
    pub dirs: Vec<PathBuf>,
}

/// Runs `palfa report`: every directory is tried; exit code 1 if any failed
/// (each failure on stderr, naming its directory).
pub fn run(_cli: &Cli, a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let mut failed = 0usize;
    for dir in &a.dirs {
        match write_report_for_dir(dir) {
            Ok(path) => println!("{}", path.display()),
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: cannot write its report: {e}", dir.display());
            }
        }
    }
    if failed == 0 {
        return Ok(ExitCode::SUCCESS);
    }
    if a.dirs.len() > 1 {
        eprintln!("error: {failed} of {} reports not written", a.dirs.len());
    }
    Ok(ExitCode::FAILURE)
}
