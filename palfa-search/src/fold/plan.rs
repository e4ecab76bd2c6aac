//! The geometry of one fold, fixed before any data are read: fold frequency,
//! subbands and their intra-subband dispersion delays, sub-integration
//! boundaries, and where each sub-integration's last whole turn ends.

use palfa_core::astro;
use palfa_core::BeamHeader;

use super::params::{usable_nsub, FoldParams, FoldRequest};
use crate::error::{SearchError, SearchResult};

/// How one candidate is folded.
#[derive(Debug, Clone)]
pub(crate) struct FoldPlan {
    /// Bins, parts and search grid (`npart` already capped to the data).
    pub params: FoldParams,
    /// Fold frequency at the first sample \[Hz\].
    pub f0: f64,
    /// Fold frequency derivative \[Hz/s\].
    pub fdot: f64,
    /// Fold DM.
    pub dm: f64,
    /// Sample time \[s\].
    pub dt: f64,
    /// Channels in the beam.
    pub nchan: usize,
    /// Subbands.
    pub nsub: usize,
    /// Channels per subband.
    pub chan_per_sub: usize,
    /// Per channel (lowest frequency first): delay \[samples\] relative to the
    /// highest channel of its subband at the fold DM.
    pub delays: Vec<usize>,
    /// Largest of `delays`.
    pub max_delay: usize,
    /// Per subband: dispersion delay \[s\] of its highest channel relative to the
    /// band's highest channel at the fold DM (Δ_s).
    pub sub_delay_s: Vec<f64>,
    /// Output samples per sub-integration.
    pub part_len: u64,
    /// Output samples folded (`part_len · npart`).
    pub n_fold: u64,
    /// Per sub-integration: the number of whole turns completed by its end.
    /// A profile holds only whole turns, like prepfold's: a turn that straddles
    /// the end of sub-integration `p` is added to the sub-integration in which it
    /// completes, and the incomplete last turn of the beam is dropped.
    pub turn_close: Vec<i64>,
}

impl FoldPlan {
    /// Plans the fold of `req` over a beam described by `header`, with `nsub`
    /// subbands wanted.
    pub fn new(req: &FoldRequest, header: &BeamHeader, nsub: usize) -> SearchResult<Self> {
        let bad = |why: String| SearchError::Params(format!("fold of {:?}: {why}", req.label));
        let mut params = req.fold_params();
        if !(req.period_s.is_finite() && req.period_s > 0.0) {
            return Err(bad(format!("period {} s is not positive", req.period_s)));
        }
        if !req.pdot.is_finite() {
            return Err(bad(format!("period derivative {} is not finite", req.pdot)));
        }
        if !(req.dm.is_finite() && req.dm >= 0.0) {
            return Err(bad(format!("DM {} is negative or not finite", req.dm)));
        }
        if params.nbins < 2 || params.nbins > 4096 {
            return Err(bad(format!("{} profile bins (2 to 4096 are allowed)", params.nbins)));
        }
        if params.npart == 0 || params.npfact == 0 || params.ndmfact == 0 {
            return Err(bad("npart, npfact and ndmfact must be at least 1".into()));
        }
        if header.nchans == 0 || header.tsamp_s.is_nan() || header.tsamp_s <= 0.0 {
            return Err(bad("the beam has no channels or no sample time".into()));
        }
        let dt = header.tsamp_s;
        let nchan = header.nchans;
        let nsub = usable_nsub(nchan, nsub);
        let chan_per_sub = nchan / nsub;
        let delays: Vec<usize> = (0..nchan)
            .map(|c| {
                let top = (c / chan_per_sub + 1) * chan_per_sub - 1;
                let d = astro::relative_delay_s(req.dm, header.freq_mhz(c), header.freq_mhz(top));
                (d / dt + 0.5).floor().max(0.0) as usize
            })
            .collect();
        let max_delay = delays.iter().copied().max().unwrap_or(0);
        let sub_delay_s = (0..nsub)
            .map(|s| {
                let top = (s + 1) * chan_per_sub - 1;
                astro::relative_delay_s(req.dm, header.freq_mhz(top), header.hifreq_mhz())
            })
            .collect();
        let usable = header.nsamples.saturating_sub(max_delay as u64);
        if usable == 0 {
            return Err(bad(format!(
                "the beam's {} samples are fewer than the {max_delay}-sample dispersion delay within a subband",
                header.nsamples
            )));
        }
        // Like prepfold: never more parts than there is data for.
        params.npart = params.npart.min(usable as usize);
        let part_len = usable / params.npart as u64;
        let n_fold = part_len * params.npart as u64;
        let f0 = 1.0 / req.period_s;
        let fdot = -req.pdot / (req.period_s * req.period_s);
        let t_fold = n_fold as f64 * dt;
        if f0 + fdot * t_fold <= 0.0 {
            return Err(bad(format!(
                "the period derivative {} makes the spin frequency negative within the beam",
                req.pdot
            )));
        }
        let mut plan = Self {
            params,
            f0,
            fdot,
            dm: req.dm,
            dt,
            nchan,
            nsub,
            chan_per_sub,
            delays,
            max_delay,
            sub_delay_s,
            part_len,
            n_fold,
            turn_close: Vec::new(),
        };
        plan.turn_close = (0..params.npart)
            .map(|p| plan.phase_at_sample(((p + 1) as u64 * part_len) as f64).floor() as i64)
            .collect();
        Ok(plan)
    }

