//! The per-DM work of a whole-beam search: single pulses, the periodicity
//! search (Fourier and FFA) of every dedispersed series, in parallel over DMs.
//!
//! Each thread's high-acceleration search holds an f-ḟ plane in proportion
//! to the series' length ([`AccelSearcher::plane_bytes`]: 0.33 GB at 2^22
//! samples). Where one per thread would pass the plane budget
//! ([`DEFAULT_PLANE_BUDGET`]), the series are first searched in parallel
//! without it, then their high-acceleration searches run one at a time with
//! every thread inside the one plane (the spectrum made again for each), so
//! memory stays bounded as beams grow, for a little more CPU.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use palfa_core::config::Searching;
use palfa_core::formats::presto::{write_singlepulse, SinglePulseEvent, Zaplist};
use palfa_core::names::with_suffix;

use crate::accel::{AccelConfig, AccelSearcher, Normalised};
use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::SearchResult;
use crate::ffa::{FfaConfig, FfaSearcher};

use crate::rednoise::whiten;
use crate::series::{HalfSeries, TimeSeries};
use crate::sift::{dm_key, r_tolerance};
use crate::singlepulse::{SinglePulseConfig, SinglePulseSearcher};
use crate::spectrum::{Spectrum, SpectrumMaker};
use crate::zap::{apply_zaplist, is_zapped_subharmonic, zaplist_for, Birdie, ZapStats};
use palfa_core::formats::presto::InfFile;

/// CPU time spent per stage of the per-DM work \[ns, summed over threads\].
#[derive(Debug, Default)]
pub struct StageCpu {
    /// Single-pulse search.
    pub singlepulse: AtomicU64,
    /// FFT.
    pub fft: AtomicU64,
    /// Red-noise whitening and zapping.
    pub whiten_zap: AtomicU64,
    /// Low-acceleration search.
    pub accel_lo: AtomicU64,
    /// High-acceleration search.
    pub accel_hi: AtomicU64,
    /// FFA search.
    pub ffa: AtomicU64,
}

impl StageCpu {
    fn add(counter: &AtomicU64, t0: Instant) -> Instant {
        let now = Instant::now();
        counter.fetch_add((now - t0).as_nanos() as u64, Ordering::Relaxed);
        now
    }

    /// `(stage, core-seconds)` pairs.
    pub fn seconds(&self) -> Vec<(&'static str, f64)> {
        let s = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64 * 1e-9;
        vec![
            ("single-pulse search", s(&self.singlepulse)),
            ("FFT", s(&self.fft)),
            ("rednoise + zapping", s(&self.whiten_zap)),
            ("accel lo", s(&self.accel_lo)),
            ("accel hi", s(&self.accel_hi)),
            ("FFA", s(&self.ffa)),
        ]
    }
}

/// Everything the per-DM searches produced.
#[derive(Debug, Default)]
pub struct PerDmOutput {
    /// Low-pass candidates.
    pub lo: Vec<AccelCandidate>,
    /// High-pass candidates.
    pub hi: Vec<AccelCandidate>,
    /// FFA candidates (periodogram peaks).
    pub ffa: Vec<AccelCandidate>,
    /// The DMs the FFA searched (empty: every DM searched).
    pub ffa_dms: Vec<f64>,
    /// Single-pulse events, all DMs.
    pub events: Vec<SinglePulseEvent>,
    /// Zapping of the first full-resolution series (the diagnostic).
    pub zap: Option<ZapStats>,
}

/// A series the per-DM searches take: in `f32`, or in half precision
/// (widened while it is searched, one per thread at a time).
pub trait SearchSeries: Sync {
    /// Its metadata.
    fn info(&self) -> &InfFile;
    /// Number of samples.
    fn samples(&self) -> usize;
    /// The series in `f32`: itself, or widened into `buf`.
    fn as_f32<'a>(&'a self, buf: &'a mut Option<TimeSeries>) -> &'a TimeSeries;
}

impl SearchSeries for TimeSeries {
    fn info(&self) -> &InfFile {
        &self.info
    }

    fn samples(&self) -> usize {
        self.data.len()
    }

    fn as_f32<'a>(&'a self, _buf: &'a mut Option<TimeSeries>) -> &'a TimeSeries {
        self
    }
}

