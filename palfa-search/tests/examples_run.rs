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

#[test]
fn ffa_sensitivity_writes_the_curve_and_the_ffa_leads() {
    let dir = tempfile::tempdir().unwrap();
    run(
        "ffa_sensitivity",
        &["--seeds", "1", "--out", dir.path().to_str().unwrap()],
    );
    assert!(dir.path().join("ffa-sensitivity.png").is_file());
    let csv = std::fs::read_to_string(dir.path().join("ffa-sensitivity.csv")).unwrap();
    let rows: Vec<Vec<f64>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    // 6 periods × 4 duty cycles × 7 S/N.
    assert_eq!(rows.len(), 168);
    // At injected S/N 20 the FFA recovers at least 12 everywhere, and more
    // than the Fourier search's significance (flo 0.02 Hz) at 0.5-1 % duty.
    for r in rows.iter().filter(|r| r[2] == 20.0) {
        assert!(r[3] >= 12.0, "{r:?}");
        if r[1] <= 0.01 {
            assert!(r[3] > r[8], "{r:?}");
        }
    }
}
