//! Detrending and normalisation (the first pass over a series): per block of
//! `detrend_len` samples, a baseline (straight line or median) and a robust
//! noise level; then "bad-block" rejection of blocks whose noise level is an
//! outlier.
//!
//! Nothing is written back: the search pass recomputes
//! `(x − baseline)·inv_std` on the fly from the [`Block`]s, so the whole series
//! is never copied.
//!
//! **Normalisation** uses PRESTO's noise level: the RMS (about the baseline)
//! of the central 95 % of the sorted residuals, times the factor that makes it
//! the standard deviation of Gaussian noise, `1/sqrt(1 − 2·z·φ(z)/(1 − 2t))`
//! with `t` = 2.5 % trimmed per side and `z = Φ⁻¹(1 − t)`: 1.148.
//!
//! **Bad blocks** are judged on a second level, `median − Q(15.87 %)` of the
//! residuals: the distance from the median to the −1σ point, which is σ for
//! Gaussian noise. A pulse only raises samples, so it hardly moves this level
//! (30 raised samples of 1000 change it by ~2 %, but the trimmed RMS by ~9 %,
//! as much as PRESTO's tolerance): PRESTO rejects blocks holding bright pulses
//! of a few tens of samples, palfa does not. RFI bursts and dropouts widen or
//! narrow both halves and are still caught.
//!
//! Extremes and quantiles are found by selection, not by sorting.

use std::cmp::Ordering;

use super::config::{Detrend, SinglePulseConfig, BAD_BLOCK_NSIGMA, MIN_DETREND_LEN, NOISE_TRIM};
use crate::stats::equivalent_gaussian_sigma;

/// How a block's noise level is measured: a trimmed RMS, scaled to a Gaussian σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TrimmedStd {
    /// Fraction trimmed from each end.
    pub trim: f64,
    /// Ratio of the standard deviation of Gaussian noise to its trimmed RMS.
    pub factor: f64,
    /// Pre-selection cut in units of the plain RMS: beyond it lie ~2.7·`trim`
    /// of Gaussian values per side, comfortably more than the trimmed ones.
    pub cut: f64,
}

impl TrimmedStd {
    /// The estimator trimming `trim` (0 ≤ trim < 0.5) from each end.
    pub fn new(trim: f64) -> Self {
        if trim <= 0.0 {
            return Self {
                trim: 0.0,
                factor: 1.0,
                cut: f64::INFINITY,
            };
        }
        let z = equivalent_gaussian_sigma(trim.ln());
        let phi = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let kept_var = 1.0 - 2.0 * z * phi / (1.0 - 2.0 * trim);
        Self {
            trim,
            factor: kept_var.sqrt().recip(),
            cut: equivalent_gaussian_sigma((2.7 * trim).min(0.45).ln()),
        }
    }
}

/// One detrending block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Block {
    /// First sample.
    pub start: usize,
    /// Samples in the block.
    pub len: usize,
    /// Baseline at the block's centre (sample `start + (len−1)/2`).
    pub offset: f64,
    /// Baseline slope \[per sample\].
    pub slope: f64,
    /// Robust standard deviation of the residuals (NaN: unusable block).
    pub std: f64,
    /// Lower-half noise level for the bad-block test (median − 15.87 % point).
    pub level: f64,
    /// 1/std, or 0 where the block is not searched (bad or unusable).
    pub inv_std: f64,
}

impl Block {
    /// Baseline centre in sample units, relative to `start`.
    pub fn centre(&self) -> f64 {
        (self.len as f64 - 1.0) * 0.5
    }

    /// Whether events in this block are reported.
    pub fn searched(&self) -> bool {
        self.inv_std > 0.0
    }
}

/// The blocks of a series and what the bad-block test found.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockStats {
    /// The blocks, in order; the last one takes the remainder of the series.
    pub blocks: Vec<Block>,
    /// Nominal block length \[samples\].
    pub block_len: usize,
    /// Blocks rejected as bad or unusable.
    pub n_rejected: usize,
}

impl BlockStats {
    /// Index of the block holding `sample`.
    pub fn block_of(&self, sample: usize) -> usize {
        (sample / self.block_len).min(self.blocks.len().saturating_sub(1))
    }

