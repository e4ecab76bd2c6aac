//! Sifting on synthetic candidate lists with known answers: a pulsar seen at
//! many DMs with its harmonics, RFI, single-DM flukes, a 30-s "pulsar", hits
//! straddling a change of DM step, and lo/hi duplicates.

use palfa_core::formats::presto::accelcands::read_accelcands;
use palfa_search::sift::{sift, write_products, RejectKind, RejectReason, SiftConfig, SiftResult, SiftedCandidate};
use palfa_search::{AccelCandidate, AccelPass};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// PALFA's observation length: 2^22 samples of 64 µs \[s\].
const T_OBS: f64 = 268.435456;

/// The first two steps of PALFA's Mock DDplan: 0–212.7 in 0.1 (28 passes of 76)
/// then 212.8–443.1 in 0.3 (12 passes of 64).
fn palfa_dms() -> Vec<f64> {
    let mut dms: Vec<f64> = (0..28 * 76).map(|i| (i as f64 * 0.1 * 100.0).round() / 100.0).collect();
    dms.extend((0..12 * 64).map(|i| ((212.8 + i as f64 * 0.3) * 100.0).round() / 100.0));
    dms
}

/// A candidate at `r` whose harmonic powers fall off as `fall` per harmonic from
/// `p1`, plus a little seeded noise.
fn cand(
    dm: f64,
    r: f64,
    numharm: usize,
    p1: f64,
    fall: f64,
    pass: AccelPass,
    rng: &mut Xoshiro256PlusPlus,
) -> AccelCandidate {
    let harm_powers: Vec<f64> = (0..numharm)
        .map(|h| (p1 * (1.0 - fall * h as f64) + 2.0 + rng.gen_range(-0.5..0.5)).max(0.1))
        .collect();
    let power: f64 = harm_powers.iter().sum();
    AccelCandidate {
        dm,
        r,
        z: if pass == AccelPass::Hi { 0.4 } else { 0.0 },
        numharm,
        sigma: power.sqrt(),
        power,
        coherent_power: 0.7 * power,
        harm_powers,
        t_obs_s: T_OBS,
        pass,
        pulse_width_s: None,
    }
}

/// A pulsar at fundamental `r0`, true DM `dm0`, seen at `dms` with a Gaussian
/// sigma-vs-DM peak of width `w` and fundamental power `p1` at the peak, r
/// jittered by up to ±0.15 bins.
#[allow(clippy::too_many_arguments)]
fn pulsar(
    r0: f64,
    dm0: f64,
    dms: &[f64],
    w: f64,
    p1: f64,
    numharm: usize,
    pass: AccelPass,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<AccelCandidate> {
    dms.iter()
        .map(|&dm| {
            let scale = (-0.5 * ((dm - dm0) / w).powi(2)).exp();
            let r = r0 + rng.gen_range(-0.15..0.15);
            cand(dm, r, numharm, p1 * scale, 0.08, pass, rng)
        })
        .collect()
}

fn dm_run(first: f64, n: usize, step: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((first + i as f64 * step) * 100.0).round() / 100.0)
        .collect()
}

fn find(result: &SiftResult, period_s: f64) -> Option<&SiftedCandidate> {
    result
        .candidates
        .iter()
        .find(|c| (c.period_s() / period_s - 1.0).abs() < 1e-3)
}

fn assert_accounting(result: &SiftResult) {
    // Every input candidate is rejected, a hit of another, or sifted.
    assert_eq!(
        result.num_input,
        result.rejected.len() + result.num_duplicates + result.num_produced,
        "candidates lost or double-counted"
    );
}

