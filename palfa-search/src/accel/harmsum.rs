//! Harmonic summing over the f-ḟ plane and the threshold crossings it yields.
//!
//! As PRESTO: the summed plane is indexed by the r and z of the **highest**
//! harmonic summed. Stage `s` sums `H = 2^s` harmonics by adding, to the
//! stage `s − 1` sum, the plane read at the odd fractions `k/H` (k = 1, 3, …,
//! H − 1) of the cell's r and z: r' = round(2·r·k/H)/2 (half bins) and
//! z' = 2·round(z·k/(2H)). After each stage every cell is compared with that
//! stage's power threshold.
//!
//! Crossings are thinned as they are found: along each row, only the
//! strongest crossing per 15-bin stretch of fundamental frequency is kept, so
//! strong signals cannot flood memory; the final choice is made in `select`.

use std::ops::Range;

use multiversion::{multiversion, target::match_target};
use rayon::prelude::*;

use super::envelope::{self, Reach, GROUP, TILE};
use super::plane::{Extent, Plane};

/// Fourier bins (of the fundamental) within which only one candidate is kept
/// (PRESTO's ACCEL_CLOSEST_R).
pub const CLOSEST_R: f64 = 15.0;

/// A summed power over its stage's threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Crossing {
    /// Summed normalised power.
    pub power: f32,
    /// Stage: 2^stage harmonics.
    pub stage: u8,
    /// Half-bin index (2·r) of the highest harmonic.
    pub i_half: u64,
    /// z of the highest harmonic \[bins\].
    pub z: i32,
}

/// What to sum and where.
pub(crate) struct SumPlan<'a> {
    pub plane: &'a Plane,
    /// Largest |z| of the plane (even).
    pub zmax: u32,
    /// Power threshold per stage.
    pub powcut: &'a [f32],
    /// Searched half-bin indices of the highest harmonic, inclusive.
    pub i_lo: u64,
    pub i_hi: u64,
}

/// Plane row of the z nearest `z_full·k/H` (z_full = −zmax + 2·j_full).
fn sub_row(j_full: usize, zmax: u32, k: i64, h: i64) -> usize {
    let m = j_full as i64 - zmax as i64 / 2; // z_full / 2
    let m_sub = (2 * m * k + h).div_euclid(2 * h); // round(m·k/H)
    (m_sub + zmax as i64 / 2) as usize
}

/// Half-bin index nearest `i·k/H`.
#[cfg(test)]
fn sub_index(i: u64, k: u64, h: u64) -> u64 {
    (2 * i * k + h) / (2 * h)
}

/// Sums `blocks` of the plane, whose own full-precision powers are `tops`
/// (each block must have its sources computed: see [`sources_end`]), and
/// appends their thinned crossings of every stage to
/// `out`, in block order.
///
/// Every block starts at a half-bin index that is a multiple of the number of
/// harmonics (the plane's `lo_half` and block length are), so each fraction
/// `k/H` reads its source row with the same `H`-periodic pattern everywhere.
///
/// `ws` keeps the serial sum's buffers from one call to the next (made on
/// the first call; every call of one sweep must pass the same plan's).
pub(crate) fn sum_blocks(
    plan: &SumPlan<'_>,
    blocks: Range<usize>,
    tops: &[Vec<f32>],
    parallel: bool,
    ws: &mut Option<Workspace>,
    out: &mut Vec<Crossing>,
) {
    let fractions = all_fractions(plan.powcut.len());
    let work = |ws: &mut Workspace, (b, top): (usize, &Vec<f32>)| -> Vec<Crossing> {
        let mut found = Vec::new();
        sum_block(plan, &fractions, b, top, ws, true, &mut |stage, i_scan, z, acc, max| {
            scan(acc, max, plan.powcut[stage as usize], stage, i_scan, z, &mut found)
        });
        found
    };
    if parallel {
        let found: Vec<Vec<Crossing>> = blocks
            .into_par_iter()
            .zip(tops)
            .map_init(|| Workspace::new(plan), work)
            .collect();
        out.extend(found.into_iter().flatten());
    } else {
        let ws = ws.get_or_insert_with(|| Workspace::new(plan));
        for bt in blocks.zip(tops) {
            out.extend(work(ws, bt));
        }
    }
}

/// One past the last plane column that summing block `b` reads: the block
/// can be summed once every column before it is computed.
pub(crate) fn sources_end(plane: &Plane, b: usize, stages: usize) -> usize {
    let u = plane.uselen;
    let i0 = plane.lo_half as usize + b * u;
    let mut end = (b + 1) * u;
    for f in fractions(stages) {
        let (start, len) = source_span(i0, u, &f);
        end = end.max((start - plane.lo_half).max(0) as usize + len);
    }
    end
}

