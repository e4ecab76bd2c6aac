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
        let full = with_driver_path(&full, env);
        let conn = env
            .connect_with_connection_string(
                &full,
                ConnectionOptions {
                    login_timeout_sec: Some(TIMEOUT_S),
                    ..ConnectionOptions::default()
                },
            )
            .map_err(|e| {
                let message = scrub(e);
                let hint = if message.contains("Can't open lib") {
                    " (palfa's bundled unixODBC loads a driver by the path odbcinst.ini gives; a bare \
                     file name is looked for in the usual ODBC directories and the library search \
                     path: give the driver's full path in odbcinst.ini or as Driver=/path/to/driver.so)"
                } else {
                    ""
                };
                StoreError::backend("odbc", format!("cannot connect ({public}): {message}{hint}"))
            })?;
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

/// Directories where distributions install ODBC drivers. Debian's
/// `odbcinst.ini` names drivers by bare file name (`psqlodbcw.so`) and relies
/// on its own unixODBC build to look in these; the bundled unixODBC that
/// palfa links (so that building it needs no system package) loads exactly
/// the path it is given.
const DRIVER_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/odbc",
    "/usr/lib/aarch64-linux-gnu/odbc",
    "/usr/lib/odbc",
    "/usr/lib64/odbc",
    "/usr/lib64",
    "/usr/local/lib/odbc",
    "/usr/local/lib",
    "/usr/lib",
];

/// What the driver manager (unixODBC, built into palfa) knows of the driver
/// `connection_string` names (`palfa check resultsdb`): a line naming the
/// driver and its library, or why it cannot be used (not registered in
/// `odbcinst.ini`, its library missing).
pub fn describe_driver(connection_string: &str) -> Result<String, String> {
    let parts = split_connection_string(connection_string);
    let Some((_, value)) = parts.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case("driver")) else {
        return Ok(
            "driver manager unixODBC (built in); no Driver= in the connection string (a DSN of odbc.ini)".into(),
        );
    };
    let name = unbrace(value);
    if name.contains('/') {
        return if std::path::Path::new(&name).is_file() {
            Ok(format!("driver manager unixODBC (built in); driver library {name}"))
        } else {
            Err(format!("the driver library {name} does not exist"))
        };
    }
    let env = odbc_api::environment().map_err(|e| e.to_string())?;
    let drivers = env.drivers().map_err(|e| e.to_string())?;
    match drivers.iter().find(|d| d.description == name) {
        Some(d) => Ok(format!(
            "driver manager unixODBC (built in); driver {name:?} registered, library {}",
            d.attributes.get("Driver").map(String::as_str).unwrap_or("(not named)")
        )),
        None => {
            let known: Vec<&str> = drivers.iter().map(|d| d.description.as_str()).collect();
            Err(format!(
                "the driver {name:?} is not registered with unixODBC (odbcinst.ini has {})",
                if known.is_empty() {
                    "no driver".to_string()
                } else {
                    known.join(", ")
                }
            ))
        }
    }
}

/// `connection_string` with the value of its `DRIVER` key replaced by the
/// driver library's full path, when it names a driver registered in
/// `odbcinst.ini` by a bare file name that lives in one of [`DRIVER_DIRS`].
/// Anything else (a DSN, a full path, an unknown driver) is returned as is.
fn with_driver_path(connection_string: &str, env: &odbc_api::Environment) -> String {
    let parts = split_connection_string(connection_string);
    let Some(index) = parts.iter().position(|(k, _)| k.trim().eq_ignore_ascii_case("driver")) else {
        return connection_string.to_string();
    };
    let name = unbrace(&parts[index].1);
    if name.contains('/') {
        return connection_string.to_string();
    }
    let Ok(drivers) = env.drivers() else {
        return connection_string.to_string();
    };
    let Some(library) = drivers
        .iter()
        .find(|d| d.description == name)
        .and_then(|d| d.attributes.get("Driver"))
    else {
        return connection_string.to_string();
    };
    if library.contains('/') {
        return connection_string.to_string();
    }
    let Some(path) = DRIVER_DIRS
        .iter()
        .map(|d| std::path::Path::new(d).join(library))
        .find(|p| p.is_file())
    else {
        return connection_string.to_string();
    };
    parts
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            if i == index {
                format!("{k}={}", braced(&path.to_string_lossy()))
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `KEY=value` pairs of a connection string, values as written (braces kept;
/// `;` inside braces does not split).
fn split_connection_string(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim_start_matches(';').to_string();
        let after = &rest[eq + 1..];
        let end = if after.starts_with('{') {
            // The value ends at the first `}` not doubled.
            let bytes = after.as_bytes();
            let mut i = 1;
            loop {
                match bytes.get(i) {
                    None => break after.len(),
                    Some(b'}') if bytes.get(i + 1) == Some(&b'}') => i += 2,
                    Some(b'}') => break after[i..].find(';').map_or(after.len(), |j| i + j),
                    Some(_) => i += 1,
                }
            }
        } else {
            after.find(';').unwrap_or(after.len())
        };
        out.push((key, after[..end].to_string()));
        rest = after[end..].trim_start_matches(';');
    }
    out
}

/// A connection-string value without its braces (`}}` undoubled).
fn unbrace(value: &str) -> String {
    let v = value.trim();
    match v.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        Some(inner) => inner.replace("}}", "}"),
        None => v.to_string(),
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

    #[test]
    fn connection_strings_split_on_semicolons_outside_braces() {
        let parts = super::split_connection_string("Driver={PostgreSQL Unicode};Server=1.2.3.4;PWD={a;b}}c};Port=5");
        let keys: Vec<_> = parts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            keys,
            [
                ("Driver", "{PostgreSQL Unicode}"),
                ("Server", "1.2.3.4"),
                ("PWD", "{a;b}}c}"),
                ("Port", "5")
            ]
        );
        assert_eq!(super::unbrace("{a;b}}c}"), "a;b}c");
        assert_eq!(super::unbrace("plain"), "plain");
    }
}
