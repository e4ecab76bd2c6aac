//! Folding: what PRESTO's `prepfold` does in the PALFA recipe.
//!
//! [`fold_candidates`] folds the most significant periodicity candidates of a
//! beam from its raw data, in **one streaming pass** for all of them:
//!
//! 0. Spectra whose zero-DM sum stands out by more than `clip_sigma` (6σ, as in
//!    prepfold) are replaced by the channels' running means (`clip`).
//! 1. Each candidate's data are folded into a cube of `npart` sub-integrations ×
//!    `nsub` subbands × `nbins` profile bins. Channels are first summed into
//!    subbands with their dispersion delays at the candidate's DM relative to the
//!    highest channel of their subband (whole samples), like `prepfold -nsub`;
//!    each subband sample then adds to the bins its phase interval
//!    [φ(t), φ(t + dt)) overlaps, with φ(t) = f·t + ½·ḟ·t² and t counted from the
//!    first sample. Only whole turns enter a sub-integration's profile.
//! 2. The cube is searched over DM, period and period derivative on prepfold's
//!    grid ([`FoldParams`]; PALFA's per-period table by default), keeping the
//!    trial of highest reduced χ² (see `search`).
//! 3. The best profile, its DOF-corrected reduced χ², both significances
//!    (PALFA's `prepfold_sigma` and prepfold's own), the uncertainties, the χ²
//!    curves and the P–Ṗ plane are derived as prepfold does ([`summarize_pfd`]),
//!    and the fold is checked for impulsiveness ([`Impulsiveness`]), which
//!    prepfold does not do.
//!
//! Results are written as PRESTO `.pfd` ([`write_pfd`]) and `.bestprof`
//! ([`write_bestprof`]) files and drawn as a prepfold-like PNG ([`plot_fold`]).
//! See `docs/folding.md` for the formulas and the deviations from PRESTO.
//!
//! ```
//! use palfa_core::beam::open_beam;
//! use palfa_core::simulate::{simulate, PulsarSpec, SimParams};
//! use palfa_search::fold::{fold_candidates, FoldConfig, FoldRequest};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("beam.fil");
//! let sim = SimParams {
//!     nchans: 16,
//!     nsamples: 1 << 15,
//!     tsamp_s: 1e-3,
//!     pulsars: vec![PulsarSpec { period_s: 0.25, dm: 30.0, duty: 0.05, snr: 40.0, accel_m_s2: 0.0, phase: 0.0 }],
//!     ..SimParams::default()
//! };
//! simulate(&sim, &path, &|_, _| {})?;
//! let mut beam = open_beam(&[&path])?;
//! let cfg = FoldConfig { nsub: 8, ..FoldConfig::default() };
//! let req = FoldRequest::new("Cand_1", 0.25001, 0.0, 30.0, 10.0);
//! let folds = fold_candidates(beam.as_mut(), &[req], &cfg, &|_, _| {})?;
//! assert!((folds[0].period_s() / 0.25 - 1.0).abs() < 1e-3);
//! assert!(folds[0].sigma() > 8.0 && !folds[0].impulsive);
//! palfa_search::fold::write_pfd(&folds[0], dir.path().join("Cand_1.pfd"))?;
//! # Ok(()) }
//! ```

mod accumulate;
mod clip;
mod impulsive;
mod output;
mod params;
mod plan;
mod plot;
mod result;
mod search;
mod significance;
mod stream;
mod summary;

use palfa_core::beam::SpectraSource;
use rayon::prelude::*;

pub use clip::CLIP_BLOCK;
pub use impulsive::Impulsiveness;
pub use output::{write_bestprof, write_pfd};
pub use params::{
    usable_nsub, FoldConfig, FoldParams, FoldRequest, ImpulsiveRule, DEFAULT_BLOCK_SPECTRA,
    DEFAULT_IMPULSIVE_MAX_FRACTION, DEFAULT_IMPULSIVE_MIN_TOP_SNR, DEFAULT_IMPULSIVE_TOP_PARTS, FREQ_BOX_SIGMAS,
    MIN_FREQ_BOX_TURNS, MIN_PARTS_FOR_IMPULSIVE_TEST,
};
pub use plot::plot_fold;
pub use result::{FoldCurves, FoldResult};
pub use significance::{dof_correction, fold_errors, fold_sigmas};
pub use summary::{bestprof_from, is_event_fold, summarize_pfd, FoldSummary};
// The cube operations the raters (`crate::rate`) build their profiles with.
pub(crate) use summary::{chisqr, combine_parts, dedispersed_parts, subband_profiles};

use crate::error::SearchResult;
use plan::FoldPlan;

/// Folds the candidates `cfg` selects (at or above `cfg.min_sigma`, the
/// `cfg.max_cands` most significant) from the raw beam, reading it once from
/// its first spectrum. Results come in order of decreasing search sigma.
/// `progress(spectra_read, total)` is called as the beam is read.
///
/// # Errors
/// [`SearchError::Params`](crate::SearchError::Params) naming the candidate if a
/// selected request cannot be folded (non-positive period, negative DM, a beam
/// shorter than the intra-subband delay...); read errors of the source.
pub fn fold_candidates(
    source: &mut dyn SpectraSource,
    requests: &[FoldRequest],
    cfg: &FoldConfig,
    progress: &dyn Fn(u64, u64),
) -> SearchResult<Vec<FoldResult>> {
    let chosen = cfg.select(requests);
    let header = source.header().clone();
    let plans = chosen
        .iter()
        .map(|r| FoldPlan::new(r, &header, cfg.nsub))
        .collect::<SearchResult<Vec<_>>>()?;
    let folds = if cfg.clip_sigma > 0.0 {
        let mut clipped = clip::ClippedSource::new(source, cfg.clip_sigma);
        let folds = stream::fold_stream(&mut clipped, plans, cfg.block_spectra, progress)?;
        tracing::debug!("clipping replaced {} spectra", clipped.clipped);
        folds
    } else {
        stream::fold_stream(source, plans, cfg.block_spectra, progress)?
    };
    Ok(folds
        .into_par_iter()
        .zip(chosen.into_par_iter())
        .map(|(f, req)| {
            let (plan, cube, stats) = f.into_cube();
            result::finish(plan, cube, stats, req, &header, &cfg.impulsive)
        })
        .collect())
}
