//! Which catalogued pulsar, if any, a candidate is.

use palfa_core::config::KnownParams;
use palfa_core::formats::results::{KnownPosition, KnownPulsar};

use super::catalogue::{Catalogue, CataloguedPulsar};

/// Angle between two directions \[deg\] (haversine, accurate at small angles).
pub fn angular_separation_deg(ra1: f64, dec1: f64, ra2: f64, dec2: f64) -> f64 {
    let (ra1, dec1, ra2, dec2) = (ra1.to_radians(), dec1.to_radians(), ra2.to_radians(), dec2.to_radians());
    let h = ((dec2 - dec1) / 2.0).sin().powi(2) + dec1.cos() * dec2.cos() * ((ra2 - ra1) / 2.0).sin().powi(2);
    (2.0 * h.sqrt().min(1.0).asin()).to_degrees()
}

/// The beam a candidate came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BeamPointing {
    /// J2000 right ascension of the beam centre \[deg\].
    pub ra_deg: f64,
    /// J2000 declination \[deg\].
    pub dec_deg: f64,
    /// MJD of the observation (its start is close enough).
    pub mjd: f64,
    /// Observation length \[s\]: sets the Fourier resolution 1/T.
    pub duration_s: f64,
}

/// Matches candidates of one beam against the pulsars near it.
#[derive(Debug)]
pub struct KnownMatcher<'a> {
    near: Vec<(&'a CataloguedPulsar, f64, KnownPosition)>,
    params: KnownParams,
    beam: BeamPointing,
}

impl<'a> KnownMatcher<'a> {
    /// The pulsars of `cat` within reach of `beam`: within the beam radius
    /// plus the sidelobe margin, or (bright enough) within the far-sidelobe radius.
    pub fn new(cat: &'a Catalogue, params: &KnownParams, beam: BeamPointing) -> Self {
        let main = params.beam_radius_deg + params.sidelobe_margin_deg;
        let near = cat
            .pulsars
            .iter()
            .filter_map(|p| {
                let sep = angular_separation_deg(beam.ra_deg, beam.dec_deg, p.ra_deg, p.dec_deg);
                if sep <= main {
                    Some((p, sep, KnownPosition::Main))
                } else if sep <= params.far_sidelobe_radius_deg
                    && p.s1400_mjy.is_some_and(|s| s >= params.far_sidelobe_min_flux_mjy)
                {
                    Some((p, sep, KnownPosition::FarSidelobe))
                } else {
                    None
                }
            })
            .collect();
        Self {
            near,
            params: params.clone(),
            beam,
        }
    }

    /// The beam it matches for.
    pub fn pointing(&self) -> BeamPointing {
        self.beam
    }

    /// Pulsars within reach of the beam, with their separation \[deg\].
    pub fn nearby(&self) -> impl Iterator<Item = (&CataloguedPulsar, f64, KnownPosition)> + '_ {
        self.near.iter().map(|&(p, s, k)| (p, s, k))
    }

    /// The catalogued pulsar a candidate at `freq_hz` (topocentric) and `dm`
    /// is, or is a rational harmonic n/m of: DM within tolerance, and
    /// frequency within the Doppler tolerance (plus the pulsar's orbital
    /// Doppler shift) and `fourier_bins`/T of n/m times the pulsar's. Of
    /// several, the main-beam one with the simplest ratio (smallest n·m), then
    /// the closest in frequency.
    pub fn match_candidate(&self, freq_hz: f64, dm: f64) -> Option<KnownPulsar> {
        if !(freq_hz.is_finite() && freq_hz > 0.0 && dm.is_finite()) {
            return None;
        }
        let k = &self.params;
        let res_hz = k.fourier_bins / self.beam.duration_s.max(1e-9);
        let mut best: Option<((u8, u32, f64), KnownPulsar)> = None;
        for &(p, sep, position) in &self.near {
            let dm_tol = (k.dm_tolerance_frac * p.dm).max(k.dm_tolerance);
            if (dm - p.dm).abs() > dm_tol {
                continue;
            }
            let f_psr = p.freq_at(self.beam.mjd);
            if !(f_psr.is_finite() && f_psr > 0.0) {
                continue;
            }
            let tol_hz = freq_hz * (k.doppler_tolerance + p.orbital_doppler()) + res_hz;
            // Far off-axis only whole harmonics: the chance that some n/m of one
            // of the many pulsars within degrees of a Galactic-plane beam
            // matches a noise candidate is otherwise far from small.
            let found = match position {
                KnownPosition::Main => rational_harmonic(freq_hz, f_psr, tol_hz, k.max_harmonic),
                KnownPosition::FarSidelobe => whole_harmonic(freq_hz, f_psr, tol_hz, k.max_harmonic),
            };
            let Some((n, m, err_hz)) = found else {
                continue;
            };
            let key = (u8::from(position != KnownPosition::Main), n * m, err_hz / tol_hz);
            if best
                .as_ref()
                .is_some_and(|(b, _)| (b.0, b.1) < (key.0, key.1) || ((b.0, b.1) == (key.0, key.1) && b.2 <= key.2))
            {
                continue;
            }
            let psr_period = 1.0 / f_psr;
            best = Some((
                key,
                KnownPulsar {
                    name: p.jname.clone(),
                    bname: p.bname.clone(),
                    harmonic_n: n,
                    harmonic_m: m,
                    psr_period_s: psr_period,
                    psr_dm: p.dm,
                    period_diff_s: 1.0 / freq_hz - psr_period * m as f64 / n as f64,
                    dm_diff: dm - p.dm,
                    separation_deg: sep,
                    position,
                },
            ));
        }
        best.map(|(_, t)| t)
    }
}