    /// Pulse phase \[turns\] at the start of output sample `s` (fractional allowed):
    /// φ(t) = f₀·t + ½·ḟ·t², t = s·dt.
    pub fn phase_at_sample(&self, s: f64) -> f64 {
        let t = s * self.dt;
        t * (self.f0 + 0.5 * self.fdot * t)
    }

    /// Phase correction \[turns\] for subband `sub` at time `t` \[s\]: the spin model
    /// is evaluated at the emission-aligned time t − Δ_s, plus the constant
    /// f₀·Δ_s that dedispersion at the fold DM removes, i.e.
    /// φ(t − Δ_s) + f₀·Δ_s − φ(t) = −ḟ·Δ_s·t + ½·ḟ·Δ_s².
    ///
    /// prepfold folds every subband at its own arrival time, so for an
    /// accelerated pulsar the subbands drift apart by ḟ·Δ_s·T turns over the
    /// observation, which a constant DM rotation cannot undo; this removes it.
    pub fn subband_phase_correction(&self, sub: usize, t: f64) -> f64 {
        let d = self.sub_delay_s[sub];
        self.fdot * d * (0.5 * d - t)
    }

    /// Time \[s\] at which the spin model reaches `phase` turns (the root of
    /// φ(t) = phase near t = phase/f₀).
    pub fn time_at_phase(&self, phase: f64) -> f64 {
        let disc = (self.f0 * self.f0 + 2.0 * self.fdot * phase).max(0.0);
        2.0 * phase / (self.f0 + disc.sqrt())
    }

    /// The accelerated-pulsar rotation \[bins, right\] of subband `sub` for
    /// every sample of turn `turn`: [`subband_phase_correction`](Self::subband_phase_correction)
    /// at the middle of the turn, in whole bins.
    pub fn turn_rotation(&self, sub: usize, turn: i64) -> usize {
        let nbins = self.params.nbins as f64;
        let t = self.time_at_phase(turn as f64 + 0.5);
        let corr = self.subband_phase_correction(sub, t) * nbins;
        (corr.round() as i64).rem_euclid(nbins as i64) as usize
    }

    /// Length of the folded data \[s\].
    pub fn t_fold(&self) -> f64 {
        self.n_fold as f64 * self.dt
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use palfa_core::BeamHeader;

    /// A filterbank header of `nchans` 1-MHz channels from 1200 MHz, 100 µs
    /// samples, `nsamples` long.
    pub fn header(nchans: usize, nsamples: u64) -> BeamHeader {
        BeamHeader {
            files: vec!["x.fil".into()],
            nsamples,
            chan_bw_mhz: 1.0,
            nbits: 8,
            ..palfa_testkit::fixtures::header(nchans, 1e-4)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::header;
    use super::*;

    #[test]
    fn delays_are_relative_to_each_subband_top() {
        let h = header(16, 100_000);
        let req = FoldRequest::new("c", 0.01, 0.0, 100.0, 10.0);
        let p = FoldPlan::new(&req, &h, 4).unwrap();
        assert_eq!((p.nsub, p.chan_per_sub), (4, 4));
        for s in 0..4 {
            assert_eq!(p.delays[4 * s + 3], 0);
            assert!(p.delays[4 * s] > p.delays[4 * s + 1]);
        }
        // Channel 0 at 1200 MHz vs 1203 MHz: 4148.808·100·(1/1200² − 1/1203²) s.
        let want = 4148.808 * 100.0 * (1.0 / (1200.0f64 * 1200.0) - 1.0 / (1203.0f64 * 1203.0)) / 1e-4;
        assert_eq!(p.delays[0], want.round() as usize);
        assert_eq!(p.n_fold, (100_000 - p.max_delay as u64) / 40 * 40);
    }

    #[test]
    fn whole_turns_close_each_part() {
        let h = header(4, 10_000);
        let req = FoldRequest::new("c", 0.0123, 1e-6, 0.0, 10.0);
        let p = FoldPlan::new(&req, &h, 1).unwrap();
        for (i, &k) in p.turn_close.iter().enumerate() {
            let phi = p.phase_at_sample(((i + 1) as u64 * p.part_len) as f64);
            assert!(k as f64 <= phi && phi < k as f64 + 1.0);
        }
    }

    #[test]
    fn bad_requests_are_refused() {
        let h = header(4, 1000);
        for req in [
            FoldRequest::new("a", 0.0, 0.0, 1.0, 1.0),
            FoldRequest::new("b", f64::NAN, 0.0, 1.0, 1.0),
            FoldRequest::new("c", 0.01, 0.0, -1.0, 1.0),
            FoldRequest::new("d", 0.01, 1.0, 1.0, 1.0),
        ] {
            assert!(
                matches!(FoldPlan::new(&req, &h, 1), Err(SearchError::Params(_))),
                "{}",
                req.label
            );
        }
        let tiny = header(4, 0);
        assert!(FoldPlan::new(&FoldRequest::new("e", 0.01, 0.0, 0.0, 1.0), &tiny, 1).is_err());
    }
}
