//! Dynamic zapping: periodic interference found in this beam.
//!
//! Terrestrial periodic RFI is undispersed, so it is strongest in the DM 0
//! series and fades slowly with DM; a pulsar is strongest at its own DM > 0. A
//! peak of the DM 0 spectrum is a birdie when
//!
//! * its power, normalised by the median of its [`NORM_BLOCK`](crate::accel::NORM_BLOCK)-bin block, is
//!   significant at `params.sigma` **after** the trials of every bin searched
//!   (so pure noise gives no birdie at any sensible sigma);
//! * it is present (normalised power ≥ [`PRESENT_POWER`], i.e. 3σ for one
//!   trial, within ±1 bin) in at least `params.min_dm_fraction` of the other DM
//!   trials in which an undispersed signal of its frequency survives: a trial
//!   at DM d shifts channel c by τ_c(d), which keeps |⟨e^{2πifτ_c}⟩|² of a DM-0
//!   sinusoid's power, so mains harmonics of hundreds of Hz vanish beyond a
//!   few pc cm⁻³; only trials keeping at least ½ are asked (none left: the DM 0
//!   test alone decides); and
//! * no trial holds it more strongly than an undispersed signal would be held
//!   there (S·|⟨e^{2πifτ_c}⟩|² plus [`EXCESS_SIGMA`] noise σ and
//!   [`EXCESS_FRACTION`]): a pulsar at a low DM,
//!   nearly as strong at DM 0 as at its own DM, is stronger than that in the
//!   trials near its DM; and
//! * it is strongest at DM 0: its DM 0 power is within 3σ of the highest
//!   power it has in any trial (σ = √(2P + 1) for a signal of power P in
//!   exponential noise), so slowly fading RFI whose power at DM 10 beats DM 0
//!   by a noise fluctuation still counts, while a pulsar, many σ stronger at
//!   its own DM, does not.
//!
//! Each harmonic of a periodic signal is its own peak and is tested on its
//! own. The strongest `params.max_birds` are returned, each as wide as its
//! peak plus one bin.

use palfa_core::config::DynamicZapParams;
use palfa_core::formats::presto::zaplist::{Bird, Zaplist};

use super::powers::ProbePowers;
use crate::spectrum::Spectrum;
use crate::stats::{candidate_sigma, power_for_sigma};

/// Normalised power above which a peak counts as present in another DM trial
/// (3σ for a single trial: ln(1/Q(3)) ≈ 6.6).
pub const PRESENT_POWER: f64 = 6.6;

/// A birdie found in this beam.
#[derive(Debug, Clone, PartialEq)]
pub struct Birdie {
    /// Centre frequency \[Hz\] (power-weighted centre of the peak).
    pub freq_hz: f64,
    /// Width to zap at DM 0 \[Hz\]: the peak, widened over the line's
    /// leakage (see [`Birdie::width_for`]).
    pub width_hz: f64,
    /// Width of the peak itself plus one bin \[Hz\].
    pub core_width_hz: f64,
    /// Length of the spectra it was found in \[s\].
    pub t_obs_s: f64,
    /// Significance at DM 0, with the trials of all bins.
    pub sigma: f64,
    /// Normalised power at DM 0 (peak bin).
    pub power_dm0: f64,
    /// Fraction of the other DM trials in which it is present.
    pub dm_fraction: f64,
}

impl Birdie {
    /// The width to zap in the spectrum of a series dedispersed so that a
    /// DM-0 signal's channels are shifted by `delays` \[s\]: the peak, widened
    /// to where the leakage of the line's power *in that series*
    /// (DM-0 power × [`attenuation`]) falls below a quarter of the noise. A
    /// strong mains line needs hundreds of bins at DM 0 and almost none at a
    /// DM that spreads it over many cycles, where a pulsar close to the line
    /// in frequency must survive.
    pub fn width_for(&self, delays: &[f64]) -> f64 {
        let power = self.power_dm0 * attenuation(self.freq_hz, delays);
        zap_width_hz(self.core_width_hz * self.t_obs_s, power, self.t_obs_s)
    }

