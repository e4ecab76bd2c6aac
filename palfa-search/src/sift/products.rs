//! The files sifting leaves for the uploader, as PALFA's pipeline2.0 named them:
//! `<base>.accelcands` (the sifted list), `<base>.accelcands.summary` (counts
//! per rejection reason), `<base>.accelcands.report` (every rejected candidate
//! and why), `<base>.accelcands.rejects.png` and `<base>.accelcands.summary.png`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use palfa_core::formats::presto::accelcands::{self, AccelcandsEntry, AccelcandsHit, HEADER};

use super::candidate::{CandSummary, DmHit};
use super::harmonics::HarmonicTolerance;
use super::reject::RejectKind;
use super::{plot, SiftConfig, SiftResult};
use crate::error::{SearchError, SearchResult};

/// The paths of the sifting products of one beam.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiftProducts {
    /// `<base>.accelcands`.
    pub accelcands: PathBuf,
    /// `<base>.accelcands.summary`.
    pub summary: PathBuf,
    /// `<base>.accelcands.report` (PALFA gzipped it after writing).
    pub report: PathBuf,
    /// `<base>.accelcands.rejects.png`.
    pub rejects_png: PathBuf,
    /// `<base>.accelcands.summary.png`.
    pub summary_png: PathBuf,
}

impl SiftProducts {
    /// The paths for output base `base` (a path without suffix).
    pub fn for_base(base: &Path) -> Self {
        let with = |suffix: &str| {
            let mut s = base.as_os_str().to_os_string();
            s.push(suffix);
            PathBuf::from(s)
        };
        Self {
            accelcands: with(".accelcands"),
            summary: with(".accelcands.summary"),
            report: with(".accelcands.report"),
            rejects_png: with(".accelcands.rejects.png"),
            summary_png: with(".accelcands.summary.png"),
        }
    }
}

/// The file name of `base`, which names the ACCEL files and titles the plots.
fn base_name(base: &Path) -> String {
    base.file_name()
        .map_or_else(|| "beam".to_string(), |n| n.to_string_lossy().into_owned())
}

/// Writes the five products for output base `base` (directories must exist).
pub fn write_products(result: &SiftResult, cfg: &SiftConfig, base: &Path) -> SearchResult<SiftProducts> {
    let out = SiftProducts::for_base(base);
    let name = base_name(base);
    accelcands::write_accelcands(&out.accelcands, &accelcands_entries(result, cfg, &name))?;
    let write = |path: &Path, text: String| std::fs::write(path, text).map_err(|e| SearchError::io(path, e));
    write(&out.summary, summary_text(result, cfg))?;
    write(&out.report, report_text(result, cfg, &name))?;
    plot::plot_rejects(result, &out.rejects_png, &format!("{name} Rejected Cands"))?;
    plot::plot_summary(result, &out.summary_png, &format!("{name} Periodicity Summary"))?;
    Ok(out)
}

fn entry(c: &CandSummary, numhits: usize, hits: &[DmHit], cfg: &SiftConfig, base: &str) -> AccelcandsEntry {
    AccelcandsEntry {
        accelfile: c.id.accelfile(base, cfg.zmax(c.id.pass)),
        candnum: c.id.candnum,
        dm: c.id.dm,
        snr: c.stats.snr,
        sigma: c.stats.sigma,
        numharm: c.numharm,
        ipow: c.stats.ipow,
        cpow: c.cpow,
        period_s: c.period_s(),
        r: c.r,
        z: c.z,
        numhits,
        hits: hits
            .iter()
            .map(|h| AccelcandsHit {
                dm: h.dm,
                snr: h.snr,
                sigma: Some(h.sigma),
            })
            .collect(),
    }
}

/// The sifted candidates as `.accelcands` entries, in rank order; `base` is
/// the beam's base name, from which the ACCEL file names are made.
pub fn accelcands_entries(result: &SiftResult, cfg: &SiftConfig, base: &str) -> Vec<AccelcandsEntry> {
    result
        .candidates
        .iter()
        .map(|c| entry(&c.summary(), c.numhits(), &c.hits, cfg, base))
        .collect()
}

