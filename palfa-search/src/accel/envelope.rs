//! The plane's envelope: the largest power of every tile of [`TILE`]
//! columns, so that the harmonic sum can prove a row quiet without reading it.
//!
//! Summing one row of a block reads, for every subharmonic fraction k/H, a
//! stretch of a plane row written long before, from memory (2.2 planes' worth
//! of half-precision powers per search at 8 harmonics, round nine's largest
//! cost after the FFTs). But almost every row of noise stays under every
//! stage's threshold. So the plane also keeps each tile's maximum (an eighth
//! of its size), and each group of [`GROUP`] outputs of a row is bounded by
//! its own largest power plus, for each fraction, the largest tile its
//! source columns fall in: if no group's bound of any stage reaches that
//! stage's threshold, no sum does, and the row is done without a single
//! subharmonic read. Rows that might cross are summed exactly as before, so
//! the crossings are the same to the bit.
//!
//! The bounds are sums of the values they bound, term by term, in `f32`:
//! rounding could put a bound a few units in the last place under the exact
//! sum it bounds (they are added in the same order, but a bound is compared
//! with a margin anyway, [`MARGIN`], far wider than the rounding of 31
//! additions).

use multiversion::{multiversion, target::match_target};

/// Whether a plane summed over `stages` stages (1, 2, 4, … harmonics) keeps
/// an envelope: for 2 to 4 stages. With one stage nothing is summed; with 16
/// harmonics fifteen bounds add up past the thresholds (no row of the lo
/// pass, 16 harmonics at 2σ, passed), so the envelope would only cost.
pub(crate) fn keeps_envelope(stages: usize) -> bool {
    (2..=4).contains(&stages)
}

/// Plane columns per tile of the envelope.
pub(crate) const TILE: usize = 8;

/// Outputs (highest-harmonic half-bins) per bounded group: two tiles of the
/// block's own powers.
pub(crate) const GROUP: usize = 2 * TILE;

/// A bound passes if at most `MARGIN` × the threshold: the relative error
/// of up to 31 `f32` additions of non-negative terms is under 31 · 2^−24 ≈
/// 1.9e-6 each way.
const MARGIN: f32 = 1.0 - 1e-5;

/// `out[t]` = the largest of `src[t·TILE ..][..TILE]` (the last tile may be
/// shorter; `out.len()` must be `src.len().div_ceil(TILE)`).
///
/// NaN: a block's powers are all NaN or none (one NaN amplitude makes the
/// whole FFT NaN, and blocks hold whole tiles), so a tile's maximum is NaN
/// (or −∞) only where every power in it is NaN; the plane stores those, and
/// such a maximum, as 0, and NaN sums never cross a threshold.
pub(crate) fn tile_maxima(src: &[f32], out: &mut [f32]) {
    let full = src.len() / TILE;
    tile_maxima_full(&src[..full * TILE], &mut out[..full]);
    if let (Some(o), rest) = (out.get_mut(full), &src[full * TILE..]) {
        if !rest.is_empty() {
            *o = rest.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        }
    }
}

