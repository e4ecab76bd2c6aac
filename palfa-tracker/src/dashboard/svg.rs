//! Inline SVG charts: a stacked area chart, a bar chart, a bar gauge and a scatter plot.

use std::fmt::Write as _;

use super::pages::esc;

/// Colour of a state (jobs and files).
pub fn state_colour(state: &str) -> &'static str {
    match state {
        "new" | "waiting" => "#9aa5b1",
        "retrying" => "#f0b429",
        "submitted" | "running" | "downloading" | "submitting" => "#3b82f6",
        "processed" | "downloaded" | "finished" => "#14b8a6",
        "uploaded" => "#16a34a",
        "failed" | "upload_failed" => "#f97316",
        "terminal_failure" => "#dc2626",
        _ => "#8b5cf6",
    }
}

/// A colour for a score in [0, 1] (blue → yellow → red); grey for none.
pub fn score_colour(score: Option<f64>) -> String {
    let Some(s) = score.filter(|s| s.is_finite()) else {
        return "#9aa5b1".into();
    };
    let s = s.clamp(0.0, 1.0);
    let (r, g, b) = if s < 0.5 {
        let t = s / 0.5;
        (lerp(49.0, 250.0, t), lerp(100.0, 204.0, t), lerp(200.0, 21.0, t))
    } else {
        let t = (s - 0.5) / 0.5;
        (lerp(250.0, 220.0, t), lerp(204.0, 38.0, t), lerp(21.0, 38.0, t))
    };
    format!("#{:02x}{:02x}{:02x}", r as u8, g as u8, b as u8)
}

fn lerp(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

const W: f64 = 1080.0;
const H: f64 = 260.0;
const L: f64 = 48.0;
const R: f64 = 12.0;
const T: f64 = 12.0;
const B: f64 = 34.0;

/// A stacked area chart: `series` are (name, values per x); `xlabels` at some x.
pub fn stacked(title: &str, series: &[(String, Vec<f64>)], xlabels: &[(usize, String)]) -> String {
    let n = series.first().map_or(0, |s| s.1.len());
    let mut s = open(title);
    if n < 2 {
        s.push_str(&no_data());
        return s + "</svg>";
    }
    let totals: Vec<f64> = (0..n).map(|i| series.iter().map(|se| se.1[i]).sum()).collect();
    let ymax = nice_max(totals.iter().cloned().fold(0.0, f64::max));
    axes(&mut s, ymax);
    let x = |i: usize| L + (W - L - R) * i as f64 / (n - 1) as f64;
    let y = |v: f64| H - B - (H - T - B) * v / ymax;
    let mut base = vec![0.0; n];
    for (name, vals) in series {
        let top: Vec<f64> = base.iter().zip(vals).map(|(a, b)| a + b).collect();
        let mut d = String::new();
        for (i, v) in top.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1} ", if i == 0 { "M" } else { "L" }, x(i), y(*v));
        }
        for (i, v) in base.iter().enumerate().rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x(i), y(*v));
        }
        let _ = write!(
            s,
            r#"<path d="{d}Z" fill="{}" fill-opacity="0.85"><title>{}</title></path>"#,
            state_colour(name),
            esc(name)
        );
        base = top;
    }
    for (i, l) in xlabels {
        let anchor = if *i == 0 {
            "start"
        } else if *i == n - 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="{anchor}">{}</text>"#,
            x(*i),
            H - B + 18.0,
            esc(l)
        );
    }
    s + "</svg>"
}

/// A bar chart of two series side by side per x.
pub fn bars(title: &str, a: (&str, &str, &[f64]), b: (&str, &str, &[f64]), xlabels: &[(usize, String)]) -> String {
    let n = a.2.len();
    let mut s = open(title);
    if n == 0 {
        s.push_str(&no_data());
        return s + "</svg>";
    }
    let ymax = nice_max(a.2.iter().chain(b.2).cloned().fold(0.0, f64::max));
    axes(&mut s, ymax);
    let slot = (W - L - R) / n as f64;
    let bw = (slot * 0.4).max(1.0);
    let y = |v: f64| H - B - (H - T - B) * v / ymax;
    for i in 0..n {
        for (k, (name, colour, vals)) in [a, b].iter().enumerate() {
            let v = vals[i];
            if v <= 0.0 {
                continue;
            }
            let x0 = L + slot * i as f64 + slot * 0.1 + bw * k as f64;
            let _ = write!(
                s,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{colour}"><title>{}: {v}</title></rect>"#,
                y(v),
                H - B - y(v),
                esc(name)
            );
        }
    }
    for (i, l) in xlabels {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" class="tick" text-anchor="middle">{}</text>"#,
            L + slot * (*i as f64 + 0.5),
            H - B + 18.0,
            esc(l)
        );
    }
    s + "</svg>"
}

