//! Logging set-up: `tracing` to stderr or a file, as text or JSON lines,
//! level from -v/-q or `RUST_LOG`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event (colour only on a terminal).
    #[default]
    Text,
    /// One JSON object per line (time, level, message, fields), for log
    /// collectors.
    Json,
}

/// Installs the global subscriber: events at the level that `verbose` and
/// `quiet` (or `RUST_LOG`) ask, to `file` (appended to, created if missing)
/// or else to stderr.
pub fn init(verbose: u8, quiet: bool, format: LogFormat, file: Option<&Path>) -> anyhow::Result<()> {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match file {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening the log file {}", path.display()))?;
            let writer = Arc::new(f);
            match format {
                LogFormat::Text => {
                    let _ = builder.with_ansi(false).with_writer(writer).try_init();
                }
                LogFormat::Json => {
                    let _ = builder.json().with_ansi(false).with_writer(writer).try_init();
                }
            }
        }
        None => {
            // Colour only on a terminal: logs in files or pipes stay plain text.
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr()) && std::env::var_os("NO_COLOR").is_none();
            match format {
                LogFormat::Text => {
                    let _ = builder.with_ansi(colour).with_writer(std::io::stderr).try_init();
                }
                LogFormat::Json => {
                    let _ = builder.json().with_ansi(false).with_writer(std::io::stderr).try_init();
                }
            }
        }
    }
    Ok(())
}