impl SearchSeries for HalfSeries {
    fn info(&self) -> &InfFile {
        &self.info
    }

    fn samples(&self) -> usize {
        self.len()
    }

    fn as_f32<'a>(&'a self, buf: &'a mut Option<TimeSeries>) -> &'a TimeSeries {
        let t = buf.get_or_insert_with(|| TimeSeries {
            info: self.info.clone(),
            data: Vec::new(),
        });
        self.widen_into(t);
        t
    }
}

/// What one series gives: its single-pulse events, lo, hi and FFA candidates, zapping.
type OneSeries = (
    Vec<SinglePulseEvent>,
    Vec<AccelCandidate>,
    Vec<AccelCandidate>,
    Vec<AccelCandidate>,
    ZapStats,
);

/// Most bytes of high-acceleration f-ḟ planes held at once by default: with
/// one plane per thread over it, the planes take turns ([`PerDmSearch`]).
pub const DEFAULT_PLANE_BUDGET: u64 = 1 << 30;

/// The acceleration searches of one series length.
struct Searchers {
    lo: AccelSearcher,
    hi: Option<AccelSearcher>,
    /// The high pass runs one series at a time, parallel inside.
    hi_shared: bool,
}

/// Searches series: built once per beam, used for every group of DMs.
pub struct PerDmSearch<'a> {
    searching: &'a Searching,
    zaplist: &'a Zaplist,
    birdies: &'a [Birdie],
    sp_dir: &'a Path,
    maker: SpectrumMaker,
    searchers: HashMap<usize, Arc<Searchers>>,
    plane_budget: u64,
    sp_cfg: SinglePulseConfig,
    ffa: Option<FfaSearcher>,
    /// DM keys (to 0.01 pc cm⁻³, as PRESTO names series) of the series the
    /// FFA searches; `None`: all.
    ffa_dms: Option<HashSet<i64>>,
    /// CPU time per stage.
    pub cpu: StageCpu,
}

impl<'a> PerDmSearch<'a> {
    /// Prepares the searches; `.singlepulse` files go into `sp_dir`. Each
    /// spectrum is zapped with `zaplist` (the static list) plus `birdies`, as
    /// wide as each line leaks at that spectrum's DM ([`zaplist_for`]).
    /// With `[searching.ffa]` enabled each series is also searched by the FFA.
    ///
    /// # Errors
    /// [`crate::SearchError::Params`] if the FFA settings cannot work.
    pub fn new(
        searching: &'a Searching,
        zaplist: &'a Zaplist,
        birdies: &'a [Birdie],
        sp_dir: &'a Path,
    ) -> SearchResult<Self> {
        let ffa = if searching.ffa.enabled {
            Some(FfaSearcher::new(FfaConfig::from(&searching.ffa))?)
        } else {
            None
        };
        Ok(Self {
            searching,
            zaplist,
            birdies,
            sp_dir,
            maker: SpectrumMaker::padded(),
            searchers: HashMap::new(),
            plane_budget: DEFAULT_PLANE_BUDGET,
            sp_cfg: SinglePulseConfig::from(&searching.singlepulse),
            ffa,
            ffa_dms: None,
            cpu: StageCpu::default(),
        })
    }

    /// Limits the FFA to the series at these DMs (say
    /// [`ffa_dm_trials`](crate::ffa::ffa_dm_trials) of
    /// the plan's); without it every series is searched.
    pub fn set_ffa_dms(&mut self, dms: &[f64]) {
        self.ffa_dms = Some(dms.iter().map(|&d| dm_key(d)).collect());
    }

    /// Sets the most bytes of high-acceleration planes held at once (default
    /// [`DEFAULT_PLANE_BUDGET`]). Where one plane per thread would pass it,
    /// each series' high-acceleration search runs alone with every thread
    /// inside its plane; the candidates are the same either way.
    pub fn set_plane_budget(&mut self, bytes: u64) {
        self.plane_budget = bytes;
        self.searchers.clear();
    }

