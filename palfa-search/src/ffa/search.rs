//! [`FfaSearcher`]: the whole FFA search of one series.

use rayon::prelude::*;

use super::periodogram::Periodogram;
use super::plan::{plan, FfaStep};
use super::prepare::{deredden_normalise, downsample_many};
use super::snr::{boxcar_widths, BoxcarSnr};
use super::transform::{ffa_transform_with, trial_period_bins};
use super::FfaConfig;
use crate::error::{SearchError, SearchResult};
use crate::series::TimeSeries;

/// Searches series with the FFA; built once per configuration.
///
/// ```
/// use palfa_search::ffa::{FfaConfig, FfaSearcher};
/// use palfa_search::TimeSeries;
/// use palfa_core::formats::presto::InfFile;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use rand::{Rng, SeedableRng};
/// // 100 s at 5 ms of unit-variance noise with a 2-s pulsar of 2 % duty
/// // cycle: 8 samples of 1.5 sigma every 400 (S/N 1.5·√8·√50 = 30).
/// let dt = 0.005;
/// let n = 20_000;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(1);
/// let data: Vec<f32> = (0..n)
///     .map(|i| (rng.gen::<f32>() - 0.5) * 3.46 + if i % 400 < 8 { 1.5 } else { 0.0 })
///     .collect();
/// let series = TimeSeries { info: InfFile { n: n as u64, dt, dm: 20.0, ..InfFile::default() }, data };
/// let cfg = FfaConfig { min_period_s: 1.0, max_period_s: 5.0, ..FfaConfig::default() };
/// let pgram = FfaSearcher::new(cfg)?.search(&series)?;
/// let best = pgram.peaks(7.0, 1)[0];
/// assert!((best.period_s - 2.0).abs() < 1e-3);
/// assert!(best.snr > 25.0 && best.duty < 0.03);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FfaSearcher {
    cfg: FfaConfig,
}

impl FfaSearcher {
    /// Checks the configuration.
    ///
    /// # Errors
    /// [`SearchError::Params`] if it cannot work ([`FfaConfig::validate`]).
    pub fn new(cfg: FfaConfig) -> SearchResult<Self> {
        cfg.validate()?;
        Ok(Self { cfg })
    }

    /// The configuration.
    pub fn config(&self) -> &FfaConfig {
        &self.cfg
    }

    /// The periodogram of `series`: de-reddened and normalised
    /// ([`deredden_normalise`]), then, for each step of the [`plan`],
    /// downsampled and folded by the FFA at every trial period, each profile's
    /// S/N measured with the boxcars. Empty if the series is too short for the
    /// period range.
    ///
    /// # Errors
    /// [`SearchError::NoData`] if the series has no samples or a non-positive
    /// sample time.
    pub fn search(&self, series: &TimeSeries) -> SearchResult<Periodogram> {
        self.search_keeping(series, None)
    }

    /// As [`search`](Self::search), keeping only the trials of S/N at least
    /// `min_snr` (finite): what [`Periodogram::peaks`] with that threshold
    /// looks at, so its peaks are the same, without holding every trial (16
    /// bytes each).
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub fn search_above(&self, series: &TimeSeries, min_snr: f64) -> SearchResult<Periodogram> {
        self.search_keeping(series, Some(min_snr))
    }

    fn search_keeping(&self, series: &TimeSeries, min_snr: Option<f64>) -> SearchResult<Periodogram> {
        let dt = series.info.dt;
        if series.data.is_empty() || !(dt > 0.0 && dt.is_finite()) {
            return Err(SearchError::NoData(format!(
                "series {} has {} samples of {dt} s",
                series.info.basename,
                series.data.len()
            )));
        }
        let mut data = series.data.clone();
        let width = (self.cfg.rmed_width_s / dt).round().max(1.0) as usize;
        deredden_normalise(&mut data, width);
        let t_obs = data.len() as f64 * dt;
        let mut pgram = Periodogram {
            dm: series.info.dm,
            t_obs_s: t_obs,
            ..Periodogram::default()
        };
        let steps = plan(data.len(), dt, &self.cfg);
        let factors: Vec<f64> = steps.iter().map(|s| s.factor).collect();
        let mut downsampled = Vec::new();
        downsample_many(&data, &factors, &mut downsampled);
        drop(data);
        for (step, ds) in steps.iter().zip(&downsampled) {
            self.search_step(ds, step, min_snr, &mut pgram);
        }
        // Steps meet end to end; a trial at the edge of two may be out of order.
        if pgram.periods_s.windows(2).any(|w| w[1] < w[0]) {
            sort_by_period(&mut pgram);
        }
        Ok(pgram)
    }

