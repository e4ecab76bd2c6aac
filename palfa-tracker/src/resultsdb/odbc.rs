//! The ODBC backend (feature `odbc`): any server with an ODBC driver.
//! PostgreSQL through unixODBC and psqlODBC is tested; Microsoft SQL Server
//! (the original pipeline's) has its dialect.

use odbc_api::parameter::{InputParameter, VarBinaryBox, VarCharBox};
use odbc_api::{ConnectionOptions, Cursor, Nullable};

use super::{Dialect, Kind, ResultsStore, StoreError, Value};

/// Seconds to wait for the server when connecting, and for one statement.
const TIMEOUT_S: u32 = 30;

/// A connection to a results database through ODBC.
pub struct OdbcStore {
    conn: odbc_api::Connection<'static>,
    dialect: Dialect,
    /// The connection string without the password.
    public: String,
    /// The password, to scrub from any message a driver returns.
    secret: String,
    in_tx: bool,
}

/// A connection-string value: as is when plain, else `{value}` with `}`
/// doubled (so that `;`, `=` or braces in a password are kept whole).
fn braced(value: &str) -> String {
    let plain = !value.is_empty()
        && value == value.trim()
        && !value.contains([';', '{', '}', '=', '[', ']', '(', ')', ',', '?', '*', '!', '@']);
    if plain {
        value.to_string()
    } else {
        format!("{{{}}}", value.replace('}', "}}"))
    }
}

impl OdbcStore {
    /// Connects with `connection_string` (no password in it), adding
    /// `UID`/`PWD` when given. Waits at most 30 s for the server.
    pub fn connect(connection_string: &str, username: &str, password: &str) -> Result<Self, StoreError> {
        let mut full = connection_string.trim().trim_end_matches(';').to_string();
        let mut public = full.clone();
        if !username.is_empty() {
            let uid = format!(";UID={}", braced(username));
            full.push_str(&uid);
            public.push_str(&uid);
        }
        if !password.is_empty() {
            full.push_str(&format!(";PWD={}", braced(password)));
            public.push_str(";PWD=***");
        }
        let scrub = |e: odbc_api::Error| scrub_message(&e.to_string(), password);
        let env = odbc_api::environment().map_err(|e| StoreError::backend("odbc", scrub(e)))?;
        let conn = env
            .connect_with_connection_string(
                &full,
                ConnectionOptions {
                    login_timeout_sec: Some(TIMEOUT_S),
                    ..ConnectionOptions::default()
                },
            )
            .map_err(|e| StoreError::backend("odbc", format!("cannot connect ({public}): {}", scrub(e))))?;
        let dbms = conn
            .database_management_system_name()
            .map_err(|e| StoreError::backend("odbc", scrub(e)))?;
        let lower = dbms.to_ascii_lowercase();
        let dialect = if lower.contains("postgres") {
            Dialect::Postgres
        } else if lower.contains("microsoft sql server") {
            Dialect::MsSql
        } else if lower.contains("sqlite") {
            Dialect::Sqlite
        } else {
            return Err(StoreError::backend(
                "odbc",
                format!("the server is {dbms:?}; palfa knows PostgreSQL, Microsoft SQL Server and SQLite"),
            ));
        };
        Ok(Self {
            conn,
            dialect,
            public,
            secret: password.to_string(),
            in_tx: false,
        })
    }

    fn err(&self, e: odbc_api::Error) -> StoreError {
        StoreError::backend("odbc", scrub_message(&e.to_string(), &self.secret))
    }
}

/// `message` with every occurrence of `secret` replaced by `***`.
fn scrub_message(message: &str, secret: &str) -> String {
    if secret.is_empty() {
        message.to_string()
    } else {
        message.replace(secret, "***")
    }
}

