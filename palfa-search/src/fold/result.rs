//! [`FoldResult`]: everything a fold produced — the `.pfd` contents, the best
//! profile and its numbers, the χ² curves and planes prepfold plots, and the
//! impulsiveness measure — built the same way for palfa's folds and for
//! `.pfd` files read from disk.

use palfa_core::astro;
use palfa_core::formats::presto::pfd::Position;
use palfa_core::formats::presto::Pfd;
use palfa_core::BeamHeader;

use super::impulsive::Impulsiveness;
use super::params::{FoldParams, FoldRequest, ImpulsiveRule, FREQ_BOX_SIGMAS, MIN_FREQ_BOX_TURNS};
use super::plan::FoldPlan;
use super::search::{self, part_times, right_shift, switch_pfdot, switch_pfdotdot, Drifts, FreqBox, Grid};
use super::summary::{nearest_dm_index, summarize_pfd, FoldSummary};

/// The χ² curves and planes of a fold, as prepfold plots them. All χ² values
/// are reduced and DOF-corrected, like the best profile's.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldCurves {
    /// Trial DMs (empty for a single subband).
    pub dms: Vec<f64>,
    /// Reduced χ² at each trial DM, at the best period and derivative.
    pub redchi2_vs_dm: Vec<f64>,
    /// Trial periods \[s\].
    pub periods: Vec<f64>,
    /// Reduced χ² at each trial period, at the best DM and period derivative.
    pub redchi2_vs_period: Vec<f64>,
    /// Trial period derivatives.
    pub pdots: Vec<f64>,
    /// Reduced χ² at each trial period derivative, at the best DM and period.
    pub redchi2_vs_pdot: Vec<f64>,
    /// Reduced χ² of every (Ṗ, P) trial at the best DM, `[pdot][period]`.
    pub ppdot: Vec<f64>,
    /// Index of the best period among `periods`.
    pub best_period_index: usize,
    /// Index of the best period derivative among `pdots`.
    pub best_pdot_index: usize,
    /// Each subband's profile summed over sub-integrations at the best
    /// solution, `[subband][bin]`.
    pub subband_phase: Vec<f64>,
}

/// Everything one fold produced.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldResult {
    /// Candidate name.
    pub label: String,
    /// The request folded (`None` for a `.pfd` read from disk).
    pub request: Option<FoldRequest>,
    /// Bins, parts and grid used.
    pub params: FoldParams,
    /// The `.pfd` contents: raw folds `[part][subband][bin]`, their statistics,
    /// the trials, the fold and the best solution.
    pub pfd: Pfd,
    /// The best profile and its numbers (what `.bestprof` holds).
    pub summary: FoldSummary,
    /// χ² against DM, period and period derivative, and the P–Ṗ plane.
    pub curves: FoldCurves,
    /// How the signal is spread over the sub-integrations.
    pub impulsiveness: Impulsiveness,
    /// Flagged by the [`ImpulsiveRule`]: the signal comes from a few
    /// sub-integrations, so this is not a steady pulsar.
    pub impulsive: bool,
}

impl FoldResult {
    /// Best topocentric period at the reference epoch \[s\].
    pub fn period_s(&self) -> f64 {
        self.summary.period_s
    }
    /// Best period derivative \[s/s\].
    pub fn pdot(&self) -> f64 {
        self.summary.pdot
    }
    /// Best DM \[pc cm⁻³\].
    pub fn dm(&self) -> f64 {
        self.summary.dm
    }
    /// Topocentric MJD of the fold's reference epoch: the first sample folded,
    /// at the highest channel's frequency.
    pub fn epoch_mjd(&self) -> f64 {
        self.pfd.tepoch
    }
    /// Reduced χ² of the best profile (DOF-corrected, as in `.bestprof`).
    pub fn redchi2(&self) -> f64 {
        self.summary.redchi2
    }
    /// PALFA's `prepfold_sigma` (`nbins − 1` degrees of freedom).
    pub fn sigma(&self) -> f64 {
        self.summary.sigma
    }
    /// prepfold's DOF-corrected significance.
    pub fn sigma_dof_corrected(&self) -> f64 {
        self.summary.sigma_dof_corrected
    }
    /// The best profile.
    pub fn profile(&self) -> &[f64] {
        &self.summary.profile
    }

