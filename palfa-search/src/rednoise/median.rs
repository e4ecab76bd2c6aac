//! Medians of many blocks of equal width at once, by a selection network.
//!
//! The whitening needs the median power of every block of `endwidth` (100)
//! bins across most of a spectrum: tens of thousands of small selections per
//! series. A quickselect spends its time on unpredictable branches; here
//! [`LANES`] blocks are selected together instead, block `b` in lane `b` of
//! each of `width` rows, by a fixed sequence of compare-exchanges (Batcher's
//! odd–even merge sort, with the comparators that cannot reach the median's
//! row removed), each a lane-wise min and max that the compiler turns into a
//! couple of vector instructions. On a 2-core Xeon that is 4× faster than
//! `select_nth_unstable` per block of 100 (and no faster at 512, where the
//! network's n·log²n comparators catch up: [`MAX_WIDTH`]).
//!
//! The result is exactly [`super::median_in_place`]'s: the element of rank
//! `width / 2` in `f32::total_cmp` order (powers compare as the integers
//! `total_cmp` maps them to), ties and non-finite values included.

use std::sync::{Arc, Mutex, PoisonError};

use multiversion::multiversion;
use rustfft::num_complex::Complex32;

/// Blocks selected at once (one per lane of a 512-bit vector of `i32`).
pub(crate) const LANES: usize = 16;

/// Widest block the network is used for; wider ones are selected one at a
/// time (the network's cost grows as width·log²width).
pub(crate) const MAX_WIDTH: usize = 256;

/// Compare-exchanges `(i, j)`, `i < j`: row `i` gets the smaller key.
type Network = Arc<[(u16, u16)]>;

/// Medians of [`LANES`] blocks of one width at a time.
pub(crate) struct BlockMedians {
    width: usize,
    rank: usize,
    net: Network,
    /// `[row][lane]` keys of the blocks being selected.
    rows: Vec<[i32; LANES]>,
}

impl BlockMedians {
    /// A network for blocks of `width` values, `1 ≤ width ≤ MAX_WIDTH`
    /// (`None` otherwise).
    pub fn new(width: usize) -> Option<Self> {
        if !(1..=MAX_WIDTH).contains(&width) {
            return None;
        }
        let rank = width / 2;
        Some(Self {
            width,
            rank,
            net: cached_network(width),
            rows: vec![[0; LANES]; width],
        })
    }

    /// The median power `|a|²` of each of the [`LANES`] consecutive blocks of
    /// `width` amplitudes in `amps` (`amps.len() == LANES · width`).
    ///
    /// # Panics
    /// If `amps` is not `LANES · width` long.
    pub fn median_powers(&mut self, amps: &[Complex32]) -> [f32; LANES] {
        assert_eq!(amps.len(), LANES * self.width, "blocks of {} amplitudes", self.width);
        fill_power_keys(amps, self.width, &mut self.rows);
        run_network(&self.net, &mut self.rows);
        self.rows[self.rank].map(from_key)
    }
}

/// The median network of `width` rows, built once per width per process
/// (every series' whitening uses the same one or two widths).
fn cached_network(width: usize) -> Network {
    static BUILT: Mutex<Vec<(usize, Network)>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, net)) = built.iter().find(|(w, _)| *w == width) {
        return Arc::clone(net);
    }
    let net: Network = median_network(width, width / 2).into();
    built.push((width, Arc::clone(&net)));
    net
}

/// `f32` to the integer whose order is `f32::total_cmp`'s (its own inverse).
#[inline(always)]
fn to_key(x: f32) -> i32 {
    let b = x.to_bits() as i32;
    b ^ (((b >> 31) as u32) >> 1) as i32
}

#[inline(always)]
fn from_key(k: i32) -> f32 {
    f32::from_bits((k ^ (((k >> 31) as u32) >> 1) as i32) as u32)
}

/// Block `b`'s powers into lane `b` of `rows`.
#[multiversion(targets = "simd")]
fn fill_power_keys(amps: &[Complex32], width: usize, rows: &mut [[i32; LANES]]) {
    for (b, block) in amps.chunks_exact(width).enumerate() {
        for (row, a) in rows.iter_mut().zip(block) {
            row[b] = to_key(a.norm_sqr());
        }
    }
}

