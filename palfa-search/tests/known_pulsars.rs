//! Known-pulsar tags on a searched beam: a catalogue pulsar injected at its
//! catalogue position, period and DM, with an interpulse so that its second
//! harmonic is the strongest signal, is tagged with its name and the ratio
//! 2/1; an unrelated pulsar in the same beam is not tagged.

use std::path::Path;

use palfa_core::config::{Config, DdplanChoice};
use palfa_core::formats::results::{KnownPosition, SearchResults};
use palfa_core::simulate::{simulate, PulsarSpec, RfiSpec, SimParams};
use palfa_search::known::Catalogue;
use palfa_search::pipeline::{run_search, NoProgress, SearchJob};
use palfa_search::rate::value_of;

const START_MJD: f64 = 60_000.0;

fn search(dir: &Path, beam: &Path) -> SearchResults {
    let cfg = Config::defaults_in(&dir.join("setup")).unwrap();
    let mut s = cfg.searching.clone();
    s.dedisp.ddplan = DdplanChoice::Auto;
    s.dedisp.max_dm = 250.0;
    s.dedisp.nsub = 32;
    s.ffa.enabled = false;
    let job = SearchJob {
        files: vec![beam.to_path_buf()],
        outdir: dir.join("results"),
        searching: s,
        processing: cfg.processing.clone(),
        version: "test".into(),
        keep_workdir: false,
        series_budget_bytes: 256 << 20,
    };
    run_search(&job, &NoProgress).unwrap()
}

#[test]
fn catalogue_pulsar_and_its_second_harmonic_are_tagged_an_unrelated_pulsar_is_not() {
    // PSR B1910+10 (J1912+1036): 409 ms, DM 147, in the PALFA sky.
    let psr = Catalogue::builtin()
        .pulsars
        .iter()
        .find(|p| p.bname.as_deref() == Some("B1910+10"))
        .expect("B1910+10 is in the built-in catalogue")
        .clone();
    let period = 1.0 / psr.freq_at(START_MJD);
    let half = |phase: f64| PulsarSpec {
        period_s: period,
        dm: psr.dm,
        duty: 0.03,
        snr: 16.0,
        accel_m_s2: 0.0,
        phase,
    };
    let unrelated = PulsarSpec {
        period_s: 0.0917,
        dm: 40.0,
        duty: 0.05,
        snr: 18.0,
        accel_m_s2: 0.0,
        phase: 0.1,
    };
    let params = SimParams {
        seed: 17,
        nchans: 128,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s: 256e-6,
        nsamples: 1 << 17,
        start_mjd: START_MJD,
        ra_deg: psr.ra_deg,
        dec_deg: psr.dec_deg,
        // Pulse and interpulse of equal strength: the odd harmonics cancel.
        pulsars: vec![half(0.0), half(0.5), unrelated],
        rfi: RfiSpec::default(),
        ..SimParams::default()
    };
    let tmp = tempfile::tempdir().unwrap();
    let beam = tmp.path().join("b1910.fil");
    simulate(&params, &beam, &|_, _| {}).unwrap();
    let r = search(tmp.path(), &beam);
    for c in &r.candidates {
        eprintln!(
            "#{} P {:.6} ms DM {:.1} σ {:.1} known {:?}",
            c.cand_num,
            c.period_s * 1e3,
            c.dm,
            c.prepfold_sigma,
            c.known_pulsar.as_ref().map(|k| (&k.name, k.harmonic_n, k.harmonic_m))
        );
    }
    // The strongest fold near the pulsar's DM is its second harmonic.
    let near_dm = |c: &&palfa_core::formats::results::PeriodicityCandidate| (c.dm - psr.dm).abs() < 20.0;
    let best = r
        .candidates
        .iter()
        .filter(near_dm)
        .max_by(|a, b| a.prepfold_sigma.total_cmp(&b.prepfold_sigma))
        .expect("the catalogue pulsar is folded");
    assert!(
        (best.period_s - period / 2.0).abs() < 1e-3 * period,
        "{}",
        best.period_s
    );
    let tag = best.known_pulsar.as_ref().expect("tagged as a known pulsar");
    assert_eq!(tag.name, "J1912+1036");
    assert_eq!(tag.bname.as_deref(), Some("B1910+10"));
    assert_eq!((tag.harmonic_n, tag.harmonic_m), (2, 1));
    assert_eq!(tag.position, KnownPosition::Main);
    assert!(tag.separation_deg < 1e-6);
    assert!(tag.period_diff_s.abs() < 1e-4 * period, "{}", tag.period_diff_s);
    // The known_pulsar rating, from the fold file's own header, agrees.
    assert_eq!(value_of(&best.ratings, "known_pulsar"), Some(1.0));
    // The beam's list of known pulsars has it, found as that candidate.
    let listed = r
        .known_pulsars
        .iter()
        .find(|k| k.name == "J1912+1036")
        .expect("listed in the beam");
    assert!(listed.separation_deg < 1e-6);
    let d = listed.detections.first().expect("detected");
    assert_eq!((d.cand_num, d.harmonic_n, d.harmonic_m), (Some(best.cand_num), 2, 1));
    // And the report says so.
    let page = std::fs::read_to_string(tmp.path().join("results/report.html")).unwrap();
    assert!(page.contains("Known pulsars in the beam") && page.contains("J1912+1036 (B1910+10)"));
    assert!(page.contains(&format!("candidate {}: 2/1", best.cand_num)));
    // Every fold of the unrelated pulsar (at its DM) is untagged.
    let other: Vec<_> = r.candidates.iter().filter(|c| (c.dm - 40.0).abs() < 8.0).collect();
    assert!(!other.is_empty(), "the unrelated pulsar is folded");
    for c in other {
        assert!(
            c.known_pulsar.is_none(),
            "cand {} tagged {:?}",
            c.cand_num,
            c.known_pulsar
        );
        assert_eq!(value_of(&c.ratings, "known_pulsar"), Some(0.0));
    }
}
