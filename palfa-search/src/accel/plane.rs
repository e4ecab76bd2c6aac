//! The Fourier-frequency / frequency-derivative ("f-ḟ") power plane.
//!
//! Powers on a grid of half Fourier bins in r (PRESTO's ACCEL_NUMBETWEEN = 2)
//! and steps of 2 in z, from −zmax to +zmax, made by correlating the normalised
//! amplitudes with each z's response kernel ([`super::response`]) by
//! overlap-save FFT blocks. The plane is kept for the whole searched range
//! (down to the lowest subharmonic), so the harmonic sum looks subharmonics
//! up instead of recomputing them (PRESTO's `-inmem` mode); it is computed
//! block by block, low frequencies first, and each block is summed as soon as
//! the lower-frequency blocks its subharmonics come from exist, while its own
//! powers are still in cache ([`super::sweep`]).
//!
//! Layout: `[z][column]` with `column` the half-bin from [`Plane::lo_half`];
//! each FFT block of [`Correlator::uselen`] half-bins writes one stretch of
//! every row. Only what the harmonic sum looks up is stored
//! ([`Correlator::empty_plane_for_sums`]): a subharmonic at fraction k/H < 1
//! of the highest harmonic reads rows with |z| ≤ zmax·k/H and columns up to
//! k/H of the searched range, so the rows beyond |z| ≈ (H−1)/H·zmax and the
//! columns beyond (H−1)/H of the range are never kept (a quarter of the
//! plane at zmax 50, 8 harmonics). Up to 8 harmonics the plane also keeps its
//! envelope, each 8 columns' largest power ([`super::envelope`]), and its
//! buffer is advised for huge pages ([`HugeBuf`]).

use std::ops::Range;
use std::sync::Arc;

use multiversion::{multiversion, target::match_target};
use rayon::prelude::*;
use rustfft::num_complex::{Complex32, Complex64};
use rustfft::{Fft, FftPlanner};

use super::envelope::{self, TILE};
use super::half_store;
use super::response::{z_halfwidth, z_response};
use super::row_dft::{RowBuffers, RowDft, Split};
use crate::hugebuf::HugeBuf;

/// Fewest plane rows for which [`Correlator`] uses the AVX-512 row
/// transform: it takes each block's spectrum apart into real and imaginary
/// parts first, which a plane of one row (the zmax = 0 search) does not
/// repay (one core, 2^22-point spectrum: 30.5 against 28.6 ms).
const FUSED_MIN_ROWS: usize = 4;

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
    /// Each row's kernel folded for the two half-length inverse transforms
    /// (see [`fold_kernel`]): `fftlen / 2` values for the even outputs, then
    /// `fftlen / 2` for the odd ones.
    kernels: Vec<Vec<Complex32>>,
    /// With AVX-512: the row transform that multiplies, transforms and
    /// takes powers in one pass ([`RowDft`]), and each row's folded kernel
    /// for it (even half, odd half); `kernels` is then left empty.
    row: Option<(RowDft, Vec<(Split, Split)>)>,
    fwd_half: Arc<dyn Fft<f32>>,
    /// Inverse transform of `fftlen / 2` points.
    inv_half: Arc<dyn Fft<f32>>,
}

/// The plane's powers, stored in half precision ([`half_store`]: 11
/// significant bits, a relative rounding error of at most 2^−11 ≈ 4.9e-4, far
/// below the noise in any power; powers above 65504 are stored as 65504), so
/// it takes
/// half the memory and half the memory traffic of `f32`. The harmonic sum
/// reads each block's own powers (the highest harmonic) in full precision
/// from the block just computed, and only the subharmonics from here.
pub(crate) struct Plane {
    /// Rows (z values) of the whole plane.
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
    /// The rows kept (the others are computed but not stored).
    pub rows: Range<usize>,
    /// Columns kept per row, from column 0 (`≤ ncols`).
    pub stored: usize,
    /// Tiles of the envelope per row (`stored.div_ceil(TILE)`; 0 for a plane
    /// kept without one, [`envelope::keeps_envelope`]).
    pub tiles: usize,
    /// `[z − rows.start][column]` powers as half-precision bits, then the
    /// envelope ([`super::envelope`]): the largest power of each tile of
    /// [`TILE`] columns, also as half bits (the largest of the stored halves:
    /// rounding to half precision keeps the order), stored by block,
    /// `[block][z − rows.start][tile of the block]`, so that the tiles one
    /// sum reads of consecutive rows lie together in memory.
    pub data: HugeBuf<u16>,
}

/// The rows and leading columns of a plane that are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extent {
    /// Rows (indices into the plane's z values).
    pub rows: Range<usize>,
    /// Columns from column 0.
    pub cols: usize,
}