fn parameter(v: &Value) -> Box<dyn InputParameter> {
    match v {
        Value::Null => Box::new(VarCharBox::null()),
        Value::Int(i) => Box::new(*i),
        Value::Real(r) => Box::new(*r),
        Value::Text(s) => Box::new(VarCharBox::from_string(s.clone())),
        Value::Blob(b) => Box::new(VarBinaryBox::from_vec(b.clone())),
    }
}

impl ResultsStore for OdbcStore {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn describe(&self) -> String {
        format!("odbc:{}", self.public)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, StoreError> {
        let params: Vec<Box<dyn InputParameter>> = params.iter().map(parameter).collect();
        let mut stmt = self.conn.preallocate().map_err(|e| self.err(e))?;
        stmt.set_query_timeout_sec(TIMEOUT_S as usize)
            .map_err(|e| self.err(e))?;
        stmt.execute(sql, &params[..]).map_err(|e| self.err(e))?;
        let n = stmt.row_count().map_err(|e| self.err(e))?;
        Ok(n.unwrap_or(0))
    }

    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError> {
        let params: Vec<Box<dyn InputParameter>> = params.iter().map(parameter).collect();
        let mut stmt = self.conn.preallocate().map_err(|e| self.err(e))?;
        stmt.set_query_timeout_sec(TIMEOUT_S as usize)
            .map_err(|e| self.err(e))?;
        let secret = self.secret.clone();
        let err = |e: odbc_api::Error| StoreError::backend("odbc", scrub_message(&e.to_string(), &secret));
        let Some(mut cursor) = stmt.execute(sql, &params[..]).map_err(err)? else {
            return Err(StoreError::backend("odbc", "the query returned no result set"));
        };
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(mut row) = cursor.next_row().map_err(err)? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, &k) in columns.iter().enumerate() {
                let col = (i + 1) as u16;
                let v = match k {
                    Kind::Int => {
                        let mut x = Nullable::<i64>::null();
                        row.get_data(col, &mut x).map_err(err)?;
                        x.into_opt().map_or(Value::Null, Value::Int)
                    }
                    Kind::Real => {
                        let mut x = Nullable::<f64>::null();
                        row.get_data(col, &mut x).map_err(err)?;
                        x.into_opt().map_or(Value::Null, Value::Real)
                    }
                    Kind::Text => {
                        buf.clear();
                        if row.get_text(col, &mut buf).map_err(err)? {
                            let s = String::from_utf8(std::mem::take(&mut buf)).map_err(|_| {
                                StoreError::backend("odbc", format!("column {col} holds text that is not UTF-8"))
                            })?;
                            Value::Text(s)
                        } else {
                            Value::Null
                        }
                    }
                    Kind::Blob => {
                        buf.clear();
                        if row.get_binary(col, &mut buf).map_err(err)? {
                            Value::Blob(std::mem::take(&mut buf))
                        } else {
                            Value::Null
                        }
                    }
                };
                values.push(v);
            }
            out.push(values);
        }
        Ok(out)
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        self.conn.set_autocommit(false).map_err(|e| self.err(e))?;
        self.in_tx = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), StoreError> {
        self.conn.commit().map_err(|e| self.err(e))?;
        self.in_tx = false;
        self.conn.set_autocommit(true).map_err(|e| self.err(e))
    }

    fn rollback(&mut self) -> Result<(), StoreError> {
        if !self.in_tx {
            return Ok(());
        }
        self.in_tx = false;
        let r = self.conn.rollback().map_err(|e| self.err(e));
        let _ = self.conn.set_autocommit(true);
        r
    }
}

impl Drop for OdbcStore {
    fn drop(&mut self) {
        if self.in_tx {
            let _ = self.conn.rollback();
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_braced_and_secrets_scrubbed() {
        assert_eq!(super::braced("a}b;c"), "{a}}b;c}");
        assert_eq!(super::braced("palfa"), "palfa");
        assert_eq!(
            super::scrub_message("bad pw hunter2 here", "hunter2"),
            "bad pw *** here"
        );
        assert_eq!(super::scrub_message("x", ""), "x");
    }
}
