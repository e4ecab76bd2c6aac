//! The Fourier-frequency / frequency-derivative ("f-ḟ") power plane.
//!
//! Powers on a grid of half Fourier bins in r (PRESTO's ACCEL_NUMBETWEEN = 2)
//! and steps of 2 in z, from −zmax to +zmax, made by correlating the normalised
//! amplitudes with each z's response kernel ([`super::response`]) by
//! overlap-save FFT blocks. The plane is computed once for the whole searched
//! range (down to the lowest subharmonic), so the harmonic sum looks
//! subharmonics up instead of recomputing them (PRESTO's `-inmem` mode).
//!
//! Layout: block-major, `[block][z][u]` with `u` the half-bin within a block of
//! [`Correlator::uselen`] half-bins, so each FFT block writes one contiguous
//! chunk (and blocks can be computed in parallel).

use std::sync::Arc;

use rayon::prelude::*;
use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::response::{z_halfwidth, z_response};

/// Correlation kernels and FFT plans for one zmax and block length.
pub(crate) struct Correlator {
    /// FFT length (complex points, half-bin spaced).
    pub fftlen: usize,
    /// Good output half-bins per block.
    pub uselen: usize,
    /// Largest kernel half-width \[bins\].
    pub halfwidth: usize,
    /// z of each row.
    pub zs: Vec<f64>,
    /// FFT of each row's kernel (conjugated response, scaled by 1/fftlen).
    kernels: Vec<Vec<Complex32>>,
    fwd_half: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
}

/// The computed plane.
pub(crate) struct Plane {
    /// Rows (z values).
    pub numz: usize,
    /// Half-bins per block.
    pub uselen: usize,
    /// Blocks.
    pub nblocks: usize,
    /// Half-bin index (2·r) of plane column 0.
    pub lo_half: i64,
    /// Columns that hold data (the rest of the last block is padding).
    pub nr: usize,
    /// `[block][z][u]` powers.
    pub data: Vec<f32>,
}

impl Plane {
    /// Powers of row `j` for columns `[start, start + out.len())`, copied into `out`
    /// (columns past the end read as 0).
    pub fn copy_row(&self, j: usize, start: usize, out: &mut [f32]) {
        let mut col = start;
        let mut done = 0;
        while done < out.len() {
            let b = col / self.uselen;
            let u = col % self.uselen;
            let n = (self.uselen - u).min(out.len() - done);
            if b >= self.nblocks {
                out[done..].fill(0.0);
                return;
            }
            let base = (b * self.numz + j) * self.uselen + u;
            out[done..done + n].copy_from_slice(&self.data[base..base + n]);
            done += n;
            col += n;
        }
    }

    /// Row `j` of block `b`.
    pub fn block_row(&self, b: usize, j: usize) -> &[f32] {
        let base = (b * self.numz + j) * self.uselen;
        &self.data[base..base + self.uselen]
    }
}

impl Correlator {
    /// Kernels for z = −zmax, −zmax+2, …, zmax (zmax even) with FFT length
    /// `fftlen` (a power of two, larger than 4 × the widest kernel half-width).
    pub fn new(zmax: u32, fftlen: usize) -> Self {
        let zs: Vec<f64> = (0..=zmax as usize).map(|j| -(zmax as f64) + 2.0 * j as f64).collect();
        let halfwidth = z_halfwidth(zmax as f64);
        let uselen = fftlen - 4 * halfwidth;
        let mut planner = FftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(fftlen);
        let fwd_half = planner.plan_fft_forward(fftlen / 2);
        let inv = planner.plan_fft_inverse(fftlen);
        let mut scratch = vec![Complex32::default(); fwd.get_inplace_scratch_len()];
        let kernels = zs
            .iter()
            .map(|&z| {
                let hw = z_halfwidth(z) as i64;
                let mut g = vec![Complex32::default(); fftlen];
                for q in -2 * hw..=2 * hw {
                    let k = z_response(q as f64 * 0.5, z).conj() / fftlen as f64;
                    g[q.rem_euclid(fftlen as i64) as usize] = Complex32::new(k.re as f32, k.im as f32);
                }
                fwd.process_with_scratch(&mut g, &mut scratch);
                g
            })
            .collect();
        Self {
            fftlen,
            uselen,
            halfwidth,
            zs,
            kernels,
            fwd_half,
            inv,
        }
    }

    /// Rows of the plane.
    pub fn numz(&self) -> usize {
        self.zs.len()
    }

