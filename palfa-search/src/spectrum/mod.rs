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
//! Lengths with large prime factors transform several times slower than
//! smooth ones (`rustfft` on a 2-core Xeon: 26 ns per point at 1 398 101 =
//! 23·89·683 against 3.0 at 1 399 680 = 2⁷·3⁷·5, and 38 ns at the prime-rich
//! 4 093 447 = 17·389·619 against 3.6 at 4 096 000): [`SpectrumMaker::padded`]
//! pads each series with its mean to the next [`smooth_len`], as PRESTO's
//! `prepdata`/`prepsubband` pad the series they write. Padding with the mean
//! adds no power: the Fourier amplitude of a signal at its frequency, and the
//! noise per bin, are those of the series' own samples; bins are only closer
//! (`1 / (N_padded·dt)`).
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
    /// Samples transformed (N): the series' own, and the padding of a
    /// [`SpectrumMaker::padded`] maker.
    pub n_samples: usize,
    /// Sample time \[s\].
    pub dt: f64,
    /// Length of the transformed series \[s\] (T = N·dt); bin width is 1/T \[Hz\].
    pub t_obs_s: f64,
    /// DM of the series \[pc cm⁻³\].
    pub dm: f64,
    /// The sample mean that was removed before the transform.
    pub mean: f64,
    /// Metadata of the series (written after the candidates of an ACCEL
    /// file); for a padded series `n` is `n_samples` and `onoff` ends where
    /// the series' own samples do, as PRESTO records padding.
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
/// [`SpectrumMaker::new`] transforms each series at its own length (what
/// PRESTO's `realfft` does with a `.dat`); [`SpectrumMaker::padded`] pads it
/// with its mean to [`smooth_len`] first (what the survey's search does).
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
    /// Amplitude vectors handed back by [`recycle`](Self::recycle), reused
    /// as outputs.
    outputs: Mutex<Vec<Vec<Complex32>>>,
    /// Pad each series to [`smooth_len`].
    pad: bool,
}

impl std::fmt::Debug for SpectrumMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lens: Vec<usize> = self
            .plans
            .lock()
            .map(|p| p.keys().copied().collect())
            .unwrap_or_default();
        f.debug_struct("SpectrumMaker")
            .field("padded", &self.pad)
            .field("planned_lengths", &lens)
            .finish()
    }
}

impl SpectrumMaker {
    /// A maker with no plans yet, transforming each series at its own length.
    pub fn new() -> Self {
        Self::default()
    }

    /// A maker that pads each series with its mean to [`smooth_len`] of its
    /// length before the transform.
    pub fn padded() -> Self {
        Self {
            pad: true,
            ..Self::default()
        }
    }

