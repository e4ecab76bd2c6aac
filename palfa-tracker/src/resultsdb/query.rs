//! What the survey found: the best candidates across every uploaded beam.

use serde::Serialize;

use super::{Dialect, Kind, ResultsStore, StoreError, Value};

/// One candidate of the survey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateSummary {
    /// The tracker's beam name.
    pub beam: String,
    /// The observation's name.
    pub obs_name: String,
    /// Rank in its beam (1 = best).
    pub cand_num: i64,
    /// Folded topocentric period \[s\].
    pub period_s: f64,
    /// DM \[pc cm⁻³\].
    pub dm: f64,
    /// Significance of the folded profile.
    pub prepfold_sigma: f64,
    /// Significance from the acceleration search.
    pub presto_sigma: f64,
    /// The version that produced it.
    pub version_num: String,
    /// Its score (the `score` rating, `docs/ratings.md`), if it was rated.
    pub score: Option<f64>,
    /// The catalogued pulsar it is, or is a harmonic of (J2000 name), if any.
    pub known_pulsar: Option<String>,
    /// The harmonic ratio `n/m` of the known pulsar (`1/1`: the pulsar itself).
    pub known_harmonic: Option<String>,
    /// Where the known pulsar lies: `main` or `far_sidelobe`.
    pub known_position: Option<String>,
}

impl CandidateSummary {
    /// The known-pulsar tag, `J1903+0327 2/1` (with ` far sidelobe` for a
    /// far-sidelobe match), or `None`.
    pub fn known_tag(&self) -> Option<String> {
        let name = self.known_pulsar.as_deref()?;
        let mut tag = name.to_string();
        if let Some(h) = self.known_harmonic.as_deref() {
            tag.push(' ');
            tag.push_str(h);
        }
        if self.known_position.as_deref() == Some("far_sidelobe") {
            tag.push_str(" far sidelobe");
        }
        Some(tag)
    }
}

/// The `limit` candidates (of `prepfold_sigma` at least `min_sigma` when
/// given), best first: highest score first, then those without a score
/// (uploaded before palfa rated folds), each by `prepfold_sigma`.
pub fn best_candidates(
    store: &mut dyn ResultsStore,
    limit: usize,
    min_sigma: Option<f64>,
) -> Result<Vec<CandidateSummary>, StoreError> {
    let limit = limit.min(1_000_000);
    let (top, tail) = match store.dialect() {
        Dialect::MsSql => (format!("TOP {limit} "), String::new()),
        _ => (String::new(), format!(" LIMIT {limit}")),
    };
    let sql = format!(
        "SELECT {top}h.beam, h.obs_name, c.cand_num, c.period_s, c.dm, c.prepfold_sigma, c.presto_sigma, h.version_num, \
         s.value, c.known_pulsar, c.known_harmonic, c.known_position FROM candidates c JOIN headers h ON h.id = c.header_id \
         LEFT JOIN ratings s ON s.header_id = c.header_id AND s.cand_num = c.cand_num AND s.name = 'score' \
         WHERE c.prepfold_sigma >= ? \
         ORDER BY CASE WHEN s.value IS NULL THEN 1 ELSE 0 END, s.value DESC, c.prepfold_sigma DESC, h.beam, \
         c.cand_num{tail}"
    );
    let rows = store.query(
        &sql,
        &[Value::Real(min_sigma.unwrap_or(f64::MIN))],
        &[
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Real,
            Kind::Real,
            Kind::Real,
            Kind::Real,
            Kind::Text,
            Kind::Real,
            Kind::Text,
            Kind::Text,
            Kind::Text,
        ],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| CandidateSummary {
            beam: r[0].as_text().unwrap_or_default().to_string(),
            obs_name: r[1].as_text().unwrap_or_default().to_string(),
            cand_num: r[2].as_int().unwrap_or_default(),
            period_s: r[3].as_real().unwrap_or(f64::NAN),
            dm: r[4].as_real().unwrap_or(f64::NAN),
            prepfold_sigma: r[5].as_real().unwrap_or(f64::NAN),
            presto_sigma: r[6].as_real().unwrap_or(f64::NAN),
            version_num: r[7].as_text().unwrap_or_default().to_string(),
            score: r[8].as_real(),
            known_pulsar: r[9].as_text().map(str::to_string),
            known_harmonic: r[10].as_text().map(str::to_string),
            known_position: r[11].as_text().map(str::to_string),
        })
        .collect())
}

/// Beams in the database.
pub fn count_headers(store: &mut dyn ResultsStore) -> Result<i64, StoreError> {
    let rows = store.query("SELECT COUNT(*) FROM headers", &[], &[Kind::Int])?;
    Ok(rows.first().and_then(|r| r[0].as_int()).unwrap_or(0))
}
