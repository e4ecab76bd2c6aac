//! Why candidates are rejected, and the preliminary (per-candidate) rejections
//! of PRESTO sifting's `read_candidates`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::candidate::{CandId, CandSummary, DmHit, SiftStats};
use super::SiftConfig;
use crate::candidate::AccelCandidate;

/// Why a candidate was rejected, with the numbers behind the decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    /// Values that cannot describe a signal (non-finite, r ≤ 0, no harmonic powers…).
    Invalid {
        /// What is wrong.
        what: InvalidField,
    },
    /// Its DM is not one of the searched DMs, so its place in the DM list is unknown.
    UnknownDm,
    /// Period above the longest allowed.
    LongPeriod {
        /// The longest period kept \[s\].
        limit_s: f64,
    },
    /// Period below the shortest allowed.
    ShortPeriod {
        /// The shortest period kept \[s\].
        limit_s: f64,
    },
    /// Single-trial sigma below the threshold (and, for one harmonic, coherent
    /// power below its threshold too).
    Threshold {
        /// The sigma threshold.
        sigma_threshold: f64,
        /// The coherent-power threshold (it rescues single-harmonic candidates).
        c_pow_threshold: f64,
    },
    /// No harmonic reaches the harmonic power cutoff.
    HarmPowCutoff {
        /// The largest harmonic power.
        max_power: f64,
        /// The cutoff.
        cutoff: f64,
    },
    /// A single high-numbered harmonic dominates the power.
    RogueHarmonic {
        /// The dominating harmonic (1 = fundamental).
        harmonic: usize,
        /// Its power.
        power: f64,
        /// The next-largest harmonic power.
        next_power: f64,
    },
    /// Seen at fewer DMs than needed.
    TooFewHits {
        /// DMs it was seen at.
        hits: usize,
        /// DMs needed.
        needed: usize,
    },
    /// Its best detection is at or below the low-DM cutoff (terrestrial).
    LowDm {
        /// The cutoff \[pc cm⁻³\].
        cutoff: f64,
    },
    /// No two of its hits are at neighbouring searched DMs.
    DmGap {
        /// The smallest step, in searched-DM positions, between two of its hits.
        min_index_gap: usize,
    },
    /// A harmonically related frequency of a stronger candidate (an FFA
    /// detection: of a Fourier candidate whose period the FFA did not
    /// search, whatever its sigma): f ≈ (num/den)·f_fundamental.
    Harmonic {
        /// The stronger candidate.
        of: CandId,
        /// Its period \[s\].
        of_period_s: f64,
        /// Numerator of the ratio.
        num: u32,
        /// Denominator of the ratio.
        den: u32,
    },
}

/// What makes a candidate invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidField {
    /// The DM is NaN or infinite.
    Dm,
    /// r is not a positive number.
    R,
    /// The observation length is not positive.
    TObs,
    /// z or the coherent power is not finite.
    ZOrCoherentPower,
    /// There are no harmonic powers.
    NoHarmonics,
    /// The number of harmonic powers differs from numharm.
    HarmonicCount,
    /// A harmonic power is not finite.
    HarmonicPower,
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvalidField::Dm => "the DM is not finite",
            InvalidField::R => "r is not a positive number",
            InvalidField::TObs => "the observation length is not positive",
            InvalidField::ZOrCoherentPower => "z or the coherent power is not finite",
            InvalidField::NoHarmonics => "there are no harmonic powers",
            InvalidField::HarmonicCount => "the number of harmonic powers differs from numharm",
            InvalidField::HarmonicPower => "a harmonic power is not finite",
        })
    }
}

/// The kind of a [`RejectReason`], for counting and plotting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RejectKind {
    /// [`RejectReason::Invalid`] and [`RejectReason::UnknownDm`].
    Invalid,
    /// [`RejectReason::LongPeriod`].
    LongPeriod,
    /// [`RejectReason::ShortPeriod`].
    ShortPeriod,
    /// [`RejectReason::Threshold`].
    Threshold,
    /// [`RejectReason::HarmPowCutoff`].
    HarmPowCutoff,
    /// [`RejectReason::RogueHarmonic`].
    RogueHarmonic,
    /// [`RejectReason::Harmonic`].
    Harmonic,
    /// [`RejectReason::TooFewHits`].
    TooFewHits,
    /// [`RejectReason::LowDm`].
    LowDm,
    /// [`RejectReason::DmGap`].
    DmGap,
}

