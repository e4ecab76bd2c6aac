//! The folding kernel: subbands formed from channel-major data at the fold DM,
//! then "drizzled" into profile bins as prepfold's `fold()` does.
//!
//! Each output sample covers the phase interval [φ(t), φ(t + dt)); its value is
//! shared among the bins that interval overlaps, in proportion to the overlap.
//! The bins and weights depend only on time, not on the subband, so a
//! [`DrizzleTable`] is built once per candidate and stretch of data and used for
//! every subband. Only whole turns enter a sub-integration's profile (see
//! [`FoldPlan::turn_close`]): that gives every bin the same exposure, so the
//! large mean level of raw data adds the same amount to every bin.

use palfa_core::formats::presto::FoldStats;

use super::plan::FoldPlan;

/// One share of an output sample: `weight` of it lands in bin `bin` of the
/// profile starting at `base = part·nbins`.
#[derive(Debug, Clone, Copy)]
struct Piece {
    base: u32,
    bin: u32,
    weight: f32,
}

/// Where each output sample of a stretch lands.
#[derive(Debug, Default)]
pub(crate) struct DrizzleTable {
    /// First output sample of the stretch.
    start: u64,
    /// `offsets[i]..offsets[i + 1]` are the pieces of sample `start + i`.
    offsets: Vec<u32>,
    pieces: Vec<Piece>,
}

impl DrizzleTable {
    /// Fills the table for output samples `a..b` of `plan`.
    pub fn build(&mut self, plan: &FoldPlan, a: u64, b: u64) {
        self.start = a;
        self.offsets.clear();
        self.pieces.clear();
        self.offsets.push(0);
        if b <= a {
            return;
        }
        let nbins = plan.params.nbins as i64;
        let nb = nbins as f64;
        let npart = plan.params.npart;
        let mut hi = plan.phase_at_sample(a as f64) * nb;
        // The part that receives turn k: the first whose closing turn count exceeds k.
        let first_turn = (hi.floor() as i64).div_euclid(nbins);
        let mut part = plan.turn_close.partition_point(|&c| c < first_turn + 1);
        for j in a..b {
            let lo = hi;
            hi = plan.phase_at_sample((j + 1) as f64) * nb;
            let width = hi - lo;
            let mut u = lo;
            while u < hi {
                let bi = u.floor() as i64;
                let next = ((bi + 1) as f64).min(hi);
                let weight = ((next - u) / width) as f32;
                let turn = bi.div_euclid(nbins);
                while part < npart && plan.turn_close[part] < turn + 1 {
                    part += 1;
                }
                if part < npart && weight > 0.0 {
                    self.pieces.push(Piece {
                        base: (part as i64 * nbins) as u32,
                        bin: bi.rem_euclid(nbins) as u32,
                        weight,
                    });
                }
                u = next;
            }
            self.offsets.push(self.pieces.len() as u32);
        }
    }
}

/// Running mean and variance, shifted by the first value for accuracy.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunStats {
    n: f64,
    shift: f64,
    s1: f64,
    s2: f64,
}

impl RunStats {
    fn add(&mut self, xs: &[f32]) {
        if xs.is_empty() {
            return;
        }
        if self.n == 0.0 {
            self.shift = xs[0] as f64;
        }
        let k = self.shift;
        // Four partial sums each, so that the additions need not wait for one another.
        let (mut s1, mut s2) = ([0.0f64; 4], [0.0f64; 4]);
        let mut chunks = xs.chunks_exact(4);
        for c in &mut chunks {
            for l in 0..4 {
                let d = c[l] as f64 - k;
                s1[l] += d;
                s2[l] += d * d;
            }
        }
        for &x in chunks.remainder() {
            let d = x as f64 - k;
            s1[0] += d;
            s2[0] += d * d;
        }
        self.n += xs.len() as f64;
        self.s1 += s1.iter().sum::<f64>();
        self.s2 += s2.iter().sum::<f64>();
    }

