//! [`SinglePulseSearcher`]: the search of one time series, with buffers reused
//! from one series to the next; [`search`] for a single call.

use palfa_core::formats::presto::SinglePulseEvent;

use super::blocks::{block_statistics, BlockScratch};
use super::boxcar::{find_crossings, redo_crossings, BoxcarScratch};
use super::config::SinglePulseConfig;
use super::prune::{off_regions, prune_across_widths, prune_borders, prune_within_width, Candidate};
use super::refit::refit_under_events;
use crate::error::SearchResult;
use crate::series::TimeSeries;

/// Searches time series for single pulses, reusing its work buffers.
///
/// Memory beyond the input is O(chunk + detrending block + candidates), not
/// O(series): the normalised series is never stored whole. The searcher is
/// `Send`; give each thread its own (e.g. rayon's `map_init`) to search many
/// DMs in parallel.
///
/// ```
/// use palfa_search::singlepulse::{SinglePulseConfig, SinglePulseSearcher};
/// use rand::SeedableRng;
/// use rand_distr::{Distribution, Normal};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Gaussian noise (mean 100, rms 3) with a 12σ one-sample spike at sample 5000.
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let noise = Normal::new(100.0f32, 3.0)?;
/// let mut data: Vec<f32> = (0..20_000).map(|_| noise.sample(&mut rng)).collect();
/// data[5000] += 12.0 * 3.0;
/// let mut searcher = SinglePulseSearcher::new(SinglePulseConfig::default());
/// let events = searcher.search_samples(&data, 1e-3, 56.7, &[])?;
/// let best = events.iter().max_by(|a, b| a.sigma.total_cmp(&b.sigma)).unwrap();
/// assert_eq!((best.sample, best.downfact), (5000, 1));
/// // The spike adds 12σ to a noise sample: within 3σ of 12.
/// assert!((best.sigma - 12.0).abs() < 3.0 && (best.time_s - 5.0).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SinglePulseSearcher {
    cfg: SinglePulseConfig,
    blocks: BlockScratch,
    boxcar: BoxcarScratch,
    cands: Vec<Candidate>,
    refit: Vec<f32>,
    last_blocks: (usize, usize),
}

impl SinglePulseSearcher {
    /// A searcher with these settings.
    pub fn new(cfg: SinglePulseConfig) -> Self {
        Self {
            cfg,
            blocks: BlockScratch::default(),
            boxcar: BoxcarScratch::default(),
            cands: Vec::new(),
            refit: Vec::new(),
            last_blocks: (0, 0),
        }
    }

    /// Its settings.
    pub fn config(&self) -> &SinglePulseConfig {
        &self.cfg
    }

    /// Detrending blocks of the last series searched: (rejected, total).
    /// Rejected blocks (bad-block test, flat or non-finite data) are not searched.
    pub fn rejected_blocks(&self) -> (usize, usize) {
        self.last_blocks
    }

    /// Searches one series (its `.inf` gives the DM, the sample time and any
    /// padded stretches). Events are sorted by sample.
    pub fn search(&mut self, series: &TimeSeries) -> SearchResult<Vec<SinglePulseEvent>> {
        self.search_samples(&series.data, series.info.dt, series.info.dm, &series.info.onoff)
    }

    /// Searches `data`, sampled every `dt_s` seconds and dedispersed at `dm`;
    /// `onoff` are PRESTO's on/off pairs (inclusive ranges of real data; empty:
    /// all real). Events are sorted by sample.
    ///
    /// # Errors
    /// [`SearchError::Params`](crate::SearchError::Params) if the settings
    /// cannot work ([`SinglePulseConfig::check`]). Bad data (NaN, flat padding)
    /// is not an error: those blocks are not searched.
    pub fn search_samples(
        &mut self,
        data: &[f32],
        dt_s: f64,
        dm: f64,
        onoff: &[(u64, u64)],
    ) -> SearchResult<Vec<SinglePulseEvent>> {
        self.cfg.check(dt_s)?;
        let widths = self.cfg.downfacts(dt_s);
        let mut stats = block_statistics(data, &self.cfg, &mut self.blocks);
        self.last_blocks = (stats.n_rejected, stats.blocks.len());
        find_crossings(data, &stats, &widths, self.cfg.threshold, &mut self.boxcar);
        self.prune(&widths);
        if self.cfg.refit_bright {
            let max_w = widths.iter().copied().max().unwrap_or(1) as usize;
            let redo = refit_under_events(data, &mut stats, &self.cands, max_w, &mut self.refit);
            for r in &redo {
                redo_crossings(data, &stats, &widths, self.cfg.threshold, r.clone(), &mut self.boxcar);
            }
            if !redo.is_empty() {
                self.prune(&widths);
            }
        }
        let cands = &mut self.cands;
        prune_borders(cands, &off_regions(onoff, data.len()));
        Ok(cands
            .iter()
            .map(|c| SinglePulseEvent {
                dm,
                sigma: c.sigma,
                time_s: c.sample as f64 * dt_s,
                sample: c.sample as u64,
                downfact: c.downfact,
            })
            .collect())
    }
}

impl SinglePulseSearcher {
    /// `self.cands` = the crossings in `self.boxcar.hits`, without duplicates.
    fn prune(&mut self, widths: &[u32]) {
        let cands = &mut self.cands;
        cands.clear();
        let mut width_cands = Vec::new();
        for (hits, &w) in self.boxcar.hits.iter().zip(widths) {
            width_cands.clear();
            width_cands.extend(hits.iter().map(|&(sample, sigma)| Candidate {
                sample,
                sigma,
                downfact: w,
            }));
            prune_within_width(&mut width_cands, w);
            cands.extend_from_slice(&width_cands);
        }
        cands.sort_unstable_by_key(|c| (c.sample, c.downfact));
        prune_across_widths(cands);
    }
}

/// Searches one time series for single pulses (see [`SinglePulseSearcher`];
/// use one of those to search many series without reallocating).
pub fn search(series: &TimeSeries, cfg: &SinglePulseConfig) -> SearchResult<Vec<SinglePulseEvent>> {
    SinglePulseSearcher::new(cfg.clone()).search(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searcher_is_send() {
        fn send<T: Send>() {}
        send::<SinglePulseSearcher>();
    }

    #[test]
    fn empty_and_tiny_series_give_nothing() {
        let mut s = SinglePulseSearcher::new(SinglePulseConfig::default());
        assert!(s.search_samples(&[], 1e-3, 0.0, &[]).unwrap().is_empty());
        assert!(s.search_samples(&[100.0; 10], 1e-3, 0.0, &[]).unwrap().is_empty());
        assert!(s.search_samples(&[1.0; 100], 0.0, 0.0, &[]).is_err());
    }
}
