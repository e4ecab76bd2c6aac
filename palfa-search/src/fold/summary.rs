//! The best profile of a fold and its numbers, derived from a `.pfd` exactly as
//! prepfold derives its `.bestprof` (`prepfold_plot.c`): dedisperse the
//! subbands at the best DM, rotate each sub-integration by the phase drift
//! between the fold and the best period and derivatives, sum, and score with
//! the DOF-corrected reduced χ². Works for palfa's folds and PRESTO's files alike.

use palfa_core::formats::presto::bestprof::{Bestprof, ValueErr};
use palfa_core::formats::presto::{FoldStats, Pfd};

use super::search::{part_times, right_shift, subband_shifts, switch_pfdot, switch_pfdotdot};
use super::significance::{dof_correction, fold_errors, fold_sigmas};

/// The best profile of a fold and what prepfold reports about it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldSummary {
    /// Best period \[s\] (topocentric, or barycentric for barycentred data).
    pub period_s: f64,
    /// Best period derivative \[s/s\].
    pub pdot: f64,
    /// Best second period derivative \[s/s²\].
    pub pdotdot: f64,
    /// Best DM.
    pub dm: f64,
    /// Index of the best DM among the trials (`None` for one subband).
    pub dm_index: Option<usize>,
    /// The best profile.
    pub profile: Vec<f64>,
    /// Statistics of the best profile, combined as prepfold does (data mean and
    /// variance summed over subbands and averaged over parts; profile mean and
    /// variance summed over everything).
    pub stats: FoldStats,
    /// Samples folded (sum over parts of the first subband's count).
    pub data_folded: f64,
    /// The DOF correction factor ([`dof_correction`](super::dof_correction)); 1 for event data.
    pub dof_corr: f64,
    /// Effective degrees of freedom, `(nbins − 1)·dof_corr`.
    pub dof_eff: f64,
    /// Reduced χ² with the effective degrees of freedom (prepfold's "Reduced chi-sqr").
    pub redchi2: f64,
    /// PALFA's `prepfold_sigma`: χ²-σ with `nbins − 1` degrees of freedom.
    pub sigma: f64,
    /// prepfold's significance: χ²-σ with the effective degrees of freedom.
    pub sigma_dof_corrected: f64,
    /// Natural log of the noise probability of the DOF-corrected χ².
    pub ln_prob_noise: f64,
    /// 1-σ error of the period \[s\].
    pub period_err_s: f64,
    /// 1-σ error of the period derivative.
    pub pdot_err: f64,
    /// 1-σ error of the second period derivative.
    pub pdotdot_err: f64,
    /// Sub-integrations rotated to the best solution, `[part][bin]`.
    pub time_phase: Vec<f64>,
    /// DOF-corrected reduced χ² of the profile summed over the first k parts, k = 0..=npart.
    pub time_redchi2: Vec<f64>,
    /// Phase drift \[bins\] removed from each sub-integration.
    pub part_delays: Vec<f64>,
}

/// Whether a `.pfd` was folded from photon events (prepfold's `-events`; no DOF
/// correction applies): PRESTO records it only in the input file's name.
pub fn is_event_fold(pfd: &Pfd) -> bool {
    pfd.filenm.ends_with(".events")
}

/// The best spin parameters of a `.pfd` and the drift \[bins\] of each
/// sub-integration they imply relative to the fold.
pub(crate) fn best_delays(pfd: &Pfd, p: f64, pd: f64, pdd: f64) -> Vec<f64> {
    let fold_f = pfd.fold.p1;
    let pfold = if fold_f != 0.0 { 1.0 / fold_f } else { 0.0 };
    let pdfold = switch_pfdot(fold_f, pfd.fold.p2);
    let dfdd = if pdd != 0.0 {
        switch_pfdotdot(pfold, pdfold, pdd) - pfd.fold.p3
    } else {
        0.0
    };
    let df = 1.0 / p - fold_f;
    let dfd = switch_pfdot(pfold, pd) - pfd.fold.p2;
    let n = pfd.proflen as f64;
    part_times(pfd)
        .iter()
        .map(|&t| (dfdd * t * t * t / 6.0 + 0.5 * dfd * t * t + df * t) * n)
        .collect()
}

/// The index of the trial DM nearest `dm`.
pub(crate) fn nearest_dm_index(dms: &[f64], dm: f64) -> Option<usize> {
    dms.iter()
        .enumerate()
        .min_by(|a, b| (a.1 - dm).abs().total_cmp(&(b.1 - dm).abs()))
        .map(|(i, _)| i)
}

