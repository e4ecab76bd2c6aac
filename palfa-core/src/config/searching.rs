//! `[searching]`: every parameter of the per-beam search. Defaults are PALFA's
//! (pipeline2.0 `searching_example.py`) so results compare with the survey's.

use std::path::PathBuf;

use super::known::KnownParams;
use super::reader::{PathKind, Section};

/// Default `to_prepfold_sigma` \[σ\]: candidates folded, and one above the
/// default sifting threshold.
pub const DEFAULT_TO_PREPFOLD_SIGMA: f64 = 6.0;
/// The default `sifting_sigma_threshold` is this far below
/// `to_prepfold_sigma` \[σ\] (PALFA derives one from the other).
pub const SIFTING_SIGMA_MARGIN: f64 = 1.0;
/// Default subband count (`nsub`), for dedispersion and folding.
pub const DEFAULT_NSUB: usize = 96;
/// Default clip level of impulsive RFI (`rfifind_clip`) \[σ\], also prepfold's.
pub const DEFAULT_RFIFIND_CLIP: f64 = 6.0;
/// Default highest frequency of the acceleration searches (`accel_fhi`) \[Hz\].
pub const DEFAULT_ACCEL_FHI_HZ: f64 = 10_000.0;

/// RFI excision (rfifind) settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RfiParams {
    /// Length of one interval \[s\] (PALFA: 2^15 × 64 µs).
    pub chunk_time_s: f64,
    /// Time-domain threshold \[σ\] on the mean and standard deviation of a cell.
    pub timesig: f64,
    /// Frequency-domain threshold \[σ\] on the peak Fourier power of a cell.
    pub freqsig: f64,
    /// Fraction of bad intervals that flags a whole channel.
    pub intfrac: f64,
    /// Fraction of bad channels that flags a whole interval.
    pub chanfrac: f64,
    /// Clip level \[σ\] of the band-summed series for impulsive RFI (0: off).
    pub clip_sigma: f64,
    /// Channels always masked (lowest frequency = 0).
    pub zap_chans: Vec<usize>,
    /// Intervals always masked.
    pub zap_ints: Vec<usize>,
}

/// Which dedispersion plan to use.
#[derive(Debug, Clone, PartialEq)]
pub enum DdplanChoice {
    /// The PALFA survey's own plan for Mock data (6276 DMs from 0 to 5087.4), used
    /// when the beam has the PALFA Mock set-up, the planner otherwise.
    Palfa,
    /// Always the planner (DDplan equivalent) up to `max_dm`.
    Auto,
}

/// Dedispersion settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DedispParams {
    /// Plan choice.
    pub ddplan: DdplanChoice,
    /// Largest DM searched by the planner \[pc cm⁻³\].
    pub max_dm: f64,
    /// Lowest DM searched by the planner.
    pub min_dm: f64,
    /// Subbands for two-stage dedispersion.
    pub nsub: usize,
    /// Time resolution the planner aims for \[s\] (0: the sample time).
    pub resolution_s: f64,
}

/// Single-pulse search settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SinglePulseParams {
    /// Detection threshold \[σ\].
    pub threshold: f64,
    /// Events above this are plotted \[σ\].
    pub plot_snr: f64,
    /// Widest boxcar \[s\].
    pub maxwidth_s: f64,
    /// Samples per detrending block.
    pub detrend_len: usize,
    /// Remove a block median instead of a fitted line (faster, PRESTO `-f`).
    pub median_detrend: bool,
    /// Skip blocks whose noise level is an outlier (RFI).
    pub bad_blocks: bool,
    /// Refit blocks under bright wide events without them and search again.
    pub refit: bool,
}

/// One acceleration-search pass.
#[derive(Debug, Clone, PartialEq)]
pub struct AccelParams {
    /// Harmonics summed (1, 2, 4, 8, 16 or 32).
    pub numharm: usize,
    /// Candidate threshold \[σ\].
    pub sigma: f64,
    /// Largest |z| \[Fourier bins\] (0: no acceleration).
    pub zmax: u32,
    /// Lowest frequency searched \[Hz\] (of the highest summed harmonic).
    pub flo_hz: f64,
    /// Highest frequency searched \[Hz\].
    pub fhi_hz: f64,
}