    /// The searches of series of `n` samples of `dt` seconds (their spectra
    /// padded to a smooth length).
    fn searchers(&mut self, n: usize, dt: f64) -> SearchResult<Arc<Searchers>> {
        if let Some(s) = self.searchers.get(&n) {
            return Ok(s.clone());
        }
        let n_fft = self.maker.fft_len(n);
        let nbins = n_fft / 2 + 1;
        let t_obs = n_fft as f64 * dt;
        let lo = AccelSearcher::new(
            nbins,
            t_obs,
            &AccelConfig::new(&self.searching.lo_accel, AccelPass::Lo)?,
        )?;
        // As in the PALFA recipe, zero-DM-filtered data get no high-acceleration pass.
        let hi = if self.searching.use_zerodm {
            None
        } else {
            Some(AccelSearcher::new(
                nbins,
                t_obs,
                &AccelConfig::new(&self.searching.hi_accel, AccelPass::Hi)?,
            )?)
        };
        let threads = rayon::current_num_threads() as u64;
        let hi_shared = hi
            .as_ref()
            .is_some_and(|h| threads > 1 && h.plane_bytes() * threads > self.plane_budget);
        if hi_shared {
            tracing::info!(
                "series of {n} samples: one {:.0}-MiB high-acceleration plane at a time, searched by {threads} threads",
                hi.as_ref().map_or(0, |h| h.plane_bytes()) as f64 / (1u64 << 20) as f64
            );
        }
        let hi = hi.map(|h| h.with_parallel(hi_shared));
        let s = Arc::new(Searchers { lo, hi, hi_shared });
        self.searchers.insert(n, s.clone());
        Ok(s)
    }

    /// Frees the acceleration searches' plane buffers (kept from one series
    /// to the next so that they are not page-faulted again), so that the
    /// memory is free while the next group is dedispersed; and the spectra's.
    pub fn release_buffers(&self) {
        self.maker.release_buffers();
        for s in self.searchers.values() {
            s.lo.release_buffers();
            if let Some(hi) = &s.hi {
                hi.release_buffers();
            }
        }
    }

    /// Searches every series of a group, in parallel, adding to `out`.
    pub fn run<S: SearchSeries>(&mut self, series: &[S], out: &mut PerDmOutput) -> SearchResult<()> {
        let mut by_len: Vec<(usize, f64)> = series.iter().map(|s| (s.samples(), s.info().dt)).collect();
        by_len.dedup_by_key(|x| x.0);
        for (n, dt) in by_len {
            self.searchers(n, dt)?;
        }
        let this = &*self;
        let mut results: Vec<OneSeries> = series
            .par_iter()
            .map_init(
                || (SinglePulseSearcher::new(this.sp_cfg.clone()), None),
                |(sp, buf), s| this.one(sp, s.as_f32(buf)),
            )
            .collect::<SearchResult<_>>()?;
        // The high-acceleration searches that take turns with one plane.
        let mut buf = None;
        for (r, s) in results.iter_mut().zip(series) {
            if self.searchers[&s.samples()].hi_shared {
                r.2 = self.hi_alone(s.as_f32(&mut buf))?;
            }
        }
        for (ev, lo, hi, ffa, zap) in results {
            out.events.extend(ev);
            out.lo.extend(lo);
            out.hi.extend(hi);
            out.ffa.extend(ffa);
            out.zap.get_or_insert(zap);
        }
        Ok(())
    }

    /// The spectrum of `s`, whitened and zapped, and what zapping did.
    fn spectrum(&self, s: &TimeSeries) -> SearchResult<(Spectrum, Zaplist, ZapStats)> {
        let t0 = Instant::now();
        let mut spec = self.maker.make(s)?;
        let t1 = StageCpu::add(&self.cpu.fft, t0);
        whiten(&mut spec, &self.searching.rednoise);
        let zaplist = zaplist_for(self.zaplist, self.birdies, &spec, false);
        let zap = apply_zaplist(&mut spec, &zaplist, 0.0);
        StageCpu::add(&self.cpu.whiten_zap, t1);
        Ok((spec, zaplist, zap))
    }

