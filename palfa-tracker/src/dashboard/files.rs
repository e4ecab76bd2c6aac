//! A beam's report: the files of its results directory, and nothing outside it.

use std::path::{Component, Path, PathBuf};

use axum::http::StatusCode;
use axum::response::Response;

use super::{data, pages, with_type, DashboardConfig};

/// Largest file served \[bytes\].
const MAX_FILE: u64 = 256 << 20;

/// Serves `rel` from the results directory of job `id`.
pub fn report(cfg: &DashboardConfig, id: &str, rel: &str) -> Response {
    let refuse = |status: StatusCode, why: &str| {
        let mut r = pages::html(pages::message(cfg, "Report", why));
        *r.status_mut() = status;
        r
    };
    let Ok(id) = id.parse::<i64>() else {
        return refuse(StatusCode::NOT_FOUND, "no such beam");
    };
    let Some(rel_path) = safe_relative(rel) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "refused: the path must stay inside the results directory",
        );
    };
    let dir = match data::tracker(&cfg.tracker_db).and_then(|c| data::job_results_dir(&c, id)) {
        Ok(Some(d)) => d,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "this beam has no results directory yet"),
        Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, &e),
    };
    let Ok(root) = dir.canonicalize() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "the beam's results directory is no longer on disk",
        );
    };
    // The directory must be one the survey wrote: under a results root, when any is configured.
    if !cfg.results_roots.is_empty()
        && !cfg
            .results_roots
            .iter()
            .filter_map(|r| r.canonicalize().ok())
            .any(|r| root.starts_with(&r))
    {
        return refuse(
            StatusCode::FORBIDDEN,
            "the beam's results directory is outside the results roots",
        );
    }
    let full = root.join(&rel_path);
    let canon = match full.canonicalize() {
        Ok(c) => c,
        Err(_) if rel == "report.html" => return generated_report(cfg, id, &root),
        Err(_) => return refuse(StatusCode::NOT_FOUND, "no such file in the results directory"),
    };
    // Symbolic links may not lead out of the directory.
    if !canon.starts_with(&root) {
        return refuse(
            StatusCode::FORBIDDEN,
            "refused: the path leads outside the results directory",
        );
    }
    let meta = match std::fs::metadata(&canon) {
        Ok(m) if m.is_file() => m,
        _ => return refuse(StatusCode::NOT_FOUND, "no such file in the results directory"),
    };
    if meta.len() > MAX_FILE {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, "file too large to serve");
    }
    match std::fs::read(&canon) {
        Ok(bytes) => with_type(StatusCode::OK, content_type(&canon), bytes),
        Err(e) => refuse(StatusCode::NOT_FOUND, &format!("cannot read the file: {e}")),
    }
}

/// `rel` as a relative path of plain components, or `None` (`..`, absolute, empty, odd bytes).
pub fn safe_relative(rel: &str) -> Option<PathBuf> {
    if rel.is_empty() || rel.contains('\0') || rel.contains('\\') || rel.starts_with('/') {
        return None;
    }
    let p = Path::new(rel);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

fn content_type(p: &Path) -> &'static str {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("svg") => "image/svg+xml",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("txt" | "bestprof" | "inf" | "accelcands" | "zaplist" | "singlepulse" | "cand" | "log" | "md") => {
            "text/plain; charset=utf-8"
        }
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// A plain report when the results directory has no `report.html`: its plots and files.
fn generated_report(cfg: &DashboardConfig, id: i64, root: &Path) -> Response {
    let mut entries: Vec<(String, u64)> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let r = rel.join(e.file_name());
            if ft.is_dir() && entries.len() < 2000 {
                stack.push(r);
            } else if ft.is_file() {
                let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                entries.push((r.to_string_lossy().into_owned(), size));
            }
        }
    }
    entries.sort();
    pages::html(pages::generated_report(cfg, id, root, &entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_safe() {
        assert_eq!(safe_relative("report.html"), Some(PathBuf::from("report.html")));
        assert_eq!(safe_relative("plots/a.png"), Some(PathBuf::from("plots/a.png")));
        assert_eq!(safe_relative("./a.png"), Some(PathBuf::from("a.png")));
        for bad in ["", "../x", "a/../../x", "/etc/passwd", "a\\..\\b", "a\0b", ".."] {
            assert_eq!(safe_relative(bad), None, "{bad:?}");
        }
    }
}