/// Applies the compare-exchanges to every lane.
#[multiversion(targets = "simd")]
fn run_network(net: &[(u16, u16)], rows: &mut [[i32; LANES]]) {
    for &(i, j) in net {
        let (a, b) = (rows[i as usize], rows[j as usize]);
        let mut lo = [0i32; LANES];
        let mut hi = [0i32; LANES];
        for l in 0..LANES {
            lo[l] = a[l].min(b[l]);
            hi[l] = a[l].max(b[l]);
        }
        rows[i as usize] = lo;
        rows[j as usize] = hi;
    }
}

/// The comparators of Batcher's odd–even merge sort of `n` (a power of two)
/// rows, in order.
fn odd_even_merge_sort(n: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut p = 1;
    while p < n {
        let mut k = p;
        while k >= 1 {
            let mut j = k % p;
            while j + k < n {
                for i in 0..k.min(n - j - k) {
                    if (i + j) / (2 * p) == (i + j + k) / (2 * p) {
                        out.push((i + j, i + j + k));
                    }
                }
                j += 2 * k;
            }
            k /= 2;
        }
        p *= 2;
    }
    out
}

/// A network that puts the element of `rank` into row `rank` of `width` rows.
///
/// The sort of the next power of two, with rows `width…` holding +∞: a
/// comparator with its upper row there never moves anything (that row holds
/// the maximum, and the rows above `width` only ever meet each other), so it
/// is dropped; then, walking backwards from row `rank`, every comparator that
/// cannot affect that row is dropped too.
fn median_network(width: usize, rank: usize) -> Vec<(u16, u16)> {
    let sort: Vec<(usize, usize)> = odd_even_merge_sort(width.next_power_of_two())
        .into_iter()
        .filter(|&(_, j)| j < width)
        .collect();
    let mut needed = vec![false; width];
    needed[rank] = true;
    let mut kept = Vec::new();
    for &(i, j) in sort.iter().rev() {
        if needed[i] || needed[j] {
            needed[i] = true;
            needed[j] = true;
            // width ≤ MAX_WIDTH, so rows fit in u16.
            kept.push((i as u16, j as u16));
        }
    }
    kept.reverse();
    kept
}

#[cfg(test)]
mod tests {
    use super::super::median_in_place;
    use super::*;

    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    /// The sort itself sorts: every 0/1 input of 16 rows (the 0–1 principle).
    #[test]
    fn the_merge_sort_sorts_every_binary_input() {
        let net = odd_even_merge_sort(16);
        for bits in 0u32..1 << 16 {
            let mut v: Vec<u32> = (0..16).map(|i| (bits >> i) & 1).collect();
            for &(i, j) in &net {
                if v[i] > v[j] {
                    v.swap(i, j);
                }
            }
            assert!(v.windows(2).all(|w| w[0] <= w[1]), "{bits:#x}");
        }
    }

    /// Against `median_in_place` for every width, with ties, zeros, and
    /// non-finite powers.
    #[test]
    fn equals_select_nth_for_every_width() {
        let mut state = 3u64;
        for width in 1..=MAX_WIDTH {
            let mut m = BlockMedians::new(width).unwrap();
            for kind in 0..3 {
                let amps: Vec<Complex32> = (0..LANES * width)
                    .map(|_| {
                        let u = lcg(&mut state);
                        match kind {
                            // Continuous values.
                            0 => Complex32::new((u % 10_000) as f32 * 0.01, ((u >> 14) % 1000) as f32 * 0.1),
                            // Few distinct values: many ties, zeros among them.
                            1 => Complex32::new((u % 4) as f32, 0.0),
                            // Now and then infinite or NaN.
                            _ => match u % 17 {
                                0 => Complex32::new(f32::INFINITY, 0.0),
                                1 => Complex32::new(f32::NAN, 1.0),
                                _ => Complex32::new((u % 97) as f32, 1.0),
                            },
                        }
                    })
                    .collect();
                let got = m.median_powers(&amps);
                for (b, block) in amps.chunks(width).enumerate() {
                    let mut p: Vec<f32> = block.iter().map(|a| a.norm_sqr()).collect();
                    let want = median_in_place(&mut p);
                    assert_eq!(got[b].to_bits(), want.to_bits(), "width {width} kind {kind} block {b}");
                }
            }
        }
        assert!(BlockMedians::new(0).is_none());
        assert!(BlockMedians::new(MAX_WIDTH + 1).is_none());
    }

    /// The pruning keeps the network small where it is used.
    #[test]
    fn pruned_network_sizes() {
        assert_eq!(median_network(1, 0).len(), 0);
        let full = odd_even_merge_sort(128).len();
        let kept = median_network(100, 50).len();
        assert!(kept < full * 2 / 3, "{kept} of {full}");
    }
}
