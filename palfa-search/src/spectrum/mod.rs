//! [`Spectrum`]: the Fourier transform of a time series, and [`SpectrumMaker`],
//! which makes it with cached FFT plans.
//!
//! PRESTO's `realfft` equivalent. The sample mean is removed before the
//! transform, so bin 0 holds no DC power. The transform is not normalised
//! (`X_k = Σ x_n e^{-2πi kn/N}`, as PRESTO's), so raw powers of white noise of
//! variance σ² have mean N·σ²; [`crate::rednoise::whiten`] turns them into
//! normalised powers with mean 1, which is what the acceleration search and
//! [`crate::stats::candidate_sigma`] expect.
//!
//! Any length works, odd ones included (PRESTO's accelsearch hangs on those).
//!
//! ```
//! use palfa_search::spectrum::SpectrumMaker;
//! use palfa_search::TimeSeries;
//! use palfa_core::formats::presto::InfFile;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let n = 1001; // odd on purpose
//! let dt = 1e-3;
//! let data: Vec<f32> = (0..n).map(|i| (2.0 * std::f32::consts::PI * 50.0 * i as f32 * dt as f32).sin()).collect();
//! let ts = TimeSeries { info: InfFile { n: n as u64, dt, ..InfFile::default() }, data };
//! let maker = SpectrumMaker::new();
//! let spec = maker.make(&ts)?;
//! assert_eq!(spec.amps.len(), n / 2 + 1);
//! // 50 Hz over 1.001 s is Fourier bin 50.05: the peak is in bin 50.
//! let peak = (1..spec.amps.len()).max_by(|&a, &b| spec.amps[a].norm_sqr().total_cmp(&spec.amps[b].norm_sqr())).unwrap();
//! assert_eq!(peak, 50);
//! # Ok(()) }
//! ```

mod fftfile;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use realfft::{RealFftPlanner, RealToComplex};
pub use rustfft::num_complex::Complex32;

use palfa_core::formats::presto::InfFile;

pub use fftfile::{read_presto_fft, write_presto_fft};

use crate::error::{SearchError, SearchResult};
use crate::series::TimeSeries;

/// The one-sided Fourier transform of a real time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    /// Complex amplitudes of bins `0 ..= n_samples / 2` (for even `n_samples`
    /// the last one is the Nyquist bin, which is real). Bin `k` is the
    /// frequency `k / t_obs_s`.
    pub amps: Vec<Complex32>,
    /// Samples in the time series (N).
    pub n_samples: usize,
    /// Sample time \[s\].
    pub dt: f64,
    /// Length of the series \[s\] (T = N·dt); bin width is 1/T \[Hz\].
    pub t_obs_s: f64,
    /// DM of the series \[pc cm⁻³\].
    pub dm: f64,
    /// The sample mean that was removed before the transform.
    pub mean: f64,
    /// Metadata of the series (written after the candidates of an ACCEL file).
    pub info: InfFile,
}

impl Spectrum {
    /// Number of Fourier bins held (`amps.len()`).
    pub fn num_bins(&self) -> usize {
        self.amps.len()
    }

    /// Frequency of (fractional) bin `r` \[Hz\].
    pub fn freq_hz(&self, r: f64) -> f64 {
        r / self.t_obs_s
    }

    /// Power |X|² of every bin.
    pub fn powers(&self) -> Vec<f32> {
        self.amps.iter().map(|a| a.norm_sqr()).collect()
    }
}

/// Makes [`Spectrum`]s, planning each FFT length once.
///
/// `Send + Sync`: share one maker between rayon threads (the plan cache is
/// behind a mutex held only while looking a plan up; transforms run in
/// parallel with per-call scratch buffers).
#[derive(Default)]
pub struct SpectrumMaker {
    planner: Mutex<RealFftPlanner<f32>>,
    plans: Mutex<HashMap<usize, Arc<dyn RealToComplex<f32>>>>,
    /// Input and scratch buffers kept between calls (one set per thread that
    /// made a spectrum), so large transforms do not page-fault fresh memory.
    buffers: Mutex<Vec<(Vec<f32>, Vec<Complex32>)>>,
}

impl std::fmt::Debug for SpectrumMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lens: Vec<usize> = self
            .plans
            .lock()
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default();
        f.debug_struct("SpectrumMaker").field("planned_lengths", &lens).finish()
    }
}