/// [`tile_maxima`] of whole tiles. With AVX-512, sixteen tiles at a time:
/// eight vectors of two tiles each are halved three times by pairs of
/// permutations (each step keeps the larger of two lanes of the same tile);
/// elsewhere three rounds of pairwise maxima, each a loop the compiler
/// vectorises.
#[multiversion(targets = "simd")]
fn tile_maxima_full(src: &[f32], out: &mut [f32]) {
    let done = match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            // Lane l of the first/second permutation: from the first
            // (l < 8) or second operand (index + 16), the half that keeps
            // each tile's lanes together.
            const fn halve(step: usize, second: bool) -> [i32; 16] {
                let mut idx = [0i32; 16];
                let mut l = 0;
                while l < 16 {
                    // Lanes come in runs of `step` of one tile; each output
                    // run of step/2 takes the first or second half of a run.
                    let (operand, k) = (l / 8, l % 8);
                    let run = k / (step / 2);
                    let within = k % (step / 2);
                    let lane = run * step + within + if second { step / 2 } else { 0 };
                    idx[l] = (lane + 16 * operand) as i32;
                    l += 1;
                }
                idx
            }
            let ix: [[__m512i; 2]; 3] = [
                [bytemuck::cast(halve(8, false)), bytemuck::cast(halve(8, true))],
                [bytemuck::cast(halve(4, false)), bytemuck::cast(halve(4, true))],
                [bytemuck::cast(halve(2, false)), bytemuck::cast(halve(2, true))],
            ];
            let pair = |a: __m512, b: __m512, i: &[__m512i; 2]| {
                _mm512_max_ps(_mm512_permutex2var_ps(a, i[0], b), _mm512_permutex2var_ps(a, i[1], b))
            };
            let mut done = 0;
            for (o, s) in out.chunks_exact_mut(16).zip(src.chunks_exact(128)) {
                let v: [__m512; 8] = std::array::from_fn(|k| {
                    <[f32; 16]>::try_from(&s[16 * k..16 * k + 16]).map_or(_mm512_setzero_ps(), bytemuck::cast)
                });
                let w: [__m512; 4] = std::array::from_fn(|k| pair(v[2 * k], v[2 * k + 1], &ix[0]));
                let x: [__m512; 2] = std::array::from_fn(|k| pair(w[2 * k], w[2 * k + 1], &ix[1]));
                let y: [f32; 16] = bytemuck::cast(pair(x[0], x[1], &ix[2]));
                o.copy_from_slice(&y);
                done += 16;
            }
            done
        }
        _ => 0,
    };
    let (src, out) = (&src[done * TILE..], &mut out[done..]);
    let mut m1 = [0f32; 64];
    let mut m2 = [0f32; 32];
    for (o, s) in out.chunks_mut(16).zip(src.chunks(128)) {
        let n = s.len();
        for (x, p) in m1[..n / 2].iter_mut().zip(s.chunks_exact(2)) {
            *x = p[0].max(p[1]);
        }
        for (x, p) in m2[..n / 4].iter_mut().zip(m1[..n / 2].chunks_exact(2)) {
            *x = p[0].max(p[1]);
        }
        for (x, p) in o.iter_mut().zip(m2[..n / 4].chunks_exact(2)) {
            *x = p[0].max(p[1]);
        }
    }
}

/// `out[q] = max(src[2q], src[2q + 1])`: a group's largest own power from
/// its two tiles.
#[multiversion(targets = "simd")]
pub(crate) fn pair_maxima(src: &[f32], out: &mut [f32]) {
    for (o, p) in out.iter_mut().zip(src.chunks_exact(2)) {
        *o = p[0].max(p[1]);
    }
}

/// Where the groups of one fraction k/H (H ≤ 16) read: group `q` of a
/// block reads source columns `c0 + q·step …= c0 + q·step + last` of the
/// fraction's stretch (output `t` reads column `round(t·k/H)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reach {
    /// `GROUP·k/H` (a whole number for H ≤ 16).
    pub step: usize,
    /// `round(15·k/H)`, the last output's offset in its group.
    pub last: usize,
}

impl Reach {
    /// The reach of fraction `k/h`, or `None` for H > 16 (steps that are
    /// not whole columns).
    pub fn new(k: usize, h: usize) -> Option<Self> {
        (h <= GROUP && (GROUP * k).is_multiple_of(h)).then(|| Reach {
            step: GROUP * k / h,
            last: (2 * (GROUP - 1) * k + h) / (2 * h),
        })
    }
}

