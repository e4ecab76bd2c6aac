//! `palfa rate`: ratings of existing folds (PRESTO's, from `../shared/data/`),
//! as a table and as JSON, a missing file an error; and `palfa rate train`
//! on a few beams: a model that loads, the same bytes from the same seed.

use std::process::Command;

fn palfa(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(args)
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn rates_prestos_folds_as_a_table_and_as_json() {
    let Some(dir) = palfa_testkit::shared_data("presto") else {
        return;
    };
    let pfd = dir.join("Ter5_080912_bary_DM238.30_ACCEL_Cand_2.pfd");
    let pfd = pfd.to_str().unwrap();
    let out = palfa(&["rate", pfd]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for name in ["dm0_peak_ratio", "multigauss_number", "mains_closeness", "score"] {
        assert!(text.contains(name), "{name} not in\n{text}");
    }
    let out = palfa(&["rate", "--json", "--mains-hz", "50", pfd]);
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ratings = doc[pfd].as_array().unwrap();
    let score = ratings.iter().find(|r| r["name"] == "score").unwrap();
    assert!(score["value"].as_f64().unwrap() > 0.5, "{score}");
    assert!(score["version"].as_u64().unwrap() >= 1);
    // One subband: no DM comparison.
    let dm0 = ratings.iter().find(|r| r["name"] == "dm0_peak_ratio").unwrap();
    assert!(dm0["value"].is_null());
    // A missing file: an error naming it, exit status 1, the others still rated.
    let out = palfa(&["rate", "/nonexistent/x.pfd", pfd]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.pfd"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("score"));
}

#[test]
fn train_writes_a_model_that_loads_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out_path = tmp.path().join(name);
        let out = palfa(&[
            "rate",
            "train",
            "--beams",
            "10",
            "--test-beams",
            "10",
            "--seed",
            "7",
            "--model-version",
            "3",
            "--dir",
            tmp.path().join("beams").to_str().unwrap(),
            "--out",
            out_path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("AUC"));
        std::fs::read_to_string(out_path).unwrap()
    };
    let a = run("a.json");
    let m: palfa_search::rate::score::ScoreModel = serde_json::from_str(&a).unwrap();
    assert_eq!(m.version, 3);
    assert!(m.matches_features());
    assert!(m.weights.iter().all(|w| w.is_finite()) && m.weights.iter().any(|w| *w != 0.0));
    assert!(m.trained.contains("--seed 7"));
    // The same seed, the same model (the text differs only if the figures do).
    assert_eq!(a, run("b.json"));
    // The beams were removed once folded.
    let left = std::fs::read_dir(tmp.path().join("beams")).unwrap().count();
    assert_eq!(left, 0);
}
