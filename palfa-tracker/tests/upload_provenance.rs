//! Schema 4 in the results database: a beam's provenance (`headers.provenance`,
//! `config_sha256`, `palfa_commit`) and each candidate's known-pulsar tag
//! (`candidates.known_pulsar`, `known_harmonic`, `known_position`) are
//! uploaded, read back and compared before commit, and shown by the query;
//! a results directory without them leaves the columns NULL. SQLite always,
//! PostgreSQL through unixODBC when `.ci/services/postgres.sh` set
//! `PALFA_TEST_PG=1`.

mod common;
mod upload_support;

use palfa_core::formats::results::{HostInfo, InputFile, KnownPosition, KnownPulsar, Provenance, SearchResults};
use palfa_tracker::resultsdb::record::{find_header, BeamRecord, Provenance as UploadProvenance};
use palfa_tracker::resultsdb::{self, Kind, ResultsStore, Value};
use palfa_tracker::upload::write_and_verify;

use upload_support::*;

fn provenance() -> Provenance {
    Provenance {
        palfa_version: "0.1.0".into(),
        git_commit: "0123456789ab-dirty".into(),
        config_sha256: "ab".repeat(32),
        // Long, with quotes, newlines and non-ASCII, as a real one.
        config_toml: format!(
            "[searching]\nto_prepfold_sigma = 6.0\nbase = \"/dätä/x\"\n{}",
            "# padding line of a long configuration\n".repeat(150)
        ),
        inputs: vec![InputFile {
            path: "/data/beam \"1\".fits".into(),
            size: 12_345_678_901,
            sha256: "cd".repeat(32),
        }],
        host: HostInfo {
            hostname: "node-7".into(),
            cpu_model: "Some CPU @ 2.20GHz".into(),
            threads: 16,
            os: "linux x86_64".into(),
        },
        started_at: "2026-12-04T10:00:00Z".into(),
        finished_at: "2026-12-04T10:30:00Z".into(),
    }
}

fn upload_prov() -> UploadProvenance {
    UploadProvenance {
        institution: "Test".into(),
        pipeline: "PRESTO".into(),
        survey: "PALFA".into(),
        version_num: "PALFA:test;palfa:0.1.0".into(),
    }
}

