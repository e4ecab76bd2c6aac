//! One sweep over the f-ḟ plane: blocks computed low frequencies first, each
//! harmonic-summed as soon as its subharmonics exist.
//!
//! Summing block `b` reads the block itself (the highest harmonic) and, for
//! each fraction `k/H`, a stretch about `k/H` of the way down the plane. So
//! once the blocks below a block's [`sources_end`] are computed it can be
//! summed, right after its own correlations while its powers are still in
//! cache, instead of reading the whole plane back from memory in a second
//! pass.

use std::collections::VecDeque;

use rustfft::num_complex::Complex32;

use super::harmsum::{sources_end, sum_blocks, Crossing, SumPlan};
use super::plane::{BlockScratch, Correlator, Plane};
use crate::hugebuf::HugeBuf;

/// The harmonic-sum settings of one search (see [`SumPlan`]).
pub(crate) struct SumSettings<'a> {
    /// Largest |z| of the plane (even).
    pub zmax: u32,
    /// Power threshold per stage (1, 2, 4, … harmonics).
    pub powcut: &'a [f32],
    /// Searched half-bin indices of the highest harmonic, inclusive.
    pub i_lo: u64,
    pub i_hi: u64,
}

/// Computes the plane of `nr` half-bin columns from `lo_half` over the
/// normalised amplitudes `amps` and harmonic-sums it; returns the crossings
/// in block order and the plane's buffer (for reuse).
pub(crate) fn sweep(
    corr: &Correlator,
    amps: &[Complex32],
    lo_half: i64,
    nr: usize,
    sums: &SumSettings<'_>,
    parallel: bool,
    buf: HugeBuf<u16>,
) -> (Vec<Crossing>, HugeBuf<u16>) {
    let stages = sums.powcut.len();
    let mut plane = corr.empty_plane_for_sums(lo_half, nr, stages, sums.i_hi, buf);
    let n = plane.nblocks;
    let u = plane.uselen;
    // Blocks computed at a time: one (in cache) on one thread; a few per
    // thread when blocks are computed in parallel.
    let step = if parallel {
        (4 * rayon::current_num_threads()).max(8)
    } else {
        1
    };
    let mut crossings = Vec::new();
    // Full-precision powers of the blocks computed but not yet summed
    // (blocks `summed..computed`), and their buffers once summed.
    let mut pending: VecDeque<Vec<f32>> = VecDeque::new();
    // Buffers kept from block to block (the spare powers, the transforms'
    // and the sums' work space).
    let mut scratch = BlockScratch::default();
    let mut ws = None;
    let (mut computed, mut summed) = (0, 0);
    while summed < n {
        if computed < n {
            let end = (computed + step).min(n);
            pending.extend(corr.compute_blocks(amps, &mut plane, computed..end, parallel, &mut scratch));
            computed = end;
        }
        let ready = (summed..n)
            .take_while(|&b| computed == n || sources_end(&plane, b, stages) <= computed * u)
            .count();
        let tops = &pending.make_contiguous()[..ready];
        sum_blocks(
            &plan(&plane, sums),
            summed..summed + ready,
            tops,
            parallel,
            &mut ws,
            &mut crossings,
        );
        scratch.spare.extend(pending.drain(..ready));
        summed += ready;
    }
    (crossings, plane.data)
}

fn plan<'a>(plane: &'a Plane, sums: &SumSettings<'a>) -> SumPlan<'a> {
    SumPlan {
        plane,
        zmax: sums.zmax,
        powcut: sums.powcut,
        i_lo: sums.i_lo,
        i_hi: sums.i_hi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Block-by-block sweeps, serial and in parallel batches, give exactly
    /// the crossings of summing a plane computed whole beforehand.
    #[test]
    fn sweeping_equals_summing_the_whole_plane() {
        let mut state = 7u64;
        let mut noise = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Uniform, mean power 1 per amplitude.
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 6f32.sqrt()
        };
        // Noise plus a few harmonics of a drifting tone.
        let n = 20_000;
        let mut amps: Vec<Complex32> = (0..n).map(|_| Complex32::new(noise(), noise())).collect();
        for h in 1..=4 {
            let (r, z) = (1234.25 * h as f64, 6.0 * h as f64);
            for (k, a) in amps.iter_mut().enumerate() {
                let d = r - k as f64;
                if d.abs() < 40.0 {
                    let v = super::super::response::z_response(d, z) * (6.0 / h as f64);
                    *a += Complex32::new(v.re as f32, v.im as f32);
                }
            }
        }
        let zmax = 10;
        let hw = super::super::response::z_halfwidth(zmax as f64);
        for fftlen in [(8 * hw).next_power_of_two(), 1024] {
            let corr = Correlator::new(zmax, fftlen);
            let powcut = [3.0f32, 5.0, 8.0, 14.0];
            let sums = SumSettings {
                zmax,
                powcut: &powcut,
                i_lo: 400,
                i_hi: 2 * n as u64 - 2,
            };
            let lo_half = 64;
            let nr = 2 * n - 64;
            let (serial, kept) = sweep(&corr, &amps, lo_half, nr, &sums, false, HugeBuf::default());
            let (par, _) = sweep(&corr, &amps, lo_half, nr, &sums, true, HugeBuf::from_slice(&[1; 10]));
            // The whole plane first (every row and column stored), then every
            // block summed.
            let mut plane = corr.empty_plane(lo_half, nr, HugeBuf::default());
            // The sweep kept (H−1)/H of the columns and of the z range.
            let full = plane.data.len() as f64;
            assert!(
                (kept.len() as f64) < 0.85 * full && (kept.len() as f64) > 0.6 * full,
                "{} of {full}",
                kept.len()
            );
            let nb = plane.nblocks;
            let tops = corr.compute_blocks(&amps, &mut plane, 0..nb, false, &mut BlockScratch::default());
            let mut whole = Vec::new();
            sum_blocks(&plan(&plane, &sums), 0..nb, &tops, false, &mut None, &mut whole);
            assert!(whole.len() > 300, "{} crossings", whole.len());
            assert_eq!(serial, whole, "fftlen {fftlen}");
            assert_eq!(par, whole, "fftlen {fftlen}");
            // The tone's fourth harmonic sum is among them.
            assert!(whole
                .iter()
                .any(|c| c.stage == 2 && (c.i_half as f64 - 2.0 * 4.0 * 1234.25).abs() <= 2.0));
        }
    }
}