    /// Points the transform of a series of `n` samples has (`n` itself, or
    /// [`smooth_len`]`(n)` for a padded maker).
    pub fn fft_len(&self, n: usize) -> usize {
        if self.pad {
            smooth_len(n)
        } else {
            n
        }
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

    /// Hands `spec`'s amplitude vector back, to be the output of a later
    /// [`make`](Self::make) (a multi-MB vector that would otherwise be
    /// allocated and page-faulted afresh for every series). At most
    /// [`KEPT_OUTPUTS`] are kept.
    pub fn recycle(&self, spec: Spectrum) {
        if let Ok(mut o) = self.outputs.lock() {
            if o.len() < KEPT_OUTPUTS {
                o.push(spec.amps);
            }
        }
    }

    /// Frees the buffers kept between calls (the plans stay).
    pub fn release_buffers(&self) {
        if let Ok(mut o) = self.outputs.lock() {
            *o = Vec::new();
        }
        if let Ok(mut b) = self.buffers.lock() {
            *b = Vec::new();
        }
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
        let sum = sum_f64(&ts.data);
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
        let n_fft = self.fft_len(n);
        input.clear();
        input.extend(ts.data.iter().map(|&v| v - meanf));
        // Padding with the mean: zeros once it is removed.
        input.resize(n_fft, 0.0);
        let plan = self.plan(n_fft);
        let mut amps = self
            .outputs
            .lock()
            .map(|mut o| o.pop())
            .unwrap_or(None)
            .unwrap_or_default();
        // Every element is overwritten by the transform.
        amps.resize(n_fft / 2 + 1, Complex32::default());
        scratch.resize(plan.get_scratch_len(), Complex32::default());
        let result = plan.process_with_scratch(&mut input, &mut amps, &mut scratch);
        if let Ok(mut b) = self.buffers.lock() {
            b.push((input, scratch));
        }
        result.map_err(|e| SearchError::Params(format!("FFT failed: {e}")))?;
        // The mean was removed in f32; clear what rounding left in bin 0.
        amps[0] = Complex32::new(0.0, 0.0);
        let mut info = ts.info.clone();
        if n_fft != n {
            info.n = n_fft as u64;
            if info.onoff.is_empty() {
                info.onoff = vec![(0, n as u64 - 1)];
            }
        }
        Ok(Spectrum {
            amps,
            n_samples: n_fft,
            dt: ts.info.dt,
            t_obs_s: n_fft as f64 * ts.info.dt,
            dm: ts.info.dm,
            mean,
            info,
        })
    }
}

/// Amplitude vectors a [`SpectrumMaker`] keeps for reuse at most.
pub const KEPT_OUTPUTS: usize = 8;

/// `Σ data` in `f64`, in eight independent partial sums (which vectorise;
/// one running sum is a chain of dependent adds, 4 cycles each).
#[multiversion::multiversion(targets = "simd")]
fn sum_f64(data: &[f32]) -> f64 {
    let mut acc = [0f64; 8];
    let chunks = data.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().map(|&v| v as f64).sum();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v as f64;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// The smallest even length at least `n` (and at least 2) with no prime
/// factor above 7: `2^a·3^b·5^c·7^d`, a ≥ 1, which `realfft` transforms
/// through a complex FFT of half the length made of `rustfft`'s fastest
/// butterflies. Padding to one adds at most 1.1 % to series of 10^6–10^7
/// samples, 1.6 % to 10^5–10^6 and 2.0 % to 10^4–10^5 (4 093 447 →
/// 4 096 000, 1 398 101 → 1 399 680, 381 819 → 384 000). A length whose
/// smooth successor would not fit a `usize` is returned as it is.
pub fn smooth_len(n: usize) -> usize {
    let n = n.max(2) as u128;
    let mut best = u128::MAX;
    // Every 7^d·5^c·3^b up to n, each times the smallest power of two (at
    // least 2) that reaches n.
    let mut p7 = 1u128;
    while p7 < 2 * n {
        let mut p5 = p7;
        while p5 < 2 * n {
            let mut p3 = p5;
            while p3 < 2 * n {
                let mut m = 2 * p3;
                while m < n {
                    m *= 2;
                }
                best = best.min(m);
                p3 *= 3;
            }
            p5 *= 5;
        }
        p7 *= 7;
    }
    usize::try_from(best).unwrap_or(n as usize)
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

    /// Spectra made into recycled vectors (longer, shorter, holding old
    /// amplitudes) are bit for bit those of a fresh maker.
    #[test]
    fn recycled_outputs_give_the_same_spectra() {
        let maker = SpectrumMaker::padded();
        let fresh = SpectrumMaker::padded();
        for (i, n) in [1000usize, 300, 4097, 4097, 17, 2500].into_iter().enumerate() {
            let data: Vec<f32> = (0..n).map(|k| ((k * 31 + i) % 13) as f32 + 100.0).collect();
            let ts = series(data, 1e-3);
            let s = maker.make(&ts).unwrap();
            assert_eq!(s, fresh.make(&ts).unwrap(), "n {n}");
            maker.recycle(s);
        }
        maker.release_buffers();
        let ts = series(vec![1.0, 2.0, 5.0], 1e-3);
        assert_eq!(maker.make(&ts).unwrap(), fresh.make(&ts).unwrap());
        // The sum that gives the mean: eight partial sums and a tail.
        let v: Vec<f32> = (0..1003).map(|k| k as f32 * 0.5).collect();
        assert_eq!(sum_f64(&v), 1002.0 * 1003.0 / 4.0);
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

    fn is_smooth_and_even(m: usize) -> bool {
        let mut r = m;
        for p in [2, 3, 5, 7] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        r == 1 && m.is_multiple_of(2)
    }

    #[test]
    fn smooth_lengths_are_the_next_even_7_smooth_ones() {
        for n in 0..20_000usize {
            let m = smooth_len(n);
            let want = (n.max(2)..).find(|&k| is_smooth_and_even(k)).unwrap();
            assert_eq!(m, want, "n = {n}");
        }
        for (n, m) in [
            (4_093_447, 4_096_000),
            (1_398_101, 1_399_680),
            (1 << 22, 1 << 22),
            (381_819, 384_000),
        ] {
            assert_eq!(smooth_len(n), m);
        }
        // Past the last smooth usize nothing is padded.
        assert_eq!(smooth_len(usize::MAX - 1), usize::MAX - 1);
    }

    #[test]
    fn padding_keeps_a_signal_at_its_frequency_and_power() {
        // 50.3 Hz over 10 007 samples of 1 ms (a prime length), padded to 10 080.
        let (n, dt, f) = (10_007usize, 1e-3, 50.3);
        let data: Vec<f32> = (0..n)
            .map(|i| 3.0 + (2.0 * std::f64::consts::PI * f * i as f64 * dt).sin() as f32)
            .collect();
        let ts = series(data, dt);
        let exact = SpectrumMaker::new().make(&ts).unwrap();
        let padded = SpectrumMaker::padded().make(&ts).unwrap();
        assert_eq!((padded.n_samples, padded.amps.len()), (10_080, 5041));
        assert_eq!(padded.info.n, 10_080);
        assert_eq!(padded.info.onoff, vec![(0, n as u64 - 1)]);
        assert!((padded.t_obs_s - 10.08).abs() < 1e-12);
        assert_eq!(exact.info, ts.info);
        let peak = |s: &Spectrum| {
            let k = (1..s.amps.len())
                .max_by(|&a, &b| s.amps[a].norm_sqr().total_cmp(&s.amps[b].norm_sqr()))
                .unwrap();
            (s.freq_hz(k as f64), s.amps[k].norm_sqr())
        };
        let ((fe, pe), (fp, pp)) = (peak(&exact), peak(&padded));
        // Each within half a bin of 50.3 Hz; the padded bin lies nearer.
        assert!((fe - f).abs() <= 0.5 / exact.t_obs_s && (fp - f).abs() <= 0.5 / padded.t_obs_s);
        // The amplitude at the signal's frequency is the series' own: the
        // exact spectrum's nearest bin (0.34 bins off) has less of it.
        let full = (n as f64 / 2.0).powi(2);
        assert!((pp as f64 / full - 1.0).abs() < 0.02, "{pp} vs {full}");
        assert!(pe < pp);
        // The mean went nowhere: bin 0 empty, no low-frequency leakage from the padding.
        assert_eq!(padded.amps[0], Complex32::new(0.0, 0.0));
        assert!(padded.amps[1..20].iter().all(|a| a.norm_sqr() < 1e-3 * full as f32));
        // A smooth length is not padded.
        let even = series(vec![1.0; 4096], dt);
        assert_eq!(SpectrumMaker::padded().make(&even).unwrap().n_samples, 4096);
    }

    #[test]
    fn bad_input_is_an_error() {
        let maker = SpectrumMaker::new();
        assert!(maker.make(&series(vec![1.0], 1e-3)).is_err());
        assert!(maker.make(&series(vec![1.0, f32::NAN, 2.0], 1e-3)).is_err());
        assert!(maker.make(&series(vec![1.0, 2.0], 0.0)).is_err());
    }
}
