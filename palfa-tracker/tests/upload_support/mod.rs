//! Helpers of the uploader's tests: the results databases they run against
//! (SQLite always; PostgreSQL through unixODBC when `.ci/services/postgres.sh`
//! set `PALFA_TEST_PG=1`), surveys with processed beams, and stores that fail
//! on purpose.

#![allow(dead_code)]

pub mod beams;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use palfa_tracker::db::SubmitRow;
use palfa_tracker::resultsdb::{self, Dialect, Kind, ResultsStore, StoreError, Value};
use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::upload::StoreOpener;
use palfa_tracker::{ops, Tracker};

use crate::common::{run_until_idle, Recorder, Survey, GOOD_WORKER};

/// The login of the test PostgreSQL server, if there is one. Panics if
/// `PALFA_TEST_PG=1` but the settings are missing; prints a note and returns
/// `None` if PostgreSQL is not set up.
pub fn pg_login() -> Option<(String, String, String)> {
    let wanted = std::env::var("PALFA_TEST_PG").is_ok_and(|v| v == "1");
    if cfg!(not(feature = "odbc")) {
        assert!(
            !wanted,
            "PALFA_TEST_PG=1 but palfa-tracker is built without its `odbc` feature (test with --features odbc)"
        );
        palfa_testkit::skip(
            "the PostgreSQL half of this test",
            "palfa-tracker is built without its odbc feature",
        );
        return None;
    }
    let conn = std::env::var("PALFA_TEST_ODBC").ok().filter(|s| !s.is_empty());
    match conn {
        Some(c) => Some((
            c,
            std::env::var("PALFA_TEST_ODBC_USER").unwrap_or_default(),
            std::env::var("PALFA_TEST_ODBC_PASSWORD").unwrap_or_default(),
        )),
        None if wanted => panic!("PALFA_TEST_PG=1 but PALFA_TEST_ODBC is not set (source .ci/services/postgres.sh)"),
        None => {
            palfa_testkit::skip(
                "the PostgreSQL half of this test",
                "PALFA_TEST_ODBC is not set (source .ci/services/postgres.sh to start PostgreSQL on loopback)",
            );
            None
        }
    }
}

/// A results database for one test.
#[derive(Clone)]
pub enum Backend {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A fresh PostgreSQL database: connection string, user, password.
    Odbc(String, String, String),
}

impl Backend {
    /// The backends to run a test against: SQLite in `dir`, and a fresh
    /// PostgreSQL database named `pg_name` when the server is set up.
    pub fn all(dir: &Path, pg_name: &str) -> Vec<Backend> {
        let mut v = vec![Backend::Sqlite(dir.join("results.db"))];
        if let Some((conn, user, pw)) = pg_login() {
            v.push(fresh_pg_database(&conn, &user, &pw, pg_name));
        }
        v
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Odbc(..) => "postgresql",
        }
    }

    pub fn open(&self) -> Result<Box<dyn ResultsStore>, StoreError> {
        match self {
            Backend::Sqlite(p) => Ok(Box::new(resultsdb::SqliteStore::open(p)?)),
            #[cfg(feature = "odbc")]
            Backend::Odbc(c, u, p) => Ok(Box::new(resultsdb::OdbcStore::connect(c, u, p)?)),
            #[cfg(not(feature = "odbc"))]
            Backend::Odbc(..) => unreachable!("no ODBC backend without the odbc feature"),
        }
    }

    /// A store with the schema made.
    pub fn created(&self) -> Box<dyn ResultsStore> {
        let mut s = self.open().unwrap();
        resultsdb::schema::create(s.as_mut()).unwrap();
        s
    }

    pub fn opener(&self) -> StoreOpener {
        let b = self.clone();
        Box::new(move || b.open())
    }

    /// `[commondb]` TOML for this backend.
    pub fn toml(&self) -> String {
        match self {
            Backend::Sqlite(p) => format!("[commondb]\nbackend = \"sqlite\"\nsqlite_path = \"{}\"\n", p.display()),
            Backend::Odbc(c, u, _) => {
                format!("[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"{c}\"\nusername = \"{u}\"\n")
            }
        }
    }
}

#[cfg(not(feature = "odbc"))]
pub fn fresh_pg_database(_: &str, _: &str, _: &str, _: &str) -> Backend {
    unreachable!("no ODBC backend without the odbc feature")
}

/// Drops and makes database `name` on the test server; returns its backend.
#[cfg(feature = "odbc")]
pub fn fresh_pg_database(conn: &str, user: &str, pw: &str, name: &str) -> Backend {
    let mut admin = resultsdb::OdbcStore::connect(conn, user, pw)
        .unwrap_or_else(|e| panic!("PALFA_TEST_PG=1 but PostgreSQL cannot be reached: {e}"));
    assert_eq!(admin.dialect(), Dialect::Postgres);
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
        .unwrap();
    admin.execute(&format!("CREATE DATABASE {name}"), &[]).unwrap();
    let c = palfa_testkit::odbc_database(conn, name);
    Backend::Odbc(c, user.to_string(), pw.to_string())
}

