//! Fourier-domain acceleration search: PRESTO's `accelsearch` equivalent.
//!
//! For one spectrum ([`crate::spectrum::Spectrum`], whitened by
//! [`crate::rednoise::whiten`] and zapped by [`crate::zap::apply_zaplist`]),
//! [`AccelSearcher::search`]:
//!
//! 1. normalises the amplitudes by the median power of blocks of
//!    [`NORM_BLOCK`] bins (PRESTO's default block-median normalisation; a
//!    whitened spectrum is left almost unchanged);
//! 2. computes the f-ḟ power plane at half-bin steps in r and steps of 2 in z,
//!    −zmax…zmax, by correlation with the constant-ḟ response kernels
//!    ([`response`]) in overlap-save FFT blocks;
//! 3. sums 1, 2, 4, … `numharm` harmonics ([`harmsum`](self)) and keeps
//!    cells above each stage's power threshold `power_for_sigma(sigma, H,
//!    numindep(H))`;
//! 4. keeps the most significant candidate per 15-bin neighbourhood, removes
//!    harmonically related ones (PRESTO's `eliminate_harmonics`), and
//! 5. refines each by maximising the interpolated power of all its harmonics
//!    jointly over (r, z) (PRESTO's `-harmpolish`).
//!
//! An [`AccelSearcher`] is built once per series length and pass and reused
//! for every DM trial (it is `Sync`); `search` is single-threaded unless
//! [`AccelConfig::parallel`] is set, because the pipeline already runs DM
//! trials in parallel.
//!
//! Conventions (as PRESTO): `r` is the **average** Fourier frequency over the
//! observation and `z = ḟ·T²` the drift in bins, so the frequency at the start
//! is `(r − z/2)/T`. A candidate's `sigma` and `power` are the search-grid
//! values with the trials of its stage; `harm_powers` are the refined powers.
//!
//! ```
//! use palfa_core::config::{AccelParams, RedNoiseParams};
//! use palfa_core::formats::presto::InfFile;
//! use palfa_search::accel::{AccelConfig, AccelSearcher};
//! use palfa_search::{rednoise, spectrum::SpectrumMaker, AccelPass, TimeSeries};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A 12.5 Hz pulse train in 2^16 samples of 1 ms, in uniform noise from an LCG.
//! let n = 1 << 16;
//! let mut state = 1u64;
//! let data: Vec<f32> = (0..n)
//!     .map(|i| {
//!         state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
//!         let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
//!         let phase = (i as f64 * 1e-3 * 12.5).fract();
//!         noise + if phase < 0.05 { 0.5 } else { 0.0 }
//!     })
//!     .collect();
//! let ts = TimeSeries { info: InfFile { n: n as u64, dt: 1e-3, ..InfFile::default() }, data };
//! let mut spec = SpectrumMaker::new().make(&ts)?;
//! rednoise::whiten(&mut spec, &RedNoiseParams { startwidth: 6, endwidth: 100, endfreq_hz: 6.0 });
//! let params = AccelParams { numharm: 8, sigma: 5.0, zmax: 0, flo_hz: 1.0, fhi_hz: 400.0 };
//! let cfg = AccelConfig::new(&params, AccelPass::Lo)?;
//! let searcher = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg)?;
//! let cands = searcher.search(&spec)?;
//! assert!((cands[0].freq_hz() - 12.5).abs() < 0.02);
//! # Ok(()) }
//! ```

mod envelope;
mod half_store;
mod harmsum;
mod output;
pub(crate) mod plane;
mod refine;
pub mod response;
mod row_dft;
mod select;
mod sweep;

use rayon::prelude::*;
use rustfft::num_complex::Complex32;

use palfa_core::config::AccelParams;

use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::{SearchError, SearchResult};
use crate::hugebuf::HugeBuf;
use crate::rednoise::median_in_place;
use crate::spectrum::Spectrum;
use crate::stats::{candidate_sigma, power_for_sigma};

pub use harmsum::CLOSEST_R;
pub use output::{accel_file, accel_path, cand_records, write_accel_file, write_cand};

/// Bins per block of the block-median normalisation.
pub const NORM_BLOCK: usize = 512;

/// Largest f-ḟ plane one search may hold \[bytes\]: the plane is kept whole
/// in memory in half precision, 2·(zmax+1)·2·N_bins bytes (428 MB for zmax 50
/// at 2^22 points).
pub const MAX_PLANE_BYTES: u64 = 8 << 30;

