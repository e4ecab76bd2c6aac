//! The page itself: HTML written from [`SearchResults`], with the CSS and
//! JavaScript of `page.css` and `page.js` inline.

use std::fmt::Write as _;

use palfa_core::formats::results::{
    KnownPosition, KnownPulsar, PeriodicityCandidate, Provenance, SearchResults, SearchStatus,
};

use super::{escape, href};

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");
/// Runs first (in `<head>`): counts script errors into `body[data-errors]`
/// and the visible `#js-errors`, so that a broken page says so.
const EARLY_JS: &str = include_str!("early.js");

/// `x` with `d` decimals, or `—` when it is not finite.
fn num(x: f64, d: usize) -> String {
    if x.is_finite() {
        let s = format!("{x:.d$}");
        // No "-0.00": a value that rounds to zero is shown unsigned.
        match s.strip_prefix('-') {
            Some(t) if t.bytes().all(|b| b == b'0' || b == b'.') => t.to_string(),
            _ => s,
        }
    } else {
        "—".into()
    }
}

/// `x` in scientific notation with 3 decimals.
fn sci(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3e}")
    } else {
        "—".into()
    }
}

/// A numeric table cell: the shown text, and the exact value to sort by.
fn td_num(out: &mut String, x: f64, d: usize) {
    if x.is_finite() {
        let _ = write!(out, "<td data-v=\"{x}\">{}</td>", num(x, d));
    } else {
        out.push_str("<td data-v=\"\">—</td>");
    }
}

fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = n as f64;
    let mut u = 0;
    while x >= 1024.0 && u + 1 < UNITS.len() {
        x /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{x:.1} {}", UNITS[u])
    }
}

/// `Jxxxx (Bxxxx) n/m`, plus `far sidelobe` where it lies there.
pub(crate) fn known_tag(k: &KnownPulsar) -> String {
    let mut s = k.name.clone();
    if let Some(b) = &k.bname {
        let _ = write!(s, " ({b})");
    }
    let _ = write!(s, " {}/{}", k.harmonic_n, k.harmonic_m);
    if k.position == KnownPosition::FarSidelobe {
        s.push_str(" far sidelobe");
    }
    s
}

fn score(c: &PeriodicityCandidate) -> Option<f64> {
    c.ratings
        .iter()
        .find(|r| r.name == "score")
        .and_then(|r| r.value)
        .filter(|v| v.is_finite())
}

/// One `dt`/`dd` pair; `value` is HTML already (empty: a dash).
fn kv(out: &mut String, label: &str, value: &str) {
    let value = if value.is_empty() { "—" } else { value };
    let _ = write!(out, "<div><dt>{}</dt><dd>{value}</dd></div>", escape(label));
}

/// An image of the results directory, linked to itself, or a note that it
/// is not shown.
fn image(out: &mut String, rel: &str, alt: &str, class: &str, lazy: bool) {
    if rel.is_empty() {
        return;
    }
    match href(rel) {
        Some(u) => {
            let _ = write!(
                out,
                "<figure class=\"{class}\"><a href=\"{u}\"><img class=\"plot\" src=\"{u}\" alt=\"{}\"{}></a>\
                 <figcaption>{}</figcaption></figure>",
                escape(alt),
                if lazy { " loading=\"lazy\"" } else { "" },
                escape(rel)
            );
        }
        None => {
            let _ = write!(
                out,
                "<p class=\"note\">{} not shown: its path {} leaves the results directory.</p>",
                escape(alt),
                escape(rel)
            );
        }
    }
}

/// A link to a file of the results directory (its path as text when unsafe).
fn file_link(rel: &str) -> String {
    match href(rel) {
        Some(u) => format!("<a href=\"{u}\">{}</a>", escape(rel)),
        None => format!(
            "<span class=\"note\">{} (not linked: leaves the directory)</span>",
            escape(rel)
        ),
    }
}

