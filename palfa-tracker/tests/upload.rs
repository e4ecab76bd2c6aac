//! The uploader against real results databases: SQLite always, and
//! PostgreSQL through unixODBC when `.ci/services/postgres.sh` set
//! `PALFA_TEST_PG=1` (each test runs against both). Beams are processed by
//! the real pooler with a stand-in worker and given complete results
//! directories; every row and blob read back is compared with them.

mod common;
mod upload_support;

use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

use palfa_core::formats::results::SearchResults;
use palfa_tracker::resultsdb::record::{beam_row_counts, sha256_hex, BeamRecord};
use palfa_tracker::resultsdb::{self, Kind, ResultsStore, Value};
use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::upload::{write_and_verify, UploadSettings, Uploader};
use palfa_tracker::Notifier;

use common::Recorder;
use upload_support::*;

fn uploader(s: &common::Survey, open: palfa_tracker::upload::StoreOpener, notes: &Recorder) -> Uploader {
    Uploader::new(
        s.tracker(),
        open,
        Box::new(notes.clone()) as Box<dyn Notifier>,
        UploadSettings::from_config(&s.cfg),
    )
}

fn iterate(u: &mut Uploader) -> palfa_tracker::UploadReport {
    u.iterate(&AtomicBool::new(false)).unwrap()
}

/// Every field of the beam's rows and every blob, against its results directory.
fn check_beam_against_dir(store: &mut dyn ResultsStore, beam: &str, version: &str, dir: &std::path::Path) {
    let r = SearchResults::read_dir(dir).unwrap();
    let id = resultsdb::record::find_header(store, beam, version)
        .unwrap()
        .expect("header");
    let h = store
        .query(
            "SELECT obs_name, file_size, timestamp_mjd, observers, original_files, beam_id, ra_deg FROM headers WHERE id = ?",
            &[Value::Int(id)],
            &[Kind::Text, Kind::Int, Kind::Real, Kind::Text, Kind::Text, Kind::Int, Kind::Real],
        )
        .unwrap();
    assert_eq!(h[0][0], Value::Text(r.header.obs_name.clone()));
    assert_eq!(h[0][1], Value::Int(r.header.file_size as i64));
    assert_eq!(h[0][2].as_real().unwrap().to_bits(), r.header.timestamp_mjd.to_bits());
    assert_eq!(h[0][3], Value::Text(r.header.observers.clone()));
    assert_eq!(
        h[0][4],
        Value::Text(serde_json::to_string(&r.header.original_files).unwrap())
    );
    assert_eq!(h[0][5], Value::Int(r.header.beam_id.unwrap() as i64));
    assert_eq!(h[0][6].as_real().unwrap().to_bits(), r.header.ra_deg.to_bits());
    let cands = store
        .query(
            "SELECT cand_num, period_s, dm, pdot, prepfold_sigma, impulsive, pfd_file FROM candidates WHERE header_id = ? ORDER BY cand_num",
            &[Value::Int(id)],
            &[Kind::Int, Kind::Real, Kind::Real, Kind::Real, Kind::Real, Kind::Int, Kind::Text],
        )
        .unwrap();
    assert_eq!(cands.len(), r.candidates.len());
    for (row, c) in cands.iter().zip(&r.candidates) {
        assert_eq!(row[0], Value::Int(c.cand_num as i64));
        assert_eq!(
            row[1].as_real().unwrap().to_bits(),
            c.period_s.to_bits(),
            "period of {}",
            c.cand_num
        );
        assert_eq!(row[2].as_real().unwrap().to_bits(), c.dm.to_bits());
        assert_eq!(row[3].as_real().unwrap().to_bits(), c.pdot.to_bits());
        assert_eq!(row[4].as_real().unwrap().to_bits(), c.prepfold_sigma.to_bits());
        assert_eq!(row[5], Value::Int(c.impulsive as i64));
        assert_eq!(row[6], Value::Text(c.pfd_file.clone()));
    }
    // Every rating, a null (a rating the fold did not allow) included.
    let ratings = store
        .query(
            "SELECT cand_num, name, version, value FROM ratings WHERE header_id = ? ORDER BY cand_num, name",
            &[Value::Int(id)],
            &[Kind::Int, Kind::Text, Kind::Int, Kind::Real],
        )
        .unwrap();
    let want: Vec<_> = r
        .candidates
        .iter()
        .flat_map(|c| c.ratings.iter().map(move |rt| (c.cand_num, rt)))
        .collect();
    assert_eq!(ratings.len(), want.len());
    assert!(want.iter().any(|(_, rt)| rt.value.is_none()));
    for (row, (num, rt)) in ratings.iter().zip(&want) {
        assert_eq!(row[0], Value::Int(*num as i64));
        assert_eq!(row[1], Value::Text(rt.name.clone()));
        assert_eq!(row[2], Value::Int(rt.version as i64));
        match rt.value {
            Some(v) => assert_eq!(row[3].as_real().unwrap().to_bits(), v.to_bits(), "{}", rt.name),
            None => assert_eq!(row[3], Value::Null),
        }
    }
    // Every blob: its bytes are the file's, its sha256 column is the file's.
    let mut blobs = 0;
    for table in ["candidate_files", "diagnostics", "single_pulse_files"] {
        let rows = store
            .query(
                &format!("SELECT filename, sha256, data FROM {table} WHERE header_id = ? AND data IS NOT NULL"),
                &[Value::Int(id)],
                &[Kind::Text, Kind::Text, Kind::Blob],
            )
            .unwrap();
        for row in rows {
            let name = row[0].as_text().unwrap();
            let on_disk = std::fs::read(dir.join(name)).unwrap();
            let Value::Blob(data) = &row[2] else { panic!("no blob") };
            assert_eq!(data, &on_disk, "{table} {name}");
            assert_eq!(row[1].as_text(), Some(sha256_hex(&on_disk).as_str()));
            blobs += 1;
        }
    }
    // 3 candidates × 3 files, 8 diagnostic files, 1 archive + 2 plots.
    assert_eq!(blobs, 9 + 8 + 3);
    let diags = store
        .query(
            "SELECT value FROM diagnostics WHERE header_id = ? AND name = ?",
            &[Value::Int(id), Value::Text("Percent zapped below 10 Hz".into())],
            &[Kind::Real],
        )
        .unwrap();
    assert_eq!(diags[0][0], Value::Real(r.diagnostics.percent_zapped_below_10hz));
    let groups = store
        .query(
            "SELECT dm, dm_min, dm_max FROM single_pulse_groups WHERE header_id = ? ORDER BY group_num",
            &[Value::Int(id)],
            &[Kind::Real, Kind::Real, Kind::Real],
        )
        .unwrap();
    assert_eq!(groups.len(), r.single_pulses.groups.len());
    for (row, g) in groups.iter().zip(&r.single_pulses.groups) {
        assert_eq!(row[0].as_real().unwrap().to_bits(), g.dm.to_bits());
        assert_eq!((row[1].as_real().unwrap(), row[2].as_real().unwrap()), g.dm_range);
    }
}