/// `.accelcands.summary`: PRESTO's counts, then palfa's details.
pub fn summary_text(result: &SiftResult, cfg: &SiftConfig) -> String {
    let n = |k| result.count(k);
    let dm_problems = n(RejectKind::TooFewHits) + n(RejectKind::LowDm) + n(RejectKind::DmGap);
    let mut s = String::new();
    let _ = writeln!(s, "   Candlist contains {} 'good' candidates", result.num_produced);
    let rows = [
        ("Known RFI rejects:", 0),
        ("Short period rejects:", n(RejectKind::ShortPeriod)),
        ("Long period rejects:", n(RejectKind::LongPeriod)),
        ("Missed threshold:", n(RejectKind::Threshold)),
        ("No good harmonics:", n(RejectKind::HarmPowCutoff)),
        ("One bad harmonic:", n(RejectKind::RogueHarmonic)),
        ("Duplicate candidates:", result.num_duplicates),
        ("Harmonic candidates:", n(RejectKind::Harmonic)),
        ("Candidates with DM problems:", dm_problems),
    ];
    for (label, count) in rows {
        let _ = writeln!(s, "      # {label:<29}{count}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "   Details (palfa)");
    let details = [
        (
            "Candidates read:",
            format!(
                "{} (lo {}, hi {})",
                result.num_input, result.num_input_lo, result.num_input_hi
            ),
        ),
        ("Searched DM trials:", result.num_searched_dms.to_string()),
        ("Invalid or unknown DM:", n(RejectKind::Invalid).to_string()),
        (
            "DM problem, too few hits:",
            format!("{} (fewer than {})", n(RejectKind::TooFewHits), cfg.numhits_to_fold),
        ),
        (
            "DM problem, best DM low:",
            format!("{} (DM <= {})", n(RejectKind::LowDm), cfg.low_dm_cutoff),
        ),
        ("DM problem, gaps in hits:", n(RejectKind::DmGap).to_string()),
        (
            "Above folding threshold:",
            format!("{} (sigma >= {})", result.num_above_threshold, result.fold_sigma),
        ),
    ];
    for (label, value) in details {
        let _ = writeln!(s, "      # {label:<29}{value}");
    }
    let tol = match cfg.harmonic_tolerance {
        HarmonicTolerance::Scaled => "scaled",
        HarmonicTolerance::Fixed => "fixed",
    };
    let _ = writeln!(
        s,
        "   Settings: sigma_threshold {} c_pow_threshold {} r_err {} short_period {} s long_period {} s harm_pow_cutoff {} numhits_to_fold {} low_DM_cutoff {} harmonic tolerance {tol}",
        cfg.sigma_threshold,
        cfg.c_pow_threshold,
        cfg.r_err,
        cfg.short_period_s,
        cfg.long_period_s,
        cfg.harm_pow_cutoff,
        cfg.numhits_to_fold,
        cfg.low_dm_cutoff
    );
    s
}

/// `.accelcands.report`: every rejected candidate, grouped by reason (in
/// [`RejectKind::ALL`] order) and by decreasing sigma within a reason, each
/// with a "Note:" saying why.
pub fn report_text(result: &SiftResult, cfg: &SiftConfig, base: &str) -> String {
    let mut order: Vec<usize> = (0..result.rejected.len()).collect();
    let rank_of = |k: RejectKind| RejectKind::ALL.iter().position(|&x| x == k).unwrap_or(usize::MAX);
    order.sort_by(|&a, &b| {
        let (x, y) = (&result.rejected[a], &result.rejected[b]);
        rank_of(x.reason.kind())
            .cmp(&rank_of(y.reason.kind()))
            .then(y.cand.stats.sigma.total_cmp(&x.cand.stats.sigma))
    });
    let mut s = String::with_capacity(260 * (order.len() + 1));
    s += HEADER;
    s.push('\n');
    for i in order {
        let r = &result.rejected[i];
        let line = entry(&r.cand, r.numhits, &[], cfg, base).candidate_line();
        let _ = write!(s, "{line}\n    Note: {}\n\n", r.note());
    }
    s
}