/// The main scenario; the pieces are asserted in separate tests below.
fn scenario() -> (SiftResult, f64, f64) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(20130926);
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    // Pulsar A: r0 = 1234.567 (P = 217.4 ms), true DM 50.2, ten DMs 49.7–50.6,
    // 8 harmonics; lo pass. Its 2nd and 3rd harmonics and 3/2 of its frequency
    // are found as separate, weaker candidates at the same DMs.
    let r_a = 1234.567;
    let dms_a = dm_run(49.7, 10, 0.1);
    lo.extend(pulsar(r_a, 50.2, &dms_a, 0.3, 60.0, 8, AccelPass::Lo, &mut rng));
    lo.extend(pulsar(2.0 * r_a, 50.2, &dms_a, 0.3, 40.0, 4, AccelPass::Lo, &mut rng));
    lo.extend(pulsar(3.0 * r_a, 50.2, &dms_a, 0.3, 40.0, 2, AccelPass::Lo, &mut rng));
    lo.extend(pulsar(1.5 * r_a, 50.2, &dms_a, 0.3, 35.0, 2, AccelPass::Lo, &mut rng));
    // The hi pass sees it too, weaker, at DMs 50.0–50.7 (one beyond the lo range).
    hi.extend(pulsar(
        r_a + 0.3,
        50.2,
        &dm_run(50.0, 8, 0.1),
        0.3,
        35.0,
        8,
        AccelPass::Hi,
        &mut rng,
    ));
    // Pulsar B, weaker: r = 3333.3, DM 150.3, six DMs.
    lo.extend(pulsar(
        3333.3,
        150.3,
        &dm_run(150.0, 6, 0.1),
        0.3,
        25.0,
        8,
        AccelPass::Lo,
        &mut rng,
    ));
    // A strong candidate in one DM only.
    lo.push(cand(80.0, 5000.3, 8, 40.0, 0.05, AccelPass::Lo, &mut rng));
    // A 60-Hz birdie: strongest at DM 0, fading by DM 0.5.
    lo.extend(pulsar(
        60.0 * T_OBS,
        0.0,
        &dm_run(0.0, 6, 0.1),
        0.4,
        80.0,
        4,
        AccelPass::Lo,
        &mut rng,
    ));
    // A 30-s "pulsar" in five DMs: too long a period.
    lo.extend(pulsar(
        T_OBS / 30.0,
        120.0,
        &dm_run(119.8, 5, 0.1),
        1.0,
        50.0,
        16,
        AccelPass::Lo,
        &mut rng,
    ));
    // Two detections 5 DM trials apart and nothing between: a DM gap.
    lo.push(cand(100.0, 7000.7, 8, 30.0, 0.05, AccelPass::Lo, &mut rng));
    lo.push(cand(100.5, 7000.9, 8, 30.0, 0.05, AccelPass::Lo, &mut rng));
    // Noise: weak single-DM candidates that miss the threshold.
    for _ in 0..200 {
        let dm = (rng.gen_range(0..2000) as f64 * 0.1 * 100.0).round() / 100.0;
        lo.push(cand(
            dm,
            rng.gen_range(100.0..90_000.0),
            4,
            1.5,
            0.0,
            AccelPass::Lo,
            &mut rng,
        ));
    }
    let result = sift(lo, hi, &palfa_dms(), &SiftConfig::default()).unwrap();
    (result, T_OBS / r_a, T_OBS / 3333.3)
}

#[test]
fn pulsar_found_once_at_its_dm_with_harmonics_removed() {
    let (result, p_a, _) = scenario();
    assert_accounting(&result);
    let a = find(&result, p_a).expect("pulsar A sifted");
    // The sigma peak is at DM 50.2 (noise ±0.5 per harmonic cannot move it: the
    // neighbouring DMs are 5% weaker, ~17 in summed power).
    assert_eq!(a.dm(), 50.2);
    assert_eq!(a.best.pass, AccelPass::Lo);
    // Period to the jitter of r (±0.15 of 1234.6 bins = 1.2e-4).
    assert!((a.period_s() / p_a - 1.0).abs() < 1.3e-4, "P {}", a.period_s());
    // Lo hits 49.7–50.6 plus the hi pass's 50.7: eleven DMs, one hit each.
    assert_eq!(a.numhits(), 11);
    assert_eq!(a.dm_range(), (49.7, 50.7));
    let best_hit = a.hits.iter().max_by(|x, y| x.sigma.total_cmp(&y.sigma)).unwrap();
    assert_eq!(best_hit.dm, a.dm(), "reported DM is the best hit's");
    // Harmonics rejected as harmonics of A, with the right ratios (f/f_A).
    let mut ratios: Vec<(u32, u32)> = result
        .rejected
        .iter()
        .filter_map(|r| match r.reason {
            RejectReason::Harmonic { of, num, den, .. } if of == a.id => Some((num, den)),
            _ => None,
        })
        .collect();
    ratios.sort_unstable();
    assert_eq!(ratios, vec![(2, 1), (3, 1), (3, 2)]);
    // Nothing else at a harmonic of A survived.
    for c in &result.candidates {
        let ratio = c.freq_hz() / a.freq_hz();
        assert!(
            c.id == a.id
                || ((ratio - ratio.round()).abs() > 0.01 && (2.0 * ratio - (2.0 * ratio).round()).abs() > 0.01),
            "candidate at {ratio} × f_A survived"
        );
    }
}

