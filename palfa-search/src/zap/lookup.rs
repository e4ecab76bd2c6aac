//! Which zaplist a beam uses, in pipeline2.0's order (`copy_zaplist`).

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::zaplist::Zaplist;
use palfa_core::names::path_component;
use palfa_core::BeamHeader;

use crate::error::SearchResult;

/// What identifies a beam's custom zaplists.
#[derive(Debug, Clone, PartialEq)]
pub struct ZaplistQuery {
    /// The data file's name without its extension.
    pub file_stem: String,
    /// Project id (e.g. `p2030`).
    pub project_id: String,
    /// Observing date as `YYYYMMDD`.
    pub date: String,
    /// Beam number, if any.
    pub beam: Option<u32>,
}

/// Where the zaplist in use came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ZaplistSource {
    /// A beam- or date-specific list from the zaplist directory.
    Custom(PathBuf),
    /// The configured default list.
    Default(PathBuf),
    /// palfa's built-in list, which is **empty**: the PALFA survey's lists are
    /// not public, so without a configured list only dynamic zapping
    /// ([`super::find_birdies`]) removes birdies.
    BuiltIn,
}

impl ZaplistQuery {
    /// The query of the beam described by `h`: its file stem, project id, UTC
    /// date of the first sample and beam number.
    pub fn for_beam(h: &BeamHeader) -> Self {
        let (y, m, d) = palfa_core::astro::mjd_to_date(h.start_mjd);
        Self {
            file_stem: h.basename(),
            project_id: h.project_id.clone(),
            date: format!("{y:04}{m:02}{d:02}"),
            beam: h.beam_id,
        }
    }

    /// The names looked for in the zaplist directory, in order. Each is one
    /// plain file name: the fields come from the data file's header and name,
    /// which are data, so anything but letters, digits and `._+-` becomes `_`
    /// ([`path_component`]) and a `PROJID` of `../x` cannot reach outside the
    /// directory.
    pub fn candidates(&self) -> Vec<String> {
        let stem = path_component(&self.file_stem);
        let proj = path_component(&self.project_id);
        let date = path_component(&self.date);
        let mut v = vec![format!("{stem}.zaplist")];
        if let Some(b) = self.beam {
            v.push(format!("{proj}.{date}.b{b}.zaplist"));
        }
        v.push(format!("{proj}.{date}.all.zaplist"));
        v
    }
}

/// The zaplist for a beam: `<file_stem>.zaplist`, then
/// `<projid>.<date>.b<beam>.zaplist`, then `<projid>.<date>.all.zaplist` in
/// `zaplistdir`; else `default`; else the (empty) built-in list.
///
/// # Errors
/// A list that exists but cannot be read or parsed.
pub fn find_zaplist(
    q: &ZaplistQuery,
    zaplistdir: Option<&Path>,
    default: Option<&Path>,
) -> SearchResult<(Zaplist, ZaplistSource)> {
    if let Some(dir) = zaplistdir {
        for name in q.candidates() {
            debug_assert!(palfa_core::names::is_plain_component(&name));
            let p = dir.join(&name);
            if p.is_file() {
                return Ok((Zaplist::read(&p)?, ZaplistSource::Custom(p)));
            }
        }
    }
    if let Some(d) = default {
        return Ok((Zaplist::read(d)?, ZaplistSource::Default(d.to_path_buf())));
    }
    Ok((Zaplist::default(), ZaplistSource::BuiltIn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_strings_never_leave_the_zaplist_directory() {
        let root = tempfile::tempdir().unwrap();
        let zapdir = root.path().join("zaplists");
        std::fs::create_dir(&zapdir).unwrap();
        // A list outside the directory that a hostile PROJID would reach.
        std::fs::write(root.path().join("x.20260101.all.zaplist"), "# freq width\n60.0 1.0\n").unwrap();
        let q = ZaplistQuery {
            file_stem: "beam".into(),
            project_id: "../x".into(),
            date: "20260101".into(),
            beam: Some(3),
        };
        for name in q.candidates() {
            assert!(palfa_core::names::is_plain_component(&name), "{name}");
        }
        let (list, source) = find_zaplist(&q, Some(&zapdir), None).unwrap();
        assert_eq!(source, ZaplistSource::BuiltIn, "read {source:?}");
        assert!(list.birds.is_empty());
        // The same list inside the directory under the sanitised name is found.
        std::fs::write(zapdir.join("_._x.20260101.all.zaplist"), "60.0 1.0\n").unwrap();
        let (_, source) = find_zaplist(&q, Some(&zapdir), None).unwrap();
        assert!(matches!(source, ZaplistSource::Custom(p) if p.starts_with(&zapdir)));
    }
}
