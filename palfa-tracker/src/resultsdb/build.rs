//! The version of palfa this program was built from, as stored with every
//! uploaded beam (`headers.version_num`).

pub use palfa_core::build::{GIT_COMMIT, PALFA_VERSION};

/// The version string of the results database, in the original pipeline's
/// `NAME:<hash>;...` form: `PALFA:<commit>;palfa:<version>`, e.g.
/// `PALFA:555a1f2c0d3e;palfa:0.1.0`.
pub fn version_num() -> String {
    format!("PALFA:{GIT_COMMIT};palfa:{PALFA_VERSION}")
}

/// The version string to record: `upload.version_num` when the configuration
/// overrides it, else [`version_num`].
pub fn effective_version_num(cfg: &palfa_core::config::Upload) -> String {
    if cfg.overridden {
        cfg.version_num.clone()
    } else {
        version_num()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_names_the_commit() {
        let v = super::version_num();
        assert!(v.starts_with("PALFA:"), "{v}");
        assert!(v.ends_with(&format!(";palfa:{}", env!("CARGO_PKG_VERSION"))), "{v}");
        let commit = super::GIT_COMMIT;
        assert!(!commit.is_empty());
        assert!(
            commit == "unknown" || commit.chars().take(12).all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        );
    }
}