#[test]
fn rejections_by_reason() {
    let (result, _, _) = scenario();
    let reason_at = |r_lo: f64, r_hi: f64| -> Vec<RejectKind> {
        result
            .rejected
            .iter()
            .filter(|r| r.cand.r > r_lo && r.cand.r < r_hi)
            .map(|r| r.reason.kind())
            .collect()
    };
    assert_eq!(reason_at(4999.0, 5001.0), vec![RejectKind::TooFewHits]);
    assert_eq!(
        reason_at(60.0 * T_OBS - 1.0, 60.0 * T_OBS + 1.0),
        vec![RejectKind::LowDm]
    );
    assert_eq!(reason_at(8.0, 10.0), vec![RejectKind::LongPeriod; 5]);
    assert_eq!(reason_at(6999.0, 7002.0), vec![RejectKind::DmGap]);
    let gap = result
        .rejected
        .iter()
        .find(|r| r.reason.kind() == RejectKind::DmGap)
        .unwrap();
    assert_eq!(gap.reason, RejectReason::DmGap { min_index_gap: 5 });
    assert_eq!(gap.numhits, 2);
    assert_eq!(result.count(RejectKind::Threshold), 200);
    assert_eq!(result.count(RejectKind::Harmonic), 3);
    // The birdie's best DM is 0 (≤ 2): rejected with its six hits kept.
    let bird = result
        .rejected
        .iter()
        .find(|r| r.reason.kind() == RejectKind::LowDm)
        .unwrap();
    assert_eq!((bird.cand.id.dm, bird.numhits), (0.0, 6));
}

#[test]
fn ranked_by_sigma_and_counted() {
    let (result, p_a, p_b) = scenario();
    assert_eq!(result.num_produced, 2, "{:#?}", result.candidates);
    assert!(result.candidates.windows(2).all(|w| w[0].sigma() >= w[1].sigma()));
    assert!((result.candidates[0].period_s() / p_a - 1.0).abs() < 1e-3);
    let b = &result.candidates[1];
    assert!((b.period_s() / p_b - 1.0).abs() < 1e-4);
    assert_eq!(b.dm(), 150.3);
    assert_eq!(b.numhits(), 6);
    assert_eq!(result.num_above_threshold, 2);
    // 10 + 10·3 harmonics + 8 hi + 6 + 1 + 6 + 5 + 2 + 200 noise.
    assert_eq!(result.num_input, 268);
    assert_eq!((result.num_input_lo, result.num_input_hi), (260, 8));
}

#[test]
fn best_dm_across_a_change_of_dm_step_and_between_passes() {
    // Hits from 212.2 (0.1 steps) across 212.8 to 213.7 (0.3 steps), strongest at
    // 213.1; the lo pass's strongest hit is at the last DM of a pass (212.7) but
    // the hi pass finds it more significantly at 213.1.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let dms_lo = dm_run(212.2, 6, 0.1);
    let dms_hi: Vec<f64> = dm_run(212.8, 4, 0.3);
    let r = 4567.8;
    let mut lo = pulsar(r, 212.7, &dms_lo, 0.4, 20.0, 8, AccelPass::Lo, &mut rng);
    let hi = pulsar(r + 0.5, 213.1, &dms_hi, 0.4, 45.0, 8, AccelPass::Hi, &mut rng);
    lo.extend(pulsar(
        r,
        212.7,
        &dm_run(212.8, 2, 0.3),
        0.4,
        12.0,
        8,
        AccelPass::Lo,
        &mut rng,
    ));
    let result = sift(lo, hi, &palfa_dms(), &SiftConfig::default()).unwrap();
    assert_accounting(&result);
    assert_eq!(result.num_produced, 1, "{:#?}", result.rejected);
    let c = &result.candidates[0];
    assert_eq!(c.dm(), 213.1);
    assert_eq!(c.best.pass, AccelPass::Hi);
    assert_eq!(c.numhits(), 10);
    assert_eq!(c.dm_range(), (212.2, 213.7));
    // Each DM once, the stronger of lo and hi where both saw it (212.8, 213.1).
    let at = |dm: f64| c.hits.iter().find(|h| (h.dm - dm).abs() < 1e-6).unwrap().sigma;
    assert!(at(213.1) > at(212.7));
    let max = c.hits.iter().map(|h| h.sigma).fold(0.0, f64::max);
    assert_eq!(at(213.1), max);

    // With DMs compared by value instead of position, 0.3-pc-cm⁻³ steps would
    // look like gaps: a candidate seen only at 212.8 and 213.1 passes.
    let two = pulsar(9876.5, 213.0, &[212.8, 213.1], 0.4, 30.0, 8, AccelPass::Lo, &mut rng);
    let result = sift(two, Vec::new(), &palfa_dms(), &SiftConfig::default()).unwrap();
    assert_eq!(result.num_produced, 1);
    // …but 212.8 and 213.4 (positions two apart) are a gap.
    let two = pulsar(9876.5, 213.0, &[212.8, 213.4], 0.4, 30.0, 8, AccelPass::Lo, &mut rng);
    let result = sift(two, Vec::new(), &palfa_dms(), &SiftConfig::default()).unwrap();
    assert_eq!(result.count(RejectKind::DmGap), 1);
}

