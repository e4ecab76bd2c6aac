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
use palfa_core::formats::results::{KnownDetection, KnownInBeam, KnownPosition, SearchResults};

pub use catalogue::{parse_dec, parse_ra, Catalogue, CataloguedPulsar, COLUMNS, FORMAT_LINE, MAX_CATALOGUE_BYTES};
pub use matching::{angular_separation_deg, rational_harmonic, BeamPointing, KnownMatcher};

use crate::error::SearchResult;
use crate::sift::SiftResult;

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

/// The known-pulsar stage of a search: tags the folded candidates
/// ([`tag_candidates`]) and lists the catalogued pulsars in the beam with the
/// sifted candidates that are them ([`pulsars_in_beam`]) in
/// `results.known_pulsars`. Does nothing when tagging is off.
pub fn tag_search(results: &mut SearchResults, params: &KnownParams, sifted: &SiftResult) -> SearchResult<()> {
    if !params.enabled {
        return Ok(());
    }
    let cat = load_catalogue(params)?;
    let m = KnownMatcher::new(&cat, params, beam_pointing(results));
    tag_with(results, &m);
    results.known_pulsars = pulsars_in_beam(&m, results, sifted);
    Ok(())
}

/// The pulsars of the matcher's main beam, and those of its far sidelobes
/// that some sifted candidate is, each with the sifted candidates that match
/// it (and their `cand_num` where `results` holds their fold), nearest first.
pub fn pulsars_in_beam(m: &KnownMatcher<'_>, results: &SearchResults, sifted: &SiftResult) -> Vec<KnownInBeam> {
    let mut list: Vec<KnownInBeam> = m
        .nearby()
        .map(|(p, sep, position)| KnownInBeam {
            name: p.jname.clone(),
            bname: p.bname.clone(),
            period_s: 1.0 / p.freq_at(m.pointing().mjd),
            dm: p.dm,
            s1400_mjy: p.s1400_mjy,
            separation_deg: sep,
            position,
            detections: Vec::new(),
        })
        .collect();
    for (i, c) in sifted.candidates.iter().enumerate() {
        let Some(tag) = m.match_candidate(c.freq_hz(), c.dm()) else {
            continue;
        };
        let Some(entry) = list.iter_mut().find(|k| k.name == tag.name) else {
            continue;
        };
        let cand_num = results
            .candidates
            .iter()
            .find(|f| f.sifting_period_s == c.period_s() && f.sifting_dm == c.dm())
            .map(|f| f.cand_num);
        entry.detections.push(KnownDetection {
            sifted_rank: (i + 1) as u32,
            cand_num,
            period_s: c.period_s(),
            dm: c.dm(),
            sigma: c.sigma(),
            harmonic_n: tag.harmonic_n,
            harmonic_m: tag.harmonic_m,
        });
    }
    list.retain(|k| k.position == KnownPosition::Main || !k.detections.is_empty());
    list.sort_by(|a, b| a.separation_deg.total_cmp(&b.separation_deg));
    list
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
    tag_with(results, &m);
    Ok(())
}

fn tag_with(results: &mut SearchResults, m: &KnownMatcher<'_>) {
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
}