    /// Whether `sample` lies in a searched block.
    pub fn searched(&self, sample: usize) -> bool {
        self.blocks.get(self.block_of(sample)).is_some_and(Block::searched)
    }
}

/// Reusable work space of the statistics pass.
#[derive(Debug, Default)]
pub(crate) struct BlockScratch {
    resid: Vec<f32>,
    tail: Vec<f32>,
    stds: Vec<f64>,
}

/// Fits baselines and noise levels to every block of `data` and flags bad blocks.
pub(crate) fn block_statistics(data: &[f32], cfg: &SinglePulseConfig, scratch: &mut BlockScratch) -> BlockStats {
    let n = data.len();
    let block_len = cfg.detrend_len.max(1);
    let nblocks = if n == 0 { 0 } else { (n / block_len).max(1) };
    let mut blocks = Vec::with_capacity(nblocks);
    let est = TrimmedStd::new(NOISE_TRIM);
    for b in 0..nblocks {
        let start = b * block_len;
        let end = if b + 1 == nblocks { n } else { start + block_len };
        blocks.push(fit_block(&data[start..end], start, cfg.detrend, &est, scratch));
    }
    if cfg.bad_blocks {
        flag_bad_blocks(&mut blocks, &mut scratch.stds);
    }
    for b in &mut blocks {
        b.inv_std = if b.std.is_finite() && b.inv_std > 0.0 {
            b.inv_std
        } else {
            0.0
        };
    }
    let n_rejected = blocks.iter().filter(|b| !b.searched()).count();
    BlockStats {
        blocks,
        block_len,
        n_rejected,
    }
}

/// Baseline and robust noise level of one block.
fn fit_block(x: &[f32], start: usize, detrend: Detrend, est: &TrimmedStd, scratch: &mut BlockScratch) -> Block {
    let len = x.len();
    let mut block = Block {
        start,
        len,
        offset: 0.0,
        slope: 0.0,
        std: f64::NAN,
        level: f64::NAN,
        inv_std: 0.0,
    };
    if len < MIN_DETREND_LEN {
        return block;
    }
    let resid = &mut scratch.resid;
    resid.clear();
    match detrend {
        Detrend::Linear => {
            let (offset, slope) = line_fit(x);
            block.offset = offset;
            block.slope = slope;
        }
        Detrend::Median => {
            resid.extend_from_slice(x);
            if resid.iter().any(|v| !v.is_finite()) {
                return block;
            }
            let mid = len / 2;
            let (_, med, _) = resid.select_nth_unstable_by(mid, f32::total_cmp);
            block.offset = f64::from(*med);
            resid.clear();
        }
    }
    if !(block.offset.is_finite() && block.slope.is_finite()) {
        return block;
    }
    let c = block.centre();
    let mut sumsq = [0f64; 4];
    resid.extend(x.iter().enumerate().map(|(i, &v)| {
        let r = f64::from(v) - block.offset - block.slope * (i as f64 - c);
        r as f32
    }));
    let chunks = resid.chunks_exact(4);
    let rem = chunks.remainder();
    for ch in chunks {
        for l in 0..4 {
            let r = f64::from(ch[l]);
            sumsq[l] += r * r;
        }
    }
    let total: f64 = sumsq.iter().sum::<f64>() + rem.iter().map(|&r| f64::from(r) * f64::from(r)).sum::<f64>();
    if !total.is_finite() {
        return block;
    }
    let k = (est.trim * len as f64) as usize;
    let cut = (est.cut * (total / len as f64).sqrt()) as f32;
    let trimmed = total - tail_sumsq(resid, k, cut, &mut scratch.tail);
    let std = (trimmed.max(0.0) / (len - 2 * k) as f64).sqrt() * est.factor;
    // A flat block (padding, a dead backend) has no noise to normalise by.
    if std > 1e-6 * block.offset.abs() && std > f64::MIN_POSITIVE {
        block.std = std;
        block.inv_std = 1.0 / std;
        block.level = lower_half_level(resid);
    }
    block
}