/// Candidate sifting settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SiftParams {
    /// Lowest sigma kept.
    pub sigma_threshold: f64,
    /// Coherent-power threshold for single-harmonic candidates.
    pub c_pow_threshold: f64,
    /// Fourier bins within which two candidates are the same.
    pub r_err: f64,
    /// Shortest period kept \[s\].
    pub short_period_s: f64,
    /// Longest period kept \[s\].
    pub long_period_s: f64,
    /// Power needed in at least one harmonic.
    pub harm_pow_cutoff: f64,
    /// Harmonic test tolerance: `true` for PRESTO's scaled f_err (default),
    /// `false` for PALFA's fixed one.
    pub scaled_harmonic_tolerance: bool,
}

/// Red-noise whitening settings (PRESTO rednoise).
#[derive(Debug, Clone, PartialEq)]
pub struct RedNoiseParams {
    /// Bins in the first block.
    pub startwidth: usize,
    /// Largest block.
    pub endwidth: usize,
    /// Frequency \[Hz\] beyond which blocks are `endwidth`.
    pub endfreq_hz: f64,
}

/// Dynamic birdie zapping settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicZapParams {
    /// Find periodic RFI in this beam and zap it.
    pub enabled: bool,
    /// Threshold \[σ\] on a DM-0 peak to call it a birdie.
    pub sigma: f64,
    /// Fraction of the searched DMs in which the peak must also appear.
    pub min_dm_fraction: f64,
    /// Most birdies added per beam.
    pub max_birds: usize,
}

/// FFA search settings (`[searching.ffa]`).
#[derive(Debug, Clone, PartialEq)]
pub struct FfaParams {
    /// Run the FFA search on every dedispersed series.
    pub enabled: bool,
    /// Shortest trial period \[s\].
    pub min_period_s: f64,
    /// Longest trial period \[s\] (at most a tenth of the observation is searched).
    pub max_period_s: f64,
    /// Fewest bins of a folded profile.
    pub bins_min: usize,
    /// One more than the most bins of a folded profile.
    pub bins_max: usize,
    /// Widest boxcar as a fraction of the period.
    pub max_duty: f64,
    /// Width of the de-reddening running median \[s\].
    pub rmed_width_s: f64,
    /// S/N from which a periodogram peak is a candidate.
    pub snr_threshold: f64,
    /// Most peaks kept per dedispersed series.
    pub max_peaks: usize,
}

impl Default for FfaParams {
    /// On, 0.5 to 30 s, profiles of 240 to 260 bins, boxcars up to 20 % of
    /// the period, a 4-s running median, peaks from S/N 7, 16 per series.
    fn default() -> Self {
        Self {
            enabled: true,
            min_period_s: 0.5,
            max_period_s: 30.0,
            bins_min: 240,
            bins_max: 260,
            max_duty: 0.2,
            rmed_width_s: 4.0,
            snr_threshold: 7.0,
            max_peaks: 16,
        }
    }
}

impl FfaParams {
    fn read(t: &mut Section<'_>) -> Self {
        let d = Self::default();
        let v = Self {
            enabled: t.bool("enabled", d.enabled),
            min_period_s: t.f64("min_period", d.min_period_s, 1e-3, 1e4),
            max_period_s: t.f64("max_period", d.max_period_s, 1e-3, 1e5),
            bins_min: t.int("bins_min", d.bins_min as i64, 2, 4095) as usize,
            bins_max: t.int("bins_max", d.bins_max as i64, 3, 4096) as usize,
            max_duty: t.f64("max_duty", d.max_duty, 1e-3, 0.9),
            rmed_width_s: t.f64("rmed_width", d.rmed_width_s, 1e-3, 1e4),
            snr_threshold: t.f64("snr_threshold", d.snr_threshold, 0.0, 1e3),
            max_peaks: t.int("max_peaks", d.max_peaks as i64, 1, 10_000) as usize,
        };
        if v.min_period_s >= v.max_period_s {
            let k = t.key("min_period");
            t.ctx.problem(
                &k,
                format!("must be below searching.ffa.max_period ({} s)", v.max_period_s),
            );
        }
        if v.bins_min >= v.bins_max {
            let k = t.key("bins_min");
            t.ctx
                .problem(&k, format!("must be below searching.ffa.bins_max ({})", v.bins_max));
        }
        v
    }
}

