//! Helpers for the tests that drive `palfa` (db, add-files, jobpool, jobs,
//! status) as an operator would: a survey directory with a configuration,
//! small valid data files, and a worker script standing in for `palfa search`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A worker: sleeps a little (0.2 to 0.4 s, by its pid), writes
/// `results.json` and appends its output directory to `bin/runs.log`.
pub const WORKER: &str = r#"#!/bin/sh
[ "$1" = "--outdir" ] || { echo "bad arguments: $*" >&2; exit 2; }
out="$2"; shift 2
for f in "$@"; do [ -r "$f" ] || { echo "cannot read $f" >&2; exit 3; }; done
sleep 0.$(( $$ % 3 + 2 ))
mkdir -p "$out" && cp "$(dirname "$0")/results.template.json" "$out/results.json"
echo "$out" >> "$(dirname "$0")/runs.log"
"#;

/// A survey set up in a temporary directory.
pub struct Site {
    pub dir: tempfile::TempDir,
}

impl Site {
    /// Directories, the worker script and `palfa.toml` (with `extra` appended
    /// to its `[jobpooler]` section).
    pub fn new(worker: &str, extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["logs", "qsublog", "rawdata", "work", "results", "bin"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let script = dir.path().join("bin/worker.sh");
        write_script(&script, worker);
        let toml = format!(
            "[background]\nsleep = 0.02\n\n[jobpooler]\nworker_command = \"{}\"\n{extra}",
            script.display()
        );
        std::fs::write(dir.path().join("palfa.toml"), toml).unwrap();
        Self { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config(&self) -> PathBuf {
        self.path("palfa.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.path("jobtracker.db")
    }

    /// `palfa --config <site> ARGS…`, not yet run.
    pub fn palfa(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_palfa"));
        c.arg("--config")
            .arg(self.config())
            .args(args)
            .current_dir(self.dir.path());
        c.env_remove("PALFA_CONFIG").env("RUST_LOG", "warn");
        c
    }

    /// Runs `palfa ARGS…` and checks it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.palfa(args).output().unwrap();
        assert_success(&out, args);
        String::from_utf8(out.stdout).unwrap()
    }

    /// `palfa status --json`, parsed.
    pub fn status(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["status", "--json"])).unwrap()
    }

    /// Output directories the worker logged, one per run.
    pub fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("bin/runs.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Rows of `table` in `state` in a `palfa status --json` report.
pub fn count(status: &serde_json::Value, table: &str, state: &str) -> u64 {
    status["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no table {table}"))["counts"][state]
        .as_u64()
        .unwrap_or_else(|| panic!("no state {state} in {table}"))
}

pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "palfa {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[allow(unused_imports)] // each test uses some of them
pub use palfa_testkit::fixtures::{make_beams, write_script};

/// A small filterbank beam at `path`.
pub fn write_beam(path: &Path, seed: usize) {
    palfa_testkit::fixtures::write_filterbank(path, seed);
}

/// A small xorshift generator (tests need no crate for this).
pub struct Rng(pub u64);

impl Rng {
    /// Seeded from `PALFA_TEST_SEED` if set (to replay a failure), else from
    /// the clock; the seed is printed either way.
    pub fn seeded() -> Self {
        let seed = match std::env::var("PALFA_TEST_SEED") {
            Ok(v) => v.trim().parse().expect("PALFA_TEST_SEED must be an unsigned integer"),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        };
        eprintln!("random seed {seed} (replay with PALFA_TEST_SEED={seed})");
        Self(seed | 1)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo)
    }
}