    /// As a zaplist entry (barycentric if the spectra were barycentred).
    pub fn to_bird(&self, barycentric: bool) -> Bird {
        Bird {
            freq_hz: self.freq_hz,
            width_hz: self.width_hz,
            barycentric,
        }
    }
}

/// The width \[Hz\] to zap around a peak `core_bins` wide holding a line of
/// normalised power `power`, in spectra `t_obs_s` long.
fn zap_width_hz(core_bins: f64, power: f64, t_obs_s: f64) -> f64 {
    2.0 * (0.5 * core_bins).max(leakage_half_bins(power)) / t_obs_s
}

/// Half-width \[bins\] out to which a line of normalised power `power` leaks
/// more than a quarter of the noise: leakage at Δr bins is ≈ P/(πΔr)², and
/// the acceleration search sums it coherently over many bins.
fn leakage_half_bins(power: f64) -> f64 {
    if power <= 1.0 {
        return 0.0;
    }
    2.0 * power.sqrt() / std::f64::consts::PI + 2.0
}

/// The zaplist for one spectrum: `base` (the static list) plus `birdies`,
/// each as wide as its line leaks in that spectrum ([`Birdie::width_for`]),
/// and at the frequency it appears at there: a line above the spectrum's
/// Nyquist frequency (a downsampled series) is aliased, not removed, by the
/// boxcar downsampling.
pub fn zaplist_for(base: &Zaplist, birdies: &[Birdie], spec: &Spectrum, barycentric: bool) -> Zaplist {
    let mut list = base.clone();
    if !birdies.is_empty() {
        let delays = channel_delays(spec);
        let fs = if spec.dt > 0.0 { 1.0 / spec.dt } else { f64::INFINITY };
        list.birds.extend(birdies.iter().map(|b| Bird {
            freq_hz: alias(b.freq_hz, fs),
            width_hz: b.width_for(&delays),
            barycentric,
        }));
    }
    list
}

/// Where a line at `f_hz` appears in a series sampled at `fs_hz`.
fn alias(f_hz: f64, fs_hz: f64) -> f64 {
    if !fs_hz.is_finite() || f_hz <= 0.5 * fs_hz {
        return f_hz;
    }
    let r = f_hz.rem_euclid(fs_hz);
    if r > 0.5 * fs_hz {
        fs_hz - r
    } else {
        r
    }
}

/// Adds `birdies` to `list` at their DM-0 widths (the beam's zaplist, saved as a diagnostic).
pub fn add_birdies(list: &mut Zaplist, birdies: &[Birdie], barycentric: bool) {
    list.birds.extend(birdies.iter().map(|b| b.to_bird(barycentric)));
}

/// The delays \[s\] of a spectrum's channels relative to its top channel at its
/// DM, rounded to its samples: how a DM-0 signal is spread in that
/// dedispersed series.
pub(super) fn channel_delays(s: &Spectrum) -> Vec<f64> {
    let n = s.info.nchan.max(1);
    let lo = s.info.lofreq_mhz;
    let df = if s.info.chan_bw_mhz > 0.0 {
        s.info.chan_bw_mhz
    } else {
        s.info.bandwidth_mhz / n as f64
    };
    if lo <= 0.0 || df <= 0.0 {
        return vec![0.0];
    }
    let top = lo + (n - 1) as f64 * df;
    // Dedispersion shifts by whole samples of the (downsampled) series: at
    // high DMs that rounding, not the sweep, decides how much of a line is left.
    let dt = s.dt;
    (0..n)
        .map(|c| {
            let d = palfa_core::astro::relative_delay_s(s.dm, lo + c as f64 * df, top);
            if dt > 0.0 {
                (d / dt).round() * dt
            } else {
                d
            }
        })
        .collect()
}

