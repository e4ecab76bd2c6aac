//! Dedispersion on a synthetic beam: an injected pulsar at DM 150 and a single
//! pulse at DM 300 come back at the right DM, time and S/N.

use palfa_core::beam::open_beam;
use palfa_core::simulate::{simulate, PulsarSpec, SimParams, SinglePulseSpec, Truth};
use palfa_search::ddplan::{Band, DmPlan};
use palfa_search::dedisp::{dedisperse_passes, ChannelScaling, DedispConfig};
use palfa_search::singlepulse::{self, SinglePulseConfig};
use palfa_search::TimeSeries;

fn beam() -> (tempfile::TempDir, std::path::PathBuf, Truth) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("beam.fil");
    let p = SimParams {
        nchans: 256,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 1.26,
        tsamp_s: 131e-6,
        nsamples: 1 << 17,
        nbits: 8,
        pulsars: vec![PulsarSpec {
            period_s: 0.0613,
            dm: 150.0,
            duty: 0.05,
            snr: 30.0,
            accel_m_s2: 0.0,
            phase: 0.2,
        }],
        single_pulses: vec![SinglePulseSpec {
            time_s: 9.0,
            dm: 300.0,
            width_s: 0.004,
            snr: 20.0,
        }],
        ..SimParams::default()
    };
    let truth = simulate(&p, &path, &|_, _| {}).unwrap();
    (dir, path, truth)
}

/// Median and robust (MAD) standard deviation of the valid part of a series.
fn robust_stats(x: &[f32]) -> (f32, f32) {
    let mut v = x.to_vec();
    v.sort_by(f32::total_cmp);
    let med = v[v.len() / 2];
    let mut dev: Vec<f32> = x.iter().map(|a| (a - med).abs()).collect();
    dev.sort_by(f32::total_cmp);
    (med, 1.4826 * dev[dev.len() / 2])
}

/// S/N of the profile folded at `period`: (peak bin − mean) over the noise of one bin.
fn fold_snr(s: &TimeSeries, period: f64, nbins: usize) -> f64 {
    let (med, sd) = robust_stats(&s.data);
    let mut prof = vec![0f64; nbins];
    let mut counts = vec![0usize; nbins];
    for (i, &v) in s.data.iter().enumerate() {
        let phase = (i as f64 * s.info.dt / period).fract();
        let b = ((phase * nbins as f64) as usize).min(nbins - 1);
        prof[b] += (v - med) as f64;
        counts[b] += 1;
    }
    let mean_count = s.data.len() as f64 / nbins as f64;
    let peak = prof.iter().cloned().fold(f64::MIN, f64::max);
    peak / (sd as f64 * mean_count.sqrt())
}

#[test]
fn injected_pulsar_and_single_pulse_come_back_at_their_dms() {
    let (_dir, path, truth) = beam();
    let mut src = open_beam(&[&path]).unwrap();
    let h = src.header().clone();
    let plan = DmPlan::plan(Band::of(&h), 0.0, 400.0, 32, h.tsamp_s);
    let scaling = ChannelScaling::measure(src.as_mut()).unwrap();
    let cfg = DedispConfig::default();
    let mut all: Vec<(TimeSeries, f64)> = Vec::new(); // (series, DM spacing there)
    for (si, step) in plan.steps.iter().enumerate() {
        let passes: Vec<_> = plan.passes().into_iter().filter(|p| p.step == si).collect();
        let out = dedisperse_passes(src.as_mut(), &passes, &scaling, &cfg, &|_, _| {}).unwrap();
        all.extend(out.into_iter().flatten().map(|s| (s, step.dmstep)));
    }
    assert_eq!(all.len(), plan.numdms());

    // Pulsar: the folded S/N peaks within one DM step of 150.
    let psr = &truth.pulsars[0];
    let (best_psr, step_psr) = all
        .iter()
        .filter(|(s, _)| s.info.dm < 300.0)
        .map(|(s, st)| (s, st, fold_snr(s, psr.period_s, 64)))
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|(s, st, _)| (s, *st))
        .unwrap();
    assert!(
        (best_psr.info.dm - psr.dm).abs() <= step_psr + 1e-9,
        "pulsar found at DM {} (step {step_psr})",
        best_psr.info.dm
    );

    // Single pulse: the single-pulse search's strongest event lies within one DM
    // step of 300, at the right time, with S/N within 25 % of the injected
    // matched-filter S/N.
    let sp = &truth.single_pulses[0];
    let spcfg = SinglePulseConfig::default();
    let (s, st, ev) = all
        .iter()
        .filter(|(s, _)| s.info.dm > 200.0)
        .filter_map(|(s, st)| {
            let ev = singlepulse::search(s, &spcfg).unwrap();
            ev.into_iter()
                .max_by(|a, b| a.sigma.total_cmp(&b.sigma))
                .map(|e| (s, st, e))
        })
        .max_by(|a, b| a.2.sigma.total_cmp(&b.2.sigma))
        .unwrap();
    assert!(
        (s.info.dm - sp.dm).abs() <= st + 1e-9,
        "single pulse at DM {} (step {st})",
        s.info.dm
    );
    let (t_found, snr) = (ev.time_s, ev.sigma);
    assert!(
        (t_found - sp.time_s).abs() <= sp.width_s,
        "at {t_found} s vs {} s",
        sp.time_s
    );
    assert!(
        (snr - sp.snr).abs() <= 0.25 * sp.snr,
        "S/N {snr} vs injected {}",
        sp.snr
    );
    println!(
        "pulsar best DM {}; single pulse DM {} t {:.4} s S/N {:.1} (injected {})",
        best_psr.info.dm, s.info.dm, t_found, snr, sp.snr
    );
}
