//! What the pages show, read from the tracker and the results database, read-only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use palfa_core::config::{CommonDb, CommonDbBackend};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags};

use crate::db::last_note;
use crate::resultsdb::{self, Dialect, Kind, ResultsStore, StoreError, Value};

/// Submission states that count as attempts (`docs/states.md`).
pub const ATTEMPT_STATES: &str = "'running','processed','failed','stopped','uploaded','upload_failed'";

/// Opens an SQLite file read-only (`SQLITE_OPEN_READ_ONLY`, `query_only`);
/// a missing file is an error, never created.
pub fn open_read_only(path: &Path) -> Result<Connection, String> {
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(5)).map_err(|e| e.to_string())?;
    conn.pragma_update(None, "query_only", "ON")
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// The tracker, read-only.
pub fn tracker(path: &Path) -> Result<Connection, String> {
    let c = open_read_only(path)?;
    c.query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get::<_, i64>(0))
        .map_err(|e| format!("{}: not a job-tracker database ({e})", path.display()))?;
    Ok(c)
}

/// A results database in an SQLite file, read-only.
struct ReadOnlySqlite {
    conn: Connection,
    path: PathBuf,
}

fn sqlerr(e: rusqlite::Error) -> StoreError {
    StoreError::backend("sqlite", e.to_string())
}

