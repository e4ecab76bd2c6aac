//! Single-pulse search: what PRESTO's `single_pulse_search.py` does, on one
//! dedispersed time series at a time.
//!
//! For each series:
//! 1. **Detrend and normalise** ([`blocks`](self) pass): per block of
//!    [`SinglePulseConfig::detrend_len`] samples, subtract a least-squares line
//!    (or the median) and divide by a robust standard deviation (RMS of the
//!    central 95 % × 1.148). Blocks whose noise level is an outlier among all
//!    blocks are rejected ("bad blocks"), as are flat or non-finite blocks.
//! 2. **Boxcar filter**: for each width `w` of [`SinglePulseConfig::downfacts`]
//!    (1, then PRESTO's 2 … 300 up to `maxwidth`), the sum of `w` normalised
//!    samples centred on each sample, over √w: `sigma = Σx/√w`. Sums come from
//!    prefix sums, O(N) per width.
//! 3. **Threshold** at `sigma > threshold`, then **prune** duplicates: within a
//!    width keep the maximum within `w/2` samples; across widths the higher sigma
//!    survives within `max(w_i/2, w_j/2, 1)` samples; events touching padded
//!    stretches (the `.inf` on/off pairs) are dropped.
//! 4. **Refit** (palfa's addition): blocks under events of at least
//!    [`REFIT_SIGMA`] and [`REFIT_MIN_WIDTH`] samples are refitted without them
//!    and searched again, so bright, wide pulses keep their S/N.
//!
//! Across DM trials, [`group_events`] gathers the events of one dispersed pulse;
//! [`plot_singlepulse`] draws PRESTO's summary plot; [`search_files`] runs
//! the whole thing on `.dat` files in parallel, writing `.singlepulse` files
//! ([`palfa_core::formats::presto::singlepulse`]).
//!
//! **Sigma.** For a pulse of matched-filter S/N `s` (the optimal linear filter's),
//! the best boxcar gives about 0.9·`s` for a Gaussian profile: boxcar shape loss,
//! the coarse width grid and the pulse's position relative to the boxcar.
//!
//! ```
//! use palfa_search::singlepulse::{search, SinglePulseConfig};
//! use palfa_search::TimeSeries;
//! use palfa_core::formats::presto::InfFile;
//! use rand::SeedableRng;
//! use rand_distr::{Distribution, StandardNormal};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // 100 s of white noise at 1 ms with a 10 ms wide boxcar pulse of S/N 15 at 40 s.
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
//! let mut data: Vec<f32> = (0..100_000).map(|_| StandardNormal.sample(&mut rng)).collect();
//! for x in &mut data[40_000..40_010] {
//!     *x += 15.0 / 10f32.sqrt();
//! }
//! let info = InfFile { n: data.len() as u64, dt: 1e-3, dm: 30.0, ..InfFile::default() };
//! let events = search(&TimeSeries { info, data }, &SinglePulseConfig::default())?;
//! let best = events.iter().max_by(|a, b| a.sigma.total_cmp(&b.sigma)).unwrap();
//! assert!((best.time_s - 40.005).abs() < 0.006);
//! // A 10-sample boxcar recovers ~0.9 of it, give or take the noise's ±1σ.
//! assert!(best.sigma > 10.0 && best.sigma < 17.0);
//! assert!(events.iter().filter(|e| e.sigma > 7.0).count() == 1);
//! # Ok(()) }
//! ```

mod blocks;
mod boxcar;
mod config;
mod files;
mod group;
mod plot;
mod prune;
mod refit;
mod residuals;
mod search;

pub use config::{
    Detrend, SinglePulseConfig, BAD_BLOCK_NSIGMA, DEFAULT_MAX_DOWNFACT, DOWNFACTS, MIN_DETREND_LEN, NOISE_TRIM,
};
pub use files::{read_series_file, search_file, search_files, FileOutcome};
pub use group::{group_events, SinglePulseGroup};
pub use palfa_core::formats::presto::singlepulse::SinglePulseEvent;
pub use plot::plot_singlepulse;
pub use refit::{REFIT_MIN_WIDTH, REFIT_SIGMA};
pub use search::{search, SinglePulseSearcher};
