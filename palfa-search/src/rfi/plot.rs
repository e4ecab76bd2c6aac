//! [`plot_rfi`]: a one-page PNG summary of an rfifind run.
//!
//! Left: the channel × time mask, each cell coloured by why it is masked, with
//! the clipped spectra (impulsive RFI, all channels) drawn over it as orange
//! lines; below it, the fraction of channels masked in each interval, with the
//! intervals holding clipped spectra marked. Right: per-channel median mean,
//! standard deviation and peak Fourier power, zapped channels in red. The title
//! gives the masked and clipped fractions.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{bits, RfiResult};
use crate::error::SearchResult;
use crate::plot::{init_fonts, plot_err, FONT};

const WIDTH: u32 = 1500;
const HEIGHT: u32 = 1000;

const GOOD_COLOR: RGBColor = RGBColor(235, 235, 235);
const ZAP_COLOR: RGBColor = RGBColor(90, 90, 90);
const CLIP_COLOR: RGBColor = RGBColor(255, 140, 0);
const POW_COLOR: RGBColor = RGBColor(220, 30, 30);
const AVG_COLOR: RGBColor = RGBColor(40, 90, 230);
const STD_COLOR: RGBColor = RGBColor(20, 160, 60);

/// The colour of a cell: the most specific reason first.
fn cell_color(flag: u8) -> RGBColor {
    if flag & bits::BAD_POW != 0 {
        POW_COLOR
    } else if flag & bits::BAD_AVG != 0 {
        AVG_COLOR
    } else if flag & bits::BAD_STD != 0 {
        STD_COLOR
    } else if flag & bits::USERZAP != 0 {
        ZAP_COLOR
    } else {
        GOOD_COLOR
    }
}

/// Draws the summary of `result` as a PNG at `path`.
///
/// # Errors
/// [`SearchError::Plot`](crate::error::SearchError::Plot) if drawing or
/// writing the image fails.
pub fn plot_rfi(result: &RfiResult, path: impl AsRef<Path>) -> SearchResult<()> {
    init_fonts();
    let path = path.as_ref();
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_err(path))?;
    let p = &result.params;
    let title = format!(
        "{}: rfifind mask, {:.3} % of cells masked, {:.4} % of spectra clipped",
        result.header.basename(),
        100.0 * result.masked_fraction,
        100.0 * result.clipped_fraction
    );
    let root = root.titled(&title, (FONT, 26)).map_err(plot_err(path))?;
    let subtitle = format!(
        "{} channels x {} intervals of {:.3} s ({} spectra)   timesig {}  freqsig {}  chanfrac {}  intfrac {}  clip {} \
         (level {:.1})   zapped: {} channels, {} intervals   clipped: {} stretches in {} intervals",
        result.stats.nchan,
        result.numint(),
        result.mask.dtint,
        result.ptsperint,
        p.timesig,
        p.freqsig,
        p.chanfrac,
        p.intfrac,
        p.clip_sigma,
        result.clip_level_sigma,
        result.mask.zap_chans.len(),
        result.mask.zap_ints.len(),
        result.clipped_spectra.len(),
        result.clipped.iter().filter(|&&n| n > 0).count()
    );
    root.draw(&Text::new(subtitle, (20, 0), (FONT, 14).into_font()))
        .map_err(plot_err(path))?;
    let (_, body) = root.split_vertically(22);
    let (left, right) = body.split_horizontally(900);
    let (mask_area, bottom) = left.split_vertically(690);
    let (interval_area, legend_area) = bottom.split_horizontally(700);
    draw_mask(result, &mask_area).map_err(plot_err(path))?;
    draw_intervals(result, &interval_area).map_err(plot_err(path))?;
    draw_legend(&legend_area).map_err(plot_err(path))?;
    let panels = right.split_evenly((1, 3));
    let c = &result.channels;
    let pick = |f: fn(&super::ChannelSummary) -> f32| c.iter().map(f).collect::<Vec<f32>>();
    draw_channel_panel(result, &panels[0], "median mean", &pick(|s| s.mean), None).map_err(plot_err(path))?;
    draw_channel_panel(result, &panels[1], "median std", &pick(|s| s.std), None).map_err(plot_err(path))?;
    let pow_reject = result.thresholds.pow_reject as f32;
    draw_channel_panel(
        result,
        &panels[2],
        "median peak power",
        &pick(|s| s.max_power),
        Some(pow_reject),
    )
    .map_err(plot_err(path))?;
    root.present().map_err(plot_err(path))?;
    Ok(())
}

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw_mask(r: &RfiResult, area: &Area<'_>) -> DrawResult {
    let nchan = r.stats.nchan;
    let tmax = (r.nsamples as f64 * r.header.tsamp_s).max(1e-9);
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..tmax, 0f64..nchan as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("time (s)")
        .y_desc(format!(
            "channel (0 = {:.1} MHz, {} = {:.1} MHz)",
            r.header.lofreq_mhz,
            nchan.saturating_sub(1),
            r.header.hifreq_mhz()
        ))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    let dt = r.mask.dtint;
    // One rectangle per run of equally coloured channels in an interval.
    let mut rects = Vec::new();
    for i in 0..r.numint() {
        let (x0, x1) = (i as f64 * dt, ((i + 1) as f64 * dt).min(tmax));
        let mut c0 = 0;
        while c0 < nchan {
            let color = cell_color(r.flag(i, c0));
            let mut c1 = c0 + 1;
            while c1 < nchan && cell_color(r.flag(i, c1)) == color {
                c1 += 1;
            }
            rects.push(Rectangle::new([(x0, c0 as f64), (x1, c1 as f64)], color.filled()));
            c0 = c1;
        }
    }
    chart.draw_series(rects)?;
    // Clipped spectra: at least a pixel wide, however short.
    let tsamp = r.header.tsamp_s;
    let px_width = area.dim_in_pixel().0 as f64;
    chart.draw_series(r.clipped_spectra.iter().map(|&(a, b)| {
        let t = 0.5 * (a + b) as f64 * tsamp;
        let width = (((b - a) as f64 * tsamp / tmax * px_width).round() as u32).max(1);
        PathElement::new(vec![(t, 0.0), (t, nchan as f64)], CLIP_COLOR.stroke_width(width))
    }))?;
    Ok(())
}