impl Plane {
    /// Row `j`.
    #[cfg(test)]
    pub fn row(&self, j: usize) -> &[u16] {
        let r = j - self.rows.start;
        &self.data[r * self.stored..(r + 1) * self.stored]
    }

    /// Columns `[start, start + out.len())` of row `j` into `out` as `f32`;
    /// columns outside the plane read as 0.
    ///
    /// # Panics
    /// If row `j` is not stored, or columns past [`stored`](Self::stored)
    /// but inside the plane are read: the plane was trimmed to less than
    /// its reader needs, which would otherwise lose signal silently.
    pub fn copy_row(&self, j: usize, start: i64, out: &mut [f32]) {
        assert!(self.rows.contains(&j), "row {j} of {:?} read", self.rows);
        assert!(
            start + out.len() as i64 <= self.stored as i64 || start >= self.ncols as i64,
            "columns {start}+{} read, {} stored",
            out.len(),
            self.stored
        );
        let r = j - self.rows.start;
        let row = &self.data[r * self.stored..(r + 1) * self.stored];
        let lo = start.clamp(0, row.len() as i64);
        let hi = (start + out.len() as i64).clamp(lo, row.len() as i64);
        let (a, b) = ((lo - start) as usize, (hi - start) as usize);
        out[..a].fill(0.0);
        half_store::widen(&row[lo as usize..hi as usize], &mut out[a..b]);
        out[b..].fill(0.0);
    }

    /// Tiles `[first, first + out.len())` of row `j`'s envelope into `out`
    /// as `f32`; tiles outside the stored ones read as +∞ (a bound over them
    /// never passes).
    ///
    /// # Panics
    /// If row `j` is not stored.
    pub fn copy_tiles(&self, j: usize, first: i64, out: &mut [f32]) {
        assert!(self.rows.contains(&j), "row {j} of {:?} read", self.rows);
        let lo = first.clamp(0, self.tiles as i64);
        let hi = (first + out.len() as i64).clamp(lo, self.tiles as i64);
        let (a, b) = ((lo - first) as usize, (hi - first) as usize);
        out[..a].fill(f32::INFINITY);
        let ut = self.uselen / TILE;
        let mut t = lo as usize;
        let mut o = a;
        while o < b {
            let i = self.tile_index(j, t);
            let n = (ut - t % ut).min(b - o);
            half_store::widen(&self.data[i..i + n], &mut out[o..o + n]);
            (t, o) = (t + n, o + n);
        }
        out[b..].fill(f32::INFINITY);
    }

    /// Where tile `t` of row `j`'s envelope is in `data`.
    fn tile_index(&self, j: usize, t: usize) -> usize {
        let ut = self.uselen / TILE;
        let r = j - self.rows.start;
        self.rows.len() * self.stored + ((t / ut) * self.rows.len() + r) * ut + t % ut
    }

    /// Tiles of the envelope, as laid out: whole blocks of every stored row.
    fn envelope_len(&self) -> usize {
        if self.tiles == 0 {
            return 0;
        }
        self.stored.div_ceil(self.uselen) * self.rows.len() * (self.uselen / TILE)
    }

    /// Row `j`'s envelope as half bits.
    #[cfg(test)]
    pub fn tile_row(&self, j: usize) -> Vec<u16> {
        (0..self.tiles).map(|t| self.data[self.tile_index(j, t)]).collect()
    }

    /// Recomputes the envelope from the stored powers (tests that build a
    /// plane by hand).
    #[cfg(test)]
    pub fn fill_tiles(&mut self) {
        let n = self.rows.len() * self.stored;
        self.tiles = self.stored.div_ceil(TILE);
        let powers = self.data[..n].to_vec();
        self.data.resize(n + self.envelope_len());
        self.data[..n].copy_from_slice(&powers);
        for j in self.rows.clone() {
            let r = j - self.rows.start;
            let row = &powers[r * self.stored..(r + 1) * self.stored];
            for (t, c) in row.chunks(TILE).enumerate() {
                let i = self.tile_index(j, t);
                self.data[i] = c.iter().map(|&h| h & 0x7fff).max().unwrap_or(0);
            }
        }
    }
}

impl Correlator {
    /// Kernels for z = −zmax, −zmax+2, …, zmax (zmax even) with FFT length
    /// `fftlen` (a power of two, larger than 4 × the widest kernel half-width).
    pub fn new(zmax: u32, fftlen: usize) -> Self {
        Self::build(zmax, fftlen, true)
    }

