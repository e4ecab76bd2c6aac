//! prepfold's search of the folded cube over DM, period and period derivative.
//!
//! For a trial DM each subband's profiles are rotated by the extra dispersion
//! delay of its highest channel relative to the band's highest channel and
//! summed over subbands; for a trial (P, Ṗ) each sub-integration is rotated by
//! the phase drift that the frequency offset Δf and derivative offset Δḟ cause
//! by its start time t, (Δf·t + ½·Δḟ·t²)·nbins bins, and summed over
//! sub-integrations; the reduced χ² of the summed profile against a flat one,
//! with the noise variance from the data (the fold statistics), scores the
//! trial. Rotations are by whole bins, as in prepfold.
//!
//! The grid is prepfold's: `2·npfact·nbins + 1` periods whose neighbours drift
//! apart by `pstep` bins over the observation, as many period derivatives
//! `pdstep` bins of quadratic drift apart, and `2·ndmfact·nbins + 1` DMs whose
//! neighbours differ by `dmstep` bins of delay at the lowest channel.

use palfa_core::astro;
use palfa_core::formats::presto::Pfd;
use rayon::prelude::*;

use super::params::FoldParams;

/// The trial values and the offsets they mean relative to the fold.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    /// Trial DMs (empty for a single subband).
    pub dms: Vec<f64>,
    /// Trial periods \[s\].
    pub periods: Vec<f64>,
    /// Trial period derivatives.
    pub pdots: Vec<f64>,
    /// Frequency offset of each period trial from the fold frequency \[Hz\].
    pub df: Vec<f64>,
    /// Frequency-derivative offset of each period-derivative trial \[Hz/s\].
    pub dfd: Vec<f64>,
    /// The DM trial used when DM is not searched: the middle one, or the one
    /// closest to the fold DM when the grid was clipped at DM 0.
    pub good_idm: usize,
}

impl Grid {
    /// prepfold's grid around fold frequency `f0`, derivative `fd0` and DM
    /// `dm`, for data of length `t` \[s\] whose lowest channel is at `lofreq` \[MHz\].
    pub fn new(p: &FoldParams, f0: f64, fd0: f64, dm: f64, t: f64, lofreq: f64, nsub: usize) -> Self {
        let n = p.nbins as f64;
        let ntrials = p.num_p_trials();
        let mid = (ntrials / 2) as f64;
        let mut periods = Vec::with_capacity(ntrials);
        let (mut df, mut dfd, mut pdots) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..ntrials {
            let k = i as f64 - mid;
            let dphase = k * p.pstep as f64 / n;
            periods.push(1.0 / (f0 + dphase / t));
            df.push(1.0 / periods[i] - f0);
            let dphase = k * p.pdstep as f64 / n;
            let fdot = 2.0 * dphase / (t * t);
            dfd.push(fdot);
            pdots.push(switch_pfdot(f0, fd0 + fdot));
        }
        let (mut dms, mut good_idm) = (Vec::new(), 0);
        if nsub > 1 {
            let numdms = p.num_dm_trials();
            // One step: `dmstep` bins of delay at the lowest channel (relative to infinite frequency).
            let ddm = (p.dmstep as f64 / (f0 * n)) * lofreq * lofreq / astro::DM_CONST;
            let mut lodm = dm - (numdms / 2) as f64 * ddm;
            good_idm = numdms / 2;
            if lodm < 0.0 {
                lodm = 0.0;
                good_idm = ((dm / ddm).round() as usize).min(numdms - 1);
            }
            dms = (0..numdms).map(|i| lodm + i as f64 * ddm).collect();
        }
        Self {
            dms,
            periods,
            pdots,
            df,
            dfd,
            good_idm,
        }
    }
}

/// Period derivative from a frequency and its derivative (and back): −ḟ/f².
pub(crate) fn switch_pfdot(pf: f64, pfdot: f64) -> f64 {
    if pf == 0.0 {
        0.0
    } else {
        let v = -pfdot / (pf * pf);
        if v == 0.0 {
            0.0
        } else {
            v
        }
    }
}

/// Second period derivative from frequency and derivatives (and back).
pub(crate) fn switch_pfdotdot(pf: f64, pfdot: f64, pfdotdot: f64) -> f64 {
    if pf == 0.0 || pfdotdot == 0.0 {
        0.0
    } else {
        2.0 * pfdot * pfdot / (pf * pf * pf) - pfdotdot / (pf * pf)
    }
}