#[test]
fn bad_input_is_rejected_not_a_panic() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut lo = pulsar(
        2222.2,
        60.0,
        &dm_run(59.8, 5, 0.1),
        0.3,
        30.0,
        4,
        AccelPass::Lo,
        &mut rng,
    );
    let mut nan = lo[0].clone();
    nan.r = f64::NAN;
    let mut no_harms = lo[1].clone();
    no_harms.harm_powers.clear();
    let mut off_grid = lo[2].clone();
    off_grid.dm = 60.05;
    lo.extend([nan, no_harms, off_grid]);
    let result = sift(lo, Vec::new(), &palfa_dms(), &SiftConfig::default()).unwrap();
    assert_accounting(&result);
    assert_eq!(result.count(RejectKind::Invalid), 3);
    assert_eq!(result.num_produced, 1);
    // Empty input and empty DM lists are fine; bad settings and DMs are errors.
    let empty = sift(Vec::new(), Vec::new(), &[], &SiftConfig::default()).unwrap();
    assert_eq!(empty.num_produced, 0);
    assert!(sift(Vec::new(), Vec::new(), &[f64::NAN], &SiftConfig::default()).is_err());
    let bad = SiftConfig {
        short_period_s: 20.0,
        ..SiftConfig::default()
    };
    assert!(sift(Vec::new(), Vec::new(), &[1.0], &bad).is_err());
}

#[test]
fn products_are_written_and_read_back() {
    let (result, p_a, _) = scenario();
    let cfg = SiftConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("p2030.20130926.G50.00+00.00.C.b3.00000");
    let out = write_products(&result, &cfg, &base).unwrap();
    // The list: two candidates, A first, with its eleven hits, under PRESTO's names.
    let list = read_accelcands(&out.accelcands).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].accelfile,
        "p2030.20130926.G50.00+00.00.C.b3.00000_DM50.20_ACCEL_0"
    );
    assert_eq!(list[0].numhits, 11);
    assert_eq!(list[0].hits.len(), 11);
    assert!((list[0].period_s / p_a - 1.0).abs() < 1e-3);
    assert!((list[0].sigma - result.candidates[0].sigma()).abs() < 0.006);
    // Summary: PRESTO's lines with these counts.
    let summary = std::fs::read_to_string(&out.summary).unwrap();
    assert!(summary.contains("Candlist contains 2 'good' candidates"), "{summary}");
    assert!(summary.contains("# Missed threshold:            200"), "{summary}");
    assert!(summary.contains("# Harmonic candidates:         3"), "{summary}");
    assert!(summary.contains("# Candidates with DM problems: 3"), "{summary}");
    assert!(summary.contains("# Long period rejects:         5"), "{summary}");
    // Report: one entry and note per rejected candidate.
    let report = std::fs::read_to_string(&out.report).unwrap();
    assert_eq!(report.matches("    Note: ").count(), result.rejected.len());
    assert!(report.contains("is a harmonic (3/2) of DM50.20:1"), "{report}");
    assert!(report.contains("<= low DM cutoff (2.00)"));
    // PNGs of the right size with more than a blank page.
    for png in [&out.rejects_png, &out.summary_png] {
        let bytes = std::fs::read(png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let (w, h) = (
            u32::from_be_bytes(bytes[16..20].try_into().unwrap()),
            u32::from_be_bytes(bytes[20..24].try_into().unwrap()),
        );
        assert_eq!((w, h), (1100, 850));
        assert!(bytes.len() > 20_000, "{} is only {} bytes", png.display(), bytes.len());
    }
    if let Ok(keep) = std::env::var("PALFA_KEEP_PLOTS") {
        for p in [
            &out.rejects_png,
            &out.summary_png,
            &out.accelcands,
            &out.summary,
            &out.report,
        ] {
            std::fs::copy(p, std::path::Path::new(&keep).join(p.file_name().unwrap())).unwrap();
        }
    }
}
