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
//! narrow both halves and are still caught. A block that fails the test gets a
//! second look with its line refitted without its brightest samples (see
//! `unpulled_level`): a very bright, wide pulse near a block's end tilts the
//! line enough to widen even the lower half.
//!
//! Extremes and quantiles are found by selection, not by sorting (see
//! [`residuals`](super::residuals)).

use super::config::{Detrend, SinglePulseConfig, BAD_BLOCK_NSIGMA, MIN_DETREND_LEN, NOISE_TRIM};
use super::residuals::{line_where, moments, residual, residual_stats, ResidualScratch, MINUS_ONE_SIGMA_QUANTILE};
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

    /// The baseline as used in `f32` arithmetic: (offset, slope, position of
    /// sample `first` of the block relative to its centre).
    pub fn baseline_f32(&self, first: usize) -> (f32, f32, f32) {
        (
            self.offset as f32,
            self.slope as f32,
            (first as f64 - self.centre()) as f32,
        )
    }

    /// The normalised residuals `(x − baseline)/std` of `x`, which are samples
    /// `first..` of this block, into `out`.
    pub fn residuals_into(&self, x: &[f32], first: usize, out: &mut [f32]) {
        let (off, slope, t0) = self.baseline_f32(first);
        let inv = self.inv_std as f32;
        for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            *o = residual(v, off, slope, t0 + i as i32 as f32) * inv;
        }
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
    resid: ResidualScratch,
    copy: Vec<f32>,
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
        flag_bad_blocks(&mut blocks, data, scratch);
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

/// Baseline and robust noise levels of one block.
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
    let mom = moments(x);
    let mut var0 = mom.var_about_line;
    match detrend {
        Detrend::Linear => {
            block.offset = mom.mean;
            block.slope = mom.slope;
        }
        Detrend::Median => {
            let copy = &mut scratch.copy;
            copy.clear();
            copy.extend_from_slice(x);
            let (_, med, _) = copy.select_nth_unstable_by(len / 2, f32::total_cmp);
            block.offset = f64::from(*med);
            // Variance about the mean, plus the offset of the median from it.
            var0 += mom.slope * mom.slope * (len as f64 * len as f64 - 1.0) / 12.0
                + (block.offset - mom.mean) * (block.offset - mom.mean);
        }
    }
    if !(block.offset.is_finite() && block.slope.is_finite()) {
        return block;
    }
    let k = (est.trim * len as f64) as usize;
    let Some(st) = residual_stats(x, block.baseline_f32(0), var0.sqrt(), k, est.cut, &mut scratch.resid) else {
        return block;
    };
    let trimmed = st.sumsq - st.tail_sumsq;
    let std = (trimmed.max(0.0) / (len - 2 * k) as f64).sqrt() * est.factor;
    // A flat block (padding, a dead backend) has no noise to normalise by.
    if std > 1e-6 * block.offset.abs() && std > f64::MIN_POSITIVE {
        block.std = std;
        block.inv_std = 1.0 / std;
        // median − Q(15.87 %): σ for Gaussian noise, nearly blind to a pulse.
        block.level = st.median - st.minus_one_sigma;
    }
    block
}

/// Residuals above this many lower-half levels mark the core of whatever is
/// bright in a block.
const CLIP_LEVELS: f64 = 3.0;

/// The lower-half level of a block about a line fitted without its bright part.
///
/// A bright, wide pulse pulls the block's line up and tilts it, most near the
/// block's ends; the tilt widens the whole residual distribution, lower half
/// included, enough to make the block look bad (an S/N-40 pulse of 50 samples,
/// 56 samples from a block's start: level 1.24 for a median of 1.00 and a
/// tolerance of 0.19). So the line is refitted without the samples above
/// [`CLIP_LEVELS`] levels and as many again on each side of them (the pulse's
/// wings), and the level of all samples is measured about it. RFI that widens
/// the noise stays wide about any line. `None` if too little is left to fit.
fn unpulled_level(x: &[f32], block: &Block, scratch: &mut BlockScratch) -> Option<f64> {
    let n = x.len();
    let (off, slope, t0) = block.baseline_f32(0);
    let clip = (CLIP_LEVELS * block.level) as f32;
    // Running count of clipped samples, to dilate them by `reach`.
    let counts = &mut scratch.copy;
    counts.clear();
    counts.push(0.0);
    let mut c = 0.0f32;
    for (i, &v) in x.iter().enumerate() {
        c += f32::from(u8::from(residual(v, off, slope, t0 + i as i32 as f32) >= clip));
        counts.push(c);
    }
    let reach = (c as usize).clamp(4, n / 4);
    let masked = |i: usize| counts[(i + reach + 1).min(n)] > counts[i.saturating_sub(reach)];
    let (offset, new_slope) = line_where(x, f64::from(t0), |i| !masked(i))?;
    let (off, sl) = (offset as f32, new_slope as f32);
    let mut kept: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| residual(v, off, sl, t0 + i as i32 as f32))
        .collect();
    let m = kept.len();
    let (_, med, _) = kept.select_nth_unstable_by(m / 2, f32::total_cmp);
    let med = f64::from(*med);
    let k1 = (MINUS_ONE_SIGMA_QUANTILE * m as f64) as usize;
    let (_, q, _) = kept.select_nth_unstable_by(k1, f32::total_cmp);
    Some(med - f64::from(*q))
}

/// Fewest usable blocks for the bad-block test to be meaningful.
const MIN_BLOCKS_FOR_BAD_BLOCK_TEST: usize = 8;

/// The bad-block test on the lower-half levels of the usable blocks: a block is
/// rejected if its level lies more than [`BAD_BLOCK_NSIGMA`] standard
/// deviations from the median level, the standard deviation being the
/// interquartile range of the levels / 1.349.
///
/// PRESTO takes median and spread of the levels between the largest jumps of
/// their sorted list instead; with few blocks that range can be very short, the
/// spread too small, and many good blocks are rejected (18 % of pure-noise
/// blocks in series of 20 blocks, 1.3 % at 50). Quartiles are stable for any
/// number of blocks and still ignore up to a quarter of them being bad.
fn flag_bad_blocks(blocks: &mut [Block], data: &[f32], scratch: &mut BlockScratch) {
    let sorted = &mut scratch.stds;
    sorted.clear();
    sorted.extend(blocks.iter().filter(|b| b.searched()).map(|b| b.level));
    let nb = sorted.len();
    if nb < MIN_BLOCKS_FOR_BAD_BLOCK_TEST {
        return;
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let quantile = |q: f64| -> f64 {
        // Linear interpolation between order statistics.
        let x = q * (nb - 1) as f64;
        let i = x.floor() as usize;
        let f = x - i as f64;
        sorted[i] + f * (sorted[(i + 1).min(nb - 1)] - sorted[i])
    };
    let median = quantile(0.5);
    let spread = (quantile(0.75) - quantile(0.25)) / 1.349;
    // A floor so that identical levels (synthetic data) are not all "outliers".
    let tol = (BAD_BLOCK_NSIGMA * spread).max(1e-9 * median);
    for b in blocks.iter_mut().filter(|b| b.searched()) {
        if (b.level - median).abs() <= tol {
            continue;
        }
        // A second look without the block's brightest part, which rescues
        // blocks holding a bright pulse.
        let x = &data[b.start..b.start + b.len];
        let rescued = b.level > median && unpulled_level(x, b, scratch).is_some_and(|l| (l - median).abs() <= tol);
        if !rescued {
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