    /// PRESTO's fold statistics for a profile built from these samples.
    pub fn fold_stats(&self, prof: &[f64]) -> FoldStats {
        let nbins = prof.len() as f64;
        let (avg, var) = if self.n > 1.0 {
            let mean = self.s1 / self.n;
            (
                self.shift + mean,
                ((self.s2 - self.s1 * mean) / (self.n - 1.0)).max(0.0),
            )
        } else if self.n == 1.0 {
            (self.shift + self.s1, 0.0)
        } else {
            (0.0, 0.0)
        };
        let prof_avg = prof.iter().sum::<f64>() / nbins;
        let prof_var = var * self.n / nbins;
        let redchi = if prof_var > 0.0 && nbins > 1.0 {
            prof.iter().map(|p| (p - prof_avg) * (p - prof_avg)).sum::<f64>() / prof_var / (nbins - 1.0)
        } else {
            0.0
        };
        FoldStats {
            numdata: self.n,
            data_avg: avg,
            data_var: var,
            numprof: nbins,
            prof_avg,
            prof_var,
            redchi,
        }
    }
}

/// The profiles and statistics of one candidate for subbands `sub_lo..sub_hi`.
///
/// Profiles are laid out `[part][bin][subband]`: every subband shares the
/// drizzle table, so one table entry adds `weight × (the stretch's samples of
/// all subbands)` to a contiguous run of the cube, a vectorisable AXPY.
#[derive(Debug)]
pub(crate) struct GroupFold {
    pub sub_lo: usize,
    pub sub_hi: usize,
    /// `[part][bin][sub − sub_lo]`.
    cube: Vec<f64>,
    /// `[sub − sub_lo][part]`.
    stats: Vec<RunStats>,
    /// Scratch: the stretch's subband samples `[sub][sample]`, then `[sample][sub]`,
    /// and the stretch's contributions `[part − first][bin][sub]`.
    subs: Vec<f32>,
    xt: Vec<f32>,
    local: Vec<f32>,
    /// Per subband: the sum of every sample formed so far, and their count
    /// (the same for every subband), for the level taken out of folds with
    /// ḟ ≠ 0 (see `take_levels`).
    level_sum: Vec<f64>,
    level_n: f64,
    /// Scratch: each subband's level for the stretch, and the stretch's
    /// summed weights per part `[part − first]`.
    level: Vec<f64>,
    exposure: Vec<f64>,
    /// Scratch: each subband's rotation \[bins\] for the stretch.
    rots: Vec<usize>,
}

/// Channel-major data: channel `c`'s samples `w0 ..` at `data[c·stride ..]`.
pub(crate) struct Window<'a> {
    pub data: &'a [f32],
    pub stride: usize,
    pub w0: u64,
}

impl GroupFold {
    pub fn new(plan: &FoldPlan, sub_lo: usize, sub_hi: usize) -> Self {
        let n = sub_hi - sub_lo;
        Self {
            sub_lo,
            sub_hi,
            cube: vec![0.0; n * plan.params.npart * plan.params.nbins],
            stats: vec![RunStats::default(); n * plan.params.npart],
            subs: Vec::new(),
            xt: Vec::new(),
            local: Vec::new(),
            level_sum: vec![0.0; n],
            level_n: 0.0,
            level: vec![0.0; n],
            exposure: Vec::new(),
            rots: Vec::new(),
        }
    }

    /// The profile of `part` and subband `sub` (absolute index), and its statistics.
    pub fn profile(&self, plan: &FoldPlan, part: usize, sub: usize) -> (Vec<f64>, FoldStats) {
        let (g, nbins) = (self.sub_hi - self.sub_lo, plan.params.nbins);
        let s = sub - self.sub_lo;
        let prof: Vec<f64> = (0..nbins).map(|b| self.cube[(part * nbins + b) * g + s]).collect();
        let st = self.stats[s * plan.params.npart + part].fold_stats(&prof);
        (prof, st)
    }

