//! Candidate sifting: from the acceleration-search candidates of every DM trial
//! to one ranked list of distinct signals (PRESTO's `sifting.py` as PALFA's
//! pipeline2.0 ran it, `mysifting.py`).
//!
//! [`sift`] takes the lo- and hi-pass candidates of all DM trials and the list
//! of searched DMs, and for each pass separately:
//!
//! 1. recomputes each candidate's statistics from its refined harmonic powers
//!    ([`SiftStats`]: single-trial sigma `candidate_sigma(Σp, numharm, 1)` and
//!    S/N Σ √max(p − 1, 0));
//! 2. rejects on its own any candidate with a period outside
//!    [short, long], a sigma below threshold (single-harmonic candidates are
//!    kept if their coherent power passes), no harmonic above the power cutoff,
//!    or one high harmonic carrying the power;
//! 3. merges the candidates within `r_err` Fourier bins (FFA detections: within
//!    [`r_tolerance`], their much finer precision) into one
//!    [`SiftedCandidate`] whose [`DmHit`]s are its detections at each DM;
//! 4. rejects those seen at fewer than `numhits_to_fold` DMs, whose best hit is
//!    at or below `low_dm_cutoff`, or with no two hits at neighbouring DM trials.
//!
//! The two passes' survivors are then merged; weaker candidates at a harmonic
//! ratio of a stronger one are removed (the same frequency: merged into it),
//! and the rest are ranked by sigma. Every rejected candidate is kept with its
//! [`RejectReason`]. [`write_products`] writes the PALFA files: `.accelcands`,
//! `.accelcands.summary`, `.accelcands.report` and two PNG plots.
//!
//! A candidate's DM is that of its **best** detection, the highest-sigma hit
//! over all its hits — in both passes and across every grouping — never the
//! first or last DM of a dedispersion pass.
//!
//! ```
//! use palfa_search::sift::{sift, SiftConfig};
//! use palfa_search::{AccelCandidate, AccelPass};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dms: Vec<f64> = (0..100).map(|i| i as f64 * 0.5).collect();
//! // A 4-harmonic pulsar at r = 2000.3 bins, seen from DM 20 to 24, best at 22.
//! let cands: Vec<AccelCandidate> = (40..=48)
//!     .map(|i| {
//!         let dm = i as f64 * 0.5;
//!         let p = 30.0 - 4.0 * (dm - 22.0_f64).abs();
//!         AccelCandidate {
//!             dm, r: 2000.3, z: 0.0, numharm: 4, sigma: 8.0, power: 4.0 * p,
//!             coherent_power: 3.0 * p, harm_powers: vec![p; 4], t_obs_s: 268.4,
//!             pass: AccelPass::Lo, pulse_width_s: None,
//!         }
//!     })
//!     .collect();
//! let result = sift(cands, Vec::new(), &dms, &SiftConfig::default())?;
//! assert_eq!(result.candidates.len(), 1);
//! let best = &result.candidates[0];
//! assert_eq!(best.dm(), 22.0);
//! assert!((best.period_s() - 268.4 / 2000.3).abs() < 1e-12);
//! assert_eq!(best.numhits(), 9);
//! # Ok(()) }
//! ```

mod candidate;
mod dedupe;
mod dmcheck;
mod harmonics;
mod input;
mod plot;
mod products;
mod reject;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub(crate) use candidate::dm_key;
pub use candidate::{r_tolerance, CandId, CandSummary, DmHit, SiftStats, SiftedCandidate};
pub use dmcheck::DmIndex;
pub use harmonics::HarmonicTolerance;
pub use input::CandidateFile;
pub use plot::{plot_rejects, plot_summary};
pub use products::{accelcands_entries, report_text, summary_text, write_products, SiftProducts};
pub use reject::{InvalidField, RejectKind, RejectReason, Rejected};

use crate::candidate::{AccelCandidate, AccelPass};
use crate::error::{SearchError, SearchResult};
use dedupe::{by_rank, Scored};
use palfa_core::config::{AccelParams, Searching, SiftParams, SIFTING_SIGMA_MARGIN};

