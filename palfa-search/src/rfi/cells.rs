//! Statistics of one interval ("chunk") of the beam, channel by channel: mean,
//! standard deviation and the largest normalised Fourier power.
//!
//! The chunk arrives time-major (`data_tc`, as a [`SpectraSource`] yields it).
//! Channels are processed in parallel in groups of [`GROUP`]: a task copies its
//! group's columns out of the chunk in one sweep over the rows (each row read is
//! one cache line for 16 channels), then works on each channel contiguously.
//!
//! [`SpectraSource`]: palfa_core::beam::SpectraSource

use std::sync::Arc;

use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::RealToComplex;

use super::LOBIN;

/// Channels per parallel task (16 `f32` = one 64-byte cache line of a spectrum).
pub const GROUP: usize = 16;

/// Summed in blocks of this many samples in `f32` lanes, then added in `f64`.
const SUM_BLOCK: usize = 4096;
/// Lanes of the vectorisable sums.
const LANES: usize = 8;

/// The statistics of every channel of one chunk.
#[derive(Debug, Clone, Default)]
pub struct ChunkStats {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Sample standard deviation of each channel.
    pub std: Vec<f32>,
    /// Largest power `|X_k|² / (σ² n)` over Fourier bins `LOBIN ..= n/2` (0 for a
    /// constant channel); noise gives exponentially distributed powers of mean 1.
    pub max_power: Vec<f32>,
}

/// Per-task work space.
struct Scratch {
    cols: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    fft_scratch: Vec<Complex<f32>>,
}

/// Computes [`ChunkStats`] of the `n`-spectrum chunk `data_tc` (`n × nchan`,
/// time-major) with `fft`, a real FFT planned for length `n`.
///
/// # Panics
/// If `data_tc.len() != n * nchan` or `fft.len() != n`.
pub fn chunk_stats(data_tc: &[f32], n: usize, nchan: usize, fft: &Arc<dyn RealToComplex<f32>>) -> ChunkStats {
    assert_eq!(data_tc.len(), n * nchan, "chunk size");
    assert_eq!(fft.len(), n, "FFT length");
    let mut out = ChunkStats {
        mean: vec![0.0; nchan],
        std: vec![0.0; nchan],
        max_power: vec![0.0; nchan],
    };
    let make_scratch = || Scratch {
        cols: vec![0.0; GROUP * n],
        spectrum: fft.make_output_vec(),
        fft_scratch: fft.make_scratch_vec(),
    };
    out.mean
        .par_chunks_mut(GROUP)
        .zip(out.std.par_chunks_mut(GROUP))
        .zip(out.max_power.par_chunks_mut(GROUP))
        .enumerate()
        .for_each_init(make_scratch, |s, (g, ((mean, std), pow))| {
            let c0 = g * GROUP;
            let width = mean.len();
            gather(data_tc, nchan, c0, width, n, &mut s.cols);
            for k in 0..width {
                let x = &mut s.cols[k * n..(k + 1) * n];
                let (m, sd, p) = channel_stats(x, fft, &mut s.spectrum, &mut s.fft_scratch);
                mean[k] = m;
                std[k] = sd;
                pow[k] = p;
            }
        });
    out
}

/// Copies channels `c0 .. c0 + width` of the chunk into `cols` (channel-major).
fn gather(data_tc: &[f32], nchan: usize, c0: usize, width: usize, n: usize, cols: &mut [f32]) {
    for (t, row) in data_tc.chunks_exact(nchan).enumerate() {
        for (k, &v) in row[c0..c0 + width].iter().enumerate() {
            cols[k * n + t] = v;
        }
    }
}

/// Mean, standard deviation and maximum normalised power of one channel's
/// samples `x` (overwritten).
fn channel_stats(
    x: &mut [f32],
    fft: &Arc<dyn RealToComplex<f32>>,
    spectrum: &mut [Complex<f32>],
    scratch: &mut [Complex<f32>],
) -> (f32, f32, f32) {
    let n = x.len();
    let mean = sum(x) / n as f64;
    // Remove the mean in place: better FFT precision and a two-pass variance.
    let m32 = mean as f32;
    x.iter_mut().for_each(|v| *v -= m32);
    let ss = sum_sq(x);
    let var = if n > 1 { ss / (n as f64 - 1.0) } else { 0.0 };
    let std = var.sqrt();
    let mut pmax = 0.0f32;
    // A channel that is constant to f32 precision has no spectrum worth searching.
    if n / 2 >= LOBIN
        && std.is_finite()
        && std > 1e-5 * mean.abs().max(1e-30)
        && fft.process_with_scratch(x, spectrum, scratch).is_ok()
    {
        let raw = spectrum[LOBIN..=n / 2]
            .iter()
            .map(|c| c.re * c.re + c.im * c.im)
            .fold(0.0f32, f32::max);
        pmax = (raw as f64 / (var * n as f64)) as f32;
    }
    (mean as f32, std as f32, pmax)
}

