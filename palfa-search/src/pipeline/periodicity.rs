//! The per-DM work of a whole-beam search: single pulses and the periodicity
//! search of every dedispersed series, in parallel over DMs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use palfa_core::config::Searching;
use palfa_core::formats::presto::{write_singlepulse, SinglePulseEvent, Zaplist};
use palfa_core::names::with_suffix;

use crate::accel::{AccelConfig, AccelSearcher};
use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::SearchResult;
use crate::rednoise::whiten;
use crate::series::TimeSeries;
use crate::singlepulse::{SinglePulseConfig, SinglePulseSearcher};
use crate::spectrum::SpectrumMaker;
use crate::zap::{apply_zaplist, zaplist_for, Birdie, ZapStats};

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
    /// Single-pulse events, all DMs.
    pub events: Vec<SinglePulseEvent>,
    /// Zapping of the first full-resolution series (the diagnostic).
    pub zap: Option<ZapStats>,
}

/// What one series gives: its single-pulse events, lo and hi candidates, zapping.
type OneSeries = (
    Vec<SinglePulseEvent>,
    Vec<AccelCandidate>,
    Vec<AccelCandidate>,
    ZapStats,
);

/// Searches series: built once per beam, used for every group of DMs.
pub struct PerDmSearch<'a> {
    searching: &'a Searching,
    zaplist: &'a Zaplist,
    birdies: &'a [Birdie],
    sp_dir: &'a Path,
    maker: SpectrumMaker,
    searchers: HashMap<usize, Arc<(AccelSearcher, Option<AccelSearcher>)>>,
    sp_cfg: SinglePulseConfig,
    /// CPU time per stage.
    pub cpu: StageCpu,
}

impl<'a> PerDmSearch<'a> {
    /// Prepares the searches; `.singlepulse` files go into `sp_dir`. Each
    /// spectrum is zapped with `zaplist` (the static list) plus `birdies`, as
    /// wide as each line leaks at that spectrum's DM ([`zaplist_for`]).
    pub fn new(searching: &'a Searching, zaplist: &'a Zaplist, birdies: &'a [Birdie], sp_dir: &'a Path) -> Self {
        Self {
            searching,
            zaplist,
            birdies,
            sp_dir,
            maker: SpectrumMaker::new(),
            searchers: HashMap::new(),
            sp_cfg: SinglePulseConfig::from(&searching.singlepulse),
            cpu: StageCpu::default(),
        }
    }

    fn searchers(&mut self, n: usize, t_obs: f64) -> SearchResult<Arc<(AccelSearcher, Option<AccelSearcher>)>> {
        if let Some(s) = self.searchers.get(&n) {
            return Ok(s.clone());
        }
        let nbins = n / 2 + 1;
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
        let s = Arc::new((lo, hi));
        self.searchers.insert(n, s.clone());
        Ok(s)
    }

    /// Searches every series of a group, in parallel, adding to `out`.
    pub fn run(&mut self, series: &[TimeSeries], out: &mut PerDmOutput) -> SearchResult<()> {
        let mut by_len: Vec<(usize, f64)> = series.iter().map(|s| (s.data.len(), s.duration_s())).collect();
        by_len.dedup_by_key(|x| x.0);
        for (n, t) in by_len {
            self.searchers(n, t)?;
        }
        let this = &*self;
        let results: Vec<OneSeries> = series
            .par_iter()
            .map_init(
                || SinglePulseSearcher::new(this.sp_cfg.clone()),
                |sp, s| this.one(sp, s),
            )
            .collect::<SearchResult<_>>()?;
        for (ev, lo, hi, zap) in results {
            out.events.extend(ev);
            out.lo.extend(lo);
            out.hi.extend(hi);
            out.zap.get_or_insert(zap);
        }
        Ok(())
    }

    fn one(&self, sp: &mut SinglePulseSearcher, s: &TimeSeries) -> SearchResult<OneSeries> {
        let t0 = Instant::now();
        let events = sp.search(s)?;
        let base = self.sp_dir.join(&s.info.basename);
        write_singlepulse(with_suffix(&base, ".singlepulse"), &events)?;
        // The series' .inf beside it, as PALFA shipped them (`_inf.tgz`):
        // PRESTO's single_pulse_search.py plots .singlepulse files only with it.
        s.info.write(with_suffix(&base, ".inf"))?;
        let t1 = StageCpu::add(&self.cpu.singlepulse, t0);
        let mut spec = self.maker.make(s)?;
        let t2 = StageCpu::add(&self.cpu.fft, t1);
        whiten(&mut spec, &self.searching.rednoise);
        let zaplist = zaplist_for(self.zaplist, self.birdies, &spec, false);
        let zap = apply_zaplist(&mut spec, &zaplist, 0.0);
        let t3 = StageCpu::add(&self.cpu.whiten_zap, t2);
        let searchers = &self.searchers[&s.data.len()];
        let lo = searchers.0.search(&spec)?;
        let t4 = StageCpu::add(&self.cpu.accel_lo, t3);
        let hi = match &searchers.1 {
            Some(h) => h.search(&spec)?,
            None => Vec::new(),
        };
        StageCpu::add(&self.cpu.accel_hi, t4);
        Ok((events, lo, hi, zap))
    }
}