/// Sifting settings: PALFA's `[searching]` sifting keys plus the DM-hit rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiftConfig {
    /// Lowest single-trial sigma kept \[σ\] (PALFA 5.0).
    pub sigma_threshold: f64,
    /// Coherent power that keeps a single-harmonic candidate below the sigma threshold (100).
    pub c_pow_threshold: f64,
    /// Fourier bins within which two candidates are the same signal (1.1).
    pub r_err: f64,
    /// Shortest period kept \[s\] (0.5 ms).
    pub short_period_s: f64,
    /// Longest period kept \[s\] (15 s).
    pub long_period_s: f64,
    /// Power that at least one harmonic must reach (8).
    pub harm_pow_cutoff: f64,
    /// DMs a candidate must be seen at (PALFA `numhits_to_fold`, 2).
    pub numhits_to_fold: usize,
    /// Candidates whose best DM is at or below this are dropped \[pc cm⁻³\] (2.0).
    pub low_dm_cutoff: f64,
    /// Sigma from which a sifted candidate counts as "above threshold" (PALFA
    /// `to_prepfold_sigma`, 6.0): the uploader's "Num cands above threshold".
    pub fold_sigma: f64,
    /// zmax of the lo pass, for ACCEL file names (0).
    pub lo_zmax: u32,
    /// zmax of the hi pass, for ACCEL file names (50).
    pub hi_zmax: u32,
    /// Tolerance rule of the harmonic test (not a PALFA key; default
    /// [`HarmonicTolerance::Scaled`], PRESTO HEAD's).
    pub harmonic_tolerance: HarmonicTolerance,
    /// Longest period kept from the FFA search \[s\] (its own range's top,
    /// 30 s by default; `long_period_s` is the Fourier search's).
    #[serde(default = "default_ffa_long_period")]
    pub ffa_long_period_s: f64,
    /// Shortest period the FFA searched \[s\]: an FFA detection at a
    /// multiple of a shorter Fourier candidate's period is that candidate's
    /// subharmonic, whatever their sigmas (the FFA never saw the fundamental).
    #[serde(default = "default_ffa_min_period")]
    pub ffa_min_period_s: f64,
}

fn default_ffa_min_period() -> f64 {
    palfa_core::config::FfaParams::default().min_period_s
}

fn default_ffa_long_period() -> f64 {
    palfa_core::config::FfaParams::default().max_period_s
}

impl Default for SiftConfig {
    /// The default `[searching]` section's (PALFA's values, pipeline2.0
    /// `searching_example.py`; defined once, in [`Searching`]'s `Default`).
    fn default() -> Self {
        Self::from_searching(&Searching::default())
    }
}

impl SiftConfig {
    /// From the sifting keys and the two DM-hit rules; the rest at the
    /// defaults of `[searching]` (`fold_sigma` = sigma threshold +
    /// [`SIFTING_SIGMA_MARGIN`], as PALFA derives one from the other; the
    /// default passes' zmax).
    pub fn new(p: &SiftParams, numhits_to_fold: usize, low_dm_cutoff: f64) -> Self {
        Self {
            sigma_threshold: p.sigma_threshold,
            c_pow_threshold: p.c_pow_threshold,
            r_err: p.r_err,
            short_period_s: p.short_period_s,
            long_period_s: p.long_period_s,
            harm_pow_cutoff: p.harm_pow_cutoff,
            numhits_to_fold,
            low_dm_cutoff,
            fold_sigma: p.sigma_threshold + SIFTING_SIGMA_MARGIN,
            lo_zmax: AccelParams::DEFAULT_LO.zmax,
            hi_zmax: AccelParams::DEFAULT_HI.zmax,
            harmonic_tolerance: if p.scaled_harmonic_tolerance {
                HarmonicTolerance::Scaled
            } else {
                HarmonicTolerance::Fixed
            },
            ffa_long_period_s: default_ffa_long_period(),
            ffa_min_period_s: default_ffa_min_period(),
        }
    }

    /// Everything from the `[searching]` section.
    pub fn from_searching(s: &Searching) -> Self {
        Self {
            fold_sigma: s.to_prepfold_sigma,
            lo_zmax: s.lo_accel.zmax,
            hi_zmax: s.hi_accel.zmax,
            ffa_long_period_s: s.ffa.max_period_s.max(s.sifting.long_period_s),
            ffa_min_period_s: s.ffa.min_period_s,
            ..Self::new(&s.sifting, s.numhits_to_fold, s.low_dm_cutoff)
        }
    }

    /// zmax of a pass (0 for the FFA).
    pub fn zmax(&self, pass: AccelPass) -> u32 {
        match pass {
            AccelPass::Lo => self.lo_zmax,
            AccelPass::Hi => self.hi_zmax,
            AccelPass::Ffa => 0,
        }
    }

    /// Longest period kept from a pass \[s\].
    pub fn long_period_for(&self, pass: AccelPass) -> f64 {
        match pass {
            AccelPass::Ffa => self.ffa_long_period_s,
            _ => self.long_period_s,
        }
    }