/// The whole page for `results`.
pub fn render_report(r: &SearchResults) -> String {
    let h = &r.header;
    let mut o = String::with_capacity(64 * 1024 + r.candidates.len() * 4096);
    let title = format!("{} — palfa report", h.obs_name);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"palfa {}\">\n<title>{}</title>\n\
         <script>{EARLY_JS}</script>\n<style>{CSS}</style>\n</head>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&title)
    );
    let searched = r.status == SearchStatus::Searched;
    let _ = writeln!(
        o,
        "<body data-ready=\"0\" data-errors=\"0\" data-candidates=\"{}\">",
        r.candidates.len()
    );
    // Header and navigation.
    let _ = write!(
        o,
        "<header class=\"top\"><div class=\"wrap\"><div class=\"title\"><h1>{}</h1>\
         <p class=\"sub\">{} · {} / {} · MJD {} · searched {} · {}</p></div>\
         <p id=\"js-errors\" class=\"errors\" hidden></p>\
         <nav><a href=\"#observation\">Observation</a>",
        escape(&h.obs_name),
        escape(&h.source_name),
        escape(&h.telescope),
        escape(&h.backend),
        num(h.timestamp_mjd, 6),
        escape(&r.processed_at),
        escape(&r.version),
    );
    if searched {
        o.push_str("<a href=\"#diagnostics\">Diagnostics</a><a href=\"#candidates\">Candidates</a>");
        if !r.known_pulsars.is_empty() {
            o.push_str("<a href=\"#known-pulsars\">Known pulsars</a>");
        }
        o.push_str(
            "<a href=\"#single-pulses\">Single pulses</a><a href=\"#sifting\">Sifting</a><a href=\"#files\">Files</a>",
        );
    }
    o.push_str("<a href=\"#provenance\">Provenance</a></nav></div></header>\n<main>\n");
    if let SearchStatus::SkippedTooShort { duration_s, min_s } = r.status {
        let _ = writeln!(
            o,
            "<section id=\"skipped\" class=\"skipped\"><h2>Not searched</h2><p>The beam is {} s long, \
             shorter than the shortest searched (<code>low_T_to_search</code> = {} s): there are no \
             candidates, single pulses or diagnostics.</p></section>",
            num(duration_s, 1),
            num(min_s, 1)
        );
    }
    observation(&mut o, r);
    if searched {
        diagnostics(&mut o, r);
        candidates(&mut o, r);
        known_pulsars(&mut o, r);
        single_pulses(&mut o, r);
        sifting(&mut o, r);
        files(&mut o, r);
    }
    provenance(&mut o, r);
    let _ = write!(
        o,
        "</main>\n<footer><div class=\"wrap\">Written by palfa {} from <a href=\"results.json\">results.json</a> \
         (format {}).</div></footer>\n",
        env!("CARGO_PKG_VERSION"),
        r.format_version
    );
    if searched {
        viewer(&mut o, r);
    }
    let _ = write!(o, "<script>{JS}</script>\n</body>\n</html>\n");
    o
}

