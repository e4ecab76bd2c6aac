//! Dedispersion plans (DDplan equivalent): which DMs to try, at what
//! downsampling, in passes of subband dedispersion.
//!
//! A plan is a list of [`DmStep`]s, each a contiguous run of DM trials with one
//! DM spacing and one downsampling factor, dedispersed in passes: every pass
//! forms `nsub` subbands at its own subband DM, then dedisperses the subbands to
//! `dms_per_pass` trial DMs. Trial DMs are rounded to 0.01 (they name files as
//! `_DM%.2f`).
//!
//! [`DmPlan::palfa_mock`] is the PALFA survey's own plan for its Mock data (8
//! steps, DM 0 to 5087.4 in 6276 trials), so results compare with the survey's.
//! [`DmPlan::plan`] serves every other set-up. Its rule balances the smearing:
//!
//! * step k samples at `dt·2^k` (times a base factor for a coarser target resolution);
//! * its DM spacing is the largest of DDplan's allowed steps whose half-step DM
//!   error smears the whole band by no more than that sample time;
//! * it ends where the intra-channel smearing reaches twice the sample time,
//!   where downsampling by two more loses (almost) nothing;
//! * a pass covers as many DMs as keep the subband smearing (the DM error across
//!   one subband from dedispersing it at the pass's central DM) within the
//!   sample time.

use serde::{Deserialize, Serialize};

use palfa_core::astro::DM_CONST;
use palfa_core::config::{DdplanChoice, DedispParams};
use palfa_core::BeamHeader;

/// DM spacings a plan may use (DDplan's list).
pub const ALLOWED_DM_STEPS: &[f64] = &[
    0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 300.0,
];

/// Most DMs one pass dedisperses from one set of subbands.
pub const MAX_DMS_PER_PASS: usize = 128;

/// One run of DM trials with one spacing and downsampling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DmStep {
    /// First trial DM.
    pub lodm: f64,
    /// Spacing of the trials.
    pub dmstep: f64,
    /// Trials per pass.
    pub dms_per_pass: usize,
    /// Passes.
    pub npasses: usize,
    /// Subbands per pass.
    pub nsub: usize,
    /// Downsampling factor (output sample time = dt · downsamp).
    pub downsamp: usize,
}

impl DmStep {
    /// Number of trials in the step.
    pub fn numdms(&self) -> usize {
        self.dms_per_pass * self.npasses
    }

    /// DM just after the last trial (where the next step starts).
    pub fn hidm(&self) -> f64 {
        round_dm(self.lodm + self.numdms() as f64 * self.dmstep)
    }

    /// The trial DMs of pass `pass`.
    pub fn pass_dms(&self, pass: usize) -> Vec<f64> {
        let start = self.lodm + (pass * self.dms_per_pass) as f64 * self.dmstep;
        (0..self.dms_per_pass)
            .map(|i| round_dm(start + i as f64 * self.dmstep))
            .collect()
    }

    /// The DM at which pass `pass` forms its subbands (the middle of its range).
    pub fn subdm(&self, pass: usize) -> f64 {
        round_dm(self.lodm + (pass as f64 + 0.5) * self.dms_per_pass as f64 * self.dmstep)
    }
}

/// One pass of a plan: a set of subbands and the DMs made from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DmPass {
    /// Index of the step in the plan.
    pub step: usize,
    /// Index of the pass in its step.
    pub pass: usize,
    /// Subband DM.
    pub subdm: f64,
    /// Trial DMs.
    pub dms: Vec<f64>,
    /// Subbands.
    pub nsub: usize,
    /// Downsampling factor.
    pub downsamp: usize,
}

/// A dedispersion plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DmPlan {
    /// The steps, in increasing DM.
    pub steps: Vec<DmStep>,
    /// How the plan was chosen ("palfa-mock" or "planner").
    pub origin: String,
}

/// The band and sampling a plan is made for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Sample time \[s\].
    pub dt: f64,
    /// Centre frequency \[MHz\].
    pub fctr_mhz: f64,
    /// Total bandwidth \[MHz\].
    pub bw_mhz: f64,
    /// Channels.
    pub nchans: usize,
}

impl Band {
    /// The band of a beam.
    pub fn of(h: &BeamHeader) -> Self {
        Self {
            dt: h.tsamp_s,
            fctr_mhz: h.fctr_mhz(),
            bw_mhz: h.bandwidth_mhz(),
            nchans: h.nchans,
        }
    }

    /// Smearing \[s\] by a DM error `ddm` across a bandwidth `bw_mhz` at the band centre.
    pub fn dm_smear(&self, ddm: f64, bw_mhz: f64) -> f64 {
        2.0 * DM_CONST * ddm.abs() * bw_mhz / self.fctr_mhz.powi(3)
    }