/// Sub-integration profiles summed over subbands after dedispersing at `dm`,
/// `[part][bin]`, with their combined statistics.
pub(crate) fn dedispersed_parts(pfd: &Pfd, dm: Option<f64>) -> (Vec<f64>, Vec<FoldStats>) {
    let n = pfd.proflen;
    let shifts = match dm {
        Some(dm) if pfd.nsub > 1 => subband_shifts(pfd, dm),
        _ => vec![0; pfd.nsub],
    };
    let mut profs = vec![0.0; pfd.npart * n];
    let mut stats = vec![FoldStats::default(); pfd.npart];
    for p in 0..pfd.npart {
        let out = &mut profs[p * n..(p + 1) * n];
        let st = &mut stats[p];
        st.numprof = n as f64;
        st.numdata = pfd.stat(p, 0).numdata;
        for (s, &d) in shifts.iter().enumerate() {
            let prof = pfd.profile(p, s);
            for (k, o) in out.iter_mut().enumerate() {
                *o += prof[(k + d) % n];
            }
            let ss = pfd.stat(p, s);
            st.data_avg += ss.data_avg;
            st.data_var += ss.data_var;
            st.prof_avg += ss.prof_avg;
            st.prof_var += ss.prof_var;
        }
    }
    (profs, stats)
}

/// Σ (x − avg)² / var.
pub(crate) fn chisqr(prof: &[f64], avg: f64, var: f64) -> f64 {
    if var > 0.0 {
        prof.iter().map(|v| (v - avg) * (v - avg)).sum::<f64>() / var
    } else {
        0.0
    }
}

/// Sums `parts` (`[part][bin]`) rotated right by `delays` (bins, rounded as
/// prepfold does); returns the summed profile and fills `rotated` if given.
pub(crate) fn combine_parts(parts: &[f64], n: usize, delays: &[f64], mut rotated: Option<&mut Vec<f64>>) -> Vec<f64> {
    let mut sum = vec![0.0; n];
    if let Some(r) = rotated.as_deref_mut() {
        r.clear();
    }
    for (prof, &d) in parts.chunks_exact(n).zip(delays) {
        let o = right_shift(d, n) % n;
        for k in 0..n {
            let v = prof[(k + n - o) % n];
            sum[k] += v;
            if let Some(r) = rotated.as_deref_mut() {
                r.push(v);
            }
        }
    }
    sum
}

/// Each subband summed over the sub-integrations at the best P, Ṗ and DM,
/// `[subband][bin]`: rotated exactly as the best profile's terms are
/// (left by the subband's dedispersion shift, right by each part's drift),
/// so the rows sum to the best profile. The plot's frequency–phase plane and
/// the raters' subband rows.
pub(crate) fn subband_profiles(pfd: &Pfd, s: &FoldSummary) -> Vec<f64> {
    let n = pfd.proflen;
    let shifts = if pfd.nsub > 1 {
        subband_shifts(pfd, s.dm)
    } else {
        vec![0; pfd.nsub]
    };
    let mut out = vec![0.0; pfd.nsub * n];
    for (sub, row) in out.chunks_exact_mut(n).enumerate() {
        let d = shifts[sub];
        for (p, &delay) in s.part_delays.iter().enumerate().take(pfd.npart) {
            let prof = pfd.profile(p, sub);
            let o = right_shift(delay, n) % n;
            for (k, v) in row.iter_mut().enumerate() {
                *v += prof[(k + d + n - o) % n];
            }
        }
    }
    out
}