/// Least-squares straight line through `x` against the sample index: the value
/// at the centre and the slope \[per sample\].
fn line_fit(x: &[f32]) -> (f64, f64) {
    let m = x.len() as f64;
    let c = (m - 1.0) * 0.5;
    let mut s = [0f64; 4];
    let mut t = [0f64; 4];
    let chunks = x.chunks_exact(4);
    let rem = chunks.remainder();
    for (k, ch) in chunks.enumerate() {
        let base = (4 * k) as f64 - c;
        for l in 0..4 {
            let v = f64::from(ch[l]);
            s[l] += v;
            t[l] += v * (base + l as f64);
        }
    }
    let first_rem = x.len() - rem.len();
    let mut sx: f64 = s.iter().sum();
    let mut tx: f64 = t.iter().sum();
    for (k, &v) in rem.iter().enumerate() {
        sx += f64::from(v);
        tx += f64::from(v) * ((first_rem + k) as f64 - c);
    }
    // Σ(i − c)² over i = 0..m−1.
    let sxx = m * (m * m - 1.0) / 12.0;
    let slope = if sxx > 0.0 { tx / sxx } else { 0.0 };
    (sx / m, slope)
}

/// Sum of squares of the `k` smallest plus the `k` largest values of `r`.
///
/// The extremes are first looked for among the values beyond ±`cut` (chosen so
/// that for Gaussian noise there are usually well over `k` of them): selecting
/// in that short list is exact whenever it holds at least `k` values. Otherwise
/// the whole block is partially sorted (`r` is reordered).
fn tail_sumsq(r: &mut [f32], k: usize, cut: f32, tail: &mut Vec<f32>) -> f64 {
    if k == 0 {
        return 0.0;
    }
    let sq = |v: &[f32]| v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>();
    let mut side = |low: bool, r: &mut [f32]| -> f64 {
        tail.clear();
        if low {
            tail.extend(r.iter().copied().filter(|&v| v < -cut));
        } else {
            tail.extend(r.iter().copied().filter(|&v| v > cut));
        }
        let cmp = |a: &f32, b: &f32| -> Ordering {
            if low {
                a.total_cmp(b)
            } else {
                b.total_cmp(a)
            }
        };
        if tail.len() >= k {
            tail.select_nth_unstable_by(k - 1, cmp);
            sq(&tail[..k])
        } else {
            r.select_nth_unstable_by(k - 1, cmp);
            sq(&r[..k])
        }
    };
    side(true, r) + side(false, r)
}

/// Fraction of a Gaussian below −1σ.
const MINUS_ONE_SIGMA_QUANTILE: f64 = 0.158_655_253_931_457_05;

/// `median − Q(15.87 %)` of `r` (reordered): σ for Gaussian noise, and nearly
/// blind to values raised by a pulse.
fn lower_half_level(r: &mut [f32]) -> f64 {
    let n = r.len();
    let mid = n / 2;
    let (lower, med, _) = r.select_nth_unstable_by(mid, f32::total_cmp);
    let med = f64::from(*med);
    let k = ((MINUS_ONE_SIGMA_QUANTILE * n as f64) as usize).min(lower.len().saturating_sub(1));
    if lower.is_empty() {
        return 0.0;
    }
    let (_, q, _) = lower.select_nth_unstable_by(k, f32::total_cmp);
    med - f64::from(*q)
}

