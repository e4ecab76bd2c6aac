//! Data formats: SIGPROC filterbank, PSRFITS search mode, PALFA Mock pairs, PRESTO files,
//! and consecutive files of one observation ([`sequence`]).
//!
//! Each format has a reader (implementing [`SpectraSource`](crate::beam::SpectraSource)
//! for raw data) and a writer, so that tests and the simulator can make any of them.

pub mod cfmt;
pub mod filterbank;
pub mod fits;
pub mod mock;
pub mod presto;
pub mod psrfits;
pub mod results;
pub mod sequence;

use serde::{Deserialize, Serialize};

use crate::header::BeamHeader;

/// What a writer needs to know about the observation it writes.
///
/// Channels are described lowest frequency first (`lofreq_mhz`, `chan_bw_mhz > 0`);
/// `descending` asks the writer to store them highest first, as most backends do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationSpec {
    /// Source name.
    pub source_name: String,
    /// Telescope name.
    pub telescope: String,
    /// Backend name.
    pub backend: String,
    /// Project identifier.
    pub project_id: String,
    /// Observer.
    pub observer: String,
    /// J2000 right ascension \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// MJD of the first sample.
    pub start_mjd: f64,
    /// Sample time \[s\].
    pub tsamp_s: f64,
    /// Number of channels.
    pub nchans: usize,
    /// Centre frequency of the lowest channel \[MHz\].
    pub lofreq_mhz: f64,
    /// Channel width \[MHz\], positive.
    pub chan_bw_mhz: f64,
    /// Bits per stored sample.
    pub nbits: u32,
    /// Store channels highest frequency first.
    pub descending: bool,
    /// Beam number, if any.
    pub beam_id: Option<u32>,
}

impl ObservationSpec {
    /// Centre frequency of channel `c` (lowest first) \[MHz\].
    pub fn freq_mhz(&self, c: usize) -> f64 {
        self.lofreq_mhz + c as f64 * self.chan_bw_mhz
    }

    /// Centre of the band \[MHz\].
    pub fn fctr_mhz(&self) -> f64 {
        self.lofreq_mhz + 0.5 * (self.nchans as f64 - 1.0) * self.chan_bw_mhz
    }

    /// The spec that reproduces a beam's header (bit depth and order as stored).
    pub fn from_header(h: &BeamHeader, descending: bool) -> Self {
        Self {
            source_name: h.source_name.clone(),
            telescope: h.telescope.clone(),
            backend: h.backend.clone(),
            project_id: h.project_id.clone(),
            observer: h.observer.clone(),
            ra_deg: h.ra_deg,
            dec_deg: h.dec_deg,
            start_mjd: h.start_mjd,
            tsamp_s: h.tsamp_s,
            nchans: h.nchans,
            lofreq_mhz: h.lofreq_mhz,
            chan_bw_mhz: h.chan_bw_mhz,
            nbits: h.nbits,
            descending,
            beam_id: h.beam_id,
        }
    }
}