    /// The plane for columns `lo_half/2 + c/2`, `c` in `0..nr`, from normalised
    /// amplitudes `amps` (bins outside it count as 0). `lo_half` must be even.
    pub fn plane(&self, amps: &[Complex32], lo_half: i64, nr: usize, parallel: bool) -> Plane {
        let numz = self.numz();
        let u = self.uselen;
        let nblocks = nr.div_ceil(u).max(1);
        let mut data = vec![0f32; nblocks * numz * u];
        let work = |bufs: &mut Buffers, (b, chunk): (usize, &mut [f32])| self.block(amps, lo_half, b, chunk, bufs);
        if parallel {
            data.par_chunks_mut(numz * u)
                .enumerate()
                .for_each_init(|| Buffers::new(self), work);
        } else {
            let mut bufs = Buffers::new(self);
            data.chunks_mut(numz * u).enumerate().for_each(|x| work(&mut bufs, x));
        }
        Plane {
            numz,
            uselen: u,
            nblocks,
            lo_half,
            nr,
            data,
        }
    }

    fn block(&self, amps: &[Complex32], lo_half: i64, b: usize, out: &mut [f32], bufs: &mut Buffers) {
        let half = self.fftlen / 2;
        // First good output is at r = b0 + halfwidth, i.e. column b·uselen.
        let b0 = lo_half / 2 + (b * self.uselen / 2) as i64 - self.halfwidth as i64;
        let f = &mut bufs.spread;
        for (k, v) in f.iter_mut().enumerate() {
            let bin = b0 + k as i64;
            *v = if bin >= 0 && (bin as usize) < amps.len() {
                amps[bin as usize]
            } else {
                Complex32::default()
            };
        }
        // The FFT of the zero-interleaved block is the half-length FFT repeated.
        self.fwd_half.process_with_scratch(f, &mut bufs.scratch);
        let off = 2 * self.halfwidth;
        for (j, kern) in self.kernels.iter().enumerate() {
            let t = &mut bufs.work;
            let (klo, khi) = kern.split_at(half);
            let (tlo, thi) = t.split_at_mut(half);
            for ((o, &d), &g) in tlo.iter_mut().zip(f.iter()).zip(klo) {
                *o = d * g;
            }
            for ((o, &d), &g) in thi.iter_mut().zip(f.iter()).zip(khi) {
                *o = d * g;
            }
            self.inv.process_with_scratch(t, &mut bufs.scratch);
            let row = &mut out[j * self.uselen..(j + 1) * self.uselen];
            for (p, y) in row.iter_mut().zip(&t[off..off + self.uselen]) {
                *p = y.norm_sqr();
            }
        }
    }
}

/// Per-thread buffers of one block's correlation.
struct Buffers {
    spread: Vec<Complex32>,
    work: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl Buffers {
    fn new(c: &Correlator) -> Self {
        let s = c
            .inv
            .get_inplace_scratch_len()
            .max(c.fwd_half.get_inplace_scratch_len());
        Self {
            spread: vec![Complex32::default(); c.fftlen / 2],
            work: vec![Complex32::default(); c.fftlen],
            scratch: vec![Complex32::default(); s],
        }
    }
}

/// The FFT length used for a largest kernel half-width: a power of two at least
/// 8 × the kernel's full width in half-bins (so at most 1/8 of each FFT is
/// overlap), and at least 1024.
pub(crate) fn default_fftlen(halfwidth: usize) -> usize {
    (8 * 4 * halfwidth).next_power_of_two().max(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pure drifting sinusoid's spectrum, computed from the response itself.
    fn drifting_tone(nbins: usize, r: f64, z: f64, amp: f64) -> Vec<Complex32> {
        (0..nbins)
            .map(|k| {
                let v = z_response(r - k as f64, z) * amp;
                Complex32::new(v.re as f32, v.im as f32)
            })
            .collect()
    }

    #[test]
    fn plane_peaks_at_the_signal_r_and_z() {
        let zmax = 20;
        let c = Correlator::new(zmax, default_fftlen(z_halfwidth(zmax as f64)));
        let amps = drifting_tone(3000, 1234.5, 8.0, 10.0);
        let plane = c.plane(&amps, 0, 6000, false);
        let mut best = (0f32, 0usize, 0usize);
        for j in 0..plane.numz {
            let mut row = vec![0f32; plane.nr];
            plane.copy_row(j, 0, &mut row);
            for (i, &p) in row.iter().enumerate() {
                if p > best.0 {
                    best = (p, i, j);
                }
            }
        }
        assert_eq!(best.1, 2469, "r index");
        assert_eq!(c.zs[best.2], 8.0);
        // Power = amp² × (fraction of |K|² inside the kernel)²; at half-bin
        // offsets the truncated tails hold ~1% of the power.
        assert!(best.0 > 97.0 && best.0 <= 100.0, "{}", best.0);
        // The same with parallel blocks.
        let p2 = c.plane(&amps, 0, 6000, true);
        assert_eq!(p2.data, plane.data);
    }
}