impl RejectKind {
    /// Every kind, in the order of the sifting summary.
    pub const ALL: [RejectKind; 10] = [
        RejectKind::Invalid,
        RejectKind::ShortPeriod,
        RejectKind::LongPeriod,
        RejectKind::Threshold,
        RejectKind::HarmPowCutoff,
        RejectKind::RogueHarmonic,
        RejectKind::Harmonic,
        RejectKind::TooFewHits,
        RejectKind::LowDm,
        RejectKind::DmGap,
    ];

    /// A short label (plots and summaries).
    pub fn label(self) -> &'static str {
        match self {
            RejectKind::Invalid => "Invalid / unknown DM",
            RejectKind::LongPeriod => "Long period",
            RejectKind::ShortPeriod => "Short period",
            RejectKind::Threshold => "Threshold",
            RejectKind::HarmPowCutoff => "Harm power cutoff",
            RejectKind::RogueHarmonic => "Rogue harm power",
            RejectKind::Harmonic => "Harmonic cand",
            RejectKind::TooFewHits => "DM: too few hits",
            RejectKind::LowDm => "DM: below cutoff",
            RejectKind::DmGap => "DM: gaps in hits",
        }
    }

    /// Whether this is one of PRESTO's "DM problems".
    pub fn is_dm_problem(self) -> bool {
        matches!(self, RejectKind::TooFewHits | RejectKind::LowDm | RejectKind::DmGap)
    }
}

impl RejectReason {
    /// Its kind.
    pub fn kind(&self) -> RejectKind {
        match self {
            RejectReason::Invalid { .. } | RejectReason::UnknownDm => RejectKind::Invalid,
            RejectReason::LongPeriod { .. } => RejectKind::LongPeriod,
            RejectReason::ShortPeriod { .. } => RejectKind::ShortPeriod,
            RejectReason::Threshold { .. } => RejectKind::Threshold,
            RejectReason::HarmPowCutoff { .. } => RejectKind::HarmPowCutoff,
            RejectReason::RogueHarmonic { .. } => RejectKind::RogueHarmonic,
            RejectReason::Harmonic { .. } => RejectKind::Harmonic,
            RejectReason::TooFewHits { .. } => RejectKind::TooFewHits,
            RejectReason::LowDm { .. } => RejectKind::LowDm,
            RejectReason::DmGap { .. } => RejectKind::DmGap,
        }
    }
}

/// A rejected candidate, kept for the report and the rejects plot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejected {
    /// The candidate (for a merged group, its best detection).
    pub cand: CandSummary,
    /// DMs it was seen at (1 for a candidate rejected before duplicates were merged).
    pub numhits: usize,
    /// Its hits, for a merged group; empty for a candidate rejected on its own.
    pub hits: Vec<DmHit>,
    /// Why.
    pub reason: RejectReason,
}

impl Rejected {
    /// A one-line explanation, as in the sifting report's "Note:".
    pub fn note(&self) -> String {
        NoteFor(self).to_string()
    }
}

struct NoteFor<'a>(&'a Rejected);