/// The best profile and its numbers, as prepfold writes them to `.bestprof`.
pub fn summarize_pfd(pfd: &Pfd) -> FoldSummary {
    let n = pfd.proflen;
    let best = if pfd.is_barycentric() { pfd.bary } else { pfd.topo };
    let (p, pd, pdd) = (best.p1, best.p2, best.p3);
    let events = is_event_fold(pfd);
    let dt_per_bin = (p / n as f64 / pfd.dt) as f32 as f64;
    let dof_corr = if events || dt_per_bin.is_nan() || dt_per_bin <= 0.0 {
        1.0
    } else {
        dof_correction(dt_per_bin)
    };
    let chifact = 1.0 / dof_corr;
    let dm_index = if pfd.nsub > 1 {
        nearest_dm_index(&pfd.dms, pfd.bestdm)
    } else {
        None
    };
    let dm = dm_index.map(|i| pfd.dms[i]).unwrap_or(pfd.bestdm);
    let (parts, part_stats) = dedispersed_parts(pfd, (pfd.nsub > 1).then_some(dm));
    let delays = best_delays(pfd, p, pd, pdd);
    let mut time_phase = Vec::new();
    let profile = combine_parts(&parts, n, &delays, Some(&mut time_phase));
    // Running statistics and the χ² as parts are added (prepfold's CSS_profs).
    let mut st = FoldStats {
        numprof: n as f64,
        ..FoldStats::default()
    };
    let mut time_redchi2 = vec![1.0];
    let mut running = vec![0.0; n];
    let rdof = 1.0 / (n as f64 - 1.0).max(1.0);
    for (k, ps) in part_stats.iter().enumerate() {
        for (r, v) in running.iter_mut().zip(&time_phase[k * n..(k + 1) * n]) {
            *r += v;
        }
        st.numdata += ps.numdata;
        st.data_avg += ps.data_avg;
        st.data_var += ps.data_var;
        st.prof_avg += ps.prof_avg;
        st.prof_var += ps.prof_var;
        time_redchi2.push(chisqr(&running, st.prof_avg, st.prof_var) * rdof * chifact);
    }
    let npart = pfd.npart.max(1) as f64;
    st.data_avg /= npart;
    st.data_var /= npart;
    st.redchi = *time_redchi2.last().unwrap_or(&0.0);
    let data_folded: f64 = (0..pfd.npart).map(|k| pfd.stat(k, 0).numdata).sum();
    let use_topo = pfd.tepoch != 0.0 || pfd.bary.p1 == 0.0;
    let e = if use_topo { pfd.topo } else { pfd.bary };
    let (period_err_s, pdot_err, pdotdot_err) =
        fold_errors(&profile, pfd.dt, data_folded, st.data_var, e.p1, e.p2, e.p3);
    let (sigma, sigma_dof_corrected, ln_prob_noise) = fold_sigmas(st.redchi, n, dof_corr);
    FoldSummary {
        period_s: p,
        pdot: pd,
        pdotdot: pdd,
        dm,
        dm_index,
        profile,
        redchi2: st.redchi,
        stats: st,
        data_folded,
        dof_corr,
        dof_eff: (n as f64 - 1.0) * dof_corr,
        sigma,
        sigma_dof_corrected,
        ln_prob_noise,
        period_err_s,
        pdot_err,
        pdotdot_err,
        time_phase,
        time_redchi2,
        part_delays: delays,
    }
}

/// The `.bestprof` prepfold would write for this fold.
pub fn bestprof_from(pfd: &Pfd, s: &FoldSummary) -> Bestprof {
    let ve = |v: f64, e: f64| Some(ValueErr { value: v, err: e });
    let topo = pfd.tepoch != 0.0;
    let bary = pfd.bepoch != 0.0;
    let pick = |on: bool, pos: &palfa_core::formats::presto::pfd::Position| {
        if on {
            (
                ve(pos.p1 * 1000.0, s.period_err_s * 1000.0),
                ve(pos.p2, s.pdot_err),
                ve(pos.p3, s.pdotdot_err),
            )
        } else {
            (None, None, None)
        }
    };
    let (p_topo_ms, pd_topo, pdd_topo) = pick(topo, &pfd.topo);
    let (p_bary_ms, pd_bary, pdd_bary) = pick(bary, &pfd.bary);
    let orbit = (pfd.orb.p != 0.0).then_some(palfa_core::formats::presto::bestprof::BestprofOrbit {
        p_orb_s: pfd.orb.p,
        asini_c_s: pfd.orb.x,
        eccentricity: pfd.orb.e,
        w_deg: pfd.orb.w,
        t_peri: pfd.orb.t,
    });
    Bestprof {
        input_file: pfd.filenm.clone(),
        candidate: pfd.candnm.clone(),
        telescope: pfd.telescope.clone(),
        epoch_topo: (pfd.tepoch != 0.0 && pfd.tepoch != -1.0).then_some(pfd.tepoch),
        epoch_bary: bary.then_some(pfd.bepoch),
        t_sample: pfd.dt,
        data_folded: s.data_folded,
        data_avg: s.stats.data_avg,
        data_stddev: s.stats.data_var.sqrt(),
        profile_bins: pfd.proflen,
        profile_avg: s.stats.prof_avg,
        profile_stddev: s.stats.prof_var.sqrt(),
        reduced_chi2: s.redchi2,
        prob_noise: if s.ln_prob_noise < -700.0 {
            0.0
        } else {
            s.ln_prob_noise.exp()
        },
        sigma: s.sigma_dof_corrected,
        best_dm: (pfd.nsub > 1).then_some(pfd.bestdm),
        p_topo_ms,
        pd_topo,
        pdd_topo,
        p_bary_ms,
        pd_bary,
        pdd_bary,
        orbit,
        profile: s.profile.iter().map(|&v| v as f32 as f64).collect(),
    }
}
