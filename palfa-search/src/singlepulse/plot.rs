//! The single-pulse summary plot, laid out like `single_pulse_search.py`'s:
//! a top row with the number of pulses against S/N (log scale), the number of
//! pulses against DM and S/N against DM; below, DM against time with a circle
//! per event whose size grows with its S/N.

use std::path::Path;

use palfa_core::formats::presto::SinglePulseEvent;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::SearchResult;
use crate::plot::{init_fonts, plot_err, FONT};

/// Image size \[pixels\].
const SIZE: (u32, u32) = (1500, 1050);
/// Height of the histogram row \[pixels\].
const TOP_ROW: u32 = 380;
/// S/N range over which the circles grow from the smallest to the largest size.
const SNR_RANGE_FOR_SIZE: f64 = 12.0;
/// Most bars of the number-against-DM histogram.
const MAX_DM_BARS: usize = 100;

/// Draws the events at or above `plot_snr` \[σ\] into a PNG at `path`, with
/// `title` on top. With no such event the axes are drawn empty, with a note.
///
/// ```
/// use palfa_core::formats::presto::SinglePulseEvent;
/// use palfa_search::singlepulse::plot_singlepulse;
/// # fn main() -> Result<(), palfa_search::SearchError> {
/// let dir = tempfile::tempdir().unwrap();
/// let png = dir.path().join("sp.png");
/// let ev = |dm: f64, sigma: f64| SinglePulseEvent { dm, sigma, time_s: 1.5, sample: 1500, downfact: 3 };
/// plot_singlepulse(&[ev(50.0, 7.0), ev(51.0, 9.0), ev(52.0, 6.5)], 6.0, &png, "test beam")?;
/// assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
/// # Ok(()) }
/// ```
pub fn plot_singlepulse(events: &[SinglePulseEvent], plot_snr: f64, path: &Path, title: &str) -> SearchResult<()> {
    init_fonts();
    let err = plot_err(path);
    let mut shown: Vec<&SinglePulseEvent> = events
        .iter()
        .filter(|e| e.sigma >= plot_snr && e.sigma.is_finite() && e.dm.is_finite() && e.time_s.is_finite())
        .collect();
    // Faint first, so that bright events are drawn on top.
    shown.sort_by(|a, b| a.sigma.total_cmp(&b.sigma));
    let r = Ranges::of(&shown, plot_snr);

    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let (head, area) = root.split_vertically(64);
    let centre_top = Pos::new(HPos::Center, VPos::Top);
    head.draw_text(
        &format!("Single pulses: {title}"),
        &(FONT, 28).into_font().color(&BLACK).pos(centre_top),
        (SIZE.0 as i32 / 2, 6),
    )
    .map_err(&err)?;
    let subtitle = format!(
        "{} of {} events at or above {plot_snr:.1} σ; circle size grows with S/N",
        shown.len(),
        events.len()
    );
    head.draw_text(
        &subtitle,
        &(FONT, 17).into_font().color(&BLACK).pos(centre_top),
        (SIZE.0 as i32 / 2, 40),
    )
    .map_err(&err)?;
    let (top, bottom) = area.split_vertically(TOP_ROW);
    let panels = top.split_evenly((1, 3));

    snr_histogram(&panels[0], &shown, &r).map_err(plot_err(path))?;
    dm_histogram(&panels[1], &shown, &r).map_err(plot_err(path))?;
    snr_vs_dm(&panels[2], &shown, &r).map_err(plot_err(path))?;
    dm_vs_time(&bottom, &shown, &r, plot_snr).map_err(plot_err(path))?;
    root.present().map_err(&err)?;
    Ok(())
}

/// Axis ranges shared by the panels.
struct Ranges {
    snr: (f64, f64),
    dm: (f64, f64),
    time: (f64, f64),
}

impl Ranges {
    fn of(ev: &[&SinglePulseEvent], plot_snr: f64) -> Self {
        let max_of = |f: fn(&SinglePulseEvent) -> f64| ev.iter().map(|e| f(e)).fold(f64::NEG_INFINITY, f64::max);
        let min_of = |f: fn(&SinglePulseEvent) -> f64| ev.iter().map(|e| f(e)).fold(f64::INFINITY, f64::min);
        if ev.is_empty() {
            return Self {
                snr: (plot_snr, plot_snr + 3.0),
                dm: (0.0, 1.0),
                time: (0.0, 1.0),
            };
        }
        let snr_hi = max_of(|e| e.sigma).floor() + 2.0;
        let (dm_lo, dm_hi) = (min_of(|e| e.dm), max_of(|e| e.dm));
        let dm_pad = (0.05 * (dm_hi - dm_lo)).max(0.5);
        let t_hi = max_of(|e| e.time_s);
        Self {
            snr: (plot_snr, snr_hi.max(plot_snr + 3.0)),
            dm: (
                (dm_lo - dm_pad).max(if dm_lo >= 0.0 { -0.5 } else { f64::MIN }),
                dm_hi + dm_pad,
            ),
            time: (0.0, (t_hi * 1.02).max(1e-3)),
        }
    }
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Tick labels with as many decimals as the axis span needs.
fn ticks(span: f64) -> impl Fn(&f64) -> String {
    let decimals = if span >= 20.0 {
        0
    } else if span >= 2.0 {
        1
    } else {
        2
    };
    move |v| format!("{v:.decimals$}")
}

/// Whole-number tick labels (counts).
fn whole(v: &f64) -> String {
    format!("{v:.0}")
}
type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn bar_style() -> ShapeStyle {
    RGBColor(40, 90, 170).mix(0.75).filled()
}

fn snr_histogram(area: &Area<'_>, ev: &[&SinglePulseEvent], r: &Ranges) -> DrawResult {
    // Bars one σ wide from the plot threshold, as PRESTO's.
    let nbins = ((r.snr.1 - r.snr.0).ceil() as usize).max(1);
    let mut counts = vec![0usize; nbins];
    for e in ev {
        let b = ((e.sigma - r.snr.0).floor() as usize).min(nbins - 1);
        counts[b] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 2.0;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(r.snr.0..r.snr.1, (0.5f64..top).log_scale())?;
    let xfmt = ticks(r.snr.1 - r.snr.0);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&xfmt)
        .y_label_formatter(&whole)
        .y_labels(6)
        .x_desc("Signal-to-noise (σ)")
        .y_desc("Number of pulses")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()?;
    chart.draw_series(counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(b, &c)| {
        let x0 = r.snr.0 + b as f64;
        Rectangle::new([(x0, 0.5), ((x0 + 1.0).min(r.snr.1), c as f64)], bar_style())
    }))?;
    Ok(())
}

