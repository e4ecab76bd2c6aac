//! PRESTO's file formats, so that palfa's products can be read by PRESTO's tools
//! and PRESTO's products by palfa.

pub mod inf;
pub mod mask;

pub use inf::{read_dat, read_series, write_dat, InfFile};
pub use mask::RfiMask;
