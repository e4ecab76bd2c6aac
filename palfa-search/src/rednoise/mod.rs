//! Red-noise whitening: PRESTO's `rednoise` (HEAD algorithm), in place.
//!
//! The spectrum is cut into blocks whose length grows logarithmically with
//! frequency, `startwidth·ln(bin)` bins, capped at `endwidth`, and `endwidth`
//! beyond `endfreq`. Each block's noise level is its median power / ln 2 (the
//! mean of an exponential distribution whose median is the block's median,
//! robust to pulsar harmonics and birdies); amplitudes are divided by the square
//! root of that level, linearly interpolated between the midpoints of
//! neighbouring blocks. Afterwards noise powers are exponentially distributed
//! with mean 1, at every frequency. Bin 0 (DC) is set to (1, 0), as PRESTO does.
//!
//! ```
//! use palfa_core::config::RedNoiseParams;
//! use palfa_search::rednoise::whiten;
//! use palfa_search::spectrum::{Complex32, Spectrum};
//! let amps: Vec<Complex32> = (0..5000).map(|k| Complex32::new(100.0 + (k % 7) as f32, 30.0)).collect();
//! let mut spec = Spectrum { amps, n_samples: 9998, dt: 1e-3, t_obs_s: 9.998, dm: 0.0, mean: 0.0,
//!     info: Default::default() };
//! whiten(&mut spec, &RedNoiseParams { startwidth: 6, endwidth: 100, endfreq_hz: 6.0 });
//! // A flat but noiseless spectrum: every power becomes its median / level = ln 2.
//! let mean: f32 = spec.amps[1000..2000].iter().map(|a| a.norm_sqr()).sum::<f32>() / 1000.0;
//! assert!((mean - std::f32::consts::LN_2).abs() < 0.01, "{mean}");
//! ```

use palfa_core::config::RedNoiseParams;

use crate::spectrum::{Complex32, Spectrum};

mod median;

use median::{BlockMedians, LANES};

/// Median of `v` (reorders it): the upper middle element for even lengths.
pub(crate) fn median_in_place(v: &mut [f32]) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
    *m
}

/// Noise level (mean power) of a block from its median power.
fn block_level(block: &[Complex32], buf: &mut Vec<f32>) -> f32 {
    buf.clear();
    buf.extend(block.iter().map(|a| a.norm_sqr()));
    level_of_median(median_in_place(buf))
}

/// Noise level (mean power) from a block's median power.
fn level_of_median(median: f32) -> f32 {
    let level = median / std::f32::consts::LN_2;
    if level.is_finite() && level > f32::MIN_POSITIVE {
        level
    } else {
        // An all-zero (or broken) block: leave it as it is.
        1.0
    }
}

fn scale(a: &mut Complex32, level: f32) {
    let norm = 1.0 / level.max(f32::MIN_POSITIVE).sqrt();
    *a *= norm;
}

/// Whitens `spec` in place (see the module docs).
///
/// Block lengths follow PRESTO: the first block is `startwidth` bins starting
/// at bin 1; then `⌊startwidth·ln(b)⌋` bins (at least 1, at most `endwidth`)
/// where `b` is the next bin, until bin `endfreq·T`, then `endwidth`. A
/// spectrum shorter than one block is scaled by its single median level.
pub fn whiten(spec: &mut Spectrum, params: &RedNoiseParams) {
    let n = spec.amps.len();
    if n == 0 {
        return;
    }
    spec.amps[0] = Complex32::new(1.0, 0.0);
    let startwidth = params.startwidth.max(1);
    let endwidth = params.endwidth.max(startwidth);
    let t = spec.t_obs_s as f32;
    let data = &mut spec.amps[1..];
    let total = data.len();
    if total == 0 {
        return;
    }
    let mut buf = Vec::with_capacity(endwidth);
    if total <= startwidth {
        let level = block_level(data, &mut buf);
        data.iter_mut().for_each(|a| scale(a, level));
        return;
    }
    let blocks = block_levels(data, t, params, startwidth, endwidth, true);
    // First half of the first block: its own level.
    let (_, l0, lev0) = blocks[0];
    for a in &mut data[..l0 / 2] {
        scale(a, lev0);
    }
    let mut slope = 0f32;
    for w in blocks.windows(2) {
        let (s_old, l_old, lev_old) = w[0];
        let (s_new, l_new, lev_new) = w[1];
        slope = (lev_new - lev_old) / (0.5 * (l_old + l_new) as f32);
        let from = s_old + l_old / 2;
        let to = s_new + l_new / 2;
        for (i, a) in data[from..to].iter_mut().enumerate() {
            scale(a, lev_old + slope * i as f32);
        }
    }
    // The last half-block keeps the last slope.
    let (s_last, l_last, lev_last) = blocks[blocks.len() - 1];
    for (i, a) in data[s_last + l_last / 2..].iter_mut().enumerate() {
        scale(a, lev_last + slope * i as f32);
    }
}