    /// The high-acceleration search of `s` alone, every thread inside its
    /// plane (its CPU time counted as its wall time on every thread).
    fn hi_alone(&self, s: &TimeSeries) -> SearchResult<Vec<AccelCandidate>> {
        let Some(hi) = &self.searchers[&s.data.len()].hi else {
            return Ok(Vec::new());
        };
        let (spec, _, _) = self.spectrum(s)?;
        let t0 = Instant::now();
        let found = hi.search(&spec)?;
        self.maker.recycle(spec);
        let ns = t0.elapsed().as_nanos() as u64 * rayon::current_num_threads() as u64;
        self.cpu.accel_hi.fetch_add(ns, Ordering::Relaxed);
        Ok(found)
    }

    fn one(&self, sp: &mut SinglePulseSearcher, s: &TimeSeries) -> SearchResult<OneSeries> {
        let t0 = Instant::now();
        let events = sp.search(s)?;
        let base = self.sp_dir.join(&s.info.basename);
        write_singlepulse(with_suffix(&base, ".singlepulse"), &events)?;
        // The series' .inf beside it, as PALFA shipped them (`_inf.tgz`):
        // PRESTO's single_pulse_search.py plots .singlepulse files only with it.
        s.info.write(with_suffix(&base, ".inf"))?;
        StageCpu::add(&self.cpu.singlepulse, t0);
        let (spec, zaplist, zap) = self.spectrum(s)?;
        let t3 = Instant::now();
        let searchers = &self.searchers[&s.data.len()];
        // Both passes search the same block-median normalisation (counted
        // with the lo pass, which makes it).
        let norm = Normalised::new(&spec);
        let lo = searchers.lo.search_normalised(&spec, &norm)?;
        let t4 = StageCpu::add(&self.cpu.accel_lo, t3);
        let hi = match &searchers.hi {
            Some(h) if !searchers.hi_shared => h.search_normalised(&spec, &norm)?,
            _ => Vec::new(),
        };
        drop(norm);
        self.maker.recycle(spec);
        let t5 = StageCpu::add(&self.cpu.accel_hi, t4);
        let wanted = self.ffa_dms.as_ref().is_none_or(|k| k.contains(&dm_key(s.info.dm)));
        let ffa = match &self.ffa {
            Some(f) if wanted => {
                let cfg = f.config();
                // Periodic interference the Fourier search zaps also folds up
                // at its subharmonics: drop peaks there too.
                f.search_above(s, cfg.snr_threshold)?
                    .peaks(cfg.snr_threshold, cfg.max_peaks)
                    .iter()
                    .map(|p| p.to_candidate())
                    .filter(|c| {
                        let tol_hz = r_tolerance(c, self.searching.sifting.r_err) / c.t_obs_s;
                        !is_zapped_subharmonic(c.freq_hz(), tol_hz, &zaplist)
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        StageCpu::add(&self.cpu.ffa, t5);
        Ok((events, lo, hi, ffa, zap))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};

    /// 2^16 samples of 0.5 ms of unit noise with a 4.7-ms pulsar (duty 5 %,
    /// 0.9 σ per sample in the pulse) accelerated so that it drifts by
    /// `z` Fourier bins of its fundamental over the series.
    fn series(dm: f64, z: f64, seed: u64) -> TimeSeries {
        series_of(1 << 16, dm, z, seed)
    }

    /// As [`series`], `n` samples long.
    fn series_of(n: usize, dm: f64, z: f64, seed: u64) -> TimeSeries {
        let (dt, p) = (5e-4, 4.7e-3);
        let t_obs = n as f64 * dt;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        let noise = Normal::new(0.0f32, 1.0).unwrap_or_else(|_| unreachable!());
        let data = (0..n)
            .map(|i| {
                let t = i as f64 * dt;
                // Phase of a frequency that rises by z / T over the series.
                let phase = t / p + 0.5 * z * t * t / (t_obs * t_obs);
                noise.sample(&mut rng) + if phase.fract() < 0.05 { 0.9 } else { 0.0 }
            })
            .collect();
        TimeSeries {
            info: InfFile {
                basename: format!("t_DM{dm:.2}"),
                n: n as u64,
                dt,
                dm,
                ..InfFile::default()
            },
            data,
        }
    }

    /// The high-acceleration searches taking turns with one plane, every
    /// thread inside it, find exactly what one plane per thread finds.
    #[test]
    fn shared_planes_find_what_planes_per_thread_find() {
        let searching = Searching::default();
        let zaplist = Zaplist::default();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let group: Vec<TimeSeries> = [(10.0, 0.0), (20.0, 6.0), (30.0, -5.0), (40.0, 3.0)]
            .iter()
            .enumerate()
            .map(|(i, &(dm, z))| series(dm, z, i as u64))
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let run = |budget: Option<u64>| -> (PerDmOutput, bool) {
            pool.install(|| {
                let mut per_dm =
                    PerDmSearch::new(&searching, &zaplist, &[], dir.path()).unwrap_or_else(|e| panic!("{e}"));
                if let Some(b) = budget {
                    per_dm.set_plane_budget(b);
                }
                let mut out = PerDmOutput::default();
                per_dm.run(&group, &mut out).unwrap_or_else(|e| panic!("{e}"));
                let shared = per_dm.searchers[&(1 << 16)].hi_shared;
                (out, shared)
            })
        };
        let (apart, shared_a) = run(None);
        let (together, shared_t) = run(Some(0));
        assert!(!shared_a && shared_t);
        assert_eq!(apart.hi, together.hi);
        assert_eq!(apart.lo, together.lo);
        assert_eq!(apart.events, together.events);
        // The accelerated pulsar is among them, at its drift.
        assert!(
            together
                .hi
                .iter()
                .any(|c| c.dm == 20.0 && (c.z - 6.0).abs() < 2.0 && (c.r / (32.768 / 4.7e-3) - 1.0).abs() < 2e-3),
            "{:?}",
            together.hi.iter().filter(|c| c.dm == 20.0).take(5).collect::<Vec<_>>()
        );
    }

    /// A series of a prime number of samples is searched in a spectrum padded
    /// by 1.6 % (66 161 → 67 200 points): the accelerated pulsar comes out at
    /// its frequency and drift, at least as significant as in the spectrum of
    /// the series' own length.
    #[test]
    fn padded_spectra_find_an_accelerated_pulsar_where_it_is() {
        let (n, dt, p, z) = (66_161usize, 5e-4, 4.7e-3, 6.0);
        let ts = series_of(n, 20.0, z, 7);
        let searching = Searching::default();
        let zaplist = Zaplist::default();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut per_dm = PerDmSearch::new(&searching, &zaplist, &[], dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let mut out = PerDmOutput::default();
        per_dm
            .run(std::slice::from_ref(&ts), &mut out)
            .unwrap_or_else(|e| panic!("{e}"));
        // The same search of the unpadded spectrum.
        let mut spec = SpectrumMaker::new().make(&ts).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.n_samples, n);
        whiten(&mut spec, &searching.rednoise);
        let cfg = AccelConfig::new(&searching.hi_accel, AccelPass::Hi).unwrap_or_else(|e| panic!("{e}"));
        let exact = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg)
            .and_then(|s| s.search(&spec))
            .unwrap_or_else(|e| panic!("{e}"));
        // The pulsar's mean frequency and its drift [Hz/s].
        let t = n as f64 * dt;
        let (f_mean, fdot) = (1.0 / p + 0.5 * z / t, z / (t * t));
        let best = |cands: &[AccelCandidate]| -> AccelCandidate {
            cands
                .iter()
                .filter(|c| (c.freq_hz() - f_mean).abs() < 2.0 / t)
                .max_by(|a, b| a.sigma.total_cmp(&b.sigma))
                .cloned()
                .unwrap_or_else(|| panic!("pulsar not found"))
        };
        let (padded, unpadded) = (best(&out.hi), best(&exact));
        assert!((padded.t_obs_s - 67_200.0 * dt).abs() < 1e-9);
        assert!((unpadded.t_obs_s - t).abs() < 1e-9);
        for c in [&padded, &unpadded] {
            // Within a Fourier bin of the mean frequency, two bins of drift.
            assert!((c.freq_hz() - f_mean).abs() < 1.0 / t, "{c:?}");
            let c_fdot = c.z / (c.t_obs_s * c.t_obs_s);
            assert!((c_fdot - fdot).abs() < 2.0 / (t * t), "{c:?}");
        }
        assert!(padded.sigma > 0.95 * unpadded.sigma, "{padded:?} vs {unpadded:?}");
    }
}
