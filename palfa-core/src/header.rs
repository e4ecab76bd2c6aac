//! [`BeamHeader`]: what palfa knows about an observation, whatever file it came from.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::astro;

/// The file format a beam was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// SIGPROC filterbank.
    Filterbank,
    /// PSRFITS search mode.
    Psrfits,
    /// Two PALFA Mock spectrometer PSRFITS files (s0 and s1) merged into one band.
    MockPair,
}

impl std::fmt::Display for DataFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DataFormat::Filterbank => "SIGPROC filterbank",
            DataFormat::Psrfits => "PSRFITS search mode",
            DataFormat::MockPair => "PALFA Mock pair (merged PSRFITS)",
        })
    }
}

/// Metadata of a beam: the observation, its band and its sampling.
///
/// **Channel order is normalised**: channel 0 is always the *lowest* frequency and
/// frequencies rise with the channel index (`chan_bw_mhz > 0`), whatever order the
/// file stores them in. Readers reverse descending files as they read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeamHeader {
    /// The file(s) the beam was read from.
    pub files: Vec<PathBuf>,
    /// The format of those files.
    pub format: DataFormat,
    /// Name of the source observed.
    pub source_name: String,
    /// Telescope name (e.g. "Arecibo").
    pub telescope: String,
    /// Backend / instrument name (e.g. "pdev" for the PALFA Mock spectrometers).
    pub backend: String,
    /// Project identifier, if the file names one.
    pub project_id: String,
    /// Observer, if the file names one.
    pub observer: String,
    /// J2000 right ascension \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// Topocentric MJD (UTC) of the first sample.
    pub start_mjd: f64,
    /// Sampling time \[s\].
    pub tsamp_s: f64,
    /// Number of spectra (time samples) in the beam.
    pub nsamples: u64,
    /// Number of frequency channels.
    pub nchans: usize,
    /// Centre frequency of channel 0, the lowest \[MHz\].
    pub lofreq_mhz: f64,
    /// Channel width \[MHz\], always positive.
    pub chan_bw_mhz: f64,
    /// Bits per sample as stored in the file.
    pub nbits: u32,
    /// Polarisation products stored in the file (palfa reads total intensity).
    pub npol: usize,
    /// Beam number of a multi-beam receiver, if known (PALFA: 0-7).
    pub beam_id: Option<u32>,
    /// Per-channel weights (1 = good, 0 = flagged by the backend), lowest frequency first.
    pub chan_weights: Vec<f32>,
    /// Total size of the file(s) on disk \[bytes\].
    pub file_size: u64,
}

impl BeamHeader {
    /// A header for in-memory data: the band and sampling given, everything else
    /// empty (no files, MJD 0, 32-bit samples, one polarisation, unit weights).
    pub fn for_band(nchans: usize, lofreq_mhz: f64, chan_bw_mhz: f64, tsamp_s: f64) -> Self {
        Self {
            files: Vec::new(),
            format: DataFormat::Filterbank,
            source_name: "memory".into(),
            telescope: String::new(),
            backend: String::new(),
            project_id: String::new(),
            observer: String::new(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            start_mjd: 0.0,
            tsamp_s,
            nsamples: 0,
            nchans,
            lofreq_mhz,
            chan_bw_mhz,
            nbits: 32,
            npol: 1,
            beam_id: None,
            chan_weights: vec![1.0; nchans],
            file_size: 0,
        }
    }

    /// Centre frequency of channel `chan` \[MHz\].
    pub fn freq_mhz(&self, chan: usize) -> f64 {
        self.lofreq_mhz + chan as f64 * self.chan_bw_mhz
    }

    /// Centre frequency of the highest channel \[MHz\].
    pub fn hifreq_mhz(&self) -> f64 {
        self.freq_mhz(self.nchans.saturating_sub(1))
    }

    /// Centre of the band \[MHz\].
    pub fn fctr_mhz(&self) -> f64 {
        self.lofreq_mhz + 0.5 * (self.nchans as f64 - 1.0) * self.chan_bw_mhz
    }

    /// Total bandwidth \[MHz\] (`nchans · chan_bw_mhz`).
    pub fn bandwidth_mhz(&self) -> f64 {
        self.nchans as f64 * self.chan_bw_mhz
    }

    /// Duration of the beam \[s\].
    pub fn duration_s(&self) -> f64 {
        self.nsamples as f64 * self.tsamp_s
    }

    /// Right ascension as `hh:mm:ss.ssss`.
    pub fn ra_string(&self) -> String {
        astro::format_sexagesimal(self.ra_deg / 15.0, 4, false)
    }

    /// Declination as `±dd:mm:ss.ssss`.
    pub fn dec_string(&self) -> String {
        astro::format_sexagesimal(self.dec_deg, 4, true)
    }

    /// Bytes of sample data per spectrum in the file.
    pub fn bytes_per_spectrum(&self) -> u64 {
        (self.nchans as u64 * self.npol as u64 * self.nbits as u64).div_ceil(8)
    }

    /// A short name for the beam: the first file's stem.
    pub fn basename(&self) -> String {
        self.files
            .first()
            .and_then(|p| p.file_stem())
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "beam".to_string())
    }
}
