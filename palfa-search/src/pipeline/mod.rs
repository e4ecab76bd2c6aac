//! The whole per-beam search that a worker runs (`palfa search`).
//!
//! Mock s0/s1 merge → rfifind → DM plan → the beam read once into a
//! channel-major prepared copy ([`PreparedBeam`]) → zaplist (static, plus
//! birdies found in this beam) → dedispersion in memory-bounded groups of passes → per DM:
//! single-pulse search, FFT, red-noise whitening, zapping, low- and
//! high-acceleration searches → sifting → folding of the best candidates from
//! the masked raw data → the results directory (`docs/results-format.md`).
//!
//! Unlike PRESTO's recipe no `.dat`/`.fft` files are written: every dedispersed
//! series lives in memory only while its group is searched.
//!
//! [`run_search`] is a sequence of public stage functions with typed outputs
//! ([`mask_rfi`] → [`RfiOutput`], [`plan_dms`] → [`DmPlanOutput`],
//! [`zap_birdies`] → [`ZapOutput`], [`dedisperse_and_search`] →
//! [`SearchOutput`], [`sift_candidates`] → [`SiftOutput`], [`fold_best`], [`rate_folds`]),
//! which a caller can also run one by one.

pub mod floors;
mod footprint;
mod header;
mod periodicity;
mod products;
mod progress;
pub mod provenance;
pub mod reproduce;
pub mod resources;
mod stages;
mod workdir;

use std::path::PathBuf;
use std::time::Instant;

use crate::dedisp::{DedispInput, PrepareOptions, PreparedBeam};
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::config::{Processing, Searching};
use palfa_core::formats::results::{InputFile, SearchResults, SearchStatus, StageTiming, FORMAT_VERSION};

pub use footprint::{disk_footprint, DiskFootprint};
pub use header::{obs_name, observation_header};
pub use periodicity::{PerDmOutput, PerDmSearch, SearchSeries, StageCpu};
pub use progress::{NoProgress, StageProgress, StageTimer};
pub use stages::{
    dedisperse_and_search, fold_best, mask_rfi, plan_dms, rate_folds, sift_candidates, zap_birdies, DmPlanOutput,
    RfiOutput, SearchOutput, SiftOutput, ZapOutput,
};
pub use workdir::WorkDir;

/// The largest beam [`run_search`] prepares for dedispersion in memory
/// \[bytes\]; a larger one is spilled into the working directory.
pub use crate::dedisp::PREPARED_IN_MEMORY_BYTES;

use crate::dedisp::{ChannelScaling, DedispConfig};
use crate::error::{SearchError, SearchResult};

/// Default memory for the dedispersed series of one group (in half
/// precision) and the working buffers that dedisperse them \[bytes\]: one
/// full-resolution pass of a PALFA beam (76 series of 2^22 samples, 0.64 GB)
/// with its buffers.
pub const DEFAULT_SERIES_BUDGET: u64 = 1024 << 20;

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