/// Power kept by an undispersed sinusoid at `f_hz` in a series whose channels
/// were shifted by `delays`: |⟨e^{2πi f τ}⟩|² over the channels.
fn attenuation(f_hz: f64, delays: &[f64]) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for &t in delays {
        let ph = std::f64::consts::TAU * f_hz * t;
        re += ph.cos();
        im += ph.sin();
    }
    let n = delays.len().max(1) as f64;
    (re * re + im * im) / (n * n)
}

/// Whether an undispersed sinusoid at `f_hz` keeps at least half its power.
fn survives(f_hz: f64, delays: &[f64]) -> bool {
    attenuation(f_hz, delays) >= 0.5
}

/// Noise σ by which a trial must beat the undispersed prediction for a DM-0
/// peak to count as a dispersed (astrophysical) signal instead of RFI.
pub const EXCESS_SIGMA: f64 = 4.0;

/// ... and by more than this fraction of the prediction (the model ignores the
/// rounding of shifts to whole samples and the whitening's level errors).
pub const EXCESS_FRACTION: f64 = 0.1;

/// Finds this beam's birdies (see the module docs). `others` are spectra of
/// the same length at other DMs; spectra of another length are ignored.
/// Returns nothing when dynamic zapping is disabled.
pub fn find_birdies(dm0: &Spectrum, others: &[Spectrum], params: &DynamicZapParams) -> Vec<Birdie> {
    let others: Vec<ProbePowers> = others
        .iter()
        .filter(|s| s.amps.len() == dm0.amps.len())
        .map(ProbePowers::new)
        .collect();
    find_birdies_in(&ProbePowers::new(dm0), &others, params)
}

