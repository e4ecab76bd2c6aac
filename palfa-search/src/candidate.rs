//! Candidates passed between the search stages: periodicity candidates from the
//! acceleration search, as sifting and folding take them.

use serde::{Deserialize, Serialize};

use palfa_core::astro::SPEED_OF_LIGHT;

/// Which acceleration-search pass found a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccelPass {
    /// The low pass (PALFA: zmax 0, 16 harmonics).
    Lo,
    /// The high pass (PALFA: zmax 50, 8 harmonics).
    Hi,
    /// Not an acceleration pass: the FFA search ([`crate::ffa`]).
    Ffa,
}

/// One periodicity candidate from the Fourier-domain acceleration search of one
/// time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccelCandidate {
    /// DM of the series it was found in.
    pub dm: f64,
    /// Fourier frequency of the fundamental \[bins\] (fractional, after refinement).
    pub r: f64,
    /// Fourier-frequency derivative of the fundamental \[bins\] (z = ḟ·T²).
    pub z: f64,
    /// Harmonics summed when it was found.
    pub numharm: usize,
    /// Significance from the search (with the trials correction).
    pub sigma: f64,
    /// Summed normalised power at detection (incoherent power).
    pub power: f64,
    /// Coherent power: |Σ of the harmonics' complex amplitudes|² (normalised).
    pub coherent_power: f64,
    /// Normalised power of each harmonic 1..=numharm after refinement.
    pub harm_powers: Vec<f64>,
    /// Length of the series \[s\] (T = N·dt).
    pub t_obs_s: f64,
    /// The pass that found it.
    pub pass: AccelPass,
    /// Width of the best boxcar \[s\] where the search measured one (the FFA);
    /// `None` for Fourier-domain detections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_width_s: Option<f64>,
}

impl AccelCandidate {
    /// Spin frequency \[Hz\].
    pub fn freq_hz(&self) -> f64 {
        self.r / self.t_obs_s
    }

    /// Period \[s\].
    pub fn period_s(&self) -> f64 {
        self.t_obs_s / self.r
    }

    /// Frequency derivative \[Hz/s\].
    pub fn fdot_hz_s(&self) -> f64 {
        self.z / (self.t_obs_s * self.t_obs_s)
    }

    /// Period derivative \[s/s\].
    pub fn pdot(&self) -> f64 {
        -self.fdot_hz_s() / (self.freq_hz() * self.freq_hz())
    }

    /// Line-of-sight acceleration \[m/s²\] implied by z (positive: receding faster).
    pub fn accel_m_s2(&self) -> f64 {
        -self.fdot_hz_s() * SPEED_OF_LIGHT / self.freq_hz()
    }
}
