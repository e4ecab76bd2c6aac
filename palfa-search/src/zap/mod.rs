//! Birdie zapping: removing known periodic interference from a spectrum
//! (PRESTO's `zapbirds -zap`), choosing the zaplist of a beam as pipeline2.0
//! did, and finding this beam's own birdies ([`find_birdies`], dynamic
//! zapping, from spectra at the [`probe_dms`]: [`find_beam_birdies`]).
//!
//! Zapped bins are replaced by noise at the local level, as PRESTO HEAD does:
//! complex Gaussian amplitudes whose mean power is the median power / ln 2 of
//! up to 200 bins on each side of the bird, skipping 100 guard bins next to it
//! (the two medians averaged), from a fixed-seed generator so results repeat.
//!
//! ```
//! use palfa_core::formats::presto::zaplist::{Bird, Zaplist};
//! use palfa_search::spectrum::{Complex32, Spectrum};
//! use palfa_search::zap::apply_zaplist;
//! let mut amps = vec![Complex32::new(1.0, 0.0); 20_001];
//! amps[6000] = Complex32::new(1000.0, 0.0); // 60 Hz in a 100-s series
//! let mut spec = Spectrum { amps, n_samples: 40_000, dt: 2.5e-3, t_obs_s: 100.0, dm: 0.0, mean: 0.0,
//!     info: Default::default() };
//! let list = Zaplist { birds: vec![Bird { freq_hz: 60.0, width_hz: 0.05, barycentric: false }], ..Default::default() };
//! let stats = apply_zaplist(&mut spec, &list, 0.0);
//! assert!(spec.amps[6000].norm() < 10.0);
//! assert_eq!(stats.bins_zapped, 6);
//! ```

mod dynamic;
mod lookup;
mod powers;
mod probe;

pub use dynamic::{add_birdies, find_birdies, find_birdies_in, zaplist_for, Birdie};
pub use lookup::{find_zaplist, ZaplistQuery, ZaplistSource};
pub use powers::ProbePowers;
pub use probe::{find_beam_birdies, probe_dms, DYNAMIC_ZAP_DMS};

use palfa_core::formats::presto::zaplist::Zaplist;

use crate::rednoise::median_in_place;
use crate::rfi::stretch::merge;
use crate::spectrum::{Complex32, Spectrum};

/// Bins on each side of a bird over which the local level is measured.
pub const MEDIAN_BINS: usize = 200;
/// Bins next to a bird left out of the local level.
pub const GUARD_BINS: usize = 100;

/// How much of a spectrum a zaplist removed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ZapStats {
    /// Bins replaced.
    pub bins_zapped: usize,
    /// Fraction of all bins replaced (pipeline2.0's "Percent zapped total" / 100).
    pub fraction_zapped_total: f64,
    /// Fraction of the bins below 10 Hz replaced.
    pub below_10hz: f64,
    /// Fraction of the bins below 1 Hz replaced.
    pub below_1hz: f64,
}

/// A small deterministic generator (splitmix64) for the replacement noise.
struct Noise(u64);

impl Noise {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// A complex Gaussian amplitude with mean power `mean_power` (exponential power, uniform phase).
    fn amplitude(&mut self, mean_power: f64) -> Complex32 {
        let power = -mean_power * self.uniform().ln();
        let phase = 2.0 * std::f64::consts::PI * self.uniform();
        Complex32::from_polar(power.sqrt() as f32, phase as f32)
    }
}

/// The bin range `[lo, hi)` a bird covers in `spec`, or `None` if it lies
/// beyond the spectrum. `baryv` is the mean barycentric velocity (v/c): a
/// topocentric bird in a barycentred spectrum moves to f·(1 + baryv), a
/// barycentric bird in a topocentric spectrum to f/(1 + baryv).
pub fn bird_bins(
    spec: &Spectrum,
    freq_hz: f64,
    width_hz: f64,
    barycentric: bool,
    baryv: f64,
) -> Option<(usize, usize)> {
    let factor = match (barycentric, spec.info.barycentred) {
        (false, true) => 1.0 + baryv,
        (true, false) => 1.0 / (1.0 + baryv),
        _ => 1.0,
    };
    let t = spec.t_obs_s;
    let centre = freq_hz * factor * t;
    // At least one bin wide, widened about the centre.
    let half = (0.5 * width_hz * factor * t).max(0.5);
    let lo = (centre - half).floor().max(0.0);
    let hi = (centre + half).ceil();
    let n = spec.amps.len();
    if lo >= n.saturating_sub(1) as f64 || hi <= 0.0 {
        return None;
    }
    Some((lo as usize, (hi as usize).min(n.saturating_sub(1)).max(lo as usize + 1)))
}