fn draw_intervals(r: &RfiResult, area: &Area<'_>) -> DrawResult {
    let nchan = r.stats.nchan.max(1);
    let dt = r.mask.dtint;
    let tmax = (r.nsamples as f64 * r.header.tsamp_s).max(1e-9);
    let frac: Vec<(f64, f64)> = (0..r.numint())
        .map(|i| {
            let masked = (0..r.stats.nchan).filter(|&c| r.flag(i, c) & bits::MASKED != 0).count();
            ((i as f64 + 0.5) * dt, 100.0 * masked as f64 / nchan as f64)
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..tmax, 0f64..105f64)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc("channels masked (%)")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    chart.draw_series(LineSeries::new(frac.iter().copied(), BLACK.stroke_width(2)))?;
    chart.draw_series(
        (0..r.numint())
            .filter(|&i| r.clipped[i] > 0)
            .map(|i| Circle::new(((i as f64 + 0.5) * dt, 100.0), 5, CLIP_COLOR.filled())),
    )?;
    Ok(())
}

fn draw_legend(area: &Area<'_>) -> DrawResult {
    let entries = [
        (GOOD_COLOR, "good"),
        (CLIP_COLOR, "clipped spectra"),
        (POW_COLOR, "peak power"),
        (AVG_COLOR, "mean"),
        (STD_COLOR, "std"),
        (ZAP_COLOR, "zapped channel/interval"),
    ];
    area.draw(&Text::new("cell masked by:", (20, 20), (FONT, 16).into_font()))?;
    for (k, (color, label)) in entries.iter().enumerate() {
        let y = 50 + 32 * k as i32;
        area.draw(&Rectangle::new([(20, y), (44, y + 20)], color.filled()))?;
        area.draw(&Rectangle::new([(20, y), (44, y + 20)], BLACK.stroke_width(1)))?;
        area.draw(&Text::new(*label, (54, y + 2), (FONT, 15).into_font()))?;
    }
    Ok(())
}

/// One per-channel panel: `values` against channel, zapped channels in red,
/// optionally a threshold line.
fn draw_channel_panel(
    r: &RfiResult,
    area: &Area<'_>,
    label: &str,
    values: &[f32],
    threshold: Option<f32>,
) -> DrawResult {
    let nchan = r.stats.nchan;
    // The range of the unzapped channels, so that a few wild channels do not
    // flatten the rest; zapped ones beyond it are drawn at its edges.
    let finite = |v: &f32| v.is_finite();
    let kept: Vec<f32> = values
        .iter()
        .zip(&r.channels)
        .filter(|(v, s)| finite(v) && !s.zapped)
        .map(|(v, _)| *v)
        .collect();
    let base: Vec<f32> = if kept.is_empty() {
        values.iter().copied().filter(finite).collect()
    } else {
        kept
    };
    let mut lo = base.iter().copied().fold(f32::INFINITY, f32::min);
    let mut hi = base.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if let Some(t) = threshold {
        hi = hi.max(t);
        lo = lo.min(t);
    }
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-6 * hi.abs().max(1.0));
    let (lo, hi) = ((lo - pad) as f64, (hi + pad) as f64);
    // Enough decimals to tell three ticks apart.
    let decimals = (-((hi - lo) / 3.0).log10()).ceil().clamp(0.0, 6.0) as usize;
    let mut chart = ChartBuilder::on(area)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(45)
        .build_cartesian_2d(lo..hi, 0f64..nchan as f64)?;
    chart
        .configure_mesh()
        .x_labels(3)
        .x_label_formatter(&|v| format!("{v:.decimals$}"))
        .x_desc(label)
        .y_desc("channel")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 14))
        .draw()?;
    let clamp = |v: f32| (v as f64).clamp(lo, hi);
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(c, &v)| (clamp(v), c as f64 + 0.5))
        .collect();
    chart.draw_series(LineSeries::new(points, BLUE.stroke_width(1)))?;
    chart.draw_series(
        values
            .iter()
            .zip(&r.channels)
            .enumerate()
            .filter(|(_, (v, s))| s.zapped && v.is_finite())
            .map(|(c, (&v, _))| Circle::new((clamp(v), c as f64 + 0.5), 3, POW_COLOR.filled())),
    )?;
    if let Some(t) = threshold {
        chart.draw_series(LineSeries::new(
            [(t as f64, 0.0), (t as f64, nchan as f64)],
            BLACK.stroke_width(1),
        ))?;
    }
    Ok(())
}
