//! `palfa config check` and `palfa config init`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use palfa_core::config::{Config, ConfigError, DEFAULT_DIRS, DEFAULT_FILE};

use crate::Cli;

/// `palfa config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file and list every problem in it.
    Check {
        /// The file (default: --config, $PALFA_CONFIG or ./palfa.toml).
        file: Option<PathBuf>,
    },
    /// Create a ready-to-use set-up in DIR: the default directories and a commented palfa.toml.
    Init {
        /// The directory (created if needed).
        dir: PathBuf,
        /// Overwrite an existing palfa.toml.
        #[arg(long)]
        force: bool,
    },
}

/// Runs a `config` subcommand.
pub fn run(cli: &Cli, cmd: &ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check { file } => {
            let path = Config::locate(file.as_deref().or(cli.config.as_deref()))
                .context("no configuration file given, $PALFA_CONFIG unset and no ./palfa.toml")?;
            match Config::load(&path) {
                Ok(cfg) => {
                    for w in &cfg.warnings {
                        println!("warning: {w}");
                    }
                    println!("{}: configuration is valid", path.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e @ ConfigError::Invalid { .. }) => {
                    println!("{e}");
                    Ok(ExitCode::FAILURE)
                }
                Err(e) => Err(e.into()),
            }
        }
        ConfigCommand::Init { dir, force } => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let file = dir.join(DEFAULT_FILE);
            if file.exists() && !force {
                anyhow::bail!("{} exists; use --force to overwrite it", file.display());
            }
            for d in DEFAULT_DIRS {
                std::fs::create_dir_all(dir.join(d))?;
            }
            std::fs::write(&file, EXAMPLE).with_context(|| format!("writing {}", file.display()))?;
            let cfg = Config::load(&file)?;
            println!(
                "created {} with directories {}",
                file.display(),
                DEFAULT_DIRS.join(", ")
            );
            tracing::debug!(?cfg.jobpooler.base_results_directory, "set-up ready");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The commented example configuration, every key at its default.
pub const EXAMPLE: &str = include_str!("../../../palfa.example.toml");