#[test]
fn uploads_every_beam_once_and_reads_back_every_field() {
    let s = processed_survey(3, "[basic]\ndelete_rawdata = true\n");
    for backend in Backend::all(s.root(), "palfa_up_every") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        let notes = Recorder::default();
        let t = s.tracker();
        let subs = processed_submits(&t);
        if backend.name() == "sqlite" {
            assert_eq!(subs.len(), 3);
        }
        let mut u = uploader(&s, backend.opener(), &notes);
        let version = u.settings().provenance.version_num.clone();
        assert!(version.starts_with("PALFA:"), "{version}");
        let rep = iterate(&mut u);
        if backend.name() == "sqlite" {
            assert_eq!(
                (rep.uploaded, rep.refused, rep.store_errors, rep.pending),
                (3, 0, 0, 0),
                "{rep:?}"
            );
            // Raw data deleted.
            assert_eq!(rep.files_deleted, 3);
        }
        for sub in &subs {
            let job = t.job(sub.job_id).unwrap();
            assert_eq!(job.status, JobStatus::Uploaded, "{}", job.details);
            assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::Uploaded);
            check_beam_against_dir(store.as_mut(), &job.beam, &version, &sub.output_dir);
            for f in t.job_files(job.id).unwrap() {
                assert!(!f.filename.exists(), "{} not deleted", f.filename.display());
            }
        }
        let counts = all_counts(store.as_mut());
        assert!(
            counts.contains(&("headers", 3)) && counts.contains(&("candidates", 9)),
            "{counts:?}"
        );
        // Running again changes nothing.
        let rep = iterate(&mut u);
        assert_eq!((rep.uploaded, rep.marked), (0, 0));
        assert_eq!(all_counts(store.as_mut()), counts);
        assert!(notes.events().is_empty(), "{:?}", notes.events());
        // The best candidates of the survey.
        // Best first by score (candidate 3 of every beam, then a candidate 1),
        // though candidate 1 has the higher sigma; unscored ones come last, by sigma.
        let best = resultsdb::query::best_candidates(store.as_mut(), 4, None).unwrap();
        assert_eq!(best.len(), 4);
        let nums: Vec<i64> = best.iter().map(|c| c.cand_num).collect();
        assert_eq!(nums, [3, 3, 3, 1], "{best:?}");
        assert!(best.windows(2).all(|w| w[0].score >= w[1].score));
        let all = resultsdb::query::best_candidates(store.as_mut(), 100, None).unwrap();
        let unscored: Vec<_> = all.iter().filter(|c| c.score.is_none()).collect();
        assert_eq!(unscored.len(), 3);
        assert!(all[all.len() - 3..].iter().all(|c| c.score.is_none()));
        assert!(unscored.windows(2).all(|w| w[0].prepfold_sigma >= w[1].prepfold_sigma));

        // Put the jobs back to processed (as if another version were to be
        // uploaded) for the next backend.
        if let Backend::Sqlite(_) = backend {
            reset_to_processed(&s);
        }
    }
}

