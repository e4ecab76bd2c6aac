//! The pages, as HTML strings. Every string from a database or a file goes through [`esc`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use axum::response::Response;

use super::svg::{self, SkyPoint};
use super::{data, with_type, DashboardConfig};
use crate::clock;

/// Escapes text for HTML (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Percent-encodes a URL component.
pub fn url_encode(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// Decodes a percent-encoded URL component (`+` is a space).
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A link within the dashboard, carrying the token when there is one.
pub fn link(cfg: &DashboardConfig, path: &str) -> String {
    match &cfg.token {
        Some(t) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            format!("{path}{sep}token={}", url_encode(t))
        }
        None => path.to_string(),
    }
}

/// An HTML response.
pub fn html(body: String) -> Response {
    with_type(StatusCode::OK, "text/html; charset=utf-8", body)
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1f2937;background:#f3f4f6}
header{background:#111827;color:#f9fafb;padding:10px 24px;display:flex;align-items:center;gap:24px;flex-wrap:wrap}
header .brand{font-weight:700;font-size:16px;letter-spacing:.02em}
header nav a{color:#d1d5db;text-decoration:none;margin-right:16px;padding:4px 0;border-bottom:2px solid transparent}
header nav a.on,header nav a:hover{color:#fff;border-bottom-color:#38bdf8}
main{max-width:1320px;margin:0 auto;padding:18px 24px 40px}
h1{font-size:20px;margin:4px 0 14px}
h2{font-size:16px;margin:0 0 10px}
.card{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;margin-bottom:16px;box-shadow:0 1px 2px rgba(0,0,0,.04);overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:12px;margin-bottom:16px}
.stat{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 14px}
.stat .n{font-size:24px;font-weight:700}
.stat .l{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}
th{background:#f9fafb;font-weight:600;color:#374151;white-space:nowrap}
th.sort{cursor:pointer;user-select:none}
th.sort:after{content:" \2195";color:#9ca3af}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr:hover td{background:#f9fafb}
td.name{overflow-wrap:anywhere;min-width:14em}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;color:#fff;white-space:nowrap}
.muted{color:#6b7280}
.err{color:#b91c1c}
.known{background:#ede9fe;color:#5b21b6;padding:1px 6px;border-radius:4px;font-size:12px}
pre{background:#0f172a;color:#e2e8f0;padding:10px;border-radius:6px;overflow:auto;max-height:320px;font-size:12px;white-space:pre-wrap;word-break:break-word}
details summary{cursor:pointer;color:#2563eb}
input[type=search]{padding:6px 10px;border:1px solid #d1d5db;border-radius:6px;width:320px;max-width:100%;margin-bottom:10px;font:inherit}
a{color:#2563eb}
svg.chart{width:100%;height:auto;display:block}
svg .tick{font-size:12px;fill:#6b7280}
svg .axis{font-size:12px;fill:#374151}
svg .nodata{font-size:14px;fill:#9ca3af}
svg .gauge{font-size:12px;fill:#111827;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin-top:6px}
.legend span:before{content:"";display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;background:var(--c)}
.toolbar{margin-bottom:10px}
.toolbar a{margin-right:12px}
.notice{background:#fffbeb;border:1px solid #fde68a;color:#92400e;padding:10px 14px;border-radius:8px;margin-bottom:16px}
h2{word-break:break-all}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:0 16px}
img.plot{max-width:100%;border:1px solid #e5e7eb;border-radius:4px;margin:6px 0}
"#;

/// Counts JS errors into `data-errors`; marks the page scripted once loaded;
/// sorts tables whose headers have class `sort`; filters tables with an input `data-filter`.
const JS: &str = r#"
window.onerror=function(){var b=document.body;if(b){b.setAttribute('data-errors',String((+b.getAttribute('data-errors')||0)+1));}};
document.addEventListener('DOMContentLoaded',function(){
  document.querySelectorAll('th.sort').forEach(function(th){
    th.addEventListener('click',function(){
      var table=th.closest('table'),tb=table.tBodies[0],i=Array.prototype.indexOf.call(th.parentNode.children,th);
      var asc=th.getAttribute('data-dir')!=='asc';th.setAttribute('data-dir',asc?'asc':'desc');
      var rows=Array.prototype.slice.call(tb.rows);
      rows.sort(function(a,b){
        var x=a.cells[i].getAttribute('data-v'),y=b.cells[i].getAttribute('data-v');
        if(x===null){x=a.cells[i].textContent;y=b.cells[i].textContent;}
        var nx=parseFloat(x),ny=parseFloat(y),c;
        if(!isNaN(nx)&&!isNaN(ny)){c=nx-ny;}else{c=String(x).localeCompare(String(y));}
        return asc?c:-c;});
      rows.forEach(function(r){tb.appendChild(r);});
    });
  });
  document.querySelectorAll('input[data-filter]').forEach(function(inp){
    var table=document.getElementById(inp.getAttribute('data-filter'));
    inp.addEventListener('input',function(){
      var q=inp.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
        r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});
    });
  });
  document.body.setAttribute('data-js','1');
});
"#;

/// The page around `body`.
fn page(cfg: &DashboardConfig, active: &str, title: &str, body: &str) -> String {
    let mut nav = String::new();
    for (path, name) in [
        ("/", "Overview"),
        ("/failures", "Failures"),
        ("/beams", "Beams"),
        ("/candidates", "Candidates"),
        ("/sky", "Sky"),
    ] {
        let _ = write!(
            nav,
            r#"<a href="{}"{}>{name}</a>"#,
            esc(&link(cfg, path)),
            if path == active { r#" class="on""# } else { "" }
        );
    }
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{} · palfa survey</title><style>{CSS}</style><script>{JS}</script></head>
<body data-ready="1" data-errors="0">
<header><span class="brand">palfa survey</span><nav>{nav}</nav><span class="muted" style="margin-left:auto;font-size:12px">{} · read-only</span></header>
<main>
<h1>{}</h1>
{body}
</main>
</body></html>
"#,
        esc(title),
        esc(&clock::now()[..19].replace('T', " ")),
        esc(title),
    )
}

/// A page with one message.
pub fn message(cfg: &DashboardConfig, title: &str, msg: &str) -> String {
    page(cfg, "", title, &format!(r#"<div class="notice">{}</div>"#, esc(msg)))
}

/// The 404 page.
pub fn not_found(cfg: &DashboardConfig) -> String {
    message(cfg, "Not found", "There is no such page.")
}

fn notice(msg: &str) -> String {
    format!(r#"<div class="notice">{}</div>"#, esc(msg))
}

fn pill(state: &str) -> String {
    format!(
        r#"<span class="pill" style="background:{}">{}</span>"#,
        svg::state_colour(state),
        esc(state)
    )
}

/// Bytes as KiB/MiB/GiB.
pub fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn short_time(stamp: &str) -> String {
    stamp.get(..19).unwrap_or(stamp).replace('T', " ")
}

fn num(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "–".into()
    }
}

/// Job states in the order they are drawn.
const JOB_STATES: [&str; 7] = [
    "uploaded",
    "processed",
    "submitted",
    "new",
    "retrying",
    "failed",
    "terminal_failure",
];

/// `/`: beams by state now and over time, throughput, disk budget.
pub fn overview(cfg: &DashboardConfig) -> String {
    let conn = match data::tracker(&cfg.tracker_db) {
        Ok(c) => c,
        Err(e) => {
            return page(
                cfg,
                "/",
                "Survey overview",
                &notice(&format!("The job-tracker database cannot be read: {e}")),
            )
        }
    };
    let mut b = String::new();
    let jobs = data::jobs(&conn).unwrap_or_default();
    let mut by_state: HashMap<&str, usize> = HashMap::new();
    for j in &jobs {
        *by_state.entry(j.status.as_str()).or_default() += 1;
    }
    b.push_str(r#"<div class="grid">"#);
    let _ = write!(
        b,
        r#"<div class="stat"><div class="n">{}</div><div class="l">beams</div></div>"#,
        jobs.len()
    );
    let mut states: Vec<(&str, usize)> = by_state.iter().map(|(k, v)| (*k, *v)).collect();
    states.sort_by_key(|(k, _)| JOB_STATES.iter().position(|s| s == k).unwrap_or(99));
    for (s, n) in &states {
        let _ = write!(
            b,
            r#"<div class="stat" style="border-top:3px solid {}"><div class="n">{n}</div><div class="l">{}</div></div>"#,
            svg::state_colour(s),
            esc(s)
        );
    }
    b.push_str("</div>");

    // Over time, from each job's history.
    let now = SystemTime::now();
    let times: Vec<SystemTime> = jobs.iter().filter_map(|j| clock::parse_time(&j.created_at)).collect();
    let start = times.iter().min().copied().unwrap_or(now);
    let span = now
        .duration_since(start)
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_secs(60));
    let samples = 80usize;
    let at: Vec<SystemTime> = (0..samples)
        .map(|i| start + span.mul_f64(i as f64 / (samples - 1) as f64))
        .collect();
    let mut series: Vec<(String, Vec<f64>)> = JOB_STATES.iter().map(|s| (s.to_string(), vec![0.0; samples])).collect();
    let mut processed_at = Vec::new();
    let mut uploaded_at = Vec::new();
    for j in &jobs {
        let Some(created) = clock::parse_time(&j.created_at) else {
            continue;
        };
        let tr: Vec<(SystemTime, String, String)> = data::transitions(&j.details)
            .into_iter()
            .filter_map(|(t, f, to)| clock::parse_time(&t).map(|t| (t, f, to)))
            .collect();
        for (t, _, to) in &tr {
            match to.as_str() {
                "processed" => processed_at.push(*t),
                "uploaded" => uploaded_at.push(*t),
                _ => {}
            }
        }
        let first = tr.first().map_or(j.status.clone(), |x| x.1.clone());
        for (i, t) in at.iter().enumerate() {
            if *t < created {
                continue;
            }
            let mut st = first.as_str();
            for (tt, _, to) in &tr {
                if tt <= t {
                    st = to;
                }
            }
            let k = JOB_STATES.iter().position(|s| *s == st).unwrap_or(3);
            series[k].1[i] += 1.0;
        }
    }
    series.retain(|s| s.1.iter().any(|v| *v > 0.0));
    let fmt = |t: SystemTime| short_time(&clock::format_time(t));
    let xl: Vec<(usize, String)> = if jobs.is_empty() {
        Vec::new()
    } else {
        vec![
            (0, fmt(at[0])),
            (samples / 2, fmt(at[samples / 2])),
            (samples - 1, fmt(at[samples - 1])),
        ]
    };
    let mut legend = String::new();
    for (s, _) in &series {
        let _ = write!(
            legend,
            r#"<span style="--c:{}">{}</span>"#,
            svg::state_colour(s),
            esc(s)
        );
    }
    let _ = write!(
        b,
        r#"<div class="card"><h2>Beams by state over time</h2>{}<div class="legend">{legend}</div></div>"#,
        svg::stacked("beams by state over time", &series, &xl)
    );

    // Throughput: per hour over the last day.
    let hours = 24usize;
    let mut searched = vec![0.0; hours];
    let mut uploaded = vec![0.0; hours];
    for (v, list) in [(&mut searched, &processed_at), (&mut uploaded, &uploaded_at)] {
        for t in list.iter() {
            if let Ok(ago) = now.duration_since(*t) {
                let h = (ago.as_secs() / 3600) as usize;
                if h < hours {
                    v[hours - 1 - h] += 1.0;
                }
            }
        }
    }
    let last_hour = (searched[hours - 1], uploaded[hours - 1]);
    let day = (searched.iter().sum::<f64>(), uploaded.iter().sum::<f64>());
    let xl: Vec<(usize, String)> = [0usize, 6, 12, 18, 23]
        .iter()
        .map(|&i| (i, format!("-{}h", hours - i)))
        .collect();
    let _ = write!(
        b,
        r##"<div class="card"><h2>Throughput (beams per hour, last 24 h)</h2>{}<div class="legend"><span style="--c:#14b8a6">searched</span><span style="--c:#16a34a">uploaded</span></div>
<p class="muted">Last hour: {} searched, {} uploaded. Last 24 h: {} searched, {} uploaded.</p></div>"##,
        svg::bars(
            "throughput",
            ("searched", "#14b8a6", &searched),
            ("uploaded", "#16a34a", &uploaded),
            &xl
        ),
        last_hour.0,
        last_hour.1,
        day.0,
        day.1
    );

    // Disk budget.
    match data::disk_used(&conn) {
        Ok((used, nfiles)) => {
            if cfg.space_to_use > 0 {
                let _ = write!(
                    b,
                    r#"<div class="card"><h2>Disk budget</h2>{}<p>{} in {nfiles} raw files on disk (downloaded, unverified or downloading) of <b>{}</b> allowed (<code>download.space_to_use</code>).</p></div>"#,
                    svg::gauge(used, cfg.space_to_use),
                    esc(&bytes(used)),
                    esc(&bytes(cfg.space_to_use))
                );
            } else {
                let _ = write!(
                    b,
                    r#"<div class="card"><h2>Disk</h2><p>{} in {nfiles} raw files on disk.</p></div>"#,
                    esc(&bytes(used))
                );
            }
        }
        Err(e) => b.push_str(&notice(&format!("files: {e}"))),
    }

    // Every table by state.
    b.push_str(r#"<div class="card"><h2>Rows by state</h2><table><thead><tr><th>table</th><th>states</th></tr></thead><tbody>"#);
    for t in ["requests", "files", "download_attempts", "jobs", "job_submits"] {
        let cells = match data::counts(&conn, t) {
            Ok(c) if c.is_empty() => r#"<span class="muted">none</span>"#.to_string(),
            Ok(c) => c
                .iter()
                .map(|(s, n)| format!("{} {n}", pill(s)))
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!(r#"<span class="err">{}</span>"#, esc(&e)),
        };
        let _ = write!(b, "<tr><td>{t}</td><td>{cells}</td></tr>");
    }
    b.push_str("</tbody></table></div>");
    page(cfg, "/", "Survey overview", &b)
}

/// Largest log excerpt shown \[bytes\].
const LOG_TAIL: u64 = 64 * 1024;

/// `/failures`: failed jobs and downloads with their errors and logs.
pub fn failures(cfg: &DashboardConfig) -> String {
    let conn = match data::tracker(&cfg.tracker_db) {
        Ok(c) => c,
        Err(e) => return page(cfg, "/failures", "Failures", &notice(&e)),
    };
    let list = match data::failures(&conn, cfg.qsublog_dir.as_deref(), 200) {
        Ok(l) => l,
        Err(e) => return page(cfg, "/failures", "Failures", &notice(&e)),
    };
    let mut b = String::new();
    if list.is_empty() {
        b.push_str(r#"<div class="card"><p>No failures. </p></div>"#);
        return page(cfg, "/failures", "Failures", &b);
    }
    let _ = write!(
        b,
        r#"<input type="search" placeholder="filter…" data-filter="failures"><div class="card"><table id="failures"><thead><tr><th class="sort">when</th><th class="sort">what</th><th class="sort">name</th><th class="sort">state</th><th>error and log</th></tr></thead><tbody>"#
    );
    for f in &list {
        let name = match f.job_id {
            Some(id) => format!(
                r#"<a href="{}">{}</a>"#,
                esc(&link(cfg, &format!("/beams#job-{id}"))),
                esc(&f.name)
            ),
            None => esc(&f.name),
        };
        let first = f.error.lines().next().unwrap_or("");
        let mut more = String::new();
        if f.error.lines().count() > 1 {
            let _ = write!(
                more,
                "<details><summary>whole error</summary><pre>{}</pre></details>",
                esc(&f.error)
            );
        }
        if let Some(dir) = &f.log_dir {
            for name in ["stderr", "stdout", "slurm.err", "pbs.err"] {
                if let Some(t) = data::tail(&dir.join(name), LOG_TAIL) {
                    if t.trim().is_empty() {
                        continue;
                    }
                    let _ = write!(
                        more,
                        "<details><summary>{} ({})</summary><pre>{}</pre></details>",
                        esc(name),
                        esc(&dir.join(name).display().to_string()),
                        esc(&t)
                    );
                }
            }
        }
        let _ = write!(
            b,
            r#"<tr><td data-v="{}">{}</td><td>{} {}</td><td>{name}</td><td>{}</td><td><span class="err">{}</span>{more}</td></tr>"#,
            esc(&f.when),
            esc(&short_time(&f.when)),
            f.what,
            f.id,
            pill(&f.status),
            esc(first)
        );
    }
    b.push_str("</tbody></table></div>");
    page(cfg, "/failures", "Failures", &b)
}

/// `/beams`: every beam, sortable and searchable.
pub fn beams(cfg: &DashboardConfig) -> String {
    let conn = match data::tracker(&cfg.tracker_db) {
        Ok(c) => c,
        Err(e) => return page(cfg, "/beams", "Beams", &notice(&e)),
    };
    let jobs = match data::jobs(&conn) {
        Ok(j) => j,
        Err(e) => return page(cfg, "/beams", "Beams", &notice(&e)),
    };
    let mut b = String::new();
    let (results, warn) = results_by_beam(cfg);
    if let Some(w) = warn {
        b.push_str(&notice(&w));
    }
    let _ = write!(
        b,
        r#"<input type="search" placeholder="search beams…" data-filter="beams"><div class="card"><table id="beams"><thead><tr><th class="sort num">id</th><th class="sort">beam</th><th class="sort">state</th><th class="sort num">attempts</th><th class="sort">updated</th><th class="sort num">candidates</th><th class="sort num">best score</th><th class="sort num">best σ</th><th>report</th></tr></thead><tbody>"#
    );
    for j in &jobs {
        let r = results.get(&j.beam).cloned().unwrap_or_default();
        let report = if j.results_dir.is_some() {
            format!(
                r#"<a href="{}">report</a>"#,
                esc(&link(cfg, &format!("/beams/{}/report/report.html", j.id)))
            )
        } else {
            r#"<span class="muted">–</span>"#.into()
        };
        let _ = write!(
            b,
            r#"<tr id="job-{id}"><td class="num">{id}</td><td class="name">{}</td><td>{}</td><td class="num">{}</td><td data-v="{}">{}</td><td class="num">{}</td><td class="num" data-v="{}">{}</td><td class="num" data-v="{}">{}</td><td>{report}</td></tr>"#,
            esc(&j.beam),
            pill(&j.status),
            j.attempts,
            esc(&j.updated_at),
            esc(&short_time(&j.updated_at)),
            r.candidates,
            r.best_score.unwrap_or(-1.0),
            r.best_score.map_or("–".into(), |s| num(s, 3)),
            r.best_sigma.unwrap_or(-1.0),
            r.best_sigma.map_or("–".into(), |s| num(s, 1)),
            id = j.id,
        );
    }
    b.push_str("</tbody></table></div>");
    if jobs.is_empty() {
        b.push_str(r#"<p class="muted">No beams yet.</p>"#);
    }
    page(cfg, "/beams", "Beams", &b)
}

/// Per beam results, and a warning when the results database cannot be read.
fn results_by_beam(cfg: &DashboardConfig) -> (HashMap<String, data::BeamResults>, Option<String>) {
    match data::results(cfg.results_db.as_ref()) {
        Ok(Some(mut store)) => match data::results_info(&mut *store) {
            Ok(info) => match data::beam_results(&mut *store, &info) {
                Ok(m) => (m, None),
                Err(e) => (HashMap::new(), Some(format!("results database: {e}"))),
            },
            Err(e) => (HashMap::new(), Some(format!("results database: {e}"))),
        },
        Ok(None) => (HashMap::new(), None),
        Err(e) => (
            HashMap::new(),
            Some(format!("The results database cannot be read: {e}")),
        ),
    }
}

/// Beam name → job id, for links.
fn job_ids(cfg: &DashboardConfig) -> HashMap<String, (i64, String, bool)> {
    data::tracker(&cfg.tracker_db)
        .and_then(|c| data::jobs(&c))
        .map(|jobs| {
            let mut m = HashMap::new();
            // Oldest first, so the newest job of a beam wins.
            for j in jobs.into_iter().rev() {
                m.insert(j.beam, (j.id, j.status, j.results_dir.is_some()));
            }
            m
        })
        .unwrap_or_default()
}

/// `/candidates`: the best candidates of the survey.
pub fn candidates(cfg: &DashboardConfig, hide_known: bool, limit: usize) -> String {
    let title = "Best candidates";
    let mut store = match data::results(cfg.results_db.as_ref()) {
        Ok(Some(s)) => s,
        Ok(None) => return page(cfg, "/candidates", title, &notice("No results database is configured.")),
        Err(e) => {
            return page(
                cfg,
                "/candidates",
                title,
                &notice(&format!("The results database cannot be read: {e}")),
            )
        }
    };
    let info = match data::results_info(&mut *store) {
        Ok(i) => i,
        Err(e) => return page(cfg, "/candidates", title, &notice(&e)),
    };
    let list = match data::best_candidates(&mut *store, &info, limit, hide_known) {
        Ok(l) => l,
        Err(e) => return page(cfg, "/candidates", title, &notice(&e)),
    };
    let ids = job_ids(cfg);
    let mut b = String::new();
    let toggle = if hide_known {
        format!(r#"<a href="{}">show known pulsars</a>"#, esc(&link(cfg, "/candidates")))
    } else {
        format!(
            r#"<a href="{}">hide known pulsars</a>"#,
            esc(&link(cfg, "/candidates?hide_known=1"))
        )
    };
    let _ = write!(
        b,
        r#"<div class="toolbar">{toggle}<span class="muted">{} · schema version {}{}</span></div>"#,
        esc(&store.describe()),
        info.version,
        if info.has_known {
            ""
        } else {
            " (no known-pulsar columns: schema 4 adds them)"
        }
    );
    let _ = write!(
        b,
        r#"<input type="search" placeholder="filter…" data-filter="cands"><div class="card"><table id="cands"><thead><tr><th class="sort num">#</th><th class="sort num">score</th><th class="sort num">prepfold σ</th><th class="sort num">presto σ</th><th class="sort num">period [ms]</th><th class="sort num">DM</th><th class="sort">beam</th><th class="sort num">cand</th><th class="sort">search</th><th class="sort">known pulsar</th><th>plot</th></tr></thead><tbody>"#
    );
    for (i, c) in list.iter().enumerate() {
        let (beam, plot) = match ids.get(&c.beam) {
            Some((id, _, true)) => (
                format!(
                    r#"<a href="{}">{}</a>"#,
                    esc(&link(cfg, &format!("/beams/{id}/report/report.html"))),
                    esc(&c.beam)
                ),
                if c.plot_file.is_empty() {
                    String::new()
                } else {
                    format!(
                        r#"<a href="{}">plot</a>"#,
                        esc(&link(cfg, &format!("/beams/{id}/report/{}", url_path(&c.plot_file))))
                    )
                },
            ),
            _ => (esc(&c.beam), String::new()),
        };
        let known = match (&c.known_pulsar, &c.known_harmonic) {
            (Some(p), Some(h)) if h != "1/1" => format!(r#"<span class="known">{} ({})</span>"#, esc(p), esc(h)),
            (Some(p), _) => format!(r#"<span class="known">{}</span>"#, esc(p)),
            _ => String::new(),
        };
        let _ = write!(
            b,
            r#"<tr><td class="num">{}</td><td class="num" data-v="{}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="name">{beam}</td><td class="num">{}</td><td>{}</td><td>{known}</td><td>{plot}</td></tr>"#,
            i + 1,
            c.score.unwrap_or(-1.0),
            c.score.map_or("–".into(), |s| num(s, 3)),
            num(c.prepfold_sigma, 1),
            num(c.presto_sigma, 1),
            num(c.period_s * 1000.0, 6),
            num(c.dm, 2),
            c.cand_num,
            esc(c.search.as_deref().unwrap_or("")),
        );
    }
    b.push_str("</tbody></table></div>");
    if list.is_empty() {
        b.push_str(r#"<p class="muted">No candidates yet.</p>"#);
    }
    page(cfg, "/candidates", title, &b)
}

/// A relative file path as a URL path (each component percent-encoded).
fn url_path(p: &str) -> String {
    p.split('/').map(url_encode).collect::<Vec<_>>().join("/")
}

/// `/sky`: the searched beams on the sky.
pub fn sky(cfg: &DashboardConfig, equatorial: bool, by_state: bool) -> String {
    let title = "Searched beams on the sky";
    let mut b = String::new();
    let (results, warn) = results_by_beam(cfg);
    if let Some(w) = warn {
        b.push_str(&notice(&w));
    }
    let ids = job_ids(cfg);
    let q = |eq: bool, st: bool| {
        let mut s = String::from("/sky");
        let mut p = Vec::new();
        if eq {
            p.push("coords=equatorial");
        }
        if st {
            p.push("color=state");
        }
        if !p.is_empty() {
            s.push('?');
            s.push_str(&p.join("&"));
        }
        link(cfg, &s)
    };
    let _ = write!(
        b,
        r#"<div class="toolbar">coordinates: <a href="{}">galactic</a><a href="{}">equatorial</a> colour: <a href="{}">best score</a><a href="{}">state</a></div>"#,
        esc(&q(false, by_state)),
        esc(&q(true, by_state)),
        esc(&q(equatorial, false)),
        esc(&q(equatorial, true))
    );
    let mut names: Vec<&String> = results.keys().collect();
    names.sort();
    let mut pts = Vec::new();
    let mut states_seen: Vec<String> = Vec::new();
    for name in names {
        let r = &results[name];
        let Some((ra, dec, l, bb)) = r.position else { continue };
        let job = ids.get(name);
        let state = job.map_or("uploaded".to_string(), |j| j.1.clone());
        if !states_seen.contains(&state) {
            states_seen.push(state.clone());
        }
        let colour = if by_state {
            svg::state_colour(&state).to_string()
        } else {
            svg::score_colour(r.best_score)
        };
        let (x, y) = if equatorial { (ra, dec) } else { (l, bb) };
        pts.push(SkyPoint {
            x,
            y,
            colour,
            label: format!(
                "{name}\nl={l:.3} b={bb:.3}  RA={ra:.3} Dec={dec:.3}\n{state}, {} candidates, best score {}",
                r.candidates,
                r.best_score.map_or("–".into(), |s| num(s, 3))
            ),
            href: job
                .filter(|j| j.2)
                .map(|j| link(cfg, &format!("/beams/{}/report/report.html", j.0))),
        });
    }
    let (xn, yn) = if equatorial {
        ("right ascension", "declination")
    } else {
        ("galactic longitude l", "galactic latitude b")
    };
    let mut legend = String::new();
    if by_state {
        for s in &states_seen {
            let _ = write!(
                legend,
                r#"<span style="--c:{}">{}</span>"#,
                svg::state_colour(s),
                esc(s)
            );
        }
    } else {
        for (v, name) in [
            (None, "unrated"),
            (Some(0.0), "score 0"),
            (Some(0.5), "0.5"),
            (Some(1.0), "1"),
        ] {
            let _ = write!(legend, r#"<span style="--c:{}">{name}</span>"#, svg::score_colour(v));
        }
    }
    let _ = write!(
        b,
        r#"<div class="card">{}<div class="legend">{legend}</div><p class="muted">{} beams with a position in the results database. Hover a beam for its name; click it for its report.</p></div>"#,
        svg::sky(title, xn, yn, &pts),
        pts.len()
    );
    page(cfg, "/sky", title, &b)
}

/// A report made on the fly for a results directory without `report.html`.
pub fn generated_report(cfg: &DashboardConfig, id: i64, root: &Path, entries: &[(String, u64)]) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        r#"<p class="muted">The results directory <code>{}</code> has no <code>report.html</code>; its plots and files:</p>"#,
        esc(&root.display().to_string())
    );
    b.push_str(r#"<div class="plots">"#);
    for (f, _) in entries.iter().filter(|(f, _)| f.ends_with(".png")) {
        let _ = write!(
            b,
            r#"<div class="card"><h2>{}</h2><img class="plot" src="{}" alt="{}"></div>"#,
            esc(f),
            esc(&url_path(f)),
            esc(f)
        );
    }
    b.push_str("</div>");
    b.push_str(r#"<div class="card"><h2>Files</h2><table><thead><tr><th>file</th><th class="num">size</th></tr></thead><tbody>"#);
    for (f, size) in entries {
        let _ = write!(
            b,
            r#"<tr><td><a href="{}">{}</a></td><td class="num">{}</td></tr>"#,
            esc(&url_path(f)),
            esc(f),
            esc(&bytes(*size))
        );
    }
    b.push_str("</tbody></table></div>");
    page(cfg, "/beams", &format!("Beam {id}: results"), &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_encodes() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(url_encode("a b/&"), "a%20b%2F%26");
        assert_eq!(url_decode("a%20b%2F%26+c"), "a b/& c");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz"), "%zz");
    }
}