/// Start times of the sub-integrations \[s\], as prepfold's plot computes them:
/// part index × (samples in part 0 × dt), stored in single precision.
pub(crate) fn part_times(pfd: &Pfd) -> Vec<f64> {
    let parttime = pfd.stats.first().map(|s| s.numdata).unwrap_or(0.0) * pfd.dt;
    (0..pfd.npart).map(|p| (p as f64 * parttime) as f32 as f64).collect()
}

/// Rotation \[bins, left\] that dedisperses each subband to the band's highest
/// channel at `dm`, for profiles folded at `fold_freq` \[Hz\].
pub(crate) fn subband_shifts(pfd: &Pfd, dm: f64) -> Vec<usize> {
    let rdphase = pfd.fold.p1 * pfd.proflen as f64;
    let hidelay = astro::dispersion_delay_s(dm, pfd.hifreq());
    (0..pfd.nsub)
        .map(|s| {
            let d = (astro::dispersion_delay_s(dm, pfd.subband_top_freq(s)) - hidelay) * rdphase;
            nearest_int(d).rem_euclid(pfd.proflen as i64) as usize
        })
        .collect()
}

/// prepfold's `NEAREST_INT`: halves round away from zero.
pub(crate) fn nearest_int(x: f64) -> i64 {
    if x < 0.0 {
        (x - 0.5).ceil() as i64
    } else {
        (x + 0.5).floor() as i64
    }
}

/// Right rotation \[bins, 0..=n\] for a delay of `delay` bins, rounded as
/// prepfold's plot does (`(int)(fmod(delay, n) + 0.5)`, negative remainders
/// wrapped first).
pub(crate) fn right_shift(delay: f64, n: usize) -> usize {
    let nf = n as f64;
    let mut local = delay % nf;
    if local < 0.0 {
        local += nf;
    }
    ((local + 0.5) as usize).min(n)
}

/// Sub-integration profiles dedispersed at one DM, normalised for the search:
/// each (part, subband) profile's mean is removed, the subbands are summed and
/// the result divided by the noise σ of the fully summed profile, so that the
/// χ² of a trial is the sum of the squares of its summed profile. Each row is
/// stored twice in a row (`2·nbins` values) so that any rotation is a slice.
pub(crate) fn normalised_rows(pfd: &Pfd, dm: Option<f64>, scale: f64) -> Vec<f32> {
    let n = pfd.proflen;
    let shifts = match dm {
        Some(dm) if pfd.nsub > 1 => subband_shifts(pfd, dm),
        _ => vec![0; pfd.nsub],
    };
    let mut rows = vec![0f32; pfd.npart * 2 * n];
    let mut acc = vec![0f64; n];
    for p in 0..pfd.npart {
        acc.fill(0.0);
        for (s, &d) in shifts.iter().enumerate() {
            let prof = pfd.profile(p, s);
            let avg = pfd.stat(p, s).prof_avg;
            // acc[k] += prof[(k + d) mod n] − avg, as two contiguous runs.
            let (head, tail) = acc.split_at_mut(n - d);
            for (a, &v) in head.iter_mut().zip(&prof[d..]) {
                *a += v - avg;
            }
            for (a, &v) in tail.iter_mut().zip(&prof[..d]) {
                *a += v - avg;
            }
        }
        let row = &mut rows[p * 2 * n..(p + 1) * 2 * n];
        for k in 0..n {
            row[k] = (acc[k] * scale) as f32;
            row[k + n] = row[k];
        }
    }
    rows
}

/// Sum of squares of the profile made by rotating each doubled row right by its shift.
fn shifted_chi2<const N: usize>(rows: &[f32], shifts: &[usize]) -> f64 {
    let mut out = [0f32; N];
    for (row, &o) in rows.chunks_exact(2 * N).zip(shifts) {
        let src: &[f32; N] = row[N - o..2 * N - o].try_into().expect("N values");
        for k in 0..N {
            out[k] += src[k];
        }
    }
    out.iter().map(|&v| (v as f64) * (v as f64)).sum()
}

