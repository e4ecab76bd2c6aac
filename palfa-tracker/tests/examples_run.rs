//! The examples of this crate run and do what they say (`examples/`).
//!
//! `cargo test` builds the examples with the tests; each test here runs one
//! from the target directory (building it first if this test was run on its
//! own, e.g. with `--test examples_run`, or if its source is newer).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example's executable, next to this test's in the target directory.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/<this test>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = profile_dir.join("examples").join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(format!("{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&bin).is_none() || modified(&src) > modified(&bin) {
        let profile = profile_dir.file_name().unwrap().to_string_lossy().into_owned();
        let profile = if profile == "debug" { "dev".to_string() } else { profile };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                env!("CARGO_PKG_NAME"),
                "--profile",
                &profile,
                "--example",
                name,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// Runs an example; returns its stdout, failing with its output if it failed.
fn run(name: &str, args: &[&str]) -> String {
    let t0 = std::time::Instant::now();
    let out = Command::new(example(name)).args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}{stderr}\n({name} took {:.1} s)", t0.elapsed().as_secs_f64());
    assert!(
        out.status.success(),
        "{name} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout
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
    let refused = Command::new(example("read_results")).arg(&db).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("resultsdb create"));
    palfa_tracker::resultsdb::schema::create(&mut store).unwrap();
    drop(store);
    let out = run("read_results", &[db.to_str().unwrap()]);
    assert!(out.contains("0 beams") && out.contains("0 candidates"), "{out}");
}