/// The rows and leading columns of `plane` that summing `stages` stages
/// reads through [`Plane::copy_row`], for highest-harmonic half-bin indices up
/// to `i_hi`: the subharmonic rows of the plane's first and last rows (row
/// lookups are monotonic in z), and the end of the last summed block's
/// sources. With one stage nothing is read.
pub(crate) fn read_extent(plane: &Plane, zmax: u32, stages: usize, i_hi: u64) -> Extent {
    let fractions = all_fractions(stages);
    if fractions.is_empty() || plane.numz == 0 {
        return Extent { rows: 0..0, cols: 0 };
    }
    let last = plane.numz - 1;
    let lo = fractions
        .iter()
        .map(|f| sub_row(0, zmax, f.k as i64, f.h as i64))
        .min()
        .unwrap_or(0);
    let hi = fractions
        .iter()
        .map(|f| sub_row(last, zmax, f.k as i64, f.h as i64))
        .max()
        .unwrap_or(last);
    let u = plane.uselen;
    let b_last = ((i_hi as i64 - plane.lo_half).max(0) as usize / u).min(plane.nblocks - 1);
    let i0 = plane.lo_half as usize + b_last * u;
    let cols = fractions
        .iter()
        .map(|f| {
            let (start, len) = source_span(i0, u, f);
            (start - plane.lo_half).max(0) as usize + len
        })
        .max()
        .unwrap_or(0);
    Extent { rows: lo..hi + 1, cols }
}

/// First half-bin index and length of what fraction `f` reads for a block
/// of `u` outputs starting at half-bin index `i0` (a multiple of `f.h`),
/// with the group width and fraction numerator `add_stage` uses (≥ 8).
fn source_span(i0: usize, u: usize, f: &Fraction) -> (i64, usize) {
    let hp = f.h.max(8);
    ((i0 / f.h * f.k) as i64, (u / hp - 1) * (hp * f.k / f.h) + hp)
}

/// Per-thread buffers of [`sum_block`].
pub(crate) struct Workspace {
    /// Running sums of one row of a block.
    acc: Vec<f32>,
    /// Each fraction's source stretch in `f32`.
    sources: Vec<Vec<f32>>,
    /// The plane row each of `sources` holds (`usize::MAX`: none yet).
    cached: Vec<usize>,
    /// The envelope's bounds ([`envelope`]): each group's own largest power,
    own: Vec<f32>,
    /// each fraction's bound per group,
    bounds: Vec<Vec<f32>>,
    /// the plane row each of `bounds` is for (`usize::MAX`: none yet),
    bounded: Vec<usize>,
    /// a fraction's stretch of tiles, and the stage sums of the bounds.
    tiles: Vec<f32>,
    sums: Vec<f32>,
}

impl Workspace {
    fn new(plan: &SumPlan<'_>) -> Self {
        let u = plan.plane.uselen;
        let n = all_fractions(plan.powcut.len()).len();
        // The envelope's buffers only where the plane keeps one.
        let groups = if plan.plane.tiles > 0 { u / GROUP } else { 0 };
        let n_env = if groups > 0 { n } else { 0 };
        Self {
            acc: vec![0f32; u],
            sources: vec![vec![0f32; u + 64]; n],
            cached: vec![usize::MAX; n],
            own: vec![0f32; groups],
            bounds: vec![vec![0f32; groups]; n_env],
            bounded: vec![usize::MAX; n_env],
            // A stretch of at most u columns, its first one up to a tile in.
            tiles: vec![0f32; if groups > 0 { u / TILE + 2 } else { 0 }],
            sums: vec![0f32; groups],
        }
    }
}

/// One subharmonic fraction k/H.
struct Fraction {
    k: usize,
    h: usize,
}

/// The index pattern of fraction K/H over one group of H outputs:
/// `round(m·K/H)`, m = 0…H−1.
const fn pattern<const H: usize, const K: usize>() -> [usize; H] {
    let mut p = [0usize; H];
    let mut m = 0;
    while m < H {
        p[m] = (2 * m * K + H) / (2 * H);
        m += 1;
    }
    p
}

