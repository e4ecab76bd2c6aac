//! `resultsdb`: the results database answers, has the current schema, can be
//! read, and takes an insert that reads back the same (inside a transaction
//! that is rolled back: nothing is left behind).

use palfa_core::config::{CommonDbBackend, Config};

use super::Verdict;
use crate::resultsdb::{self, query, schema, Kind, ResultsStore, StoreError, Value};

/// The `schema_version.version` of the row the check writes (never a real version).
const PROBE_VERSION: i64 = -20;

pub(crate) fn check(cfg: &Config) -> Verdict {
    let c = &cfg.commondb;
    let mut details = Vec::new();
    match &c.backend {
        CommonDbBackend::Sqlite { path } => {
            if !path.exists() {
                return Verdict::fail(
                    format!("the results database {} does not exist", path.display()),
                    "palfa resultsdb create (or set commondb.sqlite_path)",
                );
            }
        }
        CommonDbBackend::Odbc { connection_string } => {
            #[cfg(feature = "odbc")]
            match resultsdb::describe_driver(connection_string) {
                Ok(line) => details.push(line),
                Err(why) => {
                    return Verdict::fail(
                        format!("the ODBC driver named in commondb.odbc_connection_string cannot be used: {why}"),
                        "install the driver (e.g. odbc-postgresql) and register it in odbcinst.ini (odbcinst -q -d \
                         lists the drivers unixODBC knows), or fix Driver= in commondb.odbc_connection_string",
                    )
                }
            }
            #[cfg(not(feature = "odbc"))]
            {
                let _ = connection_string;
                return Verdict::fail(
                    "this palfa was built without ODBC support, and commondb.backend = \"odbc\"",
                    "build palfa with the `odbc` feature (the palfa binary has it), or use commondb.backend = \"sqlite\"",
                );
            }
        }
    }
    let mut store = match resultsdb::open(c) {
        Ok(s) => s,
        Err(e) => return connect_failure(cfg, &e, details),
    };
    details.push(format!("connected to {}", store.describe()));
    if let Err(e) = schema::check(&mut *store) {
        let fix = match &e {
            StoreError::Schema(m) if m.contains("newer") => "run the palfa that made it (palfa check install)",
            _ => "palfa resultsdb create",
        };
        return Verdict::fail_with(e.to_string(), fix, details);
    }
    details.push(format!("schema version {} (current)", schema::SCHEMA_VERSION));
    match query::count_headers(&mut *store) {
        Ok(n) => details.push(format!("read: {n} beam(s) in the database")),
        Err(e) => return Verdict::fail_with(format!("reading the headers table failed: {e}"), fix_for(cfg), details),
    }
    match write_and_roll_back(&mut *store) {
        Ok(()) => {
            details.push("an insert read back the same and was rolled back".into());
            details.insert(
                0,
                format!(
                    "{}: schema current, read, insert read back and rolled back",
                    store.describe()
                ),
            );
        }
        Err(e) => {
            return Verdict::fail_with(
                format!("an insert into the results database failed: {e}"),
                "grant the database user INSERT on the results tables (commondb.username)",
                details,
            )
        }
    }
    Verdict::Pass(details)
}

fn write_and_roll_back(store: &mut dyn ResultsStore) -> Result<(), String> {
    let marker = format!("palfa check {}", std::process::id());
    store.begin().map_err(|e| e.to_string())?;
    let r = (|| {
        store
            .execute(
                "INSERT INTO schema_version (version, applied_at, palfa_version) VALUES (?, ?, ?)",
                &[
                    Value::Int(PROBE_VERSION),
                    Value::Text(crate::clock::now()),
                    Value::Text(marker.clone()),
                ],
            )
            .map_err(|e| e.to_string())?;
        let rows = store
            .query(
                "SELECT palfa_version FROM schema_version WHERE version = ?",
                &[Value::Int(PROBE_VERSION)],
                &[Kind::Text],
            )
            .map_err(|e| e.to_string())?;
        match rows.first().and_then(|r| r[0].as_text()) {
            Some(t) if t == marker => Ok(()),
            other => Err(format!("the row read back is {other:?}, not the {marker:?} written")),
        }
    })();
    let rb = store.rollback().map_err(|e| format!("rolling back: {e}"));
    r?;
    rb?;
    let left = store
        .query(
            "SELECT COUNT(*) FROM schema_version WHERE version = ?",
            &[Value::Int(PROBE_VERSION)],
            &[Kind::Int],
        )
        .map_err(|e| e.to_string())?;
    match left.first().and_then(|r| r[0].as_int()) {
        Some(0) => Ok(()),
        n => Err(format!("the rolled-back row is still there ({n:?})")),
    }
}

fn fix_for(cfg: &Config) -> String {
    match &cfg.commondb.backend {
        CommonDbBackend::Sqlite { .. } => "check commondb.sqlite_path (a file palfa resultsdb create made)".into(),
        CommonDbBackend::Odbc { .. } => {
            "check commondb.odbc_connection_string, commondb.username and commondb.password (or PALFA_COMMONDB_PASSWORD)"
                .into()
        }
    }
}

fn connect_failure(cfg: &Config, e: &StoreError, details: Vec<String>) -> Verdict {
    let msg = e.to_string();
    let low = msg.to_lowercase();
    if matches!(cfg.commondb.backend, CommonDbBackend::Odbc { .. }) {
        if low.contains("can't open lib")
            || low.contains("file not found")
            || low.contains("data source name not found")
            || low.contains("driver")
                && (low.contains("not found") || low.contains("not installed") || low.contains("no such"))
        {
            return Verdict::fail_with(
                format!("the ODBC driver named in commondb.odbc_connection_string is not installed here: {msg}"),
                "install the driver (e.g. odbc-postgresql) and register it (odbcinst -q -d lists the drivers \
                 unixODBC knows), or fix Driver= in commondb.odbc_connection_string",
                details,
            );
        }
        if low.contains("password") || low.contains("authentication") || low.contains("login failed") {
            return Verdict::fail_with(
                format!("the results database refused the login: {msg}"),
                "set commondb.username and commondb.password (or PALFA_COMMONDB_PASSWORD)",
                details,
            );
        }
        if low.contains("connection refused") || low.contains("could not connect") || low.contains("timeout") {
            return Verdict::fail_with(
                format!("the results-database server cannot be reached: {msg}"),
                "check Server= and Port= in commondb.odbc_connection_string, and that the server runs and a \
                 firewall lets this machine in",
                details,
            );
        }
    }
    Verdict::fail_with(
        format!("cannot open the results database: {msg}"),
        fix_for(cfg),
        details,
    )
}