fn observation(o: &mut String, r: &SearchResults) {
    let h = &r.header;
    o.push_str("<section id=\"observation\"><h2>Observation</h2><dl class=\"kv\">");
    kv(o, "Source", &escape(&h.source_name));
    kv(
        o,
        "Telescope / backend",
        &format!("{} / {}", escape(&h.telescope), escape(&h.backend)),
    );
    if !h.project_id.is_empty() {
        kv(o, "Project", &escape(&h.project_id));
    }
    if !h.observers.is_empty() {
        kv(o, "Observers", &escape(&h.observers));
    }
    kv(o, "Beam", &h.beam_id.map_or("—".into(), |b| b.to_string()));
    kv(
        o,
        "RA / Dec (J2000)",
        &format!(
            "<span title=\"{} {} deg\">{} {}</span>",
            num(h.ra_deg, 4),
            num(h.dec_deg, 4),
            escape(&h.right_ascension),
            escape(&h.declination)
        ),
    );
    kv(
        o,
        "l / b [deg]",
        &format!("{} {}", num(h.galactic_longitude, 4), num(h.galactic_latitude, 4)),
    );
    kv(o, "Start (MJD, topocentric)", &num(h.timestamp_mjd, 8));
    kv(
        o,
        "Length",
        &format!("{} s ({} samples)", num(h.observation_time_s, 2), h.num_samples),
    );
    kv(o, "Sample time", &format!("{} µs", num(h.sample_time_s * 1e6, 3)));
    kv(
        o,
        "Channels",
        &format!("{} × {} MHz", h.num_channels, num(h.channel_bandwidth_mhz, 4)),
    );
    let half = h.bandwidth_mhz.abs() / 2.0;
    kv(
        o,
        "Band",
        &format!(
            "<span title=\"centre {} MHz, {} MHz wide\">{}–{} MHz</span>",
            num(h.center_freq_mhz, 3),
            num(h.bandwidth_mhz, 3),
            num(h.center_freq_mhz - half, 2),
            num(h.center_freq_mhz + half, 2),
        ),
    );
    kv(o, "Bits / IFs", &format!("{} / {}", h.nbits, h.num_ifs));
    let files: Vec<String> = h.original_files.iter().map(|f| escape(f)).collect();
    kv(
        o,
        "Raw files",
        &format!(
            "{} <span class=\"muted\">({})</span>",
            files.join("<br>"),
            bytes(h.file_size)
        ),
    );
    o.push_str("</dl></section>\n");
}

fn card(o: &mut String, value: &str, label: &str) {
    let _ = write!(
        o,
        "<div class=\"card\"><div class=\"v\">{value}</div><div class=\"l\">{label}</div></div>"
    );
}

fn diagnostics(o: &mut String, r: &SearchResults) {
    let d = &r.diagnostics;
    o.push_str("<section id=\"diagnostics\"><h2>Diagnostics</h2><div class=\"diag\"><div class=\"cards\">");
    card(o, &format!("{} %", num(d.rfi_mask_percentage, 2)), "RFI mask");
    card(o, &format!("{} %", num(d.percent_zapped_total, 2)), "zapped (all)");
    card(
        o,
        &format!("{} %", num(d.percent_zapped_below_10hz, 2)),
        "zapped < 10 Hz",
    );
    card(o, &format!("{} %", num(d.percent_zapped_below_1hz, 2)), "zapped < 1 Hz");
    card(o, &r.num_dm_trials.to_string(), "DM trials");
    card(o, &d.num_cands_produced.to_string(), "cands produced");
    card(
        o,
        &d.num_cands_above_threshold.to_string(),
        &format!("above σ {}", num(d.sigma_threshold, 1)),
    );
    card(
        o,
        &d.num_cands_folded.to_string(),
        &format!("folded (max {})", d.max_cands_allowed_to_fold),
    );
    card(o, &num(d.min_sigma_folded, 2), "min σ folded");
    card(o, &r.single_pulses.num_events.to_string(), "single pulses");
    o.push_str("</div>");
    image(o, &d.rfifind_png, "RFI mask (rfifind)", "rfi", false);
    o.push_str("</div></section>\n");
}

