//! The types sifting produces: a candidate's identity, its detections at each
//! DM, and the merged (sifted) candidate.

use serde::{Deserialize, Serialize};

use crate::candidate::{AccelCandidate, AccelPass};
use crate::stats::candidate_sigma;

/// Which acceleration-search candidate a sifted candidate stands for: PRESTO's
/// `<accelfile>:<candnum>`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CandId {
    /// The pass (lo or hi) that found it.
    pub pass: AccelPass,
    /// DM of the series it was found in \[pc cm⁻³\].
    pub dm: f64,
    /// 1-based number among the candidates of that pass and DM, by decreasing
    /// search sigma: its number in the ACCEL file of that series.
    pub candnum: usize,
}

impl CandId {
    /// PRESTO's ACCEL file name for it: `<base>_DM<dm>_ACCEL_<zmax>`, DM as
    /// `%.2f`; for an FFA detection `<base>_DM<dm>_FFA` (the series searched).
    pub fn accelfile(&self, base: &str, zmax: u32) -> String {
        match self.pass {
            AccelPass::Ffa => format!("{base}_DM{:.2}_FFA", self.dm),
            _ => format!("{base}_DM{:.2}_ACCEL_{zmax}", self.dm),
        }
    }
}

/// Fourier bins within which another detection is the same frequency as
/// `cand` (or, for the harmonic test, the predicted one): `r_err` for the
/// Fourier search; for the FFA, whose frequency is as precise as its pulse is
/// narrow (a drift of one pulse width over the observation is `duty` bins),
/// twice the duty cycle, at least 0.02 bins and at most `r_err`.
pub fn r_tolerance(cand: &AccelCandidate, r_err: f64) -> f64 {
    match (cand.pass, cand.pulse_width_s) {
        (AccelPass::Ffa, Some(w)) if w > 0.0 && cand.r > 0.0 => {
            let duty = w / cand.period_s();
            (2.0 * duty).clamp(0.02_f64.min(r_err), r_err)
        }
        _ => r_err,
    }
}

/// One detection of a sifted candidate: the DM of a series it was found in, with
/// its S/N and significance there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DmHit {
    /// DM \[pc cm⁻³\].
    pub dm: f64,
    /// Harmonic-summed S/N, Σ √max(p_h − 1, 0).
    pub snr: f64,
    /// Single-trial significance \[σ\].
    pub sigma: f64,
}

/// The statistics sifting uses, recomputed from a candidate's harmonic powers
/// as PALFA's `mysifting.py` does (not accelsearch's trials-corrected sigma).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SiftStats {
    /// Single-trial significance \[σ\]: `candidate_sigma(ipow, numharm, 1)`.
    pub sigma: f64,
    /// Harmonic-summed S/N, Σ √max(p_h − 1, 0).
    pub snr: f64,
    /// Incoherent power Σ p_h of the refined harmonics.
    pub ipow: f64,
}

impl SiftStats {
    /// The statistics of `harm_powers`, the normalised powers of harmonics 1..=n.
    pub fn from_harm_powers(harm_powers: &[f64]) -> Self {
        let ipow: f64 = harm_powers.iter().sum();
        let snr = harm_powers.iter().map(|p| (p - 1.0).max(0.0).sqrt()).sum();
        Self {
            sigma: candidate_sigma(ipow, harm_powers.len().max(1), 1.0),
            snr,
            ipow,
        }
    }
}

/// A compact, copyable description of one candidate (what the sifting report
/// and the plots need), kept for every rejected candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CandSummary {
    /// Which candidate.
    pub id: CandId,
    /// Sifting statistics.
    pub stats: SiftStats,
    /// Coherent power.
    pub cpow: f64,
    /// Harmonics summed.
    pub numharm: usize,
    /// Fourier frequency \[bins\].
    pub r: f64,
    /// Fourier-frequency derivative \[bins\].
    pub z: f64,
    /// Length of the series \[s\].
    pub t_obs_s: f64,
}

impl CandSummary {
    /// The summary of `cand`, identified as `id`, with statistics `stats`.
    pub fn new(cand: &AccelCandidate, id: CandId, stats: SiftStats) -> Self {
        Self {
            id,
            stats,
            cpow: cand.coherent_power,
            numharm: cand.numharm,
            r: cand.r,
            z: cand.z,
            t_obs_s: cand.t_obs_s,
        }
    }

    /// Spin frequency \[Hz\].
    pub fn freq_hz(&self) -> f64 {
        self.r / self.t_obs_s
    }

    /// Period \[s\].
    pub fn period_s(&self) -> f64 {
        self.t_obs_s / self.r
    }
}

