//! `[searching.known]`: tagging candidates that are already-known pulsars
//! (`docs/known-pulsars.md`).

use std::path::PathBuf;

use super::reader::{PathKind, Section};

/// Radius of ALFA's main beam used for known-pulsar matches \[deg\] (3.5 arcmin).
pub const ALFA_BEAM_RADIUS_DEG: f64 = 0.0583;

/// Known-pulsar tagging settings.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownParams {
    /// Tag candidates at all.
    pub enabled: bool,
    /// The catalogue file (`palfa catalogue update` writes it); `None`: the
    /// catalogue built into palfa.
    pub catalogue: Option<PathBuf>,
    /// Radius of the main beam \[deg\].
    pub beam_radius_deg: f64,
    /// Added to the beam radius for a main-beam match \[deg\] (the first sidelobe).
    pub sidelobe_margin_deg: f64,
    /// A pulsar this far off-axis \[deg\] that matches in period and DM is
    /// tagged as seen in a far sidelobe (0: no far-sidelobe tags).
    pub far_sidelobe_radius_deg: f64,
    /// Only pulsars at least this bright at 1400 MHz \[mJy\] are tagged in far
    /// sidelobes, and only at whole harmonics (pulsars with no catalogued
    /// flux are not).
    pub far_sidelobe_min_flux_mjy: f64,
    /// Largest n and m of a rational harmonic n/m.
    pub max_harmonic: u32,
    /// Fractional frequency tolerance for the Earth's motion and catalogue
    /// errors (added to a binary pulsar's own orbital Doppler shift).
    pub doppler_tolerance: f64,
    /// Fourier bins (1/T) added to the frequency tolerance.
    pub fourier_bins: f64,
    /// DM tolerance as a fraction of the pulsar's DM.
    pub dm_tolerance_frac: f64,
    /// Least DM tolerance \[pc cm⁻³\].
    pub dm_tolerance: f64,
}

impl Default for KnownParams {
    /// On, the built-in catalogue, ALFA's beam (3.5′) plus a 3′ sidelobe
    /// margin, far sidelobes out to 3° for pulsars of at least 1 mJy,
    /// harmonics n/m up to 16, a 2·10⁻⁴ Doppler tolerance plus 2 Fourier
    /// bins, DM within 10 % or 5 pc cm⁻³.
    fn default() -> Self {
        Self {
            enabled: true,
            catalogue: None,
            beam_radius_deg: ALFA_BEAM_RADIUS_DEG,
            sidelobe_margin_deg: 3.0 / 60.0,
            far_sidelobe_radius_deg: 3.0,
            far_sidelobe_min_flux_mjy: 1.0,
            max_harmonic: 16,
            doppler_tolerance: 2e-4,
            fourier_bins: 2.0,
            dm_tolerance_frac: 0.1,
            dm_tolerance: 5.0,
        }
    }
}

impl KnownParams {
    pub(crate) fn read(t: &mut Section<'_>) -> Self {
        let d = Self::default();
        let v = Self {
            enabled: t.bool("enabled", d.enabled),
            catalogue: t.path("catalogue", "", PathKind::FileInWritableDir, true),
            beam_radius_deg: t.f64("beam_radius", d.beam_radius_deg, 0.0, 180.0),
            sidelobe_margin_deg: t.f64("sidelobe_margin", d.sidelobe_margin_deg, 0.0, 180.0),
            far_sidelobe_radius_deg: t.f64("far_sidelobe_radius", d.far_sidelobe_radius_deg, 0.0, 180.0),
            far_sidelobe_min_flux_mjy: t.f64("far_sidelobe_min_flux", d.far_sidelobe_min_flux_mjy, 0.0, 1e6),
            max_harmonic: t.int("max_harmonic", d.max_harmonic as i64, 1, 64) as u32,
            doppler_tolerance: t.f64("doppler_tolerance", d.doppler_tolerance, 0.0, 0.1),
            fourier_bins: t.f64("fourier_bins", d.fourier_bins, 0.0, 1e3),
            dm_tolerance_frac: t.f64("dm_tolerance_frac", d.dm_tolerance_frac, 0.0, 10.0),
            dm_tolerance: t.f64("dm_tolerance", d.dm_tolerance, 0.0, 1e4),
        };
        if v.far_sidelobe_radius_deg > 0.0 && v.far_sidelobe_radius_deg < v.beam_radius_deg + v.sidelobe_margin_deg {
            let k = t.key("far_sidelobe_radius");
            t.ctx.problem(
                &k,
                "must be 0 (off) or at least searching.known.beam_radius + sidelobe_margin",
            );
        }
        v
    }
}