/// A survey with `n` beams processed by the stand-in worker, each given a
/// complete results directory ([`beams::write_results`]).
pub fn processed_survey(n: usize, extra_toml: &str) -> Survey {
    let s = Survey::new(GOOD_WORKER, extra_toml);
    crate::common::make_beams(&s.rawdata(), n, 0);
    let t = s.tracker();
    ops::add_files(&t, &s.rawdata(), false).unwrap();
    let notes = Recorder::default();
    let mut pool = s.pool(&notes);
    run_until_idle(&mut pool, std::time::Duration::from_secs(60));
    drop(pool);
    give_results(&s, 0);
    assert_eq!(t.jobs_with_status(JobStatus::Processed).unwrap().len(), n);
    s
}

/// Writes a complete results directory into each processed submission's `output_dir`.
pub fn give_results(s: &Survey, seed0: u64) {
    let t = s.tracker();
    for (i, sub) in processed_submits(&t).iter().enumerate() {
        let job = t.job(sub.job_id).unwrap();
        beams::write_results(&sub.output_dir, &job.beam, seed0 + i as u64 + sub.job_id as u64);
    }
}

/// The processed submission of every processed job.
pub fn processed_submits(t: &Tracker) -> Vec<SubmitRow> {
    t.submits_with_status(SubmitStatus::Processed).unwrap()
}

/// Rows of `table` in the database.
pub fn count(store: &mut dyn ResultsStore, table: &str) -> i64 {
    store
        .query(&format!("SELECT COUNT(*) FROM {table}"), &[], &[Kind::Int])
        .unwrap()[0][0]
        .as_int()
        .unwrap()
}

/// Rows of every table.
pub fn all_counts(store: &mut dyn ResultsStore) -> Vec<(&'static str, i64)> {
    resultsdb::schema::TABLES
        .iter()
        .map(|t| (*t, count(store, t)))
        .collect()
}

/// What a [`FaultyStore`] does wrong.
#[derive(Clone)]
pub enum Fault {
    /// Fails the `n`-th statement (from 1) that starts with this text.
    FailAt(&'static str, usize),
    /// Runs a shell command before the `n`-th statement starting with this text (then runs it).
    ShellAt(&'static str, usize, String),
    /// Flips a byte of every blob read back.
    CorruptBlobs,
    /// Changes every real read back by one unit in the last place.
    NudgeReals,
}

/// A real store that fails on purpose.
pub struct FaultyStore {
    pub inner: Box<dyn ResultsStore>,
    pub fault: Fault,
    pub seen: Arc<AtomicUsize>,
}

impl FaultyStore {
    pub fn opener(backend: Backend, fault: Fault, seen: Arc<AtomicUsize>) -> StoreOpener {
        Box::new(move || {
            Ok(Box::new(FaultyStore {
                inner: backend.open()?,
                fault: fault.clone(),
                seen: Arc::clone(&seen),
            }) as Box<dyn ResultsStore>)
        })
    }
}

impl ResultsStore for FaultyStore {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn describe(&self) -> String {
        format!("faulty {}", self.inner.describe())
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        match &self.fault {
            Fault::FailAt(prefix, n)
                if sql.starts_with(prefix) && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == *n =>
            {
                return Err(StoreError::backend("test", format!("injected fault at {prefix}")));
            }
            Fault::ShellAt(prefix, n, cmd)
                if sql.starts_with(prefix) && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == *n =>
            {
                let st = std::process::Command::new("sh").arg("-c").arg(cmd).status().unwrap();
                assert!(st.success(), "{cmd} failed");
            }
            _ => {}
        }
        self.inner.execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut rows = self.inner.query(sql, params, columns)?;
        for row in &mut rows {
            for v in row.iter_mut() {
                match (&self.fault, v) {
                    (Fault::CorruptBlobs, Value::Blob(b)) if !b.is_empty() => {
                        let mid = b.len() / 2;
                        b[mid] ^= 0x40;
                    }
                    (Fault::NudgeReals, Value::Real(r)) if sql.contains("FROM candidates") => {
                        *r = f64::from_bits(r.to_bits() ^ 1);
                    }
                    _ => {}
                }
            }
        }
        Ok(rows)
    }
    fn begin(&mut self) -> Result<(), StoreError> {
        self.inner.begin()
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        self.inner.commit()
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        self.inner.rollback()
    }
}