/// Moves uploaded jobs back to `processed` by hand (for the next backend).
fn reset_to_processed(s: &common::Survey) {
    let c = rusqlite::Connection::open(&s.cfg.background.jobtracker_db).unwrap();
    c.execute("UPDATE jobs SET status = 'processed' WHERE status = 'uploaded'", [])
        .unwrap();
    c.execute(
        "UPDATE job_submits SET status = 'processed' WHERE status = 'uploaded'",
        [],
    )
    .unwrap();
}

#[test]
fn a_beam_committed_but_not_marked_is_marked_not_uploaded_again() {
    let s = processed_survey(2, "");
    for backend in Backend::all(s.root(), "palfa_up_marked") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        let t = s.tracker();
        let notes = Recorder::default();
        let mut u = uploader(&s, backend.opener(), &notes);
        let prov = u.settings().provenance.clone();
        // An uploader that died after its commit, before marking the tracker.
        let sub = &processed_submits(&t)[0];
        let job = t.job(sub.job_id).unwrap();
        let rec = BeamRecord::from_dir(&job.beam, &sub.output_dir, &prov).unwrap();
        write_and_verify(store.as_mut(), &rec).unwrap();
        let before = beam_row_counts(store.as_mut(), &job.beam, &prov.version_num).unwrap();
        assert_eq!(before[0], ("headers", 1));
        let rep = iterate(&mut u);
        assert_eq!((rep.marked, rep.uploaded), (1, 1), "{rep:?}");
        assert_eq!(t.job(job.id).unwrap().status, JobStatus::Uploaded);
        assert!(t.job(job.id).unwrap().details.contains("marked, not uploaded again"));
        assert_eq!(
            beam_row_counts(store.as_mut(), &job.beam, &prov.version_num).unwrap(),
            before
        );
        assert_eq!(count(store.as_mut(), "headers"), 2);
        if let Backend::Sqlite(_) = backend {
            reset_to_processed(&s);
        }
    }
}

#[test]
fn a_fault_after_the_candidates_leaves_no_row_and_the_beam_is_tried_again() {
    let s = processed_survey(1, "");
    for backend in Backend::all(s.root(), "palfa_up_fault") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        let t = s.tracker();
        let notes = Recorder::default();
        let seen = Arc::new(AtomicUsize::new(0));
        // The first statement after the candidates fails.
        let open = FaultyStore::opener(
            backend.clone(),
            Fault::FailAt("INSERT INTO candidate_files", 1),
            seen.clone(),
        );
        let mut u = uploader(&s, open, &notes);
        let sub = processed_submits(&t)[0].clone();
        let rep = iterate(&mut u);
        assert_eq!((rep.uploaded, rep.store_errors, rep.pending), (0, 1, 1), "{rep:?}");
        assert_eq!(
            all_counts(store.as_mut()).iter().map(|c| c.1).sum::<i64>(),
            0,
            "a row was left"
        );
        assert_eq!(t.job(sub.job_id).unwrap().status, JobStatus::Processed);
        assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::Processed);
        // Next iteration (the fault was once): uploaded.
        let rep = iterate(&mut u);
        assert_eq!(rep.uploaded, 1, "{rep:?}");
        assert_eq!(count(store.as_mut(), "headers"), 1);
        assert_eq!(count(store.as_mut(), "candidates"), 3);
        assert!(notes.events().is_empty());
        if let Backend::Sqlite(_) = backend {
            reset_to_processed(&s);
        }
    }
}

