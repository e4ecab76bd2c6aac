//! Statistics of one interval ("chunk") of the beam, channel by channel: mean,
//! standard deviation and the largest normalised Fourier power.
//!
//! The beam arrives time-major (as a [`SpectraSource`] yields it). An interval
//! is read in blocks of about [`READ_BLOCK_BYTES`]; each block, still in cache,
//! is transposed into a channel-major [`ChunkBuffer`] (in parallel over groups
//! of [`GROUP`] channels). The statistics then work on each channel's samples
//! contiguously, in parallel over channels; while a channel is in cache its
//! normalised samples are also added to its quarter band's sum for the
//! band-sum clip test.
//!
//! [`SpectraSource`]: palfa_core::beam::SpectraSource

use std::sync::Arc;

use palfa_core::beam::SpectraSource;
use rayon::prelude::*;
use realfft::num_complex::Complex;
use realfft::RealToComplex;

use super::clip::{CHANNEL_CLAMP_SIGMA, NQ};
use super::LOBIN;
use crate::error::SearchResult;

/// Channels per parallel transposition task (16 `f32` = one 64-byte cache line).
pub const GROUP: usize = 16;

/// Bytes of spectra read at a time (transposed while they are in cache).
pub const READ_BLOCK_BYTES: usize = 1 << 20;

/// Padding between channel rows of the buffer \[f32\]: a stride that is a
/// multiple of a large power of two would crowd the channels into a few cache sets.
const COL_PAD: usize = 16;

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

/// One interval of the beam, channel-major: channel `c`'s samples are
/// `data[c * stride .. c * stride + len]`.
pub struct ChunkBuffer {
    /// The samples.
    pub data: Vec<f32>,
    /// Distance between channels \[f32\].
    pub stride: usize,
    /// Channels.
    pub nchan: usize,
    /// Spectra held.
    pub len: usize,
    block: Vec<f32>,
}

impl ChunkBuffer {
    /// A buffer for intervals of up to `ptsperint` spectra of `nchan` channels.
    pub fn new(nchan: usize, ptsperint: usize) -> Self {
        let stride = ptsperint + COL_PAD;
        let block_spectra = (READ_BLOCK_BYTES / (4 * nchan.max(1))).clamp(1, ptsperint);
        Self {
            data: vec![0.0; nchan * stride],
            stride,
            nchan,
            len: 0,
            block: vec![0.0; block_spectra * nchan],
        }
    }

    /// Channel `c`'s samples.
    #[cfg(test)]
    pub fn channel(&self, c: usize) -> &[f32] {
        &self.data[c * self.stride..c * self.stride + self.len]
    }

    /// Reads up to `ptsperint` spectra (fewer at the end of the beam) from
    /// `source`; returns how many were read.
    pub fn fill(&mut self, source: &mut dyn SpectraSource, ptsperint: usize) -> SearchResult<usize> {
        let nchan = self.nchan;
        let per_block = self.block.len() / nchan;
        self.len = 0;
        while self.len < ptsperint {
            let want = per_block.min(ptsperint - self.len);
            let n = source.read_spectra(&mut self.block[..want * nchan])?;
            if n == 0 {
                break;
            }
            let (t0, stride, block) = (self.len, self.stride, &self.block[..n * nchan]);
            self.data
                .par_chunks_mut(GROUP * stride)
                .enumerate()
                .for_each(|(g, rows)| transpose_group(block, nchan, g * GROUP, rows, stride, t0));
            self.len += n;
        }
        Ok(self.len)
    }
}

