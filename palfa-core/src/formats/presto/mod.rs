//! PRESTO's file formats, so that palfa's products can be read by PRESTO's tools
//! and PRESTO's products by palfa.

pub mod bestprof;
pub mod inf;
pub mod pfd;

pub use bestprof::Bestprof;
pub use inf::{read_dat, read_series, write_dat, InfFile};
pub use pfd::{FoldStats, Pfd};
