//! # palfa-search
//!
//! The palfa search engine: in Rust, what PRESTO's rfifind, DDplan.py,
//! prepsubband, single_pulse_search.py, realfft, rednoise, zapbirds,
//! accelsearch, sifting.py and prepfold do in the PALFA recipe.
//!
//! Each stage is a library function with a typed configuration and result; the
//! stages take slices, time series or a [`palfa_core::beam::SpectraSource`],
//! never the job tracker. PRESTO's file formats are written where they are the
//! contract with other tools.

pub mod candidate;
pub mod error;
pub mod plot;
pub mod rfi;
pub mod series;
pub mod stats;

pub use candidate::{AccelCandidate, AccelPass};
pub use error::{SearchError, SearchResult};
pub use series::TimeSeries;