/// Each block's `(start, length, level)` over `data` (bins 1…), for a
/// spectrum of `t` seconds; blocks of `endwidth` are selected [`LANES`] at a
/// time by a network when `network` is set (the same levels, faster).
fn block_levels(
    data: &[Complex32],
    t: f32,
    params: &RedNoiseParams,
    startwidth: usize,
    endwidth: usize,
    network: bool,
) -> Vec<(usize, usize, f32)> {
    let total = data.len();
    let next_len = |binnum: usize| -> usize {
        if (binnum as f32) / t < params.endfreq_hz as f32 {
            ((startwidth as f64 * (binnum as f64).ln()) as usize).clamp(1, endwidth)
        } else {
            endwidth
        }
    };
    let mut buf = Vec::with_capacity(endwidth);
    let mut blocks: Vec<(usize, usize, f32)> = Vec::with_capacity(total / endwidth + 64);
    let mut start = 0usize;
    let mut len = startwidth;
    let mut network = if network { BlockMedians::new(endwidth) } else { None };
    while start < total {
        if let Some(m) = network.as_mut().filter(|_| len == endwidth) {
            // Once a block is endwidth long every later one is (next_len
            // never shrinks), so whole groups of them can be taken here.
            let group = LANES * endwidth;
            while total - start >= group {
                let medians = m.median_powers(&data[start..start + group]);
                for (b, &med) in medians.iter().enumerate() {
                    blocks.push((start + b * endwidth, endwidth, level_of_median(med)));
                }
                start += group;
            }
            network = None;
            if start >= total {
                break;
            }
        }
        let l = len.min(total - start);
        let level = block_level(&data[start..start + l], &mut buf);
        blocks.push((start, l, level));
        start += l;
        len = next_len(start + 1);
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The levels from the selection network are those of one selection
    /// per block, for spectra whose widths and lengths leave partial groups.
    #[test]
    fn network_levels_equal_one_selection_per_block() {
        let mut state = 11u64;
        for (nbins, t, endwidth) in [
            (50_000usize, 20.0f32, 100usize),
            (7_777, 3.0, 100),
            (40_000, 100.0, 37),
            (9_000, 1.0, 300),
        ] {
            let data: Vec<Complex32> = (0..nbins)
                .map(|k| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let u = (state >> 40) as f32 / (1u64 << 24) as f32;
                    // Red noise and a few repeated values (ties).
                    let red = 1.0 + 1e3 / (1.0 + k as f32);
                    Complex32::new(red * (u - 0.5), if k % 5 == 0 { 1.0 } else { red * u })
                })
                .collect();
            let p = RedNoiseParams {
                startwidth: 6,
                endwidth,
                endfreq_hz: 6.0,
            };
            let fast = block_levels(&data, t, &p, 6, endwidth, true);
            let slow = block_levels(&data, t, &p, 6, endwidth, false);
            assert_eq!(fast, slow, "{nbins} bins, {t} s, endwidth {endwidth}");
            assert!(fast.len() > 30);
        }
    }

    #[test]
    fn median_of_small_sets() {
        assert_eq!(median_in_place(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median_in_place(&mut [4.0, 1.0, 3.0, 2.0]), 3.0);
        assert_eq!(median_in_place(&mut []), 0.0);
    }

    #[test]
    fn short_and_zero_spectra_do_not_break() {
        let p = RedNoiseParams {
            startwidth: 6,
            endwidth: 100,
            endfreq_hz: 6.0,
        };
        for n in [1usize, 2, 5, 8] {
            let mut s = Spectrum {
                amps: vec![Complex32::new(0.0, 0.0); n],
                n_samples: 2 * n,
                dt: 1e-3,
                t_obs_s: 2e-3 * n as f64,
                dm: 0.0,
                mean: 0.0,
                info: Default::default(),
            };
            whiten(&mut s, &p);
            assert!(s.amps.iter().all(|a| a.re.is_finite() && a.im.is_finite()));
            assert_eq!(s.amps[0], Complex32::new(1.0, 0.0));
        }
    }
}
