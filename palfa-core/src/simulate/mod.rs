//! Synthetic beams with a known answer, for testing the search.
//!
//! [`simulate`] writes a SIGPROC filterbank, a PSRFITS file or a PALFA Mock
//! s0/s1 pair holding Gaussian radiometer noise on a bandpass, injected pulsars
//! (period, DM, duty cycle, S/N, optional constant acceleration), single
//! dispersed pulses (time, DM, width, S/N) and RFI (a periodic undispersed signal
//! such as 60 Hz mains, noisy narrow-band channels, broadband impulses). The
//! truth goes beside the data as JSON. The same parameters and seed give the
//! same files, whatever the number of threads. Data are generated in blocks of
//! [`GEN_BLOCK`] spectra, so memory stays small for beams of any length.
//!
//! ```
//! use palfa_core::simulate::{simulate, PulsarSpec, SimParams};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let params = SimParams {
//!     nchans: 32,
//!     nsamples: 8192,
//!     pulsars: vec![PulsarSpec { period_s: 0.05, dm: 20.0, duty: 0.05, snr: 30.0, accel_m_s2: 0.0, phase: 0.0 }],
//!     ..SimParams::default()
//! };
//! let truth = simulate(&params, &dir.path().join("beam.fil"), &|_, _| {})?;
//! assert_eq!(truth.pulsars[0].f0_hz, 20.0);
//! assert!(dir.path().join("beam.truth.json").exists());
//! # Ok(()) }
//! ```

mod params;
pub mod presets;
pub mod recovery;
mod signals;
mod truth;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use params::{ImpulseSpec, NarrowbandSpec, PulsarSpec, RfiSpec, SimFormat, SimParams, SinglePulseSpec};
pub use presets::Preset;
pub use truth::{PulsarTruth, RfiTruth, SinglePulseTruth, Truth};

use crate::astro;
use crate::error::FormatError;
use crate::formats::filterbank::FilterbankWriter;
use crate::formats::psrfits::PsrfitsWriter;
use crate::formats::ObservationSpec;
use signals::Model;

/// Spectra generated at a time (also the unit of the noise seeds).
pub const GEN_BLOCK: usize = 4096;

/// Why a simulation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The parameters do not describe a beam.
    #[error("invalid simulation parameters: {0}")]
    Params(String),
    /// Writing the data failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Writing the truth failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Where the generated spectra go.
enum Sink {
    Filterbank(FilterbankWriter),
    Psrfits(PsrfitsWriter),
    Mock {
        lower: Box<PsrfitsWriter>,
        upper: Box<PsrfitsWriter>,
        nlower: usize,
        gain: f32,
    },
}

/// The truth file written beside a data file: `beam.fil` → `beam.truth.json`.
pub fn truth_path(data: &Path) -> PathBuf {
    data.with_extension("truth.json")
}

/// The PALFA-style names of a Mock pair `(s0 upper, s1 lower)` for these parameters.
pub fn mock_names(p: &SimParams) -> (String, String) {
    let (y, m, d) = astro::mjd_to_date(p.start_mjd);
    let src: String = p
        .source_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = |s: u32| format!("4bit-p2030.{y:04}{m:02}{d:02}.{src}.b{}s{s}g0.00100.fits", p.beam);
    (name(0), name(1))
}