/// Defines `fn $name(acc, srcs) -> max`: adds every fraction K/H of one stage
/// at once, `acc[q·H + m] += Σ_f srcs[f][q·K_f + round(m·K_f/H)]`, over whole
/// groups of H outputs, and returns the largest sum. The offsets are
/// constants, so the inner loops compile to straight-line loads and adds, and
/// `acc` is read and written once per stage.
macro_rules! stage_fn {
    ($name:ident, $h:literal, $n:literal, [$($k:literal),*]) => {
        #[inline(always)]
        fn $name(acc: &mut [f32], srcs: &[&[f32]]) -> f32 {
            const KS: [usize; $n] = [$($k),*];
            const PATS: [[usize; $h]; $n] = [$(pattern::<$h, $k>()),*];
            let mut lanes = [f32::NEG_INFINITY; $h];
            let Some(srcs) = srcs.get(..$n).and_then(|s| <&[&[f32]; $n]>::try_from(s).ok()) else {
                return f32::INFINITY;
            };
            for (q, chunk) in acc.chunks_exact_mut($h).enumerate() {
                let mut ws: [&[f32; $h]; $n] = [&[0.0; $h]; $n];
                for f in 0..$n {
                    let w = srcs[f].get(q * KS[f]..q * KS[f] + $h).and_then(|w| <&[f32; $h]>::try_from(w).ok());
                    match w {
                        Some(w) => ws[f] = w,
                        // Cannot happen (sources are sized for the block);
                        // an infinite maximum makes the caller scan anyway.
                        None => return f32::INFINITY,
                    }
                }
                for m in 0..$h {
                    let mut v = chunk[m];
                    for f in 0..$n {
                        v += ws[f][PATS[f][m]];
                    }
                    chunk[m] = v;
                    lanes[m] = if v > lanes[m] { v } else { lanes[m] };
                }
            }
            lanes.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
        }
    };
}

// Stages of fewer than 8 harmonics work on groups of 8 outputs (fraction
// k/H = (8k/H)/8): wider groups vectorise better and keep 8 independent
// running maxima (measured: 15% faster for the hi pass than groups of H, and
// than groups of 16). Blocks start at multiples of 32 half-bins, so the
// patterns hold.
stage_fn!(add_stage2, 8, 1, [4]);
stage_fn!(add_stage4, 8, 2, [2, 6]);
stage_fn!(add_stage8, 8, 4, [1, 3, 5, 7]);
stage_fn!(add_stage16, 16, 8, [1, 3, 5, 7, 9, 11, 13, 15]);
stage_fn!(
    add_stage32,
    32,
    16,
    [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31]
);

/// Index pattern of fraction k/H (H ≤ 16) over 16 outputs read from a
/// window starting at `q·(16/H)·k`: `round(m·k/H)`, m = 0…15.
fn pattern16(h: usize, k: usize) -> [i32; 16] {
    std::array::from_fn(|m| ((2 * m * k + h) / (2 * h)) as i32)
}

/// The AVX-512 stage sum over `$n` fractions of `$h` harmonics: per 16
/// outputs, each fraction's source window loaded and shuffled by its
/// pattern in one `vpermps`, added in the order of `srcs` (as the portable
/// kernels add, so the sums are the same to the bit). Expanded inside an
/// AVX-512 version of [`add_stage`], where the intrinsics are safe to call.
macro_rules! avx512_stage {
    ($acc:ident, $srcs:ident, $h:literal, $n:literal) => {{
        use std::arch::x86_64::*;
        let Some(srcs) = $srcs.get(..$n).and_then(|s| <&[&[f32]; $n]>::try_from(s).ok()) else {
            return f32::INFINITY;
        };
        let ix: [__m512i; $n] = std::array::from_fn(|f| bytemuck::cast(pattern16($h, 2 * f + 1)));
        let mut vmax = _mm512_set1_ps(f32::NEG_INFINITY);
        for (q, chunk) in $acc.chunks_exact_mut(16).enumerate() {
            let Ok(out) = <&mut [f32; 16]>::try_from(chunk) else {
                return f32::INFINITY;
            };
            let mut v: __m512 = bytemuck::cast(*out);
            for f in 0..$n {
                let start = q * (16 / $h) * (2 * f + 1);
                let Some(w) = srcs[f]
                    .get(start..start + 16)
                    .and_then(|w| <[f32; 16]>::try_from(w).ok())
                else {
                    // Cannot happen (sources are sized for the block); an
                    // infinite maximum makes the caller scan anyway.
                    return f32::INFINITY;
                };
                v = _mm512_add_ps(v, _mm512_permutexvar_ps(ix[f], bytemuck::cast(w)));
            }
            *out = bytemuck::cast(v);
            vmax = _mm512_max_ps(vmax, v);
        }
        return _mm512_reduce_max_ps(vmax);
    }};
}

