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
            Verdict::fail_with(
                format!(
                    "{} has {} problem(s) since it was loaded",
                    path.display(),
                    problems.len()
                ),
                format!("palfa config check {}", path.display()),
                details,
            )
        }
        Err(e) => Verdict::fail(e.to_string(), format!("palfa config check {}", path.display())),
    }
}
