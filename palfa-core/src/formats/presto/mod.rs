//! PRESTO's file formats, so that palfa's products can be read by PRESTO's tools
//! and PRESTO's products by palfa.

pub mod accel;
pub mod inf;
pub mod zaplist;

pub use accel::{read_cand_file, write_cand_file, AccelFile, AccelFileCand, AccelFileHarm, FourierProps};
pub use inf::{read_dat, read_series, write_dat, InfFile};
pub use zaplist::{Bird, Zaplist};
