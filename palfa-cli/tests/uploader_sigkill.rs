//! `palfa uploader` killed with SIGKILL many times over 10 processed beams,
//! at random moments and at each crash point of the upload protocol
//! (`PALFA_CRASH_AT`): whenever it is dead, every beam is wholly in the
//! results database or wholly absent, and in the end every beam is there
//! exactly once and `uploaded`, its raw data deleted. Runs on SQLite always,
//! and on PostgreSQL through unixODBC when `.ci/services/postgres.sh` set
//! `PALFA_TEST_PG=1`. The random seed is printed; `PALFA_TEST_SEED` replays a run.

#[path = "../../palfa-tracker/tests/upload_support/beams.rs"]
mod beams;
mod tracker_support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use palfa_core::config::Config;
use palfa_tracker::resultsdb::{self, Kind, ResultsStore, Value};
use palfa_tracker::states::{FileStatus, JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const BEAMS: usize = 10;

/// Where the uploader is made to die (see `docs/results-db.md`).
const CRASH_POINTS: &[&str] = &[
    "upload.header",
    "upload.candidates",
    "upload.verified",
    "upload.committed",
    "upload.marked",
];

/// A site with `BEAMS` beams processed by the pooler and given complete
/// results directories, and a results database made by `palfa resultsdb create`.
fn processed_site(commondb_toml: &str) -> Site {
    let site = Site::new(
        WORKER,
        &format!("max_jobs_running = 5\nmax_jobs_queue = 2\n\n[basic]\ndelete_rawdata = true\n\n{commondb_toml}"),
    );
    make_beams(&site.path("rawdata"), BEAMS, 0);
    site.ok(&["db", "create"]);
    site.ok(&["add-files", "rawdata"]);
    site.ok(&["jobpool", "--until-idle"]);
    let t = Tracker::open(site.db()).unwrap();
    let subs = t.submits_with_status(SubmitStatus::Processed).unwrap();
    assert_eq!(subs.len(), BEAMS);
    for (i, s) in subs.iter().enumerate() {
        let job = t.job(s.job_id).unwrap();
        // Plots of about 2 MB, so that an upload takes a while to kill.
        beams::write_results_sized(&s.output_dir, &job.beam, i as u64, 2048);
    }
    let out = site.ok(&["resultsdb", "create"]);
    assert!(out.contains("created (schema version"), "{out}");
    site
}

fn store(site: &Site) -> Box<dyn ResultsStore> {
    let cfg = Config::load(site.config()).unwrap();
    resultsdb::open(&cfg.commondb).unwrap()
}

fn rows(s: &mut dyn ResultsStore, sql: &str) -> Vec<Vec<Value>> {
    s.query(sql, &[], &[Kind::Text, Kind::Int]).unwrap()
}

/// What must hold whenever the uploader is dead: every beam in the results
/// database at most once and whole; `uploaded` jobs are there.
fn check_invariants(site: &Site) -> usize {
    let mut s = store(site);
    let headers = rows(s.as_mut(), "SELECT beam, id FROM headers");
    let mut per_beam: BTreeMap<String, i64> = BTreeMap::new();
    for h in &headers {
        *per_beam.entry(h[0].as_text().unwrap().to_string()).or_default() += 1;
    }
    assert!(
        per_beam.values().all(|&n| n == 1),
        "a beam is there twice: {per_beam:?}"
    );
    for (table, want) in [
        ("candidates", 3),
        ("candidate_files", 9),
        ("diagnostics", 18),
        ("single_pulse_groups", 4),
        ("single_pulse_files", 3),
    ] {
        let counts = rows(
            s.as_mut(),
            &format!("SELECT h.beam, COUNT(*) FROM {table} c JOIN headers h ON h.id = c.header_id GROUP BY h.beam"),
        );
        assert_eq!(counts.len(), headers.len(), "{table}: a header without its rows");
        for c in counts {
            assert_eq!(c[1].as_int(), Some(want), "{table} of {:?}", c[0]);
        }
    }
    let t = Tracker::open(site.db()).unwrap();
    for j in t.jobs().unwrap() {
        match j.status {
            JobStatus::Uploaded => assert!(
                per_beam.contains_key(&j.beam),
                "job {} uploaded but not in the database",
                j.id
            ),
            JobStatus::Processed => {}
            other => panic!("job {} is {other}:\n{}", j.id, j.details),
        }
    }
    per_beam.len()
}

fn kill_loop(site: &Site, random: usize, aimed: usize) {
    let mut rng = Rng::seeded();
    let start = Instant::now();
    let mut killed_at: BTreeMap<String, usize> = BTreeMap::new();
    // One aimed kill at each point first (the first time it is reached, so
    // that work remains), then aimed and random kills alternate.
    let first = CRASH_POINTS.len().min(aimed);
    let mut schedule: Vec<bool> = vec![true; first];
    let (mut a, mut r) = (aimed - first, random);
    while a + r > 0 {
        if r > 0 {
            schedule.push(false);
            r -= 1;
        }
        if a > 0 {
            schedule.push(true);
            a -= 1;
        }
    }
    let mut aimed_so_far = 0;
    for aim in schedule {
        let t = Tracker::open(site.db()).unwrap();
        if t.jobs_with_status(JobStatus::Processed).unwrap().is_empty() {
            *killed_at.entry("(no work left)".into()).or_default() += 1;
            continue;
        }
        let mut cmd = site.palfa(&["uploader", "--sleep", "0.01"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let point = CRASH_POINTS[aimed_so_far % CRASH_POINTS.len()];
        aimed_so_far += aim as usize;
        if aim {
            let n = if aimed_so_far <= CRASH_POINTS.len() {
                1
            } else {
                rng.range(1, 3)
            };
            cmd.env("PALFA_CRASH_AT", format!("{point}:{n}"));
        }
        let mut child = cmd.spawn().unwrap();
        if aim {
            let t0 = Instant::now();
            while child.try_wait().unwrap().is_none() && t0.elapsed() < Duration::from_secs(3) {
                std::thread::sleep(Duration::from_millis(5));
            }
            match child.try_wait().unwrap() {
                Some(st) => {
                    assert_eq!(
                        std::os::unix::process::ExitStatusExt::signal(&st),
                        Some(9),
                        "ended by itself ({st})"
                    );
                    *killed_at.entry(point.to_string()).or_default() += 1;
                }
                None => {
                    child.kill().unwrap();
                    child.wait().unwrap();
                    *killed_at.entry("(point not reached)".into()).or_default() += 1;
                }
            }
        } else {
            std::thread::sleep(Duration::from_millis(rng.range(1, 40)));
            child.kill().unwrap(); // SIGKILL (or nothing, if it is waiting to be reaped)
            let st = child.wait().unwrap();
            let how = if std::os::unix::process::ExitStatusExt::signal(&st) == Some(9) {
                "(random)"
            } else {
                "(random, had exited)"
            };
            *killed_at.entry(how.into()).or_default() += 1;
        }
        check_invariants(site);
        assert!(start.elapsed() < Duration::from_secs(240), "kill loop too slow");
    }
    eprintln!(
        "{} kills in {:.1} s: {killed_at:?}",
        random + aimed,
        start.elapsed().as_secs_f64()
    );
    assert!(
        killed_at.keys().filter(|k| !k.starts_with('(')).count() >= 4,
        "too few crash points reached: {killed_at:?}"
    );

    // A clean run finishes whatever is left.
    let out = site.palfa(&["uploader", "--until-idle"]).output().unwrap();
    assert_success(&out, &["uploader", "--until-idle"]);
    assert_eq!(check_invariants(site), BEAMS);
    let t = Tracker::open(site.db()).unwrap();
    for j in t.jobs().unwrap() {
        assert_eq!(j.status, JobStatus::Uploaded, "{}", j.details);
        let subs = t.submits_of_job(j.id).unwrap();
        assert_eq!(subs.iter().filter(|s| s.status == SubmitStatus::Uploaded).count(), 1);
        for f in t.job_files(j.id).unwrap() {
            assert_eq!(f.status, FileStatus::Deleted, "{}", f.filename.display());
            assert!(!f.filename.exists());
        }
    }
    // Again: nothing to do, nothing duplicated.
    site.ok(&["uploader", "--until-idle"]);
    assert_eq!(check_invariants(site), BEAMS);
    let q: serde_json::Value =
        serde_json::from_str(&site.ok(&["resultsdb", "query", "--limit", "5", "--json"])).unwrap();
    assert_eq!(q.as_array().unwrap().len(), 5);
}

#[test]
fn sigkill_at_random_points_and_crash_points_uploads_each_beam_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = format!(
        "[commondb]\nbackend = \"sqlite\"\nsqlite_path = \"{}\"\n",
        tmp.path().join("results.db").display()
    );
    let site = processed_site(&toml);
    kill_loop(&site, 20, 20);
}

#[test]
fn sigkill_with_postgresql_uploads_each_beam_exactly_once() {
    let wanted = std::env::var("PALFA_TEST_PG").is_ok_and(|v| v == "1");
    let Ok(conn) = std::env::var("PALFA_TEST_ODBC") else {
        assert!(!wanted, "PALFA_TEST_PG=1 but PALFA_TEST_ODBC is not set");
        palfa_testkit::skip(
            "the PostgreSQL SIGKILL test",
            "PALFA_TEST_ODBC is not set (source .ci/services/postgres.sh to start PostgreSQL on loopback)",
        );
        return;
    };
    let user = std::env::var("PALFA_TEST_ODBC_USER").unwrap_or_default();
    let pw = std::env::var("PALFA_TEST_ODBC_PASSWORD").unwrap_or_default();
    let mut admin = resultsdb::OdbcStore::connect(&conn, &user, &pw)
        .unwrap_or_else(|e| panic!("PALFA_TEST_PG=1 but PostgreSQL cannot be reached: {e}"));
    admin
        .execute("DROP DATABASE IF EXISTS palfa_cli_sigkill WITH (FORCE)", &[])
        .unwrap();
    admin.execute("CREATE DATABASE palfa_cli_sigkill", &[]).unwrap();
    let conn = conn.replace("Database=palfa", "Database=palfa_cli_sigkill");
    let toml = format!(
        "[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"{conn}\"\nusername = \"{user}\"\npassword = \"{pw}\"\n"
    );
    let site = processed_site(&toml);
    kill_loop(&site, 10, 10);
}

#[test]
fn two_uploaders_at_once_upload_each_beam_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = format!(
        "[commondb]\nbackend = \"sqlite\"\nsqlite_path = \"{}\"\n",
        tmp.path().join("results.db").display()
    );
    let site = processed_site(&toml);
    let children: Vec<_> = (0..2)
        .map(|_| {
            site.palfa(&["uploader", "--until-idle", "--sleep", "0.01"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_success(&out, &["uploader", "--until-idle"]);
    }
    assert_eq!(check_invariants(&site), BEAMS);
    let t = Tracker::open(site.db()).unwrap();
    assert!(t.jobs().unwrap().iter().all(|j| j.status == JobStatus::Uploaded));
}
