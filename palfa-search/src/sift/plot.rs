//! The two sifting plots, both frequency (log) against DM with marker area
//! growing with sigma, as PRESTO sifting's `plot_rejects` and `plot_summary`
//! draw them:
//!
//! * rejects: every rejected candidate coloured by reason, the sifted
//!   candidates as red crosses and their DM hits as black dots;
//! * summary: the sifted candidates and their hits coloured by the number of
//!   harmonics summed, the rejected ones in grey, the ten best numbered.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::{combinators::LogCoord, Shift};
use plotters::prelude::*;

use super::reject::RejectKind;
use super::{SiftResult, SiftedCandidate};
use crate::error::SearchResult;
use crate::plot::{init_fonts, plot_err, FONT};

/// Image size \[pixels\].
const SIZE: (u32, u32) = (1100, 850);
/// Height of the legend band under the chart \[pixels\].
const LEGEND_H: u32 = 150;
/// Most points drawn per category (the highest-sigma ones); the legend gives the full count.
const MAX_POINTS: usize = 200_000;

type Chart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

/// Marker radius \[pixels\] for a sigma: PRESTO's marker area 8 + σ^1.7 pt² at 100 dpi.
fn radius(sigma: f64) -> i32 {
    let area = 8.0 + sigma.max(0.0).powf(1.7);
    (0.5 * area.sqrt() * 100.0 / 72.0).clamp(1.5, 40.0).round() as i32
}

fn usable(f: f64, dm: f64) -> bool {
    f.is_finite() && f > 0.0 && dm.is_finite()
}

/// Axis ranges covering every plotted point (frequency \[Hz\], DM).
fn ranges(result: &SiftResult) -> ((f64, f64), (f64, f64)) {
    let pts = result
        .rejected
        .iter()
        .map(|r| (r.cand.freq_hz(), r.cand.id.dm))
        .chain(result.candidates.iter().map(|c| (c.freq_hz(), c.dm())))
        .chain(
            result
                .candidates
                .iter()
                .flat_map(|c| c.hits.iter().map(move |h| (c.freq_hz(), h.dm))),
        )
        .filter(|&(f, dm)| usable(f, dm));
    let (mut flo, mut fhi, mut dhi) = (f64::INFINITY, 0.0f64, 0.0f64);
    for (f, dm) in pts {
        flo = flo.min(f);
        fhi = fhi.max(f);
        dhi = dhi.max(dm);
    }
    if fhi <= 0.0 {
        return ((0.05, 3000.0), (-10.0, 100.0));
    }
    let flo = (flo / 1.5).clamp(1e-4, 1e5);
    let fhi = (fhi * 1.5).clamp(flo * 10.0, 1e6);
    let dhi = (dhi * 1.05).max(10.0);
    ((flo, fhi), (-0.03 * dhi - 1.0, dhi))
}

fn chart<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    result: &SiftResult,
    path: &Path,
) -> SearchResult<Chart<'a, 'b>> {
    let ((flo, fhi), (dlo, dhi)) = ranges(result);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 24))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d((flo..fhi).log_scale(), dlo..dhi)
        .map_err(plot_err(path))?;
    chart
        .configure_mesh()
        .x_desc("Frequency (Hz)")
        .y_desc("DM (pc cm^-3)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err(path))?;
    Ok(chart)
}

/// Draws circles at (frequency, DM) sized by sigma.
fn circles(chart: &mut Chart<'_, '_>, pts: &[(f64, f64, f64)], style: ShapeStyle, path: &Path) -> SearchResult<()> {
    chart
        .draw_series(
            pts.iter()
                .filter(|p| usable(p.0, p.1))
                .map(|&(f, dm, s)| Circle::new((f, dm), radius(s), style)),
        )
        .map_err(plot_err(path))?;
    Ok(())
}

/// Small dots at the hits of `cands`.
fn hit_dots<'c>(
    chart: &mut Chart<'_, '_>,
    cands: impl Iterator<Item = &'c SiftedCandidate>,
    style: impl Fn(&SiftedCandidate) -> ShapeStyle,
    path: &Path,
) -> SearchResult<()> {
    let mut dots = Vec::new();
    for c in cands {
        let st = style(c);
        dots.extend(c.hits.iter().map(|h| (c.freq_hz(), h.dm, st)));
    }
    chart
        .draw_series(
            dots.into_iter()
                .filter(|p| usable(p.0, p.1))
                .map(|(f, dm, st)| Circle::new((f, dm), 2, st)),
        )
        .map_err(plot_err(path))?;
    Ok(())
}