    /// Checks that the settings can work.
    pub fn validate(&self) -> SearchResult<()> {
        let finite = [
            ("sigma_threshold", self.sigma_threshold),
            ("c_pow_threshold", self.c_pow_threshold),
            ("harm_pow_cutoff", self.harm_pow_cutoff),
            ("low_dm_cutoff", self.low_dm_cutoff),
            ("fold_sigma", self.fold_sigma),
        ];
        if let Some((k, v)) = finite.iter().find(|(_, v)| !v.is_finite()) {
            return Err(SearchError::Params(format!("sifting {k} = {v} is not a finite number")));
        }
        if !(self.r_err.is_finite() && self.r_err >= 0.0) {
            return Err(SearchError::Params(format!(
                "sifting r_err = {} must be a non-negative number of bins",
                self.r_err
            )));
        }
        if !(self.short_period_s >= 0.0 && self.short_period_s < self.long_period_s) {
            return Err(SearchError::Params(format!(
                "sifting periods: short ({} s) must be non-negative and below long ({} s)",
                self.short_period_s, self.long_period_s
            )));
        }
        Ok(())
    }
}

/// What sifting produced: the ranked candidates, every rejected one with its
/// reason, and the counts the uploader reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiftResult {
    /// The sifted candidates, highest sigma first (ties: higher incoherent power).
    pub candidates: Vec<SiftedCandidate>,
    /// Every rejected candidate, in the order of rejection.
    pub rejected: Vec<Rejected>,
    /// Candidates given to sifting (lo + hi + FFA).
    pub num_input: usize,
    /// Of which from the lo pass.
    pub num_input_lo: usize,
    /// Of which from the hi pass.
    pub num_input_hi: usize,
    /// Of which from the FFA search.
    #[serde(default)]
    pub num_input_ffa: usize,
    /// Candidates that became DM hits of a stronger detection of the same
    /// signal (duplicates, and same-frequency candidates of the other pass).
    pub num_duplicates: usize,
    /// Sifted candidates: PALFA's "Num cands produced" (the length of `.accelcands`).
    pub num_produced: usize,
    /// Sifted candidates with sigma ≥ `fold_sigma`: PALFA's "Num cands above threshold".
    pub num_above_threshold: usize,
    /// The `fold_sigma` used for `num_above_threshold`.
    pub fold_sigma: f64,
    /// Distinct searched DMs.
    pub num_searched_dms: usize,
}

impl SiftResult {
    /// Rejected candidates of one kind.
    pub fn count(&self, kind: RejectKind) -> usize {
        self.rejected.iter().filter(|r| r.reason.kind() == kind).count()
    }

    /// Rejected candidates of every kind, in [`RejectKind::ALL`] order.
    pub fn counts(&self) -> Vec<(RejectKind, usize)> {
        let mut n = [0usize; RejectKind::ALL.len()];
        for r in &self.rejected {
            if let Some(i) = RejectKind::ALL.iter().position(|&k| k == r.reason.kind()) {
                n[i] += 1;
            }
        }
        RejectKind::ALL.iter().copied().zip(n).collect()
    }

    /// The candidates to fold, in rank order: sigma ≥ `fold_sigma`, at most `max`.
    pub fn to_fold(&self, max: usize) -> impl Iterator<Item = &SiftedCandidate> {
        let threshold = self.fold_sigma;
        self.candidates.iter().filter(move |c| c.sigma() >= threshold).take(max)
    }
}

/// Sifts the lo- and hi-pass candidates of every DM trial of a beam:
/// [`sift_all`] with no FFA candidates.
///
/// # Errors
/// As [`sift_all`].
pub fn sift(
    lo: Vec<AccelCandidate>,
    hi: Vec<AccelCandidate>,
    searched_dms: &[f64],
    cfg: &SiftConfig,
) -> SearchResult<SiftResult> {
    sift_all(lo, hi, Vec::new(), searched_dms, &[], cfg)
}

