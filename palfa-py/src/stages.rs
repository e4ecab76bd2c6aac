//! The search stages one at a time, on numpy arrays or files: `rfifind`,
//! `dedisperse`, `fft`, `accelsearch`, `singlepulse` and `fold`.
//!
//! Each calls the palfa-search function that `palfa <stage>` calls, with the
//! `[searching]` settings of `config` (or the built-in defaults) and the
//! keyword arguments given over them, on a worker thread without the GIL
//! (Ctrl-C interrupts the wait; the stage then finishes in the background).

use std::path::PathBuf;

use numpy::{Complex32, PyArray1, PyArrayMethods, PyReadonlyArray1};
use palfa_core::config::AccelParams;
use palfa_core::formats::presto::zaplist::Zaplist;
use palfa_core::formats::presto::{InfFile, RfiMask};
use palfa_core::SpectraSource;
use palfa_search::accel::{AccelConfig, AccelSearcher};
use palfa_search::ddplan::DmPass;
use palfa_search::dedisp::{dedisperse_brute, dedisperse_passes, ChannelScaling, DedispConfig};
use palfa_search::fold::{fold_candidates, plot_fold, write_bestprof, write_pfd, FoldConfig, FoldParams, FoldRequest};
use palfa_search::rate::{rate_fold, rate_pfd, RateConfig, RATERS};
use palfa_search::rfi::{find_rfi, plot_rfi, read_clipped_spectra, MaskedSource};
use palfa_search::singlepulse::SinglePulseConfig;
use palfa_search::spectrum::SpectrumMaker;
use palfa_search::zap::apply_zaplist;
use palfa_search::{rednoise, AccelPass, SearchResult, TimeSeries};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::beam::{source_from, ArrayBand};
use crate::{config, errors, run};

/// A 2-D numpy array of `rows × cols` values.
fn array2<'py, T: numpy::Element>(py: Python<'py>, v: Vec<T>, rows: usize, cols: usize) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, v).reshape([rows, cols])?.into_any())
}

/// A time series from Python: a PRESTO `.dat` (with its `.inf`; its own `dt`
/// and DM are used) or a 1-D array with `dt_s` (and `dm`).
pub(crate) fn series_from(data: &Bound<'_, PyAny>, dt_s: Option<f64>, dm: Option<f64>) -> PyResult<TimeSeries> {
    if let Ok(path) = data.extract::<PathBuf>() {
        let mut ts = TimeSeries::read(&path).map_err(errors::search)?;
        if let Some(d) = dm {
            ts.info.dm = d;
        }
        return Ok(ts);
    }
    let np = data.py().import("numpy")?;
    let kw = PyDict::new(data.py());
    kw.set_item("dtype", "float32")?;
    let arr = np.call_method("ascontiguousarray", (data,), Some(&kw))?;
    let arr: PyReadonlyArray1<'_, f32> = arr.extract().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("a time series is a path to a PRESTO .dat or a 1-D array")
    })?;
    let dt = dt_s.filter(|d| d.is_finite() && *d > 0.0).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err("an array time series needs dt_s= (its positive sample time in s)")
    })?;
    let values = arr.as_slice()?.to_vec();
    let info = InfFile {
        basename: "series".into(),
        n: values.len() as u64,
        dt,
        dm: dm.unwrap_or(0.0),
        ..InfFile::default()
    };
    Ok(TimeSeries { info, data: values })
}

/// Finds RFI in a beam as `palfa rfifind` does (PRESTO's rfifind).
///
/// `beam` is a path, a Mock pair, a `palfa.Beam`, or a 2-D array
/// `(nsamples, nchans)` with `tsamp_s`, `fch1_mhz` and `foff_mhz`. Returns a
/// dict: `masked_fraction`, `clipped_fraction`, `masked_or_clipped_fraction`,
/// `clip_level_sigma`, `ptsperint`, `interval_s`, `numint`, `nchans`,
/// `nsamples`; the mask as `zap_chans`, `zap_ints` and `chans_per_int`;
/// `clipped_spectra` (`[start, end)` stretches of impulsive RFI); per-channel
/// summaries `channels`; the cell statistics `mean`, `std`, `max_power` and
/// the byte mask `flags` as arrays `(numint, nchans)`; and with `outdir`, the
/// PRESTO files written (`files`). Channel numbers count from the lowest
/// frequency (PRESTO's convention), whatever the file's order.
#[pyfunction]
#[pyo3(signature = (beam, outdir = None, basename = None, *, config = None, tsamp_s = None, fch1_mhz = None,
    foff_mhz = None, chunk_time_s = None, timesig = None, freqsig = None, chanfrac = None, intfrac = None,
    clip_sigma = None, zap_chans = None, zap_ints = None, plot = false))]