    /// As [`new`](Self::new); `fused` allows the AVX-512 row transform
    /// (used where the CPU has AVX-512 and the plane has at least
    /// [`FUSED_MIN_ROWS`] rows).
    fn build(zmax: u32, fftlen: usize, fused: bool) -> Self {
        let zs: Vec<f64> = (0..=zmax as usize).map(|j| -(zmax as f64) + 2.0 * j as f64).collect();
        let halfwidth = z_halfwidth(zmax as f64);
        // A multiple of 32 (the most harmonics summed), so every block starts
        // where each subharmonic's index pattern starts afresh.
        let uselen = (fftlen - 4 * halfwidth) / 32 * 32;
        let mut planner = FftPlanner::<f32>::new();
        let fwd = planner.plan_fft_forward(fftlen);
        let fwd_half = planner.plan_fft_forward(fftlen / 2);
        let inv_half = planner.plan_fft_inverse(fftlen / 2);
        let mut scratch = vec![Complex32::default(); fwd.get_inplace_scratch_len()];
        let mut kernels: Vec<Vec<Complex32>> = zs
            .iter()
            .map(|&z| {
                let hw = z_halfwidth(z) as i64;
                let mut g = vec![Complex32::default(); fftlen];
                for q in -2 * hw..=2 * hw {
                    let k = z_response(q as f64 * 0.5, z).conj() / fftlen as f64;
                    g[q.rem_euclid(fftlen as i64) as usize] = Complex32::new(k.re as f32, k.im as f32);
                }
                fwd.process_with_scratch(&mut g, &mut scratch);
                fold_kernel(&g)
            })
            .collect();
        let fused = fused && zs.len() >= FUSED_MIN_ROWS;
        let row = fused.then(|| RowDft::new(fftlen / 2)).flatten().map(|plan| {
            let halves = kernels
                .iter()
                .map(|k| {
                    let (even, odd) = k.split_at(fftlen / 2);
                    (Split::from_complex(even), Split::from_complex(odd))
                })
                .collect();
            (plan, halves)
        });
        if row.is_some() {
            kernels.clear();
        }
        Self {
            fftlen,
            uselen,
            halfwidth,
            zs,
            kernels,
            row,
            fwd_half,
            inv_half,
        }
    }

    /// Rows of the plane.
    pub fn numz(&self) -> usize {
        self.zs.len()
    }

    /// An uncomputed plane for columns `lo_half/2 + c/2`, `c` in `0..nr`
    /// (rounded up to whole blocks); `lo_half` must be even. Fill it with
    /// [`compute_blocks`](Self::compute_blocks).
    ///
    /// `buf` is reused for the powers (its old contents stay until each block
    /// is computed), so a caller that keeps it between searches avoids
    /// re-faulting hundreds of MB.
    #[cfg(test)]
    pub fn empty_plane(&self, lo_half: i64, nr: usize, buf: HugeBuf<u16>) -> Plane {
        self.empty_plane_keeping(
            lo_half,
            nr,
            |p| Extent {
                rows: 0..p.numz,
                cols: p.ncols,
            },
            true,
            buf,
        )
    }

    /// As [`empty_plane`](Self::empty_plane), storing only the rows and
    /// columns that summing `stages` harmonic stages (1, 2, 4, … harmonics)
    /// of highest-harmonic half-bin indices up to `i_hi` reads
    /// ([`super::harmsum::read_extent`]); the highest harmonic itself is
    /// summed from each block's full-precision powers.
    pub fn empty_plane_for_sums(&self, lo_half: i64, nr: usize, stages: usize, i_hi: u64, buf: HugeBuf<u16>) -> Plane {
        let envelope = envelope::keeps_envelope(stages);
        self.empty_plane_keeping(lo_half, nr, self.sums_extent(stages, i_hi), envelope, buf)
    }

    /// The bytes [`empty_plane_for_sums`](Self::empty_plane_for_sums) allocates.
    pub fn stored_bytes_for_sums(&self, lo_half: i64, nr: usize, stages: usize, i_hi: u64) -> u64 {
        let p = self.layout(
            lo_half,
            nr,
            self.sums_extent(stages, i_hi),
            envelope::keeps_envelope(stages),
        );
        2 * (p.rows.len() * p.stored + p.envelope_len()) as u64
    }

    /// What summing `stages` harmonic stages up to highest-harmonic half-bin
    /// index `i_hi` reads of a plane of this correlator's z values.
    fn sums_extent(&self, stages: usize, i_hi: u64) -> impl FnOnce(&Plane) -> Extent {
        let zmax = self.zs.last().map_or(0, |&z| z as u32);
        move |p| super::harmsum::read_extent(p, zmax, stages, i_hi)
    }

    fn empty_plane_keeping(
        &self,
        lo_half: i64,
        nr: usize,
        keep: impl FnOnce(&Plane) -> Extent,
        envelope: bool,
        buf: HugeBuf<u16>,
    ) -> Plane {
        let mut plane = self.layout(lo_half, nr, keep, envelope);
        plane.data = buf;
        plane
            .data
            .resize(plane.rows.len() * plane.stored + plane.envelope_len());
        plane
    }

