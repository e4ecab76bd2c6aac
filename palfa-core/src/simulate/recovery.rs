//! What a search recovered of what was injected into a simulated beam: the
//! rules that match a [`Truth`] against a beam's [`SearchResults`].
//!
//! `palfa demo`, `palfa bench`, the examples and the Python bindings all judge
//! a search by these rules.

use serde::Serialize;

use super::{PulsarTruth, SinglePulseTruth, Truth};
use crate::formats::results::{PeriodicityCandidate, SearchResults, SinglePulseGroup};

/// How one injected signal came out of the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recovered {
    /// What was injected, in words.
    pub injected: String,
    /// What the search found, in words; `None` when it was missed.
    pub found: Option<String>,
    /// The matching periodicity candidate's number (`cand_num`), for a pulsar.
    pub candidate: Option<u32>,
}

/// The folded candidate that is `p`: not impulsive, and its frequency within
/// 1e-3 relative or two Fourier bins (2/T, `duration_s` = T) of the injected
/// one, whichever is wider (a slow pulsar in a short beam is only resolved to
/// about 1/T).
pub fn pulsar_candidate<'a>(
    r: &'a SearchResults,
    p: &PulsarTruth,
    duration_s: f64,
) -> Option<&'a PeriodicityCandidate> {
    let f = 1.0 / p.period_s;
    let tol = (1e-3 * f).max(2.0 / duration_s);
    r.candidates
        .iter()
        .find(|c| (1.0 / c.period_s - f).abs() < tol && !c.impulsive)
}

/// The single-pulse group that is `sp`: within 50 ms, and within 10% + 5
/// pc cm⁻³ in DM.
pub fn single_pulse_group<'a>(r: &'a SearchResults, sp: &SinglePulseTruth) -> Option<&'a SinglePulseGroup> {
    r.single_pulses
        .groups
        .iter()
        .find(|g| (g.time_s - sp.time_s).abs() < 0.05 && (g.dm - sp.dm).abs() < 0.1 * sp.dm + 5.0)
}

/// Every injected pulsar and single pulse of `t`, matched against `r`.
/// Single pulses placed beyond the end of a shortened beam were never
/// injected and are left out.
pub fn compare(t: &Truth, r: &SearchResults) -> Vec<Recovered> {
    let mut out = Vec::new();
    for p in &t.pulsars {
        let c = pulsar_candidate(r, p, t.duration_s);
        out.push(Recovered {
            injected: format!("pulsar P {:.4} ms DM {:.1}", p.period_s * 1e3, p.dm),
            found: c.map(|c| {
                format!(
                    "candidate #{} (P {:.6} ms, DM {:.2}, z {:.1}, fold {:.1} sigma)",
                    c.cand_num,
                    c.period_s * 1e3,
                    c.dm,
                    c.z,
                    c.prepfold_sigma
                )
            }),
            candidate: c.map(|c| c.cand_num),
        });
    }
    for sp in t.single_pulses.iter().filter(|sp| sp.time_s < t.duration_s) {
        out.push(Recovered {
            injected: format!("single pulse t {:.2} s DM {:.0}", sp.time_s, sp.dm),
            found: single_pulse_group(r, sp)
                .map(|g| format!("t {:.3} s DM {:.1}, {:.1} sigma", g.time_s, g.dm, g.sigma)),
            candidate: None,
        });
    }
    out
}