impl ResultsStore for ReadOnlySqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn describe(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }
    fn execute(&mut self, _sql: &str, _params: &[Value]) -> Result<usize, StoreError> {
        Err(StoreError::backend("sqlite", "the dashboard is read-only"))
    }
    fn query(&mut self, sql: &str, params: &[Value], columns: &[Kind]) -> Result<Vec<Vec<Value>>, StoreError> {
        let params: Vec<SqlValue> = params
            .iter()
            .map(|v| match v {
                Value::Null => SqlValue::Null,
                Value::Int(i) => SqlValue::Integer(*i),
                Value::Real(r) => SqlValue::Real(*r),
                Value::Text(s) => SqlValue::Text(s.clone()),
                Value::Blob(b) => SqlValue::Blob(b.clone()),
            })
            .collect();
        let mut stmt = self.conn.prepare(sql).map_err(sqlerr)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params)).map_err(sqlerr)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(sqlerr)? {
            let mut values = Vec::with_capacity(columns.len());
            for (i, &k) in columns.iter().enumerate() {
                let v = row.get::<_, SqlValue>(i).map_err(sqlerr)?;
                values.push(match (v, k) {
                    (SqlValue::Null, _) => Value::Null,
                    (SqlValue::Integer(i), Kind::Real) => Value::Real(i as f64),
                    (SqlValue::Integer(i), Kind::Text) => Value::Text(i.to_string()),
                    (SqlValue::Integer(i), _) => Value::Int(i),
                    (SqlValue::Real(r), Kind::Int) => Value::Int(r as i64),
                    (SqlValue::Real(r), Kind::Text) => Value::Text(r.to_string()),
                    (SqlValue::Real(r), _) => Value::Real(r),
                    (SqlValue::Text(s), _) => Value::Text(s),
                    (SqlValue::Blob(b), _) => Value::Blob(b),
                });
            }
            out.push(values);
        }
        Ok(out)
    }
    fn begin(&mut self) -> Result<(), StoreError> {
        Err(StoreError::backend("sqlite", "the dashboard is read-only"))
    }
    fn commit(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn rollback(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The results database, read-only; `Ok(None)` when none is configured.
pub fn results(cfg: Option<&CommonDb>) -> Result<Option<Box<dyn ResultsStore>>, String> {
    let Some(cfg) = cfg else { return Ok(None) };
    match &cfg.backend {
        CommonDbBackend::Sqlite { path } => {
            let conn = open_read_only(path).map_err(|e| format!("results database: {e}"))?;
            Ok(Some(Box::new(ReadOnlySqlite {
                conn,
                path: path.clone(),
            })))
        }
        CommonDbBackend::Odbc { .. } => resultsdb::open(cfg).map(Some).map_err(|e| e.to_string()),
    }
}

/// What the results database holds that the pages use.
pub struct ResultsInfo {
    /// Schema version.
    pub version: i64,
    /// Whether `ratings` exists (schema 2).
    pub has_ratings: bool,
    /// Whether `candidates.known_pulsar` etc. exist (schema 4).
    pub has_known: bool,
}

/// Whether `table.column` exists (a query that selects it succeeds).
fn has_column(store: &mut dyn ResultsStore, table: &str, column: &str) -> bool {
    let sql = match store.dialect() {
        Dialect::MsSql => format!("SELECT TOP 1 {column} FROM {table}"),
        _ => format!("SELECT {column} FROM {table} LIMIT 1"),
    };
    store.query(&sql, &[], &[Kind::Text]).is_ok()
}

/// The schema's version and optional columns.
pub fn results_info(store: &mut dyn ResultsStore) -> Result<ResultsInfo, String> {
    let version = resultsdb::schema::version(store).map_err(|e| e.to_string())?;
    if version == 0 {
        return Err(format!("{} has no results schema", store.describe()));
    }
    let has_ratings = version >= 2 && has_column(store, "ratings", "value");
    let has_known = has_column(store, "candidates", "known_pulsar");
    Ok(ResultsInfo {
        version,
        has_ratings,
        has_known,
    })
}

/// One job of the tracker.
pub struct JobInfo {
    /// Its id.
    pub id: i64,
    /// Its beam.
    pub beam: String,
    /// Its status.
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Last change.
    pub updated_at: String,
    /// Created.
    pub created_at: String,
    /// History.
    pub details: String,
    /// Results directory of its last submission, if one was processed.
    pub results_dir: Option<String>,
}

/// Every job, newest first.
pub fn jobs(c: &Connection) -> Result<Vec<JobInfo>, String> {
    let sql = format!(
        "SELECT j.id, j.beam, j.status, j.updated_at, j.created_at, j.details, \
           (SELECT COUNT(*) FROM job_submits s WHERE s.job_id = j.id AND s.status IN ({ATTEMPT_STATES})), \
           (SELECT s.output_dir FROM job_submits s WHERE s.job_id = j.id AND s.status IN ('processed','uploaded') \
              ORDER BY s.id DESC LIMIT 1) \
         FROM jobs j ORDER BY j.id DESC"
    );
    let mut st = c.prepare(&sql).map_err(|e| e.to_string())?;
    let rows = st
        .query_map([], |r| {
            Ok(JobInfo {
                id: r.get(0)?,
                beam: r.get(1)?,
                status: r.get(2)?,
                updated_at: r.get(3)?,
                created_at: r.get(4)?,
                details: r.get(5)?,
                attempts: r.get(6)?,
                results_dir: r.get(7)?,
            })
        })
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
}

/// The results directory of job `id` (its last processed submission's), if any.
pub fn job_results_dir(c: &Connection, id: i64) -> Result<Option<PathBuf>, String> {
    let mut st = c
        .prepare(
            "SELECT output_dir FROM job_submits WHERE job_id = ?1 AND status IN ('processed','uploaded') \
             ORDER BY id DESC LIMIT 1",
        )
        .map_err(|e| e.to_string())?;
    let mut rows = st.query([id]).map_err(|e| e.to_string())?;
    match rows.next().map_err(|e| e.to_string())? {
        Some(r) => Ok(Some(PathBuf::from(r.get::<_, String>(0).map_err(|e| e.to_string())?))),
        None => Ok(None),
    }
}

/// Rows by status of a tracker table.
pub fn counts(c: &Connection, table: &str) -> Result<Vec<(String, i64)>, String> {
    let sql = format!("SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status");
    let mut st = c.prepare(&sql).map_err(|e| e.to_string())?;
    let rows = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| e.to_string())?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
}

/// Bytes and count of files on disk according to the tracker
/// (`downloaded`, `unverified`, `downloading`, as the downloader's budget counts them).
pub fn disk_used(c: &Connection) -> Result<(u64, i64), String> {
    c.query_row(
        "SELECT COALESCE(SUM(size), 0), COUNT(*) FROM files WHERE status IN ('downloaded','unverified','downloading')",
        [],
        |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?)),
    )
    .map_err(|e| e.to_string())
}

/// One failure to show.
pub struct Failure {
    /// `job`, `submission`, `download` or `file`.
    pub what: &'static str,
    /// The row's id (the job's for job and submission failures).
    pub id: i64,
    /// The beam or file name.
    pub name: String,
    /// Its status.
    pub status: String,
    /// When.
    pub when: String,
    /// The last history entry's note (the error).
    pub error: String,
    /// The queue's log directory of a submission (`qsublog_dir/<kind>/<token>`).
    pub log_dir: Option<PathBuf>,
    /// Job id, for a link to the beam.
    pub job_id: Option<i64>,
}

