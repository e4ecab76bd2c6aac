//! `.pfd` and `.bestprof` files: PRESTO's own folds (in `../shared/data/presto/`)
//! are read and their `.bestprof` numbers reproduced with the tolerances of
//! PRESTO's `tests/prepfold/compare_bestprof.py`; palfa's files read back.

use std::path::PathBuf;

use palfa_core::formats::presto::bestprof::Bestprof;
use palfa_core::formats::presto::pfd::ByteOrder;
use palfa_core::formats::presto::Pfd;
use palfa_search::fold::{bestprof_from, summarize_pfd, FoldResult, ImpulsiveRule};

const PRESTO_FOLDS: [&str; 2] = [
    "M28A_bary_PSR_1824-2452A.pfd",
    "Ter5_080912_bary_DM238.30_ACCEL_Cand_2.pfd",
];

/// `../shared/data/presto/<name>`, or `None` (with a note) where the shared data are absent.
fn shared(name: &str) -> Option<PathBuf> {
    palfa_testkit::shared_data(&format!("presto/{name}"))
}

fn rel(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        (a - b).abs()
    } else {
        ((a - b) / b).abs()
    }
}

/// compare_bestprof.py's rules: folded count exact; data and profile mean and
/// σ to 1e-5 relative; reduced χ² to 1e-2 relative; P, P′ within the larger of
/// the two errors (zero derivatives skipped); best DM within 0.01; the
/// normalised profile to 1e-3.
fn assert_bestprof_close(new: &Bestprof, want: &Bestprof, name: &str) {
    assert_eq!(new.data_folded, want.data_folded, "{name}: Data Folded");
    for (what, a, b) in [
        ("Data Avg", new.data_avg, want.data_avg),
        ("Data StdDev", new.data_stddev, want.data_stddev),
        ("Profile Avg", new.profile_avg, want.profile_avg),
        ("Profile StdDev", new.profile_stddev, want.profile_stddev),
    ] {
        assert!(rel(a, b) <= 1e-5, "{name}: {what} {a} vs {b}");
    }
    assert!(
        rel(new.reduced_chi2, want.reduced_chi2) <= 1e-2,
        "{name}: reduced chi2 {} vs {}",
        new.reduced_chi2,
        want.reduced_chi2
    );
    let pairs = [
        (new.p_topo_ms, want.p_topo_ms, false),
        (new.pd_topo, want.pd_topo, true),
        (new.p_bary_ms, want.p_bary_ms, false),
        (new.pd_bary, want.pd_bary, true),
    ];
    let mut compared_period = false;
    for (n, w, deriv) in pairs {
        let Some(w) = w else { continue };
        if deriv && w.value == 0.0 {
            continue;
        }
        let n = n.unwrap_or_else(|| panic!("{name}: a period value is missing"));
        let tol = n.err.max(w.err);
        assert!(
            (n.value - w.value).abs() <= tol,
            "{name}: {} vs {} (tol {tol})",
            n.value,
            w.value
        );
        compared_period |= !deriv;
    }
    assert!(compared_period, "{name}: no period compared");
    if let Some(dm) = want.best_dm {
        assert!((new.best_dm.unwrap() - dm).abs() <= 0.01, "{name}: best DM");
    }
    assert_eq!(new.profile.len(), want.profile.len());
    let norm = |b: &Bestprof, v: f64| (v - b.profile_avg) / b.profile_stddev;
    let worst = new
        .profile
        .iter()
        .zip(&want.profile)
        .map(|(a, b)| (norm(new, *a) - norm(want, *b)).abs())
        .fold(0.0f64, f64::max);
    assert!(worst <= 1e-3, "{name}: profile shape differs by {worst}");
}