    /// Analyses an existing fold (a `.pfd` from PRESTO or palfa): best profile,
    /// curves and impulsiveness, without searching again.
    pub fn from_pfd(pfd: Pfd, rule: &ImpulsiveRule) -> Self {
        let params = FoldParams {
            nbins: pfd.proflen,
            npart: pfd.npart,
            npfact: pfd.npfact.max(1) as usize,
            ndmfact: pfd.ndmfact.max(1) as usize,
            pstep: pfd.pstep.max(1) as usize,
            pdstep: pfd.pdstep.max(1) as usize,
            dmstep: pfd.dmstep.max(1) as usize,
            search_p: true,
            search_pdot: true,
            search_dm: pfd.nsub > 1,
        };
        let label = pfd.candnm.clone();
        analyse(pfd, params, None, label, rule)
    }
}

/// Grid offsets of the trials stored in a `.pfd`.
fn grid_of(pfd: &Pfd) -> Grid {
    let fold_f = pfd.fold.p1;
    let pfold = if fold_f != 0.0 { 1.0 / fold_f } else { 0.0 };
    let best = if pfd.is_barycentric() { pfd.bary } else { pfd.topo };
    let periods = if pfd.periods.is_empty() {
        vec![best.p1]
    } else {
        pfd.periods.clone()
    };
    let pdots = if pfd.pdots.is_empty() {
        vec![best.p2]
    } else {
        pfd.pdots.clone()
    };
    Grid {
        dms: pfd.dms.clone(),
        df: periods.iter().map(|p| 1.0 / p - fold_f).collect(),
        dfd: pdots.iter().map(|&pd| switch_pfdot(pfold, pd) - pfd.fold.p2).collect(),
        periods,
        pdots,
        good_idm: pfd.dms.len() / 2,
    }
}

fn nearest(values: &[f64], x: f64) -> usize {
    nearest_dm_index(values, x).unwrap_or(0)
}

/// Best profile, curves and impulsiveness of a fold whose best solution is set.
fn analyse(
    pfd: Pfd,
    params: FoldParams,
    request: Option<FoldRequest>,
    label: String,
    rule: &ImpulsiveRule,
) -> FoldResult {
    let summary = summarize_pfd(&pfd);
    let n = pfd.proflen;
    let grid = grid_of(&pfd);
    let drifts = Drifts::new(&grid, &part_times(&pfd), n);
    let total_var: f64 = pfd.stats.iter().map(|s| s.prof_var).sum();
    let scale = if total_var > 0.0 { 1.0 / total_var.sqrt() } else { 0.0 };
    let to_red = 1.0 / ((n as f64 - 1.0).max(1.0) * summary.dof_corr);
    let (np, npd) = (grid.periods.len(), grid.pdots.len());
    let dm = summary.dm_index.map(|_| summary.dm);
    let ppdot: Vec<f64> = search::plane(&pfd, dm, &drifts, np, npd, scale)
        .into_iter()
        .map(|c| c * to_red)
        .collect();
    let best_period_index = nearest(&grid.periods, summary.period_s);
    let best_pdot_index = nearest(&grid.pdots, summary.pdot);
    let redchi2_vs_period = ppdot[best_pdot_index * np..(best_pdot_index + 1) * np].to_vec();
    let redchi2_vs_pdot = (0..npd).map(|j| ppdot[j * np + best_period_index]).collect();
    let shifts: Vec<usize> = summary.part_delays.iter().map(|&d| right_shift(d, n) % n).collect();
    let mut scratch = vec![0f32; n];
    let redchi2_vs_dm = grid
        .dms
        .iter()
        .map(|&d| {
            let rows = search::normalised_rows(&pfd, Some(d), scale);
            search::chi2_of(&rows, &shifts, n, &mut scratch) * to_red
        })
        .collect();
    let subband_phase = super::summary::subband_profiles(&pfd, &summary);
    let impulsiveness = Impulsiveness::measure(&pfd, &summary, rule);
    let impulsive = impulsiveness.is_impulsive(rule);
    FoldResult {
        label,
        request,
        params,
        curves: FoldCurves {
            dms: grid.dms.clone(),
            redchi2_vs_dm,
            periods: grid.periods.clone(),
            redchi2_vs_period,
            pdots: grid.pdots.clone(),
            redchi2_vs_pdot,
            ppdot,
            best_period_index,
            best_pdot_index,
            subband_phase,
        },
        pfd,
        summary,
        impulsiveness,
        impulsive,
    }
}

