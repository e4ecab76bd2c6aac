//! `palfa.ResultsDB`: the survey's results database (palfa-tracker's
//! `resultsdb`), SQLite only in this build.

use std::path::{Path, PathBuf};

use palfa_tracker::resultsdb::record::{BeamRecord, Provenance};
use palfa_tracker::resultsdb::{build, query, schema, SqliteStore};
use pyo3::prelude::*;

use crate::{errors, run};

/// The results database: every uploaded beam's header and candidates.
///
/// `url` is a SQLite file path or a `sqlite://` URL (`sqlite:///abs/path.db`,
/// `sqlite://relative.db`). A server through ODBC needs palfa-tracker's `odbc`
/// feature, which this wheel is built without (so it needs no unixODBC): such
/// a URL raises `ResultsDBError`.
#[pyclass(module = "palfa", unsendable)]
pub struct ResultsDB {
    store: SqliteStore,
}

/// The SQLite file of a results-database URL.
fn sqlite_path(url: &str) -> PyResult<PathBuf> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        return Ok(PathBuf::from(rest));
    }
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("odbc:") || lower.contains("driver=") || lower.contains("dsn=") || url.contains("://") {
        return Err(errors::ResultsDBError::new_err(format!(
            "{url:?}: this palfa wheel reads SQLite results databases only (palfa-tracker's `odbc` feature \
             is off, so servers reached through ODBC are not available)"
        )));
    }
    Ok(PathBuf::from(url))
}

fn open_store(url: &Bound<'_, PyAny>) -> PyResult<SqliteStore> {
    let path = match url.extract::<String>() {
        Ok(s) => sqlite_path(&s)?,
        Err(_) => url.extract::<PathBuf>()?,
    };
    SqliteStore::open(&path).map_err(errors::resultsdb)
}

#[pymethods]
impl ResultsDB {
    /// Opens an existing results database; raises `ResultsDBError` if it is
    /// missing or has no results schema of this version.
    #[new]
    fn new(url: &Bound<'_, PyAny>) -> PyResult<Self> {
        if let Ok(p) = url.extract::<PathBuf>() {
            if !url.extract::<String>().is_ok_and(|s| s.contains("://")) && !p.exists() {
                return Err(errors::ResultsDBError::new_err(format!(
                    "{}: no such results database (ResultsDB.create makes one)",
                    p.display()
                )));
            }
        }
        let mut store = open_store(url)?;
        schema::check(&mut store).map_err(errors::resultsdb)?;
        Ok(Self { store })
    }

    /// Creates the database (or brings its schema up to date) and opens it.
    #[staticmethod]
    fn create(url: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut store = open_store(url)?;
        schema::create(&mut store).map_err(errors::resultsdb)?;
        Ok(Self { store })
    }

    /// Uploads one beam's results directory (what `palfa search` wrote) under
    /// the tracker's beam name `beam`, in one transaction that is read back
    /// and compared before it commits, as the uploader does. Returns the new
    /// header's id. Raises `ResultsDBError` if the directory is refused or the
    /// beam is already there.
    #[pyo3(signature = (results_dir, beam, *, institution = "", pipeline = "", survey = ""))]
    fn upload(
        &mut self,
        py: Python<'_>,
        results_dir: PathBuf,
        beam: &str,
        institution: &str,
        pipeline: &str,
        survey: &str,
    ) -> PyResult<i64> {
        let prov = Provenance {
            institution: institution.into(),
            pipeline: pipeline.into(),
            survey: survey.into(),
            version_num: build::version_num(),
        };
        let record = BeamRecord::from_dir(beam, &results_dir, &prov).map_err(errors::resultsdb)?;
        let path = self.store.path().to_path_buf();
        run::interruptible(py, move || {
            let mut store = SqliteStore::open(&path).map_err(|e| e.to_string())?;
            palfa_tracker::upload::write_and_verify(&mut store, &record).map_err(|e| e.to_string())
        })?
        .map_err(errors::resultsdb)
    }

    /// The best candidates, best first (highest `score`, then unrated ones
    /// by `prepfold_sigma`): at most `limit`, only those of `beam` when
    /// given and at least `min_sigma` when given. A list of dicts (`beam`,
    /// `obs_name`, `cand_num`, `period_s`, `dm`, `prepfold_sigma`,
    /// `presto_sigma`, `version_num`, `score` (None if unrated)), or with
    /// `as_array` a numpy record array of the same fields but `score`.
    #[pyo3(signature = (beam = None, *, limit = 1000, min_sigma = None, as_array = false))]
    fn candidates<'py>(
        &mut self,
        py: Python<'py>,
        beam: Option<&str>,
        limit: usize,
        min_sigma: Option<f64>,
        as_array: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let fetch = if beam.is_some() { usize::MAX } else { limit };
        let mut rows = query::best_candidates(&mut self.store, fetch, min_sigma).map_err(errors::resultsdb)?;
        if let Some(b) = beam {
            rows.retain(|c| c.beam == b);
            rows.truncate(limit);
        }
        let list = errors::to_py(py, &rows)?;
        if !as_array {
            return Ok(list);
        }
        crate::records(
            py,
            &list,
            &[
                ("beam", "U"),
                ("obs_name", "U"),
                ("cand_num", "i8"),
                ("period_s", "f8"),
                ("dm", "f8"),
                ("prepfold_sigma", "f8"),
                ("presto_sigma", "f8"),
                ("version_num", "U"),
            ],
        )
    }

    /// The beams (rows of `headers`) in the database.
    fn num_headers(&mut self) -> PyResult<i64> {
        query::count_headers(&mut self.store).map_err(errors::resultsdb)
    }

    /// The schema version of the database.
    #[getter]
    fn schema_version(&mut self) -> PyResult<i64> {
        schema::version(&mut self.store).map_err(errors::resultsdb)
    }

    /// The database file.
    #[getter]
    fn path(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    fn __repr__(&self) -> String {
        format!("<palfa.ResultsDB {}>", Path::display(self.store.path()))
    }
}