#[allow(clippy::too_many_arguments)]
pub fn rfifind<'py>(
    py: Python<'py>,
    beam: &Bound<'py, PyAny>,
    outdir: Option<PathBuf>,
    basename: Option<String>,
    config: Option<PathBuf>,
    tsamp_s: Option<f64>,
    fch1_mhz: Option<f64>,
    foff_mhz: Option<f64>,
    chunk_time_s: Option<f64>,
    timesig: Option<f64>,
    freqsig: Option<f64>,
    chanfrac: Option<f64>,
    intfrac: Option<f64>,
    clip_sigma: Option<f64>,
    zap_chans: Option<Vec<usize>>,
    zap_ints: Option<Vec<usize>>,
    plot: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let mut src = source_from(
        beam,
        ArrayBand {
            tsamp_s,
            fch1_mhz,
            foff_mhz,
        },
    )?;
    let mut p = config::searching(config)?.rfi;
    macro_rules! set {
        ($($field:ident = $v:expr),*) => {$(if let Some(v) = $v { p.$field = v; })*};
    }
    set!(
        chunk_time_s = chunk_time_s,
        timesig = timesig,
        freqsig = freqsig,
        chanfrac = chanfrac,
        intfrac = intfrac,
        clip_sigma = clip_sigma,
        zap_chans = zap_chans,
        zap_ints = zap_ints
    );
    p.zap_chans.sort_unstable();
    p.zap_chans.dedup();
    p.zap_ints.sort_unstable();
    p.zap_ints.dedup();
    let nchans = src.header().nchans;
    if let Some(&c) = p.zap_chans.iter().find(|&&c| c >= nchans) {
        return Err(errors::ConfigError::new_err(format!(
            "zap_chans: channel {c} is beyond the last channel ({})",
            nchans - 1
        )));
    }
    let base = basename.unwrap_or_else(|| src.header().basename());
    let (result, files) = run::interruptible(py, move || -> SearchResult<_> {
        let r = find_rfi(src.as_mut(), &p, &|_, _| {})?;
        let files = match &outdir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| palfa_search::SearchError::Io {
                    path: dir.clone(),
                    source: e,
                })?;
                let f = r.write_files(dir, &base)?;
                let png = plot.then(|| dir.join(format!("{base}_rfifind.png")));
                if let Some(png) = &png {
                    plot_rfi(&r, png)?;
                }
                Some((f, png))
            }
            None => None,
        };
        Ok((r, files))
    })?
    .map_err(errors::search)?;
    let d = PyDict::new(py);
    let (numint, nchan) = (result.stats.numint, result.stats.nchan);
    d.set_item("masked_fraction", result.masked_fraction)?;
    d.set_item("clipped_fraction", result.clipped_fraction)?;
    d.set_item("masked_or_clipped_fraction", result.masked_or_clipped_fraction)?;
    d.set_item("clip_level_sigma", result.clip_level_sigma)?;
    d.set_item("ptsperint", result.ptsperint)?;
    d.set_item("interval_s", result.ptsperint as f64 * result.header.tsamp_s)?;
    d.set_item("numint", numint)?;
    d.set_item("nchans", nchan)?;
    d.set_item("nsamples", result.nsamples)?;
    d.set_item("zap_chans", result.mask.zap_chans.clone())?;
    d.set_item("zap_ints", result.mask.zap_ints.clone())?;
    d.set_item("chans_per_int", result.mask.chans_per_int.clone())?;
    d.set_item("clipped_spectra", result.clipped_spectra.clone())?;
    d.set_item("channels", errors::to_py(py, &result.channels)?)?;
    d.set_item("mean", array2(py, result.stats.mean, numint, nchan)?)?;
    d.set_item("std", array2(py, result.stats.std, numint, nchan)?)?;
    d.set_item("max_power", array2(py, result.stats.max_power, numint, nchan)?)?;
    d.set_item("flags", array2(py, result.flags, numint, nchan)?)?;
    if let Some((f, png)) = files {
        let fd = PyDict::new(py);
        fd.set_item("mask", f.mask)?;
        fd.set_item("stats", f.stats)?;
        fd.set_item("bytemask", f.bytemask)?;
        fd.set_item("inf", f.inf)?;
        fd.set_item("stats_json", f.json)?;
        if let Some(png) = png {
            fd.set_item("png", png)?;
        }
        d.set_item("files", fd)?;
    }
    Ok(d.into_any())
}