fn shifted_chi2_dyn(rows: &[f32], shifts: &[usize], n: usize, out: &mut [f32]) -> f64 {
    out.fill(0.0);
    for (row, &o) in rows.chunks_exact(2 * n).zip(shifts) {
        for (a, &b) in out.iter_mut().zip(&row[n - o..2 * n - o]) {
            *a += b;
        }
    }
    out.iter().map(|&v| (v as f64) * (v as f64)).sum()
}

/// χ² of the profile summed with right shifts `shifts` (one per row).
pub(crate) fn chi2_of(rows: &[f32], shifts: &[usize], n: usize, scratch: &mut [f32]) -> f64 {
    match n {
        24 => shifted_chi2::<24>(rows, shifts),
        32 => shifted_chi2::<32>(rows, shifts),
        50 => shifted_chi2::<50>(rows, shifts),
        64 => shifted_chi2::<64>(rows, shifts),
        100 => shifted_chi2::<100>(rows, shifts),
        128 => shifted_chi2::<128>(rows, shifts),
        200 => shifted_chi2::<200>(rows, shifts),
        _ => shifted_chi2_dyn(rows, shifts, n, scratch),
    }
}

/// Phase drift \[bins\] of each sub-integration for every period trial and for
/// every period-derivative trial.
pub(crate) struct Drifts {
    /// `[period trial][part]`.
    pub p: Vec<f64>,
    /// `[pdot trial][part]`.
    pub pd: Vec<f64>,
    npart: usize,
    /// Lookup from a rounded drift (offset by `lut_off`) to a right shift.
    lut: Vec<u16>,
    lut_off: i64,
}

impl Drifts {
    pub fn new(grid: &Grid, times: &[f64], nbins: usize) -> Self {
        let n = nbins as f64;
        let p: Vec<f64> = grid
            .df
            .iter()
            .flat_map(|&df| times.iter().map(move |&t| df * t * n))
            .collect();
        let pd: Vec<f64> = grid
            .dfd
            .iter()
            .flat_map(|&dfd| times.iter().map(move |&t| 0.5 * dfd * t * t * n))
            .collect();
        let maxabs = |v: &[f64]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let span = (maxabs(&p) + maxabs(&pd)).ceil() as i64 + nbins as i64 + 2;
        let lut = (-span..=span).map(|i| i.rem_euclid(nbins as i64) as u16).collect();
        Self {
            p,
            pd,
            npart: times.len(),
            lut,
            lut_off: span,
        }
    }

    /// Right shifts of the sub-integrations for trial (`ip`, `ipd`).
    pub fn shifts(&self, ip: usize, ipd: usize, out: &mut [usize]) {
        let p = &self.p[ip * self.npart..(ip + 1) * self.npart];
        let pd = &self.pd[ipd * self.npart..(ipd + 1) * self.npart];
        for ((o, &a), &b) in out.iter_mut().zip(p).zip(pd) {
            let i = (a + b + 0.5).floor() as i64 + self.lut_off;
            *o = self.lut[i as usize] as usize;
        }
    }
}

/// The best trial of the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Best {
    /// DM trial (0 without DM trials).
    pub idm: usize,
    /// Period trial.
    pub ip: usize,
    /// Period-derivative trial.
    pub ipd: usize,
    /// Its χ² (not reduced, not DOF-corrected).
    pub chi2: f64,
}

/// The trials a fold of a search candidate may take: those whose frequency
/// averaged over the fold is within `max_df` of the candidate's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct FreqBox {
    /// Largest offset of a trial's average frequency \[Hz\].
    pub max_df: f64,
    /// Length of the fold \[s\].
    pub t: f64,
}

impl FreqBox {
    /// Whether period trial `ip` with period-derivative trial `ipd` is inside.
    fn holds(&self, grid: &Grid, ip: usize, ipd: usize) -> bool {
        (grid.df[ip] + 0.5 * grid.dfd[ipd] * self.t).abs() <= self.max_df
    }
}

/// Period trials per work item of [`search`]: their shifts are computed once
/// and used at every trial DM, one DM's rows at a time (so that the rows stay
/// in the cache while the block's trials read them).
const IP_BLOCK: usize = 16;