impl fmt::Display for NoteFor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.0.cand;
        let p_ms = c.period_s() * 1e3;
        match self.0.reason {
            RejectReason::Invalid { what } => write!(f, "Invalid candidate: {what}"),
            RejectReason::UnknownDm => write!(f, "DM {:.2} is not one of the searched DMs", c.id.dm),
            RejectReason::LongPeriod { limit_s } => {
                write!(f, "Period is too long ({p_ms:.6} ms > {} ms)", limit_s * 1e3)
            }
            RejectReason::ShortPeriod { limit_s } => {
                write!(f, "Period is too short ({p_ms:.6} ms < {} ms)", limit_s * 1e3)
            }
            RejectReason::Threshold {
                sigma_threshold,
                c_pow_threshold,
            } => {
                if c.numharm == 1 {
                    write!(
                        f,
                        "Only 1 harmonic and both sigma ({:.3} < {sigma_threshold}) and coherent power ({:.1} < {c_pow_threshold}) are too low",
                        c.stats.sigma, c.cpow
                    )
                } else {
                    write!(
                        f,
                        "{} harmonics and sigma ({:.3} < {sigma_threshold}) is too low",
                        c.numharm, c.stats.sigma
                    )
                }
            }
            RejectReason::HarmPowCutoff { max_power, cutoff } => {
                write!(f, "All harmonics have power < {cutoff} (largest {max_power:.2})")
            }
            RejectReason::RogueHarmonic {
                harmonic,
                power,
                next_power,
            } => write!(
                f,
                "High-numbered harmonic ({harmonic}) has too much power ({power:.1} vs next {next_power:.1})"
            ),
            RejectReason::TooFewHits { hits, needed } => write!(
                f,
                "Candidate has only {hits} DM hits, fewer than the minimum for 'good' cands ({needed} hits)"
            ),
            RejectReason::LowDm { cutoff } => write!(
                f,
                "Hit with max sigma ({:.2}) has DM ({:.2}) <= low DM cutoff ({cutoff:.2})",
                c.stats.sigma, c.id.dm
            ),
            RejectReason::DmGap { min_index_gap } => write!(
                f,
                "DM list of hits has gaps (consecutive DMs don't have hits; smallest step {min_index_gap} DM trials)"
            ),
            RejectReason::Harmonic {
                of,
                of_period_s,
                num,
                den,
            } => write!(
                f,
                "This candidate (P={:.4} s, DM={:.2}) is a harmonic ({num}/{den}) of DM{:.2}:{} ({:?}, P={:.4} s)",
                c.period_s(),
                c.id.dm,
                of.dm,
                of.candnum,
                of.pass,
                of_period_s
            ),
        }
    }
}

/// Checks that a candidate can be sifted at all.
pub(crate) fn check_valid(c: &AccelCandidate) -> Result<(), RejectReason> {
    let what = if !c.dm.is_finite() {
        InvalidField::Dm
    } else if !(c.r.is_finite() && c.r > 0.0) {
        InvalidField::R
    } else if !(c.t_obs_s.is_finite() && c.t_obs_s > 0.0) {
        InvalidField::TObs
    } else if !c.z.is_finite() || !c.coherent_power.is_finite() {
        InvalidField::ZOrCoherentPower
    } else if c.harm_powers.is_empty() {
        InvalidField::NoHarmonics
    } else if c.harm_powers.len() != c.numharm {
        InvalidField::HarmonicCount
    } else if c.harm_powers.iter().any(|p| !p.is_finite()) {
        InvalidField::HarmonicPower
    } else {
        return Ok(());
    };
    Err(RejectReason::Invalid { what })
}

/// PRESTO's preliminary rejections, in its order: long period, short period,
/// threshold, harmonic power cutoff, rogue harmonic. `None` keeps the candidate.
pub(crate) fn preliminary(c: &AccelCandidate, stats: &SiftStats, cfg: &SiftConfig) -> Option<RejectReason> {
    let p = c.period_s();
    let long = cfg.long_period_for(c.pass);
    if p > long {
        return Some(RejectReason::LongPeriod { limit_s: long });
    }
    if p < cfg.short_period_s {
        return Some(RejectReason::ShortPeriod {
            limit_s: cfg.short_period_s,
        });
    }
    let below = stats.sigma < cfg.sigma_threshold;
    if (c.numharm == 1 && below && c.coherent_power < cfg.c_pow_threshold) || (c.numharm > 1 && below) {
        return Some(RejectReason::Threshold {
            sigma_threshold: cfg.sigma_threshold,
            c_pow_threshold: cfg.c_pow_threshold,
        });
    }
    // Harmonic index (0-based) of the largest power, and the two largest powers.
    let (imax, max_power) =
        c.harm_powers.iter().copied().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |best, (i, p)| if p > best.1 { (i, p) } else { best },
        );
    if max_power < cfg.harm_pow_cutoff {
        return Some(RejectReason::HarmPowCutoff {
            max_power,
            cutoff: cfg.harm_pow_cutoff,
        });
    }
    let next_power = c
        .harm_powers
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != imax)
        .map(|(_, &p)| p)
        .fold(f64::NEG_INFINITY, f64::max);
    // A high harmonic alone carrying the power: 6th or higher of ≥ 8 with twice
    // the next, or 4th or higher of ≥ 4 with three times the next (PRESTO).
    let rogue = (c.numharm >= 8 && imax > 4 && max_power > 2.0 * next_power)
        || (c.numharm >= 4 && imax > 2 && max_power > 3.0 * next_power);
    if rogue {
        return Some(RejectReason::RogueHarmonic {
            harmonic: imax + 1,
            power: max_power,
            next_power,
        });
    }
    None
}
