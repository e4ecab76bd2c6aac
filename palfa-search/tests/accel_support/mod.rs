//! Synthetic series with known answers, shared by the periodicity-search tests.
#![allow(dead_code)]

use std::path::PathBuf;

use palfa_core::config::{AccelParams, RedNoiseParams};
use palfa_core::formats::presto::InfFile;
use palfa_search::spectrum::{Spectrum, SpectrumMaker};
use palfa_search::{rednoise, TimeSeries};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// FWHM / σ of a Gaussian.
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949;

/// PALFA's rednoise defaults.
pub const RED: RedNoiseParams = RedNoiseParams {
    startwidth: 6,
    endwidth: 100,
    endfreq_hz: 6.0,
};

/// PALFA's low pass.
pub fn lo_params() -> AccelParams {
    AccelParams {
        numharm: 16,
        sigma: 2.0,
        zmax: 0,
        flo_hz: 2.0,
        fhi_hz: 10_000.0,
    }
}

/// PALFA's high pass.
pub fn hi_params() -> AccelParams {
    AccelParams {
        numharm: 8,
        sigma: 3.0,
        zmax: 50,
        flo_hz: 1.0,
        fhi_hz: 10_000.0,
    }
}

/// A pulse train in unit-variance Gaussian noise.
pub struct Pulsar {
    /// Spin frequency at t = 0 \[Hz\].
    pub f0: f64,
    /// Frequency derivative \[Hz/s\].
    pub fdot: f64,
    /// Pulse FWHM / period.
    pub duty: f64,
    /// Matched-filter S/N of the whole train.
    pub snr: f64,
}

impl Pulsar {
    /// σ of the pulse in turns.
    pub fn sigma_phase(&self) -> f64 {
        self.duty / FWHM_PER_SIGMA
    }

    /// Peak amplitude \[noise σ\] giving the requested S/N over `n` samples.
    pub fn amplitude(&self, n: usize) -> f64 {
        self.snr / (n as f64 * self.sigma_phase() * std::f64::consts::PI.sqrt()).sqrt()
    }

    /// Expected normalised power of harmonic `h` (no noise): N·|c_h|².
    pub fn harmonic_power(&self, n: usize, h: usize) -> f64 {
        let s = self.sigma_phase();
        let c = self.amplitude(n)
            * s
            * (2.0 * std::f64::consts::PI).sqrt()
            * (-2.0 * std::f64::consts::PI.powi(2) * s * s * (h * h) as f64).exp();
        n as f64 * c * c
    }
}

/// `n` samples of `dt` seconds: Gaussian noise (seeded) plus the pulsars.
pub fn series(n: usize, dt: f64, pulsars: &[Pulsar], seed: u64) -> TimeSeries {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut data: Vec<f32> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    for p in pulsars {
        let a = p.amplitude(n);
        let s = p.sigma_phase();
        for (i, v) in data.iter_mut().enumerate() {
            let t = i as f64 * dt;
            let ph = p.f0 * t + 0.5 * p.fdot * t * t;
            let d = ph - ph.round();
            *v += (a * (-0.5 * d * d / (s * s)).exp()) as f32;
        }
    }
    TimeSeries {
        info: InfFile {
            basename: "synthetic".into(),
            n: n as u64,
            dt,
            ..InfFile::default()
        },
        data,
    }
}

/// FFT and whiten.
pub fn whitened(ts: &TimeSeries) -> Spectrum {
    let mut s = SpectrumMaker::new().make(ts).expect("spectrum");
    rednoise::whiten(&mut s, &RED);
    s
}

/// A file under `../shared/data/`; `None` (with a note) only where that folder is absent.
pub fn shared(rel: &str) -> Option<PathBuf> {
    palfa_testkit::shared_data(rel)
}
