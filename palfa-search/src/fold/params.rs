//! What to fold and how: [`FoldRequest`] (one candidate), [`FoldParams`] (its
//! bins, sub-integrations and search grid, by default PALFA's per-period table)
//! and [`FoldConfig`] (settings shared by every candidate of a beam).

use palfa_core::config::Searching;
use serde::{Deserialize, Serialize};

use crate::candidate::AccelCandidate;

/// Spectra read per streaming step (the step grows to twice the largest
/// intra-subband dispersion delay if that is longer). 8192 spectra of 960
/// channels are 31 MB as `f32`.
pub const DEFAULT_BLOCK_SPECTRA: usize = 2048;

/// Sub-integrations holding the most signal that [`ImpulsiveRule`] sets aside.
pub const DEFAULT_IMPULSIVE_TOP_PARTS: usize = 2;

/// Largest fraction of the profile's signal the brightest sub-integrations may
/// hold before a fold is called impulsive.
pub const DEFAULT_IMPULSIVE_MAX_FRACTION: f64 = 0.5;

/// Combined S/N the brightest sub-integrations must reach before a fold can be
/// called impulsive (so that noise folds, whose brightest parts are ~2σ, are not).
pub const DEFAULT_IMPULSIVE_MIN_TOP_SNR: f64 = 5.0;

/// Fewest sub-integrations for which the impulsiveness rule is applied.
pub const MIN_PARTS_FOR_IMPULSIVE_TEST: usize = 6;

/// How one candidate is folded and searched: one row of the PALFA recipe's
/// table (pipeline2.0 `PALFA2_presto_search.py`), in prepfold's terms.
///
/// The searched grid (prepfold's): `2·npfact·nbins + 1` periods spaced so that
/// neighbours drift apart by `pstep` bins over the observation, as many period
/// derivatives spaced by `pdstep` bins of quadratic drift, and
/// `2·ndmfact·nbins + 1` DMs spaced by `dmstep` bins of delay at the lowest
/// channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldParams {
    /// Profile bins (`-n`).
    pub nbins: usize,
    /// Sub-integrations (`-npart`).
    pub npart: usize,
    /// Period / period-derivative trial factor (`-npfact`).
    pub npfact: usize,
    /// DM trial factor (`-ndmfact`).
    pub ndmfact: usize,
    /// Period step \[bins\] (`-pstep`).
    pub pstep: usize,
    /// Period-derivative step \[bins\] (`-pdstep`).
    pub pdstep: usize,
    /// DM step \[bins\] (`-dmstep`).
    pub dmstep: usize,
    /// Search over period (off: `-nopsearch`).
    pub search_p: bool,
    /// Search over period derivative (off: `-nopdsearch`).
    pub search_pdot: bool,
    /// Search over DM (off: `-nodmsearch`).
    pub search_dm: bool,
}

impl FoldParams {
    /// PALFA's choice by period \[s\]:
    ///
    /// | period | bins | npfact | ndmfact | npart | steps (p, pd, dm) | search |
    /// |---|---|---|---|---|---|---|
    /// | < 2 ms | 24 | 2 | 2 | 50 | 2, 4, 2 (prepfold defaults) | P, Pdot, DM |
    /// | < 50 ms | 50 | 2 | 1 | 40 | 1, 2, 3 | P, Pdot, DM |
    /// | < 0.5 s | 100 | 1 | 1 | 30 | 1, 2, 1 | P, Pdot |
    /// | ≥ 0.5 s | 200 | 1 | 1 | 30 | 1, 2, 1 | P |
    ///
    /// (The recipe's command line for P < 2 ms names `-ndmfact` twice, 3 then 2;
    /// prepfold keeps the last, so 2 is what PALFA ran.)
    ///
    /// ```
    /// use palfa_search::fold::FoldParams;
    /// let p = FoldParams::palfa_for_period(0.0041573);
    /// assert_eq!((p.nbins, p.npart, p.dmstep), (50, 40, 3));
    /// assert!(!FoldParams::palfa_for_period(0.7139).search_pdot);
    /// ```
    pub fn palfa_for_period(period_s: f64) -> Self {
        let row = |nbins, npfact, ndmfact, npart, (pstep, pdstep, dmstep), search_pdot, search_dm| Self {
            nbins,
            npart,
            npfact,
            ndmfact,
            pstep,
            pdstep,
            dmstep,
            search_p: true,
            search_pdot,
            search_dm,
        };
        if period_s < 0.002 {
            row(24, 2, 2, 50, (2, 4, 2), true, true)
        } else if period_s < 0.05 {
            row(50, 2, 1, 40, (1, 2, 3), true, true)
        } else if period_s < 0.5 {
            row(100, 1, 1, 30, (1, 2, 1), true, false)
        } else {
            row(200, 1, 1, 30, (1, 2, 1), false, false)
        }
    }