/// The better of two trials: the higher χ², and on a tie the first in
/// (DM, Ṗ, P) order, as in prepfold. The search does not visit the trials in
/// that order (a work item holds one Ṗ and a block of periods at every DM), so
/// ties compare the trials' indices rather than relying on the order of visits.
fn better(a: Best, b: Best) -> Best {
    let key = |x: &Best| (x.idm, x.ipd, x.ip);
    if b.chi2 > a.chi2 || (b.chi2 == a.chi2 && key(&b) < key(&a)) {
        b
    } else {
        a
    }
}

/// The right shifts of a block of period trials at one Ṗ trial, for those
/// trials the search counts.
struct BlockShifts {
    ips: Vec<usize>,
    /// `[trial][part]`.
    shifts: Vec<usize>,
    npart: usize,
}

impl BlockShifts {
    /// The trials of `block` at `ipd` inside `freq_box` (the unshifted trial,
    /// `mid` at `mid`, always counts).
    fn new(drifts: &Drifts, grid: &Grid, freq_box: Option<FreqBox>, mid: usize, ipd: usize, block: &[usize]) -> Self {
        let npart = drifts.npart;
        let ips: Vec<usize> = block
            .iter()
            .copied()
            .filter(|&ip| (ip == mid && ipd == mid) || freq_box.is_none_or(|b| b.holds(grid, ip, ipd)))
            .collect();
        let mut shifts = vec![0usize; ips.len() * npart];
        for (k, &ip) in ips.iter().enumerate() {
            drifts.shifts(ip, ipd, &mut shifts[k * npart..(k + 1) * npart]);
        }
        Self { ips, shifts, npart }
    }

    /// Each counted trial with its shifts.
    fn iter(&self) -> impl Iterator<Item = (usize, &[usize])> + '_ {
        let npart = self.npart;
        self.ips
            .iter()
            .enumerate()
            .map(move |(k, &ip)| (ip, &self.shifts[k * npart..(k + 1) * npart]))
    }
}

/// Searches the grid (restricted by the `search_*` switches of `params`, and
/// to the trials inside `freq_box` when given; the unshifted trial always
/// counts) for the highest χ². Ties go to the first trial in (DM, Ṗ, P)
/// order, as in prepfold.
pub(crate) fn search(
    pfd: &Pfd,
    grid: &Grid,
    params: &FoldParams,
    drifts: &Drifts,
    scale: f64,
    freq_box: Option<FreqBox>,
) -> Best {
    let n = pfd.proflen;
    let mid = grid.periods.len() / 2;
    let dm_list: Vec<Option<usize>> = if grid.dms.is_empty() {
        vec![None]
    } else if params.search_dm {
        (0..grid.dms.len()).map(Some).collect()
    } else {
        vec![Some(grid.good_idm)]
    };
    let ipds: Vec<usize> = if params.search_pdot {
        (0..grid.pdots.len()).collect()
    } else {
        vec![mid]
    };
    let ips: Vec<usize> = if params.search_p {
        (0..grid.periods.len()).collect()
    } else {
        vec![mid]
    };
    let rows: Vec<Vec<f32>> = dm_list
        .par_iter()
        .map(|idm| normalised_rows(pfd, idm.map(|i| grid.dms[i]), scale))
        .collect();

    let worst = Best {
        idm: 0,
        ip: mid,
        ipd: mid,
        chi2: f64::NEG_INFINITY,
    };
    // Work items: a Ṗ trial and a block of period trials, searched at every DM.
    let items: Vec<(usize, &[usize])> = ipds
        .iter()
        .flat_map(|&ipd| ips.chunks(IP_BLOCK).map(move |block| (ipd, block)))
        .collect();
    let best = items
        .par_iter()
        .map(|&(ipd, block)| {
            let trials = BlockShifts::new(drifts, grid, freq_box, mid, ipd, block);
            // Each trial sums the rotated rows afresh: with the sum held in
            // registers (fixed-size kernels) that beats updating it in memory.
            let mut scratch = vec![0f32; n];
            let mut best = worst;
            for (d, rows) in rows.iter().enumerate() {
                let idm = dm_list[d].unwrap_or(0);
                for (ip, shifts) in trials.iter() {
                    let chi2 = chi2_of(rows, shifts, n, &mut scratch);
                    best = better(best, Best { idm, ip, ipd, chi2 });
                }
            }
            best
        })
        .reduce(|| worst, better);
    if best.chi2.is_finite() {
        best
    } else {
        Best { chi2: 0.0, ..worst }
    }
}

