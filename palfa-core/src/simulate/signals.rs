//! The signal model: bandpass and noise, pulsars, single pulses and RFI, each
//! added to one channel's stretch of samples at a time.
//!
//! Amplitudes are in units of each channel's noise σ and are set from the
//! requested S/N, defined as the matched-filter S/N of the signal summed over the
//! whole band (and, for a pulsar, the whole observation) **before** dispersive
//! smearing: for a Gaussian pulse of peak `A` σ and r.m.s. width `σ_t` seen in
//! `nchans` channels, S/N = A·√nchans·√(Σ g²) with Σ g² = σ_t·√π / t_samp per
//! pulse. Intra-channel smearing widens the pulse in each channel while keeping
//! its fluence (σ_eff² = σ_t² + τ²/12 for a smearing time τ), as in real data, so a
//! search recovers somewhat less than the nominal S/N at high DM.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::params::SimParams;
use crate::astro::{self, SPEED_OF_LIGHT};

/// FWHM / σ of a Gaussian.
pub const FWHM_PER_SIGMA: f64 = 2.354_820_045_030_949;

/// Everything needed to fill any stretch of any channel.
pub(crate) struct Model {
    pub tsamp: f64,
    pub mean: Vec<f64>,
    pub sigma: Vec<f64>,
    pub pulsars: Vec<PulsarModel>,
    pub pulses: Vec<PulseModel>,
    pub seed: u64,
    pub periodic_hz: f64,
    pub periodic_amp: f64,
    pub periodic_harmonics: u32,
    pub bad: Vec<bool>,
    pub bad_noise: f64,
    /// Impulses as sample ranges `[start, end)` with amplitude in σ.
    pub impulses: Vec<(u64, u64, f64)>,
    /// Narrowband periodic signals.
    pub narrowband: Vec<crate::simulate::NarrowbandSpec>,
}

/// A pulsar, precomputed per channel.
pub(crate) struct PulsarModel {
    pub f0: f64,
    pub fdot: f64,
    pub phase0: f64,
    /// Peak amplitude \[σ\] before smearing.
    pub amp: f64,
    /// Per channel: delay relative to infinite frequency \[s\], smeared width \[s\], peak amplitude \[σ\].
    pub chan: Vec<(f64, f64, f64)>,
}

/// A single pulse, precomputed per channel.
pub(crate) struct PulseModel {
    /// Peak amplitude \[σ\] before smearing.
    pub amp: f64,
    /// Per channel: arrival time \[s\], smeared width \[s\], peak amplitude \[σ\].
    pub chan: Vec<(f64, f64, f64)>,
}

