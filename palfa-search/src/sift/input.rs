//! The JSON candidate file that `palfa sift` reads: the acceleration-search
//! candidates of a beam (`<base>.candidates.json`, written by the pipeline).

use std::path::Path;

use serde::{Deserialize, Serialize};

use palfa_core::{FormatError, FormatErrorKind};

use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::{SearchError, SearchResult};

/// The candidates of a beam and the DMs searched.
///
/// On disk either an object `{"searched_dms": [...], "candidates": [...]}` or
/// a bare array of candidates; each candidate is an [`AccelCandidate`] in
/// serde's JSON form (`"pass": "lo"`, `"hi"` or `"ffa"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CandidateFile {
    /// Every DM trial searched \[pc cm⁻³\] (empty in the bare-array form).
    #[serde(default)]
    pub searched_dms: Vec<f64>,
    /// The DM trials the FFA searched, where it searched fewer than all
    /// (empty: the same as `searched_dms`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ffa_searched_dms: Vec<f64>,
    /// The candidates, every pass.
    pub candidates: Vec<AccelCandidate>,
}

impl CandidateFile {
    /// Parses the JSON text of a candidate file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> SearchResult<Self> {
        let bad = |e: serde_json::Error| {
            SearchError::Format(FormatError::new(
                path,
                FormatErrorKind::BadMagic {
                    format: "palfa candidate JSON",
                    reason: e.to_string(),
                },
            ))
        };
        // The first non-blank character tells the two forms apart, so that a
        // parse error names the field at fault.
        if text.trim_start().starts_with('[') {
            let candidates = serde_json::from_str(text).map_err(bad)?;
            Ok(Self {
                candidates,
                ..Self::default()
            })
        } else {
            serde_json::from_str(text).map_err(bad)
        }
    }

    /// Reads a candidate file.
    pub fn read(path: impl AsRef<Path>) -> SearchResult<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SearchError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Writes it as a JSON object.
    pub fn write(&self, path: impl AsRef<Path>) -> SearchResult<()> {
        let path = path.as_ref();
        let text = serde_json::to_string(self).map_err(|e| SearchError::Params(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| SearchError::io(path, e))
    }

    /// Splits the candidates by pass: (lo, hi, FFA).
    pub fn split_passes(self) -> (Vec<AccelCandidate>, Vec<AccelCandidate>, Vec<AccelCandidate>) {
        let (mut lo, mut hi, mut ffa) = (Vec::new(), Vec::new(), Vec::new());
        for c in self.candidates {
            match c.pass {
                AccelPass::Lo => lo.push(c),
                AccelPass::Hi => hi.push(c),
                AccelPass::Ffa => ffa.push(c),
            }
        }
        (lo, hi, ffa)
    }

    /// The searched DMs, or, where none were given, every DM that has a
    /// candidate (then a DM trial without candidates is not seen as a gap).
    pub fn dms_or_candidate_dms(&self) -> Vec<f64> {
        if self.searched_dms.is_empty() {
            self.candidates.iter().map(|c| c.dm).filter(|d| d.is_finite()).collect()
        } else {
            self.searched_dms.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_parse() {
        let cand = r#"{"dm":10.0,"r":100.5,"z":0.0,"numharm":2,"sigma":6.0,"power":30.0,
            "coherent_power":20.0,"harm_powers":[20.0,10.0],"t_obs_s":60.0,"pass":"hi"}"#;
        let full = format!(r#"{{"searched_dms":[9.9,10.0,10.1],"candidates":[{cand}]}}"#);
        let f = CandidateFile::parse(&full, Path::new("a.json")).unwrap();
        assert_eq!(f.searched_dms.len(), 3);
        assert_eq!(f.candidates[0].pass, AccelPass::Hi);
        let bare = CandidateFile::parse(&format!("[{cand}]"), Path::new("b.json")).unwrap();
        assert!(bare.searched_dms.is_empty());
        assert_eq!(bare.dms_or_candidate_dms(), vec![10.0]);
        let (lo, hi, ffa) = bare.split_passes();
        assert_eq!((lo.len(), hi.len(), ffa.len()), (0, 1, 0));
        let e = CandidateFile::parse("{\"candidates\": 3}", Path::new("c.json")).unwrap_err();
        assert!(e.to_string().contains("c.json"), "{e}");
    }
}
