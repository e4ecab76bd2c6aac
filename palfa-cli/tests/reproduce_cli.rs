//! Provenance and `palfa search --reproduce`: two searches of one simulated
//! beam with one configuration give identical candidates and provenance
//! apart from times; `--reproduce` says so; a changed configuration is
//! detected and listed; a search recorded with one thread is reproduced
//! with one; changed results fail with exit status 1; an input
//! that is not the recorded one is refused, by name.

use std::path::Path;
use std::process::{Command, Output};

use palfa_core::config::Config;
use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{simulate, PulsarSpec, SimParams};

/// A small search: the planner's DMs up to 100 with 32 subbands.
const SEARCHING: &str = "[searching]\nddplan = \"auto\"\nmax_dm = 100.0\nnsub = 32\n";

fn palfa(dir: &Path, args: &[&str]) -> Output {
    palfa_threads(dir, args, None)
}

/// `palfa`, with `RAYON_NUM_THREADS` set when `threads` is given.
fn palfa_threads(dir: &Path, args: &[&str], threads: Option<usize>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_palfa"));
    c.args(["--no-progress", "--quiet"])
        .args(args)
        .current_dir(dir)
        .env_remove("PALFA_CONFIG")
        .env_remove("RAYON_NUM_THREADS");
    if let Some(n) = threads {
        c.env("RAYON_NUM_THREADS", n.to_string());
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// SHA-256 of a file by coreutils' `sha256sum`, independent of palfa.
fn sha256sum(path: &Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn two_searches_match_reproduce_says_so_and_changes_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    Config::defaults_in(&dir).unwrap();
    std::fs::write(dir.join("palfa.toml"), SEARCHING).unwrap();
    std::fs::write(
        dir.join("changed.toml"),
        format!("{SEARCHING}to_prepfold_sigma = 5.5\n"),
    )
    .unwrap();
    // 24 s (above low_T_to_search), 64 channels, one bright pulsar.
    let beam = dir.join("beam.fil");
    let p = SimParams {
        seed: 11,
        nchans: 64,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 5.04,
        tsamp_s: 262e-6,
        nsamples: (24.0 / 262e-6) as u64,
        pulsars: vec![PulsarSpec {
            period_s: 0.0123,
            dm: 40.0,
            duty: 0.05,
            snr: 30.0,
            accel_m_s2: 0.0,
            phase: 0.2,
        }],
        ..SimParams::default()
    };
    simulate(&p, &beam, &|_, _| {}).unwrap();

    let mut runs = Vec::new();
    for out in ["r1", "r2"] {
        let o = palfa(&dir, &["--config", "palfa.toml", "search", "--outdir", out, "beam.fil"]);
        assert!(o.status.success(), "{}", text(&o));
        runs.push(SearchResults::read_dir(dir.join(out)).unwrap());
    }
    let (a, b) = (&runs[0], &runs[1]);
    assert!(!a.candidates.is_empty(), "the pulsar was not folded");
    assert_eq!(a.candidates, b.candidates, "candidates differ between two runs");
    assert_eq!(a.single_pulses, b.single_pulses);
    assert_eq!(a.num_dm_trials, b.num_dm_trials);
    assert_eq!(a.diagnostics, b.diagnostics);
    let (pa, pb) = (a.provenance.clone().unwrap(), b.provenance.clone().unwrap());
    assert!(!pa.started_at.is_empty() && pa.finished_at >= pa.started_at);
    let strip_times = |mut p: palfa_core::formats::results::Provenance| {
        p.started_at.clear();
        p.finished_at.clear();
        p
    };
    assert_eq!(
        strip_times(pa.clone()),
        strip_times(pb),
        "provenance differs apart from times"
    );
    assert_eq!(pa.inputs.len(), 1);
    assert_eq!(pa.inputs[0].path, beam.to_string_lossy());
    assert_eq!(pa.inputs[0].size, std::fs::metadata(&beam).unwrap().len());
    assert_eq!(pa.inputs[0].sha256, sha256sum(&beam));
    assert!(pa.config_toml.contains("max_dm = 100.0"), "{}", pa.config_toml);
    assert!(pa.config_toml.contains("[searching.ffa]"), "{}", pa.config_toml);
    assert_eq!(pa.config_sha256.len(), 64);
    assert_eq!(pa.palfa_version, env!("CARGO_PKG_VERSION"));
    assert!(pa.host.threads >= 1);

    // The same configuration: reproduced, unchanged.
    let o = palfa(&dir, &["--config", "palfa.toml", "search", "--reproduce", "r1"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    let want = format!("reproduced: {} candidates identical", a.candidates.len());
    assert!(out.contains(&want), "{out}");
    assert!(out.contains("configuration unchanged"), "{out}");

    // A search recorded with one thread is searched again with one thread
    // (the candidates are bit-identical only with the same number).
    let o = palfa_threads(
        &dir,
        &["--config", "palfa.toml", "search", "--outdir", "r3", "beam.fil"],
        Some(1),
    );
    assert!(o.status.success(), "{}", text(&o));
    let r3 = SearchResults::read_dir(dir.join("r3")).unwrap();
    assert_eq!(r3.provenance.as_ref().unwrap().host.threads, 1);
    let o = palfa(
        &dir,
        &["--config", "palfa.toml", "search", "--reproduce", "r3", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["reproduced"], true, "{v}");
    assert_eq!(
        (v["recorded_threads"].as_u64(), v["threads"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );

    // Another configuration now: the recorded one is still used (so the
    // candidates are reproduced), and the change is named.
    let o = palfa(
        &dir,
        &["--config", "changed.toml", "search", "--reproduce", "r1", "--json"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["reproduced"], true, "{v}");
    assert_eq!(v["config_changed"], true, "{v}");
    let keys: Vec<&str> = v["config_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    assert!(keys.contains(&"searching.to_prepfold_sigma"), "{v}");
    // sifting_sigma_threshold follows to_prepfold_sigma when not set.
    assert!(keys.iter().all(|k| k.starts_with("searching.")), "{v}");
    assert_ne!(v["recorded_config_sha256"], v["current_config_sha256"]);

    // Results that the search does not give again: exit status 1, the
    // difference named.
    let json = dir.join("r2").join("results.json");
    let mut edited: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let dm = edited["candidates"][0]["dm"].as_f64().unwrap();
    edited["candidates"][0]["dm"] = serde_json::json!(dm + 0.5);
    std::fs::write(&json, serde_json::to_vec_pretty(&edited).unwrap()).unwrap();
    let o = palfa(&dir, &["--config", "palfa.toml", "search", "--reproduce", "r2"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("NOT reproduced"), "{out}");
    assert!(out.contains("candidates[0] (#1).dm: recorded"), "{out}");

    // An input that is not the recorded one is refused, by name, before
    // any search: one byte changed (same size), then a shorter file.
    let mut bytes = std::fs::read(&beam).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x55;
    std::fs::write(dir.join("changed.fil"), &bytes).unwrap();
    let o = palfa(
        &dir,
        &["--config", "palfa.toml", "search", "--reproduce", "r1", "changed.fil"],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("changed.fil") && out.contains("SHA-256"), "{out}");
    std::fs::write(&beam, &bytes[..bytes.len() - 100]).unwrap();
    let o = palfa(&dir, &["--config", "palfa.toml", "search", "--reproduce", "r1"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("beam.fil") && out.contains("size"), "{out}");
}