/// Searches a folded cube and analyses the result.
pub(crate) fn finish(
    plan: FoldPlan,
    cube: Vec<f64>,
    stats: Vec<palfa_core::formats::presto::FoldStats>,
    req: &FoldRequest,
    header: &BeamHeader,
    rule: &ImpulsiveRule,
) -> FoldResult {
    let params = plan.params;
    let mut pfd = Pfd::new(params.npart, plan.nsub, params.nbins);
    pfd.numchan = plan.nchan;
    pfd.pstep = params.pstep as i32;
    pfd.pdstep = params.pdstep as i32;
    pfd.dmstep = params.dmstep as i32;
    pfd.ndmfact = params.ndmfact as i32;
    pfd.npfact = params.npfact as i32;
    pfd.filenm = header
        .files
        .first()
        .and_then(|f| f.file_name())
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    pfd.candnm = req.label.clone();
    pfd.telescope = header.telescope.clone();
    pfd.pgdev = format!("{}.pfd.ps/CPS", req.label);
    pfd.rastr = header.ra_string();
    pfd.decstr = astro::format_sexagesimal(header.dec_deg, 4, false);
    pfd.dt = plan.dt;
    pfd.tepoch = header.start_mjd;
    pfd.lofreq = header.lofreq_mhz;
    pfd.chan_wid = header.chan_bw_mhz;
    pfd.bestdm = plan.dm;
    pfd.fold = Position {
        pow: 0.0,
        p1: plan.f0,
        p2: plan.fdot,
        p3: 0.0,
    };
    pfd.rawfolds = cube;
    pfd.stats = stats;
    let grid = Grid::new(
        &params,
        plan.f0,
        plan.fdot,
        plan.dm,
        plan.t_fold(),
        header.lofreq_mhz,
        plan.nsub,
    );
    let drifts = Drifts::new(&grid, &part_times(&pfd), params.nbins);
    let total_var: f64 = pfd.stats.iter().map(|s| s.prof_var).sum();
    let scale = if total_var > 0.0 { 1.0 / total_var.sqrt() } else { 0.0 };
    // The candidate's error box: the largest offset of a trial's average
    // frequency from the candidate's [Hz], at least two period steps.
    let t_fold = plan.t_fold();
    let min_turns = MIN_FREQ_BOX_TURNS.max(2.0 * params.pstep as f64 / params.nbins as f64);
    let freq_box = req.freq_err_hz.filter(|e| e.is_finite() && *e > 0.0).map(|e| FreqBox {
        max_df: (FREQ_BOX_SIGMAS * e).max(min_turns / t_fold),
        t: t_fold,
    });
    let best = search::search(&pfd, &grid, &params, &drifts, scale, freq_box);
    if !grid.dms.is_empty() {
        pfd.bestdm = grid.dms[best.idm];
    }
    let p1 = grid.periods[best.ip];
    pfd.topo = Position {
        pow: 0.0,
        p1,
        p2: grid.pdots[best.ipd],
        p3: switch_pfdotdot(1.0 / p1, plan.fdot + grid.dfd[best.ipd], 0.0),
    };
    pfd.dms = grid.dms;
    pfd.periods = grid.periods;
    pfd.pdots = grid.pdots;
    analyse(pfd, params, Some(req.clone()), req.label.clone(), rule)
}
