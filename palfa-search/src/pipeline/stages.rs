//! The stages of [`run_search`](super::run_search), each a function with a
//! typed output, in the order the search runs them: [`mask_rfi`],
//! [`plan_dms`], [`zap_birdies`], [`dedisperse_and_search`],
//! [`sift_candidates`], [`fold_best`] and [`rate_folds`]. They compute; writing the results
//! directory is left to the caller (`run_search` writes PALFA's products).

use std::path::Path;
use std::time::Instant;

use palfa_core::beam::SpectraSource;
use palfa_core::config::{DedispParams, Processing, RfiParams, Searching};
use palfa_core::formats::presto::zaplist::Zaplist;
use palfa_core::BeamHeader;

use super::periodicity::{PerDmOutput, PerDmSearch, SearchSeries};
use super::progress::{StageProgress, StageTimer};
use crate::candidate::AccelPass;
use crate::ddplan::{Band, DmPlan};
use crate::dedisp::{dedisperse_plan_from, ChannelScaling, DedispConfig, DedispInput, SeriesStore};
use crate::error::SearchResult;
use crate::ffa::{ffa_dm_step, ffa_dm_trials, FfaConfig};
use crate::fold::{fold_candidates, FoldConfig, FoldRequest, FoldResult};
use crate::rate::{rate_fold, RateConfig, Rating};
use crate::rfi::{find_rfi, MaskedSource, RfiResult};
use crate::series::{HalfSeries, TimeSeries};
use crate::sift::{sift_all, SiftConfig, SiftResult};
use crate::zap::{add_birdies, find_beam_birdies, find_zaplist, Birdie, ZaplistQuery, ZaplistSource};

/// What [`mask_rfi`] found, and the beam read through it from now on.
pub struct RfiOutput {
    /// rfifind's statistics, mask and clipped spectra.
    pub result: RfiResult,
    /// The beam with the mask applied and the clipped spectra replaced,
    /// at spectrum 0.
    pub source: MaskedSource,
}

impl RfiOutput {
    /// Percentage \[%\] of the data masked or clipped (the results'
    /// `rfi_mask_percentage`).
    pub fn masked_percentage(&self) -> f64 {
        100.0 * self.result.masked_or_clipped_fraction
    }
}

/// rfifind on the whole beam (progress in spectra read), then the beam
/// behind the mask it made ([`MaskedSource::from_result`]).
///
/// # Errors
/// Reading errors, or parameters [`find_rfi`] refuses.
pub fn mask_rfi(
    mut beam: Box<dyn SpectraSource>,
    params: &RfiParams,
    progress: &dyn StageProgress,
) -> SearchResult<RfiOutput> {
    let result = find_rfi(beam.as_mut(), params, &|d, _| progress.set(d))?;
    let source = MaskedSource::from_result(beam, &result)?;
    Ok(RfiOutput { result, source })
}

/// The DM trials of a beam.
#[derive(Debug, Clone, PartialEq)]
pub struct DmPlanOutput {
    /// The plan: steps of passes of DMs.
    pub plan: DmPlan,
    /// Every trial DM \[pc cm⁻³\], lowest first.
    pub dms: Vec<f64>,
    /// The plan as DDplan prints it, for the log and the parameters file.
    pub table: String,
}

/// The dedispersion plan of the beam described by `header` ([`DmPlan::for_beam`]).
pub fn plan_dms(header: &BeamHeader, params: &DedispParams) -> DmPlanOutput {
    let plan = DmPlan::for_beam(header, params);
    let dms = plan.all_dms();
    let table = plan.table(Band::of(header));
    DmPlanOutput { plan, dms, table }
}

/// The birdies zapped in every DM trial's spectrum.
#[derive(Debug, Clone, PartialEq)]
pub struct ZapOutput {
    /// The static zaplist ([`find_zaplist`]: the beam's custom list, the
    /// configured default, or the empty built-in one).
    pub zaplist: Zaplist,
    /// Where `zaplist` came from.
    pub source: ZaplistSource,
    /// This beam's own birdies (empty unless dynamic zapping is on).
    pub birdies: Vec<Birdie>,
}

impl ZapOutput {
    /// The list saved with the results (`<name>.zaplist`): the static list
    /// plus the birdies at their DM-0 widths (each DM's spectrum zaps a
    /// birdie only as wide as its line leaks there), with a comment saying so.
    pub fn saved_list(&self) -> Zaplist {
        let mut saved = self.zaplist.clone();
        add_birdies(&mut saved, &self.birdies, false);
        if !self.birdies.is_empty() {
            saved.comments.push(
                " Dynamic birdies are listed at their DM-0 width; at other DMs each is zapped only as wide as its attenuated line leaks."
                    .into(),
            );
        }
        saved
    }
}

