//! What palfa's tests share (a dev-dependency of every crate; not published).
//!
//! - [`shared_data`]: a file of `../shared/data/`, the real data files from
//!   other pulsar projects that the science tests read.
//! - [`service`]: whether a test's server (Slurm, PostgreSQL, an FTP or SMTP
//!   server) was set up by `.ci/services/*.sh`.
//! - [`skip`]: a test that cannot run says so on the terminal.
//! - [`fixtures`]: a synthetic observation and header, and a small survey of
//!   valid data files (filterbank beams and Mock pairs) with a stand-in worker.
//! - [`examples`]: the workspace's examples, run from a test.
//!
//! A test that lacks what it needs is skipped with a line on the terminal
//! (`SKIPPED <what>: <why>`), written past the test harness's output capture
//! so that `cargo test` shows it even for a test that passes. Under CI
//! (`CI=true`, set by `.ci/run`) nothing is skipped: a missing file or service
//! fails the test instead.

pub mod examples;
pub mod fixtures;

use std::io::Write;
use std::path::PathBuf;

/// Whether the tests run under CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips `what` because of `why`: a line on the terminal, or, under CI, a
/// panic (the test fails).
pub fn skip(what: &str, why: &str) {
    assert!(!in_ci(), "{what}: {why} (CI=true: nothing may be skipped)");
    // Straight to the stderr stream: `eprintln!` would be captured and only
    // shown for a failing test.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {what}: {why}");
}

/// The folder of real data shared with the project (`../shared/data`,
/// beside the repository).
pub fn shared_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

/// `../shared/data/<rel>`, or `None` (with a [`skip`] line) when the folder
/// is absent. Panics when the folder exists without `rel` (the data set is
/// incomplete), or when it is absent under CI.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let root = shared_data_dir();
    if !root.is_dir() {
        skip(
            &format!("a test that reads ../shared/data/{rel}"),
            &format!("{} is absent", root.display()),
        );
        return None;
    }
    let p = root.join(rel);
    assert!(
        p.exists(),
        "../shared/data/{rel} is missing although ../shared/data exists"
    );
    Some(p)
}

/// Whether the service that `.ci/services/<script>` sets up is there:
/// `var` is `1`. Otherwise the test is skipped with a line naming the
/// service and how to start it (or fails, under CI).
pub fn service(var: &str, name: &str, script: &str) -> bool {
    if std::env::var(var).is_ok_and(|v| v == "1") {
        return true;
    }
    skip(
        &format!("the tests that need {name}"),
        &format!("{var} is not 1 (source .ci/services/{script} to start {name} on loopback)"),
    );
    false
}

/// The ODBC connection string `conn` with its `Database=` set to `name`
/// (for a test's own database on the shared test server).
///
/// ```
/// let c = palfa_testkit::odbc_database("Driver={PostgreSQL Unicode};Server=127.0.0.1;Database=palfa", "t1");
/// assert_eq!(c, "Driver={PostgreSQL Unicode};Server=127.0.0.1;Database=t1");
/// ```
pub fn odbc_database(conn: &str, name: &str) -> String {
    conn.split(';')
        .map(|kv| {
            if kv.to_ascii_lowercase().starts_with("database=") {
                format!("Database={name}")
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_service_is_there_only_when_its_variable_is_1() {
        std::env::set_var("PALFA_TESTKIT_PROBE", "1");
        assert!(super::service("PALFA_TESTKIT_PROBE", "a probe", "none.sh"));
        if !super::in_ci() {
            std::env::set_var("PALFA_TESTKIT_PROBE", "0");
            assert!(!super::service("PALFA_TESTKIT_PROBE", "a probe", "none.sh"));
        }
    }
}