/// Tiles `tiles` of a fraction's stretch (tile 0 holding columns
/// `0..TILE` of a grid that puts the stretch's first column at `c0 <
/// TILE`): `out[q]` = the largest tile that group `q`'s columns fall in.
/// `tiles` must reach the last group's last tile.
#[multiversion(targets = "simd")]
pub(crate) fn group_bounds(tiles: &[f32], c0: usize, reach: Reach, out: &mut [f32]) {
    let Reach { step, last } = reach;
    let done = match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            // Sixteen groups span at most 2·step + 3 ≤ 33 tiles... and their
            // first tile advances by exactly 2·step tiles per sixteen groups
            // (16·step is a multiple of TILE), so one set of lane indices
            // into a 32-tile window serves every batch.
            let lane = |l: usize| ((c0 + l * step) / TILE) as i32;
            let ta: [i32; 16] = std::array::from_fn(lane);
            let te: [i32; 16] = std::array::from_fn(|l| ((c0 + l * step + last) / TILE) as i32);
            let mid: [i32; 16] = std::array::from_fn(|l| (ta[l] + 1).min(te[l]));
            if te[15] >= 32 || c0 >= TILE {
                0
            } else {
                let (ia, im, ie): (__m512i, __m512i, __m512i) =
                    (bytemuck::cast(ta), bytemuck::cast(mid), bytemuck::cast(te));
                let mut done = 0;
                for (b, o) in out.chunks_mut(16).enumerate() {
                    let base = 2 * step * b;
                    // The window; padded where the stretch ends (lanes past
                    // its end read the padding, their outputs are dropped).
                    let mut w = [f32::INFINITY; 32];
                    let window = match tiles.get(base..base + 32) {
                        Some(t) => t,
                        None => {
                            let have = tiles.len().saturating_sub(base);
                            w[..have].copy_from_slice(&tiles[base..]);
                            &w[..]
                        }
                    };
                    let (Ok(lo), Ok(hi)) = (<[f32; 16]>::try_from(&window[..16]), <[f32; 16]>::try_from(&window[16..])) else {
                        break;
                    };
                    let (lo, hi): (__m512, __m512) = (bytemuck::cast(lo), bytemuck::cast(hi));
                    let a = _mm512_permutex2var_ps(lo, ia, hi);
                    let m = _mm512_permutex2var_ps(lo, im, hi);
                    let e = _mm512_permutex2var_ps(lo, ie, hi);
                    // Tiles are never NaN (they are stored halves, or +∞).
                    let v: [f32; 16] = bytemuck::cast(_mm512_max_ps(_mm512_max_ps(a, m), e));
                    let k = o.len();
                    o.copy_from_slice(&v[..k]);
                    done += k;
                }
                done
            }
        }
        _ => 0,
    };
    for (q, o) in out.iter_mut().enumerate().skip(done) {
        let a = c0 + q * step;
        *o = tiles[a / TILE..=(a + last) / TILE]
            .iter()
            .fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    }
}

/// Whether bounds prove a row quiet: `own[q]` bounds group `q`'s own powers,
/// `bounds[n][q]` its source values of fraction `n` (fractions in summing
/// order, `cuts.len() − 1` stages of 1, 2, 4, … of them); no stage's
/// bound may reach [`MARGIN`] × its threshold. `sums` is a work buffer of
/// `own.len()` values.
#[multiversion(targets = "simd")]
pub(crate) fn quiet_by_bounds(own: &[f32], bounds: &[&[f32]], cuts: &[f32], sums: &mut [f32]) -> bool {
    let n = own.len();
    let sums = &mut sums[..n];
    sums.copy_from_slice(own);
    let over = |sums: &[f32], cut: f32| largest(sums) > cut * MARGIN;
    if over(sums, cuts[0]) {
        return false;
    }
    let mut f = 0;
    for (s, &cut) in cuts.iter().enumerate().skip(1) {
        for b in &bounds[f..f + (1 << s) / 2] {
            for (x, &v) in sums.iter_mut().zip(&b[..n]) {
                *x += v;
            }
        }
        f += (1 << s) / 2;
        if over(sums, cut) {
            return false;
        }
    }
    true
}

