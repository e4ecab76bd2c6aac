//! The examples of this crate run and do what they say (`examples/`).
//!
//! `cargo test` builds the examples with the tests; each test here runs one
//! from the target directory (building it first if this test was run on its
//! own, e.g. with `--test examples_run`, or if its source is newer).

/// Runs an example of this crate; returns its stdout.
fn run(name: &str, args: &[&str]) -> String {
    palfa_testkit::examples::run(env!("CARGO_PKG_NAME"), name, args)
}

#[test]
fn search_beam_finds_the_injected_pulsar() {
    let dir = tempfile::tempdir().unwrap();
    let outdir = dir.path().join("results");
    let out = run(
        "search_beam",
        &["--duration", "20", "--outdir", outdir.to_str().unwrap()],
    );
    assert!(
        out.contains("injected P = 89.300000 ms, DM = 56.0: found as candidate"),
        "{out}"
    );
    // The results directory is complete (what the job pooler checks).
    let r = palfa_core::formats::results::SearchResults::read_dir(&outdir).unwrap();
    assert!(!r.candidates.is_empty());
}
