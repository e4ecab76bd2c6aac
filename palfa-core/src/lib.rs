//! # palfa-core
//!
//! Shared foundations of the palfa pulsar-survey SDK: configuration, errors, and
//! the data formats every stage reads and writes.
//!
//! * [`beam`]: one streaming reader API ([`beam::SpectraSource`], [`beam::open_beam`])
//!   for SIGPROC filterbank, PSRFITS search mode and PALFA Mock s0/s1 pairs;
//!   channels always come lowest frequency first.
//! * [`formats`]: readers and writers of each format.
//! * [`header::BeamHeader`]: the metadata of a beam.
//! * [`build`]: the version and git commit palfa was built from.
//! * [`config`]: the TOML configuration, checked on load with every problem reported.
//! * [`simulate`]: synthetic beams with injected pulsars, single pulses and RFI,
//!   and the JSON truth beside them.
//!
//! ```
//! use palfa_core::formats::{filterbank::FilterbankWriter, ObservationSpec};
//! use palfa_core::beam::{open_beam, read_range};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("tiny.fil");
//! let spec = ObservationSpec {
//!     source_name: "J0000+00".into(), telescope: "Arecibo".into(), backend: "sim".into(),
//!     project_id: String::new(), observer: String::new(), ra_deg: 10.0, dec_deg: 5.0,
//!     start_mjd: 60000.0, tsamp_s: 64e-6, nchans: 8, lofreq_mhz: 1200.0, chan_bw_mhz: 1.0,
//!     nbits: 8, descending: true, beam_id: None,
//! };
//! let mut w = FilterbankWriter::create(&path, &spec)?;
//! w.write_spectra(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])?;
//! w.finish()?;
//! let mut beam = open_beam(&[&path])?;
//! assert_eq!(beam.header().nchans, 8);
//! assert_eq!(read_range(beam.as_mut(), 0, 1)?, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
//! # Ok(()) }
//! ```

pub mod astro;
pub mod beam;
pub mod bits;
pub mod build;
pub mod config;
pub mod error;
pub mod formats;
pub mod header;
pub mod names;
pub mod simulate;

pub use beam::{open_beam, MemorySource, SpectraSource};
pub use error::{FormatError, FormatErrorKind, FormatResult};
pub use header::{BeamHeader, DataFormat};
