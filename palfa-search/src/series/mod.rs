//! [`TimeSeries`]: a dedispersed time series with its `.inf` metadata;
//! [`HalfSeries`]: the same kept in half precision.

use std::path::Path;

use palfa_core::formats::presto::{read_series, write_dat, InfFile};
use palfa_core::names::with_suffix;
use palfa_core::BeamHeader;

use crate::error::SearchResult;

mod half_precision;

pub use half_precision::HalfSeries;

/// A time series (one DM trial, say) and its metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSeries {
    /// Metadata; `info.n` equals `data.len()`.
    pub info: InfFile,
    /// The samples.
    pub data: Vec<f32>,
}

impl TimeSeries {
    /// Metadata for a series made from `beam` at `dm` with sample time `dt` and `n` samples.
    pub fn info_for(beam: &BeamHeader, dm: f64, dt: f64, n: u64) -> InfFile {
        InfFile {
            basename: format!("{}_DM{dm:.2}", beam.basename()),
            telescope: if beam.telescope.is_empty() {
                "Unknown".into()
            } else {
                beam.telescope.clone()
            },
            instrument: beam.backend.clone(),
            object: beam.source_name.clone(),
            ra_deg: beam.ra_deg,
            dec_deg: beam.dec_deg,
            observer: if beam.observer.is_empty() {
                "Unknown".into()
            } else {
                beam.observer.clone()
            },
            mjd: beam.start_mjd,
            barycentred: false,
            n,
            dt,
            onoff: Vec::new(),
            beam_diameter_arcsec: 0.0,
            dm,
            lofreq_mhz: beam.lofreq_mhz,
            bandwidth_mhz: beam.bandwidth_mhz(),
            nchan: beam.nchans,
            chan_bw_mhz: beam.chan_bw_mhz,
            analyst: "palfa".into(),
            notes: String::new(),
        }
    }

    /// Observation length \[s\].
    pub fn duration_s(&self) -> f64 {
        self.data.len() as f64 * self.info.dt
    }

    /// Reads a PRESTO `.dat` + `.inf` pair (given either name or the base name).
    pub fn read(path: impl AsRef<Path>) -> SearchResult<Self> {
        let (info, mut data) = read_series(path)?;
        data.truncate(info.n as usize);
        Ok(Self { info, data })
    }

    /// Writes `<base>.dat` and `<base>.inf` (`base` as given, e.g. `beam_DM12.30`).
    pub fn write(&self, base: impl AsRef<Path>) -> SearchResult<()> {
        let base = base.as_ref();
        write_dat(with_suffix(base, ".dat"), &self.data)?;
        self.info.write(with_suffix(base, ".inf"))?;
        Ok(())
    }
}
