//! The survey's results database: every uploaded beam's header, candidates
//! (with their plots and fold files), diagnostics and single-pulse groups.
//!
//! A [`ResultsStore`] is one connection to it. Two backends implement it:
//! [`SqliteStore`] (the embedded default: one file, WAL) and, with the `odbc`
//! feature, `OdbcStore` (any server with an ODBC driver; PostgreSQL through
//! unixODBC is the tested one). The SQL of the schema ([`schema`]) and of the
//! uploads ([`record`]) is written once, for the [`Dialect`] the store
//! reports. `docs/results-db.md` describes every table.
//!
//! ```
//! use palfa_tracker::resultsdb::{self, ResultsStore, SqliteStore};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let mut store = SqliteStore::open(dir.path().join("results.db"))?;
//! let (from, to) = resultsdb::schema::create(&mut store)?;
//! assert_eq!((from, to), (0, resultsdb::schema::SCHEMA_VERSION));
//! // Creating it again does nothing.
//! assert_eq!(resultsdb::schema::create(&mut store)?, (to, to));
//! assert!(resultsdb::query::best_candidates(&mut store, 10, None)?.is_empty());
//! # Ok(()) }
//! ```

pub mod build;
#[cfg(feature = "odbc")]
mod odbc;
pub mod query;
pub mod record;
pub mod schema;
mod sqlite;

use palfa_core::config::{CommonDb, CommonDbBackend};

#[cfg(feature = "odbc")]
pub use odbc::{describe_driver, OdbcStore};
pub use sqlite::SqliteStore;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// A double-precision number.
    Real(f64),
    /// Text (UTF-8).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The same value: equal numbers, text and bytes. Reals must be exactly
    /// equal (no rounding is forgiven); a NaN equals a NaN, and `-0.0` equals
    /// `0.0`, because databases (SQLite among them) store both zeros as one.
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Real(a), Value::Real(b)) => a == b || (a.is_nan() && b.is_nan()),
            (a, b) => a == b,
        }
    }

    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number, if it is a real or an integer.
    pub fn as_real(&self) -> Option<f64> {
        match self {
            Value::Real(r) => Some(*r),
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// The text, if it is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A short description for error messages (a blob's size and SHA-256, not its bytes).
    pub fn describe(&self) -> String {
        match self {
            Value::Null => "NULL".into(),
            Value::Int(i) => i.to_string(),
            Value::Real(r) => format!("{r:?}"),
            Value::Text(s) => format!("{:?}", s.chars().take(80).collect::<String>()),
            Value::Blob(b) => format!("<{} bytes, SHA-256 {}>", b.len(), record::sha256_hex(b)),
        }
    }
}

/// The type a query's column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// [`Value::Int`] (or `NULL`).
    Int,
    /// [`Value::Real`] (or `NULL`).
    Real,
    /// [`Value::Text`] (or `NULL`).
    Text,
    /// [`Value::Blob`] (or `NULL`).
    Blob,
}

/// The SQL dialect of a results database (types of the schema, row limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// Microsoft SQL Server (the original pipeline's database).
    MsSql,
}

/// A results database that could not be used. The message never holds a password.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached, or a statement failed on the
    /// server's side (a lost connection, a full disk, a lock): the uploader
    /// rolls back and tries again later.
    #[error("results database ({backend}): {message}")]
    Backend {
        /// `sqlite` or `odbc`.
        backend: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The database has no results schema, or another version of it.
    #[error("results database: {0}")]
    Schema(String),
}

impl StoreError {
    /// A backend error.
    pub fn backend(backend: &'static str, message: impl Into<String>) -> Self {
        StoreError::Backend {
            backend,
            message: message.into(),
        }
    }
}

/// One connection to a results database. Statements use `?` placeholders.
///
/// Writes happen between [`begin`](Self::begin) and [`commit`](Self::commit)
/// (or [`rollback`](Self::rollback)); a store dropped inside a transaction
/// rolls it back.
pub trait ResultsStore: Send {
    /// The SQL dialect.
    fn dialect(&self) -> Dialect;

    /// Where the store is, without any password (for logs).
    fn describe(&self) -> String;

    /// Runs a statement that returns no rows; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError>;

    /// Runs a query; every row has one value per entry of `columns`, read as that kind.
    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError>;

    /// Starts a transaction.
    fn begin(&mut self) -> Result<(), StoreError>;

    /// Commits the transaction.
    fn commit(&mut self) -> Result<(), StoreError>;

    /// Rolls the transaction back.
    fn rollback(&mut self) -> Result<(), StoreError>;
}

impl<S: ResultsStore + ?Sized> ResultsStore for Box<S> {
    fn dialect(&self) -> Dialect {
        (**self).dialect()
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        (**self).execute(sql, params)
    }
    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError> {
        (**self).query(sql, params, columns)
    }
    fn begin(&mut self) -> Result<(), StoreError> {
        (**self).begin()
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        (**self).commit()
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        (**self).rollback()
    }
}

/// Opens the results database `[commondb]` names.
pub fn open(cfg: &CommonDb) -> Result<Box<dyn ResultsStore>, StoreError> {
    match &cfg.backend {
        CommonDbBackend::Sqlite { path } => Ok(Box::new(SqliteStore::open(path)?)),
        #[cfg(feature = "odbc")]
        CommonDbBackend::Odbc { connection_string } => Ok(Box::new(OdbcStore::connect(
            connection_string,
            &cfg.username,
            cfg.password.expose(),
        )?)),
        #[cfg(not(feature = "odbc"))]
        CommonDbBackend::Odbc { .. } => Err(StoreError::backend(
            "odbc",
            "this palfa was built without the `odbc` feature of palfa-tracker",
        )),
    }
}