#[test]
fn rows_that_do_not_read_back_as_written_fail_the_upload() {
    for (i, (fault, why)) in [
        (Fault::CorruptBlobs, "SHA-256"),
        (Fault::NudgeReals, "read-back: candidates."),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = tempfile::tempdir().unwrap();
        for backend in Backend::all(dir.path(), &format!("palfa_up_readback{i}")) {
            eprintln!("-- {} {why}", backend.name());
            let s = processed_survey(1, "max_attempts = 3\n");
            let mut store = backend.created();
            let t = s.tracker();
            let notes = Recorder::default();
            let open = FaultyStore::opener(backend.clone(), fault.clone(), Arc::new(AtomicUsize::new(0)));
            let mut u = uploader(&s, open, &notes);
            let sub = processed_submits(&t)[0].clone();
            let rep = iterate(&mut u);
            assert_eq!(rep.refused, 1, "{rep:?}");
            assert_eq!(all_counts(store.as_mut()).iter().map(|c| c.1).sum::<i64>(), 0);
            let job = t.job(sub.job_id).unwrap();
            assert_eq!(job.status, JobStatus::Failed);
            assert!(job.details.contains(why), "{}", job.details);
            assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::UploadFailed);
            let ev = notes.events();
            assert_eq!(ev.len(), 1, "{ev:?}");
            assert!(
                ev[0].starts_with(&format!("failed job {} attempt 1/3", job.id)),
                "{ev:?}"
            );
            // The pooler retries the job; the new results upload cleanly.
            let mut pool = s.pool(&Recorder::default());
            common::run_until_idle(&mut pool, std::time::Duration::from_secs(60));
            drop(pool);
            give_results(&s, 100);
            assert_eq!(t.job(job.id).unwrap().status, JobStatus::Processed);
            let mut u = uploader(&s, backend.opener(), &notes);
            assert_eq!(iterate(&mut u).uploaded, 1);
            assert_eq!(count(store.as_mut(), "headers"), 1);
            assert_eq!(t.attempts(job.id).unwrap(), 2);
        }
    }
}

#[test]
fn a_missing_truncated_or_altered_file_is_refused_with_the_reason() {
    let s = processed_survey(4, "");
    let t = s.tracker();
    let subs = processed_submits(&t);
    let dir = |i: usize| subs[i].output_dir.clone();
    // Missing, cut short, altered in place (same size), and a .pfd that is not one.
    std::fs::remove_file(dir(0).join("cands/cand2.pfd")).unwrap();
    let p = dir(1).join("sp/plot1.png");
    let data = std::fs::read(&p).unwrap();
    std::fs::write(&p, &data[..data.len() - 7]).unwrap();
    let p = dir(2).join("rfifind.png");
    let mut data = std::fs::read(&p).unwrap();
    let mid = data.len() / 2;
    data[mid] ^= 0x01;
    std::fs::write(&p, &data).unwrap();
    let p = dir(3).join("cands/cand1.pfd");
    let n = std::fs::metadata(&p).unwrap().len() as usize;
    std::fs::write(&p, vec![0xffu8; n]).unwrap();
    let reasons = [
        "names cands/cand2.pfd, which is missing",
        "sp/plot1.png has",
        "rfifind.png: PNG chunk",
        "cands/cand1.pfd: not a valid .pfd",
    ];
    for backend in Backend::all(s.root(), "palfa_up_refused") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        let notes = Recorder::default();
        let mut u = uploader(&s, backend.opener(), &notes);
        let rep = iterate(&mut u);
        assert_eq!((rep.refused, rep.uploaded), (4, 0), "{rep:?}");
        assert_eq!(
            all_counts(store.as_mut()).iter().map(|c| c.1).sum::<i64>(),
            0,
            "something was written"
        );
        for (sub, why) in subs.iter().zip(reasons) {
            let job = t.job(sub.job_id).unwrap();
            assert_eq!(job.status, JobStatus::Failed);
            assert!(job.details.contains(why), "wanted {why:?} in {}", job.details);
            assert_eq!(t.submit(sub.id).unwrap().status, SubmitStatus::UploadFailed);
        }
        assert_eq!(notes.count("failed job"), 4);
        if let Backend::Sqlite(_) = backend {
            let c = rusqlite::Connection::open(&s.cfg.background.jobtracker_db).unwrap();
            c.execute("UPDATE jobs SET status = 'processed' WHERE status = 'failed'", [])
                .unwrap();
            c.execute(
                "UPDATE job_submits SET status = 'processed' WHERE status = 'upload_failed'",
                [],
            )
            .unwrap();
        }
    }
}