/// The candidate table's columns: key (the URL fragment's `sort=`), heading,
/// tooltip, numeric, first sort direction.
const COLUMNS: &[(&str, &str, &str, bool, &str)] = &[
    ("cand_num", "#", "rank (1 = best)", true, "asc"),
    ("period_s", "P (ms)", "best folded topocentric period", true, "asc"),
    (
        "frequency_hz",
        "f (Hz)",
        "best folded topocentric frequency",
        true,
        "asc",
    ),
    ("dm", "DM", "best folded DM [pc cm⁻³]", true, "asc"),
    (
        "z",
        "z",
        "Fourier-frequency drift of the search candidate [bins]",
        true,
        "asc",
    ),
    ("accel_m_s2", "a (m/s²)", "acceleration implied by z", true, "asc"),
    (
        "presto_sigma",
        "σ accel",
        "significance from the search, with trials",
        true,
        "desc",
    ),
    (
        "sifting_sigma",
        "σ sift",
        "single-trial significance of the summed harmonics",
        true,
        "desc",
    ),
    (
        "prepfold_sigma",
        "σ fold",
        "significance of the folded profile",
        true,
        "desc",
    ),
    (
        "reduced_chi2",
        "χ²ᵣ",
        "reduced χ² of the best folded profile",
        true,
        "desc",
    ),
    ("num_hits", "hits", "DM trials it was found in", true, "desc"),
    ("num_harmonics", "harm", "harmonics summed", true, "desc"),
    (
        "search",
        "search",
        "accel (acceleration search) or ffa (fast folding)",
        false,
        "asc",
    ),
    (
        "score",
        "score",
        "the rating named score (docs/ratings.md)",
        true,
        "desc",
    ),
    (
        "known",
        "known pulsar",
        "catalogued pulsar it matches, harmonic n/m",
        false,
        "asc",
    ),
    (
        "impulsive",
        "flags",
        "impulsive: the signal sits in one or two sub-integrations",
        false,
        "desc",
    ),
];

