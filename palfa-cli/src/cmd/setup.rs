//! The configuration every command runs with.

use std::path::Path;

use palfa_core::config::Config;

/// The configuration named by `--config` / `$PALFA_CONFIG` / `./palfa.toml`,
/// loaded and checked, or the built-in defaults when there is none
/// ([`Config::load_or_builtin`]); its warnings are logged.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let cfg = Config::load_or_builtin(explicit)?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    Ok(cfg)
}