/// Local noise level (mean power) around bins `[lo, hi)`.
fn local_level(spec: &Spectrum, lo: usize, hi: usize, buf: &mut Vec<f32>) -> f64 {
    let n = spec.amps.len();
    let mut side = |a: usize, b: usize| -> Option<f64> {
        if b <= a {
            return None;
        }
        buf.clear();
        buf.extend(spec.amps[a..b].iter().map(|x| x.norm_sqr()));
        Some(median_in_place(buf) as f64)
    };
    let below = side(
        lo.saturating_sub(GUARD_BINS + MEDIAN_BINS).max(1),
        lo.saturating_sub(GUARD_BINS).max(1),
    );
    let above = side((hi + GUARD_BINS).min(n), (hi + GUARD_BINS + MEDIAN_BINS).min(n));
    let med = match (below, above) {
        (Some(a), Some(b)) => 0.5 * (a + b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => {
            // A tiny spectrum: the median of everything.
            buf.clear();
            buf.extend(spec.amps.iter().map(|x| x.norm_sqr()));
            median_in_place(buf) as f64
        }
    };
    med / std::f64::consts::LN_2
}

/// Most harmonics of a zapped line whose subharmonic [`is_zapped_subharmonic`]
/// still recognises.
pub const MAX_SUBHARMONIC: u32 = 64;

/// Whether a signal of frequency `freq_hz` (known to `tol_hz`) has one of
/// its first [`MAX_SUBHARMONIC`] harmonics inside a (topocentric) line of
/// `list`: a periodic interference of frequency F also folds up at every
/// period k/F, so a long-period search (the FFA) sees mains at 0.5 s, 0.517 s,
/// … where the Fourier search zaps only F itself.
pub fn is_zapped_subharmonic(freq_hz: f64, tol_hz: f64, list: &Zaplist) -> bool {
    if freq_hz.is_nan() || freq_hz <= 0.0 {
        return false;
    }
    list.birds.iter().filter(|b| !b.barycentric).any(|b| {
        let k = (b.freq_hz / freq_hz).round();
        (1.0..=f64::from(MAX_SUBHARMONIC)).contains(&k)
            && (b.freq_hz - k * freq_hz).abs() <= 0.5 * b.width_hz + k * tol_hz
    })
}

/// Replaces the bins of every bird in `list` with noise at the local level
/// (see the module docs) and says how much was zapped.
pub fn apply_zaplist(spec: &mut Spectrum, list: &Zaplist, baryv: f64) -> ZapStats {
    let n = spec.amps.len();
    let mut noise = Noise(0x5EED_0001);
    let mut buf = Vec::new();
    let ranges: Vec<(usize, usize)> = list
        .birds
        .iter()
        .filter_map(|b| bird_bins(spec, b.freq_hz, b.width_hz, b.barycentric, baryv))
        .collect();
    // Levels first, from the unzapped spectrum, so neighbouring birds do not
    // measure each other's replacement noise.
    let levels: Vec<f64> = ranges
        .iter()
        .map(|&(lo, hi)| local_level(spec, lo, hi, &mut buf))
        .collect();
    for (&(lo, hi), &level) in ranges.iter().zip(&levels) {
        for a in &mut spec.amps[lo.max(1)..hi] {
            *a = noise.amplitude(level);
        }
    }
    // The zapped bins as disjoint ranges (birds may overlap), for the counts.
    let zapped = merged(&ranges);
    let zapped_below = |nb: usize| -> usize { zapped.iter().map(|&(lo, hi)| hi.min(nb).saturating_sub(lo)).sum() };
    let t = spec.t_obs_s;
    let frac_below = |f_hz: f64| -> f64 {
        let nb = ((f_hz * t).ceil() as usize).min(n);
        if nb <= 1 {
            return 0.0;
        }
        zapped_below(nb) as f64 / (nb - 1) as f64
    };
    let total = zapped_below(n);
    ZapStats {
        bins_zapped: total,
        fraction_zapped_total: if n > 1 { total as f64 / (n - 1) as f64 } else { 0.0 },
        below_10hz: frac_below(10.0),
        below_1hz: frac_below(1.0),
    }
}

/// Bin ranges `[lo, hi)` (bin 0 left out) as sorted, disjoint ranges.
fn merged(ranges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let r = ranges.iter().map(|&(lo, hi)| (lo.max(1) as u64, hi as u64)).collect();
    merge(r)
        .into_iter()
        .map(|(lo, hi)| (lo as usize, hi as usize))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn mains_subharmonics_are_recognised() {
        use palfa_core::formats::presto::zaplist::Bird;
        let list = Zaplist {
            birds: vec![Bird {
                freq_hz: 60.0,
                width_hz: 0.02,
                barycentric: false,
            }],
            comments: Vec::new(),
        };
        assert!(super::is_zapped_subharmonic(2.0, 1e-4, &list)); // 0.5 s = 30/60
        assert!(super::is_zapped_subharmonic(60.0 / 41.0, 1e-4, &list));
        assert!(!super::is_zapped_subharmonic(2.01, 1e-4, &list));
        assert!(!super::is_zapped_subharmonic(60.0 / 70.0, 1e-4, &list)); // beyond 64
        assert!(!super::is_zapped_subharmonic(120.0, 1e-4, &list)); // a harmonic, not a subharmonic
    }

    use super::*;

    /// Overlapping, touching, nested and empty ranges merge into the bins
    /// they cover (what a flag per bin counts).
    #[test]
    fn merged_ranges_cover_the_same_bins() {
        let ranges = [
            (5, 9),
            (0, 2),
            (8, 12),
            (20, 21),
            (12, 14),
            (30, 30),
            (21, 25),
            (22, 23),
            (40, 50),
        ];
        let m = merged(&ranges);
        assert_eq!(m, vec![(1, 2), (5, 14), (20, 25), (40, 50)]);
        let mut flags = [false; 60];
        for &(lo, hi) in &ranges {
            flags[lo.max(1)..hi].iter_mut().for_each(|f| *f = true);
        }
        let covered: usize = m.iter().map(|&(lo, hi)| hi - lo).sum();
        assert_eq!(covered, flags.iter().filter(|&&f| f).count());
    }
    use palfa_core::formats::presto::zaplist::Bird;

    fn flat(n: usize, t: f64) -> Spectrum {
        let mut noise = Noise(7);
        Spectrum {
            amps: (0..n).map(|_| noise.amplitude(1.0)).collect(),
            n_samples: 2 * (n - 1),
            dt: t / (2 * (n - 1)) as f64,
            t_obs_s: t,
            dm: 0.0,
            mean: 0.0,
            info: Default::default(),
        }
    }

    #[test]
    fn zapped_bins_get_the_local_level() {
        let mut s = flat(100_000, 100.0);
        for k in 5990..6010 {
            s.amps[k] = Complex32::new(500.0, 0.0);
        }
        // Raise the level around the bird ×4 to see the replacement follow it.
        for a in &mut s.amps[5000..7000] {
            if a.re != 500.0 {
                *a *= 2.0;
            }
        }
        let list = Zaplist {
            birds: vec![Bird {
                freq_hz: 60.0,
                width_hz: 0.2,
                barycentric: false,
            }],
            ..Default::default()
        };
        let st = apply_zaplist(&mut s, &list, 0.0);
        assert_eq!(st.bins_zapped, 20);
        let mean: f32 = s.amps[5990..6010].iter().map(|a| a.norm_sqr()).sum::<f32>() / 20.0;
        assert!(mean > 1.5 && mean < 8.0, "{mean}");
        assert!((st.fraction_zapped_total - 20.0 / 99_999.0).abs() < 1e-12);
        assert_eq!(st.below_10hz, 0.0);
    }

    #[test]
    fn barycentric_correction_and_edges() {
        let mut s = flat(10_000, 100.0);
        s.info.barycentred = true;
        // Topocentric 50 Hz in a barycentred spectrum with v/c = 1e-4: 50.005 Hz, bin 5000.5.
        assert_eq!(bird_bins(&s, 50.0, 0.0, false, 1e-4), Some((5000, 5001)));
        assert_eq!(bird_bins(&s, 50.0, 0.0, true, 1e-4), Some((4999, 5001)));
        assert_eq!(bird_bins(&s, 1e6, 1.0, false, 0.0), None);
        // A bird over DC and the lowest bins: bin 0 is left alone, low-frequency stats count it.
        let list = Zaplist {
            birds: vec![Bird {
                freq_hz: 0.05,
                width_hz: 0.1,
                barycentric: true,
            }],
            ..Default::default()
        };
        let st = apply_zaplist(&mut s, &list, 0.0);
        assert_eq!(st.bins_zapped, 9);
        assert!((st.below_1hz - 9.0 / 99.0).abs() < 1e-12, "{}", st.below_1hz);
    }
}