/// Copies channels `c0 ..` (as many as `rows` holds, ≤ [`GROUP`]) of the
/// time-major `block` into `rows` (channel-major, `stride` apart) from
/// position `t0`. Works in 16 × 16 tiles: a row of the block is one cache line
/// per tile and the strided reads stay in a 1-KiB local array (a block's rows
/// are `nchan × 4` bytes apart, which would crowd a few L1 sets).
fn transpose_group(block: &[f32], nchan: usize, c0: usize, rows: &mut [f32], stride: usize, t0: usize) {
    let width = rows.len().div_ceil(stride).min(GROUP);
    let n = block.len() / nchan;
    let mut tile = [[0f32; GROUP]; GROUP];
    let mut flipped = [[0f32; GROUP]; GROUP];
    let mut r0 = 0;
    while r0 < n {
        let h = GROUP.min(n - r0);
        if h == GROUP && width == GROUP {
            // Whole tiles: fixed-size copies the compiler can inline and unroll.
            for (r, line) in tile.iter_mut().enumerate() {
                let at = (r0 + r) * nchan + c0;
                *line = block[at..at + GROUP].try_into().expect("GROUP values");
            }
            transpose_tile(&tile, &mut flipped);
            for (k, line) in flipped.iter().enumerate() {
                let at = k * stride + t0 + r0;
                let out: &mut [f32; GROUP] = (&mut rows[at..at + GROUP]).try_into().expect("GROUP values");
                *out = *line;
            }
        } else {
            for r in 0..h {
                for k in 0..width {
                    rows[k * stride + t0 + r0 + r] = block[(r0 + r) * nchan + c0 + k];
                }
            }
        }
        r0 += h;
    }
}

/// `out[k][r] = tile[r][k]`.
#[inline(always)]
fn transpose_tile(tile: &[[f32; GROUP]; GROUP], out: &mut [[f32; GROUP]; GROUP]) {
    for (k, line) in out.iter_mut().enumerate() {
        for (r, v) in line.iter_mut().enumerate() {
            *v = tile[r][k];
        }
    }
}

/// Per-task work space, and the task's share of the quarter-band sums.
struct Local {
    spectrum: Vec<Complex<f32>>,
    fft_scratch: Vec<Complex<f32>>,
    /// `NQ × n`: Σ over this task's channels of clamp((x − μ)/σ), per quarter band.
    quarters: Vec<f32>,
}

/// Computes [`ChunkStats`] of the interval in `buf` with `fft`, a real FFT
/// planned for length `buf.len`. The samples in the buffer are destroyed.
///
/// While a channel is in cache its normalised samples, clamped to
/// ±[`CHANNEL_CLAMP_SIGMA`], are also added to the sum of its quarter band
/// `quarter_of[c]` (`None`: left out); the sums (`NQ × n`, quarter-major) are
/// returned beside the statistics, for the clip test.
///
/// # Panics
/// If `fft.len() != buf.len` or `quarter_of.len() != buf.nchan`.
pub fn chunk_stats(
    buf: &mut ChunkBuffer,
    fft: &Arc<dyn RealToComplex<f32>>,
    quarter_of: &[Option<usize>],
) -> (ChunkStats, Vec<f32>) {
    let (n, nchan, stride) = (buf.len, buf.nchan, buf.stride);
    assert_eq!(fft.len(), n, "FFT length");
    assert_eq!(quarter_of.len(), nchan, "one quarter per channel");
    let want_sums = quarter_of.iter().any(Option::is_some);
    let mut out = ChunkStats {
        mean: vec![0.0; nchan],
        std: vec![0.0; nchan],
        max_power: vec![0.0; nchan],
    };
    let init = || Local {
        spectrum: fft.make_output_vec(),
        fft_scratch: fft.make_scratch_vec(),
        quarters: if want_sums { vec![0.0; NQ * n] } else { Vec::new() },
    };
    // Few, large tasks: each owns a quarter-sum buffer that is added up at the end.
    let min_len = nchan.div_ceil(4 * rayon::current_num_threads().max(1));
    let sums = buf
        .data
        .par_chunks_mut(stride)
        .zip(out.mean.par_iter_mut())
        .zip(out.std.par_iter_mut())
        .zip(out.max_power.par_iter_mut())
        .enumerate()
        .with_min_len(min_len)
        .fold(init, |mut l, (c, (((row, mean), std), pow))| {
            let x = &mut row[..n];
            let (m, var) = mean_var_in_place(x);
            let sd = var.sqrt();
            (*mean, *std) = (m as f32, sd as f32);
            if let Some(q) = quarter_of[c] {
                if usable(*mean, *std) {
                    let inv = 1.0 / *std;
                    for (a, &v) in l.quarters[q * n..(q + 1) * n].iter_mut().zip(x.iter()) {
                        *a += (v * inv).clamp(-CHANNEL_CLAMP_SIGMA, CHANNEL_CLAMP_SIGMA);
                    }
                }
            }
            // Last: the FFT overwrites the samples.
            *pow = max_power(x, m, var, fft, &mut l);
            l
        })
        .map(|l| l.quarters)
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
            a
        })
        .unwrap_or_default();
    (out, sums)
}