    /// Intra-channel smearing \[s\] at `dm`.
    pub fn chan_smear(&self, dm: f64) -> f64 {
        self.dm_smear(dm, self.bw_mhz / self.nchans as f64)
    }
}

impl DmPlan {
    /// The PALFA survey's plan for Mock data (pipeline2.0 `PALFA2_presto_search.py`).
    pub fn palfa_mock() -> Self {
        let rows: [(f64, f64, usize, usize, usize); 8] = [
            (0.0, 0.1, 76, 28, 1),
            (212.8, 0.3, 64, 12, 2),
            (443.2, 0.3, 76, 4, 3),
            (534.4, 0.5, 76, 9, 5),
            (876.4, 0.5, 76, 3, 6),
            (990.4, 1.0, 76, 11, 10),
            (1826.4, 2.0, 72, 10, 15),
            (3266.4, 3.0, 76, 8, 30),
        ];
        Self {
            steps: rows
                .iter()
                .map(|&(lodm, dmstep, dms_per_pass, npasses, downsamp)| DmStep {
                    lodm,
                    dmstep,
                    dms_per_pass,
                    npasses,
                    nsub: 96,
                    downsamp,
                })
                .collect(),
            origin: "palfa-mock".into(),
        }
    }

    /// True if the beam has the PALFA Mock set-up the survey's plan was made for:
    /// about 960 channels of 0.336 MHz around 1375 MHz sampled at 65.476 µs.
    pub fn is_palfa_mock(h: &BeamHeader) -> bool {
        let close = |a: f64, b: f64, rel: f64| (a - b).abs() <= rel * b;
        (950..=970).contains(&h.nchans)
            && close(h.tsamp_s, 65.476e-6, 0.01)
            && close(h.chan_bw_mhz, 0.336, 0.02)
            && close(h.fctr_mhz(), 1375.0, 0.02)
    }

    /// The plan the configuration asks for, for this beam.
    pub fn for_beam(h: &BeamHeader, p: &DedispParams) -> Self {
        if p.ddplan == DdplanChoice::Palfa && Self::is_palfa_mock(h) {
            return Self::palfa_mock();
        }
        let resolution = if p.resolution_s > 0.0 {
            p.resolution_s
        } else {
            h.tsamp_s
        };
        Self::plan(Band::of(h), p.min_dm, p.max_dm, p.nsub, resolution)
    }

    /// Plans trials from `lodm` to at least `hidm` (see the module docs for the rule).
    pub fn plan(band: Band, lodm: f64, hidm: f64, nsub: usize, resolution_s: f64) -> Self {
        let nsub = nsub.clamp(1, band.nchans.max(1));
        let base = (resolution_s / band.dt).round().max(1.0) as usize;
        let mut steps = Vec::new();
        let mut lo = round_dm(lodm.max(0.0));
        let mut k = 0u32;
        loop {
            let downsamp = base << k;
            let t_samp = band.dt * downsamp as f64;
            let dmstep = ALLOWED_DM_STEPS
                .iter()
                .rev()
                .copied()
                .find(|&s| band.dm_smear(0.5 * s, band.bw_mhz) <= t_samp)
                .unwrap_or(ALLOWED_DM_STEPS[0]);
            // Where intra-channel smearing reaches the next step's sample time.
            let switch_dm = 2.0 * t_samp / band.chan_smear(1.0);
            let last = switch_dm >= hidm || k >= 12;
            let end = if last { hidm } else { switch_dm.max(lo + dmstep) };
            let sub_bw = band.bw_mhz / nsub as f64;
            let max_range = 2.0 * t_samp / (2.0 * DM_CONST * sub_bw / band.fctr_mhz.powi(3));
            let dms_per_pass = ((max_range / dmstep).floor() as usize).clamp(1, MAX_DMS_PER_PASS);
            let numdms = (((end - lo) / dmstep).ceil() as usize).max(1);
            let npasses = numdms.div_ceil(dms_per_pass);
            let step = DmStep {
                lodm: lo,
                dmstep,
                dms_per_pass,
                npasses,
                nsub,
                downsamp,
            };
            lo = step.hidm();
            steps.push(step);
            if last || lo >= hidm {
                break;
            }
            k += 1;
        }
        Self {
            steps,
            origin: "planner".into(),
        }
    }