/// A horizontal gauge: `used` of `total`.
pub fn gauge(used: u64, total: u64) -> String {
    let frac = if total > 0 { used as f64 / total as f64 } else { 0.0 };
    let w = 1080.0;
    let fill = (frac.min(1.0) * w).max(0.0);
    let colour = if frac > 0.95 {
        "#dc2626"
    } else if frac > 0.8 {
        "#f0b429"
    } else {
        "#16a34a"
    };
    format!(
        r##"<svg class="chart" viewBox="0 0 {w} 28" role="img" aria-label="disk budget"><rect x="0" y="4" width="{w}" height="20" rx="4" fill="#e5e7eb"/><rect x="0" y="4" width="{fill:.1}" height="20" rx="4" fill="{colour}"/><text x="8" y="19" class="gauge">{:.1} %</text></svg>"##,
        frac * 100.0
    )
}

/// One point of the sky plot.
pub struct SkyPoint {
    /// Horizontal coordinate \[deg\].
    pub x: f64,
    /// Vertical coordinate \[deg\].
    pub y: f64,
    /// Fill colour.
    pub colour: String,
    /// Tooltip.
    pub label: String,
    /// Link (already escaped-safe URL).
    pub href: Option<String>,
}

/// A scatter plot of beams; `x` increases to the left (sky convention).
pub fn sky(title: &str, xname: &str, yname: &str, pts: &[SkyPoint]) -> String {
    let (w, h) = (1080.0, 480.0);
    let mut s = format!(
        r#"<svg class="chart sky" viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(title)
    );
    if pts.is_empty() {
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle" class="nodata">no searched beams with a position yet</text></svg>"#,
            w / 2.0,
            h / 2.0
        );
        return s;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in pts {
        x0 = x0.min(p.x);
        x1 = x1.max(p.x);
        y0 = y0.min(p.y);
        y1 = y1.max(p.y);
    }
    let pad = |a: f64, b: f64| ((b - a) * 0.1).max(0.5);
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let (x0, x1, y0, y1) = (x0 - px, x1 + px, y0 - py, y1 + py);
    let (l, r, t, b) = (60.0, 16.0, 16.0, 44.0);
    let sx = |x: f64| l + (w - l - r) * (x1 - x) / (x1 - x0);
    let sy = |y: f64| h - b - (h - t - b) * (y - y0) / (y1 - y0);
    let _ = write!(
        s,
        r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="#f8fafc" stroke="#cbd5e1"/>"##,
        w - l - r,
        h - t - b
    );
    for i in 0..=4 {
        let xv = x0 + (x1 - x0) * i as f64 / 4.0;
        let yv = y0 + (y1 - y0) * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" y1="{t}" x2="{0:.1}" y2="{1}" stroke="#e2e8f0"/><text x="{0:.1}" y="{2}" class="tick" text-anchor="middle">{3:.1}</text>"##,
            sx(xv),
            h - b,
            h - b + 16.0,
            xv
        );
        let _ = write!(
            s,
            r##"<line x1="{l}" y1="{0:.1}" x2="{1}" y2="{0:.1}" stroke="#e2e8f0"/><text x="{2}" y="{3:.1}" class="tick" text-anchor="end">{4:.2}</text>"##,
            sy(yv),
            w - r,
            l - 6.0,
            sy(yv) + 4.0,
            yv
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" class="axis" text-anchor="middle">{} [deg]</text><text x="14" y="{}" class="axis" text-anchor="middle" transform="rotate(-90 14 {})">{} [deg]</text>"#,
        (l + w - r) / 2.0,
        h - 8.0,
        esc(xname),
        (t + h - b) / 2.0,
        (t + h - b) / 2.0,
        esc(yname)
    );
    for p in pts {
        let c = format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="7" fill="{}" fill-opacity="0.85" stroke="#1f2937" stroke-width="0.8"><title>{}</title></circle>"##,
            sx(p.x),
            sy(p.y),
            esc(&p.colour),
            esc(&p.label)
        );
        match &p.href {
            Some(hr) => {
                let _ = write!(s, r#"<a href="{}">{c}</a>"#, esc(hr));
            }
            None => s.push_str(&c),
        }
    }
    s + "</svg>"
}

fn open(title: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}">"#,
        esc(title)
    )
}

fn no_data() -> String {
    format!(
        r#"<text x="{}" y="{}" text-anchor="middle" class="nodata">no data yet</text>"#,
        W / 2.0,
        H / 2.0
    )
}

fn axes(s: &mut String, ymax: f64) {
    for i in 0..=4 {
        let v = ymax * i as f64 / 4.0;
        let y = H - B - (H - T - B) * i as f64 / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{L}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            W - R,
            L - 6.0,
            y + 4.0,
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        );
    }
}

/// A round upper bound for counts, giving whole-number ticks at quarters when small.
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 4.0;
    }
    if v <= 20.0 {
        return (v / 4.0).ceil() * 4.0;
    }
    let e = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if v <= m * e {
            return m * e;
        }
    }
    10.0 * e
}