/// Dedisperses a beam at the trial DMs `dms` \[pc cm⁻³\] and returns a float32
/// array `(len(dms), nsamples // downsamp)`, one series per DM, each
/// referenced to the highest channel and normalised (channels to zero mean
/// and unit variance first), as `palfa dedisperse` writes them.
///
/// `beam` as for `rfifind`. Without `nsub`, every channel is shifted to each
/// DM (brute force); with `nsub`, two-stage subband dedispersion (PRESTO's
/// prepsubband) through `nsub` subbands formed at the middle of the DMs.
/// `mask`: an rfifind `.mask` file to apply (with the clipped spectra of its
/// `.stats.json` when beside it). `zerodm`: subtract each spectrum's mean.
#[pyfunction]
#[pyo3(signature = (beam, dms, *, nsub = None, downsamp = 1, zerodm = false, mask = None, tsamp_s = None,
    fch1_mhz = None, foff_mhz = None))]
#[allow(clippy::too_many_arguments)]
pub fn dedisperse<'py>(
    py: Python<'py>,
    beam: &Bound<'py, PyAny>,
    dms: Vec<f64>,
    nsub: Option<usize>,
    downsamp: usize,
    zerodm: bool,
    mask: Option<PathBuf>,
    tsamp_s: Option<f64>,
    fch1_mhz: Option<f64>,
    foff_mhz: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    if dms.is_empty() {
        return Err(pyo3::exceptions::PyValueError::new_err("no trial DM given"));
    }
    if downsamp == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err("downsamp must be at least 1"));
    }
    let mut src = source_from(
        beam,
        ArrayBand {
            tsamp_s,
            fch1_mhz,
            foff_mhz,
        },
    )?;
    if let Some(m) = &mask {
        let rfimask = RfiMask::read(m).map_err(errors::format)?;
        let mut masked = MaskedSource::from_mask(src, rfimask).map_err(errors::search)?;
        let stats = m.with_extension("stats.json");
        if stats.is_file() {
            masked = masked.with_clipped_spectra(read_clipped_spectra(&stats).map_err(errors::search)?);
        }
        src = Box::new(masked);
    }
    let ndms = dms.len();
    let series = run::interruptible(py, move || -> SearchResult<Vec<TimeSeries>> {
        let scaling = ChannelScaling::measure(src.as_mut())?;
        let cfg = DedispConfig {
            zerodm,
            ..DedispConfig::default()
        };
        match nsub {
            None => dedisperse_brute(src.as_mut(), &dms, downsamp, &scaling, &cfg, &|_, _| {}),
            Some(nsub) => {
                let pass = DmPass {
                    step: 0,
                    pass: 0,
                    subdm: 0.5 * (dms[0] + dms[dms.len() - 1]),
                    dms,
                    nsub,
                    downsamp,
                };
                let out = dedisperse_passes(src.as_mut(), &[pass], &scaling, &cfg, &|_, _| {})?;
                Ok(out.into_iter().flatten().collect())
            }
        }
    })?
    .map_err(errors::search)?;
    let n = series.first().map_or(0, |s| s.data.len());
    let mut all = Vec::with_capacity(ndms * n);
    for s in series {
        all.extend_from_slice(&s.data);
    }
    array2(py, all, ndms, n)
}

