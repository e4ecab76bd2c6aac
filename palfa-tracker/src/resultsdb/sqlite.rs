//! The embedded backend: one SQLite file in WAL mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::Connection;

use super::{Dialect, Kind, ResultsStore, StoreError, Value};

/// How long a writer waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A results database in one SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::backend("sqlite", e.to_string())
}

impl SqliteStore {
    /// Opens (or makes) the file at `path`: WAL, `synchronous = FULL`,
    /// foreign keys enforced, a 30 s busy timeout.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn =
            Connection::open(&path).map_err(|e| StoreError::backend("sqlite", format!("{}: {e}", path.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(err)?;
        Ok(Self { conn, path })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Int(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

fn from_sql(v: SqlValue, kind: Kind) -> Result<Value, StoreError> {
    Ok(match (v, kind) {
        (SqlValue::Null, _) => Value::Null,
        (SqlValue::Integer(i), Kind::Int) => Value::Int(i),
        (SqlValue::Integer(i), Kind::Real) => Value::Real(i as f64),
        (SqlValue::Real(r), Kind::Real) => Value::Real(r),
        (SqlValue::Text(s), Kind::Text) => Value::Text(s),
        (SqlValue::Blob(b), Kind::Blob) => Value::Blob(b),
        (v, k) => {
            return Err(StoreError::backend(
                "sqlite",
                format!("a column holds {:?} where {k:?} was expected", v.data_type()),
            ))
        }
    })
}

impl ResultsStore for SqliteStore {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let params: Vec<SqlValue> = params.iter().map(to_sql).collect();
        self.conn.execute(sql, rusqlite::params_from_iter(params)).map_err(err)
    }

    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError> {
        let params: Vec<SqlValue> = params.iter().map(to_sql).collect();
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(err)? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, &k) in columns.iter().enumerate() {
                values.push(from_sql(row.get::<_, SqlValue>(i).map_err(err)?, k)?);
            }
            out.push(values);
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(err)
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT").map_err(err)
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        self.conn.execute_batch("ROLLBACK").map_err(err)
    }
}
