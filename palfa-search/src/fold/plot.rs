//! The diagnostic plot of a fold, laid out like prepfold's one-page summary:
//! the best profile twice (top left), sub-integrations against phase with the
//! reduced χ² as they accumulate (bottom left), χ² against DM (top middle),
//! subbands against phase (bottom middle), the text block (top right), χ²
//! against period, the P–Ṗ plane and χ² against Ṗ (bottom right).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::result::FoldResult;
use crate::error::SearchResult;
use crate::plot::{init_fonts, plot_err, FONT};

/// Image size \[pixels\].
const SIZE: (u32, u32) = (1600, 1200);

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Draws the fold's diagnostic plot as a PNG at `path`.
///
/// # Errors
/// [`SearchError::Plot`](crate::SearchError::Plot) if the image cannot be drawn or written.
pub fn plot_fold(result: &FoldResult, path: impl AsRef<Path>) -> SearchResult<()> {
    let path = path.as_ref();
    init_fonts();
    draw(result, path).map_err(plot_err(path))
}

fn draw(result: &FoldResult, path: &Path) -> DrawResult {
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let s = &result.summary;
    let pfd = &result.pfd;
    let n = pfd.proflen;

    // Left column: profile, time-phase, χ² vs time.
    let prof2: Vec<f64> = s.profile.iter().chain(&s.profile).copied().collect();
    line_panel(
        &root.clone().shrink((70, 40), (420, 250)),
        "2 Pulses of Best Profile",
        "",
        "",
        &(0..2 * n).map(|i| i as f64 / n as f64).collect::<Vec<_>>(),
        &prof2,
        false,
    )?;
    let npart = pfd.npart;
    let t_part = pfd.stats.first().map(|x| x.numdata).unwrap_or(0.0) * pfd.dt;
    let tp2 = doubled_rows(&s.time_phase, npart, n);
    grey_panel(
        &root.clone().shrink((70, 330), (330, 800)),
        &tp2,
        npart,
        2 * n,
        (0.0, 2.0),
        (0.0, t_part * npart as f64),
        "Phase",
        "Time (s)",
    )?;
    let frac: Vec<f64> = (0..=npart).map(|k| k as f64 / npart.max(1) as f64).collect();
    vertical_curve(
        &root.clone().shrink((400, 330), (100, 800)),
        &s.time_redchi2,
        &frac,
        "Reduced \u{3c7}\u{b2}",
    )?;

    // Middle column: χ² vs DM, subbands vs phase.
    let c = &result.curves;
    if !c.dms.is_empty() {
        line_panel(
            &root.clone().shrink((580, 40), (420, 250)),
            "",
            "DM (pc cm\u{207b}\u{b3})",
            "Reduced \u{3c7}\u{b2}",
            &c.dms,
            &c.redchi2_vs_dm,
            true,
        )?;
    }
    let nsub = pfd.nsub;
    if nsub > 1 {
        let sp2 = doubled_rows(&c.subband_phase, nsub, n);
        // Each subband's row spans its channels, from the band's bottom edge to its top edge.
        let half = 0.5 * pfd.chan_wid;
        grey_panel(
            &root.clone().shrink((580, 330), (420, 800)),
            &sp2,
            nsub,
            2 * n,
            (0.0, 2.0),
            (pfd.lofreq - half, pfd.hifreq() + half),
            "Phase",
            "Frequency (MHz)",
        )?;
    } else {
        root.draw_text(
            "One subband: no frequency-phase plane",
            &(FONT, 16).into_font().color(&BLACK),
            (640, 700),
        )?;
    }

    // Right column: text, χ² vs P, P–Ṗ plane, χ² vs Ṗ.
    text_block(&root.clone().shrink((1040, 20), (560, 420)), result)?;
    let p0 = s.period_s;
    let dp_ms: Vec<f64> = c.periods.iter().map(|p| (p - p0) * 1e3).collect();
    line_panel(
        &root.clone().shrink((1110, 450), (330, 150)),
        "",
        &format!("Period \u{2212} {:.9} (ms)", p0 * 1e3),
        "Red. \u{3c7}\u{b2}",
        &dp_ms,
        &c.redchi2_vs_period,
        true,
    )?;
    let pd0 = s.pdot;
    let dpd: Vec<f64> = c.pdots.iter().map(|p| p - pd0).collect();
    plane_panel(&root.clone().shrink((1110, 620), (330, 520)), result, &dp_ms, &dpd)?;
    vertical_curve(
        &root.clone().shrink((1450, 620), (140, 520)),
        &c.redchi2_vs_pdot,
        &dpd,
        "Reduced \u{3c7}\u{b2}",
    )?;
    root.present()?;
    Ok(())
}

/// `rows × n` values, each row written twice side by side.
fn doubled_rows(v: &[f64], rows: usize, n: usize) -> Vec<f64> {
    (0..rows)
        .flat_map(|r| v[r * n..(r + 1) * n].iter().chain(&v[r * n..(r + 1) * n]).copied())
        .collect()
}