/// Sifts the lo-pass, hi-pass and FFA candidates of every DM trial of a beam.
///
/// `searched_dms` lists every DM trial searched (in any order); a hit's place
/// in it decides which DMs are neighbours. The FFA may search a subset of
/// them, `ffa_dms` (empty: all); its candidates' neighbours are taken there.
/// Candidates are numbered within each
/// pass and DM by decreasing search sigma, as in their ACCEL files. Which list a
/// candidate comes in decides its pass, whatever its `pass` field says. Each
/// pass is scored, deduplicated and DM-checked on its own; the survivors of all
/// three are then merged across harmonic relations (an FFA detection of a
/// pulsar the Fourier search also found, or of its harmonic, is a hit of the
/// stronger, not a second candidate).
///
/// # Errors
/// [`SearchError::Params`] if `cfg` fails [`SiftConfig::validate`] or a
/// searched DM is not finite. Bad candidates are not errors: they are rejected
/// as [`RejectReason::Invalid`] or [`RejectReason::UnknownDm`].
pub fn sift_all(
    lo: Vec<AccelCandidate>,
    hi: Vec<AccelCandidate>,
    ffa: Vec<AccelCandidate>,
    searched_dms: &[f64],
    ffa_dms: &[f64],
    cfg: &SiftConfig,
) -> SearchResult<SiftResult> {
    cfg.validate()?;
    let index = DmIndex::new(searched_dms)?;
    let ffa_index = if ffa_dms.is_empty() {
        index.clone()
    } else {
        DmIndex::new(ffa_dms)?
    };
    let (num_input_lo, num_input_hi, num_input_ffa) = (lo.len(), hi.len(), ffa.len());
    let mut rejected = Vec::new();
    let (mut all, dups_lo) = sift_pass(lo, AccelPass::Lo, &index, cfg, &mut rejected);
    let (hi_kept, dups_hi) = sift_pass(hi, AccelPass::Hi, &index, cfg, &mut rejected);
    let (ffa_kept, dups_ffa) = sift_pass(ffa, AccelPass::Ffa, &ffa_index, cfg, &mut rejected);
    all.extend(hi_kept);
    let (ffa_kept, dups_sub) = harmonics::remove_ffa_subharmonics(ffa_kept, &all, cfg, &mut rejected);
    all.extend(ffa_kept);
    let (mut candidates, merged) = harmonics::remove_harmonics(all, cfg, &mut rejected);
    candidates.sort_by(|a, b| by_rank(&a.stats, &b.stats));
    let num_above_threshold = candidates.iter().filter(|c| c.sigma() >= cfg.fold_sigma).count();
    Ok(SiftResult {
        num_produced: candidates.len(),
        candidates,
        rejected,
        num_input: num_input_lo + num_input_hi + num_input_ffa,
        num_input_lo,
        num_input_hi,
        num_input_ffa,
        num_duplicates: dups_lo + dups_hi + dups_ffa + dups_sub + merged,
        num_above_threshold,
        fold_sigma: cfg.fold_sigma,
        num_searched_dms: index.len(),
    })
}

/// One pass: score and reject singly, merge duplicates, check DMs.
fn sift_pass(
    cands: Vec<AccelCandidate>,
    pass: AccelPass,
    index: &DmIndex,
    cfg: &SiftConfig,
    rejected: &mut Vec<Rejected>,
) -> (Vec<SiftedCandidate>, usize) {
    let ids = number_candidates(&cands, pass);
    let scored: Vec<Scoring> = cands
        .into_par_iter()
        .zip(ids)
        .map(|(cand, id)| score(cand, id, index, cfg))
        .collect();
    let mut kept = Vec::new();
    for s in scored {
        match s {
            Scoring::Kept(k) => kept.push(k),
            Scoring::Rejected(r) => rejected.push(r),
        }
    }
    let (groups, absorbed) = dedupe::remove_duplicates(kept, cfg.r_err);
    let groups = dmcheck::remove_dm_problems(groups, index, cfg, rejected);
    (groups, absorbed)
}

/// The identity of each candidate: its number within its DM by decreasing
/// search sigma (ties: higher power), as accelsearch numbers its output.
fn number_candidates(cands: &[AccelCandidate], pass: AccelPass) -> Vec<CandId> {
    // Keys computed once; the index last makes the order total, as a stable sort's.
    let mut keyed: Vec<(i64, f64, f64, usize)> = cands
        .iter()
        .enumerate()
        .map(|(i, c)| (candidate::dm_key(c.dm), c.sigma, c.power, i))
        .collect();
    keyed.par_sort_unstable_by(|x, y| {
        x.0.cmp(&y.0)
            .then(y.1.total_cmp(&x.1))
            .then(y.2.total_cmp(&x.2))
            .then(x.3.cmp(&y.3))
    });
    let mut ids = vec![
        CandId {
            pass,
            dm: 0.0,
            candnum: 0
        };
        cands.len()
    ];
    let mut prev_key = None;
    let mut num = 0;
    for (key, _, _, i) in keyed {
        num = if prev_key == Some(key) { num + 1 } else { 1 };
        prev_key = Some(key);
        ids[i] = CandId {
            pass,
            dm: cands[i].dm,
            candnum: num,
        };
    }
    ids
}

/// The outcome of scoring one candidate.
enum Scoring {
    Kept(Scored),
    Rejected(Rejected),
}

/// Statistics and single-candidate rejections.
fn score(cand: AccelCandidate, id: CandId, index: &DmIndex, cfg: &SiftConfig) -> Scoring {
    let stats = SiftStats::from_harm_powers(&cand.harm_powers);
    let reason = match reject::check_valid(&cand) {
        Err(r) => Some(r),
        Ok(()) if index.position(cand.dm).is_none() => Some(RejectReason::UnknownDm),
        Ok(()) => reject::preliminary(&cand, &stats, cfg),
    };
    match reason {
        Some(reason) => Scoring::Rejected(Rejected {
            cand: CandSummary::new(&cand, id, stats),
            numhits: 1,
            hits: Vec::new(),
            reason,
        }),
        None => Scoring::Kept(Scored { cand, id, stats }),
    }
}