/// The Fourier transform of a time series (sample mean removed), as the
/// search makes it: a dict with `freqs_hz`, `powers` (float32 |X|²), `amps`
/// (complex64), `t_obs_s`, `n_samples`, `dt_s`, `dm` and `mean`.
///
/// `series` is a PRESTO `.dat` path or a 1-D array with `dt_s`. `rednoise`:
/// whiten the spectrum first (PRESTO's rednoise, `[searching]` settings).
#[pyfunction]
#[pyo3(signature = (series, dt_s = None, *, dm = None, rednoise = false, config = None))]
pub fn fft<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyAny>,
    dt_s: Option<f64>,
    dm: Option<f64>,
    rednoise: bool,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let ts = series_from(series, dt_s, dm)?;
    let red = config::searching(config)?.rednoise;
    let spec = run::interruptible(py, move || -> SearchResult<_> {
        let mut spec = SpectrumMaker::new().make(&ts)?;
        if rednoise {
            rednoise::whiten(&mut spec, &red);
        }
        Ok(spec)
    })?
    .map_err(errors::search)?;
    let d = PyDict::new(py);
    let freqs: Vec<f64> = (0..spec.num_bins()).map(|k| spec.freq_hz(k as f64)).collect();
    d.set_item("freqs_hz", PyArray1::from_vec(py, freqs))?;
    d.set_item("powers", PyArray1::from_vec(py, spec.powers()))?;
    let amps: Vec<Complex32> = spec.amps.iter().map(|a| Complex32::new(a.re, a.im)).collect();
    d.set_item("amps", PyArray1::from_vec(py, amps))?;
    d.set_item("t_obs_s", spec.t_obs_s)?;
    d.set_item("n_samples", spec.n_samples)?;
    d.set_item("dt_s", spec.dt)?;
    d.set_item("dm", spec.dm)?;
    d.set_item("mean", spec.mean)?;
    Ok(d.into_any())
}

/// Fourier-domain acceleration search of one time series with harmonic
/// summing, as `palfa accelsearch` does (FFT, red-noise whitening, optional
/// zaplist, search). Returns the candidates, most significant first, as
/// dicts: `freq_hz`, `period_s`, `fdot_hz_s`, `pdot`, `sigma`, `power`,
/// `coherent_power`, `numharm`, `harm_powers`, `r`, `z` (Fourier bins),
/// `dm`, `t_obs_s`, `pass`.
///
/// `series` as for `fft`. Unset settings come from `[searching]`'s low pass
/// (`zmax` 0) or high pass (`zmax` > 0) of `config` or the defaults.
/// `zaplist`: a `.zaplist` (or `.birds`) file of birdies to zap, at the
/// barycentric velocity `baryv` (v/c).
#[pyfunction]
#[pyo3(signature = (series, dt_s = None, *, dm = None, zmax = 0, numharm = None, sigma = None, flo_hz = None,
    fhi_hz = None, rednoise = true, zaplist = None, baryv = 0.0, config = None))]
#[allow(clippy::too_many_arguments)]
pub fn accelsearch<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyAny>,
    dt_s: Option<f64>,
    dm: Option<f64>,
    zmax: u32,
    numharm: Option<usize>,
    sigma: Option<f64>,
    flo_hz: Option<f64>,
    fhi_hz: Option<f64>,
    rednoise: bool,
    zaplist: Option<PathBuf>,
    baryv: f64,
    config: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let ts = series_from(series, dt_s, dm)?;
    let s = config::searching(config)?;
    let pass = if zmax > 0 { AccelPass::Hi } else { AccelPass::Lo };
    let base = match pass {
        AccelPass::Lo => s.lo_accel.clone(),
        AccelPass::Hi | AccelPass::Ffa => s.hi_accel.clone(),
    };
    let params = AccelParams {
        numharm: numharm.unwrap_or(base.numharm),
        sigma: sigma.unwrap_or(base.sigma),
        zmax,
        flo_hz: flo_hz.unwrap_or(base.flo_hz),
        fhi_hz: fhi_hz.unwrap_or(base.fhi_hz),
    };
    let acfg = AccelConfig::new(&params, pass).map_err(errors::search)?;
    let list = match &zaplist {
        Some(p) => Some(Zaplist::read(p).map_err(errors::format)?),
        None => None,
    };
    let red = s.rednoise;
    let cands = run::interruptible(py, move || -> SearchResult<_> {
        let mut spec = SpectrumMaker::new().make(&ts)?;
        if rednoise {
            rednoise::whiten(&mut spec, &red);
        }
        if let Some(list) = &list {
            apply_zaplist(&mut spec, list, baryv);
        }
        let searcher = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &acfg)?;
        searcher.search(&spec)
    })?
    .map_err(errors::search)?;
    let out = PyList::empty(py);
    for c in &cands {
        let d = errors::to_py(py, c)?;
        let dict = d.downcast::<PyDict>()?;
        dict.set_item("freq_hz", c.freq_hz())?;
        dict.set_item("period_s", c.period_s())?;
        dict.set_item("fdot_hz_s", c.fdot_hz_s())?;
        dict.set_item("pdot", c.pdot())?;
        out.append(d)?;
    }
    Ok(out.into_any())
}

