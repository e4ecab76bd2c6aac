//! Running the workspace's examples (`examples/`) from a test.
//!
//! `cargo test` builds the examples with the tests; [`run`] runs one from the
//! target directory, building it first if the test was run on its own (e.g.
//! with `--test examples_run`) or if its source is newer.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The executable of example `name` of crate `package`, next to the running
/// test's in the target directory (built if missing or older than its source).
pub fn executable(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // <target>/<profile>/deps/<this test>
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = profile_dir.join("examples").join(name);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let src = workspace.join("examples").join(format!("{name}.rs"));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&bin).is_none() || modified(&src) > modified(&bin) {
        let profile = profile_dir.file_name().unwrap().to_string_lossy().into_owned();
        let profile = if profile == "debug" { "dev".to_string() } else { profile };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--profile", &profile, "--example", name])
            .current_dir(&workspace)
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
    }
    assert!(bin.is_file(), "{} was not built", bin.display());
    bin
}

/// Runs example `name` of crate `package` with `args`; returns its stdout,
/// failing with its whole output if it failed.
pub fn run(package: &str, name: &str, args: &[&str]) -> String {
    let t0 = std::time::Instant::now();
    let out = Command::new(executable(package, name)).args(args).output().unwrap();
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