/// `[searching]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Searching {
    /// Dedisperse through subbands (two-stage) rather than brute force.
    pub use_subbands: bool,
    /// Fold from the raw data (else from the dedispersed series).
    pub fold_rawdata: bool,
    /// Subtract the band mean from every spectrum (zero-DM filter).
    pub use_zerodm: bool,
    /// RFI excision.
    pub rfi: RfiParams,
    /// Dedispersion.
    pub dedisp: DedispParams,
    /// Single pulses.
    pub singlepulse: SinglePulseParams,
    /// Lowest sigma of a sifted candidate that is folded.
    pub to_prepfold_sigma: f64,
    /// Most candidates folded per beam.
    pub max_cands_to_fold: usize,
    /// DMs in which a candidate must be found to be folded.
    pub numhits_to_fold: usize,
    /// Candidates whose best DM is at or below this are dropped.
    pub low_dm_cutoff: f64,
    /// Observations shorter than this \[s\] are not searched.
    pub low_t_to_search_s: f64,
    /// Mains power frequency at the telescope \[Hz\] (the `mains_closeness` rating).
    pub mains_hz: f64,
    /// The low-acceleration pass.
    pub lo_accel: AccelParams,
    /// The high-acceleration pass.
    pub hi_accel: AccelParams,
    /// Sifting.
    pub sifting: SiftParams,
    /// Red-noise whitening.
    pub rednoise: RedNoiseParams,
    /// Dynamic zapping.
    pub dynamic_zap: DynamicZapParams,
    /// The FFA search (`[searching.ffa]`).
    pub ffa: FfaParams,
    /// Known-pulsar tagging (`[searching.known]`).
    pub known: KnownParams,
    /// Fast scratch directory for the working files (`None`: the processing directory).
    pub base_tmp_dir: Option<PathBuf>,
}

impl Default for RfiParams {
    /// PRESTO's and PALFA's rfifind settings: 2.097152-s intervals, timesig
    /// 10, freqsig 4, intfrac 0.3, chanfrac 0.7, clip 6, nothing zapped.
    fn default() -> Self {
        Self {
            chunk_time_s: 2.097152,
            timesig: 10.0,
            freqsig: 4.0,
            intfrac: 0.3,
            chanfrac: 0.7,
            clip_sigma: DEFAULT_RFIFIND_CLIP,
            zap_chans: Vec::new(),
            zap_ints: Vec::new(),
        }
    }
}

impl Default for DedispParams {
    /// PALFA's plan when the beam allows it, else the planner from DM 0 to
    /// 1000 pc cm⁻³ with [`DEFAULT_NSUB`] subbands at the sample time.
    fn default() -> Self {
        Self {
            ddplan: DdplanChoice::Palfa,
            max_dm: 1000.0,
            min_dm: 0.0,
            nsub: DEFAULT_NSUB,
            resolution_s: 0.0,
        }
    }
}

impl Default for SinglePulseParams {
    /// PALFA's: 5σ events, 6σ plotted, boxcars up to 0.1 s, 1000-sample
    /// linear detrending, bad blocks rejected, bright events refitted.
    fn default() -> Self {
        Self {
            threshold: 5.0,
            plot_snr: 6.0,
            maxwidth_s: 0.1,
            detrend_len: 1000,
            median_detrend: false,
            bad_blocks: true,
            refit: true,
        }
    }
}

