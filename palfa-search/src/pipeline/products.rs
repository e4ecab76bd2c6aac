//! Writing the products of a whole-beam search into the results directory and
//! recording them in `results.json`.

use std::path::Path;

use rayon::prelude::*;

use palfa_core::config::Searching;
use palfa_core::formats::presto::SinglePulseEvent;
use palfa_core::formats::results::{
    CandidateSearch, PeriodicityCandidate, SearchResults, SinglePulseGroup as GroupEntry,
};

use crate::candidate::AccelPass;
use crate::error::{SearchError, SearchResult};
use crate::fold::{plot_fold, write_bestprof, write_pfd, FoldResult};
use crate::rate::Rating;
use crate::sift::{write_products, SiftConfig, SiftResult};
use crate::singlepulse::{group_events, plot_singlepulse, SinglePulseGroup};

/// Single-pulse groups kept in `results.json` (all events stay in the archive).
pub const MAX_SP_GROUPS: usize = 500;

/// DM ranges of the single-pulse plots, as the PALFA pipeline drew them.
const SP_PLOT_RANGES: [(f64, f64); 4] = [(0.0, 110.0), (100.0, 310.0), (300.0, 1100.0), (1000.0, f64::INFINITY)];

/// Lower edges of the DM ranges among which the kept single-pulse groups are
/// shared out (the plots' ranges, made disjoint).
const SP_GROUP_RANGES: [f64; 4] = [0.0, 100.0, 300.0, 1000.0];

