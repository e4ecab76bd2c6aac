//! PRESTO's file formats, so that palfa's products can be read by PRESTO's tools
//! and PRESTO's products by palfa.

pub mod accel;
pub mod accelcands;
pub mod bestprof;
pub mod inf;
pub mod mask;
pub mod pfd;
pub mod singlepulse;
pub mod zaplist;

pub use accel::{read_cand_file, write_cand_file, AccelFile, AccelFileCand, AccelFileHarm, FourierProps};
pub use accelcands::{read_accelcands, write_accelcands, AccelcandsEntry, AccelcandsHit};
pub use bestprof::Bestprof;
pub use inf::{read_dat, read_series, write_dat, InfFile};
pub use mask::RfiMask;
pub use pfd::{FoldStats, Pfd};
pub use singlepulse::{read_singlepulse, write_singlepulse, SinglePulseEvent};
pub use zaplist::{Bird, Zaplist};
