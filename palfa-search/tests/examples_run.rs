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
