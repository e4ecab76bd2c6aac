//! `palfa ffa`: the FFA search of one `.dat`/`.inf` series finds an injected
//! slow pulsar, writes its periodogram and plot, and refuses bad input with a
//! message that names it.

use std::path::Path;
use std::process::Command;

use palfa_core::formats::presto::InfFile;
use palfa_search::TimeSeries;

fn palfa(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(args)
        .current_dir(dir)
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap()
}

/// 120 s at 5 ms of uniform unit-variance noise (a fixed linear-congruential
/// sequence) with a 2.345-s pulsar of 2 % duty cycle at S/N ≈ 30.
fn write_series(base: &Path) {
    let (n, dt) = (24_000usize, 0.005);
    let mut state = 12_345u64;
    let data = (0..n)
        .map(|i| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let u = (state >> 40) as f32 / (1u64 << 24) as f32;
            let phase = (i as f64 * dt / 2.345).fract();
            (u - 0.5) * 3.464 + if phase < 0.02 { 1.3 } else { 0.0 }
        })
        .collect();
    TimeSeries {
        info: InfFile {
            basename: "slow_DM40.00".into(),
            n: n as u64,
            dt,
            dm: 40.0,
            ..InfFile::default()
        },
        data,
    }
    .write(base)
    .unwrap();
}

#[test]
fn finds_the_pulsar_and_writes_the_periodogram_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("slow_DM40.00");
    write_series(&base);
    let out = palfa(dir.path(), &["ffa", "slow_DM40.00.dat", "--max-period", "10", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let peaks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let best = &peaks[0];
    let p = best["period_s"].as_f64().unwrap();
    assert!((p - 2.345).abs() < 2e-3, "{best}");
    assert!(best["snr"].as_f64().unwrap() > 20.0, "{best}");
    assert_eq!(best["dm"].as_f64(), Some(40.0));
    let text = std::fs::read_to_string(dir.path().join("slow_DM40.00_ffa.txt")).unwrap();
    assert!(text.starts_with("# palfa FFA periodogram"));
    // One trial per line after the header, periods from 0.5 s to T/10 = 12 s
    // capped at --max-period 10 s.
    let periods: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(periods.len() > 1000);
    assert!((periods[0] - 0.5).abs() < 0.01 && periods.last().unwrap() <= &10.1);
    assert!(periods.windows(2).all(|w| w[1] >= w[0]));
    let png = std::fs::read(dir.path().join("slow_DM40.00_ffa.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

#[test]
fn bad_input_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = palfa(dir.path(), &["ffa", "missing.dat"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write_series(&dir.path().join("s"));
    let out = palfa(dir.path(), &["ffa", "s.dat", "--bins-min", "300", "--bins-max", "200"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bins"), "{err}");
}
