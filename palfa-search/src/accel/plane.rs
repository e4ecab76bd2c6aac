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
    /// Columns per row (`nblocks · uselen`; columns past the requested range are
    /// computed too, from zero-padded amplitudes).
    pub ncols: usize,
    /// `[z][column]` powers.
    pub data: Vec<f32>,
}

impl Plane {
    /// Row `j`.
    pub fn row(&self, j: usize) -> &[f32] {
        &self.data[j * self.ncols..(j + 1) * self.ncols]
    }

    /// Columns `[start, start + out.len())` of row `j` into `out`; columns
    /// outside the plane read as 0.
    pub fn copy_row(&self, j: usize, start: i64, out: &mut [f32]) {
        let row = self.row(j);
        for (t, o) in out.iter_mut().enumerate() {
            let c = start + t as i64;
            *o = if c >= 0 && (c as usize) < row.len() {
                row[c as usize]
            } else {
                0.0
            };
        }
    }
}

impl Correlator {
    /// Kernels for z = −zmax, −zmax+2, …, zmax (zmax even) with FFT length
    /// `fftlen` (a power of two, larger than 4 × the widest kernel half-width).
    pub fn new(zmax: u32, fftlen: usize) -> Self {
        let zs: Vec<f64> = (0..=zmax as usize).map(|j| -(zmax as f64) + 2.0 * j as f64).collect();
        let halfwidth = z_halfwidth(zmax as f64);
        // A multiple of 32 (the most harmonics summed), so every block starts
        // where each subharmonic's index pattern starts afresh.
        let uselen = (fftlen - 4 * halfwidth) / 32 * 32;
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

    /// The plane for columns `lo_half/2 + c/2`, `c` in `0..nr` (rounded up
    /// to whole blocks), from normalised amplitudes `amps` (bins outside it
    /// count as 0). `lo_half` must be even.
    ///
    /// `buf` is reused for the powers (every element is overwritten), so a
    /// caller that keeps it between searches avoids re-faulting hundreds of MB.
    pub fn plane(&self, amps: &[Complex32], lo_half: i64, nr: usize, parallel: bool, buf: Vec<f32>) -> Plane {
        let numz = self.numz();
        let u = self.uselen;
        let nblocks = nr.div_ceil(u).max(1);
        let ncols = nblocks * u;
        let mut data = buf;
        data.resize(numz * ncols, 0.0);
        if parallel {
            // Forward transforms of every block first, then rows in parallel.
            let fwd: Vec<Vec<Complex32>> = (0..nblocks)
                .into_par_iter()
                .map_init(
                    || Buffers::new(self),
                    |bufs, b| {
                        self.forward(amps, lo_half, b, bufs);
                        bufs.spread.clone()
                    },
                )
                .collect();
            data.par_chunks_mut(ncols).enumerate().for_each_init(
                || Buffers::new(self),
                |bufs, (j, row)| {
                    for (b, f) in fwd.iter().enumerate() {
                        self.correlate(f, j, &mut row[b * u..(b + 1) * u], bufs);
                    }
                },
            );
        } else {
            let mut bufs = Buffers::new(self);
            let mut f = vec![Complex32::default(); self.fftlen / 2];
            for b in 0..nblocks {
                self.forward(amps, lo_half, b, &mut bufs);
                f.copy_from_slice(&bufs.spread);
                for j in 0..numz {
                    let row = &mut data[j * ncols + b * u..j * ncols + (b + 1) * u];
                    self.correlate(&f, j, row, &mut bufs);
                }
            }
        }
        Plane {
            numz,
            uselen: u,
            nblocks,
            lo_half,
            ncols,
            data,
        }
    }

    /// Half-length FFT of block `b`'s amplitudes into `bufs.spread`.
    fn forward(&self, amps: &[Complex32], lo_half: i64, b: usize, bufs: &mut Buffers) {
        // First good output is at r = b0 + halfwidth, i.e. column b·uselen.
        let b0 = lo_half / 2 + (b * self.uselen / 2) as i64 - self.halfwidth as i64;
        for (k, v) in bufs.spread.iter_mut().enumerate() {
            let bin = b0 + k as i64;
            *v = if bin >= 0 && (bin as usize) < amps.len() {
                amps[bin as usize]
            } else {
                Complex32::default()
            };
        }
        // The FFT of the zero-interleaved block is the half-length FFT repeated.
        self.fwd_half.process_with_scratch(&mut bufs.spread, &mut bufs.scratch);
    }

    /// Row `j`'s powers of one block from its forward transform `f`.
    fn correlate(&self, f: &[Complex32], j: usize, out: &mut [f32], bufs: &mut Buffers) {
        let half = self.fftlen / 2;
        let kern = &self.kernels[j];
        let t = &mut bufs.work;
        let (klo, khi) = kern.split_at(half);
        let (tlo, thi) = t.split_at_mut(half);
        for ((o, &d), &g) in tlo.iter_mut().zip(f).zip(klo) {
            *o = d * g;
        }
        for ((o, &d), &g) in thi.iter_mut().zip(f).zip(khi) {
            *o = d * g;
        }
        self.inv.process_with_scratch(t, &mut bufs.scratch);
        let off = 2 * self.halfwidth;
        for (p, y) in out.iter_mut().zip(&t[off..off + self.uselen]) {
            *p = y.re * y.re + y.im * y.im;
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
        let plane = c.plane(&amps, 0, 6000, false, Vec::new());
        let mut best = (0f32, 0usize, 0usize);
        for j in 0..plane.numz {
            for (i, &p) in plane.row(j).iter().enumerate() {
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
        let p2 = c.plane(&amps, 0, 6000, true, vec![1.0; 5]);
        assert_eq!(p2.data, plane.data);
    }
}