/// Searches one beam and writes its results directory: the stage functions
/// of this module in order ([`mask_rfi`], [`plan_dms`],
/// [`zap_birdies`], [`dedisperse_and_search`], the single-pulse products,
/// [`sift_candidates`], [`fold_best`], [`rate_folds`]), each timed, each writing its products
/// into the working directory, which is delivered to `job.outdir` at the end.
/// A beam shorter than `low_T_to_search` gets a results directory saying so.
///
/// The results record their provenance (`results.provenance`): palfa's
/// version and commit, the configuration and its hash, the size and SHA-256
/// of each input file (hashed on a thread of its own while rfifind runs),
/// the machine and the start and end times.
pub fn run_search(job: &SearchJob, progress: &dyn StageProgress) -> SearchResult<SearchResults> {
    let s = &job.searching;
    let timer = StageTimer::default();
    let t_start = (Instant::now(), resources::process_cpu_seconds());
    let started_at = products::now_rfc3339();
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
        provenance: None,
        known_pulsars: Vec::new(),
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
        let inputs = provenance::hash_inputs(&job.files)?;
        return finish(results, &wd, job, &timer, t_start, (inputs, started_at));
    }

    // RFI: find it, keep its products, and read through the mask from now on.
    // The input files are hashed meanwhile, on a thread of their own.
    let (rfi, inputs) = std::thread::scope(|sc| {
        let hasher = sc.spawn(|| provenance::hash_inputs(&job.files));
        let rfi = timer.run("rfifind", h.nsamples, progress, || mask_rfi(beam, &s.rfi, progress));
        let inputs = hasher.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (rfi, inputs)
    });
    let (rfi, inputs) = (rfi?, inputs?);
    rfi.result.write_files(&res, &name)?;
    let rfi_png = format!("{name}_rfifind.png");
    crate::rfi::plot_rfi(&rfi.result, res.join(&rfi_png))?;
    results.diagnostics.rfifind_png = rfi_png;
    results.diagnostics.rfi_mask_percentage = rfi.masked_percentage();
    let replaced = rfi.source.replacements();
    let mut src: Box<dyn SpectraSource> = Box::new(rfi.source);

    let plan = plan_dms(&h, &s.dedisp);
    tracing::info!("{}", plan.table.trim_end());
    results.num_dm_trials = plan.dms.len() as u32;
    let scaling = ChannelScaling::measure(src.as_mut())?;
    let dcfg = DedispConfig {
        zerodm: s.use_zerodm,
        ..DedispConfig::default()
    };

    // The beam read once, into channel-major rows, for every dedispersion
    // below (the zaplist's probe DMs and the plan's passes): in memory when
    // small, else in a spill file in the working directory. Without room
    // for the spill file the search goes on reading the beam for each
    // dedispersion (slower, the same series).
    let prepared = timer.run("prepare", h.nsamples, progress, || {
        let opts = PrepareOptions {
            spill_dir: wd.path().to_path_buf(),
            ..PrepareOptions::default()
        };
        match PreparedBeam::prepare(src.as_mut(), replaced, &opts, &|done, _| progress.set(done)) {
            Ok(beam) => {
                tracing::info!(
                    code = ?beam.code(),
                    mib = beam.bytes() >> 20,
                    spilled = beam.is_spilled(),
                    "beam prepared for dedispersion"
                );
                Ok(Some(beam))
            }
            // Only the spill file fails as `Io` (the source's errors are `Format`).
            Err(e @ SearchError::Io { .. }) => {
                tracing::warn!("{e}: the beam will be read again for each dedispersion");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })?;
    let mut input = match &prepared {
        Some(beam) => DedispInput::Prepared(beam),
        None => DedispInput::Stream(src.as_mut()),
    };
    let resident = prepared.as_ref().map_or(0, PreparedBeam::resident_bytes);

    // Zaplist: a custom or default list, plus the birdies of this beam.
    let zap = timer.run("zaplist", 1, progress, || {
        zap_birdies(&mut input, &plan, &scaling, &dcfg, s, &job.processing)
    })?;
    let zap_name = format!("{name}.zaplist");
    zap.saved_list().write(res.join(&zap_name))?;
    results.diagnostics.zaplist_used = zap_name;

    // Dedispersion and the per-DM searches, group by group.
    let sp_dir = wd.path().join("singlepulse");
    std::fs::create_dir_all(&sp_dir).map_err(|e| SearchError::io(&sp_dir, e))?;
    let searched = dedisperse_and_search(
        &mut input,
        &plan,
        &scaling,
        &dcfg,
        s,
        &zap,
        &sp_dir,
        job.series_budget_bytes.saturating_sub(resident),
        progress,
        &timer,
    )?;
    drop(prepared);
    for (stage, cpu) in &searched.cpu_s {
        tracing::info!(stage, core_seconds = format!("{cpu:.1}"), "per-DM stage");
        timer.add_core_seconds(&format!("{stage} (core-s)"), *cpu);
    }
    let out = searched.per_dm;
    if let Some(z) = &out.zap {
        results.diagnostics.percent_zapped_total = 100.0 * z.fraction_zapped_total;
        results.diagnostics.percent_zapped_below_10hz = 100.0 * z.below_10hz;
        results.diagnostics.percent_zapped_below_1hz = 100.0 * z.below_1hz;
    }

    // Single pulses: groups, plots, the events archive.
    timer.run("single-pulse products", 1, progress, || {
        products::single_pulses(&out.events, &plan.dms, s, &sp_dir, &res, &name, &mut results)
    })?;

    // Sifting.
    let sifted = timer.run("sifting", 1, progress, || {
        sift_candidates(out.lo, out.hi, out.ffa, &plan.dms, &out.ffa_dms, s)
    })?;
    products::sifting(&sifted.result, &sifted.config, &res, &name, &mut results)?;

    // Folding from the (masked) raw data.
    let folds = timer.run("folding", h.nsamples, progress, || {
        fold_best(src.as_mut(), &sifted.result, s, progress)
    })?;
    let ratings = timer.run("rating", folds.len() as u64, progress, || rate_folds(&folds, s))?;
    timer.run("fold products", folds.len() as u64, progress, || {
        products::folds(&folds, &ratings, &sifted.result, &res, &name, &mut results)
    })?;
    crate::known::tag_search(&mut results, &s.known, &sifted.result)?;

    let params = format!("{}\n{s:#?}\n", plan.table);
    let params_name = format!("{name}_search_params.txt");
    std::fs::write(res.join(&params_name), params).map_err(|e| SearchError::io(res.join(&params_name), e))?;
    results.diagnostics.search_params = params_name;
    finish(results, &wd, job, &timer, t_start, (inputs, started_at))
}

fn finish(
    mut results: SearchResults,
    wd: &WorkDir,
    job: &SearchJob,
    timer: &StageTimer,
    (t_start, cpu_start): (Instant, Option<f64>),
    (inputs, started_at): (Vec<InputFile>, String),
) -> SearchResult<SearchResults> {
    timer.add_row(StageTiming {
        stage: "total".into(),
        seconds: t_start.elapsed().as_secs_f64(),
        cpu_seconds: resources::process_cpu_seconds().zip(cpu_start).map(|(b, a)| b - a),
        peak_rss_mib: resources::peak_rss_bytes().map(|b| b as f64 / (1u64 << 20) as f64),
    });
    results.timing = timer.timings();
    results.processed_at = products::now_rfc3339();
    results.provenance = Some(provenance::provenance(
        &job.searching,
        inputs,
        started_at,
        results.processed_at.clone(),
    ));
    wd.deliver(&mut results, &job.outdir)?;
    // After results.json: the report is not one of the products it records
    // (`palfa report` may rewrite it), and a directory without it is still
    // complete. A report that cannot be written costs the beam nothing.
    if let Err(e) = crate::report::write_report(&job.outdir, &results) {
        tracing::warn!("{}: no report.html: {e}", job.outdir.display());
    }
    Ok(results)
}
