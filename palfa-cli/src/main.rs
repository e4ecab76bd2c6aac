//! The `palfa` command-line tool: a thin front end over the palfa libraries.
//!
//! Each subcommand lives in its own module under `cmd/`; this file only parses
//! the command line, sets up logging and prints errors.

mod cmd;
mod logging;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// palfa: an end-to-end radio pulsar survey pipeline.
#[derive(Debug, Parser)]
#[command(name = "palfa", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: $PALFA_CONFIG, else ./palfa.toml, else built-in defaults).
    #[arg(long, global = true, env = "PALFA_CONFIG")]
    pub config: Option<PathBuf>,
    /// More log output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less log output (warnings and errors only).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Never draw progress bars.
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Periodicity search of one time series: FFT, rednoise, zapping and acceleration search (writes <base>_ACCEL_<zmax>).
    Accelsearch(Box<cmd::accelsearch::AccelsearchArgs>),
    /// Check or create configuration files.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Print the header and a summary of data files.
    Inspect(cmd::inspect::InspectArgs),
    /// Write a synthetic beam with injected pulsars, single pulses and RFI (truth as JSON beside it).
    Simulate(Box<cmd::simulate::SimulateArgs>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.quiet);
    let result = match &cli.command {
        Command::Accelsearch(a) => cmd::accelsearch::run(&cli, a),
        Command::Config(c) => cmd::config::run(&cli, c),
        Command::Inspect(a) => cmd::inspect::run(&cli, a),
        Command::Simulate(a) => cmd::simulate::run(&cli, a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Display, not Debug: the libraries' errors say what and where.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