/// Single-pulse search of one time series (PRESTO's single_pulse_search):
/// the events above `threshold` \[σ\] after boxcar filtering up to
/// `maxwidth_s`, as dicts `dm`, `sigma`, `time_s`, `sample`, `downfact`
/// (boxcar width in samples), in time order; or, with `as_array`, a numpy
/// record array with those fields.
///
/// `series` as for `fft`; unset settings from `[searching]` of `config`.
#[pyfunction]
#[pyo3(signature = (series, dt_s = None, *, dm = None, threshold = None, maxwidth_s = None, config = None,
    as_array = false))]
#[allow(clippy::too_many_arguments)]
pub fn singlepulse<'py>(
    py: Python<'py>,
    series: &Bound<'py, PyAny>,
    dt_s: Option<f64>,
    dm: Option<f64>,
    threshold: Option<f64>,
    maxwidth_s: Option<f64>,
    config: Option<PathBuf>,
    as_array: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let ts = series_from(series, dt_s, dm)?;
    let mut cfg = SinglePulseConfig::from(&config::searching(config)?.singlepulse);
    if let Some(t) = threshold {
        cfg.threshold = t;
    }
    if let Some(w) = maxwidth_s {
        cfg.maxwidth_s = w;
    }
    cfg.check(ts.info.dt).map_err(errors::search)?;
    let events =
        run::interruptible(py, move || palfa_search::singlepulse::search(&ts, &cfg))?.map_err(errors::search)?;
    let list = errors::to_py(py, &events)?;
    if !as_array {
        return Ok(list);
    }
    crate::records(
        py,
        &list,
        &[
            ("dm", "f8"),
            ("sigma", "f8"),
            ("time_s", "f8"),
            ("sample", "u8"),
            ("downfact", "u4"),
        ],
    )
}

/// Folds a beam at `period_s` \[s\] (period derivative `pdot`) and `dm` as
/// prepfold does, searching around them over period, period derivative and
/// DM (PALFA's grid for the period; `search=False` folds at the values
/// given). Returns a dict: the best `period_s`, `pdot`, `dm`, `redchi2`,
/// `prepfold_sigma` (PALFA's significance), `sigma_dof_corrected`
/// (prepfold's), `period_err_s`, `pdot_err`, `epoch_mjd`, `nbins`, `npart`,
/// `nsub`, `impulsive`, `ratings` (a dict, as [`rate`] gives), `profile` (array `nbins`), `time_phase` (array
/// `(npart, nbins)`), and with `outbase` the files written (`pfd`,
/// `bestprof`, and `png` when `plot`).
///
/// `beam` as for `rfifind`; `nsub` defaults to `[searching]`'s.
#[pyfunction]
#[pyo3(signature = (beam, period_s, dm, *, pdot = 0.0, nsub = None, nbins = None, npart = None, search = true,
    outbase = None, plot = false, config = None, tsamp_s = None, fch1_mhz = None, foff_mhz = None))]
