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

pub mod candidate;
pub mod ddplan;
pub mod dedisp;
pub mod error;
pub mod fold;
pub mod plot;
pub mod rfi;
pub mod series;
pub mod sift;
pub mod singlepulse;
pub mod stats;

pub use candidate::{AccelCandidate, AccelPass};
pub use error::{SearchError, SearchResult};
pub use series::TimeSeries;