fn candidates(o: &mut String, r: &SearchResults) {
    let n = r.candidates.len();
    let _ = write!(
        o,
        "<section id=\"candidates\"><h2>Candidates <span class=\"muted\">({n} folded)</span></h2>"
    );
    if n == 0 {
        o.push_str("<p class=\"note\">No candidate was folded.</p></section>\n");
        return;
    }
    let _ = write!(
        o,
        "<div class=\"toolbar\"><label>Filter <input type=\"search\" id=\"filter\" \
         placeholder=\"text in a row: J1939, ffa, 51.0…\" autocomplete=\"off\"></label>\
         <label><input type=\"checkbox\" id=\"hide-known\"> hide known pulsars</label>\
         <label><input type=\"checkbox\" id=\"hide-impulsive\"> hide impulsive</label>\
         <span id=\"shown\" class=\"muted\">{n} of {n} shown</span>\
         <span class=\"muted hint\">click a column to sort · click a row for its fold</span></div>"
    );
    o.push_str("<div class=\"scroll\"><table id=\"cands\" class=\"sortable\"><thead><tr>");
    for &(key, label, tip, numeric, first) in COLUMNS {
        let _ = write!(
            o,
            "<th data-key=\"{key}\" data-type=\"{}\" data-first=\"{first}\" title=\"{}\" class=\"{}\" \
             tabindex=\"0\" aria-sort=\"none\">{}</th>",
            if numeric { "num" } else { "str" },
            escape(tip),
            if numeric { "n" } else { "t" },
            escape(label)
        );
    }
    o.push_str("</tr></thead><tbody>");
    for c in &r.candidates {
        let plot = href(&c.plot_file).unwrap_or_default();
        let _ = write!(
            o,
            "<tr data-cand=\"{}\" data-plot=\"{plot}\" data-known=\"{}\" data-impulsive=\"{}\" tabindex=\"0\">",
            c.cand_num,
            u8::from(c.known_pulsar.is_some()),
            u8::from(c.impulsive)
        );
        let _ = write!(o, "<td data-v=\"{0}\">{0}</td>", c.cand_num);
        if c.period_s.is_finite() {
            let _ = write!(o, "<td data-v=\"{}\">{}</td>", c.period_s, num(c.period_s * 1e3, 6));
        } else {
            o.push_str("<td data-v=\"\">—</td>");
        }
        td_num(o, c.frequency_hz, 5);
        td_num(o, c.dm, 2);
        td_num(o, c.z, 1);
        td_num(o, c.accel_m_s2, 2);
        td_num(o, c.presto_sigma, 2);
        td_num(o, c.sifting_sigma, 2);
        td_num(o, c.prepfold_sigma, 2);
        td_num(o, c.reduced_chi2, 2);
        let _ = write!(o, "<td data-v=\"{0}\">{0}</td>", c.num_hits);
        let _ = write!(o, "<td data-v=\"{0}\">{0}</td>", c.num_harmonics);
        let _ = write!(o, "<td class=\"t\">{}</td>", c.search.as_str());
        match score(c) {
            Some(s) => td_num(o, s, 3),
            None => o.push_str("<td data-v=\"\"></td>"),
        }
        match &c.known_pulsar {
            Some(k) => {
                let _ = write!(
                    o,
                    "<td class=\"t\"><span class=\"tag known{}\" title=\"{}\">{}</span></td>",
                    if k.position == KnownPosition::FarSidelobe {
                        " far"
                    } else {
                        ""
                    },
                    escape(&format!(
                        "P = {:.6} ms, DM {:.2}, {:.3}° from the beam centre",
                        k.psr_period_s * 1e3,
                        k.psr_dm,
                        k.separation_deg
                    )),
                    escape(&known_tag(k))
                );
            }
            None => o.push_str("<td class=\"t\"></td>"),
        }
        if c.impulsive {
            o.push_str("<td class=\"t\"><span class=\"tag imp\">impulsive</span></td>");
        } else {
            o.push_str("<td class=\"t\"></td>");
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
    for c in &r.candidates {
        candidate_detail(o, c);
    }
    o.push_str("</section>\n");
}

/// A candidate's details for the fold viewer (a `<template>`, copied into
/// the viewer when the candidate is opened).
fn candidate_detail(o: &mut String, c: &PeriodicityCandidate) {
    let _ = write!(o, "<template id=\"detail-{}\">", c.cand_num);
    if let Some(k) = &c.known_pulsar {
        let _ = write!(
            o,
            "<p class=\"tag known{}\">Known pulsar: {}</p><dl class=\"kv1\">",
            if k.position == KnownPosition::FarSidelobe {
                " far"
            } else {
                ""
            },
            escape(&known_tag(k))
        );
        kv(o, "pulsar P", &format!("{} ms", num(k.psr_period_s * 1e3, 6)));
        kv(o, "pulsar DM", &num(k.psr_dm, 2));
        kv(o, "ΔP", &format!("{} s", sci(k.period_diff_s)));
        kv(o, "ΔDM", &num(k.dm_diff, 2));
        kv(
            o,
            "separation",
            &format!("{}° ({})", num(k.separation_deg, 3), k.position.as_str()),
        );
        o.push_str("</dl>");
    }
    if c.impulsive {
        o.push_str("<p class=\"tag imp\">Impulsive: the signal sits in one or two sub-integrations.</p>");
    }
    o.push_str("<dl class=\"kv1\">");
    kv(o, "period", &format!("{} ms", num(c.period_s * 1e3, 9)));
    kv(o, "Ṗ", &sci(c.pdot));
    kv(o, "frequency", &format!("{} Hz", num(c.frequency_hz, 9)));
    kv(o, "ḟ", &format!("{} Hz/s", sci(c.fdot_hz_s)));
    kv(o, "DM", &num(c.dm, 2));
    kv(
        o,
        "search (before folding)",
        &format!(
            "{}: {} ms, DM {}",
            c.search.as_str(),
            num(c.sifting_period_s * 1e3, 6),
            num(c.sifting_dm, 2)
        ),
    );
    kv(
        o,
        "σ accel / sift / fold",
        &format!(
            "{} / {} / {}",
            num(c.presto_sigma, 2),
            num(c.sifting_sigma, 2),
            num(c.prepfold_sigma, 2)
        ),
    );
    kv(o, "reduced χ²", &num(c.reduced_chi2, 3));
    kv(o, "S/N (harmonics)", &num(c.snr, 2));
    kv(
        o,
        "power coherent / incoherent",
        &format!("{} / {}", num(c.coherent_power, 1), num(c.incoherent_power, 1)),
    );
    kv(
        o,
        "z / accel",
        &format!("{} / {} m/s²", num(c.z, 2), num(c.accel_m_s2, 3)),
    );
    kv(o, "hits / harmonics", &format!("{} / {}", c.num_hits, c.num_harmonics));
    if let Some(w) = c.pulse_width_s {
        kv(o, "pulse width", &format!("{} ms", num(w * 1e3, 3)));
    }
    o.push_str("</dl>");
    if !c.ratings.is_empty() {
        o.push_str(
            "<h3>Ratings</h3><table class=\"ratings\"><thead><tr><th class=\"t\">name</th>\
             <th>version</th><th>value</th></tr></thead><tbody>",
        );
        for rt in &c.ratings {
            let v = match rt.value {
                Some(v) if v.is_finite() => {
                    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) {
                        sci(v)
                    } else {
                        num(v, 4)
                    }
                }
                _ => "—".into(),
            };
            let _ = write!(
                o,
                "<tr{}><td class=\"t\">{}</td><td>{}</td><td>{v}</td></tr>",
                if rt.name == "score" { " class=\"score\"" } else { "" },
                escape(&rt.name),
                rt.version
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("<h3>Files</h3><ul class=\"files\">");
    for f in [&c.plot_file, &c.pfd_file, &c.bestprof_file] {
        if !f.is_empty() {
            let _ = write!(o, "<li>{}</li>", file_link(f));
        }
    }
    o.push_str("</ul></template>");
}

fn viewer(o: &mut String, _r: &SearchResults) {
    o.push_str(
        "<dialog id=\"viewer\" aria-labelledby=\"viewer-title\"><div class=\"viewer\" tabindex=\"-1\" autofocus>\
         <div class=\"viewer-bar\"><h2 id=\"viewer-title\">Candidate</h2>\
         <span class=\"muted hint\">← → previous / next · Esc closes</span>\
         <span class=\"spacer\"></span>\
         <button type=\"button\" id=\"v-prev\" title=\"previous (←)\">◀ Prev</button>\
         <button type=\"button\" id=\"v-next\" title=\"next (→)\">Next ▶</button>\
         <button type=\"button\" id=\"v-close\" title=\"close (Esc)\">Close ✕</button></div>\
         <div class=\"viewer-body\"><div class=\"viewer-img\"><img id=\"fold-img\" alt=\"fold plot\" data-loaded=\"0\">\
         <p id=\"fold-missing\" class=\"note\" hidden>No fold plot for this candidate.</p></div>\
         <div id=\"fold-info\" class=\"viewer-info\"></div></div></div></dialog>\n",
    );
}

/// The catalogued pulsars in the beam and what the search found of each.
fn known_pulsars(o: &mut String, r: &SearchResults) {
    if r.known_pulsars.is_empty() {
        return;
    }
    o.push_str(
        "<section id=\"known-pulsars\"><h2>Known pulsars in the beam</h2>\
         <p class=\"note\">Catalogued pulsars within the beam (and bright ones detected in far sidelobes), \
         with the sifted candidates that are them.</p><div class=\"scroll short\"><table id=\"known\">\
         <thead><tr><th class=\"t\">pulsar</th><th>P (ms)</th><th>DM</th>\
         <th>S1400 (mJy)</th><th>offset (′)</th><th class=\"t\">where</th>\
         <th class=\"t\">found as</th></tr></thead><tbody>",
    );
    for k in &r.known_pulsars {
        let name = match &k.bname {
            Some(b) => format!("{} ({})", escape(&k.name), escape(b)),
            None => escape(&k.name),
        };
        let found = if k.detections.is_empty() {
            "<span class=\"muted\">not detected</span>".to_string()
        } else {
            k.detections
                .iter()
                .map(|d| {
                    let what = match d.cand_num {
                        Some(n) => format!("candidate {n}"),
                        None => format!("sifted #{} (not folded)", d.sifted_rank),
                    };
                    format!(
                        "{what}: {}/{}, P {} ms, DM {}, σ {}",
                        d.harmonic_n,
                        d.harmonic_m,
                        num(d.period_s * 1e3, 4),
                        num(d.dm, 1),
                        num(d.sigma, 1)
                    )
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = write!(
            o,
            "<tr><td class=\"t\">{name}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td class=\"t\">{}</td><td class=\"t\">{found}</td></tr>",
            num(k.period_s * 1e3, 4),
            num(k.dm, 2),
            k.s1400_mjy.map_or("–".to_string(), |s| num(s, 2)),
            num(k.separation_deg * 60.0, 2),
            match k.position {
                KnownPosition::Main => "main beam",
                KnownPosition::FarSidelobe => "far sidelobe",
            },
        );
    }
    o.push_str("</tbody></table></div></section>\n");
}

fn single_pulses(o: &mut String, r: &SearchResults) {
    let sp = &r.single_pulses;
    let _ = write!(
        o,
        "<section id=\"single-pulses\"><h2>Single pulses</h2><p>{} events at or above {} σ (all DMs), \
         in {} groups listed.",
        sp.num_events,
        num(sp.threshold, 1),
        sp.groups.len()
    );
    if !sp.events_archive.is_empty() {
        let _ = write!(o, " Events: {}.", file_link(&sp.events_archive));
    }
    o.push_str("</p>");
    if !sp.plots.is_empty() {
        o.push_str("<div class=\"gallery\">");
        for p in &sp.plots {
            image(o, p, "single-pulse plot", "sp", true);
        }
        o.push_str("</div>");
    }
    if !sp.groups.is_empty() {
        o.push_str(
            "<h3>Groups</h3><div class=\"scroll short\"><table id=\"sp-groups\" class=\"sortable\"><thead><tr>\
             <th data-key=\"rank\" data-type=\"num\" data-first=\"asc\" tabindex=\"0\" aria-sort=\"none\">#</th>\
             <th data-key=\"dm\" data-type=\"num\" data-first=\"asc\" tabindex=\"0\" aria-sort=\"none\">DM</th>\
             <th data-key=\"time\" data-type=\"num\" data-first=\"asc\" tabindex=\"0\" aria-sort=\"none\">time (s)</th>\
             <th data-key=\"sigma\" data-type=\"num\" data-first=\"desc\" tabindex=\"0\" aria-sort=\"none\">σ</th>\
             <th data-key=\"downfact\" data-type=\"num\" data-first=\"desc\" tabindex=\"0\" aria-sort=\"none\">downfact</th>\
             <th data-key=\"events\" data-type=\"num\" data-first=\"desc\" tabindex=\"0\" aria-sort=\"none\">events</th>\
             <th data-key=\"dm_range\" data-type=\"num\" data-first=\"asc\" tabindex=\"0\" aria-sort=\"none\">DM range</th>\
             </tr></thead><tbody>",
        );
        for (i, g) in sp.groups.iter().enumerate() {
            let _ = write!(o, "<tr><td data-v=\"{0}\">{0}</td>", i + 1);
            td_num(o, g.dm, 2);
            td_num(o, g.time_s, 4);
            td_num(o, g.sigma, 2);
            let _ = write!(o, "<td data-v=\"{0}\">{0}</td>", g.downfact);
            let _ = write!(o, "<td data-v=\"{0}\">{0}</td>", g.num_events);
            let _ = write!(
                o,
                "<td data-v=\"{}\">{}–{}</td></tr>",
                if g.dm_range.0.is_finite() {
                    g.dm_range.0.to_string()
                } else {
                    String::new()
                },
                num(g.dm_range.0, 2),
                num(g.dm_range.1, 2)
            );
        }
        o.push_str("</tbody></table></div>");
    }
    o.push_str("</section>\n");
}

fn sifting(o: &mut String, r: &SearchResults) {
    let d = &r.diagnostics;
    if d.periodicity_summary_png.is_empty() && d.rejected_cands_png.is_empty() {
        return;
    }
    o.push_str("<section id=\"sifting\"><h2>Sifting</h2><div class=\"gallery two\">");
    image(o, &d.periodicity_summary_png, "periodicity summary", "sift", true);
    image(o, &d.rejected_cands_png, "rejected candidates", "sift", true);
    o.push_str("</div></section>\n");
}

fn files(o: &mut String, r: &SearchResults) {
    let d = &r.diagnostics;
    let list = [
        ("Sifting summary", &d.sifting_summary),
        ("Sifting report", &d.sifting_report),
        ("Accelcands list", &d.accelcands_list),
        ("Zaplist used", &d.zaplist_used),
        ("Search parameters", &d.search_params),
        ("Single-pulse events (tar)", &r.single_pulses.events_archive),
    ];
    o.push_str("<section id=\"files\"><h2>Files</h2><dl class=\"kv\">");
    kv(o, "Results", "<a href=\"results.json\">results.json</a>");
    for (label, f) in list {
        if !f.is_empty() {
            kv(o, label, &file_link(f));
        }
    }
    o.push_str("</dl></section>\n");
}

fn provenance(o: &mut String, r: &SearchResults) {
    o.push_str("<section id=\"provenance\"><h2>Provenance</h2><dl class=\"kv\">");
    kv(o, "Software", &escape(&r.version));
    kv(o, "Finished", &escape(&r.processed_at));
    match &r.provenance {
        Some(p) => provenance_fields(o, p),
        None => o.push_str(
            "</dl><p class=\"note\">These results carry no provenance record (written by an older palfa).</p>",
        ),
    }
    if !r.timing.is_empty() {
        let max = r
            .timing
            .iter()
            .map(|t| t.seconds)
            .filter(|s| s.is_finite())
            .fold(0.0f64, f64::max);
        o.push_str(
            "<h3>Stage timings</h3><table class=\"timing\"><thead><tr><th class=\"t\">stage</th>\
             <th>seconds</th><th class=\"t bar\"></th></tr></thead><tbody>",
        );
        for t in &r.timing {
            let w = if max > 0.0 && t.seconds.is_finite() {
                (t.seconds / max * 100.0).clamp(0.0, 100.0)
            } else {
                0.0
            };
            let _ = write!(
                o,
                "<tr><td class=\"t\">{}</td><td>{}</td><td class=\"t bar\"><span style=\"width:{w:.1}%\"></span></td></tr>",
                escape(&t.stage),
                num(t.seconds, 2)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>\n");
}

fn provenance_fields(o: &mut String, p: &Provenance) {
    kv(o, "palfa version", &escape(&p.palfa_version));
    kv(o, "git commit", &format!("<code>{}</code>", escape(&p.git_commit)));
    kv(
        o,
        "config SHA-256",
        &format!("<code class=\"hash\">{}</code>", escape(&p.config_sha256)),
    );
    kv(o, "started", &escape(&p.started_at));
    kv(o, "finished", &escape(&p.finished_at));
    kv(o, "host", &escape(&p.host.hostname));
    kv(
        o,
        "machine",
        &format!(
            "{} · {} threads · {}",
            escape(&p.host.cpu_model),
            p.host.threads,
            escape(&p.host.os)
        ),
    );
    o.push_str("</dl>");
    let _ = write!(
        o,
        "<details><summary>Configuration (<code>[searching]</code>, as run)</summary><pre class=\"config\">{}</pre></details>",
        escape(&p.config_toml)
    );
    if !p.inputs.is_empty() {
        o.push_str(
            "<h3>Input files</h3><div class=\"scroll-x\"><table class=\"inputs\"><thead><tr><th class=\"t\">path</th><th>size</th>\
             <th class=\"t\">SHA-256</th></tr></thead><tbody>",
        );
        for f in &p.inputs {
            let _ = write!(
                o,
                "<tr><td class=\"t\">{}</td><td title=\"{} bytes\">{}</td><td class=\"t\"><code class=\"hash\">{}</code></td></tr>",
                escape(&f.path),
                f.size,
                bytes(f.size),
                escape(&f.sha256)
            );
        }
        o.push_str("</tbody></table></div>");
    }
}