/// z step of the plane \[bins\] (PRESTO's ACCEL_DZ).
pub const DZ: f64 = 2.0;

/// Settings of one acceleration-search pass.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelConfig {
    /// The pass (recorded in each candidate).
    pub pass: AccelPass,
    /// Harmonics summed at most (1, 2, 4, 8, 16 or 32).
    pub numharm: usize,
    /// Candidate threshold \[σ, with the trials of each stage\].
    pub sigma: f64,
    /// Largest |z| \[bins\] of the highest harmonic summed, rounded up to even.
    pub zmax: u32,
    /// Lowest frequency of the highest summed harmonic \[Hz\].
    pub flo_hz: f64,
    /// Highest frequency searched \[Hz\].
    pub fhi_hz: f64,
    /// Use rayon inside one search (off by default: the pipeline parallelises over DMs).
    pub parallel: bool,
    /// Normalise by block medians before searching (PRESTO's default).
    pub block_normalise: bool,
    /// FFT length of the correlation blocks (`None`: chosen from zmax).
    pub fft_len: Option<usize>,
}

impl AccelConfig {
    /// The settings of `params` for `pass`, checked.
    ///
    /// # Errors
    /// [`SearchError::Params`] if numharm is not a power of two up to 32, a
    /// frequency is not positive, or flo ≥ fhi.
    pub fn new(params: &AccelParams, pass: AccelPass) -> SearchResult<Self> {
        if !params.numharm.is_power_of_two() || params.numharm > 32 {
            return Err(SearchError::Params(format!(
                "numharm {} is not one of 1, 2, 4, 8, 16, 32",
                params.numharm
            )));
        }
        if params.flo_hz.is_nan() || params.flo_hz <= 0.0 || params.fhi_hz.is_nan() || params.fhi_hz <= params.flo_hz {
            return Err(SearchError::Params(format!(
                "the searched band {}–{} Hz is empty",
                params.flo_hz, params.fhi_hz
            )));
        }
        if !params.sigma.is_finite() {
            return Err(SearchError::Params("sigma is not a number".into()));
        }
        Ok(Self {
            pass,
            numharm: params.numharm,
            sigma: params.sigma,
            zmax: params.zmax.div_ceil(2) * 2,
            flo_hz: params.flo_hz,
            fhi_hz: params.fhi_hz,
            parallel: false,
            block_normalise: true,
            fft_len: None,
        })
    }
}

/// A refined harmonic of a detection.
#[derive(Debug, Clone, PartialEq)]
pub struct HarmonicFit {
    /// Normalised power.
    pub power: f64,
    /// Power before normalisation (as in the input spectrum).
    pub raw_power: f64,
    /// Fourier frequency \[bins\] (h × the fundamental's).
    pub r: f64,
    /// Drift \[bins\] (h × the fundamental's).
    pub z: f64,
    /// Phase of the complex amplitude \[rad\], −π…π.
    pub phase_rad: f64,
}

/// A candidate with the details PRESTO's ACCEL file shows.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelDetection {
    /// The candidate as the later stages take it.
    pub candidate: AccelCandidate,
    /// Fundamental r on the search grid \[bins\].
    pub search_r: f64,
    /// Fundamental z on the search grid \[bins\].
    pub search_z: f64,
    /// Each harmonic after refinement.
    pub harmonics: Vec<HarmonicFit>,
}

/// A prepared acceleration search for spectra of one length.
pub struct AccelSearcher {
    cfg: AccelConfig,
    n_bins: usize,
    t_obs_s: f64,
    rlo: u64,
    rhi: u64,
    /// Independent trials per stage.
    numindep: Vec<f64>,
    /// Power threshold per stage.
    powcut: Vec<f32>,
    corr: plane::Correlator,
    /// Plane buffers kept between searches (one per thread that searched).
    buffers: std::sync::Mutex<Vec<HugeBuf<u16>>>,
}

impl std::fmt::Debug for AccelSearcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccelSearcher")
            .field("cfg", &self.cfg)
            .field("n_bins", &self.n_bins)
            .field("rlo", &self.rlo)
            .field("rhi", &self.rhi)
            .field("numindep", &self.numindep)
            .field("powcut", &self.powcut)
            .field("fftlen", &self.corr.fftlen)
            .finish()
    }
}