/// Failed submissions, jobs that failed for good, failed downloads and files, newest first.
pub fn failures(c: &Connection, qsublog: Option<&Path>, limit: usize) -> Result<Vec<Failure>, String> {
    let mut out = Vec::new();
    let e = |e: rusqlite::Error| e.to_string();
    let mut st = c
        .prepare(
            "SELECT s.job_id, j.beam, s.status, s.updated_at, s.details, s.queue_kind, s.token, s.queue_error \
             FROM job_submits s JOIN jobs j ON j.id = s.job_id \
             WHERE s.status IN ('failed','stopped','submit_failed','upload_failed','lost','killed') \
             ORDER BY s.updated_at DESC LIMIT ?1",
        )
        .map_err(e)?;
    let rows = st
        .query_map([limit as i64], |r| {
            let kind: String = r.get(5)?;
            let token: String = r.get(6)?;
            let details: String = r.get(4)?;
            let qerr: Option<String> = r.get(7)?;
            let mut error = last_note(&details);
            if let Some(q) = qerr.filter(|q| !q.is_empty() && !error.contains(q.as_str())) {
                error = format!("{error}\nqueue: {q}");
            }
            Ok(Failure {
                what: "submission",
                id: r.get(0)?,
                name: r.get(1)?,
                status: r.get(2)?,
                when: r.get(3)?,
                error,
                log_dir: qsublog.map(|q| q.join(&kind).join(&token)),
                job_id: Some(r.get(0)?),
            })
        })
        .map_err(e)?;
    for r in rows {
        out.push(r.map_err(e)?);
    }
    for (what, sql, job) in [
        (
            "job",
            "SELECT id, beam, status, updated_at, details FROM jobs WHERE status = 'terminal_failure' \
             ORDER BY updated_at DESC LIMIT ?1",
            true,
        ),
        (
            "download",
            "SELECT a.id, f.name, a.status, a.updated_at, a.details FROM download_attempts a \
             JOIN files f ON f.id = a.file_id \
             WHERE a.status IN ('download_failed','verification_failed') ORDER BY a.updated_at DESC LIMIT ?1",
            false,
        ),
        (
            "file",
            "SELECT id, name, status, updated_at, details FROM files WHERE status = 'terminal_failure' \
             ORDER BY updated_at DESC LIMIT ?1",
            false,
        ),
    ] {
        let mut st = c.prepare(sql).map_err(e)?;
        let rows = st
            .query_map([limit as i64], |r| {
                let details: String = r.get(4)?;
                Ok(Failure {
                    what,
                    id: r.get(0)?,
                    name: r.get(1)?,
                    status: r.get(2)?,
                    when: r.get(3)?,
                    error: last_note(&details),
                    log_dir: None,
                    job_id: if job { Some(r.get(0)?) } else { None },
                })
            })
            .map_err(e)?;
        for r in rows {
            out.push(r.map_err(e)?);
        }
    }
    out.sort_by(|a, b| b.when.cmp(&a.when));
    out.truncate(limit);
    Ok(out)
}

/// The state changes of a history: `(time, from, to)`.
pub fn transitions(details: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for line in details.lines() {
        if line.starts_with(' ') {
            continue;
        }
        let mut it = line.splitn(2, ' ');
        let (Some(time), Some(rest)) = (it.next(), it.next()) else {
            continue;
        };
        let change = rest.split(": ").next().unwrap_or(rest);
        let mut w = change.split(' ');
        if let (Some(from), Some("->"), Some(to)) = (w.next(), w.next(), w.next()) {
            out.push((time.to_string(), from.to_string(), to.trim_end_matches(':').to_string()));
        }
    }
    out
}

/// The last `max` bytes of a file (lossy UTF-8), or `None` if it cannot be read.
pub fn tail(path: &Path, max: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let start = len.saturating_sub(max);
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf).ok()?;
    let s = String::from_utf8_lossy(&buf).into_owned();
    Some(if start > 0 {
        format!("[… {start} earlier bytes not shown]\n{s}")
    } else {
        s
    })
}

/// One beam of the results database.
#[derive(Default, Clone)]
pub struct BeamResults {
    /// Candidates uploaded.
    pub candidates: i64,
    /// Best score, if rated.
    pub best_score: Option<f64>,
    /// Best prepfold sigma.
    pub best_sigma: Option<f64>,
    /// Position: (ra_deg, dec_deg, l, b).
    pub position: Option<(f64, f64, f64, f64)>,
}