impl AccelParams {
    /// PALFA's low-acceleration pass: 16 harmonics, 2σ, zmax 0, 2 Hz to
    /// [`DEFAULT_ACCEL_FHI_HZ`].
    pub const DEFAULT_LO: AccelParams = AccelParams {
        numharm: 16,
        sigma: 2.0,
        zmax: 0,
        flo_hz: 2.0,
        fhi_hz: DEFAULT_ACCEL_FHI_HZ,
    };

    /// PALFA's high-acceleration pass: 8 harmonics, 3σ, zmax 50, 1 Hz to
    /// [`DEFAULT_ACCEL_FHI_HZ`].
    pub const DEFAULT_HI: AccelParams = AccelParams {
        numharm: 8,
        sigma: 3.0,
        zmax: 50,
        flo_hz: 1.0,
        fhi_hz: DEFAULT_ACCEL_FHI_HZ,
    };
}

impl Default for SiftParams {
    /// PALFA's sifting: sigma threshold [`SIFTING_SIGMA_MARGIN`] below [`DEFAULT_TO_PREPFOLD_SIGMA`],
    /// coherent power 100, r_err 1.1 bins, periods 0.5 ms to 15 s, harmonic
    /// power cutoff 8, PRESTO's scaled harmonic tolerance.
    fn default() -> Self {
        Self {
            sigma_threshold: DEFAULT_TO_PREPFOLD_SIGMA - SIFTING_SIGMA_MARGIN,
            c_pow_threshold: 100.0,
            r_err: 1.1,
            short_period_s: 0.0005,
            long_period_s: 15.0,
            harm_pow_cutoff: 8.0,
            scaled_harmonic_tolerance: true,
        }
    }
}

impl Default for RedNoiseParams {
    /// PRESTO rednoise's: blocks of 6 bins growing to 100 at 6 Hz.
    fn default() -> Self {
        Self {
            startwidth: 6,
            endwidth: 100,
            endfreq_hz: 6.0,
        }
    }
}

impl Default for DynamicZapParams {
    /// On: 8σ DM-0 peaks seen in half of the probe DMs, at most 200 per beam.
    fn default() -> Self {
        Self {
            enabled: true,
            sigma: 8.0,
            min_dm_fraction: 0.5,
            max_birds: 200,
        }
    }
}

impl Default for Searching {
    /// PALFA's search (pipeline2.0 `searching_example.py`), working in the
    /// processing directory.
    fn default() -> Self {
        Self {
            use_subbands: true,
            fold_rawdata: true,
            use_zerodm: false,
            rfi: RfiParams::default(),
            dedisp: DedispParams::default(),
            singlepulse: SinglePulseParams::default(),
            to_prepfold_sigma: DEFAULT_TO_PREPFOLD_SIGMA,
            max_cands_to_fold: 100,
            numhits_to_fold: 2,
            low_dm_cutoff: 2.0,
            low_t_to_search_s: 20.0,
            mains_hz: 60.0,
            lo_accel: AccelParams::DEFAULT_LO,
            hi_accel: AccelParams::DEFAULT_HI,
            sifting: SiftParams::default(),
            rednoise: RedNoiseParams::default(),
            dynamic_zap: DynamicZapParams::default(),
            ffa: FfaParams::default(),
            known: KnownParams::default(),
            base_tmp_dir: None,
        }
    }
}

