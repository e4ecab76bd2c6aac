//! Which zaplist a beam uses, in pipeline2.0's order (`copy_zaplist`).

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::zaplist::Zaplist;

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
    /// The names looked for in the zaplist directory, in order.
    pub fn candidates(&self) -> Vec<String> {
        let mut v = vec![format!("{}.zaplist", self.file_stem)];
        if let Some(b) = self.beam {
            v.push(format!("{}.{}.b{b}.zaplist", self.project_id, self.date));
        }
        v.push(format!("{}.{}.all.zaplist", self.project_id, self.date));
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