fn range(v: &[f64]) -> (f64, f64) {
    let lo = v
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f64::INFINITY, f64::min);
    let hi = v
        .iter()
        .copied()
        .filter(|x| x.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !(lo.is_finite() && hi.is_finite()) {
        (0.0, 1.0)
    } else if hi > lo {
        let pad = 0.05 * (hi - lo);
        (lo - pad, hi + pad)
    } else {
        (lo - 0.5, lo + 0.5)
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// A curve y(x) with axes.
fn line_panel(
    area: &Area<'_>,
    title: &str,
    xlabel: &str,
    ylabel: &str,
    x: &[f64],
    y: &[f64],
    labels: bool,
) -> DrawResult {
    if x.is_empty() {
        return Ok(());
    }
    let (x0, x1) = range(x);
    let (y0, y1) = range(y);
    let mut b = ChartBuilder::on(area);
    if !title.is_empty() {
        b.caption(title, (FONT, 20));
    }
    let mut chart = b
        .x_label_area_size(if labels { 40 } else { 10 })
        .y_label_area_size(if labels { 60 } else { 10 })
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh().label_style((FONT, 13)).x_labels(5).y_labels(5);
    if !xlabel.is_empty() {
        mesh.x_desc(xlabel);
    }
    if !ylabel.is_empty() {
        mesh.y_desc(ylabel);
    }
    if !labels {
        mesh.x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new());
    }
    mesh.axis_desc_style((FONT, 15)).draw()?;
    chart.draw_series(LineSeries::new(
        x.iter().copied().zip(y.iter().copied()),
        BLACK.stroke_width(line_width(x.len())),
    ))?;
    Ok(())
}

/// Thick polylines with many sharp turns get long mitre spikes in plotters:
/// dense curves are drawn one pixel wide.
fn line_width(points: usize) -> u32 {
    if points > 120 {
        1
    } else {
        2
    }
}

/// A curve drawn with its value along x against y (prepfold's side panels).
fn vertical_curve(area: &Area<'_>, values: &[f64], y: &[f64], label: &str) -> DrawResult {
    if values.is_empty() || y.len() != values.len() {
        return Ok(());
    }
    let (v0, v1) = range(values);
    let (y0, y1) = range(y);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(50)
        .y_label_area_size(0)
        .build_cartesian_2d(v0..v1, y0..y1)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(3)
        .label_style((FONT, 12))
        .x_desc(label)
        .axis_desc_style((FONT, 13))
        .draw()?;
    chart.draw_series(LineSeries::new(
        values.iter().copied().zip(y.iter().copied()),
        BLACK.stroke_width(line_width(values.len())),
    ))?;
    Ok(())
}

/// A greyscale image of `rows × cols` values (row 0 at the bottom), scaled as
/// prepfold does: each row's minimum removed, then divided by the overall maximum.
#[allow(clippy::too_many_arguments)]
fn grey_panel(
    area: &Area<'_>,
    v: &[f64],
    rows: usize,
    cols: usize,
    xr: (f64, f64),
    yr: (f64, f64),
    xlabel: &str,
    ylabel: &str,
) -> DrawResult {
    if rows == 0 || cols == 0 {
        return Ok(());
    }
    let mut scaled = v.to_vec();
    for r in scaled.chunks_mut(cols) {
        let m = r.iter().copied().fold(f64::INFINITY, f64::min);
        r.iter_mut().for_each(|x| *x -= m);
    }
    let max = scaled.iter().copied().fold(0.0f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)?;
    let (dx, dy) = ((xr.1 - xr.0) / cols as f64, (yr.1 - yr.0) / rows as f64);
    chart.draw_series((0..rows).flat_map(|r| {
        let scaled = &scaled;
        (0..cols).map(move |c| {
            let g = if max > 0.0 { scaled[r * cols + c] / max } else { 0.0 };
            let level = (255.0 * (1.0 - g.clamp(0.0, 1.0))) as u8;
            let x = xr.0 + c as f64 * dx;
            let y = yr.0 + r as f64 * dy;
            Rectangle::new([(x, y), (x + dx, y + dy)], RGBColor(level, level, level).filled())
        })
    }))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style((FONT, 13))
        .x_desc(xlabel)
        .y_desc(ylabel)
        .axis_desc_style((FONT, 15))
        .draw()?;
    Ok(())
}

/// Blue → cyan → green → yellow → red for 0..1.
fn heat(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0) * 4.0;
    let (i, f) = (v.floor() as usize, v - v.floor());
    let stops = [
        (30, 30, 160),
        (0, 170, 220),
        (40, 190, 60),
        (250, 220, 30),
        (220, 30, 30),
        (220, 30, 30),
    ];
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * f) as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// `v.len() + 1` cell edges around the values `v` (halfway between neighbours).
fn edges(v: &[f64]) -> Vec<f64> {
    let n = v.len();
    if n == 1 {
        let h = v[0].abs().max(1e-30) * 1e-6;
        return vec![v[0] - h, v[0] + h];
    }
    let mut e = Vec::with_capacity(n + 1);
    e.push(v[0] - 0.5 * (v[1] - v[0]));
    e.extend(v.windows(2).map(|w| 0.5 * (w[0] + w[1])));
    e.push(v[n - 1] + 0.5 * (v[n - 1] - v[n - 2]));
    e
}