#[allow(clippy::too_many_arguments)]
pub fn fold<'py>(
    py: Python<'py>,
    beam: &Bound<'py, PyAny>,
    period_s: f64,
    dm: f64,
    pdot: f64,
    nsub: Option<usize>,
    nbins: Option<usize>,
    npart: Option<usize>,
    search: bool,
    outbase: Option<PathBuf>,
    plot: bool,
    config: Option<PathBuf>,
    tsamp_s: Option<f64>,
    fch1_mhz: Option<f64>,
    foff_mhz: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut src = source_from(
        beam,
        ArrayBand {
            tsamp_s,
            fch1_mhz,
            foff_mhz,
        },
    )?;
    let searching = config::searching(config)?;
    let mains = searching.mains_hz;
    let mut fcfg = FoldConfig::from_searching(&searching);
    fcfg.min_sigma = f64::NEG_INFINITY;
    fcfg.max_cands = 1;
    if let Some(n) = nsub {
        fcfg.nsub = n;
    }
    let mut fp = FoldParams::palfa_for_period(period_s);
    if let Some(n) = nbins {
        fp.nbins = n;
    }
    if let Some(n) = npart {
        fp.npart = n;
    }
    if !search {
        fp.search_p = false;
        fp.search_pdot = false;
        fp.search_dm = false;
    }
    let label = outbase
        .as_ref()
        .and_then(|b| b.file_name())
        .map_or_else(|| "Cand_1".to_string(), |n| n.to_string_lossy().into_owned());
    let mut req = FoldRequest::new(label, period_s, pdot, dm, 0.0);
    req.params = Some(fp);
    let used_nsub = palfa_search::fold::usable_nsub(src.header().nchans, fcfg.nsub);
    let (f, files) = run::interruptible(py, move || -> SearchResult<_> {
        let mut folds = fold_candidates(src.as_mut(), &[req], &fcfg, &|_, _| {})?;
        let f = folds
            .pop()
            .ok_or_else(|| palfa_search::SearchError::Params("nothing was folded".into()))?;
        let mut files = Vec::new();
        if let Some(b) = &outbase {
            let name = |ext: &str| {
                let mut s = b.as_os_str().to_owned();
                s.push(ext);
                PathBuf::from(s)
            };
            write_pfd(&f, name(".pfd"))?;
            files.push(("pfd", name(".pfd")));
            write_bestprof(&f, name(".pfd.bestprof"))?;
            files.push(("bestprof", name(".pfd.bestprof")));
            if plot {
                plot_fold(&f, name(".pfd.png"))?;
                files.push(("png", name(".pfd.png")));
            }
        }
        Ok((f, files))
    })?
    .map_err(errors::search)?;
    let d = PyDict::new(py);
    let s = &f.summary;
    d.set_item("period_s", f.period_s())?;
    d.set_item("pdot", f.pdot())?;
    d.set_item("dm", f.dm())?;
    d.set_item("redchi2", f.redchi2())?;
    d.set_item("prepfold_sigma", f.sigma())?;
    d.set_item("sigma_dof_corrected", f.sigma_dof_corrected())?;
    d.set_item("period_err_s", s.period_err_s)?;
    d.set_item("pdot_err", s.pdot_err)?;
    d.set_item("epoch_mjd", f.epoch_mjd())?;
    d.set_item("nbins", f.params.nbins)?;
    d.set_item("npart", f.params.npart)?;
    d.set_item("nsub", used_nsub)?;
    d.set_item("impulsive", f.impulsive)?;
    let ratings = PyDict::new(py);
    for r in rate_fold(&f, &RateConfig::new(mains)) {
        ratings.set_item(r.name, r.value)?;
    }
    d.set_item("ratings", ratings)?;
    d.set_item("profile", PyArray1::from_vec(py, s.profile.clone()))?;
    let nb = s.profile.len();
    let rows = s.time_phase.len() / nb.max(1);
    d.set_item("time_phase", array2(py, s.time_phase.clone(), rows, nb)?)?;
    if !files.is_empty() {
        let fd = PyDict::new(py);
        for (k, p) in files {
            fd.set_item(k, p)?;
        }
        d.set_item("files", fd)?;
    }
    Ok(d.into_any())
}

/// The ratings of a fold file (`.pfd`, palfa's or PRESTO's): a dict of
/// rater name to value (`None` where the fold does not allow it), as
/// `palfa rate` prints them; `mains_hz` is the mains frequency at the
/// telescope. `docs/ratings.md` gives every rater's formula and version
/// (`palfa.raters()` lists them).
#[pyfunction]
#[pyo3(signature = (path, *, mains_hz = 60.0))]
pub fn rate<'py>(py: Python<'py>, path: PathBuf, mains_hz: f64) -> PyResult<Bound<'py, PyAny>> {
    if !(mains_hz.is_finite() && mains_hz > 0.0) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "mains_hz must be a positive frequency, not {mains_hz}"
        )));
    }
    let pfd = palfa_core::formats::presto::Pfd::read(&path).map_err(errors::format)?;
    let cfg = RateConfig::new(mains_hz);
    let ratings = py.allow_threads(|| rate_pfd(&pfd, &cfg));
    let d = PyDict::new(py);
    for r in ratings {
        d.set_item(r.name, r.value)?;
    }
    Ok(d.into_any())
}

/// Every rater: a list of dicts with `name`, `version` and `meaning`.
#[pyfunction]
pub fn raters(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let l = PyList::empty(py);
    for r in RATERS {
        let d = PyDict::new(py);
        d.set_item("name", r.name)?;
        d.set_item("version", r.version)?;
        d.set_item("meaning", r.meaning)?;
        l.append(d)?;
    }
    Ok(l)
}