    /// The plane's geometry, with no data.
    fn layout(&self, lo_half: i64, nr: usize, keep: impl FnOnce(&Plane) -> Extent, envelope: bool) -> Plane {
        let numz = self.numz();
        let u = self.uselen;
        let nblocks = nr.div_ceil(u).max(1);
        let ncols = nblocks * u;
        let mut plane = Plane {
            numz,
            uselen: u,
            nblocks,
            lo_half,
            ncols,
            rows: 0..numz,
            stored: ncols,
            tiles: ncols.div_ceil(TILE),
            data: HugeBuf::default(),
        };
        let Extent { rows, cols } = keep(&plane);
        plane.rows = rows.start.min(numz)..rows.end.min(numz);
        plane.stored = cols.min(ncols);
        plane.tiles = if envelope { plane.stored.div_ceil(TILE) } else { 0 };
        plane
    }

    /// Computes `blocks` of every row of `plane` from the normalised
    /// amplitudes `amps` (bins outside it count as 0), and their envelope,
    /// in parallel over blocks when `parallel` is set. Returns each block's
    /// powers in full precision, `[z][u]`, followed (where the plane keeps an
    /// envelope) by their tile maxima `[z][u / TILE]`, in buffers taken from
    /// `scratch.spare` where it has some; a serial computation keeps its
    /// transforms' buffers in `scratch` for the next call.
    pub fn compute_blocks(
        &self,
        amps: &[Complex32],
        plane: &mut Plane,
        blocks: Range<usize>,
        parallel: bool,
        scratch: &mut BlockScratch,
    ) -> Vec<Vec<f32>> {
        let spare = &mut scratch.spare;
        let (numz, u, lo_half) = (plane.numz, plane.uselen, plane.lo_half);
        let (r0, stored, nrows) = (plane.rows.start, plane.stored, plane.rows.len());
        // u is a multiple of 32, so blocks start on a tile.
        let ut = if plane.tiles > 0 { u / TILE } else { 0 };
        let mut fresh: Vec<Vec<f32>> = blocks
            .clone()
            .map(|_| {
                let mut v = spare.pop().unwrap_or_default();
                v.resize(numz * (u + ut), 0.0);
                v
            })
            .collect();
        // Each block's stretch of every stored row and of its envelope
        // (shorter or none past the stored columns), so blocks can be stored
        // at once.
        type Stretch<'a> = (&'a mut [u16], &'a mut [u16]);
        let mut stores: Vec<Vec<Stretch<'_>>> = blocks.clone().map(|_| Vec::with_capacity(numz)).collect();
        let (c0, c1) = ((blocks.start * u).min(stored), (blocks.end * u).min(stored));
        if stored > 0 {
            let (powers, envelope) = plane.data.split_at_mut(nrows * stored);
            let mut rows: Vec<Vec<&mut [u16]>> = blocks.clone().map(|_| Vec::with_capacity(nrows)).collect();
            for row in powers.chunks_mut(stored) {
                for (r, chunk) in rows.iter_mut().zip(row[c0..c1].chunks_mut(u)) {
                    r.push(chunk);
                }
            }
            // The blocks' envelopes: one stretch of every row per block.
            if ut > 0 {
                let blocks_envelope = envelope.chunks_mut(nrows * ut).skip(blocks.start);
                for ((st, r), env) in stores.iter_mut().zip(rows).zip(blocks_envelope) {
                    st.extend(r.into_iter().zip(env.chunks_mut(ut)));
                }
            } else {
                for (st, r) in stores.iter_mut().zip(rows) {
                    st.extend(r.into_iter().map(|chunk| (chunk, &mut [][..])));
                }
            }
        }
        let one = |bufs: &mut Buffers, b: usize, powers: &mut Vec<f32>, mut store: Vec<Stretch<'_>>| {
            self.forward(amps, lo_half, b, bufs);
            let (powers, maxima) = powers.split_at_mut(numz * u);
            for (j, out) in powers.chunks_mut(u).enumerate() {
                self.correlate(j, out, bufs);
                let max = &mut maxima[j * ut..(j + 1) * ut];
                if ut > 0 {
                    envelope::tile_maxima(out, max);
                }
                if let Some((dst, tdst)) = j.checked_sub(r0).and_then(|r| store.get_mut(r)) {
                    let n = dst.len();
                    half_store::store(&out[..n], dst);
                    if ut == 0 {
                        continue;
                    } else if n == u {
                        half_store::store(max, tdst);
                    } else {
                        // The plane's last stored stretch: its own last tile.
                        let part = &mut bufs.tiles[..n.div_ceil(TILE)];
                        envelope::tile_maxima(&out[..n], part);
                        half_store::store(part, tdst);
                    }
                }
            }
        };
        if parallel {
            fresh.par_iter_mut().zip(stores).zip(blocks).for_each_init(
                || Buffers::new(self),
                |bufs, ((powers, store), b)| one(bufs, b, powers, store),
            );
        } else {
            let bufs = scratch.bufs.get_or_insert_with(|| Buffers::new(self));
            for ((powers, store), b) in fresh.iter_mut().zip(stores).zip(blocks) {
                one(bufs, b, powers, store);
            }
        }
        fresh
    }

    /// The whole plane at once (tests; the search computes blocks as it sums).
    #[cfg(test)]
    pub fn plane(&self, amps: &[Complex32], lo_half: i64, nr: usize, parallel: bool) -> Plane {
        let mut plane = self.empty_plane(lo_half, nr, HugeBuf::default());
        let n = plane.nblocks;
        self.compute_blocks(amps, &mut plane, 0..n, parallel, &mut BlockScratch::default());
        plane
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
        if let Some((split, _)) = &mut bufs.row {
            split.fill(&bufs.spread);
        }
    }

    /// Row `j`'s powers of one block from its forward transform in `bufs.spread`.
    ///
    /// The block's full-length spectrum is its half-length transform twice
    /// over, so the full-length inverse transform splits into two
    /// half-length ones with no butterfly pass of its own: the even outputs
    /// from the spectrum times the folded kernel's first half, the odd ones
    /// from its second half ([`fold_kernel`]).
    fn correlate(&self, j: usize, out: &mut [f32], bufs: &mut Buffers) {
        if let (Some((plan, halves)), Some((spread, row_bufs))) = (&self.row, &mut bufs.row) {
            let (even, odd) = &halves[j];
            plan.powers(spread, even, odd, self.halfwidth, &mut out[..self.uselen], row_bufs);
            return;
        }
        let half = self.fftlen / 2;
        let kern = &self.kernels[j];
        let Buffers {
            spread, work, scratch, ..
        } = bufs;
        let (klo, khi) = kern.split_at(half);
        let (tlo, thi) = work.split_at_mut(half);
        multiply(spread, klo, tlo);
        multiply(spread, khi, thi);
        // Both halves, one after the other.
        self.inv_half.process_with_scratch(work, scratch);
        // Output `2·halfwidth + t` is even output `halfwidth + t/2` (t even)
        // or odd output `halfwidth + (t−1)/2`.
        let (even, odd) = work.split_at(half);
        let m = self.halfwidth..self.halfwidth + self.uselen / 2;
        powers_interleaved(&even[m.clone()], &odd[m], out);
    }
}

