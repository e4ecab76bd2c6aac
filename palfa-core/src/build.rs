//! The version of palfa this library was built from: recorded in every
//! results directory's provenance (`results.json`) and with every beam
//! uploaded to the results database (`headers.version_num`,
//! `headers.palfa_commit`).

/// The git commit of the build (12 hex digits, `-dirty` when the tree had
/// uncommitted changes), `PALFA_BUILD_COMMIT` if the builder set it, or
/// `unknown` for a build without git (a source tarball). Set by
/// `palfa-core/build.rs`.
pub const GIT_COMMIT: &str = env!("PALFA_GIT_COMMIT");

/// palfa's version (the workspace's `Cargo.toml`).
pub const PALFA_VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    #[test]
    fn commit_is_hex_or_unknown() {
        let c = super::GIT_COMMIT;
        assert!(!c.is_empty());
        assert!(
            c == "unknown" || c.chars().take(12).all(|c| c.is_ascii_hexdigit()),
            "{c}"
        );
        assert_eq!(super::PALFA_VERSION, env!("CARGO_PKG_VERSION"));
    }
}