impl Model {
    pub fn new(p: &SimParams) -> Self {
        let n = p.nchans;
        let freqs: Vec<f64> = (0..n).map(|c| p.freq_mhz(c)).collect();
        let mean: Vec<f64> = (0..n)
            .map(|c| p.noise_mean * (0.8 + 0.2 * (std::f64::consts::PI * (c as f64 + 0.5) / n as f64).sin()))
            .collect();
        let sigma: Vec<f64> = mean.iter().map(|m| (m * p.noise_rms_frac).abs().max(1e-6)).collect();
        let t_obs = p.duration_s();
        let smear = |dm: f64, f: f64| astro::channel_smearing_s(dm, f, p.chan_bw_mhz);
        let widen = |sig: f64, tau: f64| (sig * sig + tau * tau / 12.0).sqrt();
        let pulsars = p
            .pulsars
            .iter()
            .map(|ps| {
                let f0 = 1.0 / ps.period_s;
                let sigma_t = ps.duty * ps.period_s / FWHM_PER_SIGMA;
                let sigma_phase = ps.duty / FWHM_PER_SIGMA;
                let amp = ps.snr
                    / ((n as f64).sqrt() * (t_obs / p.tsamp_s * sigma_phase * std::f64::consts::PI.sqrt()).sqrt());
                let chan = freqs
                    .iter()
                    .map(|&f| {
                        let w = widen(sigma_t, smear(ps.dm, f));
                        (astro::dispersion_delay_s(ps.dm, f), w, amp * sigma_t / w)
                    })
                    .collect();
                PulsarModel {
                    f0,
                    fdot: -f0 * ps.accel_m_s2 / SPEED_OF_LIGHT,
                    phase0: ps.phase,
                    amp,
                    chan,
                }
            })
            .collect();
        let f_top = freqs[n - 1];
        let pulses = p
            .single_pulses
            .iter()
            .map(|sp| {
                let sigma_t = sp.width_s / FWHM_PER_SIGMA;
                let amp = sp.snr / ((n as f64).sqrt() * (sigma_t * std::f64::consts::PI.sqrt() / p.tsamp_s).sqrt());
                let chan = freqs
                    .iter()
                    .map(|&f| {
                        let w = widen(sigma_t, smear(sp.dm, f));
                        (
                            sp.time_s + astro::relative_delay_s(sp.dm, f, f_top),
                            w,
                            amp * sigma_t / w,
                        )
                    })
                    .collect();
                PulseModel { amp, chan }
            })
            .collect();
        let mut bad = vec![false; n];
        for &c in &p.rfi.bad_channels {
            bad[c] = true;
        }
        let impulses = p
            .rfi
            .impulses
            .iter()
            .map(|i| {
                let s0 = (i.time_s / p.tsamp_s).round().max(0.0) as u64;
                let s1 = ((i.time_s + i.width_s) / p.tsamp_s).round().max(s0 as f64 + 1.0) as u64;
                (s0, s1.min(p.nsamples), i.amplitude)
            })
            .collect();
        Self {
            tsamp: p.tsamp_s,
            mean,
            sigma,
            pulsars,
            pulses,
            seed: p.seed,
            periodic_hz: p.rfi.periodic_hz,
            periodic_amp: p.rfi.periodic_amplitude,
            periodic_harmonics: p.rfi.periodic_harmonics.max(1),
            bad,
            bad_noise: p.rfi.bad_channel_noise,
            impulses,
            narrowband: p.rfi.narrowband.clone(),
        }
    }

    /// The undispersed signals common to every channel (periodic RFI and impulses)
    /// for samples `start .. start + len`, in σ units.
    pub fn common(&self, start: u64, len: usize) -> Vec<f64> {
        let mut sig = vec![0f64; len];
        if self.periodic_hz > 0.0 && self.periodic_amp != 0.0 {
            let h = self.periodic_harmonics as f64;
            for (i, v) in sig.iter_mut().enumerate() {
                let t = (start + i as u64) as f64 * self.tsamp;
                let w: f64 = (1..=self.periodic_harmonics)
                    .map(|k| (std::f64::consts::TAU * k as f64 * self.periodic_hz * t).cos())
                    .sum();
                *v += self.periodic_amp * w / h;
            }
        }
        let end = start + len as u64;
        for &(s0, s1, a) in &self.impulses {
            for i in s0.max(start)..s1.min(end) {
                sig[(i - start) as usize] += a;
            }
        }
        sig
    }

    /// Fills `out` with channel `c`'s samples `start .. start + out.len()`, given the
    /// block's [`common`](Self::common) signals. `block` numbers the stretch so that
    /// its noise is reproducible.
    pub fn fill_channel(&self, c: usize, block: u64, start: u64, common: &[f64], out: &mut [f32]) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(mix(self.seed, block, c as u64));
        let (m, s) = (self.mean[c], self.sigma[c]);
        let extra = if self.bad[c] { self.bad_noise * s } else { 0.0 };
        // Signals are accumulated in σ units, then scaled.
        let mut sig = common.to_vec();
        for p in &self.pulsars {
            add_pulsar(p, c, start, self.tsamp, &mut sig);
        }
        for p in &self.pulses {
            let (t, w, a) = p.chan[c];
            add_gaussian(&mut sig, start, self.tsamp, t, w, a);
        }
        for nb in &self.narrowband {
            if (nb.first_channel..=nb.last_channel).contains(&c) && nb.freq_hz > 0.0 {
                let h = nb.harmonics.max(1);
                for (i, v) in sig.iter_mut().enumerate() {
                    let t = (start + i as u64) as f64 * self.tsamp;
                    let w: f64 = (1..=h)
                        .map(|k| (std::f64::consts::TAU * k as f64 * nb.freq_hz * t).cos())
                        .sum();
                    *v += nb.amplitude * w / h as f64;
                }
            }
        }
        for (o, g) in out.iter_mut().zip(&sig) {
            let z: f64 = StandardNormal.sample(&mut rng);
            let mut v = m + s * (z + g);
            if extra > 0.0 {
                let z2: f64 = StandardNormal.sample(&mut rng);
                v += extra * z2;
            }
            *o = v as f32;
        }
    }
}