/// Per beam: candidates, best score and position.
pub fn beam_results(store: &mut dyn ResultsStore, info: &ResultsInfo) -> Result<HashMap<String, BeamResults>, String> {
    let score = if info.has_ratings {
        "(SELECT MAX(s.value) FROM ratings s WHERE s.header_id = h.id AND s.name = 'score')"
    } else {
        "NULL"
    };
    let sql = format!(
        "SELECT h.beam, (SELECT COUNT(*) FROM candidates c WHERE c.header_id = h.id), {score}, \
         (SELECT MAX(c.prepfold_sigma) FROM candidates c WHERE c.header_id = h.id), \
         h.ra_deg, h.dec_deg, h.galactic_longitude, h.galactic_latitude FROM headers h ORDER BY h.id"
    );
    let rows = store
        .query(
            &sql,
            &[],
            &[
                Kind::Text,
                Kind::Int,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Real,
            ],
        )
        .map_err(|e| e.to_string())?;
    let mut out: HashMap<String, BeamResults> = HashMap::new();
    for r in rows {
        let beam = r[0].as_text().unwrap_or_default().to_string();
        let pos = match (r[4].as_real(), r[5].as_real(), r[6].as_real(), r[7].as_real()) {
            (Some(a), Some(d), Some(l), Some(b)) => Some((a, d, l, b)),
            _ => None,
        };
        // A beam uploaded under several versions: the last one wins.
        out.insert(
            beam,
            BeamResults {
                candidates: r[1].as_int().unwrap_or(0),
                best_score: r[2].as_real(),
                best_sigma: r[3].as_real(),
                position: pos,
            },
        );
    }
    Ok(out)
}

/// One of the survey's best candidates.
pub struct Candidate {
    /// Beam.
    pub beam: String,
    /// Rank in its beam.
    pub cand_num: i64,
    /// Period \[s\].
    pub period_s: f64,
    /// DM.
    pub dm: f64,
    /// Folded significance.
    pub prepfold_sigma: f64,
    /// Search significance.
    pub presto_sigma: f64,
    /// Score, if rated.
    pub score: Option<f64>,
    /// Which search (`accel`, `ffa`; schema 3).
    pub search: Option<String>,
    /// Known pulsar's name (schema 4).
    pub known_pulsar: Option<String>,
    /// Harmonic `n/m` of the known pulsar.
    pub known_harmonic: Option<String>,
    /// Plot file in the results directory.
    pub plot_file: String,
}

/// The best `limit` candidates: by score, then those without one, by prepfold sigma.
pub fn best_candidates(
    store: &mut dyn ResultsStore,
    info: &ResultsInfo,
    limit: usize,
    hide_known: bool,
) -> Result<Vec<Candidate>, String> {
    let (top, tail) = match store.dialect() {
        Dialect::MsSql => (format!("TOP {limit} "), String::new()),
        _ => (String::new(), format!(" LIMIT {limit}")),
    };
    let (score, join) = if info.has_ratings {
        (
            "s.value",
            " LEFT JOIN ratings s ON s.header_id = c.header_id AND s.cand_num = c.cand_num AND s.name = 'score'",
        )
    } else {
        ("NULL", "")
    };
    let known = if info.has_known {
        "c.known_pulsar, c.known_harmonic"
    } else {
        "NULL, NULL"
    };
    let search = if info.version >= 3 { "c.search" } else { "NULL" };
    let filter = if hide_known && info.has_known {
        " WHERE c.known_pulsar IS NULL"
    } else {
        ""
    };
    let order = if info.has_ratings {
        "CASE WHEN s.value IS NULL THEN 1 ELSE 0 END, s.value DESC, c.prepfold_sigma DESC"
    } else {
        "c.prepfold_sigma DESC"
    };
    let sql = format!(
        "SELECT {top}h.beam, c.cand_num, c.period_s, c.dm, c.prepfold_sigma, c.presto_sigma, {score}, {search}, \
         {known}, c.plot_file FROM candidates c JOIN headers h ON h.id = c.header_id{join}{filter} \
         ORDER BY {order}, h.beam, c.cand_num{tail}"
    );
    let rows = store
        .query(
            &sql,
            &[],
            &[
                Kind::Text,
                Kind::Int,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Real,
                Kind::Text,
                Kind::Text,
                Kind::Text,
                Kind::Text,
            ],
        )
        .map_err(|e| e.to_string())?;
    let text = |v: &Value| v.as_text().map(str::to_string).filter(|s| !s.is_empty());
    Ok(rows
        .into_iter()
        .map(|r| Candidate {
            beam: r[0].as_text().unwrap_or_default().to_string(),
            cand_num: r[1].as_int().unwrap_or(0),
            period_s: r[2].as_real().unwrap_or(f64::NAN),
            dm: r[3].as_real().unwrap_or(f64::NAN),
            prepfold_sigma: r[4].as_real().unwrap_or(f64::NAN),
            presto_sigma: r[5].as_real().unwrap_or(f64::NAN),
            score: r[6].as_real(),
            search: text(&r[7]),
            known_pulsar: text(&r[8]),
            known_harmonic: text(&r[9]),
            plot_file: r[10].as_text().unwrap_or_default().to_string(),
        })
        .collect())
}