    /// Period (and period-derivative) trials: `2·npfact·nbins + 1`.
    pub fn num_p_trials(&self) -> usize {
        2 * self.npfact * self.nbins + 1
    }

    /// DM trials: `2·ndmfact·nbins + 1`.
    pub fn num_dm_trials(&self) -> usize {
        2 * self.ndmfact * self.nbins + 1
    }
}

/// One candidate to fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldRequest {
    /// Candidate name, written into the `.pfd` (e.g. `ACCEL_Cand_3`).
    pub label: String,
    /// Topocentric period at the first sample of the beam \[s\].
    pub period_s: f64,
    /// Period derivative \[s/s\].
    pub pdot: f64,
    /// DM to fold at \[pc cm⁻³\].
    pub dm: f64,
    /// Significance from the periodicity search \[σ\]; chooses which candidates are folded.
    pub sigma_search: f64,
    /// Bins, parts and search grid; `None`: [`FoldParams::palfa_for_period`].
    pub params: Option<FoldParams>,
    /// 1σ uncertainty of the spin frequency averaged over the observation, as
    /// the periodicity search measured it \[Hz\]. When given, the period search
    /// keeps to trials whose average frequency (f₀ + Δf + (ḟ₀ + Δḟ)·T/2) is
    /// within [`FREQ_BOX_SIGMAS`] σ of the search's (at least
    /// [`MIN_FREQ_BOX_TURNS`] turns, and two period steps, of drift over the
    /// fold): the fold refines the candidate, it cannot trade it for a periodic
    /// signal nearby (a mains harmonic that a slow pulsar's period divides,
    /// say). The Ṗ search stays free: an acceleration moves f₀, not the average.
    /// `None` (prepfold's behaviour): the whole grid.
    #[serde(default)]
    pub freq_err_hz: Option<f64>,
}

/// Half-width of the period search around a candidate's frequency, in units
/// of its uncertainty ([`FoldRequest::freq_err_hz`]).
pub const FREQ_BOX_SIGMAS: f64 = 5.0;

/// The narrowest period search around a candidate's frequency: ± this many
/// turns of phase drift over the fold (prepfold's grid spans ±`npfact·pstep`).
pub const MIN_FREQ_BOX_TURNS: f64 = 0.02;

impl FoldRequest {
    /// A request with PALFA's parameters for its period.
    pub fn new(label: impl Into<String>, period_s: f64, pdot: f64, dm: f64, sigma_search: f64) -> Self {
        Self {
            label: label.into(),
            period_s,
            pdot,
            dm,
            sigma_search,
            params: None,
            freq_err_hz: None,
        }
    }

