//! PRESTO's file formats, so that palfa's products can be read by PRESTO's tools
//! and PRESTO's products by palfa.

pub mod accel;
pub mod inf;
pub mod zaplist;

pub use accel::{AccelFile, AccelFileCand, AccelFileHarm};
pub use inf::{read_dat, read_series, write_dat, InfFile};
pub use zaplist::{Bird, Zaplist};