/// χ² of every (Ṗ, P) trial at one DM, `[pdot trial][period trial]`.
pub(crate) fn plane(pfd: &Pfd, dm: Option<f64>, drifts: &Drifts, np: usize, npd: usize, scale: f64) -> Vec<f64> {
    let n = pfd.proflen;
    let rows = normalised_rows(pfd, dm, scale);
    (0..npd)
        .into_par_iter()
        .flat_map_iter(|ipd| {
            let mut shifts = vec![0usize; pfd.npart];
            let mut scratch = vec![0f32; n];
            (0..np)
                .map(|ip| {
                    drifts.shifts(ip, ipd, &mut shifts);
                    chi2_of(&rows, &shifts, n, &mut scratch)
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_round_like_prepfold() {
        assert_eq!(right_shift(0.49, 10), 0);
        assert_eq!(right_shift(0.5, 10), 1);
        assert_eq!(right_shift(-0.4, 10), 10); // a full turn: no shift
        assert_eq!(right_shift(-0.6, 10), 9);
        assert_eq!(right_shift(9.7, 10), 10);
        assert_eq!(right_shift(23.2, 10), 3);
        assert_eq!(nearest_int(-2.5), -3);
        assert_eq!(nearest_int(2.5), 3);
    }

    #[test]
    fn specialised_and_generic_kernels_agree() {
        for n in [24usize, 50, 37] {
            let npart = 7;
            let rows: Vec<f32> = (0..npart * n)
                .flat_map(|i| {
                    let v = ((i * 7919) % 101) as f32 / 50.0 - 1.0;
                    [v]
                })
                .collect();
            let mut doubled = vec![0f32; npart * 2 * n];
            for p in 0..npart {
                for k in 0..n {
                    doubled[p * 2 * n + k] = rows[p * n + k];
                    doubled[p * 2 * n + k + n] = rows[p * n + k];
                }
            }
            let shifts: Vec<usize> = (0..npart).map(|p| (p * 5) % (n + 1)).collect();
            let mut scratch = vec![0f32; n];
            let a = chi2_of(&doubled, &shifts, n, &mut scratch);
            let b = shifted_chi2_dyn(&doubled, &shifts, n, &mut scratch);
            // Direct: out[k] = Σ_p row_p[(k − o_p) mod n].
            let mut out = vec![0f64; n];
            for p in 0..npart {
                for k in 0..n {
                    out[k] += rows[p * n + (k + n - shifts[p] % n) % n] as f64;
                }
            }
            let c: f64 = out.iter().map(|v| v * v).sum();
            assert!((a - c).abs() < 1e-4 * c && (b - c).abs() < 1e-4 * c, "{n}: {a} {b} {c}");
        }
    }

    /// A cube's value at (part, subband, bin).
    type Cube<'a> = &'a dyn Fn(usize, usize, usize) -> f64;

    /// A small cube (8 parts, 4 subbands, 24 bins) and prepfold's grid around it.
    fn search_case(value: impl Fn(usize, usize, usize) -> f64) -> (Pfd, Grid, FoldParams, Drifts) {
        let (npart, nsub, n) = (8, 4, 24);
        let mut pfd = Pfd::new(npart, nsub, n);
        pfd.lofreq = 1200.0;
        pfd.chan_wid = 4.0;
        pfd.numchan = 16;
        pfd.fold.p1 = 500.0;
        for p in 0..npart {
            for s in 0..nsub {
                let prof: Vec<f64> = (0..n).map(|b| value(p, s, b)).collect();
                let st = &mut pfd.stats[p * nsub + s];
                st.prof_avg = prof.iter().sum::<f64>() / n as f64;
                st.prof_var = 3.0;
                pfd.rawfolds[(p * nsub + s) * n..(p * nsub + s + 1) * n].copy_from_slice(&prof);
            }
        }
        let mut params = FoldParams::palfa_for_period(0.002);
        params.nbins = n;
        params.npart = npart;
        params.npfact = 1;
        params.ndmfact = 1;
        let grid = Grid::new(&params, 500.0, 0.0, 40.0, 100.0, pfd.lofreq, nsub);
        let times: Vec<f64> = (0..npart).map(|p| p as f64 * 12.5).collect();
        let drifts = Drifts::new(&grid, &times, n);
        (pfd, grid, params, drifts)
    }

    /// The search as prepfold walks it: every trial in (DM, Ṗ, P) order, a
    /// later one taken only when its χ² is strictly higher.
    fn search_in_order(pfd: &Pfd, grid: &Grid, drifts: &Drifts, freq_box: Option<FreqBox>) -> Best {
        let (n, mid) = (pfd.proflen, grid.periods.len() / 2);
        let mut best = Best {
            idm: 0,
            ip: mid,
            ipd: mid,
            chi2: f64::NEG_INFINITY,
        };
        let mut shifts = vec![0usize; pfd.npart];
        let mut scratch = vec![0f32; n];
        for (idm, &dm) in grid.dms.iter().enumerate() {
            let rows = normalised_rows(pfd, Some(dm), 0.1);
            for ipd in 0..grid.pdots.len() {
                for ip in 0..grid.periods.len() {
                    let centre = ip == mid && ipd == mid;
                    if !centre && freq_box.is_some_and(|b| !b.holds(grid, ip, ipd)) {
                        continue;
                    }
                    drifts.shifts(ip, ipd, &mut shifts);
                    let chi2 = chi2_of(&rows, &shifts, n, &mut scratch);
                    if chi2 > best.chi2 {
                        best = Best { idm, ip, ipd, chi2 };
                    }
                }
            }
        }
        best
    }

    /// The blocked, parallel search finds the trial the in-order walk finds,
    /// ties included: small integer profiles make many trials share a χ²,
    /// and flat ones make every trial's χ² zero.
    #[test]
    fn search_picks_the_first_best_trial_in_prepfold_order() {
        let boxed = Some(FreqBox { max_df: 0.05, t: 100.0 });
        let pulse = |p: usize, s: usize, b: usize| f64::from(u8::from((b + 2 * p + 3 * s) % 24 < 2));
        let noisy = |p: usize, s: usize, b: usize| ((p * 7919 + s * 104_729 + b * 31) % 5) as f64;
        let flat = |_: usize, _: usize, _: usize| 1.0;
        let cases: [(&str, Cube); 3] = [("pulse", &pulse), ("noisy", &noisy), ("flat", &flat)];
        for (name, value) in cases {
            let (pfd, grid, params, drifts) = search_case(value);
            for freq_box in [None, boxed] {
                let want = search_in_order(&pfd, &grid, &drifts, freq_box);
                let got = search(&pfd, &grid, &params, &drifts, 0.1, freq_box);
                assert_eq!(got, want, "{name}, box {freq_box:?}");
            }
        }
        // Every trial ties on flat profiles: the first one wins.
        let (pfd, grid, params, drifts) = search_case(flat);
        let best = search(&pfd, &grid, &params, &drifts, 0.1, None);
        assert_eq!((best.idm, best.ipd, best.ip, best.chi2), (0, 0, 0, 0.0));
    }

    #[test]
    fn grid_matches_prepfold_steps() {
        let p = FoldParams::palfa_for_period(0.004);
        let g = Grid::new(&p, 250.0, 0.0, 10.0, 100.0, 1200.0, 4);
        assert_eq!(g.periods.len(), 201);
        // Neighbouring periods drift apart by pstep/nbins turns over T.
        let dphase = (1.0 / g.periods[101] - 1.0 / g.periods[100]) * 100.0;
        assert!((dphase - 1.0 / 50.0).abs() < 1e-9);
        assert_eq!(g.periods[100], 1.0 / 250.0);
        // DM step: 3 bins (of 4 ms / 50) of delay at 1200 MHz.
        let ddm = g.dms[1] - g.dms[0];
        assert!((astro::dispersion_delay_s(ddm, 1200.0) - 3.0 * 0.004 / 50.0).abs() < 1e-12);
        // Clipped at DM 0: the good trial is the one nearest the fold DM.
        let g = Grid::new(&p, 250.0, 0.0, 0.3, 100.0, 1200.0, 4);
        assert_eq!(g.dms[0], 0.0);
        assert!((g.dms[g.good_idm] - 0.3).abs() <= 0.5 * (g.dms[1] - g.dms[0]) + 1e-12);
    }
}