/// A legend band: entries of (colour, filled circle?, label), four per row.
fn legend(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    entries: &[(RGBColor, bool, String)],
    path: &Path,
) -> SearchResult<()> {
    let (w, _) = area.dim_in_pixel();
    let col_w = (w as i32 - 40) / 4;
    let style = (FONT, 15).into_font().color(&BLACK);
    for (i, (colour, filled, label)) in entries.iter().enumerate() {
        let x = 30 + (i as i32 % 4) * col_w;
        let y = 18 + (i as i32 / 4) * 26;
        let marker = if *filled {
            colour.mix(0.8).filled()
        } else {
            colour.stroke_width(2)
        };
        if *filled {
            area.draw(&Circle::new((x, y), 6, marker)).map_err(plot_err(path))?;
        } else {
            area.draw(&Cross::new((x, y), 6, marker)).map_err(plot_err(path))?;
        }
        area.draw_text(label, &style, (x + 14, y - 8)).map_err(plot_err(path))?;
    }
    Ok(())
}

fn colour_of(kind: RejectKind) -> RGBColor {
    match kind {
        RejectKind::Invalid => RGBColor(110, 110, 110),
        RejectKind::ShortPeriod => RGBColor(0, 128, 0),
        RejectKind::LongPeriod => RGBColor(128, 0, 0),
        RejectKind::Threshold => RGBColor(130, 210, 130),
        RejectKind::HarmPowCutoff => RGBColor(0, 190, 190),
        RejectKind::RogueHarmonic => RGBColor(0, 0, 255),
        RejectKind::Harmonic => RGBColor(255, 0, 255),
        RejectKind::TooFewHits => RGBColor(128, 0, 128),
        RejectKind::LowDm => RGBColor(255, 140, 0),
        RejectKind::DmGap => RGBColor(160, 82, 45),
    }
}

/// The rejects plot: rejected candidates by reason, sifted ones as red crosses,
/// DM hits as black dots.
pub fn plot_rejects(result: &SiftResult, path: &Path, title: &str) -> SearchResult<()> {
    init_fonts();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err(path))?;
    let (top, bottom) = root.split_vertically(SIZE.1 - LEGEND_H);
    let mut ch = chart(&top, title, result, path)?;
    let mut entries = Vec::new();
    // Threshold rejects are the most numerous: draw them first, underneath.
    let mut kinds = RejectKind::ALL.to_vec();
    kinds.sort_by_key(|&k| k != RejectKind::Threshold);
    for kind in kinds {
        let mut pts: Vec<(f64, f64, f64)> = result
            .rejected
            .iter()
            .filter(|r| r.reason.kind() == kind)
            .map(|r| (r.cand.freq_hz(), r.cand.id.dm, r.cand.stats.sigma))
            .collect();
        let total = pts.len();
        if total > MAX_POINTS {
            pts.sort_by(|a, b| b.2.total_cmp(&a.2));
            pts.truncate(MAX_POINTS);
        }
        circles(&mut ch, &pts, colour_of(kind).mix(0.6).filled(), path)?;
        let shown = if total > MAX_POINTS {
            format!(" ({MAX_POINTS} best shown)")
        } else {
            String::new()
        };
        entries.push((colour_of(kind), true, format!("{} ({total}){shown}", kind.label())));
    }
    hit_dots(&mut ch, result.candidates.iter(), |_| BLACK.mix(0.8).filled(), path)?;
    ch.draw_series(
        result
            .candidates
            .iter()
            .filter(|c| usable(c.freq_hz(), c.dm()))
            .map(|c| Cross::new((c.freq_hz(), c.dm()), radius(c.sigma()), RED.stroke_width(2))),
    )
    .map_err(plot_err(path))?;
    entries.push((RED, false, format!("Sifted cands ({})", result.num_produced)));
    let nhits: usize = result.candidates.iter().map(|c| c.hits.len()).sum();
    entries.push((BLACK, true, format!("DM hits of sifted ({nhits})")));
    legend(&bottom, &entries, path)?;
    root.present().map_err(plot_err(path))?;
    Ok(())
}