/// The at most `max` single-pulse groups kept in `results.json` (`groups`
/// strongest first). Each DM range of [`SP_GROUP_RANGES`] that has groups
/// gets an equal share of the places, taken by its strongest groups, and
/// places a range leaves unused go to the strongest groups left anywhere: a
/// beam whose low DMs teem with mains or impulsive RFI cannot push a real
/// pulse at DM 300 out of the list. Groups reaching down to DM <=
/// `low_dm_cutoff` (undispersed, terrestrial) come after dispersed ones, in
/// choosing and in the order of the list.
fn select_groups(mut groups: Vec<SinglePulseGroup>, low_dm_cutoff: f64, max: usize) -> Vec<SinglePulseGroup> {
    groups.sort_by(|a, b| {
        (a.dm_min <= low_dm_cutoff)
            .cmp(&(b.dm_min <= low_dm_cutoff))
            .then(b.best.sigma.total_cmp(&a.best.sigma))
    });
    if groups.len() <= max {
        return groups;
    }
    let range_of = |g: &SinglePulseGroup| SP_GROUP_RANGES.iter().rposition(|&lo| g.best.dm >= lo).unwrap_or(0);
    let mut counts = [0usize; SP_GROUP_RANGES.len()];
    for g in &groups {
        counts[range_of(g)] += 1;
    }
    let share = max / counts.iter().filter(|&&n| n > 0).count().max(1);
    let mut taken = [0usize; SP_GROUP_RANGES.len()];
    let mut keep = vec![false; groups.len()];
    for (k, g) in groups.iter().enumerate() {
        let r = range_of(g);
        if taken[r] < share {
            taken[r] += 1;
            keep[k] = true;
        }
    }
    let mut left = max - keep.iter().filter(|&&k| k).count();
    for k in keep.iter_mut().filter(|k| !**k) {
        if left == 0 {
            break;
        }
        *k = true;
        left -= 1;
    }
    groups
        .into_iter()
        .zip(keep)
        .filter_map(|(g, k)| k.then_some(g))
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Groups, plots and archives the single-pulse events.
pub fn single_pulses(
    events: &[SinglePulseEvent],
    dms: &[f64],
    s: &Searching,
    sp_dir: &Path,
    res: &Path,
    name: &str,
    results: &mut SearchResults,
) -> SearchResult<()> {
    // The groups, the plots and the events archive are independent: made side by side.
    let top = dms.iter().copied().fold(0.0, f64::max);
    let ranges: Vec<(f64, f64)> = SP_PLOT_RANGES.into_iter().filter(|&(lo, _)| lo <= top).collect();
    let plot = |&(lo, hi): &(f64, f64)| -> SearchResult<String> {
        let in_range: Vec<SinglePulseEvent> = events.iter().filter(|e| e.dm >= lo && e.dm <= hi).cloned().collect();
        let label = if hi.is_finite() {
            format!("{lo:.0}-{hi:.0}")
        } else {
            format!("{lo:.0}+")
        };
        let png = format!("{name}_DMs{label}_singlepulse.png");
        plot_singlepulse(
            &in_range,
            s.singlepulse.plot_snr,
            &res.join(&png),
            &format!("{name}  DM {label}"),
        )?;
        Ok(png)
    };
    let archive = format!("{name}_singlepulse.tar");
    let write_archive = || -> SearchResult<()> {
        let path = res.join(&archive);
        let file = std::fs::File::create(&path).map_err(|e| SearchError::io(&path, e))?;
        let mut tar = tar::Builder::new(file);
        tar.append_dir_all("singlepulse", sp_dir)
            .map_err(|e| SearchError::io(&path, e))?;
        tar.finish().map_err(|e| SearchError::io(&path, e))
    };
    let (groups, (plots, archived)) = rayon::join(
        || select_groups(group_events(events, dms), s.low_dm_cutoff, MAX_SP_GROUPS),
        || {
            rayon::join(
                || ranges.par_iter().map(plot).collect::<SearchResult<Vec<String>>>(),
                write_archive,
            )
        },
    );
    let sp = &mut results.single_pulses;
    sp.threshold = s.singlepulse.threshold;
    sp.num_events = events.len() as u64;
    sp.groups = groups
        .iter()
        .map(|g| GroupEntry {
            dm: g.best.dm,
            time_s: g.best.time_s,
            sigma: g.best.sigma,
            downfact: g.best.downfact,
            num_events: g.events.len() as u32,
            dm_range: (g.dm_min, g.dm_max),
        })
        .collect();
    sp.plots = plots?;
    archived?;
    sp.events_archive = archive;
    Ok(())
}

/// Writes the sifting products and their diagnostics.
pub fn sifting(
    sifted: &SiftResult,
    cfg: &SiftConfig,
    res: &Path,
    name: &str,
    results: &mut SearchResults,
) -> SearchResult<()> {
    let p = write_products(sifted, cfg, &res.join(name))?;
    let d = &mut results.diagnostics;
    d.accelcands_list = file_name(&p.accelcands);
    d.sifting_summary = file_name(&p.summary);
    d.sifting_report = file_name(&p.report);
    d.rejected_cands_png = file_name(&p.rejects_png);
    d.periodicity_summary_png = file_name(&p.summary_png);
    d.num_cands_produced = sifted.num_produced as u32;
    d.num_cands_above_threshold = sifted.num_above_threshold as u32;
    Ok(())
}

/// Writes each fold's `.pfd`, `.bestprof` and plot, and the candidate records
/// with their ratings (`ratings[k]` for `folds[k]`).
pub fn folds(
    folds: &[FoldResult],
    ratings: &[Vec<Rating>],
    sifted: &SiftResult,
    res: &Path,
    name: &str,
    results: &mut SearchResults,
) -> SearchResult<()> {
    let mut min_sigma = f64::INFINITY;
    for (k, f) in folds.iter().enumerate() {
        let idx: usize = f
            .label
            .strip_prefix("ACCEL_Cand_")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| n.checked_sub(1))
            .ok_or_else(|| SearchError::Params(format!("fold {:?} has no sifted candidate", f.label)))?;
        let c = &sifted.candidates[idx];
        let base = format!("{name}_DM{:.2}_Z{:.0}_{}", c.dm(), c.best.z, f.label);
        let pfd = format!("{base}.pfd");
        let bestprof = format!("{pfd}.bestprof");
        let png = format!("{pfd}.png");
        write_pfd(f, res.join(&pfd))?;
        write_bestprof(f, res.join(&bestprof))?;
        plot_fold(f, res.join(&png))?;
        min_sigma = min_sigma.min(c.sigma());
        let freq = 1.0 / f.period_s();
        results.candidates.push(PeriodicityCandidate {
            cand_num: (k + 1) as u32,
            period_s: f.period_s(),
            frequency_hz: freq,
            pdot: f.pdot(),
            fdot_hz_s: -f.pdot() * freq * freq,
            dm: f.dm(),
            presto_sigma: c.best.sigma,
            sifting_sigma: c.sigma(),
            prepfold_sigma: f.sigma(),
            reduced_chi2: f.redchi2(),
            snr: c.snr(),
            coherent_power: c.best.coherent_power,
            incoherent_power: c.best.power,
            num_hits: c.numhits() as u32,
            num_harmonics: c.best.numharm as u32,
            z: c.best.z,
            accel_m_s2: c.best.accel_m_s2(),
            sifting_period_s: c.period_s(),
            sifting_dm: c.dm(),
            impulsive: f.impulsive,
            search: match c.best.pass {
                AccelPass::Ffa => CandidateSearch::Ffa,
                _ => CandidateSearch::Accel,
            },
            pulse_width_s: c.best.pulse_width_s,
            plot_file: png,
            pfd_file: pfd,
            bestprof_file: bestprof,
            ratings: ratings.get(k).cloned().unwrap_or_default(),
            known_pulsar: None,
        });
    }
    results.diagnostics.num_cands_folded = folds.len() as u32;
    results.diagnostics.min_sigma_folded = if folds.is_empty() { 0.0 } else { min_sigma };
    Ok(())
}