/// The beam's zaplist and, when `searching.dynamic_zap` is on, its own
/// birdies, found in `src` dedispersed at the probe DMs of `plan`'s range
/// ([`find_beam_birdies`], with the first step's downsampling and subbands).
///
/// # Errors
/// A zaplist that cannot be read; reading or dedispersion errors.
pub fn zap_birdies(
    beam: &mut DedispInput<'_>,
    plan: &DmPlanOutput,
    scaling: &ChannelScaling,
    dcfg: &DedispConfig,
    searching: &Searching,
    processing: &Processing,
) -> SearchResult<ZapOutput> {
    let query = ZaplistQuery::for_beam(beam.header());
    let (zaplist, source) = find_zaplist(
        &query,
        processing.zaplistdir.as_deref(),
        processing.default_zaplist.as_deref(),
    )?;
    tracing::info!(?source, birds = zaplist.birds.len(), "static zaplist");
    let birdies = if searching.dynamic_zap.enabled {
        let max_dm = plan.dms.last().copied().unwrap_or(0.0);
        let first = &plan.plan.steps[0];
        let b = find_beam_birdies(
            beam,
            max_dm,
            first.downsamp,
            first.nsub,
            scaling,
            dcfg,
            &searching.dynamic_zap,
        )?;
        tracing::info!(birdies = b.len(), "dynamic zapping");
        b
    } else {
        Vec::new()
    };
    Ok(ZapOutput {
        zaplist,
        source,
        birdies,
    })
}

/// What the dedispersion and per-DM searches left.
#[derive(Debug, Default)]
pub struct SearchOutput {
    /// Candidates of both acceleration passes, single-pulse events and zapping statistics.
    pub per_dm: PerDmOutput,
    /// CPU time of each per-DM stage, summed over threads \[core-s\].
    pub cpu_s: Vec<(&'static str, f64)>,
}

/// Dedisperses `src` through `plan` in groups of passes whose series fit in
/// `series_budget_bytes`, and searches each group while it is in memory
/// (single pulses, written under `sp_dir`; FFT, whitening, zapping with
/// `zap`, both acceleration passes). With normalised channels (the default)
/// the series are kept in half precision ([`HalfSeries`]) and widened one at a
/// time per thread as they are searched. Progress is counted in DM trials;
/// the time goes to `timer`'s stages "dedispersion" and "per-DM searches".
///
/// # Errors
/// Reading, dedispersion or search errors, or failure to write `sp_dir`.
#[allow(clippy::too_many_arguments)]
pub fn dedisperse_and_search(
    beam: &mut DedispInput<'_>,
    plan: &DmPlanOutput,
    scaling: &ChannelScaling,
    dcfg: &DedispConfig,
    searching: &Searching,
    zap: &ZapOutput,
    sp_dir: &Path,
    series_budget_bytes: u64,
    progress: &dyn StageProgress,
    timer: &StageTimer,
) -> SearchResult<SearchOutput> {
    let mut per_dm = PerDmSearch::new(searching, &zap.zaplist, &zap.birdies, sp_dir)?;
    let mut out = PerDmOutput::default();
    if searching.ffa.enabled {
        let h = beam.header();
        let cfg = FfaConfig::from(&searching.ffa);
        let step = ffa_dm_step(h.lofreq_mhz, h.hifreq_mhz(), &cfg);
        let dms = ffa_dm_trials(&plan.dms, step);
        tracing::info!(
            "FFA: {} of {} DM trials ({step:.2} pc/cm^3 apart at least)",
            dms.len(),
            plan.dms.len()
        );
        per_dm.set_ffa_dms(&dms);
        out.ffa_dms = dms;
    }
    progress.start("dedisperse + search", plan.dms.len() as u64);
    timer.enter("dedispersion");
    let mut run = Groups {
        per_dm: &mut per_dm,
        out: &mut out,
        timer,
    };
    let stream = Stream {
        plan,
        scaling,
        dcfg,
        budget: series_budget_bytes,
        progress,
    };
    let dedispersed = if dcfg.normalise {
        stream.run::<HalfSeries>(beam, &mut run)
    } else {
        stream.run::<TimeSeries>(beam, &mut run)
    };
    timer.leave();
    progress.finish();
    dedispersed?;
    Ok(SearchOutput {
        per_dm: out,
        cpu_s: per_dm.cpu.seconds(),
    })
}

/// The plan dedispersed group by group into series of type `S`, each group
/// searched as it is made.
struct Stream<'r> {
    plan: &'r DmPlanOutput,
    scaling: &'r ChannelScaling,
    dcfg: &'r DedispConfig,
    budget: u64,
    progress: &'r dyn StageProgress,
}

impl Stream<'_> {
    fn run<S: SeriesStore + SearchSeries>(
        &self,
        beam: &mut DedispInput<'_>,
        groups: &mut Groups<'_, '_>,
    ) -> SearchResult<()> {
        dedisperse_plan_from::<S>(
            beam,
            &self.plan.plan,
            self.scaling,
            self.dcfg,
            self.budget,
            |g| groups.search(g),
            &|done, _| self.progress.set(done),
        )
    }
}

