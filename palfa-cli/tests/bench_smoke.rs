//! `palfa bench --duration 21 --json`: the speed figure's smoke run. It
//! simulates a 21-s beam (PALFA searches beams of 20 s and more) like the
//! PRESTO baseline's reference beam, searches it as `palfa search` does and
//! prints its report as JSON. No timing is asserted (speed is measured, never
//! tested); the report's structure and the science are: every stage timed
//! with its CPU time and memory, the floors measured, and the injected
//! millisecond pulsars found.

use std::process::Command;

#[test]
fn a_short_bench_reports_every_stage_and_finds_the_pulsars() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args([
            "--no-progress",
            "bench",
            "--preset",
            "reference",
            "--duration",
            "21",
            "--json",
            "--dir",
        ])
        .arg(dir.path())
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    // The same report is kept in DIR/bench.json.
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bench.json")).unwrap()).unwrap();
    assert_eq!(kept, report);

    let stages = report["stages"].as_array().unwrap();
    let stage = |name: &str| {
        stages
            .iter()
            .find(|s| s["stage"] == name)
            .unwrap_or_else(|| panic!("no stage {name} in {stages:?}"))
    };
    for name in ["rfifind", "dedispersion", "per-DM searches", "folding", "total"] {
        let s = stage(name);
        let wall = s["seconds"].as_f64().unwrap();
        let cpu = s["cpu_s"].as_f64().unwrap();
        let rss = s["peak_rss_mib"].as_f64().unwrap();
        assert!(wall > 0.0 && cpu >= 0.0 && rss > 1.0, "{name}: {s}");
    }
    // CPU time counts every thread of the process: over a whole search it
    // cannot be zero, and the total's covers the stages'.
    let total_cpu = stage("total")["cpu_s"].as_f64().unwrap();
    let parts: f64 = ["rfifind", "dedispersion", "per-DM searches", "folding"]
        .iter()
        .map(|n| stage(n)["cpu_s"].as_f64().unwrap())
        .sum();
    assert!(
        total_cpu > 0.0 && total_cpu + 0.05 >= parts,
        "total {total_cpu}, stages {parts}"
    );
    assert!(stage("dedispersion")["throughput"].as_f64().unwrap() > 0.0);
    assert_eq!(stage("dedispersion")["unit"], "channel-sample-DMs/s");
    assert!(stage("accel hi (core-s)")["seconds"].as_f64().unwrap() > 0.0);
    let floors = &report["floors"];
    assert!(floors["copy_bytes_per_s"].as_f64().unwrap() > 1e8, "{floors}");
    assert!(floors["realfft_points_per_s"].as_f64().unwrap() > 1e6, "{floors}");
    assert!(report["peak_rss_mib"].as_f64().unwrap() >= stage("dedispersion")["peak_rss_mib"].as_f64().unwrap() * 0.5);

    // Both millisecond pulsars (the strongest periodic signals) are found.
    let recovered = report["recovered"].as_array().unwrap();
    for p in ["pulsar P 4.1573 ms", "pulsar P 3.6917 ms"] {
        let r = recovered
            .iter()
            .find(|r| r["injected"].as_str().unwrap().starts_with(p))
            .unwrap_or_else(|| panic!("{p} not in {recovered:?}"));
        assert!(r["candidate"].as_u64().is_some(), "{p} not found: {r}");
    }
}