/// Adds stage `h`'s fractions (sources in the order k = 1, 3, …, h − 1);
/// returns the largest sum in the block (an upper bound of the searched part's).
/// With AVX-512, stages of up to 16 harmonics use [`avx512_stage`]; the
/// portable kernels (vectorised by the compiler) do the rest.
#[multiversion(targets = "simd")]
fn add_stage(h: usize, acc: &mut [f32], srcs: &[&[f32]]) -> f32 {
    match_target! {
        "x86_64+avx512f" => {
            if acc.len().is_multiple_of(16) {
                match h {
                    2 => avx512_stage!(acc, srcs, 2, 1),
                    4 => avx512_stage!(acc, srcs, 4, 2),
                    8 => avx512_stage!(acc, srcs, 8, 4),
                    16 => avx512_stage!(acc, srcs, 16, 8),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    match h {
        2 => add_stage2(acc, srcs),
        4 => add_stage4(acc, srcs),
        8 => add_stage8(acc, srcs),
        16 => add_stage16(acc, srcs),
        _ => add_stage32(acc, srcs),
    }
}

/// Receives each stage's sums: (stage, first half-bin index, z, powers, an
/// upper bound of their maximum).
type StageSink<'a> = dyn FnMut(u8, u64, i32, &[f32], f32) + 'a;

/// The fractions of every stage after the first, in summing order.
fn fractions(stages: usize) -> impl Iterator<Item = Fraction> {
    (1..stages).flat_map(|s| {
        let h = 1usize << s;
        (1..h).step_by(2).map(move |k| Fraction { k, h })
    })
}

/// [`fractions`] in a `Vec`.
fn all_fractions(stages: usize) -> Vec<Fraction> {
    fractions(stages).collect()
}

/// Sums block `b`, whose own full-precision powers are `top` (`[z][u]`);
/// after each stage calls `sink(stage, first half-bin index, z, summed
/// powers, an upper bound of their maximum)` with the searched part of the
/// block. With `skip_quiet`, a row whose every stage stays at or under its
/// threshold ([`quiet_row_maxima`], where the CPU has a kernel for it) is
/// not handed over: the sink is then only worth calling for crossings.
#[allow(clippy::too_many_arguments)]
fn sum_block(
    plan: &SumPlan<'_>,
    fractions: &[Fraction],
    b: usize,
    top: &[f32],
    ws: &mut Workspace,
    skip_quiet: bool,
    sink: &mut StageSink<'_>,
) {
    let p = plan.plane;
    let u = p.uselen;
    let lo_half = p.lo_half as u64;
    let stages = plan.powcut.len();
    let c_first = (b * u) as u64;
    let i0 = lo_half + c_first;
    // The part of this block inside the searched range.
    let t_lo = plan.i_lo.saturating_sub(i0).min(u as u64) as usize;
    let t_hi = (plan.i_hi + 1).saturating_sub(i0).min(u as u64) as usize;
    if t_lo >= t_hi {
        return;
    }
    let i_scan = i0 + t_lo as u64;
    // Rows are bounded by the envelope where the plane keeps one
    // ([`envelope::keeps_envelope`]) and the blocks come with their tile
    // maxima.
    let reaches: Option<Vec<Reach>> =
        if skip_quiet && p.tiles > 0 && u.is_multiple_of(GROUP) && top.len() == p.numz * (u + u / TILE) {
            fractions.iter().map(|f| Reach::new(f.k, f.h)).collect()
        } else {
            None
        };
    let Workspace {
        acc,
        sources,
        cached,
        own,
        bounds,
        bounded,
        tiles,
        sums,
    } = ws;
    cached.fill(usize::MAX);
    bounded.fill(usize::MAX);
    let (top, top_tiles) = top.split_at(p.numz * u);
    for j in 0..p.numz {
        let row = &top[j * u..(j + 1) * u];
        if let Some(reaches) = &reaches {
            let ut = u / TILE;
            envelope::pair_maxima(&top_tiles[j * ut..(j + 1) * ut], own);
            for (n, (f, &reach)) in fractions.iter().zip(reaches).enumerate() {
                let jr = sub_row(j, plan.zmax, f.k as i64, f.h as i64);
                if bounded[n] != jr {
                    let (start, _) = source_span(i0 as usize, u, f);
                    let c = start - p.lo_half;
                    let (first, c0) = (c.div_euclid(TILE as i64), c.rem_euclid(TILE as i64) as usize);
                    let groups = bounds[n].len();
                    let needed = (c0 + groups.saturating_sub(1) * reach.step + reach.last) / TILE + 1;
                    p.copy_tiles(jr, first, &mut tiles[..needed]);
                    envelope::group_bounds(&tiles[..needed], c0, reach, &mut bounds[n]);
                    bounded[n] = jr;
                }
            }
            let mut b: [&[f32]; 15] = [&[]; 15];
            for (dst, src) in b.iter_mut().zip(bounds.iter()) {
                *dst = src;
            }
            if envelope::quiet_by_bounds(own, &b[..fractions.len()], plan.powcut, sums) {
                continue;
            }
        }
        // Each fraction's source stretch, converted to f32 unless the
        // previous row read the same one.
        for (n, f) in fractions.iter().enumerate() {
            let jr = sub_row(j, plan.zmax, f.k as i64, f.h as i64);
            if cached[n] != jr {
                // i0 is a multiple of H, so the source starts exactly at i0·k/H.
                let (start, len) = source_span(i0 as usize, u, f);
                p.copy_row(jr, start - p.lo_half, &mut sources[n][..len]);
                cached[n] = jr;
            }
        }
        let mut srcs: [&[f32]; 31] = [&[]; 31];
        for (src, buf) in srcs.iter_mut().zip(sources.iter()) {
            *src = buf;
        }
        let srcs = &srcs[..fractions.len()];
        if skip_quiet {
            if let Some(maxima) = quiet_row_maxima(row, srcs, stages) {
                if maxima.iter().zip(plan.powcut).all(|(m, cut)| m <= cut) {
                    continue;
                }
            }
        }
        acc.copy_from_slice(row);
        let z_full = -(plan.zmax as i32) + 2 * j as i32;
        sink(0, i_scan, z_full, &acc[t_lo..t_hi], envelope::largest(&acc[t_lo..t_hi]));
        let mut fi = 0;
        for s in 1..stages {
            let nf = (1usize << s) / 2;
            let max = add_stage(1 << s, acc, &srcs[fi..fi + nf]);
            fi += nf;
            sink(s as u8, i_scan, z_full, &acc[t_lo..t_hi], max);
        }
    }
}

/// Each stage's largest sum over one row of a block of 8-harmonic sums
/// (4 stages), without storing the sums: the highest harmonic `row` plus the
/// subharmonic sources `srcs` (k/H = 1/2, 1/4, 3/4, 1/8, 3/8, 5/8, 7/8) added
/// in [`add_stage`]'s order, so the maxima are the ones its stages return.
/// `None` where the CPU (no AVX-512) or the number of stages has no such
/// kernel: the caller then sums the row stage by stage.
#[multiversion(targets = "simd")]
fn quiet_row_maxima(row: &[f32], srcs: &[&[f32]], stages: usize) -> Option<[f32; 4]> {
    match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            if stages != 4 || srcs.len() != 7 || !row.len().is_multiple_of(16) {
                return None;
            }
            const FRACTIONS: [(usize, usize); 7] = [(2, 1), (4, 1), (4, 3), (8, 1), (8, 3), (8, 5), (8, 7)];
            let ix: [__m512i; 7] = std::array::from_fn(|f| bytemuck::cast(pattern16(FRACTIONS[f].0, FRACTIONS[f].1)));
            let step: [usize; 7] = std::array::from_fn(|f| 16 / FRACTIONS[f].0 * FRACTIONS[f].1);
            let mut m = [_mm512_set1_ps(f32::NEG_INFINITY); 4];
            for (q, t) in row.chunks_exact(16).enumerate() {
                let t = <[f32; 16]>::try_from(t).ok()?;
                let mut v: __m512 = bytemuck::cast(t);
                m[0] = _mm512_max_ps(m[0], v);
                for f in 0..7 {
                    let start = q * step[f];
                    let w = <[f32; 16]>::try_from(srcs[f].get(start..start + 16)?).ok()?;
                    v = _mm512_add_ps(v, _mm512_permutexvar_ps(ix[f], bytemuck::cast(w)));
                    // The last fraction of each stage.
                    match f {
                        0 => m[1] = _mm512_max_ps(m[1], v),
                        2 => m[2] = _mm512_max_ps(m[2], v),
                        6 => m[3] = _mm512_max_ps(m[3], v),
                        _ => {}
                    }
                }
            }
            Some([
                _mm512_reduce_max_ps(m[0]),
                _mm512_reduce_max_ps(m[1]),
                _mm512_reduce_max_ps(m[2]),
                _mm512_reduce_max_ps(m[3]),
            ])
        }
        _ => {
            let _ = (row, srcs, stages);
            None
        }
    }
}

/// Records the strongest crossing of `cut` per 15-bin stretch of fundamental
/// frequency along one row; `max` bounds the row's values from above.
fn scan(acc: &[f32], max: f32, cut: f32, stage: u8, i0: u64, z: i32, out: &mut Vec<Crossing>) {
    if max <= cut {
        return;
    }
    // A stretch of CLOSEST_R fundamental bins is 2·H·CLOSEST_R half-bins of the highest harmonic.
    let span = (2.0 * (1u64 << stage) as f64 * CLOSEST_R) as u64;
    let mut best: Option<Crossing> = None;
    for (t, &v) in acc.iter().enumerate() {
        if v > cut {
            let i = i0 + t as u64;
            let c = Crossing {
                power: v,
                stage,
                i_half: i,
                z,
            };
            match best {
                Some(bc) if bc.i_half / span == i / span => {
                    if v > bc.power {
                        best = Some(c);
                    }
                }
                Some(bc) => {
                    out.push(bc);
                    best = Some(c);
                }
                None => best = Some(c),
            }
        }
    }
    if let Some(bc) = best {
        out.push(bc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::hugebuf::HugeBuf;
    use crate::stats::{normal_logq, power_for_sigma};

    /// A plane stored from `data` (`[z][column]`) and each block's powers in
    /// full precision, as the sweep hands them over.
    fn test_plane(numz: usize, uselen: usize, nblocks: usize, lo_half: i64, data: &[f32]) -> (Plane, Vec<Vec<f32>>) {
        let ncols = uselen * nblocks;
        let halves: Vec<u16> = data
            .iter()
            .map(|&v| {
                let mut h = [0u16];
                super::super::half_store::store(&[v], &mut h);
                h[0]
            })
            .collect();
        let mut plane = Plane {
            numz,
            uselen,
            nblocks,
            lo_half,
            ncols,
            rows: 0..numz,
            stored: ncols,
            tiles: 0,
            data: HugeBuf::from_slice(&halves),
        };
        plane.fill_tiles();
        // Each block's powers, then their tile maxima, as `compute_blocks` hands them over.
        let tops = (0..nblocks)
            .map(|b| {
                let rows = (0..numz).map(|j| &data[j * ncols + b * uselen..j * ncols + (b + 1) * uselen]);
                let mut top: Vec<f32> = rows.clone().flatten().copied().collect();
                for row in rows {
                    let mut m = vec![0.0; uselen.div_ceil(TILE)];
                    envelope::tile_maxima(row, &mut m);
                    top.extend(m);
                }
                top
            })
            .collect();
        (plane, tops)
    }

    /// χ² calibration: sums of H independent exponential powers made by the
    /// search's own harmonic-sum code exceed `power_for_sigma(s, H, 1)` in the
    /// fraction Q(s) of cells (Q the Gaussian upper tail), for every stage.
    #[test]
    fn summed_noise_powers_follow_the_chi2_tail() {
        let uselen = 1024;
        let nblocks = 1024;
        let ncols = uselen * nblocks;
        let mut state = 0x1234_5678_9abc_def0u64;
        let data: Vec<f32> = (0..ncols)
            .map(|_| {
                // xorshift64*, then an exponential deviate.
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let u = ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
                -u.ln() as f32
            })
            .collect();
        let (plane, tops) = test_plane(1, uselen, nblocks, 0, &data);
        for sigma in [2.0, 3.0] {
            let cuts: Vec<f32> = (0..5).map(|s| power_for_sigma(sigma, 1 << s, 1.0) as f32).collect();
            let plan = SumPlan {
                plane: &plane,
                zmax: 0,
                powcut: &cuts,
                i_lo: 1 << 15,
                i_hi: ncols as u64 - 1,
            };
            let mut above = [0usize; 5];
            let mut total = [0usize; 5];
            let fr = all_fractions(5);
            let mut ws = Workspace::new(&plan);
            for (b, top) in tops.iter().enumerate() {
                sum_block(&plan, &fr, b, top, &mut ws, false, &mut |s, _, _, acc, _| {
                    total[s as usize] += acc.len();
                    above[s as usize] += acc.iter().filter(|&&v| v > cuts[s as usize]).count();
                });
            }
            let q = normal_logq(sigma).exp();
            for s in 0..5 {
                let frac = above[s] as f64 / total[s] as f64;
                // ~1e6 cells, fewer independent ones (neighbours share
                // subharmonic values): ≤ 5% (2σ) and ≤ 15% (3σ) relative.
                let tol = if sigma == 2.0 { 0.05 } else { 0.15 };
                eprintln!("{sigma}σ, {} harmonics: fraction {frac:.5}, Q = {q:.5}", 1 << s);
                assert!(
                    (frac / q - 1.0).abs() < tol,
                    "{sigma}σ, {} harmonics: {frac} vs {q}",
                    1 << s
                );
            }
        }
    }

    /// The grouped, pattern-driven sums equal a direct sum over the plane.
    #[test]
    fn grouped_sums_equal_direct_sums() {
        let (uselen, nblocks, numz, zmax) = (64usize, 40usize, 5usize, 4u32);
        let ncols = uselen * nblocks;
        let mut checked = 0;
        // (first column's half-bin index, stages, lowest searched half-bin index ≥ 2^(stages−1)·lo_half)
        for (lo_half, stages, i_lo) in [(96i64, 5usize, 1600u64), (32, 6, 1100)] {
            let data: Vec<f32> = (0..numz * ncols).map(|i| ((i * 7919) % 1009) as f32 * 0.01).collect();
            let (plane, tops) = test_plane(numz, uselen, nblocks, lo_half, &data);
            let cuts = vec![f32::INFINITY; stages];
            let plan = SumPlan {
                plane: &plane,
                zmax,
                powcut: &cuts,
                i_lo,
                i_hi: lo_half as u64 + ncols as u64 - 1,
            };
            let fr = all_fractions(stages);
            let mut ws = Workspace::new(&plan);
            for (b, top) in tops.iter().enumerate() {
                sum_block(&plan, &fr, b, top, &mut ws, false, &mut |s, i_scan, z, acc, max| {
                    let h = 1i64 << s;
                    let j = ((z + zmax as i32) / 2) as usize;
                    for (t, &v) in acc.iter().enumerate() {
                        let i = i_scan as i64 + t as i64;
                        let direct: f32 = (1..=h)
                            .map(|k| {
                                let jr = sub_row(j, zmax, k, h);
                                let c = (2 * i * k + h).div_euclid(2 * h) - lo_half;
                                // The highest harmonic in full precision, the others as stored.
                                if k == h {
                                    data[jr * ncols + c as usize]
                                } else {
                                    half::f16::from_bits(plane.row(jr)[c as usize]).to_f32()
                                }
                            })
                            .sum();
                        assert!(
                            (v - direct).abs() < 1e-3 * direct.max(1.0),
                            "stage {s} i {i} z {z}: {v} vs {direct}"
                        );
                        assert!(v <= max);
                        checked += 1;
                    }
                });
            }
        }
        assert!(checked > 5 * numz * 1000);
    }

    /// Skipping the rows whose sums all stay under their thresholds loses no
    /// crossing: the same crossings as summing every row stage by stage,
    /// for 8 harmonics (the fused kernel's case) and for 4 and 16.
    #[test]
    fn skipping_quiet_rows_keeps_every_crossing() {
        let (uselen, nblocks, numz, zmax) = (1856usize, 24usize, 11usize, 10u32);
        let ncols = uselen * nblocks;
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let data: Vec<f32> = (0..numz * ncols)
            .map(|i| {
                state ^= state >> 12;
                state ^= state << 25;
                state ^= state >> 27;
                let u = ((state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
                // Exponential noise, and a few strong columns.
                -u.ln() as f32 + if i % 7919 == 0 { 40.0 } else { 0.0 }
            })
            .collect();
        let (plane, tops) = test_plane(numz, uselen, nblocks, 0, &data);
        for stages in [3usize, 4, 5] {
            let cuts: Vec<f32> = (0..stages).map(|s| power_for_sigma(4.0, 1 << s, 1.0) as f32).collect();
            let plan = SumPlan {
                plane: &plane,
                zmax,
                powcut: &cuts,
                i_lo: 1 << 12,
                i_hi: ncols as u64 - 1,
            };
            let fr = all_fractions(stages);
            let mut found = [Vec::new(), Vec::new()];
            for (skip, out) in [false, true].into_iter().zip(found.iter_mut()) {
                let mut ws = Workspace::new(&plan);
                for (b, top) in tops.iter().enumerate() {
                    sum_block(&plan, &fr, b, top, &mut ws, skip, &mut |stage, i0, z, acc, max| {
                        scan(acc, max, cuts[stage as usize], stage, i0, z, out)
                    });
                }
            }
            assert!(found[0].len() > 50, "{stages} stages: {} crossings", found[0].len());
            assert_eq!(found[0], found[1], "{stages} stages");
        }
    }

    /// The envelope never skips a row that crosses: on a plane whose powers
    /// rise slowly with the column (so each bound is within a few parts in
    /// 10^4 of the sum it bounds), thresholds set a hair (1 ppm) under
    /// rows' exact maxima still give those rows' crossings, and the same
    /// crossings as summing every row. (A margin on the wrong side of the
    /// threshold, even by 1e-5, fails this; bounds a tile short of a group's
    /// reach fail `envelope`'s own tests.)
    #[test]
    fn the_envelope_never_skips_a_row_that_crosses() {
        let (uselen, nblocks, numz, zmax) = (1856usize, 24usize, 11usize, 10u32);
        let ncols = uselen * nblocks;
        let data: Vec<f32> = (0..numz * ncols)
            .map(|i| 1.0 + 0.05 * (i / ncols) as f32 + 1e-4 * (i % ncols) as f32)
            .collect();
        let (plane, tops) = test_plane(numz, uselen, nblocks, 0, &data);
        assert!(plane.tiles > 0);
        for stages in [2usize, 3, 4] {
            let fr = all_fractions(stages);
            // Every row of every block summed (`skip` false) or bounded
            // first; `sink` gets each stage's sums of each summed row.
            let sum_all = |cuts: &[f32], skip: bool, sink: &mut StageSink<'_>| {
                let plan = SumPlan {
                    plane: &plane,
                    zmax,
                    powcut: cuts,
                    i_lo: 1 << 12,
                    i_hi: ncols as u64 - 1,
                };
                let mut ws = Workspace::new(&plan);
                for (b, top) in tops.iter().enumerate() {
                    sum_block(&plan, &fr, b, top, &mut ws, skip, sink);
                }
            };
            // Every row's exact largest sum per stage.
            let mut maxima = vec![Vec::new(); stages];
            sum_all(&vec![f32::INFINITY; stages], false, &mut |stage, _, _, acc, _| {
                maxima[stage as usize].push(envelope::largest(acc))
            });
            for q in [0.3, 0.7] {
                let targets: Vec<f32> = maxima
                    .iter()
                    .map(|m| {
                        let mut m = m.clone();
                        m.sort_by(f32::total_cmp);
                        m[(q * m.len() as f64) as usize]
                    })
                    .collect();
                let cuts: Vec<f32> = targets.iter().map(|&t| t * (1.0 - 1e-6)).collect();
                let found: Vec<Vec<Crossing>> = [false, true]
                    .iter()
                    .map(|&skip| {
                        let mut out = Vec::new();
                        sum_all(&cuts, skip, &mut |stage, i0, z, acc, max| {
                            scan(acc, max, cuts[stage as usize], stage, i0, z, &mut out)
                        });
                        out
                    })
                    .collect();
                assert_eq!(found[0], found[1], "{stages} stages, quantile {q}");
                for (s, &t) in targets.iter().enumerate() {
                    assert!(
                        found[1].iter().any(|c| c.stage as usize == s && c.power == t),
                        "{stages} stages, quantile {q}: the row at {t} of stage {s} was skipped"
                    );
                }
            }
        }
    }

    /// The stage sums the CPU's widest kernels make (AVX-512 where it has
    /// it) are the portable kernels' to the bit, maxima included.
    #[test]
    fn dispatched_stage_sums_equal_the_portable_ones() {
        let u = 1856;
        let mut state = 7u32;
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 * 20.0
        };
        let top: Vec<f32> = (0..u).map(|_| next()).collect();
        let sources: Vec<Vec<f32>> = (0..16).map(|_| (0..u + 64).map(|_| next()).collect()).collect();
        type Kernel = fn(&mut [f32], &[&[f32]]) -> f32;
        let portable: [Kernel; 5] = [add_stage2, add_stage4, add_stage8, add_stage16, add_stage32];
        for (s, kernel) in portable.iter().enumerate() {
            let h = 2usize << s;
            let srcs: Vec<&[f32]> = sources[..h / 2].iter().map(|v| v.as_slice()).collect();
            let (mut a, mut b) = (top.clone(), top.clone());
            let ma = add_stage(h, &mut a, &srcs);
            let mb = kernel(&mut b, &srcs);
            assert_eq!(ma, mb, "{h} harmonics: maxima");
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{h} harmonics"
            );
        }
    }

    #[test]
    fn subharmonic_lookups_round_to_the_nearest_cell() {
        // r = 100 bins (half index 200) at H = 4: k = 1 → 25 bins, k = 3 → 75 bins.
        assert_eq!(sub_index(200, 1, 4), 50);
        assert_eq!(sub_index(200, 3, 4), 150);
        // Half index 201 (r = 100.5): 100.5/4 = 25.125 → 25.0 (index 50).
        assert_eq!(sub_index(201, 1, 4), 50);
        // z = +8 (row 14 of zmax 20) at k/H = 1/4 → z' = 2 (row 11); z = −8 → −2.
        assert_eq!(sub_row(14, 20, 1, 4), 11);
        assert_eq!(sub_row(6, 20, 1, 4), 9);
        assert_eq!(sub_row(10, 20, 1, 2), 10);
    }
}