/// Folds the `n`-point transform `k` of a kernel for two `n/2`-point
/// inverse transforms of a spectrum that repeats with period `n/2` (one
/// decimation-in-frequency step, outputs split into even and odd): the even
/// outputs need `k[q] + k[q + n/2]`, the odd ones
/// `(k[q] − k[q + n/2])·e^{2πi q/n}`.
fn fold_kernel(k: &[Complex32]) -> Vec<Complex32> {
    let half = k.len() / 2;
    let (lo, hi) = k.split_at(half);
    let even = lo.iter().zip(hi).map(|(&a, &b)| a + b);
    let odd = lo.iter().zip(hi).enumerate().map(|(q, (&a, &b))| {
        let (a, b) = (
            Complex64::new(a.re as f64, a.im as f64),
            Complex64::new(b.re as f64, b.im as f64),
        );
        let w = Complex64::from_polar(1.0, std::f64::consts::TAU * q as f64 / k.len() as f64);
        let v = (a - b) * w;
        Complex32::new(v.re as f32, v.im as f32)
    });
    even.chain(odd).collect()
}

/// `out[i] = a[i] · b[i]` (complex), vectorised for the CPU at run time;
/// with AVX-512, eight products per instruction sequence (real and
/// imaginary parts duplicated, one fused multiply-add/subtract).
#[multiversion(targets = "simd")]
fn multiply(a: &[Complex32], b: &[Complex32], out: &mut [Complex32]) {
    let n = out.len().min(a.len()).min(b.len());
    let done = match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            let m = n / 8 * 8;
            let fa: &[f32] = bytemuck::cast_slice(&a[..m]);
            let fb: &[f32] = bytemuck::cast_slice(&b[..m]);
            let fo: &mut [f32] = bytemuck::cast_slice_mut(&mut out[..m]);
            for ((o, x), y) in fo.chunks_exact_mut(16).zip(fa.chunks_exact(16)).zip(fb.chunks_exact(16)) {
                let (Ok(o), Ok(x), Ok(y)) = (
                    <&mut [f32; 16]>::try_from(o),
                    <[f32; 16]>::try_from(x),
                    <[f32; 16]>::try_from(y),
                ) else {
                    break;
                };
                let (x, y): (__m512, __m512) = (bytemuck::cast(x), bytemuck::cast(y));
                // (xr·yr − xi·yi, xr·yi + xi·yr) per pair of lanes.
                let swapped = _mm512_permute_ps::<0b1011_0001>(y);
                let cross = _mm512_mul_ps(_mm512_movehdup_ps(x), swapped);
                *o = bytemuck::cast(_mm512_fmaddsub_ps(_mm512_moveldup_ps(x), y, cross));
            }
            m
        }
        _ => 0,
    };
    for ((o, &x), &y) in out[done..n].iter_mut().zip(&a[done..n]).zip(&b[done..n]) {
        *o = Complex32::new(x.re * y.re - x.im * y.im, x.re * y.im + x.im * y.re);
    }
}