/// The current UTC time as RFC 3339 (`2026-11-26T07:30:00Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mjd = 40587.0 + (secs / 86_400) as f64;
    let (y, m, d) = palfa_core::astro::mjd_to_date(mjd);
    let t = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        (t / 60) % 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(dm: f64, dm_min: f64, sigma: f64) -> SinglePulseGroup {
        let best = SinglePulseEvent {
            dm,
            sigma,
            time_s: 1.0,
            sample: 1000,
            downfact: 1,
        };
        SinglePulseGroup {
            best,
            events: vec![best],
            dm_min,
            dm_max: dm,
            t_min_s: 1.0,
            t_max_s: 1.0,
            n_dms: 1,
        }
    }

    #[test]
    fn low_dm_rfi_cannot_crowd_out_a_pulse_at_higher_dm() {
        // 600 bright mains groups at DM 2-15 (not reaching DM 2), one 12-sigma
        // pulse at DM 312, one 9-sigma pulse at DM 1500 and a DM-0 burst.
        let mut groups: Vec<SinglePulseGroup> = (0..600)
            .map(|i| group(3.0 + (i % 12) as f64, 2.5, 40.0 + (i % 7) as f64))
            .collect();
        groups.push(group(312.0, 300.0, 12.0));
        groups.push(group(1500.0, 1490.0, 9.0));
        groups.push(group(0.5, 0.0, 80.0));
        let kept = select_groups(groups, 2.0, 500);
        assert_eq!(kept.len(), 500);
        assert!(kept.iter().any(|g| g.best.dm == 312.0));
        assert!(kept.iter().any(|g| g.best.dm == 1500.0));
        // Dispersed first, strongest first; the DM-0 burst loses its place.
        assert!(kept
            .windows(2)
            .all(|w| w[0].best.sigma >= w[1].best.sigma || (w[0].dm_min > 2.0 && w[1].dm_min <= 2.0)));
        assert!(kept.iter().all(|g| g.dm_min > 2.0));
    }

    #[test]
    fn a_short_list_keeps_everything_in_order() {
        let groups = vec![group(0.5, 0.0, 50.0), group(40.0, 39.0, 8.0), group(200.0, 190.0, 20.0)];
        let kept = select_groups(groups, 2.0, 500);
        let dms: Vec<f64> = kept.iter().map(|g| g.best.dm).collect();
        assert_eq!(dms, vec![200.0, 40.0, 0.5]);
    }
}