    /// The FFA of every fold length of one step, appended to `pgram`. The
    /// downsampled series' noise per sample is `√factor` (unit-variance input
    /// summed over `factor` samples), so a profile of `m` rows has `√(m·factor)`.
    /// With `min_snr`, only the trials of finite S/N at least that are kept.
    fn search_step(&self, ds: &[f32], step: &FfaStep, min_snr: Option<f64>, pgram: &mut Periodogram) {
        let widths = boxcar_widths(step.bins_lo, self.cfg.max_duty, self.cfg.width_ratio);
        let nw = widths.len();
        let keep = |snr: f32| min_snr.is_none_or(|t| snr.is_finite() && f64::from(snr) >= t);
        // Per fold length: its rows and the kept trials (row, S/N, width).
        let per_p: Vec<FoldLength> = (step.bins_lo..step.bins_hi)
            .into_par_iter()
            .map_init(
                || (BoxcarSnr::new(widths.clone()), Vec::new(), Vec::new(), Vec::new()),
                |(boxcar, out, scratch, snrs), p| {
                    let m = ds.len() / p;
                    if m < 2 {
                        return (p, 0, Vec::new());
                    }
                    out.resize(m * p, 0.0);
                    ffa_transform_with(&ds[..m * p], m, p, out, scratch);
                    let sigma = ((m as f64) * step.factor).sqrt() as f32;
                    snrs.resize(m * nw, 0.0);
                    boxcar.snr_rows(out, p, sigma, snrs);
                    let mut kept = Vec::with_capacity(if min_snr.is_none() { m } else { 0 });
                    for (row, snrs) in snrs.chunks_exact(nw).enumerate() {
                        let (iw, s) =
                            snrs.iter()
                                .enumerate()
                                .fold((0, f32::NEG_INFINITY), |a, (i, &s)| if s > a.1 { (i, s) } else { a });
                        if keep(s) {
                            kept.push((row as u32, s, widths[iw].min(u16::MAX as usize) as u16));
                        }
                    }
                    (p, m, kept)
                },
            )
            .collect();
        for (p, m, kept) in per_p {
            for (s, snr, w) in kept {
                let bins = trial_period_bins(p, f64::from(s) / (m - 1) as f64);
                // The last trials pass p + 1 bins: the next fold length's.
                if bins >= (p + 1) as f64 && p + 1 < step.bins_hi {
                    break;
                }
                pgram.periods_s.push(bins * step.tsamp_s);
                pgram.snr.push(snr);
                pgram.width_bins.push(w);
                pgram.fold_bins.push(p.min(u16::MAX as usize) as u16);
            }
        }
    }
}

/// One fold length's result: its length \[bins\], rows, and the kept trials
/// (row, S/N, width \[bins\]).
type FoldLength = (usize, usize, Vec<(u32, f32, u16)>);

fn sort_by_period(pg: &mut Periodogram) {
    let mut idx: Vec<usize> = (0..pg.len()).collect();
    idx.sort_by(|&a, &b| pg.periods_s[a].total_cmp(&pg.periods_s[b]));
    pg.periods_s = idx.iter().map(|&i| pg.periods_s[i]).collect();
    pg.snr = idx.iter().map(|&i| pg.snr[i]).collect();
    pg.width_bins = idx.iter().map(|&i| pg.width_bins[i]).collect();
    pg.fold_bins = idx.iter().map(|&i| pg.fold_bins[i]).collect();
}