/// Adds a pulsar's pulses to one channel's stretch (σ units).
fn add_pulsar(p: &PulsarModel, c: usize, start: u64, tsamp: f64, sig: &mut [f64]) {
    let (delay, w, a) = p.chan[c];
    let margin = 6.0 * w;
    let t_lo = start as f64 * tsamp - delay - margin;
    let t_hi = (start as f64 + sig.len() as f64) * tsamp - delay + margin;
    let phase = |t: f64| p.phase0 + p.f0 * t + 0.5 * p.fdot * t * t;
    let k_lo = phase(t_lo).ceil() as i64;
    let k_hi = phase(t_hi).floor() as i64;
    for k in k_lo..=k_hi {
        // Emission time of pulse k: solve phase(t) = k by Newton from the linear guess.
        let mut t = (k as f64 - p.phase0) / p.f0;
        for _ in 0..3 {
            t -= (phase(t) - k as f64) / (p.f0 + p.fdot * t);
        }
        add_gaussian(sig, start, tsamp, t + delay, w, a);
    }
}

/// Adds a Gaussian of peak `amp` centred at `t0` with r.m.s. width `w` \[s\], averaged
/// over each sample's duration (so narrow pulses keep their fluence).
fn add_gaussian(sig: &mut [f64], start: u64, tsamp: f64, t0: f64, w: f64, amp: f64) {
    let first = ((t0 - 6.0 * w) / tsamp - 0.5).floor().max(start as f64) as u64;
    let last = ((t0 + 6.0 * w) / tsamp + 0.5)
        .ceil()
        .min((start + sig.len() as u64) as f64);
    if last < first as f64 {
        return;
    }
    let k = 1.0 / (w * std::f64::consts::SQRT_2);
    let norm = amp * w * (std::f64::consts::PI / 2.0).sqrt() / tsamp;
    // Sample i spans [i·tsamp, (i+1)·tsamp): each boundary's erf is computed once.
    let mut lower = libm::erf((first as f64 * tsamp - t0) * k);
    for i in first..last as u64 {
        let upper = libm::erf(((i + 1) as f64 * tsamp - t0) * k);
        sig[(i - start) as usize] += norm * (upper - lower);
        lower = upper;
    }
}

/// SplitMix64-style mixing of seed, block and channel into one RNG seed.
fn mix(seed: u64, block: u64, chan: u64) -> u64 {
    let mut z = seed ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ chan.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_keeps_its_area() {
        let tsamp = 1e-3;
        for w in [0.1e-3, 1e-3, 5e-3] {
            let mut sig = vec![0f64; 200];
            add_gaussian(&mut sig, 0, tsamp, 0.1, w, 1.0);
            let area: f64 = sig.iter().sum::<f64>() * tsamp;
            let want = w * (2.0 * std::f64::consts::PI).sqrt();
            assert!((area - want).abs() < 1e-3 * want, "w {w}: {area} vs {want}");
        }
    }

    #[test]
    fn gaussian_respects_stretch_bounds() {
        let mut sig = vec![0f64; 10];
        add_gaussian(&mut sig, 100, 1e-3, 0.0, 1e-3, 1.0);
        assert!(sig.iter().all(|&v| v == 0.0));
        add_gaussian(&mut sig, 100, 1e-3, 0.1055, 1e-3, 1.0);
        assert!(sig[5] > 0.5);
    }
}