/// The ratio n/m (in lowest terms, n, m ≤ `max`) with |f − n/m·f_psr| ≤
/// `tol_hz` and the smallest n·m, and its error \[Hz\].
pub fn rational_harmonic(f: f64, f_psr: f64, tol_hz: f64, max: u32) -> Option<(u32, u32, f64)> {
    let mut best: Option<(u32, u32, f64)> = None;
    for m in 1..=max {
        let n = (f * m as f64 / f_psr).round();
        if n < 1.0 || n > max as f64 {
            continue;
        }
        let n = n as u32;
        if gcd(n, m) != 1 {
            continue;
        }
        let e = (f - f_psr * n as f64 / m as f64).abs();
        if e > tol_hz {
            continue;
        }
        if best.is_none_or(|(bn, bm, be)| n * m < bn * bm || (n * m == bn * bm && e < be)) {
            best = Some((n, m, e));
        }
    }
    best
}

/// The whole harmonic n (≤ `max`) with |f − n·f_psr| ≤ `tol_hz`, as (n, 1, error).
fn whole_harmonic(f: f64, f_psr: f64, tol_hz: f64, max: u32) -> Option<(u32, u32, f64)> {
    let n = (f / f_psr).round();
    if n < 1.0 || n > max as f64 {
        return None;
    }
    let e = (f - n * f_psr).abs();
    (e <= tol_hz).then_some((n as u32, 1, e))
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn psr(name: &str, ra: f64, dec: f64, f0: f64, dm: f64) -> CataloguedPulsar {
        CataloguedPulsar {
            jname: name.into(),
            bname: None,
            ra_deg: ra,
            dec_deg: dec,
            f0_hz: f0,
            f1_hz_s: 0.0,
            pepoch_mjd: Some(60_000.0),
            dm,
            pb_days: None,
            a1_lt_s: None,
            s1400_mjy: Some(0.1),
        }
    }

    fn beam() -> BeamPointing {
        BeamPointing {
            ra_deg: 290.0,
            dec_deg: 10.0,
            mjd: 60_000.0,
            duration_s: 268.0,
        }
    }

    #[test]
    fn harmonics_position_and_dm_decide() {
        let mut bright = psr("J1920+1100", 290.0, 11.0, 3.0, 300.0);
        bright.s1400_mjy = Some(20.0);
        let cat = Catalogue {
            source: vec![],
            pulsars: vec![
                psr("J1920+1000", 290.01, 10.0, 2.5, 100.0),
                psr("J1930+1000", 292.5, 10.0, 7.1, 50.0), // 2.5 deg away, faint
                bright,
            ],
        };
        let m = KnownMatcher::new(&cat, &KnownParams::default(), beam());
        assert_eq!(m.nearby().count(), 2, "the faint far pulsar is not within reach");
        // Fundamental, second harmonic, 3/2, and a subharmonic.
        for (f, n, mm) in [(2.5, 1, 1), (5.0, 2, 1), (3.75, 3, 2), (1.25, 1, 2)] {
            let t = m.match_candidate(f * (1.0 + 5e-5), 105.0).expect("matches");
            assert_eq!(
                (t.name.as_str(), t.harmonic_n, t.harmonic_m),
                ("J1920+1000", n, mm),
                "{f}"
            );
            assert_eq!(t.position, KnownPosition::Main);
            assert!((t.separation_deg - 0.01 * 10f64.to_radians().cos()).abs() < 1e-4);
        }
        // Wrong DM, wrong frequency, a ratio beyond 16.
        assert!(m.match_candidate(2.5, 160.0).is_none());
        assert!(m.match_candidate(2.5 * 1.01, 100.0).is_none());
        assert!(m.match_candidate(2.5 * 17.0, 100.0).is_none());
        // The bright pulsar 1 deg away, in a far sidelobe.
        let t = m.match_candidate(6.0, 310.0).unwrap();
        assert_eq!(
            (t.name.as_str(), t.harmonic_n, t.position),
            ("J1920+1100", 2, KnownPosition::FarSidelobe)
        );
        assert!(m.match_candidate(4.5, 310.0).is_none(), "3/2 is not taken far off-axis");
    }

    #[test]
    fn binary_pulsars_get_their_orbital_doppler_shift() {
        let mut p = psr("J1920+1000", 290.0, 10.0, 200.0, 100.0);
        p.pb_days = Some(0.1);
        p.a1_lt_s = Some(1.0); // v/c = 7.3e-4
        let cat = Catalogue {
            source: vec![],
            pulsars: vec![p],
        };
        let m = KnownMatcher::new(&cat, &KnownParams::default(), beam());
        assert!(m.match_candidate(200.0 * (1.0 + 6e-4), 100.0).is_some());
        assert!(m.match_candidate(200.0 * (1.0 + 1.5e-3), 100.0).is_none());
    }

    #[test]
    fn separation_is_right() {
        assert!((angular_separation_deg(0.0, 0.0, 1.0, 0.0) - 1.0).abs() < 1e-9);
        assert!((angular_separation_deg(10.0, 89.0, 190.0, 89.0) - 2.0).abs() < 1e-9);
        assert!(angular_separation_deg(359.99, 0.0, 0.01, 0.0) < 0.0201);
    }
}
