//! # palfa-search
//!
//! The palfa search engine: in Rust, what PRESTO's rfifind, DDplan.py,
//! prepsubband, single_pulse_search.py, realfft, rednoise, zapbirds,
//! accelsearch, sifting.py and prepfold do in the PALFA recipe.
//!
//! Stages: [`fold`] (prepfold: one pass over the raw beam folds every chosen
//! candidate, searches DM, P and Ṗ, writes `.pfd`/`.bestprof`/PNG).
//!
//! Each stage is a library function with a typed configuration and result; the
//! stages take slices, time series or a [`palfa_core::beam::SpectraSource`],
//! never the job tracker. PRESTO's file formats are written where they are the
//! contract with other tools.
//!
//! The periodicity search of one dedispersed series is
//! [`spectrum::SpectrumMaker::make`] (FFT) → [`rednoise::whiten`] →
//! [`zap::apply_zaplist`] → [`accel::AccelSearcher::search`], once per pass
//! (low and high acceleration); see [`accel`] for an example.

pub mod accel;
pub mod candidate;
pub mod ddplan;
pub mod dedisp;
pub mod error;
pub mod ffa;
pub mod fold;
mod hugebuf;
pub mod known;
pub mod pipeline;
pub mod plot;
pub mod rate;
pub mod rednoise;
pub mod report;
pub mod rfi;
pub mod series;
pub mod sift;
pub mod singlepulse;
pub mod spectrum;
pub mod stats;
pub mod zap;

pub use candidate::{AccelCandidate, AccelPass};
pub use error::{SearchError, SearchResult};
pub use series::TimeSeries;
