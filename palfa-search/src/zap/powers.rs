//! What dynamic zapping keeps of each probe spectrum: its powers and how to
//! normalise them, at half the spectrum's memory (one `f32` per bin instead
//! of a complex amplitude), so that the probe series can be transformed one
//! at a time and dropped.

use crate::accel::NORM_BLOCK;
use crate::rednoise::median_in_place;
use crate::spectrum::Spectrum;

/// One probe spectrum's powers, its [`NORM_BLOCK`]-bin block levels, its
/// overall noise level and the channel delays a DM-0 signal has in it.
#[derive(Debug, Clone)]
pub struct ProbePowers {
    /// |amplitude|² of every bin (bin 0 included).
    raw: Vec<f32>,
    /// Per block of [`NORM_BLOCK`] bins: 1 / (median power / ln 2), or 1
    /// where that median is not a positive number.
    block_norm: Vec<f32>,
    /// Mean noise power of the spectrum as a whole: the median power / ln 2
    /// of its upper seven eighths, clear of red noise (1 where not positive).
    level: f64,
    /// Delays \[s\] of the channels relative to the top one at the series' DM.
    pub(super) delays: Vec<f64>,
    /// Length of the series \[s\].
    pub(super) t_obs_s: f64,
}

impl ProbePowers {
    /// Keeps what dynamic zapping needs of `spec`.
    pub fn new(spec: &Spectrum) -> Self {
        let raw: Vec<f32> = spec.amps.iter().map(|a| a.norm_sqr()).collect();
        let mut buf = Vec::with_capacity(NORM_BLOCK);
        let block_norm = raw
            .chunks(NORM_BLOCK)
            .map(|block| {
                buf.clear();
                buf.extend_from_slice(block);
                let level = median_in_place(&mut buf) / std::f32::consts::LN_2;
                if level.is_finite() && level > f32::MIN_POSITIVE {
                    1.0 / level
                } else {
                    1.0
                }
            })
            .collect();
        let mut upper = raw[raw.len() / 8..].to_vec();
        let level = f64::from(median_in_place(&mut upper)) / std::f64::consts::LN_2;
        Self {
            raw,
            block_norm,
            level: if level.is_finite() && level > 0.0 { level } else { 1.0 },
            delays: super::dynamic::channel_delays(spec),
            t_obs_s: spec.t_obs_s,
        }
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether there are no bins.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Power of bin `k` normalised by its block's level (0 for bin 0).
    pub(super) fn normalised(&self, k: usize) -> f32 {
        if k == 0 {
            0.0
        } else {
            self.raw[k] * self.block_norm[k / NORM_BLOCK]
        }
    }

    /// The highest block-normalised power of bins `k − 1 ..= k + 1`.
    pub(super) fn around(&self, k: usize) -> f32 {
        (k.saturating_sub(1)..(k + 2).min(self.len())).fold(0f32, |m, i| m.max(self.normalised(i)))
    }

    /// The highest power of bins `k − 1 ..= k + 1` over the spectrum's
    /// overall noise level.
    pub(super) fn around_global(&self, k: usize) -> f64 {
        self.raw[k.saturating_sub(1)..(k + 2).min(self.len())]
            .iter()
            .fold(0f64, |m, &p| m.max(f64::from(p)))
            / self.level
    }
}