/// The largest of `v` (lane-wise maxima vectorise; a float fold does not),
/// ignoring NaN; −∞ for none. Also the harmonic sum's row maximum.
#[inline(always)]
pub(crate) fn largest(v: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = if x > *l { x } else { *l };
        }
    }
    for (l, &x) in lanes.iter_mut().zip(chunks.remainder()) {
        *l = if x > *l { x } else { *l };
    }
    let mut m = f32::NEG_INFINITY;
    for &x in &lanes {
        m = if x > m { x } else { m };
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 24) as f32 * 30.0
            })
            .collect()
    }

    #[test]
    fn tile_maxima_are_each_tiles_largest() {
        for n in [0usize, 5, 8, 127, 128, 1856, 1861] {
            let mut v = values(n, n as u32 + 1);
            if n > 20 {
                // A tile of NaN (as a NaN block's powers) and a large power.
                v[8..16].fill(f32::NAN);
                v[3] = 1e6;
            }
            let mut out = vec![-1.0; n.div_ceil(TILE)];
            tile_maxima(&v, &mut out);
            for (t, &m) in out.iter().enumerate() {
                let tile = &v[t * TILE..((t + 1) * TILE).min(n)];
                if tile.iter().all(|x| x.is_nan()) {
                    // Stored as 0, as each of its powers.
                    let mut h = [1u16];
                    super::super::half_store::store(&[m], &mut h);
                    assert_eq!(h[0], 0, "n {n} tile {t}");
                } else {
                    let want = tile.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
                    assert_eq!(m.to_bits(), want.to_bits(), "n {n} tile {t}");
                }
            }
        }
    }

    /// The AVX-512 kernel (where the CPU has it) and the scalar loop agree
    /// with the definition for every fraction of up to 16 harmonics and every
    /// offset of the stretch in its first tile.
    #[test]
    fn group_bounds_are_the_largest_tile_of_each_group() {
        let ng = 116;
        for h in [2usize, 4, 8, 16] {
            for k in (1..h).step_by(2) {
                let reach = Reach::new(k, h).unwrap_or_else(|| panic!("{k}/{h}"));
                let tiles = values((ng * reach.step + GROUP) / TILE + 40, (h * 31 + k) as u32);
                for c0 in 0..TILE {
                    let mut out = vec![0.0; ng];
                    // Exactly the tiles the groups reach.
                    let needed = (c0 + (ng - 1) * reach.step + reach.last) / TILE + 1;
                    group_bounds(&tiles[..needed], c0, reach, &mut out);
                    for (q, &b) in out.iter().enumerate() {
                        let cols = (0..GROUP).map(|m| c0 + q * reach.step + (2 * m * k + h) / (2 * h));
                        let want = cols.map(|c| tiles[c / TILE]).fold(f32::NEG_INFINITY, f32::max);
                        assert_eq!(b, want, "{k}/{h} c0 {c0} group {q}");
                    }
                }
            }
        }
        assert!(Reach::new(1, 32).is_none());
    }

    #[test]
    fn quiet_only_when_every_stage_bound_is_under_its_cut() {
        let own = [1.0f32, 2.0, 3.0];
        let b: Vec<Vec<f32>> = (0..7).map(|f| vec![1.0 + f as f32 * 0.1; 3]).collect();
        let bounds: Vec<&[f32]> = b.iter().map(|v| v.as_slice()).collect();
        let mut sums = [0.0; 3];
        // Stage sums of the last group: 3, 4, 6.3, 12.1; a bound at its
        // threshold does not pass (the margin).
        assert!(quiet_by_bounds(&own, &bounds, &[4.0, 5.0, 7.0, 12.2], &mut sums));
        assert!(!quiet_by_bounds(&own, &bounds, &[4.0, 5.0, 7.0, 12.1], &mut sums));
        assert!(!quiet_by_bounds(&own, &bounds, &[4.0, 4.0, 7.0, 12.2], &mut sums));
        assert!(!quiet_by_bounds(&own, &bounds, &[3.0, 5.0, 7.0, 12.2], &mut sums));
        assert!(quiet_by_bounds(&own, &bounds, &[4.0, 5.0, 6.4], &mut sums));
    }
}
