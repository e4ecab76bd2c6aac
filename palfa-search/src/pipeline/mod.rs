//! The whole per-beam search that a worker runs (`palfa search`).
//!
//! Mock s0/s1 merge → rfifind → DM plan → zaplist (static, plus birdies found in
//! this beam) → dedispersion in memory-bounded groups of passes → per DM:
//! single-pulse search, FFT, red-noise whitening, zapping, low- and
//! high-acceleration searches → sifting → folding of the best candidates from
//! the masked raw data → the results directory (`docs/results-format.md`).
//!
//! Unlike PRESTO's recipe no `.dat`/`.fft` files are written: every dedispersed
//! series lives in memory only while its group is searched.

mod header;
mod periodicity;
mod products;
mod progress;
mod workdir;

use std::path::PathBuf;
use std::time::Instant;

use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::config::{Processing, Searching};
use palfa_core::formats::results::{SearchResults, SearchStatus, FORMAT_VERSION};

pub use header::{obs_name, observation_header};
pub use periodicity::{PerDmOutput, PerDmSearch, StageCpu};
pub use progress::{NoProgress, StageProgress, StageTimer};
pub use workdir::WorkDir;

use crate::ddplan::{Band, DmPlan};
use crate::dedisp::{dedisperse_brute, dedisperse_plan, ChannelScaling, DedispConfig};
use crate::error::{SearchError, SearchResult};
use crate::fold::{fold_candidates, FoldConfig, FoldRequest};
use crate::rfi::{find_rfi, MaskedSource};
use crate::sift::{sift, SiftConfig};
use crate::spectrum::SpectrumMaker;
use crate::zap::{add_birdies, find_birdies, find_zaplist, ZaplistQuery};

/// Default memory for the dedispersed series of one group \[bytes\].
pub const DEFAULT_SERIES_BUDGET: u64 = 1536 << 20;

/// DMs dedispersed up front to tell periodic RFI from pulsars: 0 and powers of
/// two up to the plan's largest DM (so every pulsar has a trial within a factor
/// two of its DM), at most this many.
pub const DYNAMIC_ZAP_DMS: usize = 14;

/// One beam to search.
#[derive(Debug, Clone)]
pub struct SearchJob {
    /// The data file, or the two halves of a Mock beam.
    pub files: Vec<PathBuf>,
    /// Where the finished results go.
    pub outdir: PathBuf,
    /// `[searching]`.
    pub searching: Searching,
    /// `[processing]`.
    pub processing: Processing,
    /// Version string recorded with the results.
    pub version: String,
    /// Keep the working directory afterwards (for debugging).
    pub keep_workdir: bool,
    /// Memory for one group of dedispersed series \[bytes\].
    pub series_budget_bytes: u64,
}