/// [`find_birdies`] on what each spectrum keeps ([`ProbePowers`]), which
/// lets the spectra be made one at a time.
pub fn find_birdies_in(dm0: &ProbePowers, others: &[ProbePowers], params: &DynamicZapParams) -> Vec<Birdie> {
    if !params.enabled || params.max_birds == 0 || dm0.len() < 3 {
        return Vec::new();
    }
    let n = dm0.len();
    let trials = (n - 1) as f64;
    let cut = power_for_sigma(params.sigma, 1, trials) as f32;
    let p0: Vec<f32> = (0..n).map(|k| dm0.normalised(k)).collect();
    let kept: Vec<&ProbePowers> = others.iter().filter(|s| s.len() == n).collect();
    let t = dm0.t_obs_s;
    let mut birds = Vec::new();
    let mut k = 1;
    while k < n {
        if p0[k] <= cut {
            k += 1;
            continue;
        }
        // The peak: the run of bins around k above the presence level.
        let mut lo = k;
        while lo > 1 && p0[lo - 1] as f64 >= PRESENT_POWER {
            lo -= 1;
        }
        let mut hi = k + 1;
        while hi < n && p0[hi] as f64 >= PRESENT_POWER {
            hi += 1;
        }
        let (peak_bin, &peak) = p0[lo..hi]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, p)| (lo + i, p))
            .unwrap_or((k, &p0[k]));
        let weight: f64 = p0[lo..hi].iter().map(|&p| p as f64).sum();
        let centre = p0[lo..hi]
            .iter()
            .enumerate()
            .map(|(i, &p)| (lo + i) as f64 * p as f64)
            .sum::<f64>()
            / weight;
        let strengths: Vec<f32> = kept.iter().map(|p| p.around(peak_bin)).collect();
        let f_hz = centre / t;
        let (mut asked, mut present) = (0usize, 0usize);
        for (st, other) in strengths.iter().zip(&kept) {
            if survives(f_hz, &other.delays) {
                asked += 1;
                present += usize::from(*st as f64 >= PRESENT_POWER);
            }
        }
        let fraction = if asked == 0 { 1.0 } else { present as f64 / asked as f64 };
        let strongest_elsewhere = strengths.iter().fold(0f32, |m, &v| m.max(v));
        let best = strongest_elsewhere as f64;
        let dm0_power = dm0.around(peak_bin) as f64;
        let strongest_at_dm0 = dm0_power >= best - 3.0 * (2.0 * best + 1.0).sqrt();
        // An undispersed signal of power S at DM 0 keeps S·|⟨e^{2πifτ_c}⟩|² at a
        // trial shifting its channels by τ_c. A low-DM pulsar is stronger than that near its own
        // DM: a trial exceeding the prediction by more than EXCESS_SIGMA noise σ
        // (σ = √(2P + 1) at power P) means the line is dispersed, not RFI.
        let signal = (dm0_power - 1.0).max(0.0);
        // Only trials where a DM-0 signal survives are compared: where it is
        // washed out, what is left depends on the rounding of every channel's
        // shift, which this model does not follow.
        let excess = |signal: f64, st: f64, att: f64| {
            let predicted = 1.0 + signal * att;
            let noise = (2.0 * predicted + 1.0).sqrt();
            st - predicted > (EXCESS_SIGMA * noise).max(EXCESS_FRACTION * predicted)
        };
        // The same test on powers normalised by each spectrum's overall noise
        // level: a very strong line's leakage raises the medians of the blocks
        // around it most at DM 0, which lowers its block-normalised DM-0 power
        // and makes an undispersed line look dispersed. A dispersed signal
        // must stand out both ways.
        let signal_global = (dm0.around_global(peak_bin) - 1.0).max(0.0);
        // Strongest at DM 0 on either normalisation (the block medians at DM 0
        // are raised most by a strong line's own leakage).
        let best_global = kept.iter().fold(0f64, |m, other| m.max(other.around_global(peak_bin)));
        let p0_global = signal_global + 1.0;
        let strongest_at_dm0 = strongest_at_dm0 || p0_global >= best_global - 3.0 * (2.0 * best_global + 1.0).sqrt();
        let dispersed = strengths.iter().zip(&kept).any(|(&st, other)| {
            let att = attenuation(f_hz, &other.delays);
            att >= 0.5 && excess(signal, st as f64, att) && excess(signal_global, other.around_global(peak_bin), att)
        });
        tracing::debug!(
            f_hz,
            power = dm0_power,
            fraction,
            strongest_at_dm0,
            dispersed,
            "DM-0 peak"
        );
        if fraction >= params.min_dm_fraction && strongest_at_dm0 && !dispersed {
            // A strong line leaks power ∝ P/(πΔr)² into its neighbours; the
            // acceleration search sums that leakage coherently over many bins, so
            // zap out to where the leakage is well below the noise, not just the
            // bins that stand out on their own.
            let core = (hi - lo + 1) as f64;
            birds.push(Birdie {
                freq_hz: centre / t,
                width_hz: zap_width_hz(core, peak as f64, t),
                core_width_hz: core / t,
                t_obs_s: t,
                sigma: candidate_sigma(peak as f64, 1, trials),
                power_dm0: peak as f64,
                dm_fraction: fraction,
            });
        }
        k = hi + 1;
    }
    birds.sort_by(|a, b| b.power_dm0.total_cmp(&a.power_dm0));
    birds.truncate(params.max_birds);
    birds
}

#[cfg(test)]
mod tests {
    use super::alias;

    #[test]
    fn lines_above_nyquist_alias_back_into_the_band() {
        // 300 Hz mains in a series downsampled to 1.964 ms (fs 509.2 Hz).
        let fs = 1.0 / (30.0 * 65.476e-6);
        assert!((alias(300.0, fs) - (fs - 300.0)).abs() < 1e-9);
        assert_eq!(alias(60.0, fs), 60.0);
        assert!((alias(fs + 10.0, fs) - 10.0).abs() < 1e-9);
        assert_eq!(alias(60.0, f64::INFINITY), 60.0);
    }
}