/// `out[2i] = |e[i]|²`, `out[2i + 1] = |o[i]|²`, vectorised for the CPU at
/// run time (with AVX-512: squares, each pair's sum by swapping the pair,
/// one blend to interleave; the same sums to the bit).
#[multiversion(targets = "simd")]
fn powers_interleaved(e: &[Complex32], o: &[Complex32], out: &mut [f32]) {
    let n = e.len().min(o.len()).min(out.len() / 2);
    let done = match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            let m = n / 8 * 8;
            let fe: &[f32] = bytemuck::cast_slice(&e[..m]);
            let fo: &[f32] = bytemuck::cast_slice(&o[..m]);
            for ((p, x), y) in out[..2 * m].chunks_exact_mut(16).zip(fe.chunks_exact(16)).zip(fo.chunks_exact(16)) {
                let (Ok(p), Ok(x), Ok(y)) = (
                    <&mut [f32; 16]>::try_from(p),
                    <[f32; 16]>::try_from(x),
                    <[f32; 16]>::try_from(y),
                ) else {
                    break;
                };
                let (x, y): (__m512, __m512) = (bytemuck::cast(x), bytemuck::cast(y));
                let (xx, yy) = (_mm512_mul_ps(x, x), _mm512_mul_ps(y, y));
                // re² + im² in both lanes of each pair.
                let pe = _mm512_add_ps(xx, _mm512_permute_ps::<0b1011_0001>(xx));
                let po = _mm512_add_ps(yy, _mm512_permute_ps::<0b1011_0001>(yy));
                *p = bytemuck::cast(_mm512_mask_blend_ps(0xaaaa, pe, po));
            }
            m
        }
        _ => 0,
    };
    for ((p, x), y) in out[2 * done..].chunks_exact_mut(2).zip(&e[done..n]).zip(&o[done..n]) {
        p[0] = x.re * x.re + x.im * x.im;
        p[1] = y.re * y.re + y.im * y.im;
    }
}

/// What [`Correlator::compute_blocks`] keeps between calls: the power
/// buffers of blocks already summed, and the serial transforms' buffers
/// (made on first use; one correlator's only).
#[derive(Default)]
pub(crate) struct BlockScratch {
    pub spare: Vec<Vec<f32>>,
    bufs: Option<Buffers>,
}

/// Per-thread buffers of one block's correlation.
struct Buffers {
    /// The block's forward transform (`fftlen / 2`).
    spread: Vec<Complex32>,
    work: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// The envelope of a partly stored stretch.
    tiles: Vec<f32>,
    /// With [`Correlator::row`]: `spread` in split form, and the row
    /// transform's buffers.
    row: Option<(Split, RowBuffers)>,
}