    /// Folds output samples `a..b` (covered by `table`) from `win`.
    ///
    /// # Panics
    /// If the window does not hold every input sample the range needs.
    pub fn fold(&mut self, plan: &FoldPlan, table: &DrizzleTable, win: &Window<'_>, a: u64, b: u64) {
        let npart = plan.params.npart;
        let nbins = plan.params.nbins;
        let g = self.sub_hi - self.sub_lo;
        let mut seg_start = a;
        while seg_start < b {
            // Statistics are kept per sub-integration: split at part boundaries.
            let part = ((seg_start / plan.part_len) as usize).min(npart - 1);
            let mut seg_end = b.min((part as u64 + 1) * plan.part_len);
            if plan.fdot != 0.0 {
                seg_end = self.rotate_by_turns(plan, seg_start, seg_end);
            }
            let len = (seg_end - seg_start) as usize;
            let off = (seg_start - win.w0) as usize;
            let first_piece = (seg_start - table.start) as usize;
            let offs = &table.offsets[first_piece..=first_piece + len];
            let pieces = &table.pieces[offs[0] as usize..offs[len] as usize];
            if pieces.is_empty() {
                // Only possible after the last whole turn: count the data, fold nothing.
                self.form(plan, win, off, len, part);
                self.take_levels(plan, len);
                seg_start = seg_end;
                continue;
            }
            self.form(plan, win, off, len, part);
            let levelled = self.take_levels(plan, len);
            // Sample-major copy of the subbands, transposed in blocks of 16 samples
            // so that the 16 rows written stay in the L1 cache.
            self.xt.clear();
            self.xt.resize(len * g, 0.0);
            for i0 in (0..len).step_by(16) {
                let i1 = (i0 + 16).min(len);
                for (k, sub) in self.subs.chunks_exact(len).enumerate() {
                    let level = self.level[k] as f32;
                    for (i, &v) in (i0..i1).zip(&sub[i0..i1]) {
                        self.xt[i * g + k] = v - level;
                    }
                }
            }
            // Contributions of this stretch, `[part − p0][bin][sub]`: sums of at most
            // a stretch of samples, so single precision is ample before the cube's doubles.
            let p0 = pieces.iter().map(|p| p.base).min().unwrap_or(0) as usize / nbins;
            let p1 = pieces.iter().map(|p| p.base).max().unwrap_or(0) as usize / nbins;
            self.local.clear();
            self.local.resize((p1 - p0 + 1) * nbins * g, 0.0);
            let base0 = p0 * nbins;
            for i in 0..len {
                let x = &self.xt[i * g..(i + 1) * g];
                for p in &table.pieces[offs[i] as usize..offs[i + 1] as usize] {
                    let d = (p.base as usize - base0 + p.bin as usize) * g;
                    let w = p.weight;
                    for (l, &v) in self.local[d..d + g].iter_mut().zip(x) {
                        *l += w * v;
                    }
                }
            }
            // Into the cube, each subband rotated by its accelerated-pulsar
            // correction (whole bins, the same for every turn of the stretch).
            if plan.fdot == 0.0 {
                self.rots.clear();
                self.rots.resize(g, 0);
            }
            for pp in 0..=(p1 - p0) {
                for bin in 0..nbins {
                    let src = &self.local[(pp * nbins + bin) * g..(pp * nbins + bin + 1) * g];
                    for (k, (&v, &rot)) in src.iter().zip(&self.rots).enumerate() {
                        let mut bb = bin + rot;
                        if bb >= nbins {
                            bb -= nbins;
                        }
                        self.cube[((p0 + pp) * nbins + bb) * g + k] += v as f64;
                    }
                }
            }
            if levelled {
                // The levels taken out go back in spread evenly over the bins of
                // each part the stretch adds to.
                self.exposure.clear();
                self.exposure.resize(p1 - p0 + 1, 0.0);
                for p in pieces {
                    self.exposure[(p.base as usize - base0) / nbins] += p.weight as f64;
                }
                for (pp, &e) in self.exposure.iter().enumerate() {
                    let per_bin = e / nbins as f64;
                    if per_bin != 0.0 {
                        let rows = &mut self.cube[(p0 + pp) * nbins * g..(p0 + pp + 1) * nbins * g];
                        for row in rows.chunks_exact_mut(g) {
                            for (c, &l) in row.iter_mut().zip(&self.level) {
                                *c += l * per_bin;
                            }
                        }
                    }
                }
            }
            seg_start = seg_end;
        }
    }