    /// A request for an acceleration-search candidate, named `label`.
    ///
    /// Its `r` and `z` are taken as averages over the observation, as PRESTO's
    /// accelsearch reports them; prepfold's conversion to the values at the first
    /// sample is applied: f₀ = (r − z/2)/T, ḟ = z/T².
    ///
    /// Its frequency uncertainty ([`freq_err_hz`](Self::freq_err_hz)) comes from
    /// the harmonics' powers: harmonic k of signal power P_k (normalised power
    /// less the noise's 1) measures k·r to 3/(π·√(6·P_k)) bins (Ransom,
    /// Eikenberry & Middleditch 2002), so r, the average over the observation,
    /// is known to 3/(π·√(6·Σk²P_k)) bins whatever z is.
    pub fn from_accel(cand: &AccelCandidate, label: impl Into<String>) -> Self {
        let t = cand.t_obs_s;
        let f0 = (cand.r - 0.5 * cand.z) / t;
        let fdot = cand.z / (t * t);
        Self {
            freq_err_hz: accel_freq_err_hz(cand),
            ..Self::new(label, 1.0 / f0, -fdot / (f0 * f0), cand.dm, cand.sigma)
        }
    }

    /// The parameters used for this request.
    pub fn fold_params(&self) -> FoldParams {
        self.params
            .unwrap_or_else(|| FoldParams::palfa_for_period(self.period_s))
    }
}

/// The 1σ uncertainty of `cand`'s average frequency \[Hz\] (see
/// [`FoldRequest::from_accel`]); `None` without signal power to measure it by.
fn accel_freq_err_hz(cand: &AccelCandidate) -> Option<f64> {
    let weighted: f64 = cand
        .harm_powers
        .iter()
        .enumerate()
        .map(|(i, &p)| ((i + 1) as f64).powi(2) * (p - 1.0).max(0.0))
        .sum();
    if !(weighted > 0.0 && weighted.is_finite() && cand.t_obs_s > 0.0) {
        return None;
    }
    let sigma_r = 3.0 / (std::f64::consts::PI * (6.0 * weighted).sqrt());
    Some(sigma_r / cand.t_obs_s)
}

/// The rule that flags folds whose signal comes from a few sub-integrations.
///
/// Each sub-integration's matched-filter S/N against the profile of the others
/// is measured; if the `top_parts` highest hold more than `max_fraction` of the
/// summed positive S/N and are significant together (combined S/N at least
/// `min_top_snr`), the fold is impulsive (two bright single pulses folded at a
/// common period, say) rather than a steady pulsar, whose signal grows by
/// about `1/npart` per sub-integration. Folds with fewer than
/// [`MIN_PARTS_FOR_IMPULSIVE_TEST`] sub-integrations holding data are never flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImpulsiveRule {
    /// Brightest sub-integrations set aside.
    pub top_parts: usize,
    /// Largest fraction of the signal they may hold.
    pub max_fraction: f64,
    /// Combined S/N they must reach to count.
    pub min_top_snr: f64,
}

impl Default for ImpulsiveRule {
    fn default() -> Self {
        Self {
            top_parts: DEFAULT_IMPULSIVE_TOP_PARTS,
            max_fraction: DEFAULT_IMPULSIVE_MAX_FRACTION,
            min_top_snr: DEFAULT_IMPULSIVE_MIN_TOP_SNR,
        }
    }
}

/// Settings shared by every fold of a beam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldConfig {
    /// Only candidates with `sigma_search ≥ min_sigma` are folded (`to_prepfold_sigma`).
    pub min_sigma: f64,
    /// At most this many candidates, the most significant first (`max_cands_to_fold`).
    pub max_cands: usize,
    /// Subbands (`-nsub`); if it does not divide the channel count, the largest
    /// divisor of the channel count below it is used.
    pub nsub: usize,
    /// Spectra read per streaming step.
    pub block_spectra: usize,
    /// prepfold's time-domain clipping of the zero-DM series \[σ\] (0: off); see `clip`.
    pub clip_sigma: f64,
    /// When a fold is flagged as impulsive.
    pub impulsive: ImpulsiveRule,
}

impl Default for FoldConfig {
    /// From the default `[searching]` section (PALFA's: 6σ, at most 100
    /// candidates, 96 subbands, prepfold's `-clip 6`).
    fn default() -> Self {
        Self::from_searching(&Searching::default())
    }
}