impl SpectrumMaker {
    /// A maker with no plans yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The forward plan for length `n` (made on first use).
    pub fn plan(&self, n: usize) -> Arc<dyn RealToComplex<f32>> {
        // A poisoned lock only means another thread panicked mid-lookup; the
        // cache itself is still consistent.
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        plans
            .entry(n)
            .or_insert_with(|| {
                let mut planner = self.planner.lock().unwrap_or_else(|e| e.into_inner());
                planner.plan_fft_forward(n)
            })
            .clone()
    }

    /// The spectrum of `ts` (sample mean removed first).
    ///
    /// # Errors
    /// [`SearchError::Params`] for fewer than 2 samples or non-finite samples.
    pub fn make(&self, ts: &TimeSeries) -> SearchResult<Spectrum> {
        let n = ts.data.len();
        if n < 2 {
            return Err(SearchError::Params(format!(
                "a time series needs at least 2 samples for an FFT, this one has {n}"
            )));
        }
        if ts.info.dt.is_nan() || ts.info.dt <= 0.0 {
            return Err(SearchError::Params(format!(
                "sample time {} s is not positive",
                ts.info.dt
            )));
        }
        let sum: f64 = ts.data.iter().map(|&v| v as f64).sum();
        if !sum.is_finite() {
            return Err(SearchError::Params(
                "the time series holds non-finite samples (NaN or infinity)".into(),
            ));
        }
        let mean = sum / n as f64;
        let meanf = mean as f32;
        let (mut input, mut scratch) = self
            .buffers
            .lock()
            .map(|mut b| b.pop())
            .unwrap_or(None)
            .unwrap_or_default();
        input.clear();
        input.extend(ts.data.iter().map(|&v| v - meanf));
        let plan = self.plan(n);
        let mut amps = plan.make_output_vec();
        scratch.resize(plan.get_scratch_len(), Complex32::default());
        let result = plan.process_with_scratch(&mut input, &mut amps, &mut scratch);
        if let Ok(mut b) = self.buffers.lock() {
            b.push((input, scratch));
        }
        result.map_err(|e| SearchError::Params(format!("FFT failed: {e}")))?;
        // The mean was removed in f32; clear what rounding left in bin 0.
        amps[0] = Complex32::new(0.0, 0.0);
        Ok(Spectrum {
            amps,
            n_samples: n,
            dt: ts.info.dt,
            t_obs_s: n as f64 * ts.info.dt,
            dm: ts.info.dm,
            mean,
            info: ts.info.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(data: Vec<f32>, dt: f64) -> TimeSeries {
        TimeSeries {
            info: InfFile {
                n: data.len() as u64,
                dt,
                ..InfFile::default()
            },
            data,
        }
    }

    #[test]
    fn matches_a_naive_dft_for_odd_and_even_lengths() {
        let maker = SpectrumMaker::new();
        for n in [2usize, 3, 17, 64, 101, 1000] {
            let data: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 23) as f32 - 3.0 + (i as f32 * 0.3).sin())
                .collect();
            let s = maker.make(&series(data.clone(), 1e-3)).unwrap();
            assert_eq!(s.amps.len(), n / 2 + 1);
            let mean: f64 = data.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            for k in 1..s.amps.len() {
                let (mut re, mut im) = (0f64, 0f64);
                for (i, &v) in data.iter().enumerate() {
                    let ph = -2.0 * std::f64::consts::PI * (k * i) as f64 / n as f64;
                    re += (v as f64 - mean) * ph.cos();
                    im += (v as f64 - mean) * ph.sin();
                }
                let tol = 1e-4 * (n as f64) * 10.0;
                assert!((s.amps[k].re as f64 - re).abs() < tol, "n={n} k={k}");
                assert!((s.amps[k].im as f64 - im).abs() < tol, "n={n} k={k}");
            }
            assert_eq!(s.amps[0], Complex32::new(0.0, 0.0));
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let maker = SpectrumMaker::new();
        assert!(maker.make(&series(vec![1.0], 1e-3)).is_err());
        assert!(maker.make(&series(vec![1.0, f32::NAN, 2.0], 1e-3)).is_err());
        assert!(maker.make(&series(vec![1.0, 2.0], 0.0)).is_err());
    }
}