    /// Sets `rots` to each subband's accelerated-pulsar rotation for the
    /// turns from the one `seg_start` is in, and returns where the stretch
    /// must end (at most `seg_end`) for every turn in it to share them.
    ///
    /// The rotation is set per turn (at the middle of the turn), not per
    /// stretch: a stretch holds only part of a turn, so a rotation that
    /// changed between two stretches of one turn would cover one bin of it
    /// twice or not at all, and anything steady in the data — its level, a
    /// slow gain change — would show there. Where a subband's rotation changes
    /// between the turns of a stretch, the stretch is cut at the first sample
    /// that starts in the new turn (the sample that straddles the boundary
    /// goes with the old turn).
    fn rotate_by_turns(&mut self, plan: &FoldPlan, seg_start: u64, seg_end: u64) -> u64 {
        let subs = self.sub_lo..self.sub_hi;
        let turn_of = |s: u64| plan.phase_at_sample(s as f64).floor() as i64;
        let (m0, m1) = (turn_of(seg_start), turn_of(seg_end));
        self.rots.clear();
        self.rots.extend(subs.clone().map(|s| plan.turn_rotation(s, m0)));
        let same = |m: i64, rots: &[usize]| subs.clone().zip(rots).all(|(s, &r)| plan.turn_rotation(s, m) == r);
        if same(m1, &self.rots) {
            return seg_end;
        }
        let mut m = m0 + 1;
        while m < m1 && same(m, &self.rots) {
            m += 1;
        }
        // The first sample that starts at or after turn m.
        let split = (plan.time_at_phase(m as f64) / plan.dt).ceil() as u64;
        split.clamp(seg_start + 1, seg_end)
    }

    /// Sets `level` to the level subtracted from each subband of the stretch
    /// just formed, and adds the stretch to the running sums; returns whether
    /// levels are taken out at all.
    ///
    /// With ḟ ≠ 0 the bins of a turn are not equally exposed, and the data's
    /// large mean level (about `noise_mean` × channels per subband) would show
    /// in the profile far above the noise (`docs/folding.md`, "Folds of nothing
    /// at high DM"):
    ///
    /// * the spin changes within a turn, so its first bins hold a fraction
    ///   ḟ/f² more samples than its last, as in prepfold (1 % at P 1.7 s,
    ///   z 16.7: 22σ from noise at DM 5648);
    /// * where a subband's accelerated-pulsar rotation steps, the sample
    ///   straddling the two turns goes wholly with the old rotation (see
    ///   `rotate_by_turns`; when the rotation was set per stretch, a whole bin
    ///   of the turn was covered twice or not at all there: 36σ from noise at
    ///   DM 4142.4, P 51.9 ms, z 17).
    ///
    /// So the level is taken out before folding and put back spread evenly over
    /// the bins of each part. The level is the mean of every sample of the subband
    /// before the stretch (of the stretch itself for the first): long enough
    /// to hold no pulsar signal, and, as `f32` values summed in `f64` (exactly,
    /// for data of a few significant bits), the same however the data are cut
    /// into stretches.
    fn take_levels(&mut self, plan: &FoldPlan, len: usize) -> bool {
        if plan.fdot == 0.0 || len == 0 {
            return false;
        }
        for (k, sub) in self.subs.chunks_exact(len).enumerate() {
            let sum: f64 = sub.iter().map(|&v| v as f64).sum();
            self.level[k] = if self.level_n > 0.0 {
                self.level_sum[k] / self.level_n
            } else {
                sum / len as f64
            };
            self.level_sum[k] += sum;
        }
        self.level_n += len as f64;
        true
    }

    /// Forms the stretch's subbands into `subs` (`[sub][sample]`) and adds them
    /// to the statistics of `part`.
    fn form(&mut self, plan: &FoldPlan, win: &Window<'_>, off: usize, len: usize, part: usize) {
        let npart = plan.params.npart;
        self.subs.resize((self.sub_hi - self.sub_lo) * len, 0.0);
        for (k, s) in (self.sub_lo..self.sub_hi).enumerate() {
            let out = &mut self.subs[k * len..(k + 1) * len];
            let chans = s * plan.chan_per_sub..(s + 1) * plan.chan_per_sub;
            let slice = |c: usize| {
                let from = c * win.stride + off + plan.delays[c];
                &win.data[from..from + len]
            };
            form_subband(out, chans.map(slice));
            self.stats[k * npart + part].add(out);
        }
    }
}

