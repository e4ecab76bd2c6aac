//! The injected truth written beside a synthetic beam as JSON.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::params::SimParams;
use super::signals::Model;

/// A pulsar as injected, with the quantities a search reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulsarTruth {
    /// Spin frequency at t = 0 \[Hz\].
    pub f0_hz: f64,
    /// Period at t = 0 \[s\].
    pub period_s: f64,
    /// Apparent frequency derivative from the acceleration \[Hz/s\].
    pub fdot_hz_s: f64,
    /// Apparent period derivative \[s/s\].
    pub pdot: f64,
    /// Fourier-frequency drift of the fundamental over the observation, z = ḟ·T² \[bins\].
    pub z: f64,
    /// Frequency at the middle of the observation \[Hz\].
    pub f_mid_hz: f64,
    /// Dispersion measure.
    pub dm: f64,
    /// Requested matched-filter S/N.
    pub snr: f64,
    /// Pulse FWHM / period.
    pub duty: f64,
    /// Peak amplitude per channel before smearing \[σ\].
    pub peak_amplitude_sigma: f64,
}

/// A single pulse as injected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinglePulseTruth {
    /// Arrival at the centre of the highest channel \[s\].
    pub time_s: f64,
    /// The sample of that arrival.
    pub sample: u64,
    /// Dispersion measure.
    pub dm: f64,
    /// FWHM \[s\].
    pub width_s: f64,
    /// Requested matched-filter S/N.
    pub snr: f64,
    /// Peak amplitude per channel before smearing \[σ\].
    pub peak_amplitude_sigma: f64,
}

/// The RFI as injected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfiTruth {
    /// Frequency of the periodic signal \[Hz\] (0: none).
    pub periodic_hz: f64,
    /// Bad channels (lowest frequency = 0).
    pub bad_channels: Vec<usize>,
    /// Fraction of channels that are bad.
    pub bad_channel_fraction: f64,
    /// Impulses as sample ranges `[start, end)`.
    pub impulse_samples: Vec<(u64, u64)>,
}

/// Everything injected into a synthetic beam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The parameters used.
    pub params: SimParams,
    /// The data files written.
    pub files: Vec<PathBuf>,
    /// Duration \[s\].
    pub duration_s: f64,
    /// Centre frequency of the lowest channel \[MHz\].
    pub lofreq_mhz: f64,
    /// Pulsars.
    pub pulsars: Vec<PulsarTruth>,
    /// Single pulses.
    pub single_pulses: Vec<SinglePulseTruth>,
    /// RFI.
    pub rfi: RfiTruth,
}

impl Truth {
    pub(crate) fn new(p: &SimParams, model: &Model, files: Vec<PathBuf>) -> Self {
        let t = p.duration_s();
        let n = p.nchans.max(1);
        let pulsars = p
            .pulsars
            .iter()
            .zip(&model.pulsars)
            .map(|(ps, m)| {
                let (f0, fdot) = (m.f0, m.fdot);
                PulsarTruth {
                    f0_hz: f0,
                    period_s: ps.period_s,
                    fdot_hz_s: fdot,
                    pdot: -fdot / (f0 * f0),
                    z: fdot * t * t,
                    f_mid_hz: f0 + fdot * t / 2.0,
                    dm: ps.dm,
                    snr: ps.snr,
                    duty: ps.duty,
                    peak_amplitude_sigma: m.amp,
                }
            })
            .collect();
        let single_pulses = p
            .single_pulses
            .iter()
            .zip(&model.pulses)
            .map(|(sp, m)| SinglePulseTruth {
                time_s: sp.time_s,
                sample: (sp.time_s / p.tsamp_s).round().max(0.0) as u64,
                dm: sp.dm,
                width_s: sp.width_s,
                snr: sp.snr,
                peak_amplitude_sigma: m.amp,
            })
            .collect();
        let mut bad = p.rfi.bad_channels.clone();
        bad.sort_unstable();
        bad.dedup();
        let impulse_samples = model.impulses.iter().map(|&(s0, s1, _)| (s0, s1)).collect();
        Self {
            params: p.clone(),
            files,
            duration_s: t,
            lofreq_mhz: p.freq_mhz(0),
            pulsars,
            single_pulses,
            rfi: RfiTruth {
                periodic_hz: p.rfi.periodic_hz,
                bad_channel_fraction: bad.len() as f64 / n as f64,
                bad_channels: bad,
                impulse_samples,
            },
        }
    }
}
