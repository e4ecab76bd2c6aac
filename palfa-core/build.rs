//! Records the git commit palfa is built from, for the results database's
//! `version_num` and every results directory's provenance
//! (`palfa_core::build`).
//!
//! The commit comes from `PALFA_BUILD_COMMIT` if set (for packagers building
//! from a source tarball), else from `git` in the source tree; with neither, it
//! is `unknown` and the build goes on.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Whether the git repository around the sources is palfa's own (its top
/// level holds this crate as `palfa-core/`), not one that a source
/// tarball happens to be unpacked in.
fn in_own_repository() -> bool {
    let Some(top) = git(&["rev-parse", "--show-toplevel"]) else {
        return false;
    };
    let here = std::fs::canonicalize(env!("CARGO_MANIFEST_DIR"));
    let there = std::fs::canonicalize(std::path::Path::new(&top).join("palfa-core"));
    matches!((here, there), (Ok(a), Ok(b)) if a == b)
}

fn main() {
    println!("cargo:rerun-if-env-changed=PALFA_BUILD_COMMIT");
    let commit = match std::env::var("PALFA_BUILD_COMMIT") {
        Ok(c) if !c.trim().is_empty() => c.trim().to_string(),
        _ => match git(&["rev-parse", "HEAD"]).filter(|_| in_own_repository()) {
            Some(hash) if hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                // Rebuild when HEAD moves (a commit, a checkout) or the index changes.
                for p in ["HEAD", "index"] {
                    if let Some(path) = git(&["rev-parse", "--git-path", p]) {
                        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
                        println!("cargo:rerun-if-changed={}", path.display());
                    }
                }
                if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
                    if let Some(path) = git(&["rev-parse", "--git-path", &r]) {
                        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
                        println!("cargo:rerun-if-changed={}", path.display());
                    }
                }
                let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
                format!("{}{}", &hash[..12], if dirty { "-dirty" } else { "" })
            }
            _ => "unknown".to_string(),
        },
    };
    // Only characters that are safe in a version string.
    let commit: String = commit
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .take(64)
        .collect();
    let commit = if commit.is_empty() {
        "unknown".to_string()
    } else {
        commit
    };
    println!("cargo:rustc-env=PALFA_GIT_COMMIT={commit}");
}