impl AccelSearcher {
    /// Prepares kernels, FFT plans and thresholds for spectra of `n_bins`
    /// bins from series of `t_obs_s` seconds.
    ///
    /// # Errors
    /// [`SearchError::Params`] for a non-positive duration, an FFT length too
    /// short for the kernels, or a plane larger than [`MAX_PLANE_BYTES`].
    pub fn new(n_bins: usize, t_obs_s: f64, cfg: &AccelConfig) -> SearchResult<Self> {
        if t_obs_s.is_nan() || t_obs_s <= 0.0 {
            return Err(SearchError::Params(format!(
                "observation length {t_obs_s} s is not positive"
            )));
        }
        let rlo = (cfg.flo_hz * t_obs_s).floor().max(1.0) as u64;
        let rhi = ((cfg.fhi_hz * t_obs_s).ceil() as u64).min(n_bins.saturating_sub(1) as u64);
        let stages = cfg.numharm.trailing_zeros() as usize + 1;
        let numz = cfg.zmax as f64 + 1.0;
        let span = rhi.saturating_sub(rlo) as f64;
        let numindep: Vec<f64> = (0..stages)
            .map(|s| {
                let h = (1u64 << s) as f64;
                let n = if cfg.zmax == 0 {
                    span / h
                } else {
                    span * (numz + 1.0) * (DZ / 6.95) / h
                };
                n.max(1.0)
            })
            .collect();
        let powcut = numindep
            .iter()
            .enumerate()
            .map(|(s, &n)| power_for_sigma(cfg.sigma, 1 << s, n) as f32)
            .collect();
        let hw = response::z_halfwidth(cfg.zmax as f64);
        let fftlen = cfg.fft_len.unwrap_or_else(|| plane::default_fftlen(hw));
        if !fftlen.is_power_of_two() || fftlen < 8 * hw {
            return Err(SearchError::Params(format!(
                "FFT length {fftlen} must be a power of two of at least {} for zmax {}",
                (8 * hw).next_power_of_two(),
                cfg.zmax
            )));
        }
        let plane_bytes = 2 * (cfg.zmax as u64 + 1) * 2 * n_bins as u64;
        if plane_bytes > MAX_PLANE_BYTES {
            return Err(SearchError::Params(format!(
                "zmax {} over {n_bins} bins needs a {:.1} GiB f-fdot plane, more than the {} GiB allowed",
                cfg.zmax,
                plane_bytes as f64 / (1u64 << 30) as f64,
                MAX_PLANE_BYTES >> 30
            )));
        }
        Ok(Self {
            cfg: cfg.clone(),
            n_bins,
            t_obs_s,
            rlo,
            rhi,
            numindep,
            powcut,
            corr: plane::Correlator::new(cfg.zmax, fftlen),
            buffers: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Frees the f-ḟ plane buffers kept for reuse. Each thread that has
    /// searched keeps one ([`plane_bytes`](Self::plane_bytes)), so that the
    /// next search does not allocate and page-fault it again.
    pub fn release_buffers(&self) {
        if let Ok(mut b) = self.buffers.lock() {
            b.clear();
        }
    }

    /// The settings.
    pub fn config(&self) -> &AccelConfig {
        &self.cfg
    }

    /// The same search, with rayon used inside each search (`parallel`) or
    /// not ([`AccelConfig::parallel`]).
    pub fn with_parallel(mut self, parallel: bool) -> Self {
        self.cfg.parallel = parallel;
        self
    }

    /// Bytes of the f-ḟ plane one search holds: the rows and columns its
    /// harmonic sums read, in half precision, and their envelope (the
    /// largest of every 8 columns) where the pass keeps one (about 0.87 of
    /// 2·(zmax+1)·2·N_bins bytes at zmax 50 and 8 harmonics: 93 MB for a
    /// 2^20-point series).
    pub fn plane_bytes(&self) -> u64 {
        let (lo_half, nr) = self.plane_columns();
        let stages = self.cfg.numharm.trailing_zeros() as usize + 1;
        self.corr.stored_bytes_for_sums(lo_half, nr, stages, 2 * self.rhi)
    }

    /// Independent trials of each harmonic stage (1, 2, 4, … harmonics).
    pub fn numindep(&self) -> &[f64] {
        &self.numindep
    }

    /// Summed-power threshold of each stage.
    pub fn power_cuts(&self) -> &[f32] {
        &self.powcut
    }

    /// Searched range of the highest harmonic's Fourier frequency \[bins\].
    pub fn r_range(&self) -> (u64, u64) {
        (self.rlo, self.rhi)
    }

    /// The correlations one search computes: `(fft_len, count)`, `count`
    /// complex inverse FFTs of `fft_len` points (two per plane row and
    /// block: the even and the odd half-bins of the block's FFT length)
    /// plus one forward FFT of `fft_len` points per block. At 5·N·log2(N)
    /// operations per FFT this is the search's arithmetic floor.
    pub fn correlation_ffts(&self) -> (usize, usize) {
        let (_, nr) = self.plane_columns();
        let blocks = nr.div_ceil(self.corr.uselen).max(1);
        (self.corr.fftlen / 2, 2 * blocks * self.corr.numz())
    }

    /// The plane's first half-bin index and its number of columns.
    fn plane_columns(&self) -> (i64, usize) {
        let hmax = self.cfg.numharm as u64;
        // Rounded down so that the first column's half-bin index is a multiple
        // of 32, as the harmonic sum's index patterns need.
        let plane_lo = self.rlo / hmax / 16 * 16;
        (2 * plane_lo as i64, (2 * self.rhi - 2 * plane_lo + 1) as usize)
    }

    /// Searches `spec`; candidates sorted by decreasing sigma.
    ///
    /// # Errors
    /// [`SearchError::Params`] if the spectrum's length differs from the one
    /// the searcher was made for.
    pub fn search(&self, spec: &Spectrum) -> SearchResult<Vec<AccelCandidate>> {
        Ok(self.search_detailed(spec)?.into_iter().map(|d| d.candidate).collect())
    }

    /// As [`search`](Self::search), with each harmonic's refined r, z, phase
    /// and raw power (what an ACCEL file shows).
    ///
    /// # Errors
    /// As [`search`](Self::search).
    pub fn search_detailed(&self, spec: &Spectrum) -> SearchResult<Vec<AccelDetection>> {
        if self.cfg.block_normalise {
            self.search_normalised_detailed(spec, &Normalised::new(spec))
        } else {
            let unit = Normalised {
                amps: spec.amps.clone(),
                levels: vec![1.0; spec.amps.len().div_ceil(NORM_BLOCK)],
            };
            self.search_normalised_detailed(spec, &unit)
        }
    }

    /// [`search`](Self::search) with the block-median normalisation of
    /// `spec` made beforehand ([`Normalised::new`]), so that the passes
    /// searching one spectrum make it once. A searcher configured without
    /// block normalisation ([`AccelConfig::block_normalise`]) ignores `norm`.
    ///
    /// # Errors
    /// As [`search`](Self::search), and [`SearchError::Params`] if `norm`
    /// is not of a spectrum of `spec`'s length.
    pub fn search_normalised(&self, spec: &Spectrum, norm: &Normalised) -> SearchResult<Vec<AccelCandidate>> {
        if !self.cfg.block_normalise {
            return self.search(spec);
        }
        Ok(self
            .search_normalised_detailed(spec, norm)?
            .into_iter()
            .map(|d| d.candidate)
            .collect())
    }

    fn search_normalised_detailed(&self, spec: &Spectrum, norm: &Normalised) -> SearchResult<Vec<AccelDetection>> {
        if spec.amps.len() != self.n_bins {
            return Err(SearchError::Params(format!(
                "spectrum has {} bins, the searcher was made for {}",
                spec.amps.len(),
                self.n_bins
            )));
        }
        if norm.amps.len() != spec.amps.len() {
            return Err(SearchError::Params(format!(
                "normalised amplitudes of {} bins for a spectrum of {}",
                norm.amps.len(),
                spec.amps.len()
            )));
        }
        if self.rhi <= self.rlo {
            return Ok(Vec::new());
        }
        let (amps, levels) = (&norm.amps[..], &norm.levels[..]);
        let (lo_half, nr) = self.plane_columns();
        let buf = self
            .buffers
            .lock()
            .map(|mut b| b.pop())
            .unwrap_or(None)
            .unwrap_or_default();
        let sums = sweep::SumSettings {
            zmax: self.cfg.zmax,
            powcut: &self.powcut,
            i_lo: 2 * self.rlo,
            i_hi: 2 * self.rhi,
        };
        let (crossings, buf) = sweep::sweep(&self.corr, amps, lo_half, nr, &sums, self.cfg.parallel, buf);
        if let Ok(mut b) = self.buffers.lock() {
            b.push(buf);
        }
        let mut grid = select::choose(&crossings, &self.numindep);
        if self.cfg.numharm > 1 {
            grid = select::eliminate_harmonics(grid);
        }
        let interp = refine::Interp { amps };
        let refine_one = |g: &select::GridCand| self.refine(&interp, levels, spec, g);
        let mut out: Vec<AccelDetection> = if self.cfg.parallel {
            grid.par_iter().map(refine_one).collect()
        } else {
            grid.iter().map(refine_one).collect()
        };
        out.sort_by(|a, b| b.candidate.sigma.total_cmp(&a.candidate.sigma));
        Ok(out)
    }

    fn refine(
        &self,
        interp: &refine::Interp<'_>,
        levels: &[f32],
        spec: &Spectrum,
        g: &select::GridCand,
    ) -> AccelDetection {
        let (r, z) = interp.polish(g.r, g.z, g.numharm, self.cfg.zmax > 0);
        let amps: Vec<_> = (1..=g.numharm)
            .map(|h| interp.amp(h as f64 * r, h as f64 * z))
            .collect();
        let phase1 = amps[0].arg();
        let mut coh = rustfft::num_complex::Complex64::new(0.0, 0.0);
        let harmonics: Vec<HarmonicFit> = amps
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let h = (i + 1) as f64;
                let ph = a.arg() - (h - 1.0) * phase1;
                coh += rustfft::num_complex::Complex64::from_polar(a.norm(), ph);
                let bin = ((h * r).round().max(0.0) as usize).min(spec.amps.len().saturating_sub(1));
                let level = levels.get(bin / NORM_BLOCK).copied().unwrap_or(1.0) as f64;
                HarmonicFit {
                    power: a.norm_sqr(),
                    raw_power: a.norm_sqr() * level,
                    r: h * r,
                    z: h * z,
                    phase_rad: a.arg(),
                }
            })
            .collect();
        let stage = g.numharm.trailing_zeros() as usize;
        AccelDetection {
            candidate: AccelCandidate {
                dm: spec.dm,
                r,
                z,
                numharm: g.numharm,
                sigma: candidate_sigma(g.power, g.numharm, self.numindep[stage]),
                power: g.power,
                coherent_power: coh.norm_sqr(),
                harm_powers: harmonics.iter().map(|h| h.power).collect(),
                t_obs_s: self.t_obs_s,
                pass: self.cfg.pass,
                pulse_width_s: None,
            },
            search_r: g.r,
            search_z: g.z,
            harmonics,
        }
    }
}

/// A spectrum's amplitudes with PRESTO's block-median normalisation, made
/// once for every pass that searches it ([`AccelSearcher::search_normalised`]).
#[derive(Debug, Clone)]
pub struct Normalised {
    /// The amplitudes divided by √(level of their block).
    amps: Vec<Complex32>,
    /// Each block's level: the median power of its [`NORM_BLOCK`] bins / ln 2.
    levels: Vec<f32>,
}

impl Normalised {
    /// Normalises `spec`'s amplitudes by the median power of each block of
    /// [`NORM_BLOCK`] bins (what [`AccelSearcher::search`] does first).
    pub fn new(spec: &Spectrum) -> Self {
        let (amps, levels) = normalise(&spec.amps);
        Self { amps, levels }
    }
}

/// Amplitudes divided by √(block median power / ln 2), and each block's level.
fn normalise(amps: &[Complex32]) -> (Vec<Complex32>, Vec<f32>) {
    let mut out = Vec::with_capacity(amps.len());
    let mut levels = Vec::with_capacity(amps.len().div_ceil(NORM_BLOCK));
    let mut buf = Vec::with_capacity(NORM_BLOCK);
    for block in amps.chunks(NORM_BLOCK) {
        buf.clear();
        buf.extend(block.iter().map(|a| a.norm_sqr()));
        let mut level = median_in_place(&mut buf) / std::f32::consts::LN_2;
        if !(level.is_finite() && level > f32::MIN_POSITIVE) {
            level = 1.0;
        }
        let norm = 1.0 / level.sqrt();
        out.extend(block.iter().map(|a| a * norm));
        levels.push(level);
    }
    (out, levels)
}