/// `out[j] = Σ_c chan_c[j]`, four channels at a time so that `out` is read and
/// written once per four channels.
fn form_subband<'a>(out: &mut [f32], mut chans: impl Iterator<Item = &'a [f32]>) {
    out.fill(0.0);
    loop {
        match (chans.next(), chans.next(), chans.next(), chans.next()) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                for ((((o, &a), &b), &c), &d) in out.iter_mut().zip(a).zip(b).zip(c).zip(d) {
                    *o += (a + b) + (c + d);
                }
            }
            (a, b, c, _) => {
                for ch in [a, b, c].into_iter().flatten() {
                    for (o, &x) in out.iter_mut().zip(ch) {
                        *o += x;
                    }
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fold::params::{FoldParams, FoldRequest};

    fn plan(period: f64, nbins: usize, npart: usize, nsamples: u64) -> FoldPlan {
        let mut h = crate::fold::plan::tests_support::header(1, nsamples);
        h.tsamp_s = 1e-3;
        let mut req = FoldRequest::new("t", period, 0.0, 0.0, 0.0);
        let mut p = FoldParams::palfa_for_period(period);
        p.nbins = nbins;
        p.npart = npart;
        req.params = Some(p);
        FoldPlan::new(&req, &h, 1).unwrap()
    }

    #[test]
    fn drizzle_weights_sum_to_one_within_whole_turns() {
        // Period 7.3 samples, 5 bins: samples straddle bins.
        let p = plan(0.0073, 5, 2, 1000);
        let mut t = DrizzleTable::default();
        t.build(&p, 0, p.n_fold);
        let last_turn = *p.turn_close.last().unwrap() as f64;
        for j in 0..p.n_fold as usize {
            let w: f32 = t.pieces[t.offsets[j] as usize..t.offsets[j + 1] as usize]
                .iter()
                .map(|x| x.weight)
                .sum();
            // Samples wholly before the last whole turn keep all of their weight.
            if p.phase_at_sample((j + 1) as f64) <= last_turn {
                assert!((w - 1.0).abs() < 1e-5, "sample {j}: {w}");
            }
        }
        // Constant data → every bin of every part gets the same exposure.
        let mut g = GroupFold::new(&p, 0, 1);
        let data = vec![1.0f32; 1000];
        let win = Window {
            data: &data,
            stride: 1000,
            w0: 0,
        };
        g.fold(&p, &t, &win, 0, p.n_fold);
        // (A stretch is summed in single precision: 1e-5 relative for 500 samples.)
        for part in 0..2 {
            let (prof, _) = g.profile(&p, part, 0);
            for v in &prof {
                assert!((v - prof[0]).abs() < 1e-5 * prof[0], "part {part}: {prof:?}");
            }
        }
        // Exposure per bin = turns in the part × samples per bin.
        let turns0 = p.turn_close[0] as f64;
        assert!((g.profile(&p, 0, 0).0[0] / (turns0 * 7.3 / 5.0) - 1.0).abs() < 1e-5);
    }

    /// Constant data stay flat when folded with ḟ ≠ 0 at a DM where the
    /// accelerated-pulsar rotation of the subbands steps many times (each step
    /// used to add the level to one bin or take it from one, and the spin-up
    /// within a turn made a ramp).
    #[test]
    fn constant_data_stay_flat_under_the_accelerated_rotation() {
        let nsamples = 200_000u64;
        let h = crate::fold::plan::tests_support::header(16, nsamples);
        let (period, t) = (0.05, nsamples as f64 * 1e-4);
        let f = 1.0 / period;
        let fdot = 50.0 / (t * t);
        let mut req = FoldRequest::new("t", period, -fdot / (f * f), 2000.0, 0.0);
        let mut params = FoldParams::palfa_for_period(period);
        params.npart = 10;
        req.params = Some(params);
        let p = FoldPlan::new(&req, &h, 4).unwrap();
        // Subband 0 sits 0.11 s below the top: its rotation steps ~25 times.
        let steps = p.fdot * p.sub_delay_s[0] * p.t_fold() * p.params.nbins as f64;
        assert!(steps > 20.0, "{steps}");
        let data = vec![100.0f32; 16 * nsamples as usize];
        let win = Window {
            data: &data,
            stride: nsamples as usize,
            w0: 0,
        };
        let mut g = GroupFold::new(&p, 0, p.nsub);
        let mut t = DrizzleTable::default();
        for a in (0..p.n_fold).step_by(128) {
            let b = (a + 128).min(p.n_fold);
            t.build(&p, a, b);
            g.fold(&p, &t, &win, a, b);
        }
        for part in 0..p.params.npart {
            for sub in 0..p.nsub {
                let (prof, _) = g.profile(&p, part, sub);
                let avg = prof.iter().sum::<f64>() / prof.len() as f64;
                let worst = prof.iter().map(|v| (v / avg - 1.0).abs()).fold(0.0, f64::max);
                // Was 2.5e-2 (one bin's step of the rotation; the spin-up within
                // a turn alone gave ḟ/f² = 3e-4).
                assert!(worst < 1e-6, "part {part}, subband {sub}: {worst:e} off flat");
            }
        }
    }

    /// Every sample is rotated by the rotation of the turn it starts in:
    /// stretches are cut where a subband's rotation changes between turns.
    #[test]
    fn rotations_change_only_between_turns() {
        let nsamples = 200_000u64;
        let h = crate::fold::plan::tests_support::header(16, nsamples);
        let (period, t) = (0.05, nsamples as f64 * 1e-4);
        let f = 1.0 / period;
        let fdot = 50.0 / (t * t);
        let req = FoldRequest::new("t", period, -fdot / (f * f), 2000.0, 0.0);
        let p = FoldPlan::new(&req, &h, 4).unwrap();
        let mut g = GroupFold::new(&p, 0, p.nsub);
        let mut cuts = 0;
        for a in (0..p.n_fold).step_by(128) {
            let b = (a + 128).min(p.n_fold);
            let mut s0 = a;
            while s0 < b {
                let s1 = g.rotate_by_turns(&p, s0, b);
                assert!(s1 > s0);
                cuts += usize::from(s1 < b);
                for s in s0..s1 {
                    let turn = p.phase_at_sample(s as f64).floor() as i64;
                    for sub in 0..p.nsub {
                        assert_eq!(g.rots[sub], p.turn_rotation(sub, turn), "sample {s}, subband {sub}");
                    }
                }
                s0 = s1;
            }
        }
        // Subband 0's rotation alone steps ~25 times.
        assert!(cuts > 20, "{cuts} cuts");
    }

    #[test]
    fn a_pulse_lands_in_its_bin() {
        let p = plan(0.010, 10, 1, 1000);
        let mut t = DrizzleTable::default();
        t.build(&p, 0, p.n_fold);
        // A pulse in sample 3 of every 10-sample period: phase 0.3-0.4 → bin 3.
        let data: Vec<f32> = (0..1000).map(|i| if i % 10 == 3 { 1.0 } else { 0.0 }).collect();
        let win = Window {
            data: &data,
            stride: 1000,
            w0: 0,
        };
        let mut g = GroupFold::new(&p, 0, 1);
        // Fold in two pieces to exercise stretches.
        t.build(&p, 0, 400);
        g.fold(&p, &t, &win, 0, 400);
        t.build(&p, 400, p.n_fold);
        g.fold(&p, &t, &win, 400, p.n_fold);
        let (prof, st) = g.profile(&p, 0, 0);
        let peak = prof.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(peak, 3);
        assert!((prof[3] - 100.0).abs() < 1e-3, "{prof:?}");
        assert_eq!(st.numdata, 1000.0);
        assert!((st.data_avg - 0.1).abs() < 1e-12);
        assert!((st.data_var - 0.09 * 1000.0 / 999.0).abs() < 1e-9);
    }
}