/// The per-DM searches of each dedispersed group.
struct Groups<'r, 'a> {
    per_dm: &'r mut PerDmSearch<'a>,
    out: &'r mut PerDmOutput,
    timer: &'r StageTimer,
}

impl Groups<'_, '_> {
    fn search<S: SearchSeries>(&mut self, group: Vec<S>) -> SearchResult<()> {
        let t0 = Instant::now();
        let summary = group
            .first()
            .zip(group.last())
            .map(|(a, b)| (a.info().dm, b.info().dm, group.len(), a.samples()));
        self.timer.enter("per-DM searches");
        self.per_dm.run(&group, self.out)?;
        self.per_dm.release_buffers();
        // The group's series are freed as this returns: count that to
        // the searches, then go back to dedispersing.
        drop(group);
        self.timer.enter("dedispersion");
        let dt = t0.elapsed().as_secs_f64();
        let out = &self.out;
        if let Some((lo, hi, n, len)) = summary {
            tracing::info!(
                "DMs {lo:.2}-{hi:.2} ({n} series of {len} samples) searched in {dt:.1} s; {} lo, {} hi, {} FFA candidates, {} single-pulse events so far",
                out.lo.len(),
                out.hi.len(),
                out.ffa.len(),
                out.events.len()
            );
        }
        Ok(())
    }
}

/// The sifted candidates, and the settings they were sifted with.
#[derive(Debug, Clone)]
pub struct SiftOutput {
    /// [`SiftConfig::from_searching`].
    pub config: SiftConfig,
    /// The candidates kept and rejected.
    pub result: SiftResult,
}

/// Sifts the candidates of both acceleration passes and of the FFA over the
/// searched `dms` (the FFA's: `ffa_dms`, empty for the same) \[pc cm⁻³\]
/// with the `[searching]` settings ([`sift_all`]).
///
/// # Errors
/// Invalid sifting settings or candidates.
pub fn sift_candidates(
    lo: Vec<crate::AccelCandidate>,
    hi: Vec<crate::AccelCandidate>,
    ffa: Vec<crate::AccelCandidate>,
    dms: &[f64],
    ffa_dms: &[f64],
    searching: &Searching,
) -> SearchResult<SiftOutput> {
    let config = SiftConfig::from_searching(searching);
    let result = sift_all(lo, hi, ffa, dms, ffa_dms, &config)?;
    Ok(SiftOutput { config, result })
}

/// Folds the best sifted candidates from `src` (rewound to spectrum 0), as
/// `ACCEL_Cand_<rank>` (rank from 1), with [`FoldConfig::from_searching`]:
/// those at or above `to_prepfold_sigma`, at most `max_cands_to_fold`.
/// Progress is counted in spectra read.
///
/// # Errors
/// Reading or folding errors.
pub fn fold_best(
    src: &mut dyn SpectraSource,
    sifted: &SiftResult,
    searching: &Searching,
    progress: &dyn StageProgress,
) -> SearchResult<Vec<FoldResult>> {
    let requests: Vec<FoldRequest> = sifted
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let req = FoldRequest::from_accel(&c.best, format!("ACCEL_Cand_{}", i + 1));
            // An FFA detection's DM is loose (a slow pulsar's S/N hardly
            // changes over many DM trials): the fold is made at the centre of
            // its DM hits (a DM search over prepfold's range, ±nbins bins of
            // delay, finds noise before a weak slow pulsar). Its frequency is as precise
            // as its pulse is narrow: a drift of half a pulse width over the
            // observation is taken as 1σ (not the Fourier formula's, ~20
            // widths for a 1 % pulse, which lets the fold wander off it).
            let ffa = c.best.pass == AccelPass::Ffa;
            let ffa_freq_err = c
                .best
                .pulse_width_s
                .filter(|_| ffa)
                .map(|w| 0.5 * w / c.best.period_s() / c.best.t_obs_s);
            FoldRequest {
                sigma_search: c.sigma(),
                dm: if ffa { c.dm_centroid(1.0) } else { req.dm },
                freq_err_hz: ffa_freq_err.or(req.freq_err_hz),
                ..req
            }
        })
        .collect();
    src.seek(0)?;
    fold_candidates(src, &requests, &FoldConfig::from_searching(searching), &|d, _| {
        progress.set(d)
    })
}

/// The `rate` stage: every fold rated ([`crate::rate`]), in parallel; one
/// list of ratings per fold, in the folds' order. Fails when the configured
/// known-pulsar catalogue cannot be read.
pub fn rate_folds(folds: &[FoldResult], searching: &Searching) -> SearchResult<Vec<Vec<Rating>>> {
    use rayon::prelude::*;
    let known = searching
        .known
        .enabled
        .then(|| crate::known::load_catalogue(&searching.known));
    let cfg = RateConfig {
        mains_hz: searching.mains_hz,
        known: match known {
            Some(Ok(cat)) => Some((searching.known.clone(), cat)),
            Some(Err(e)) => return Err(e),
            None => None,
        },
    };
    Ok(folds.par_iter().map(|f| rate_fold(f, &cfg)).collect())
}