/// A candidate that survived sifting: the best detection of one signal, with
/// every DM it was seen at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiftedCandidate {
    /// The acceleration-search candidate of the best detection (highest
    /// single-trial sigma over all hits).
    pub best: AccelCandidate,
    /// Which candidate `best` is.
    pub id: CandId,
    /// Sifting statistics of `best`: its sigma is the ranking key.
    pub stats: SiftStats,
    /// Every detection, one per DM (the strongest where several candidates
    /// merged at one DM), in increasing DM.
    pub hits: Vec<DmHit>,
}

impl SiftedCandidate {
    /// DM of the best detection \[pc cm⁻³\]: the highest-sigma hit over all hits.
    pub fn dm(&self) -> f64 {
        self.best.dm
    }

    /// The sigma-weighted mean DM of the hits within `within_sigma` of the
    /// best \[pc cm⁻³\]: the centre of a flat-topped DM curve (a slow
    /// pulsar's S/N hardly changes over many DM trials, so its best hit is
    /// wherever the noise put it). The best hit's DM if there are no hits.
    pub fn dm_centroid(&self, within_sigma: f64) -> f64 {
        let floor = self.stats.sigma - within_sigma;
        let (w, wdm) = self
            .hits
            .iter()
            .filter(|h| h.sigma >= floor && h.sigma.is_finite() && h.dm.is_finite())
            .fold((0.0, 0.0), |(w, wdm), h| (w + h.sigma, wdm + h.sigma * h.dm));
        if w > 0.0 {
            wdm / w
        } else {
            self.dm()
        }
    }

    /// Single-trial significance of the best detection \[σ\].
    pub fn sigma(&self) -> f64 {
        self.stats.sigma
    }

    /// Harmonic-summed S/N of the best detection.
    pub fn snr(&self) -> f64 {
        self.stats.snr
    }

    /// Spin frequency \[Hz\].
    pub fn freq_hz(&self) -> f64 {
        self.best.freq_hz()
    }

    /// Period \[s\].
    pub fn period_s(&self) -> f64 {
        self.best.period_s()
    }

    /// Frequency derivative \[Hz/s\].
    pub fn fdot_hz_s(&self) -> f64 {
        self.best.fdot_hz_s()
    }

    /// Number of DMs it was detected at.
    pub fn numhits(&self) -> usize {
        self.hits.len()
    }

    /// Lowest and highest DM of its hits \[pc cm⁻³\].
    pub fn dm_range(&self) -> (f64, f64) {
        let lo = self.hits.first().map_or(self.dm(), |h| h.dm);
        let hi = self.hits.last().map_or(self.dm(), |h| h.dm);
        (lo, hi)
    }

    /// The compact description of its best detection.
    pub fn summary(&self) -> CandSummary {
        CandSummary::new(&self.best, self.id, self.stats)
    }
}

/// Merges `extra` hits into `hits`, keeping one hit per DM (the higher sigma,
/// then the higher S/N) and the result sorted by DM. DMs are compared to
/// 0.01 pc cm⁻³, as PRESTO compares its `%.2f` DM strings.
pub(crate) fn merge_hits(hits: &mut Vec<DmHit>, extra: impl IntoIterator<Item = DmHit>) {
    hits.extend(extra);
    hits.sort_by(|a, b| {
        dm_key(a.dm)
            .cmp(&dm_key(b.dm))
            .then(b.sigma.total_cmp(&a.sigma))
            .then(b.snr.total_cmp(&a.snr))
    });
    hits.dedup_by(|later, first| dm_key(later.dm) == dm_key(first.dm));
}

/// A DM as an integer number of 0.01 pc cm⁻³, the resolution of PRESTO's DM strings.
pub(crate) fn dm_key(dm: f64) -> i64 {
    (dm * 100.0).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_follow_palfa_sifting() {
        // 4 harmonics: ipow = Σp, S/N = Σ√(p−1) with negative terms as 0.
        let s = SiftStats::from_harm_powers(&[17.0, 10.0, 5.0, 0.5]);
        assert_eq!(s.ipow, 32.5);
        assert!((s.snr - (4.0 + 3.0 + 2.0)).abs() < 1e-12);
        assert!((s.sigma - candidate_sigma(32.5, 4, 1.0)).abs() < 1e-12);
    }

    #[test]
    fn hits_merge_one_per_dm() {
        let h = |dm, sigma| DmHit { dm, snr: sigma, sigma };
        let mut hits = vec![h(10.0, 5.0), h(10.2, 7.0)];
        merge_hits(&mut hits, [h(10.1, 6.0), h(10.2, 9.0), h(10.000001, 4.0)]);
        assert_eq!(hits, vec![h(10.0, 5.0), h(10.1, 6.0), h(10.2, 9.0)]);
    }
}