/// A channel whose statistics can normalise it: finite, and not constant to
/// `f32` precision.
pub fn usable(mean: f32, std: f32) -> bool {
    mean.is_finite() && std.is_finite() && std > 1e-5 * mean.abs().max(1e-30)
}

/// Mean and sample variance of `x`, which is left less its mean (better FFT
/// precision, a two-pass variance, and the deviations the clip test wants).
fn mean_var_in_place(x: &mut [f32]) -> (f64, f64) {
    let n = x.len();
    let mean = sum(x) / n as f64;
    let m32 = mean as f32;
    x.iter_mut().for_each(|v| *v -= m32);
    let var = if n > 1 { sum_sq(x) / (n as f64 - 1.0) } else { 0.0 };
    (mean, var)
}

/// Largest normalised power of the mean-subtracted samples `x` (destroyed)
/// over bins [`LOBIN`]`..=n/2`; 0 for a channel constant to `f32` precision.
fn max_power(x: &mut [f32], mean: f64, var: f64, fft: &Arc<dyn RealToComplex<f32>>, l: &mut Local) -> f32 {
    let n = x.len();
    let std = var.sqrt();
    if n / 2 < LOBIN || !std.is_finite() || std <= 1e-5 * mean.abs().max(1e-30) {
        return 0.0;
    }
    if fft
        .process_with_scratch(x, &mut l.spectrum, &mut l.fft_scratch)
        .is_err()
    {
        return 0.0;
    }
    let raw = l.spectrum[LOBIN..=n / 2]
        .iter()
        .map(|c| c.re * c.re + c.im * c.im)
        .fold(0.0f32, f32::max);
    (raw as f64 / (var * n as f64)) as f32
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
        let mut src = super::super::tests::mem_source(data.clone(), nchan, 1e-3);
        let mut buf = ChunkBuffer::new(nchan, n);
        assert_eq!(buf.fill(&mut src, n).unwrap(), n);
        // The transposition is exact.
        for c in [0, 11, 15, 16, 36] {
            assert!(
                buf.channel(c)
                    .iter()
                    .enumerate()
                    .all(|(t, &v)| v == data[t * nchan + c]),
                "channel {c}"
            );
        }
        let quarter_of: Vec<Option<usize>> = (0..nchan).map(|c| Some(c * NQ / nchan)).collect();
        let (s, sums) = chunk_stats(&mut buf, &fft, &quarter_of);
        // The quarter sums: Σ clamp((x − μ)/σ) over each quarter's usable channels.
        for t in [0, 1, 2047, 4095] {
            for q in 0..NQ {
                let want: f32 = (0..nchan)
                    .filter(|&c| quarter_of[c] == Some(q) && c != 30)
                    .map(|c| ((data[t * nchan + c] - s.mean[c]) / s.std[c]).clamp(-5.0, 5.0))
                    .sum();
                assert!((sums[q * n + t] - want).abs() < 1e-3, "t {t} q {q}");
            }
        }
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
