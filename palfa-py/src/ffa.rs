//! `palfa.ffa`: the FFA search of one time series.

use std::path::PathBuf;

use numpy::PyArray1;
use palfa_search::ffa::{FfaConfig, FfaSearcher};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::stages::series_from;
use crate::{config, errors, run};

/// FFA search of one time series for long-period pulsars (`docs/ffa.md`):
/// a dict with the periodogram, `periods_s`, `snr` (best boxcar S/N per
/// trial), `width_bins` and `fold_bins` (numpy arrays), `dm`, `t_obs_s`, and
/// `peaks`, the peaks above `snr_threshold` as dicts `period_s`, `dm`,
/// `snr`, `width_s`, `duty`, `t_obs_s`, strongest first.
///
/// `series` as for `fft`. Unset settings come from `[searching.ffa]` of
/// `config` or the defaults.
#[pyfunction]
#[pyo3(signature = (series, dt_s = None, *, dm = None, min_period_s = None, max_period_s = None,
    bins_min = None, bins_max = None, max_duty = None, rmed_width_s = None, snr_threshold = None,
    max_peaks = None, config = None))]
#[allow(clippy::too_many_arguments)]
pub fn ffa<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyAny>,
    dt_s: Option<f64>,
    dm: Option<f64>,
    min_period_s: Option<f64>,
    max_period_s: Option<f64>,
    bins_min: Option<usize>,
    bins_max: Option<usize>,
    max_duty: Option<f64>,
    rmed_width_s: Option<f64>,
    snr_threshold: Option<f64>,
    max_peaks: Option<usize>,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let ts = series_from(series, dt_s, dm)?;
    let s = config::searching(config)?;
    let d = FfaConfig::from(&s.ffa);
    let cfg = FfaConfig {
        min_period_s: min_period_s.unwrap_or(d.min_period_s),
        max_period_s: max_period_s.unwrap_or(d.max_period_s),
        bins_min: bins_min.unwrap_or(d.bins_min),
        bins_max: bins_max.unwrap_or(d.bins_max),
        max_duty: max_duty.unwrap_or(d.max_duty),
        rmed_width_s: rmed_width_s.unwrap_or(d.rmed_width_s),
        snr_threshold: snr_threshold.unwrap_or(d.snr_threshold),
        max_peaks: max_peaks.unwrap_or(d.max_peaks),
        ..d
    };
    let searcher = FfaSearcher::new(cfg.clone()).map_err(errors::search)?;
    let pg = run::interruptible(py, move || searcher.search(&ts))?.map_err(errors::search)?;
    let peaks = PyList::empty(py);
    for p in pg.peaks(cfg.snr_threshold, cfg.max_peaks) {
        peaks.append(errors::to_py(py, &p)?)?;
    }
    let out = PyDict::new(py);
    out.set_item("dm", pg.dm)?;
    out.set_item("t_obs_s", pg.t_obs_s)?;
    out.set_item("periods_s", PyArray1::from_vec(py, pg.periods_s))?;
    out.set_item("snr", PyArray1::from_vec(py, pg.snr))?;
    out.set_item("width_bins", PyArray1::from_vec(py, pg.width_bins))?;
    out.set_item("fold_bins", PyArray1::from_vec(py, pg.fold_bins))?;
    out.set_item("peaks", peaks)?;
    Ok(out.into_any())
}