impl Searching {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        let rfi = RfiParams {
            chunk_time_s: s.f64("rfifind_chunk_time", d.rfi.chunk_time_s, 1e-3, 3600.0),
            timesig: s.f64("rfifind_timesig", d.rfi.timesig, 0.1, 1e3),
            freqsig: s.f64("rfifind_freqsig", d.rfi.freqsig, 0.1, 1e3),
            intfrac: s.f64("rfifind_intfrac", d.rfi.intfrac, 0.0, 1.0),
            chanfrac: s.f64("rfifind_chanfrac", d.rfi.chanfrac, 0.0, 1.0),
            clip_sigma: s.f64("rfifind_clip", d.rfi.clip_sigma, 0.0, 1e3),
            zap_chans: s.usize_list("rfifind_zap_chans"),
            zap_ints: s.usize_list("rfifind_zap_ints"),
        };
        let ddplan_default = match d.dedisp.ddplan {
            DdplanChoice::Palfa => "palfa",
            DdplanChoice::Auto => "auto",
        };
        let ddplan = match s.choice("ddplan", ddplan_default, &["palfa", "auto"]).as_str() {
            "auto" => DdplanChoice::Auto,
            _ => DdplanChoice::Palfa,
        };
        let dedisp = DedispParams {
            ddplan,
            max_dm: s.f64("max_dm", d.dedisp.max_dm, 0.0, 1e5),
            min_dm: s.f64("min_dm", d.dedisp.min_dm, 0.0, 1e5),
            nsub: s.int("nsub", d.dedisp.nsub as i64, 1, 4096) as usize,
            resolution_s: s.f64("dedisp_resolution", d.dedisp.resolution_s, 0.0, 1.0),
        };
        if dedisp.min_dm >= dedisp.max_dm && s.has("min_dm") {
            let k = s.key("min_dm");
            s.ctx
                .problem(&k, format!("must be below searching.max_dm ({})", dedisp.max_dm));
        }
        let sp = &d.singlepulse;
        let singlepulse = SinglePulseParams {
            threshold: s.f64("singlepulse_threshold", sp.threshold, 0.0, 1e3),
            plot_snr: s.f64("singlepulse_plot_SNR", sp.plot_snr, 0.0, 1e3),
            maxwidth_s: s.f64("singlepulse_maxwidth", sp.maxwidth_s, 0.0, 100.0),
            detrend_len: s.int("singlepulse_detrendlen", sp.detrend_len as i64, 16, 1 << 24) as usize,
            median_detrend: s.bool("singlepulse_fast", sp.median_detrend),
            bad_blocks: s.bool("singlepulse_badblocks", sp.bad_blocks),
            refit: s.bool("singlepulse_refit", sp.refit),
        };
        let fhi = s.f64("accel_fhi", DEFAULT_ACCEL_FHI_HZ, 1e-3, 1e7);
        let lo_accel = read_accel(s, "lo", &d.lo_accel, fhi);
        let hi_accel = read_accel(s, "hi", &d.hi_accel, fhi);
        let to_prepfold_sigma = s.f64("to_prepfold_sigma", d.to_prepfold_sigma, 0.0, 1e3);
        let sf = &d.sifting;
        let sifting = SiftParams {
            // Follows to_prepfold_sigma when not set, as in PALFA.
            sigma_threshold: s.f64(
                "sifting_sigma_threshold",
                to_prepfold_sigma - SIFTING_SIGMA_MARGIN,
                0.0,
                1e3,
            ),
            c_pow_threshold: s.f64("sifting_c_pow_threshold", sf.c_pow_threshold, 0.0, 1e9),
            r_err: s.f64("sifting_r_err", sf.r_err, 0.0, 1e3),
            short_period_s: s.f64("sifting_short_period", sf.short_period_s, 0.0, 1e4),
            long_period_s: s.f64("sifting_long_period", sf.long_period_s, 0.0, 1e5),
            harm_pow_cutoff: s.f64("sifting_harm_pow_cutoff", sf.harm_pow_cutoff, 0.0, 1e6),
            scaled_harmonic_tolerance: s.choice(
                "sifting_harmonic_tolerance",
                if sf.scaled_harmonic_tolerance {
                    "scaled"
                } else {
                    "fixed"
                },
                &["scaled", "fixed"],
            ) == "scaled",
        };
        if sifting.short_period_s >= sifting.long_period_s {
            let k = s.key("sifting_short_period");
            s.ctx.problem(
                &k,
                format!(
                    "must be shorter than searching.sifting_long_period ({} s)",
                    sifting.long_period_s
                ),
            );
        }
        let rednoise = RedNoiseParams {
            startwidth: s.int("rednoise_startwidth", d.rednoise.startwidth as i64, 1, 1 << 20) as usize,
            endwidth: s.int("rednoise_endwidth", d.rednoise.endwidth as i64, 1, 1 << 24) as usize,
            endfreq_hz: s.f64("rednoise_endfreq", d.rednoise.endfreq_hz, 0.0, 1e6),
        };
        if rednoise.startwidth > rednoise.endwidth {
            let k = s.key("rednoise_startwidth");
            s.ctx.problem(&k, "must not exceed searching.rednoise_endwidth");
        }
        let dynamic_zap = DynamicZapParams {
            enabled: s.bool("dynamic_zap", d.dynamic_zap.enabled),
            sigma: s.f64("dynamic_zap_sigma", d.dynamic_zap.sigma, 1.0, 1e3),
            min_dm_fraction: s.f64("dynamic_zap_min_dm_fraction", d.dynamic_zap.min_dm_fraction, 0.0, 1.0),
            max_birds: s.int("dynamic_zap_max_birds", d.dynamic_zap.max_birds as i64, 0, 100_000) as usize,
        };
        let ffa_t = s.sub_table("ffa");
        let ffa = {
            let mut t = Section::nested(ffa_t, "searching.ffa", &mut *s.ctx);
            let v = FfaParams::read(&mut t);
            t.finish();
            v
        };
        let known_t = s.sub_table("known");
        let known = {
            let mut t = Section::nested(known_t, "searching.known", &mut *s.ctx);
            let v = KnownParams::read(&mut t);
            t.finish();
            v
        };
        Self {
            use_subbands: s.bool("use_subbands", d.use_subbands),
            fold_rawdata: s.bool("fold_rawdata", d.fold_rawdata),
            use_zerodm: s.bool("use_zerodm", d.use_zerodm),
            rfi,
            dedisp,
            singlepulse,
            to_prepfold_sigma,
            max_cands_to_fold: s.int("max_cands_to_fold", d.max_cands_to_fold as i64, 0, 100_000) as usize,
            numhits_to_fold: s.int("numhits_to_fold", d.numhits_to_fold as i64, 1, 100_000) as usize,
            low_dm_cutoff: s.f64("low_DM_cutoff", d.low_dm_cutoff, 0.0, 1e5),
            low_t_to_search_s: s.f64("low_T_to_search", d.low_t_to_search_s, 0.0, 1e7),
            mains_hz: s.f64("mains_hz", d.mains_hz, 1.0, 1000.0),
            lo_accel,
            hi_accel,
            sifting,
            rednoise,
            dynamic_zap,
            ffa,
            known,
            base_tmp_dir: s.path("base_tmp_dir", "", PathKind::WritableDir, true),
        }
    }
}

fn read_accel(s: &mut Section<'_>, pass: &str, d: &AccelParams, fhi: f64) -> AccelParams {
    let nh_key = format!("{pass}_accel_numharm");
    let numharm = s.int(&nh_key, d.numharm as i64, 1, 32) as usize;
    if !numharm.is_power_of_two() {
        let k = s.key(&nh_key);
        s.ctx.problem(&k, format!("{numharm} is not one of 1, 2, 4, 8, 16, 32"));
    }
    let flo_hz = s.f64(&format!("{pass}_accel_flo"), d.flo_hz, 1e-4, 1e6);
    if flo_hz >= fhi {
        let k = s.key(&format!("{pass}_accel_flo"));
        s.ctx
            .problem(&k, format!("must be below searching.accel_fhi ({fhi} Hz)"));
    }
    AccelParams {
        numharm: if numharm.is_power_of_two() { numharm } else { d.numharm },
        sigma: s.f64(&format!("{pass}_accel_sigma"), d.sigma, 0.0, 1e3),
        zmax: s.int(&format!("{pass}_accel_zmax"), i64::from(d.zmax), 0, 1200) as u32,
        flo_hz,
        fhi_hz: fhi,
    }
}