impl Buffers {
    fn new(c: &Correlator) -> Self {
        let s = c
            .inv_half
            .get_inplace_scratch_len()
            .max(c.fwd_half.get_inplace_scratch_len());
        Self {
            spread: vec![Complex32::default(); c.fftlen / 2],
            work: vec![Complex32::default(); c.fftlen],
            scratch: vec![Complex32::default(); s],
            tiles: vec![0.0; c.uselen.div_ceil(TILE)],
            row: c
                .row
                .as_ref()
                .map(|(plan, _)| (Split::zeroed(c.fftlen / 2), plan.buffers())),
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

    /// A zmax-20 correlator and 3000 bins of noise plus a drifting tone at
    /// r = 1234.5 (the set-up the plane's tests share).
    fn tone_in_noise(seed: u64, z: f64, amp: f64) -> (Correlator, Vec<Complex32>) {
        let zmax = 20;
        let c = Correlator::new(zmax, default_fftlen(z_halfwidth(zmax as f64)));
        let amps = noise(3000, seed)
            .iter()
            .zip(drifting_tone(3000, 1234.5, z, amp))
            .map(|(a, b)| a + b)
            .collect();
        (c, amps)
    }

    fn noise(n: usize, seed: u64) -> Vec<Complex32> {
        let mut state = seed;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n).map(|_| Complex32::new(next(), next())).collect()
    }

    /// The CPU's widest products (AVX-512's fused multiply-add/subtract where
    /// it has one) agree with the textbook formula to rounding, odd lengths
    /// included.
    #[test]
    fn products_match_the_formula() {
        for n in [1024, 37] {
            let (a, b) = (noise(n, 1), noise(n, 2));
            let mut out = vec![Complex32::default(); n];
            multiply(&a, &b, &mut out);
            for ((o, x), y) in out.iter().zip(&a).zip(&b) {
                let want = x * y;
                assert!(
                    (o - want).norm() <= 1e-6 * (x.norm() * y.norm()).max(1e-3),
                    "{o} vs {want}"
                );
            }
        }
    }

    /// Two half-length inverse transforms with the folded kernel give the
    /// full-length inverse transform of the repeated spectrum times the
    /// kernel, outputs interleaved.
    #[test]
    fn folded_kernels_give_the_full_length_correlation() {
        let n = 1024;
        let (spread, kernel) = (noise(n / 2, 3), noise(n, 4));
        let mut planner = FftPlanner::<f32>::new();
        let mut full: Vec<Complex32> = (0..n).map(|q| spread[q % (n / 2)] * kernel[q]).collect();
        planner.plan_fft_inverse(n).process(&mut full);
        let folded = fold_kernel(&kernel);
        let mut halves: Vec<Complex32> = (0..n).map(|q| spread[q % (n / 2)] * folded[q]).collect();
        planner.plan_fft_inverse(n / 2).process(&mut halves);
        let (even, odd) = halves.split_at(n / 2);
        let mut powers = vec![0f32; n];
        powers_interleaved(even, odd, &mut powers);
        // The CPU's widest kernel squares and sums as the formula does.
        for (i, p) in powers.iter().enumerate() {
            let y = if i % 2 == 0 { even[i / 2] } else { odd[i / 2] };
            assert_eq!(p.to_bits(), (y.re * y.re + y.im * y.im).to_bits(), "power {i}");
        }
        for (i, (p, y)) in powers.iter().zip(&full).enumerate() {
            assert!(
                (p - y.norm_sqr()).abs() <= 1e-3 * y.norm_sqr().max(1.0),
                "output {i}: {p} vs {}",
                y.norm_sqr()
            );
        }
    }

    /// Every row's powers, negative z included, are the direct correlation
    /// `|Σ_k A_k · conj K(r − k, z)|²` over the kernel's bins (|r − k| ≤ its
    /// half-width), at whole and half bins, in every block.
    #[test]
    fn every_row_is_the_direct_correlation() {
        let (c, amps) = tone_in_noise(7, -8.0, 3.0);
        let lo_half = 40;
        let mut p = c.empty_plane(lo_half, 5000, HugeBuf::default());
        let nb = p.nblocks;
        let fresh = c.compute_blocks(&amps, &mut p, 0..nb, false, &mut BlockScratch::default());
        let (u, numz) = (c.uselen, c.numz());
        let mut checked = 0;
        for (j, &z) in c.zs.iter().enumerate() {
            let hw = z_halfwidth(z) as i64;
            for col in (0..nb * u).step_by(97).chain([1, u - 1, u, u + 1]) {
                let r = (lo_half + col as i64) as f64 / 2.0;
                let want: Complex64 = (r.ceil() as i64 - hw..=r.floor() as i64 + hw)
                    .filter(|&k| k >= 0 && (k as usize) < amps.len())
                    .map(|k| {
                        let a = amps[k as usize];
                        Complex64::new(a.re as f64, a.im as f64) * z_response(r - k as f64, z).conj()
                    })
                    .sum();
                let got = fresh[col / u][j * u + col % u] as f64;
                assert!(
                    (got - want.norm_sqr()).abs() <= 2e-4 * want.norm_sqr().max(1.0),
                    "z {z} column {col}: {got} vs {}",
                    want.norm_sqr()
                );
                checked += 1;
            }
        }
        assert!(checked > 40 * numz);
    }

    /// The AVX-512 row transform (where the CPU has it) gives the powers
    /// of the multiply / rustfft / square path, at zmax 50 (a 1024-point
    /// half transform) and zmax 8 (512 points).
    #[test]
    fn fused_rows_equal_the_rustfft_rows() {
        for zmax in [50, 8] {
            let fftlen = default_fftlen(z_halfwidth(zmax as f64));
            let (fused, plain) = (
                Correlator::build(zmax, fftlen, true),
                Correlator::build(zmax, fftlen, false),
            );
            assert!(plain.row.is_none());
            if fused.row.is_none() {
                eprintln!("no AVX-512 here: both use rustfft");
            }
            let amps: Vec<Complex32> = noise(20_000, 11)
                .iter()
                .zip(drifting_tone(20_000, 4321.25, 6.0, 12.0))
                .map(|(a, b)| a + b)
                .collect();
            let blocks = |c: &Correlator| {
                let mut p = c.empty_plane(100, 9000, HugeBuf::default());
                let nb = p.nblocks;
                c.compute_blocks(&amps, &mut p, 0..nb, false, &mut BlockScratch::default())
            };
            let (a, b) = (blocks(&fused), blocks(&plain));
            let top = b.iter().flatten().fold(0f32, |m, &v| m.max(v));
            assert!(top > 100.0, "the tone is in the plane: {top}");
            for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
                assert!((x - y).abs() <= 1e-5 * top, "{x} vs {y}");
            }
        }
    }