/// Σ x, vectorisable: `f32` lanes within blocks, `f64` across blocks.
pub(crate) fn sum(x: &[f32]) -> f64 {
    x.chunks(SUM_BLOCK)
        .map(|b| {
            let mut acc = [0f32; LANES];
            let mut it = b.chunks_exact(LANES);
            for c in &mut it {
                for l in 0..LANES {
                    acc[l] += c[l];
                }
            }
            let tail: f32 = it.remainder().iter().sum();
            acc.iter().map(|&a| a as f64).sum::<f64>() + tail as f64
        })
        .sum()
}

/// Σ x², vectorised like [`sum`].
fn sum_sq(x: &[f32]) -> f64 {
    x.chunks(SUM_BLOCK)
        .map(|b| {
            let mut acc = [0f32; LANES];
            let mut it = b.chunks_exact(LANES);
            for c in &mut it {
                for l in 0..LANES {
                    acc[l] += c[l] * c[l];
                }
            }
            let tail: f32 = it.remainder().iter().map(|v| v * v).sum();
            acc.iter().map(|&a| a as f64).sum::<f64>() + tail as f64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    use realfft::RealFftPlanner;

    #[test]
    fn stats_of_noise_and_of_a_sinusoid() {
        let (n, nchan) = (4096usize, 37usize);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut data = vec![0f32; n * nchan];
        for t in 0..n {
            for c in 0..nchan {
                let z: f64 = StandardNormal.sample(&mut rng);
                let mut v = 100.0 + c as f64 + (1.0 + c as f64 * 0.1) * z;
                if c == 20 {
                    // A sinusoid of amplitude 0.5 σ at bin 300: power ≈ 0.25 n / 4 / (1 + 0.125) = 228.
                    v += 0.5 * (1.0 + c as f64 * 0.1) * (std::f64::consts::TAU * 300.0 * t as f64 / n as f64).cos();
                }
                if c == 30 {
                    v = 42.0;
                }
                data[t * nchan + c] = v as f32;
            }
        }
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let s = chunk_stats(&data, n, nchan, &fft);
        for c in 0..nchan {
            if c == 30 {
                assert_eq!((s.mean[c], s.std[c], s.max_power[c]), (42.0, 0.0, 0.0));
                continue;
            }
            let sigma = 1.0 + c as f32 * 0.1;
            // The sinusoid adds a variance of 0.125 σ².
            let total = if c == 20 { sigma * 1.125f32.sqrt() } else { sigma };
            // Mean within 5 standard errors; std within 5 % (its error is 1.1 %).
            assert!(
                (s.mean[c] - (100.0 + c as f32)).abs() < 5.0 * sigma / (n as f32).sqrt(),
                "c {c}"
            );
            assert!((s.std[c] / total - 1.0).abs() < 0.05, "c {c}: {}", s.std[c]);
            if c == 20 {
                assert!((200.0..320.0).contains(&s.max_power[c]), "{}", s.max_power[c]);
            } else {
                // The largest of 2044 exponential powers: ln 2044 ≈ 7.6, beyond 20 with p ≈ 4e-6.
                assert!((3.0..20.0).contains(&s.max_power[c]), "c {c}: {}", s.max_power[c]);
            }
        }
    }

    #[test]
    fn sums_match_plain_sums() {
        let x: Vec<f32> = (0..10_001).map(|i| (i % 17) as f32 - 3.0).collect();
        let plain: f64 = x.iter().map(|&v| v as f64).sum();
        assert!((sum(&x) - plain).abs() < 1e-6);
        let plain_sq: f64 = x.iter().map(|&v| (v as f64).powi(2)).sum();
        assert!((sum_sq(&x) - plain_sq).abs() < 1e-6 * plain_sq);
    }
}
