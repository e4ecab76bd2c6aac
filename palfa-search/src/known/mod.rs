//! Known pulsars: which candidates are pulsars already in a catalogue
//! (`docs/known-pulsars.md`).
//!
//! palfa carries the ATNF Pulsar Catalogue (Manchester et al. 2005, AJ 129,
//! 1993) as data ([`Catalogue::builtin`]); `palfa catalogue update FILE`
//! replaces it with a newer export (`[searching.known] catalogue`). A
//! candidate is tagged with a pulsar when the pulsar lies in the beam (or, a
//! bright one, in a far sidelobe), its DM is within tolerance, and the
//! candidate's frequency is a rational harmonic n/m (n, m ≤ 16) of the
//! pulsar's within the Doppler and Fourier-resolution tolerance.
//!
//! ```
//! use palfa_core::config::KnownParams;
//! use palfa_search::known::{BeamPointing, Catalogue, KnownMatcher};
//!
//! let cat = Catalogue::builtin();
//! let b1937 = cat.pulsars.iter().find(|p| p.bname.as_deref() == Some("B1937+21")).unwrap();
//! let beam = BeamPointing { ra_deg: b1937.ra_deg, dec_deg: b1937.dec_deg, mjd: 56_000.0, duration_s: 268.0 };
//! let m = KnownMatcher::new(cat, &KnownParams::default(), beam);
//! let tag = m.match_candidate(2.0 * b1937.freq_at(56_000.0), 71.0).unwrap();
//! assert_eq!((tag.name.as_str(), tag.harmonic_n, tag.harmonic_m), ("J1939+2134", 2, 1));
//! ```

mod catalogue;
mod matching;

use palfa_core::config::KnownParams;
use palfa_core::formats::results::SearchResults;

pub use catalogue::{parse_dec, parse_ra, Catalogue, CataloguedPulsar, COLUMNS, FORMAT_LINE, MAX_CATALOGUE_BYTES};
pub use matching::{angular_separation_deg, rational_harmonic, BeamPointing, KnownMatcher};

use crate::error::SearchResult;

/// The catalogue `params` names: its file, else the built-in one.
pub fn load_catalogue(params: &KnownParams) -> SearchResult<std::borrow::Cow<'static, Catalogue>> {
    Ok(match &params.catalogue {
        Some(p) => std::borrow::Cow::Owned(Catalogue::read(p)?),
        None => std::borrow::Cow::Borrowed(Catalogue::builtin()),
    })
}

/// The pointing of a searched beam.
pub fn beam_pointing(results: &SearchResults) -> BeamPointing {
    let h = &results.header;
    BeamPointing {
        ra_deg: h.ra_deg,
        dec_deg: h.dec_deg,
        mjd: h.timestamp_mjd,
        duration_s: h.observation_time_s,
    }
}

/// Tags every folded candidate of `results` that is a known pulsar (sets
/// `known_pulsar`; clears it on those that are not). Does nothing when
/// tagging is off.
pub fn tag_candidates(results: &mut SearchResults, params: &KnownParams) -> SearchResult<()> {
    if !params.enabled {
        return Ok(());
    }
    let cat = load_catalogue(params)?;
    let m = KnownMatcher::new(&cat, params, beam_pointing(results));
    for c in &mut results.candidates {
        c.known_pulsar = m.match_candidate(c.frequency_hz, c.dm);
        if let Some(k) = &c.known_pulsar {
            tracing::info!(
                cand = c.cand_num,
                pulsar = %k.name,
                harmonic = format!("{}/{}", k.harmonic_n, k.harmonic_m),
                where_ = k.position.as_str(),
                "candidate is a known pulsar"
            );
        }
    }
    Ok(())
}