#[test]
fn presto_folds_reproduce_their_bestprof() {
    for name in PRESTO_FOLDS {
        let Some(path) = shared(name) else { return };
        let pfd = Pfd::read(&path).unwrap();
        // What the headers of these files hold (read with PRESTO's Python reader in mind).
        assert_eq!((pfd.npart, pfd.nsub, pfd.proflen), (64, 1, 64), "{name}");
        assert_eq!((pfd.periods.len(), pfd.pdots.len(), pfd.dms.len()), (129, 129, 0));
        assert_eq!(pfd.byte_order, ByteOrder::Little);
        assert!(pfd.is_barycentric());
        let want = Bestprof::read(path.with_extension("pfd.bestprof")).unwrap();
        assert_eq!(pfd.candnm, want.candidate);
        assert_eq!(pfd.telescope, want.telescope);
        assert!(rel(pfd.dt, want.t_sample) < 1e-5, "{name}: dt"); // the text has 6 digits
        let summary = summarize_pfd(&pfd);
        let got = bestprof_from(&pfd, &summary);
        assert_bestprof_close(&got, &want, name);
        // Stricter than PRESTO's own rules: the text palfa writes is PRESTO's, line for line.
        let want_text = std::fs::read_to_string(path.with_extension("pfd.bestprof")).unwrap();
        assert_eq!(got.to_text(), want_text, "{name}");
        // The two significances: PRESTO's (DOF-corrected) is the one in the file.
        assert!((summary.sigma_dof_corrected - want.sigma).abs() < 0.05, "{name}");
        assert!(summary.sigma >= summary.sigma_dof_corrected);
    }
}

#[test]
fn presto_pfd_bytes_survive_a_round_trip() {
    for name in PRESTO_FOLDS {
        let Some(path) = shared(name) else { return };
        let bytes = std::fs::read(&path).unwrap();
        let pfd = Pfd::from_bytes(&bytes, &path).unwrap();
        let out = pfd.to_bytes().unwrap();
        assert_eq!(out.len(), bytes.len(), "{name}");
        // PRESTO leaves the 4 padding bytes of each position record uninitialised;
        // palfa writes zeros. Everything else is identical.
        let strings: usize = [&pfd.filenm, &pfd.candnm, &pfd.telescope, &pfd.pgdev]
            .iter()
            .map(|s| 4 + s.len())
            .sum();
        let pos0 = 48 + strings + 32 + 72;
        let padding: Vec<usize> = (0..3).flat_map(|k| (pos0 + 32 * k + 4)..(pos0 + 32 * k + 8)).collect();
        for (i, (a, b)) in out.iter().zip(&bytes).enumerate() {
            if !padding.contains(&i) {
                assert_eq!(a, b, "{name}: byte {i}");
            }
        }
        // Big-endian files (old SPARC machines) are recognised and read the same.
        let big = pfd.to_bytes_ordered(ByteOrder::Big).unwrap();
        assert_ne!(big, out);
        let back = Pfd::from_bytes(&big, &path).unwrap();
        assert_eq!(back.byte_order, ByteOrder::Big);
        // (Compared as bytes: PRESTO stores NaN for the χ² of empty profiles.)
        assert!(back.to_bytes().unwrap() == out, "{name}: big-endian copy differs");
    }
}

#[test]
fn presto_folds_can_be_plotted() {
    let Some(path) = shared(PRESTO_FOLDS[1]) else { return };
    let result = FoldResult::from_pfd(Pfd::read(&path).unwrap(), &ImpulsiveRule::default());
    // A real (if weak) pulsar: the signal is spread over the 64 sub-integrations.
    assert!(!result.impulsive, "{:?}", result.impulsiveness);
    assert!(result.impulsiveness.top_fraction < 0.2);
    // The χ² peaks at the best period and derivative, as prepfold found them.
    let c = &result.curves;
    let peak = c
        .redchi2_vs_period
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(
        peak.abs_diff(c.best_period_index) <= 1,
        "{peak} vs {}",
        c.best_period_index
    );
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("ter5.png");
    palfa_search::fold::plot_fold(&result, &png).unwrap();
    let head = std::fs::read(&png).unwrap();
    assert_eq!(&head[1..4], b"PNG");
    assert_eq!(u32::from_be_bytes(head[16..20].try_into().unwrap()), 1600);
    assert_eq!(u32::from_be_bytes(head[20..24].try_into().unwrap()), 1200);
}