/// Writes a synthetic beam and its truth.
///
/// `out` is the data file for `filterbank` and `psrfits`, and the directory that
/// receives the pair for `mock` (named as PALFA named them, see [`mock_names`]).
/// The truth is written to [`truth_path`] of the (lower-band) data file.
/// `progress(done, total)` is called after each block of spectra.
pub fn simulate(p: &SimParams, out: &Path, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Truth, SimError> {
    p.validate().map_err(SimError::Params)?;
    let spec = ObservationSpec {
        source_name: p.source_name.clone(),
        telescope: p.telescope.clone(),
        backend: p.backend.clone(),
        project_id: "p2030".into(),
        observer: "palfa simulate".into(),
        ra_deg: p.ra_deg,
        dec_deg: p.dec_deg,
        start_mjd: p.start_mjd,
        tsamp_s: p.tsamp_s,
        nchans: p.nchans,
        lofreq_mhz: p.freq_mhz(0),
        chan_bw_mhz: p.chan_bw_mhz,
        nbits: p.nbits,
        descending: true,
        beam_id: Some(p.beam),
    };
    let (mut sink, files) = match p.format {
        SimFormat::Filterbank => (
            Sink::Filterbank(FilterbankWriter::create(out, &spec)?),
            vec![out.to_path_buf()],
        ),
        SimFormat::Psrfits => (
            Sink::Psrfits(PsrfitsWriter::create(out, &spec, p.nsblk)?),
            vec![out.to_path_buf()],
        ),
        SimFormat::Mock => {
            std::fs::create_dir_all(out).map_err(|source| SimError::Io {
                path: out.to_path_buf(),
                source,
            })?;
            let half = (p.nchans + p.mock_overlap) / 2;
            let (s0, s1) = mock_names(p);
            let lower_spec = ObservationSpec {
                nchans: half,
                ..spec.clone()
            };
            let upper_spec = ObservationSpec {
                nchans: half,
                lofreq_mhz: p.freq_mhz(p.nchans - half),
                ..spec.clone()
            };
            let (up, lo) = (out.join(s0), out.join(s1));
            let sink = Sink::Mock {
                lower: Box::new(PsrfitsWriter::create(&lo, &lower_spec, p.nsblk)?),
                upper: Box::new(PsrfitsWriter::create(&up, &upper_spec, p.nsblk)?),
                nlower: half,
                gain: p.mock_upper_gain as f32,
            };
            (sink, vec![lo, up])
        }
    };
    let model = Model::new(p);
    let n = p.nchans;
    // Integer samples are stored exactly where the format has no scales (filterbank)
    // or the depth is at least a byte; shallower PSRFITS gets per-row scales instead.
    let round = match p.format {
        SimFormat::Filterbank => p.nbits <= 16,
        _ => p.nbits == 8 || p.nbits == 16,
    };
    let maxval = if p.nbits >= 32 {
        f32::MAX
    } else {
        ((1u64 << p.nbits) - 1) as f32
    };
    let mut block_ct = vec![0f32; GEN_BLOCK * n];
    let mut block_tc = vec![0f32; GEN_BLOCK * n];
    let mut start = 0u64;
    let mut block = 0u64;
    while start < p.nsamples {
        let len = (GEN_BLOCK as u64).min(p.nsamples - start) as usize;
        let common = model.common(start, len);
        block_ct[..len * n]
            .par_chunks_mut(len)
            .enumerate()
            .for_each(|(c, chunk)| model.fill_channel(c, block, start, &common, chunk));
        for (c, chan) in block_ct[..len * n].chunks(len).enumerate() {
            for (s, &v) in chan.iter().enumerate() {
                block_tc[s * n + c] = if round { v.round().clamp(0.0, maxval) } else { v };
            }
        }
        let data = &block_tc[..len * n];
        match &mut sink {
            Sink::Filterbank(w) => w.write_spectra(data)?,
            Sink::Psrfits(w) => w.write_spectra(data)?,
            Sink::Mock {
                lower,
                upper,
                nlower,
                gain,
            } => {
                let nu = *nlower;
                let lo: Vec<f32> = data.chunks_exact(n).flat_map(|s| s[..nu].iter().copied()).collect();
                let up: Vec<f32> = data
                    .chunks_exact(n)
                    .flat_map(|s| s[n - nu..].iter().map(|&v| v * *gain))
                    .collect();
                lower.write_spectra(&lo)?;
                upper.write_spectra(&up)?;
            }
        }
        start += len as u64;
        block += 1;
        progress(start, p.nsamples);
    }
    match sink {
        Sink::Filterbank(w) => {
            w.finish()?;
        }
        Sink::Psrfits(w) => {
            w.finish()?;
        }
        Sink::Mock { lower, upper, .. } => {
            lower.finish()?;
            upper.finish()?;
        }
    }
    let truth = Truth::new(p, &model, files.clone());
    let tp = truth_path(&files[0]);
    let json = serde_json::to_string_pretty(&truth).expect("truth serialises");
    std::fs::write(&tp, json).map_err(|source| SimError::Io { path: tp, source })?;
    Ok(truth)
}

#[cfg(test)]
mod tests;
