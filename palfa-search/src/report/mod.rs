//! The per-beam HTML report: one self-contained static `report.html` in a
//! results directory (`docs/report.md`).
//!
//! The page shows the observation, the diagnostics, the RFI plot, a sortable
//! and filterable table of the folded candidates (each row opens its fold
//! plot), the single-pulse plots and groups, and the provenance. Its CSS and
//! JavaScript are inline; the images are the results directory's own PNGs,
//! referenced by relative paths, so the page needs no network and the
//! directory can be copied anywhere. Everything taken from `results.json` is
//! escaped, and a path is used in `src`/`href` only when it stays inside the
//! directory ([`href`]).
//!
//! ```no_run
//! # fn main() -> palfa_search::SearchResult<()> {
//! let page = palfa_search::report::write_report_for_dir(std::path::Path::new("results/beam"))?;
//! println!("{}", page.display());
//! # Ok(())
//! # }
//! ```

mod html;

use std::io::Write;
use std::path::{Path, PathBuf};

use palfa_core::formats::results::SearchResults;

use crate::{SearchError, SearchResult};

pub use html::render_report;

/// Name of the report in a results directory.
pub const REPORT_FILE: &str = "report.html";

/// Writes `dir/report.html` for `results` (the results of `dir`), atomically:
/// to `report.html.tmp`, then renamed into place. Returns the report's path.
///
/// Call it after `results.json` is written (so that the report is not one of
/// the sizes [`SearchResults::file_sizes`] records: `palfa report` may
/// rewrite it later).
pub fn write_report(dir: &Path, results: &SearchResults) -> SearchResult<PathBuf> {
    let page = render_report(results);
    let path = dir.join(REPORT_FILE);
    let tmp = dir.join(format!("{REPORT_FILE}.tmp"));
    let io = |e| SearchError::io(&tmp, e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(page.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, &path).map_err(|e| SearchError::io(&path, e))?;
    Ok(path)
}

/// Reads and checks `dir/results.json` ([`SearchResults::read_dir`]) and
/// writes `dir/report.html` from it ([`write_report`]).
pub fn write_report_for_dir(dir: &Path) -> SearchResult<PathBuf> {
    let results = SearchResults::read_dir(dir)?;
    write_report(dir, &results)
}

/// `s` escaped for HTML text and (quoted) attribute values: `&`, `<`, `>`,
/// `"` and `'` become character references.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The URL of a file of the results directory named by `rel` in
/// `results.json`, for a `src` or `href` of the report: `None` unless `rel`
/// is a plain relative path that stays inside the directory (the rule of
/// [`palfa_core::formats::results::safe_join`]); else `rel` with every byte
/// but the unreserved ones (`A-Z a-z 0-9 - . _ ~`) and `/` percent-encoded,
/// so that it can be neither another scheme (`javascript:`) nor break out of
/// an attribute. The result needs no further escaping.
pub fn href(rel: &str) -> Option<String> {
    if rel.is_empty() || rel.contains('\\') || rel.contains('\0') {
        return None;
    }
    let p = Path::new(rel);
    if !p.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
        return None;
    }
    // `a//b` and `a/./b` pass the component test (the components drop them);
    // keep only the canonical spelling.
    if rel.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
        return None;
    }
    let mut out = String::with_capacity(rel.len());
    for &b in rel.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x&'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("J1939+2134 — ok"), "J1939+2134 — ok");
    }

    #[test]
    fn hrefs_stay_inside_and_are_encoded() {
        assert_eq!(href("plots/a b.png").as_deref(), Some("plots/a%20b.png"));
        assert_eq!(href("x\"onerror=\"y.png").as_deref(), Some("x%22onerror%3D%22y.png"));
        assert_eq!(
            href("javascript:alert(1)").as_deref(),
            Some("javascript%3Aalert%281%29")
        );
        assert_eq!(
            href("beam_DMs1000+_singlepulse.png").as_deref(),
            Some("beam_DMs1000%2B_singlepulse.png")
        );
        for bad in [
            "",
            "../x.png",
            "/etc/passwd",
            "a/../../b",
            "./a.png",
            "a//b",
            "a\\b",
            "//evil.example/x",
        ] {
            assert_eq!(href(bad), None, "{bad:?}");
        }
    }
}
