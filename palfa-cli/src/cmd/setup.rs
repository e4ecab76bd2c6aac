//! The configuration the survey subcommands (`db`, `jobpool`, `add-files`,
//! `jobs`, `status`) run with.

use std::path::Path;

use anyhow::Context;
use palfa_core::config::Config;

/// Loads the configuration named by `--config` / `$PALFA_CONFIG` / `./palfa.toml`,
/// logging its warnings; with none of those, the built-in defaults rooted in
/// the current directory.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let cfg = match Config::locate(explicit) {
        Some(path) => Config::load(&path)?,
        None => Config::defaults_in(Path::new(".")).context("using the built-in defaults in the current directory")?,
    };
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}
