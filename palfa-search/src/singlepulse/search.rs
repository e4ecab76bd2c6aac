//! [`SinglePulseSearcher`]: the search of one time series, with buffers reused
//! from one series to the next; [`search`] for a single call.

use palfa_core::formats::presto::SinglePulseEvent;

use std::ops::Range;

use super::blocks::{block_statistics, BlockScratch, BlockStats};
use super::boxcar::{find_crossings, redo_crossings, BoxcarScratch, CHUNK};
use super::config::SinglePulseConfig;
use super::prune::{off_regions, prune_across_widths, prune_borders, prune_within_width, Candidate};
use super::refit::refit_under_events;
use crate::error::SearchResult;
use crate::series::TimeSeries;

/// Searches time series for single pulses, reusing its work buffers.
///
/// Memory beyond the input is O(segment + detrending blocks), not O(series):
/// the normalised series is never stored whole, and a long series is searched
/// [`SEGMENT`] samples at a time, each with a margin ([`halo`]) wide enough
/// that its events are exactly those of the series searched whole (the
/// threshold crossings of every width, which RFI can make millions, are held
/// for one segment only). The searcher is
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
    /// The pruning's queue.
    queue: Vec<usize>,
    refit: Vec<f32>,
    last_blocks: (usize, usize),
    /// Output samples searched at a time (a multiple of [`CHUNK`]).
    segment: usize,
}

/// Output samples a long series is searched in at a time (2^20: 16 MB of
/// crossings per width where every sample crosses).
pub const SEGMENT: usize = 64 * CHUNK;

/// Samples each side of a segment that are searched with it so that its
/// events come out as from the whole series: a multiple of [`CHUNK`] covering
/// what decides an event at the segment's edge. Events are pruned against
/// crossings within `r = max_w/2` (those against crossings within `r` more);
/// on the second pass, a sample's sums take the refitted blocks of its whole
/// chunk and `max_w` around it; a block is refitted under events up to
/// `max_w` beyond it (and the last block can be nearly two blocks long).
fn halo(max_w: usize, block_len: usize) -> usize {
    let r = (max_w / 2).max(1);
    let reach = 2 * r + (CHUNK + max_w) + 3 * block_len + (max_w + 1) + 2 * r;
    reach.div_ceil(CHUNK) * CHUNK
}

impl SinglePulseSearcher {
    /// A searcher with these settings.
    pub fn new(cfg: SinglePulseConfig) -> Self {
        Self {
            cfg,
            blocks: BlockScratch::default(),
            boxcar: BoxcarScratch::default(),
            cands: Vec::new(),
            queue: Vec::new(),
            refit: Vec::new(),
            last_blocks: (0, 0),
            segment: SEGMENT,
        }
    }

    /// Searches series `segment` samples at a time (rounded up to a whole
    /// chunk) instead of [`SEGMENT`]: the events are the same.
    #[cfg(test)]
    pub(crate) fn with_segment(mut self, segment: usize) -> Self {
        self.segment = segment.div_ceil(CHUNK).max(1) * CHUNK;
        self
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
        let stats = block_statistics(data, &self.cfg, &mut self.blocks);
        self.last_blocks = (stats.n_rejected, stats.blocks.len());
        let max_w = widths.iter().copied().max().unwrap_or(1) as usize;
        let n = data.len();
        let margin = halo(max_w, stats.block_len);
        let off = off_regions(onoff, n);
        let mut events = Vec::new();
        for start in (0..n).step_by(self.segment) {
            let seg = start..(start + self.segment).min(n);
            let around = seg.start.saturating_sub(margin)..(seg.end + margin).min(n);
            self.search_range(data, &stats, &widths, around);
            let cands = &mut self.cands;
            cands.retain(|c| seg.contains(&c.sample));
            prune_borders(cands, &off);
            events.extend(cands.iter().map(|c| SinglePulseEvent {
                dm,
                sigma: c.sigma,
                time_s: c.sample as f64 * dt_s,
                sample: c.sample as u64,
                downfact: c.downfact,
            }));
        }
        Ok(events)
    }

