//! The periodogram plot: S/N against trial period (log scale), the peaks
//! above the threshold marked and the strongest labelled.

use std::path::Path;

use plotters::prelude::*;

use super::periodogram::{FfaPeak, Periodogram};
use crate::error::SearchResult;
use crate::plot::{init_fonts, plot_err, FONT};

/// Image size \[pixels\].
const SIZE: (u32, u32) = (1200, 600);
/// Peaks labelled with their period.
const LABELLED: usize = 5;

/// Draws `pgram` into a PNG at `path`, with `peaks` marked and the S/N
/// `threshold` as a dashed line. `title` heads the plot.
///
/// # Errors
/// [`crate::SearchError::Plot`] if drawing or writing fails.
pub fn plot_periodogram(
    pgram: &Periodogram,
    peaks: &[FfaPeak],
    threshold: f64,
    title: &str,
    path: impl AsRef<Path>,
) -> SearchResult<()> {
    init_fonts();
    let path = path.as_ref();
    let err = plot_err(path);
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(&err)?;
    let (plo, phi) = match (pgram.periods_s.first(), pgram.periods_s.last()) {
        (Some(&a), Some(&b)) if a > 0.0 && b > a => (a, b),
        _ => (0.1, 10.0),
    };
    let smax = pgram
        .snr
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(threshold as f32, f32::max) as f64;
    let smin = pgram
        .snr
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(0.0f32, f32::min) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((plo..phi).log_scale(), smin..smax * 1.1 + 0.5)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc("Trial period (s)")
        .y_desc("S/N (best boxcar)")
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .x_label_formatter(&|p| format!("{p:.3}"))
        .draw()
        .map_err(&err)?;
    let line: Vec<(f64, f64)> = pgram
        .periods_s
        .iter()
        .zip(&pgram.snr)
        .filter(|(p, s)| **p > 0.0 && s.is_finite())
        .map(|(&p, &s)| (p, f64::from(s)))
        .collect();
    chart
        .draw_series(LineSeries::new(line, BLUE.mix(0.7).stroke_width(1)))
        .map_err(&err)?;
    chart
        .draw_series(DashedLineSeries::new(
            [(plo, threshold), (phi, threshold)],
            6,
            4,
            RED.mix(0.6).stroke_width(1),
        ))
        .map_err(&err)?;
    chart
        .draw_series(
            peaks
                .iter()
                .map(|pk| Circle::new((pk.period_s, pk.snr), 5, RED.stroke_width(2))),
        )
        .map_err(&err)?;
    chart
        .draw_series(peaks.iter().take(LABELLED).map(|pk| {
            Text::new(
                format!("{:.6} s, S/N {:.1}", pk.period_s, pk.snr),
                (pk.period_s, pk.snr),
                (FONT, 14).into_font().color(&BLACK),
            )
        }))
        .map_err(&err)?;
    root.present().map_err(&err)?;
    Ok(())
}