/// The P–Ṗ plane of reduced χ² with the best trial marked.
fn plane_panel(area: &Area<'_>, r: &FoldResult, dp_ms: &[f64], dpd: &[f64]) -> DrawResult {
    let c = &r.curves;
    let (np, npd) = (dp_ms.len(), dpd.len());
    if np == 0 || npd == 0 || c.ppdot.len() != np * npd {
        return Ok(());
    }
    // Cell edges halfway between neighbouring trials: trial periods are evenly
    // spaced in frequency, not in period.
    let (xe, ye) = (edges(dp_ms), edges(dpd));
    let (x0, x1) = (xe[0], xe[np]);
    let (y0, y1) = (ye[0], ye[npd]);
    let (lo, hi) = range(&c.ppdot);
    let mut chart = ChartBuilder::on(area)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(x0.min(x1)..x0.max(x1), y0.min(y1)..y0.max(y1))?;
    let (xe, ye) = (&xe, &ye);
    chart.draw_series((0..npd).flat_map(|j| {
        (0..np).map(move |i| {
            let v = (c.ppdot[j * np + i] - lo) / (hi - lo);
            Rectangle::new([(xe[i], ye[j]), (xe[i + 1], ye[j + 1])], heat(v).filled())
        })
    }))?;
    chart
        .configure_mesh()
        .disable_mesh()
        .label_style((FONT, 12))
        .x_labels(4)
        .y_labels(5)
        .x_desc(format!("Period \u{2212} {:.9} (ms)", r.summary.period_s * 1e3))
        .y_desc(format!("P-dot \u{2212} ({:.6e}) (s/s)", r.summary.pdot))
        .axis_desc_style((FONT, 14))
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .draw()?;
    let (bx, by) = (dp_ms[c.best_period_index], dpd[c.best_pdot_index]);
    chart.draw_series(std::iter::once(Cross::new((bx, by), 8, BLACK.stroke_width(2))))?;
    Ok(())
}

/// The candidate's numbers.
fn text_block(area: &Area<'_>, r: &FoldResult) -> DrawResult {
    let s = &r.summary;
    let p = &r.pfd;
    let na = |v: f64| if v != 0.0 { format!("{v:.12}") } else { "N/A".into() };
    let mut lines = vec![
        format!("Candidate: {}", r.label),
        format!("Input: {}    Telescope: {}", p.filenm, p.telescope),
        format!("RA (J2000) = {}   DEC (J2000) = {}", p.rastr, p.decstr),
        format!("Epoch_topo = {}   Epoch_bary = {}", na(p.tepoch), na(p.bepoch)),
        format!(
            "T_sample = {:.6e} s   Data folded = {:.0}   Bins = {}",
            p.dt, s.data_folded, p.proflen
        ),
        format!(
            "Data avg = {:.4}   Data stddev = {:.4}",
            s.stats.data_avg,
            s.stats.data_var.sqrt()
        ),
        format!(
            "Profile avg = {:.6e}   Profile stddev = {:.4e}",
            s.stats.prof_avg,
            s.stats.prof_var.sqrt()
        ),
        format!(
            "DOF_eff = {:.2}   \u{3c7}\u{b2}_red = {:.3}   P(Noise) ~ e^{:.1}",
            s.dof_eff, s.redchi2, s.ln_prob_noise
        ),
        format!("Sigma = {:.2} (DOF-corrected {:.2})", s.sigma, s.sigma_dof_corrected),
    ];
    if p.nsub > 1 {
        lines.push(format!("Dispersion measure (DM) = {:.3} pc cm\u{207b}\u{b3}", s.dm));
    }
    let frame = if p.is_barycentric() { "bary" } else { "topo" };
    lines.push(format!(
        "P_{frame} = {:.12} ms \u{b1} {:.2e}",
        s.period_s * 1e3,
        s.period_err_s * 1e3
    ));
    lines.push(format!("P'_{frame} = {:.5e} \u{b1} {:.2e} s/s", s.pdot, s.pdot_err));
    lines.push(format!(
        "P''_{frame} = {:.3e} \u{b1} {:.2e} s/s\u{b2}",
        s.pdotdot, s.pdotdot_err
    ));
    lines.push(format!(
        "Impulsiveness: top {} of {} parts hold {:.0}% of the signal",
        r.impulsiveness.top_parts,
        r.impulsiveness.parts_with_data,
        100.0 * r.impulsiveness.top_fraction
    ));
    let mut y = 10;
    area.draw_text("Search Information", &(FONT, 20).into_font().color(&BLACK), (0, y))?;
    y += 32;
    for l in &lines {
        area.draw_text(l, &(FONT, 16).into_font().color(&BLACK), (0, y))?;
        y += 24;
    }
    if r.impulsive {
        let red = RGBColor(200, 0, 0);
        area.draw_text(
            "IMPULSIVE: signal from a few sub-integrations, not a steady pulsar",
            &(FONT, 16).into_font().color(&red),
            (0, y),
        )?;
    }
    Ok(())
}