    #[test]
    fn plane_peaks_at_the_signal_r_and_z() {
        let zmax = 20;
        let c = Correlator::new(zmax, default_fftlen(z_halfwidth(zmax as f64)));
        let amps = drifting_tone(3000, 1234.5, 8.0, 10.0);
        let plane = c.plane(&amps, 0, 6000, false);
        let mut best = (0f32, 0usize, 0usize);
        for j in 0..plane.numz {
            for (i, &p) in plane.row(j).iter().enumerate() {
                let p = half::f16::from_bits(p).to_f32();
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
        // The same with parallel blocks, into a buffer with old contents.
        let mut p2 = c.empty_plane(0, 6000, HugeBuf::from_slice(&[0x3c00; 5]));
        let nb = p2.nblocks;
        let fresh = c.compute_blocks(
            &amps,
            &mut p2,
            0..nb,
            true,
            &mut BlockScratch {
                spare: vec![vec![7.0; 3]],
                bufs: None,
            },
        );
        assert_eq!(p2.data[..], plane.data[..]);
        // The full-precision powers round to the stored ones; their tile
        // maxima follow them.
        let (u, numz) = (c.uselen, c.numz());
        for (b, powers) in fresh.iter().enumerate() {
            let (rows, maxima) = powers.split_at(numz * u);
            for (j, (row, max)) in rows.chunks(u).zip(maxima.chunks(u / TILE)).enumerate() {
                for (t, &p) in row.iter().enumerate() {
                    let mut h = [0u16];
                    half_store::store(&[p], &mut h);
                    assert_eq!(h[0], plane.row(j)[b * u + t]);
                }
                let mut want = vec![0.0; u / TILE];
                envelope::tile_maxima(row, &mut want);
                assert_eq!(max, &want[..]);
            }
        }
    }

    /// The envelope holds each tile's largest stored power, also for a plane
    /// trimmed to what the sums read (its last block partly stored), and
    /// reads +∞ outside the stored tiles.
    #[test]
    fn envelope_is_the_largest_stored_power_of_each_tile() {
        let (c, amps) = tone_in_noise(5, 8.0, 10.0);
        let mut p = c.empty_plane_for_sums(0, 6000, 3, 5000, HugeBuf::from_slice(&[0x7bff; 100]));
        assert!(p.rows.len() < p.numz && !p.stored.is_multiple_of(c.uselen) && p.stored > 2 * c.uselen);
        let nb = p.nblocks;
        c.compute_blocks(&amps, &mut p, 0..nb, false, &mut BlockScratch::default());
        let mut checked = 0;
        for j in p.rows.clone() {
            let want: Vec<u16> = p
                .row(j)
                .chunks(TILE)
                .map(|t| t.iter().map(|&h| h & 0x7fff).max().unwrap_or(0))
                .collect();
            assert_eq!(p.tile_row(j), want, "row {j}");
            let mut out = vec![0.0; p.tiles + 7];
            p.copy_tiles(j, -3, &mut out);
            assert!(out[..3].iter().chain(&out[p.tiles + 3..]).all(|v| *v == f32::INFINITY));
            for (t, (&v, &h)) in out[3..p.tiles + 3].iter().zip(&want).enumerate() {
                assert_eq!(v, half::f16::from_bits(h).to_f32(), "row {j} tile {t}");
                checked += 1;
            }
        }
        assert!(checked > 1000);
        // A copy of the whole plane with the envelope recomputed from its powers.
        let mut q = c.empty_plane_for_sums(0, 6000, 3, 5000, HugeBuf::default());
        let n = q.rows.len() * q.stored;
        q.data[..n].copy_from_slice(&p.data[..n]);
        q.fill_tiles();
        for j in p.rows.clone() {
            assert_eq!(q.tile_row(j), p.tile_row(j));
        }
    }
}
