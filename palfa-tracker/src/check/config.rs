//! `config`: the configuration file is valid (what `palfa config check` says).

use palfa_core::config::{Config, ConfigError};

use super::Verdict;

pub(crate) fn check(cfg: &Config) -> Verdict {
    let Some(path) = &cfg.source else {
        return Verdict::Pass(vec![
            "no configuration file: the built-in defaults (palfa config init DIR makes one)".into(),
        ]);
    };
    match Config::load(path) {
        Ok(c) => {
            let mut d = vec![format!("{}: configuration is valid", path.display())];
            d.extend(c.warnings.iter().map(|w| format!("warning: {w}")));
            Verdict::Pass(d)
        }
        Err(ConfigError::Invalid { problems }) => {
            let details: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            let first = problems
                .first()
                .map(|p| format!("{}: {}", p.key, p.message))
                .unwrap_or_default();
            Verdict::fail_with(
                format!(
                    "{} has {} problem(s) on this machine, the first {first}",
                    path.display(),
                    problems.len()
                ),
                format!(
                    "create the directories named, or make them writable, or correct the keys (palfa config check {} \
                     lists every problem)",
                    path.display()
                ),
                details,
            )
        }
        Err(e) => Verdict::fail(e.to_string(), format!("palfa config check {}", path.display())),
    }
}