/// Colour for a number of summed harmonics (1, 2, 4, 8, 16, 32).
fn numharm_colour(numharm: usize) -> RGBColor {
    const C: [RGBColor; 6] = [
        RGBColor(213, 62, 79),
        RGBColor(244, 109, 67),
        RGBColor(200, 170, 40),
        RGBColor(102, 194, 165),
        RGBColor(50, 136, 189),
        RGBColor(94, 79, 162),
    ];
    let i = (numharm.max(1) as f64).log2().round() as usize;
    C[i.min(C.len() - 1)]
}

/// The summary plot: sifted candidates and their hits coloured by harmonics
/// summed, rejected ones in grey, the ten best numbered by rank.
pub fn plot_summary(result: &SiftResult, path: &Path, title: &str) -> SearchResult<()> {
    init_fonts();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err(path))?;
    let (top, bottom) = root.split_vertically(SIZE.1 - LEGEND_H);
    let mut ch = chart(&top, title, result, path)?;
    let mut grey: Vec<(f64, f64, f64)> = result
        .rejected
        .iter()
        .map(|r| (r.cand.freq_hz(), r.cand.id.dm, r.cand.stats.sigma))
        .collect();
    if grey.len() > MAX_POINTS {
        grey.sort_by(|a, b| b.2.total_cmp(&a.2));
        grey.truncate(MAX_POINTS);
    }
    circles(&mut ch, &grey, RGBColor(170, 170, 170).mix(0.35).filled(), path)?;
    hit_dots(
        &mut ch,
        result.candidates.iter(),
        |c| numharm_colour(c.best.numharm).mix(0.9).filled(),
        path,
    )?;
    // Weakest first, so the strongest are on top.
    for c in result.candidates.iter().rev() {
        let style = numharm_colour(c.best.numharm).mix(0.75).filled();
        circles(&mut ch, &[(c.freq_hz(), c.dm(), c.sigma())], style, path)?;
    }
    let label_style = (FONT, 16).into_font().color(&BLACK);
    ch.draw_series(
        result
            .candidates
            .iter()
            .take(10)
            .enumerate()
            .filter(|(_, c)| usable(c.freq_hz(), c.dm()))
            .map(|(i, c)| {
                let offset = (radius(c.sigma()) + 2, -radius(c.sigma()) - 14);
                EmptyElement::at((c.freq_hz(), c.dm())) + Text::new(format!("{}", i + 1), offset, label_style.clone())
            }),
    )
    .map_err(plot_err(path))?;

    let mut entries: Vec<(RGBColor, bool, String)> = [1usize, 2, 4, 8, 16, 32]
        .iter()
        .map(|&n| {
            let count = result.candidates.iter().filter(|c| c.best.numharm == n).count();
            let noun = if n == 1 { "harmonic" } else { "harmonics" };
            (numharm_colour(n), true, format!("{n} {noun} ({count} sifted)"))
        })
        .collect();
    entries.push((
        RGBColor(170, 170, 170),
        true,
        format!("Rejected ({})", result.rejected.len()),
    ));
    entries.push((
        BLACK,
        false,
        format!(
            "{} sifted, {} with sigma >= {}",
            result.num_produced, result.num_above_threshold, result.fold_sigma
        ),
    ));
    legend(&bottom, &entries, path)?;
    let best_style = (FONT, 15).into_font().color(&BLACK);
    for (i, c) in result.candidates.iter().take(3).enumerate() {
        let text = format!(
            "{}: P = {:.6} ms, DM = {:.2}, sigma = {:.1}, {} hits, DM {:.2}-{:.2}",
            i + 1,
            c.period_s() * 1e3,
            c.dm(),
            c.sigma(),
            c.numhits(),
            c.dm_range().0,
            c.dm_range().1
        );
        bottom
            .draw_text(&text, &best_style, (30, 74 + 22 * i as i32))
            .map_err(plot_err(path))?;
    }
    root.present().map_err(plot_err(path))?;
    Ok(())
}