#[test]
fn provenance_and_known_pulsars_are_uploaded_verified_and_queried() {
    let dir = tempfile::tempdir().unwrap();
    let with = dir.path().join("with");
    let without = dir.path().join("without");
    let mut r = beams::write_results(&with, "beam_with", 3);
    r.provenance = Some(provenance());
    r.candidates[0].known_pulsar = Some(KnownPulsar {
        name: "J1903+0327".into(),
        bname: None,
        harmonic_n: 2,
        harmonic_m: 1,
        psr_period_s: 0.00215,
        psr_dm: 297.5,
        period_diff_s: 1e-9,
        dm_diff: 0.3,
        separation_deg: 0.01,
        position: KnownPosition::Main,
    });
    r.candidates[2].known_pulsar = Some(KnownPulsar {
        name: "J1939+2134".into(),
        bname: Some("B1937+21".into()),
        harmonic_n: 1,
        harmonic_m: 3,
        psr_period_s: 0.00155,
        psr_dm: 71.0,
        period_diff_s: -2e-9,
        dm_diff: -1.0,
        separation_deg: 2.5,
        position: KnownPosition::FarSidelobe,
    });
    r.write_dir(&with).unwrap();
    beams::write_results(&without, "beam_without", 4);

    for backend in Backend::all(dir.path(), "palfa_up_provenance") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        assert_eq!(resultsdb::schema::version(store.as_mut()).unwrap(), 4);
        let prov = upload_prov();
        for (beam, d) in [("beam_with", &with), ("beam_without", &without)] {
            let rec = BeamRecord::from_dir(beam, d, &prov).unwrap();
            write_and_verify(store.as_mut(), &rec).unwrap();
        }
        let id = find_header(store.as_mut(), "beam_with", &prov.version_num)
            .unwrap()
            .unwrap();
        let h = store
            .query(
                "SELECT provenance, config_sha256, palfa_commit FROM headers WHERE id = ?",
                &[Value::Int(id)],
                &[Kind::Text, Kind::Text, Kind::Text],
            )
            .unwrap();
        let stored: Provenance = serde_json::from_str(h[0][0].as_text().unwrap()).unwrap();
        assert_eq!(stored, provenance(), "the provenance JSON reads back whole");
        assert_eq!(h[0][1].as_text(), Some("ab".repeat(32).as_str()));
        assert_eq!(h[0][2].as_text(), Some("0123456789ab-dirty"));
        let c = store
            .query(
                "SELECT cand_num, known_pulsar, known_harmonic, known_position FROM candidates \
                 WHERE header_id = ? ORDER BY cand_num",
                &[Value::Int(id)],
                &[Kind::Int, Kind::Text, Kind::Text, Kind::Text],
            )
            .unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0][1].as_text(), Some("J1903+0327"));
        assert_eq!(c[0][2].as_text(), Some("2/1"));
        assert_eq!(c[0][3].as_text(), Some("main"));
        assert!(c[1][1..].iter().all(|v| matches!(v, Value::Null)), "{:?}", c[1]);
        assert_eq!(c[2][2].as_text(), Some("1/3"));
        assert_eq!(c[2][3].as_text(), Some("far_sidelobe"));

        // Results without provenance or tags: NULLs.
        let id2 = find_header(store.as_mut(), "beam_without", &prov.version_num)
            .unwrap()
            .unwrap();
        let h = store
            .query(
                "SELECT provenance, config_sha256, palfa_commit FROM headers WHERE id = ?",
                &[Value::Int(id2)],
                &[Kind::Text, Kind::Text, Kind::Text],
            )
            .unwrap();
        assert!(h[0].iter().all(|v| matches!(v, Value::Null)), "{:?}", h[0]);

        // The query shows the tags.
        let best = resultsdb::query::best_candidates(store.as_mut(), 100, None).unwrap();
        let tagged: Vec<(String, i64, Option<String>)> = best
            .iter()
            .filter(|c| c.beam == "beam_with")
            .map(|c| (c.beam.clone(), c.cand_num, c.known_tag()))
            .collect();
        assert!(
            tagged.contains(&("beam_with".into(), 1, Some("J1903+0327 2/1".into()))),
            "{tagged:?}"
        );
        assert!(
            tagged.contains(&("beam_with".into(), 3, Some("J1939+2134 1/3 far sidelobe".into()))),
            "{tagged:?}"
        );
        assert!(tagged.contains(&("beam_with".into(), 2, None)), "{tagged:?}");
        assert!(best
            .iter()
            .filter(|c| c.beam == "beam_without")
            .all(|c| c.known_pulsar.is_none()));
    }
}

#[test]
fn a_provenance_that_does_not_read_back_fails_the_upload() {
    // The comparison before commit covers the new columns: a row changed
    // under the uploader (here by a trigger) is refused and rolled back.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("r");
    let mut r: SearchResults = beams::write_results(&d, "beam_x", 5);
    r.provenance = Some(provenance());
    r.write_dir(&d).unwrap();
    let backend = Backend::Sqlite(dir.path().join("results.db"));
    let mut store = backend.created();
    store
        .execute(
            "CREATE TRIGGER nudge AFTER INSERT ON headers BEGIN \
             UPDATE headers SET palfa_commit = 'other' WHERE id = NEW.id; END",
            &[],
        )
        .unwrap();
    let rec = BeamRecord::from_dir("beam_x", &d, &upload_prov()).unwrap();
    let err = write_and_verify(store.as_mut(), &rec).unwrap_err().to_string();
    assert!(err.contains("headers.palfa_commit"), "{err}");
    assert_eq!(count(store.as_mut(), "headers"), 0);
}
