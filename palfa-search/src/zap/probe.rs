//! Dynamic zapping of one beam: which DMs are dedispersed up front to tell
//! periodic RFI (strongest at DM 0, present at every DM) from pulsars, and
//! finding the beam's birdies from them.

use palfa_core::config::DynamicZapParams;

use super::powers::ProbePowers;
use super::{find_birdies_in, Birdie};
use crate::dedisp::{dedisperse_exact_from, ChannelScaling, DedispConfig, DedispInput};
use crate::error::SearchResult;
use crate::spectrum::SpectrumMaker;

/// Most probe DMs dedispersed for dynamic zapping (DM 0 included).
pub const DYNAMIC_ZAP_DMS: usize = 14;

/// The probe DMs \[pc cm⁻³\] of a search up to `max_dm`: 0 and the powers of
/// two up to `max(max_dm, 1)` (so that every pulsar has a probe within a
/// factor two of its DM, where its lines are not those of RFI), at most
/// [`DYNAMIC_ZAP_DMS`].
///
/// ```
/// use palfa_search::zap::probe_dms;
/// assert_eq!(probe_dms(10.0), vec![0.0, 1.0, 2.0, 4.0, 8.0]);
/// assert_eq!(probe_dms(0.0), vec![0.0, 1.0]);
/// assert_eq!(probe_dms(1e6).len(), palfa_search::zap::DYNAMIC_ZAP_DMS);
/// ```
pub fn probe_dms(max_dm: f64) -> Vec<f64> {
    std::iter::once(0.0)
        .chain(
            (0..DYNAMIC_ZAP_DMS - 1)
                .map(|k| f64::from(1u32 << k))
                .take_while(|&d| d <= max_dm.max(1.0)),
        )
        .collect()
}

/// This beam's birdies: `beam` dedispersed at the [`probe_dms`] of a search
/// up to `max_dm` (with `nsub` subbands formed at each DM,
/// [`dedisperse_exact_from`]; downsampled by `downsamp`, with `scaling` and
/// `dcfg` as the search's dedispersion), each series' spectrum
/// (not whitened: rednoise's narrow blocks near a strong line take in its
/// leakage and would lower the line's level at DM 0 the most;
/// [`super::find_birdies`] normalises by the median of wide blocks itself),
/// and [`find_birdies_in`] on them (made one at a time: the series and
/// [`ProbePowers`] are held, one spectrum at a time).
///
/// # Errors
/// Reading or dedispersion errors, or settings the spectrum maker refuses.
pub fn find_beam_birdies(
    beam: &mut DedispInput<'_>,
    max_dm: f64,
    downsamp: usize,
    nsub: usize,
    scaling: &ChannelScaling,
    dcfg: &DedispConfig,
    params: &DynamicZapParams,
) -> SearchResult<Vec<Birdie>> {
    let probe = probe_dms(max_dm);
    let series = dedisperse_exact_from(beam, &probe, downsamp, nsub, scaling, dcfg, &|_, _| {})?;
    let maker = SpectrumMaker::padded();
    // One spectrum at a time, each series freed once transformed: what is
    // kept of each is half its spectrum.
    let mut powers = Vec::with_capacity(series.len());
    for s in series {
        powers.push(ProbePowers::new(&maker.make(&s)?));
    }
    let Some((dm0, others)) = powers.split_first() else {
        return Ok(Vec::new());
    };
    Ok(find_birdies_in(dm0, others, params))
}