impl FoldConfig {
    /// Settings from the `[searching]` configuration: `to_prepfold_sigma`,
    /// `max_cands_to_fold`, the subband count `nsub` and the clipping level
    /// `rfifind_clip`; the rest are defaults.
    pub fn from_searching(s: &Searching) -> Self {
        Self {
            min_sigma: s.to_prepfold_sigma,
            max_cands: s.max_cands_to_fold,
            nsub: s.dedisp.nsub,
            clip_sigma: s.rfi.clip_sigma,
            block_spectra: DEFAULT_BLOCK_SPECTRA,
            impulsive: ImpulsiveRule::default(),
        }
    }

    /// The requests that are folded: those at or above `min_sigma`, most
    /// significant first, at most `max_cands` (ties keep their input order; a NaN
    /// sigma is never folded).
    pub fn select<'a>(&self, requests: &'a [FoldRequest]) -> Vec<&'a FoldRequest> {
        let mut chosen: Vec<&FoldRequest> = requests.iter().filter(|r| r.sigma_search >= self.min_sigma).collect();
        chosen.sort_by(|a, b| b.sigma_search.total_cmp(&a.sigma_search));
        chosen.truncate(self.max_cands);
        chosen
    }
}

/// The subband count actually used for `nchans` channels when `wanted` are asked
/// for: the largest divisor of `nchans` not above `wanted` (at least 1).
pub fn usable_nsub(nchans: usize, wanted: usize) -> usize {
    let w = wanted.clamp(1, nchans.max(1));
    (1..=w).rev().find(|d| nchans.is_multiple_of(*d)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_and_trial_counts() {
        let p = FoldParams::palfa_for_period(0.0015);
        assert_eq!((p.nbins, p.npfact, p.ndmfact, p.npart), (24, 2, 2, 50));
        assert_eq!((p.num_p_trials(), p.num_dm_trials()), (97, 97));
        let p = FoldParams::palfa_for_period(0.2);
        assert!(p.search_pdot && !p.search_dm);
        assert_eq!(p.num_p_trials(), 201);
        let p = FoldParams::palfa_for_period(2.0);
        assert!(p.search_p && !p.search_pdot && !p.search_dm);
        assert_eq!(p.nbins, 200);
    }

    #[test]
    fn selection_by_sigma_and_count() {
        let reqs: Vec<FoldRequest> = [5.0, 9.0, 6.0, 12.0, 7.0]
            .iter()
            .enumerate()
            .map(|(i, &s)| FoldRequest::new(format!("c{i}"), 0.01, 0.0, 10.0, s))
            .collect();
        let cfg = FoldConfig {
            max_cands: 3,
            ..FoldConfig::default()
        };
        let got: Vec<&str> = cfg.select(&reqs).iter().map(|r| r.label.as_str()).collect();
        assert_eq!(got, ["c3", "c1", "c4"]);
    }

    #[test]
    fn nsub_divides_channels() {
        assert_eq!(usable_nsub(960, 96), 96);
        assert_eq!(usable_nsub(256, 96), 64);
        assert_eq!(usable_nsub(7, 96), 7);
        assert_eq!(usable_nsub(7, 3), 1);
    }

    #[test]
    fn accel_candidate_conversion() {
        let c = AccelCandidate {
            dm: 50.0,
            r: 1000.0,
            z: 20.0,
            numharm: 4,
            sigma: 8.0,
            power: 50.0,
            coherent_power: 40.0,
            harm_powers: vec![],
            t_obs_s: 100.0,
            pass: crate::candidate::AccelPass::Hi,
            pulse_width_s: None,
        };
        let r = FoldRequest::from_accel(&c, "x");
        assert!((1.0 / r.period_s - 9.9).abs() < 1e-12);
        let fdot = 20.0 / 1e4;
        assert!((r.pdot + fdot / (9.9 * 9.9)).abs() < 1e-15);
    }
}