    /// `self.cands` = the events of output samples `range` (exact away from
    /// its ends): the crossings, pruned; with `refit_bright`, the blocks
    /// under bright wide events (a copy of `stats`) refitted and the
    /// crossings near them found again and pruned.
    fn search_range(&mut self, data: &[f32], stats: &BlockStats, widths: &[u32], range: Range<usize>) {
        let threshold = self.cfg.threshold;
        find_crossings(data, stats, widths, threshold, range.clone(), &mut self.boxcar);
        self.prune(widths);
        if self.cfg.refit_bright {
            let max_w = widths.iter().copied().max().unwrap_or(1) as usize;
            let mut refitted = stats.clone();
            let redo = refit_under_events(data, &mut refitted, &self.cands, max_w, &mut self.refit);
            let clipped: Vec<Range<usize>> = redo
                .iter()
                .map(|r| r.start.max(range.start)..r.end.min(range.end))
                .collect();
            redo_crossings(data, &refitted, widths, threshold, &clipped, &mut self.boxcar);
            if !redo.is_empty() {
                self.prune(widths);
            }
        }
    }
}

impl SinglePulseSearcher {
    /// `self.cands` = the crossings in `self.boxcar.hits`, without duplicates.
    fn prune(&mut self, widths: &[u32]) {
        let cands = &mut self.cands;
        cands.clear();
        for (hits, &w) in self.boxcar.hits.iter().zip(widths) {
            prune_within_width(hits, w, cands, &mut self.queue);
        }
        // One sorted run per width: a merging sort finds them.
        cands.sort_by_key(|c| (c.sample, c.downfact));
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
    use crate::singlepulse::{REFIT_MIN_WIDTH, REFIT_SIGMA};

    #[test]
    fn searcher_is_send() {
        fn send<T: Send>() {}
        send::<SinglePulseSearcher>();
    }

    /// A long series searched a segment at a time gives exactly the events
    /// of the whole series at once, with bright wide pulses (whose blocks are
    /// refitted), a dense burst of interference and an unusable stretch at
    /// and around the segments' edges.
    #[test]
    fn segments_give_the_events_of_the_whole_series() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal};
        let n = 9 * CHUNK + 1234;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let noise = Normal::new(0.0f32, 1.0).unwrap_or_else(|_| unreachable!());
        let mut data: Vec<f32> = (0..n)
            .map(|i| 50.0 + 1e-4 * i as f32 + noise.sample(&mut rng))
            .collect();
        // Wide bright pulses across and near every segment edge.
        for k in 1..9 {
            for (offset, width, amp) in [(-3i64, 20usize, 4.0f32), (150, 8, 6.0), (-900, 40, 2.5)] {
                let c = (k * CHUNK) as i64 + offset;
                for i in c - width as i64 / 2..c + width as i64 / 2 {
                    data[i as usize] += amp;
                }
            }
        }
        // A burst of interference: thousands of crossings in every width.
        for v in data[3 * CHUNK - 3000..3 * CHUNK + 3000].iter_mut().step_by(37) {
            *v += 7.0;
        }
        // An unusable stretch over an edge.
        data[6 * CHUNK - 2500..6 * CHUNK + 2500].fill(f32::NAN);
        let cfg = SinglePulseConfig::default();
        let dt = 1e-3;
        let whole = SinglePulseSearcher::new(cfg.clone())
            .with_segment(10 * CHUNK)
            .search_samples(&data, dt, 10.0, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut searcher = SinglePulseSearcher::new(cfg).with_segment(CHUNK);
        let parts = searcher
            .search_samples(&data, dt, 10.0, &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parts, whole);
        // The test means something: bright wide events (refitted) near the
        // edges, the burst's events, nothing in the unusable stretch.
        let near_edge = |s: u64| (1..9).any(|k| (s as i64 - (k * CHUNK) as i64).abs() < 200);
        assert!(
            whole
                .iter()
                .filter(|e| e.sigma >= REFIT_SIGMA && e.downfact >= REFIT_MIN_WIDTH && near_edge(e.sample))
                .count()
                >= 8,
            "{whole:?}"
        );
        assert!(
            whole
                .iter()
                .filter(|e| e.sample.abs_diff(3 * CHUNK as u64) < 3000)
                .count()
                > 100
        );
        assert!(whole.iter().all(|e| e.sample.abs_diff(6 * CHUNK as u64) >= 2500 - 50));
    }

    #[test]
    fn empty_and_tiny_series_give_nothing() {
        let mut s = SinglePulseSearcher::new(SinglePulseConfig::default());
        assert!(s.search_samples(&[], 1e-3, 0.0, &[]).unwrap().is_empty());
        assert!(s.search_samples(&[100.0; 10], 1e-3, 0.0, &[]).unwrap().is_empty());
        assert!(s.search_samples(&[1.0; 100], 0.0, 0.0, &[]).is_err());
    }
}
