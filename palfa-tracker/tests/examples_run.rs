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
fn custom_queue_runs_the_survey_on_its_own_queue() {
    let out = run("custom_queue", &[]);
    assert!(out.contains("tracked 3 beams"), "{out}");
    assert!(out.contains("pooler stopped: Idle"), "{out}");
    // Every beam searched once by the thread queue; the corrupt file failed
    // on both of its attempts and was given up.
    for beam in ["beam0.fil", "beam1.fil", "beam2.fil"] {
        let line = out
            .lines()
            .find(|l| l.contains(beam))
            .unwrap_or_else(|| panic!("{beam} missing:\n{out}"));
        assert!(line.contains("processed") && line.contains("thread-"), "{line}");
    }
    let line = out.lines().rfind(|l| l.contains("corrupt.fil")).unwrap();
    assert!(
        line.contains("terminal_failure") && line.matches(": failed").count() == 2,
        "{line}"
    );
}

#[test]
fn read_results_lists_uploaded_beams_and_candidates() {
    // No argument: it makes and fills a results database of its own.
    let out = run("read_results", &[]);
    assert!(out.contains("2 beams"), "{out}");
    assert!(out.contains("2 candidates, best first"), "{out}");
    assert!(
        out.contains("89.300000") && out.contains("beam_with_pulsar.fil"),
        "{out}"
    );

    // An existing database given as the argument; one without the schema is refused.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("results.db");
    let mut store = palfa_tracker::resultsdb::SqliteStore::open(&db).unwrap();
    let refused = std::process::Command::new(palfa_testkit::examples::executable(
        env!("CARGO_PKG_NAME"),
        "read_results",
    ))
    .arg(&db)
    .output()
    .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("resultsdb create"));
    palfa_tracker::resultsdb::schema::create(&mut store).unwrap();
    drop(store);
    let out = run("read_results", &[db.to_str().unwrap()]);
    assert!(out.contains("0 beams") && out.contains("0 candidates"), "{out}");
}