/// Searches one beam and writes its results directory.
pub fn run_search(job: &SearchJob, progress: &dyn StageProgress) -> SearchResult<SearchResults> {
    let s = &job.searching;
    let timer = StageTimer::default();
    let t_start = Instant::now();
    let beam = open_beam(&job.files)?;
    let h = beam.header().clone();
    let name = obs_name(&h);
    let base = s
        .base_tmp_dir
        .clone()
        .unwrap_or_else(|| job.processing.base_working_directory.clone());
    let wd = WorkDir::create(&base, &name, job.keep_workdir)?;
    let res = wd.results();
    let mut results = SearchResults {
        format_version: FORMAT_VERSION,
        status: SearchStatus::Searched,
        version: job.version.clone(),
        processed_at: String::new(),
        header: observation_header(&h),
        candidates: Vec::new(),
        single_pulses: Default::default(),
        diagnostics: Default::default(),
        num_dm_trials: 0,
        timing: Vec::new(),
        file_sizes: Default::default(),
    };
    results.diagnostics.sigma_threshold = s.to_prepfold_sigma;
    results.diagnostics.max_cands_allowed_to_fold = s.max_cands_to_fold as u32;
    if h.duration_s() < s.low_t_to_search_s {
        tracing::warn!(
            "{name}: {:.1} s is shorter than low_T_to_search = {} s; not searched",
            h.duration_s(),
            s.low_t_to_search_s
        );
        results.status = SearchStatus::SkippedTooShort {
            duration_s: h.duration_s(),
            min_s: s.low_t_to_search_s,
        };
        return finish(results, &wd, job, &timer, t_start);
    }

    // RFI: find it, keep its products, and read through the mask from now on.
    let mut beam = beam;
    let rfi = timer.run("rfifind", h.nsamples, progress, || {
        find_rfi(beam.as_mut(), &s.rfi, &|d, _| progress.set(d))
    })?;
    rfi.write_files(&res, &name)?;
    let rfi_png = format!("{name}_rfifind.png");
    crate::rfi::plot_rfi(&rfi, res.join(&rfi_png))?;
    results.diagnostics.rfifind_png = rfi_png;
    results.diagnostics.rfi_mask_percentage = 100.0 * rfi.masked_or_clipped_fraction;
    let mut src: Box<dyn SpectraSource> = Box::new(MaskedSource::from_result(beam, &rfi)?);

    let plan = DmPlan::for_beam(&h, &s.dedisp);
    let band = Band::of(&h);
    let plan_text = plan.table(band);
    tracing::info!("{}", plan_text.trim_end());
    let dms = plan.all_dms();
    results.num_dm_trials = dms.len() as u32;
    let scaling = ChannelScaling::measure(src.as_mut())?;
    let dcfg = DedispConfig {
        zerodm: s.use_zerodm,
        ..DedispConfig::default()
    };

    // Zaplist: a custom or default list, plus the birdies of this beam.
    let (zaplist, birdies) = timer.run("zaplist", 1, progress, || -> SearchResult<_> {
        let (y, m, d) = palfa_core::astro::mjd_to_date(h.start_mjd);
        let query = ZaplistQuery {
            file_stem: h.basename(),
            project_id: h.project_id.clone(),
            date: format!("{y:04}{m:02}{d:02}"),
            beam: h.beam_id,
        };
        let (list, source) = find_zaplist(
            &query,
            job.processing.zaplistdir.as_deref(),
            job.processing.default_zaplist.as_deref(),
        )?;
        tracing::info!(?source, birds = list.birds.len(), "static zaplist");
        if s.dynamic_zap.enabled {
            let top = dms.last().copied().unwrap_or(0.0);
            let probe: Vec<f64> = std::iter::once(0.0)
                .chain(
                    (0..DYNAMIC_ZAP_DMS - 1)
                        .map(|k| f64::from(1u32 << k))
                        .take_while(|&d| d <= top.max(1.0)),
                )
                .collect();
            let ds = plan.steps[0].downsamp;
            let series = dedisperse_brute(src.as_mut(), &probe, ds, &scaling, &dcfg, &|_, _| {})?;
            let maker = SpectrumMaker::new();
            // Not whitened: rednoise's narrow blocks near a strong line take in
            // its leakage and would lower the line's level at DM 0 the most;
            // find_birdies normalises by the median of wide blocks itself.
            let spectra = series.iter().map(|t| maker.make(t)).collect::<SearchResult<Vec<_>>>()?;
            let birdies = find_birdies(&spectra[0], &spectra[1..], &s.dynamic_zap);
            tracing::info!(birdies = birdies.len(), "dynamic zapping");
            return Ok((list, birdies));
        }
        Ok((list, Vec::new()))
    })?;
    // Saved: the static list plus the birdies at their DM-0 widths (each DM's
    // spectrum zaps a birdie only as wide as its line leaks there).
    let mut saved = zaplist.clone();
    add_birdies(&mut saved, &birdies, false);
    if !birdies.is_empty() {
        saved.comments.push(
            " Dynamic birdies are listed at their DM-0 width; at other DMs each is zapped only as wide as its attenuated line leaks."
                .into(),
        );
    }
    let zap_name = format!("{name}.zaplist");
    saved.write(res.join(&zap_name))?;
    results.diagnostics.zaplist_used = zap_name;

    // Dedispersion and the per-DM searches, group by group.
    let sp_dir = wd.path().join("singlepulse");
    std::fs::create_dir_all(&sp_dir).map_err(|e| SearchError::io(&sp_dir, e))?;
    let mut per_dm = PerDmSearch::new(s, &zaplist, &birdies, &sp_dir);
    let mut out = PerDmOutput::default();
    let t_loop = Instant::now();
    let mut search_wall = 0.0;
    let npasses = plan.passes().len() as u64;
    progress.start("dedisperse + search", npasses);
    dedisperse_plan(
        src.as_mut(),
        &plan,
        &scaling,
        &dcfg,
        job.series_budget_bytes,
        |group| {
            let t0 = Instant::now();
            per_dm.run(&group, &mut out)?;
            let dt = t0.elapsed().as_secs_f64();
            search_wall += dt;
            if let (Some(a), Some(b)) = (group.first(), group.last()) {
                tracing::info!(
                    "DMs {:.2}-{:.2} ({} series of {} samples) searched in {dt:.1} s; {} lo, {} hi candidates, {} single-pulse events so far",
                    a.info.dm,
                    b.info.dm,
                    group.len(),
                    a.data.len(),
                    out.lo.len(),
                    out.hi.len(),
                    out.events.len()
                );
            }
            Ok(())
        },
        &|done, _| progress.set(done),
    )?;
    progress.finish();
    timer.add("dedispersion", t_loop.elapsed().as_secs_f64() - search_wall);
    timer.add("per-DM searches", search_wall);
    for (stage, cpu) in per_dm.cpu.seconds() {
        tracing::info!(stage, core_seconds = format!("{cpu:.1}"), "per-DM stage");
        timer.add(&format!("{stage} (core-s)"), cpu);
    }
    if let Some(z) = &out.zap {
        results.diagnostics.percent_zapped_total = 100.0 * z.fraction_zapped_total;
        results.diagnostics.percent_zapped_below_10hz = 100.0 * z.below_10hz;
        results.diagnostics.percent_zapped_below_1hz = 100.0 * z.below_1hz;
    }

    // Single pulses: groups, plots, the events archive.
    timer.run("single-pulse products", 1, progress, || {
        products::single_pulses(&out.events, &dms, s, &sp_dir, &res, &name, &mut results)
    })?;

    // Sifting.
    let scfg = SiftConfig::from_searching(s);
    let sifted = timer.run("sifting", 1, progress, || sift(out.lo, out.hi, &dms, &scfg))?;
    products::sifting(&sifted, &scfg, &res, &name, &mut results)?;

    // Folding from the (masked) raw data.
    let requests: Vec<FoldRequest> = sifted
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| FoldRequest {
            sigma_search: c.sigma(),
            ..FoldRequest::from_accel(&c.best, format!("ACCEL_Cand_{}", i + 1))
        })
        .collect();
    let fcfg = FoldConfig::from_searching(s);
    src.seek(0)?;
    let folds = timer.run("folding", h.nsamples, progress, || {
        fold_candidates(src.as_mut(), &requests, &fcfg, &|d, _| progress.set(d))
    })?;
    timer.run("fold products", folds.len() as u64, progress, || {
        products::folds(&folds, &sifted, &res, &name, &mut results)
    })?;

    let params = format!("{plan_text}\n{s:#?}\n");
    let params_name = format!("{name}_search_params.txt");
    std::fs::write(res.join(&params_name), params).map_err(|e| SearchError::io(res.join(&params_name), e))?;
    results.diagnostics.search_params = params_name;
    finish(results, &wd, job, &timer, t_start)
}

fn finish(
    mut results: SearchResults,
    wd: &WorkDir,
    job: &SearchJob,
    timer: &StageTimer,
    t_start: Instant,
) -> SearchResult<SearchResults> {
    timer.add("total", t_start.elapsed().as_secs_f64());
    results.timing = timer.timings();
    results.processed_at = products::now_rfc3339();
    wd.deliver(&mut results, &job.outdir)?;
    Ok(results)
}