    /// Every pass, in order.
    pub fn passes(&self) -> Vec<DmPass> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(si, s)| {
                (0..s.npasses).map(move |p| DmPass {
                    step: si,
                    pass: p,
                    subdm: s.subdm(p),
                    dms: s.pass_dms(p),
                    nsub: s.nsub,
                    downsamp: s.downsamp,
                })
            })
            .collect()
    }

    /// Every trial DM, in order.
    pub fn all_dms(&self) -> Vec<f64> {
        self.passes().into_iter().flat_map(|p| p.dms).collect()
    }

    /// Total number of trials.
    pub fn numdms(&self) -> usize {
        self.steps.iter().map(DmStep::numdms).sum()
    }

    /// A printable table of the plan with the worst total smearing of each step.
    pub fn table(&self, band: Band) -> String {
        let mut s = format!(
            "Dedispersion plan ({}), {} trials in {} passes\n",
            self.origin,
            self.numdms(),
            self.steps.iter().map(|s| s.npasses).sum::<usize>()
        );
        s += "  Low DM   High DM   dDM  DownSamp  dms/pass  passes  nsub  smearing(ms)\n";
        for st in &self.steps {
            let t_samp = band.dt * st.downsamp as f64;
            let hi = st.hidm();
            let smear = (t_samp.powi(2)
                + band.chan_smear(hi).powi(2)
                + band.dm_smear(0.5 * st.dmstep, band.bw_mhz).powi(2)
                + band
                    .dm_smear(0.5 * st.dmstep * st.dms_per_pass as f64, band.bw_mhz / st.nsub as f64)
                    .powi(2))
            .sqrt();
            s += &format!(
                "{:8.2} {:9.2} {:5.2} {:9} {:9} {:7} {:5} {:13.3}\n",
                st.lodm,
                hi,
                st.dmstep,
                st.downsamp,
                st.dms_per_pass,
                st.npasses,
                st.nsub,
                smear * 1e3
            );
        }
        s
    }
}

/// Rounds a DM to 0.01, the precision trial DMs are named with.
pub fn round_dm(dm: f64) -> f64 {
    (dm * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palfa_plan_matches_the_survey() {
        let p = DmPlan::palfa_mock();
        assert_eq!(p.numdms(), 6276);
        assert_eq!(p.passes().len(), 85);
        let dms = p.all_dms();
        assert_eq!(dms[0], 0.0);
        assert_eq!(*dms.last().unwrap(), 5087.4);
        // Steps are contiguous.
        for w in p.steps.windows(2) {
            assert!(
                (w[0].hidm() - w[1].lodm).abs() < 1e-9,
                "{} vs {}",
                w[0].hidm(),
                w[1].lodm
            );
        }
        assert_eq!(p.steps[0].subdm(0), 3.8);
        assert!(dms.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn planner_balances_smearing() {
        // The PALFA band: the planner's steps must be contiguous, cover the range,
        // keep DM-step and subband smearing within each step's sample time.
        let band = Band {
            dt: 65.476e-6,
            fctr_mhz: 1375.0,
            bw_mhz: 322.6,
            nchans: 960,
        };
        let plan = DmPlan::plan(band, 0.0, 1000.0, 96, band.dt);
        assert!(plan.steps.len() >= 3);
        assert!(plan.steps.last().unwrap().hidm() >= 1000.0);
        for w in plan.steps.windows(2) {
            assert!((w[0].hidm() - w[1].lodm).abs() < 1e-9);
            assert_eq!(w[1].downsamp, 2 * w[0].downsamp);
            assert!(w[1].dmstep >= w[0].dmstep);
        }
        for st in &plan.steps {
            let t = band.dt * st.downsamp as f64;
            assert!(band.dm_smear(0.5 * st.dmstep, band.bw_mhz) <= t * 1.0001);
            let sub = band.dm_smear(0.5 * st.dmstep * st.dms_per_pass as f64, band.bw_mhz / 96.0);
            assert!(sub <= t * 1.0001 || st.dms_per_pass == 1);
        }
        // Like the survey's plan, the first step uses 0.1 DM spacing at full resolution.
        assert_eq!(plan.steps[0].dmstep, 0.1);
        assert_eq!(plan.steps[0].downsamp, 1);
    }

    #[test]
    fn tiny_band_and_range() {
        let band = Band {
            dt: 320e-6,
            fctr_mhz: 1475.0,
            bw_mhz: 70.0,
            nchans: 64,
        };
        let plan = DmPlan::plan(band, 0.0, 100.0, 96, band.dt);
        assert_eq!(plan.steps[0].nsub, 64, "nsub is capped at the channel count");
        assert!(plan.all_dms().last().unwrap() + plan.steps.last().unwrap().dmstep >= 100.0);
    }
}
