//! What a synthetic beam contains: the parameters of `palfa simulate`.
//!
//! Every field has a default, so a parameter file only names what differs. The
//! same structure is read from TOML and echoed into the truth JSON.

use serde::{Deserialize, Serialize};

/// Output file format of a synthetic beam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SimFormat {
    /// One SIGPROC filterbank file.
    #[default]
    Filterbank,
    /// One PSRFITS search-mode file.
    Psrfits,
    /// A PALFA Mock s0/s1 pair of PSRFITS files (overlapping halves of the band).
    Mock,
}

/// A pulsar to inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PulsarSpec {
    /// Period at t = 0 \[s\].
    pub period_s: f64,
    /// Dispersion measure \[pc cm⁻³\].
    pub dm: f64,
    /// Pulse FWHM as a fraction of the period.
    #[serde(default = "default_duty")]
    pub duty: f64,
    /// Matched-filter S/N over the whole band and observation (before smearing).
    pub snr: f64,
    /// Constant line-of-sight acceleration \[m/s²\] (positive: receding faster).
    #[serde(default)]
    pub accel_m_s2: f64,
    /// Rotational phase at t = 0 (at infinite frequency), in turns.
    #[serde(default)]
    pub phase: f64,
}

/// A single dispersed pulse to inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinglePulseSpec {
    /// Arrival time at the centre of the highest channel \[s from the start\].
    pub time_s: f64,
    /// Dispersion measure.
    pub dm: f64,
    /// FWHM \[s\].
    pub width_s: f64,
    /// Matched-filter S/N over the whole band (before smearing).
    pub snr: f64,
}

/// A broadband, undispersed burst of RFI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpulseSpec {
    /// Start \[s\].
    pub time_s: f64,
    /// Duration \[s\].
    pub width_s: f64,
    /// Level added to every channel \[σ of the channel\].
    pub amplitude: f64,
}

/// A periodic, undispersed signal in a few channels only (a radar, a
/// switching power supply near the telescope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NarrowbandSpec {
    /// Its frequency \[Hz\].
    pub freq_hz: f64,
    /// Peak amplitude \[σ of a channel\].
    pub amplitude: f64,
    /// Harmonics (1 = a pure sinusoid).
    pub harmonics: u32,
    /// The channels it is in, lowest frequency = 0: `first ..= last`.
    pub first_channel: usize,
    /// See `first_channel`.
    pub last_channel: usize,
}

/// Radio-frequency interference to inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RfiSpec {
    /// Frequency of a periodic, undispersed signal in every channel (e.g. 60 Hz mains; 0 = none).
    pub periodic_hz: f64,
    /// Peak amplitude of the periodic signal \[σ of a channel\].
    pub periodic_amplitude: f64,
    /// Harmonics of the periodic signal (1 = a pure sinusoid).
    pub periodic_harmonics: u32,
    /// Channels (lowest frequency = 0) made bad by strong extra noise.
    pub bad_channels: Vec<usize>,
    /// Standard deviation of the bad channels' noise, in units of their normal σ.
    pub bad_channel_noise: f64,
    /// Broadband bursts.
    pub impulses: Vec<ImpulseSpec>,
    /// Narrowband periodic signals.
    pub narrowband: Vec<NarrowbandSpec>,
}

/// All parameters of a synthetic beam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimParams {
    /// Random seed; the same parameters and seed give the same file bit for bit.
    pub seed: u64,
    /// Output format.
    pub format: SimFormat,
    /// Bits per stored sample (1, 2, 4, 8, 16 or 32).
    pub nbits: u32,
    /// Number of channels.
    pub nchans: usize,
    /// Centre frequency of the highest channel \[MHz\].
    pub fch1_mhz: f64,
    /// Channel width \[MHz\] (positive; channels are stored highest frequency first).
    pub chan_bw_mhz: f64,
    /// Sample time \[s\].
    pub tsamp_s: f64,
    /// Number of spectra.
    pub nsamples: u64,
    /// MJD of the first sample.
    pub start_mjd: f64,
    /// Source name.
    pub source_name: String,
    /// Telescope name.
    pub telescope: String,
    /// Backend name.
    pub backend: String,
    /// J2000 right ascension \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// Beam number (0-7 for PALFA).
    pub beam: u32,
    /// Mean level of the band's centre (the bandpass falls to 0.8 of it at the edges).
    pub noise_mean: f64,
    /// Noise standard deviation as a fraction of each channel's mean.
    pub noise_rms_frac: f64,
    /// Spectra per PSRFITS row.
    pub nsblk: usize,
    /// Mock pairs: channels shared by the two halves (even).
    pub mock_overlap: usize,
    /// Mock pairs: gain of the upper half relative to the lower (levels the merge must match).
    pub mock_upper_gain: f64,
    /// Pulsars.
    pub pulsars: Vec<PulsarSpec>,
    /// Single pulses.
    pub single_pulses: Vec<SinglePulseSpec>,
    /// RFI.
    pub rfi: RfiSpec,
}