#[test]
fn an_unreachable_database_changes_nothing_in_the_tracker() {
    let s = processed_survey(1, "");
    let t = s.tracker();
    let notes = Recorder::default();
    // A results database without the schema, then one that cannot be opened.
    let bare = s.root().join("bare.db");
    let open = Backend::Sqlite(bare.clone()).opener();
    let mut u = uploader(&s, open, &notes);
    let rep = iterate(&mut u);
    assert_eq!((rep.store_errors, rep.pending), (1, 1), "{rep:?}");
    let mut u = uploader(&s, Backend::Sqlite(s.root().join("no/such/dir/r.db")).opener(), &notes);
    assert_eq!(iterate(&mut u).store_errors, 1);
    let job = &t.jobs().unwrap()[0];
    assert_eq!(job.status, JobStatus::Processed);
    assert!(!job.details.contains("upload"), "{}", job.details);
    assert!(notes.events().is_empty());
    // Once it exists, the beam goes in.
    let mut store = Backend::Sqlite(bare.clone()).created();
    let mut u = uploader(&s, Backend::Sqlite(bare).opener(), &notes);
    assert_eq!(iterate(&mut u).uploaded, 1);
    assert_eq!(count(store.as_mut(), "headers"), 1);
}

#[test]
fn create_is_idempotent_and_version_checked() {
    let dir = tempfile::tempdir().unwrap();
    for backend in Backend::all(dir.path(), "palfa_schema") {
        let mut s = backend.open().unwrap();
        assert!(resultsdb::schema::check(s.as_mut())
            .unwrap_err()
            .to_string()
            .contains("palfa resultsdb create"));
        assert_eq!(
            resultsdb::schema::create(s.as_mut()).unwrap(),
            (0, resultsdb::schema::SCHEMA_VERSION)
        );
        assert_eq!(
            resultsdb::schema::create(s.as_mut()).unwrap().0,
            resultsdb::schema::SCHEMA_VERSION
        );
        resultsdb::schema::check(s.as_mut()).unwrap();
        // A newer schema is refused.
        s.execute(
            "INSERT INTO schema_version (version, applied_at, palfa_version) VALUES (99, 'x', 'y')",
            &[],
        )
        .unwrap();
        assert!(resultsdb::schema::create(s.as_mut())
            .unwrap_err()
            .to_string()
            .contains("newer"));
    }
}

#[test]
fn a_beam_with_nothing_found_uploads_its_header_and_diagnostics() {
    // The stand-in worker's results: the example of palfa_core, no files.
    let s = common::Survey::new(common::GOOD_WORKER, "");
    common::make_beams(&s.rawdata(), 1, 0);
    palfa_tracker::ops::add_files(&s.tracker(), &s.rawdata(), false).unwrap();
    let mut pool = s.pool(&Recorder::default());
    common::run_until_idle(&mut pool, std::time::Duration::from_secs(60));
    drop(pool);
    for backend in Backend::all(s.root(), "palfa_up_empty") {
        eprintln!("-- {}", backend.name());
        let mut store = backend.created();
        let notes = Recorder::default();
        let mut u = uploader(&s, backend.opener(), &notes);
        assert_eq!(iterate(&mut u).uploaded, 1);
        let counts = all_counts(store.as_mut());
        let want = [
            ("ratings", 0),
            ("candidate_files", 0),
            ("candidates", 0),
            ("diagnostics", 10),
            ("single_pulse_groups", 0),
            ("single_pulse_files", 0),
            ("headers", 1),
        ];
        assert_eq!(counts, want);
        if let Backend::Sqlite(_) = backend {
            reset_to_processed(&s);
        }
    }
}