/// PRESTO's bad-block test, on the lower-half levels of the usable blocks:
/// among the sorted levels,
/// take those between the largest jump in the lower half and the largest jump
/// in the upper half (a couple of values short of it, as PRESTO does); their
/// standard deviation and middle value define the accepted range
/// median ± [`BAD_BLOCK_NSIGMA`]·std. Blocks outside it are rejected.
fn flag_bad_blocks(blocks: &mut [Block], sorted: &mut Vec<f64>) {
    sorted.clear();
    sorted.extend(blocks.iter().filter(|b| b.searched()).map(|b| b.level));
    let nb = sorted.len();
    if nb < 4 {
        return;
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let half = nb / 2;
    let first_max_jump = |lo: usize, hi: usize| -> usize {
        // Index j in lo..hi maximising sorted[j+1] − sorted[j] (first on ties).
        let mut best = lo;
        for j in lo..hi {
            if sorted[j + 1] - sorted[j] > sorted[best + 1] - sorted[best] {
                best = j;
            }
        }
        best
    };
    let locut = first_max_jump(0, half) + 1;
    let hicut = (first_max_jump(half, nb - 1) as isize - 2).max(0) as usize;
    let (lo, hi) = if hicut > locut + 1 { (locut, hicut) } else { (0, nb) };
    let core = &sorted[lo..hi];
    let mean = core.iter().sum::<f64>() / core.len() as f64;
    let spread = (core.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / core.len() as f64).sqrt();
    let median = sorted[(lo + hi) / 2];
    // A floor so that identical noise levels (synthetic data) are not all "outliers".
    let tol = (BAD_BLOCK_NSIGMA * spread).max(1e-9 * median);
    for b in blocks.iter_mut().filter(|b| b.searched()) {
        if (b.level - median).abs() > tol {
            b.inv_std = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_std_factors() {
        // PRESTO's constant for the central 95 %.
        assert!((TrimmedStd::new(0.025).factor - 1.148).abs() < 1e-3);
        assert!((TrimmedStd::new(0.10).factor - 1.5115).abs() < 1e-3);
        assert_eq!(TrimmedStd::new(0.0).factor, 1.0);
    }

    #[test]
    fn line_fit_recovers_a_line() {
        let x: Vec<f32> = (0..1001).map(|i| 3.0 + 0.25 * i as f32).collect();
        let (offset, slope) = line_fit(&x);
        assert!((offset - (3.0 + 0.25 * 500.0)).abs() < 1e-9, "{offset}");
        assert!((slope - 0.25).abs() < 1e-12, "{slope}");
    }

    #[test]
    fn tails_match_a_full_sort() {
        // Values 0..1000 shuffled deterministically, centred: the k extremes are known.
        let mut r: Vec<f32> = (0..1000).map(|i| ((i * 379) % 1000) as f32 - 499.5).collect();
        let mut sorted = r.clone();
        sorted.sort_by(f32::total_cmp);
        let k = 25;
        let want: f64 = sorted[..k]
            .iter()
            .chain(&sorted[1000 - k..])
            .map(|&v| f64::from(v) * f64::from(v))
            .sum();
        let rms = (r.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / 1000.0).sqrt() as f32;
        let mut tail = Vec::new();
        assert_eq!(tail_sumsq(&mut r.clone(), k, 1.5 * rms, &mut tail), want);
        // With a cut too far out the short lists are too short: the fallback must agree.
        assert_eq!(tail_sumsq(&mut r, k, 10.0 * rms, &mut tail), want);
    }

    #[test]
    fn flat_and_non_finite_blocks_are_not_searched() {
        let mut data = vec![7.0f32; 3000];
        for (i, v) in data[1000..2000].iter_mut().enumerate() {
            *v += ((i * 7919) % 13) as f32;
        }
        data[2500] = f32::NAN;
        let cfg = SinglePulseConfig {
            bad_blocks: false,
            ..SinglePulseConfig::default()
        };
        let st = block_statistics(&data, &cfg, &mut BlockScratch::default());
        let searched: Vec<bool> = st.blocks.iter().map(Block::searched).collect();
        assert_eq!(searched, vec![false, true, false]);
        assert_eq!(st.n_rejected, 2);
    }

    #[test]
    fn an_outlier_block_is_bad() {
        // 50 blocks of a deterministic pseudo-noise; block 20 is 3x noisier.
        let mut state = 12345u64;
        let data: Vec<f32> = (0..50_000)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                if i / 1000 == 20 {
                    3.0 * u
                } else {
                    u
                }
            })
            .collect();
        let on = block_statistics(&data, &SinglePulseConfig::default(), &mut BlockScratch::default());
        let bad: Vec<usize> = (0..on.blocks.len()).filter(|&b| !on.blocks[b].searched()).collect();
        assert_eq!(bad, vec![20]);
        let off = SinglePulseConfig {
            bad_blocks: false,
            ..SinglePulseConfig::default()
        };
        let st = block_statistics(&data, &off, &mut BlockScratch::default());
        assert_eq!(st.n_rejected, 0);
        // Uniform noise on [-0.5, 0.5): its central 95 % has RMS 0.475/√3; the
        // 1.148 factor (made for Gaussian tails) then gives 0.3148, not 1/√12.
        let s = st.blocks[0].std;
        let want = 0.475 / 3f64.sqrt() * TrimmedStd::new(0.025).factor;
        assert!((s - want).abs() < 0.05 * want, "{s} vs {want}");
    }
}
