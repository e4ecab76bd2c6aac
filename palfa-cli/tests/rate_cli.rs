//! `palfa rate`: ratings of existing folds (PRESTO's, from `../shared/data/`),
//! as a table and as JSON, a missing file an error; and `palfa rate train`
//! on a few beams: a model that loads, the same bytes from the same seed;
//! `palfa rate evaluate` on one searched beam with a bright pulsar.

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
            "--searched-beams",
            "0",
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

#[test]
fn evaluate_searches_a_beam_and_ranks_its_pulsar_first() {
    use palfa_search::rate::evaluate::eval_beam_params;
    // The first beam of the family with one bright, ordinary pulsar and
    // no acceleration (chosen by what it holds, not by its number).
    let b = (0..500)
        .find(|&b| {
            let p = eval_beam_params(2, b);
            p.nchans >= 128
                && p.pulsars.len() == 1
                && p.pulsars.iter().all(|q| {
                    q.snr >= 20.0
                        && (0.003..0.2).contains(&q.period_s)
                        && q.dm <= 200.0
                        && q.accel_m_s2 == 0.0
                        && q.duty <= 0.1
                })
        })
        .expect("no such beam in the family");
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("eval.json");
    let first = b.to_string();
    let out = palfa(&[
        "-q",
        "rate",
        "evaluate",
        "--beams",
        "1",
        "--first",
        &first,
        "--dir",
        tmp.path().join("beams").to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("in the top 3 by score in 1 (100.0 %)"), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let beam = &doc["beams"][0];
    assert_eq!(beam["beam"].as_u64(), Some(b as u64));
    let psr = &beam["pulsars"][0];
    assert!(psr["sigma"].as_f64().unwrap() > 8.0, "{psr}");
    assert_eq!(psr["rank"].as_u64(), Some(1), "{beam}");
    assert!(psr["score"].as_f64().unwrap() > 0.5, "{psr}");
    // Its folds are marked as the pulsar's and carry their ratings.
    let list = beam["list"].as_array().unwrap();
    assert!(list
        .iter()
        .any(|f| f["pulsar"] == 0 && f["ratings"].as_array().unwrap().len() > 10));
    // The beam and its search were removed.
    assert_eq!(std::fs::read_dir(tmp.path().join("beams")).unwrap().count(), 0);
    // Ranked again from the saved folds with the same (built-in) model: the same table.
    let again = palfa(&["rate", "evaluate", "--from", json.to_str().unwrap()]);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(String::from_utf8_lossy(&again.stdout), text);
    // Something that is not an evaluation: an error naming it.
    let bad = palfa(&["rate", "evaluate", "--from", "/nonexistent/e.json"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("/nonexistent/e.json"));
}