/// True for a finite number above zero (false for NaN).
fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn default_duty() -> f64 {
    0.05
}

impl Default for SimParams {
    fn default() -> Self {
        Self {
            seed: 1,
            format: SimFormat::Filterbank,
            nbits: 8,
            nchans: 256,
            fch1_mhz: 1537.0,
            chan_bw_mhz: 1.2604,
            tsamp_s: 65.476e-6,
            nsamples: 1 << 18,
            start_mjd: 60_000.0,
            source_name: "G45.07+00.11".into(),
            telescope: "Arecibo".into(),
            backend: "pdev".into(),
            ra_deg: 288.3,
            dec_deg: 10.9,
            beam: 3,
            noise_mean: 96.0,
            noise_rms_frac: 0.15,
            nsblk: 2048,
            mock_overlap: 16,
            mock_upper_gain: 1.25,
            pulsars: Vec::new(),
            single_pulses: Vec::new(),
            rfi: RfiSpec::default(),
        }
    }
}

impl SimParams {
    /// Parses a TOML parameter file.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Centre frequency of channel `c` (lowest = 0) \[MHz\].
    pub fn freq_mhz(&self, c: usize) -> f64 {
        self.fch1_mhz - (self.nchans - 1 - c) as f64 * self.chan_bw_mhz
    }

    /// Duration \[s\].
    pub fn duration_s(&self) -> f64 {
        self.nsamples as f64 * self.tsamp_s
    }

    /// Checks that the parameters make a beam; the message says what is wrong.
    pub fn validate(&self) -> Result<(), String> {
        let err = |m: String| Err(m);
        if self.nchans == 0 {
            return err("nchans must be at least 1".into());
        }
        if !matches!(self.nbits, 1 | 2 | 4 | 8 | 16 | 32) {
            return err(format!("nbits = {} (must be 1, 2, 4, 8, 16 or 32)", self.nbits));
        }
        if !positive(self.tsamp_s) || self.nsamples == 0 {
            return err("tsamp_s and nsamples must be positive".into());
        }
        if !positive(self.chan_bw_mhz) || self.freq_mhz(0) <= 0.0 {
            return err("chan_bw_mhz must be positive and the whole band above 0 MHz".into());
        }
        if !(self.noise_mean.is_finite() && positive(self.noise_rms_frac)) {
            return err("noise_rms_frac must be positive".into());
        }
        if self.format != SimFormat::Filterbank && self.nsblk == 0 {
            return err("nsblk must be at least 1".into());
        }
        if self.format == SimFormat::Mock {
            if !self.mock_overlap.is_multiple_of(2) || self.mock_overlap + 4 > self.nchans {
                return err(format!(
                    "mock_overlap = {} must be even and leave at least 2 channels to each half",
                    self.mock_overlap
                ));
            }
            if !(self.nchans + self.mock_overlap).is_multiple_of(2) {
                return err("nchans + mock_overlap must be even to split into two equal halves".into());
            }
            if !positive(self.mock_upper_gain) {
                return err("mock_upper_gain must be positive".into());
            }
        }
        for (i, p) in self.pulsars.iter().enumerate() {
            if !(p.period_s > 0.0 && p.duty > 0.0 && p.duty < 1.0 && p.dm >= 0.0 && p.snr >= 0.0) {
                return err(format!(
                    "pulsar {i}: period and duty (0..1) must be positive, DM and S/N not negative"
                ));
            }
        }
        for (i, s) in self.single_pulses.iter().enumerate() {
            if !(s.width_s > 0.0 && s.dm >= 0.0 && s.snr >= 0.0) {
                return err(format!(
                    "single pulse {i}: width must be positive, DM and S/N not negative"
                ));
            }
        }
        if let Some(&c) = self.rfi.bad_channels.iter().find(|&&c| c >= self.nchans) {
            return err(format!("bad channel {c} is beyond nchans = {}", self.nchans));
        }
        for (i, nb) in self.rfi.narrowband.iter().enumerate() {
            if !(nb.freq_hz.is_finite() && nb.freq_hz >= 0.0 && nb.amplitude.is_finite()) {
                return err(format!(
                    "narrowband RFI {i}: frequency must be ≥ 0 and amplitude finite"
                ));
            }
            if nb.first_channel > nb.last_channel || nb.last_channel >= self.nchans {
                return err(format!(
                    "narrowband RFI {i}: channels {}..={} are not within 0..{}",
                    nb.first_channel, nb.last_channel, self.nchans
                ));
            }
            if nb.harmonics > 1000 {
                return err(format!("narrowband RFI {i}: at most 1000 harmonics"));
            }
        }
        Ok(())
    }
}