fn dm_histogram(area: &Area<'_>, ev: &[&SinglePulseEvent], r: &Ranges) -> DrawResult {
    let mut dms: Vec<f64> = ev.iter().map(|e| e.dm).collect();
    dms.sort_by(f64::total_cmp);
    dms.dedup();
    let span = r.dm.1 - r.dm.0;
    // One bar per DM trial while they are few, else equal bins.
    let (edges, width): (Vec<f64>, f64) = if !dms.is_empty() && dms.len() <= MAX_DM_BARS {
        let gap = dms.windows(2).map(|w| w[1] - w[0]).fold(span / 10.0, f64::min);
        (dms.iter().map(|d| d - 0.4 * gap).collect(), 0.8 * gap)
    } else {
        let w = span / MAX_DM_BARS as f64;
        ((0..MAX_DM_BARS).map(|b| r.dm.0 + b as f64 * w).collect(), w)
    };
    let mut counts = vec![0usize; edges.len()];
    for e in ev {
        let b = edges.partition_point(|&x| x <= e.dm).saturating_sub(1);
        counts[b] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64 * 1.1;
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(r.dm.0..r.dm.1, 0f64..top)?;
    let xfmt = ticks(span);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&xfmt)
        .y_label_formatter(&whole)
        .x_labels(6)
        .y_labels(6)
        .x_desc("DM (pc cm⁻³)")
        .y_desc("Number of pulses")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()?;
    chart.draw_series(
        edges
            .iter()
            .zip(&counts)
            .filter(|(_, &c)| c > 0)
            .map(|(&x0, &c)| Rectangle::new([(x0, 0.0), (x0 + width, c as f64)], bar_style())),
    )?;
    Ok(())
}

fn snr_vs_dm(area: &Area<'_>, ev: &[&SinglePulseEvent], r: &Ranges) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(r.dm.0..r.dm.1, r.snr.0..r.snr.1)?;
    let xfmt = ticks(r.dm.1 - r.dm.0);
    let yfmt = ticks(r.snr.1 - r.snr.0);
    chart
        .configure_mesh()
        .disable_mesh()
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .x_labels(6)
        .x_desc("DM (pc cm⁻³)")
        .y_desc("Signal-to-noise (σ)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 18))
        .draw()?;
    chart.draw_series(ev.iter().map(|e| Circle::new((e.dm, e.sigma), 2, BLACK.filled())))?;
    Ok(())
}

fn dm_vs_time(area: &Area<'_>, ev: &[&SinglePulseEvent], r: &Ranges, plot_snr: f64) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(r.time.0..r.time.1, r.dm.0..r.dm.1)?;
    let xfmt = ticks(r.time.1 - r.time.0);
    let yfmt = ticks(r.dm.1 - r.dm.0);
    chart
        .configure_mesh()
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(BLACK.mix(0.08))
        .x_desc("Time (s)")
        .y_desc("DM (pc cm⁻³)")
        .label_style((FONT, 16))
        .axis_desc_style((FONT, 20))
        .draw()?;
    if ev.is_empty() {
        let note = format!("no events at or above {plot_snr:.1} σ");
        let x = r.time.0 + 0.4 * (r.time.1 - r.time.0);
        let y = 0.5 * (r.dm.0 + r.dm.1);
        chart.draw_series(std::iter::once(Text::new(note, (x, y), (FONT, 24))))?;
        return Ok(());
    }
    chart.draw_series(ev.iter().map(|e| {
        let grow = ((e.sigma - plot_snr) / SNR_RANGE_FOR_SIZE).clamp(0.0, 1.0);
        let radius = 2.5 + 11.0 * grow;
        Circle::new(
            (e.time_s, e.dm),
            radius,
            BLACK.stroke_width(if grow > 0.5 { 2 } else { 1 }),
        )
    }))?;
    Ok(())
}
