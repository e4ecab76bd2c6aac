//! Files written by PRESTO itself (see `tests/presto_fixtures/README.md` for
//! how they were made): palfa's readers must read them with the values PRESTO
//! wrote, and palfa's writers must write them back so that they read the same
//! — byte for byte where palfa writes PRESTO's own `printf` formats.

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::accel::FOURIERPROPS_LEN;
use palfa_core::formats::presto::accelcands::{parse_accelcands, to_text as accelcands_text};
use palfa_core::formats::presto::inf::PRESTO_ARTIFICIAL;
use palfa_core::formats::presto::singlepulse::{format_singlepulse, read_singlepulse};
use palfa_core::formats::presto::{
    read_accelcands, read_cand_file, read_series, AccelFile, Bestprof, FourierProps, InfFile, Pfd, RfiMask, Zaplist,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/presto_fixtures")
        .join(name)
}

fn text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

/// The lines of `a` and `b` that differ (trailing blank lines and trailing
/// spaces ignored), as `(line number, a's line, b's line)`.
fn differing_lines(a: &str, b: &str) -> Vec<(usize, String, String)> {
    let lines = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s.lines().map(|l| l.trim_end().to_string()).collect();
        while v.last().is_some_and(|l| l.is_empty()) {
            v.pop();
        }
        v
    };
    let (la, lb) = (lines(a), lines(b));
    (0..la.len().max(lb.len()))
        .filter_map(|i| {
            let x = la.get(i).cloned().unwrap_or_default();
            let y = lb.get(i).cloned().unwrap_or_default();
            (x != y).then_some((i + 1, x, y))
        })
        .collect()
}

#[test]
fn prepdata_inf_and_dat_read_and_write_back() {
    let path = fixture("beam_DM50.00.inf");
    let presto = text("beam_DM50.00.inf");
    let inf = InfFile::read(&path).unwrap();
    assert_eq!(inf.basename, "beam_DM50.00");
    assert_eq!(inf.telescope, "Arecibo");
    assert_eq!(inf.instrument, "unset");
    assert_eq!(inf.object, "G45.07+00.11");
    assert!(close(inf.ra_deg, 288.3, 1e-12), "{}", inf.ra_deg);
    assert!(close(inf.dec_deg, 10.9, 1e-12), "{}", inf.dec_deg);
    assert_eq!(inf.mjd, 60000.0);
    assert!(!inf.barycentred);
    assert_eq!(inf.n, 8192);
    assert_eq!(inf.dt, 0.004096);
    // prepdata's padded series: real data up to 8099, then PRESTO's end pair.
    assert_eq!(inf.onoff, vec![(0, 8099)]);
    assert_eq!(inf.beam_diameter_arcsec, 258.0);
    assert_eq!(inf.dm, 50.0);
    assert_eq!(inf.lofreq_mhz, 1374.0);
    assert_eq!(inf.bandwidth_mhz, 128.0);
    assert_eq!(inf.nchan, 64);
    assert_eq!(inf.chan_bw_mhz, 2.0);
    assert_eq!(inf.analyst, "root");
    assert!(inf.notes.contains("2 polns were summed"), "{:?}", inf.notes);

    let written = inf.to_text();
    assert_eq!(InfFile::parse(&written, &path).unwrap(), inf);
    // Line for line PRESTO's text, but for PRESTO's own rounding of the
    // declination to 10:53:60.0000 (palfa writes 10:54:00.0000).
    let diff = differing_lines(&written, &presto);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(
        diff[0].2.ends_with("10:53:60.0000") && diff[0].1.ends_with("10:54:00.0000"),
        "{diff:?}"
    );

    let (inf2, data) = read_series(&path).unwrap();
    assert_eq!(inf2, inf);
    assert_eq!(data.len(), 8192);
    assert!(data.iter().all(|v| v.is_finite()));
}

#[test]
fn rfifind_inf_writes_back_line_for_line() {
    let path = fixture("beam_rfifind.inf");
    let presto = text("beam_rfifind.inf");
    let inf = InfFile::read(&path).unwrap();
    assert_eq!((inf.n, inf.dt, inf.dm, inf.nchan), (131072, 0.000256, 0.0, 64));
    assert!(inf.onoff.is_empty());
    let written = inf.to_text();
    assert_eq!(InfFile::parse(&written, &path).unwrap(), inf);
    let diff = differing_lines(&written, &presto);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].2.ends_with("10:53:60.0000"), "{diff:?}");
}

#[test]
fn artificial_data_inf_keeps_prestos_short_layout() {
    // makedata's .inf: no position, epoch, band or DM lines. palfa must not
    // add them, since PRESTO's readinf reads the lines in order.
    let path = fixture("fake.inf");
    let inf = InfFile::read(&path).unwrap();
    assert_eq!(inf.telescope, PRESTO_ARTIFICIAL);
    assert_eq!(inf.n, 1_048_576);
    assert_eq!(inf.dt, 9.5367431640625e-07);
    assert!(inf.onoff.is_empty());
    assert_eq!(inf.analyst, "Unknown");
    assert!(inf.notes.starts_with("T (s) = 1.0000"), "{:?}", inf.notes);
    let written = inf.to_text();
    assert_eq!(InfFile::parse(&written, &path).unwrap(), inf);
    let diff = differing_lines(&written, &text("fake.inf"));
    // Only the notes line, whose leading spaces palfa's reader trims.
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(diff[0].1.trim(), diff[0].2.trim());
    assert!(!written.contains("Object being observed") && !written.contains("Dispersion measure"));
}

#[test]
fn a_series_without_a_telescope_still_has_every_line() {
    // "None" is not PRESTO's artificial-data name: readinf expects every
    // observation line after it (palfa once left them out and PRESTO failed
    // with "can not convert '131072' to RA or DEC").
    let inf = InfFile {
        basename: "sim_DM10.00".into(),
        telescope: "None".into(),
        n: 1000,
        dt: 1e-3,
        dm: 10.0,
        lofreq_mhz: 1200.0,
        nchan: 8,
        ..InfFile::default()
    };
    let written = inf.to_text();
    let prepdata = text("beam_DM50.00.inf");
    let labels = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .filter(|k| !k.starts_with("On/Off"))
            .collect()
    };
    assert_eq!(labels(&written), labels(&prepdata), "{written}");
    assert_eq!(InfFile::parse(&written, Path::new("x.inf")).unwrap(), inf);
}

fn check_accel(name: &str, ncands: usize, zmax_harms: usize) -> AccelFile {
    let path = fixture(name);
    let accel = AccelFile::read(&path).unwrap();
    assert_eq!(accel.cands.len(), ncands, "{name}");
    assert_eq!(accel.inf.n, 8192);
    assert_eq!(accel.inf.dt, 0.004096);
    // The injected pulsar (P = 73.3 ms) is candidate 2, behind red noise.
    let psr = &accel.cands[1];
    assert_eq!(psr.r, 457.75, "{name}");
    assert_eq!(psr.numharm, zmax_harms);
    assert_eq!(psr.harmonics.len(), zmax_harms);
    assert!(close(psr.r / accel.t_obs_s(), 1.0 / 0.0733, 2e-4), "{name}");
    assert_eq!(psr.notes, "SL H9 J1912+1105_P");
    for c in &accel.cands {
        assert_eq!(c.harmonics.len(), c.numharm, "{name}");
    }

    // palfa's text reads back to the same candidates (the acceleration column
    // is written without PRESTO's x10^ form, so the text itself differs).
    let written = accel.to_text();
    let back = AccelFile::parse(&written, &path).unwrap();
    assert_eq!(back.inf, accel.inf);
    assert_eq!(back.cands.len(), accel.cands.len());
    for (a, b) in back.cands.iter().zip(&accel.cands) {
        assert_eq!((a.numharm, &a.notes), (b.numharm, &b.notes), "{name}");
        for (x, y) in [
            (a.sigma, b.sigma),
            (a.summed_power, b.summed_power),
            (a.coherent_power, b.coherent_power),
        ] {
            assert!(close(x, y, 1e-3), "{name}: {x} vs {y}");
        }
        for (x, y) in [(a.r, b.r), (a.r_err, b.r_err), (a.z, b.z), (a.z_err, b.z_err)] {
            assert!((x - y).abs() < 1e-9, "{name}: {x} vs {y}");
        }
        for (h, k) in a.harmonics.iter().zip(&b.harmonics) {
            for (x, y) in [
                (h.r, k.r),
                (h.z, k.z),
                (h.pred_r, k.pred_r),
                (h.phase_rad, k.phase_rad),
                (h.power, k.power),
            ] {
                assert!((x - y).abs() < 1e-9, "{name}: {x} vs {y}");
            }
            assert!(close(h.raw_power, k.raw_power, 1e-3), "{name}");
        }
    }
    // The fundamentals table's first columns are PRESTO's, character for character.
    let fund = |s: &str| -> Vec<String> {
        s.lines()
            .skip(3)
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.split_whitespace().take(5).collect::<Vec<_>>().join(" "))
            .collect()
    };
    // (Sigma of a red-noise candidate is printed by PRESTO as "61469" and by palfa as "61469.xx".)
    let (ours, theirs) = (fund(&written), fund(&text(name)));
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(&theirs).skip(1) {
        assert_eq!(o, t, "{name}");
    }
    accel
}

#[test]
fn accel_files_read_and_write_back() {
    check_accel("beam_DM50.00_ACCEL_0", 5, 8);
    let a10 = check_accel("beam_DM50.00_ACCEL_10", 4, 4);
    // The zmax 10 search's red-noise candidate drifts: z = -2.50(50).
    assert_eq!((a10.cands[0].z, a10.cands[0].z_err), (-2.5, 0.5));
}

#[test]
fn cand_files_read_and_write_back_byte_for_byte() {
    for (name, n) in [("beam_DM50.00_ACCEL_0.cand", 5), ("beam_DM50.00_ACCEL_10.cand", 4)] {
        let path = fixture(name);
        let props: Vec<FourierProps> = read_cand_file(&path).unwrap();
        assert_eq!(props.len(), n, "{name}");
        assert!((props[1].r - 457.75).abs() < 0.01, "{name}: {}", props[1].r);
        let ours: Vec<u8> = props.iter().flat_map(|p| p.to_bytes()).collect();
        // PRESTO writes the C struct as it is in memory: the 4 alignment bytes
        // after `rerr` and after `zerr` hold whatever was there (palfa: zeros).
        let mut presto = std::fs::read(&path).unwrap();
        assert_eq!(ours.len(), presto.len(), "{name}");
        for rec in presto.chunks_mut(FOURIERPROPS_LEN) {
            rec[12..16].fill(0);
            rec[28..32].fill(0);
        }
        assert!(ours == presto, "{name}: palfa's bytes differ from PRESTO's");
        // The candidates agree with the text file beside it.
        let accel = AccelFile::read(fixture(name.trim_end_matches(".cand"))).unwrap();
        for (p, c) in props.iter().zip(&accel.cands) {
            assert!((p.r - c.r).abs() < 0.01, "{name}: {} vs {}", p.r, c.r);
        }
    }
}

#[test]
fn pfd_files_read_and_write_back_byte_for_byte() {
    // A fold of a .dat (one subband) and one of the raw beam (8 subbands,
    // barycentred, with a mask).
    for (name, nsub, numchan, bary) in [
        ("beam_DM50.00_ACCEL_Cand_2.pfd", 1, 1, false),
        ("raw_73.30ms_Cand.pfd", 8, 64, true),
    ] {
        let path = fixture(name);
        let bytes = std::fs::read(&path).unwrap();
        let pfd = Pfd::read(&path).unwrap();
        assert_eq!(
            (pfd.nsub, pfd.npart, pfd.proflen, pfd.numchan),
            (nsub, 16, 32, numchan),
            "{name}"
        );
        assert_eq!(pfd.telescope, "Arecibo");
        assert_eq!(pfd.tepoch, 60000.0);
        assert_eq!(pfd.bepoch != 0.0, bary, "{name}");
        assert!(close(1.0 / pfd.fold.p1, 0.0733, 1e-3), "{name}: {}", pfd.fold.p1);
        let best = Bestprof::read(fixture(&format!("{name}.bestprof"))).unwrap();
        assert_eq!(best.profile_bins, pfd.proflen);
        let p_ms = best.p_topo_ms.unwrap().value;
        assert!(
            close(pfd.topo.p1 * 1e3, p_ms, 1e-14),
            "{name}: {} vs {p_ms}",
            pfd.topo.p1
        );
        if nsub > 1 {
            assert!((pfd.bestdm - best.best_dm.unwrap()).abs() < 5e-4, "{name}");
        }
        // Each sub-integration folded its share of the data.
        let folded: f64 = (0..pfd.npart).map(|p| pfd.stat(p, 0).numdata).sum();
        assert_eq!(folded, best.data_folded, "{name}");

        let ours = pfd.to_bytes().unwrap();
        assert_eq!(Pfd::from_bytes(&ours, &path).unwrap(), pfd);
        assert_eq!(ours.len(), bytes.len(), "{name}");
        assert!(ours == bytes, "{name}: palfa's bytes differ from PRESTO's");
    }
}

#[test]
fn bestprof_files_read_and_write_back_byte_for_byte() {
    for name in [
        "beam_DM50.00_ACCEL_Cand_2.pfd.bestprof",
        "raw_73.30ms_Cand.pfd.bestprof",
    ] {
        let presto = text(name);
        let b = Bestprof::read(fixture(name)).unwrap();
        assert_eq!(b.profile.len(), 32);
        assert_eq!(b.t_sample, 0.000256);
        assert!(b.sigma > 10.0 && b.reduced_chi2 > 5.0, "{name}: {b:?}");
        assert_eq!(b.to_text(), presto, "{name}");
    }
    let raw = Bestprof::read(fixture("raw_73.30ms_Cand.pfd.bestprof")).unwrap();
    assert!(raw.epoch_bary.is_some() && raw.p_bary_ms.is_some() && raw.best_dm.is_some());
}

#[test]
fn rfifind_mask_reads_and_writes_back_byte_for_byte() {
    let path = fixture("beam_rfifind.mask");
    let mask = RfiMask::read(&path).unwrap();
    assert_eq!((mask.numchan, mask.numint, mask.ptsperint), (64, 19, 7200));
    assert_eq!(mask.lofreq, 1374.0);
    assert_eq!(mask.dfreq, 2.0);
    assert_eq!(mask.mjd, 60000.0);
    // The simulated bad channel 5 (lowest frequency = 0), as palfa numbers it.
    assert_eq!(mask.zap_chans, vec![5]);
    assert!((0..mask.numint).all(|i| mask.is_masked(i, 5)));
    assert_eq!(mask.to_bytes(&path).unwrap(), std::fs::read(&path).unwrap());
}

#[test]
fn zaplist_reads_and_writes_back() {
    let path = fixture("beam_DM50.00.zaplist");
    let presto = text("beam_DM50.00.zaplist");
    let z = Zaplist::read(&path).unwrap();
    assert_eq!(z.birds.len(), 7);
    assert!(z.birds[0].barycentric && z.birds[0].freq_hz == 13.642 && z.birds[0].width_hz == 0.01);
    assert!(z.birds[1..].iter().all(|b| !b.barycentric));
    // The birds are written character for character as makezaplist.py does;
    // the comments keep their words (palfa's reader trims their spacing).
    let written = z.to_text();
    let words = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(words(&written), words(&presto));
    assert_eq!(Zaplist::parse(&written, &path).unwrap(), z);
    // palfa's expansion of the same .birds file gives makezaplist.py's birds.
    let expanded = Zaplist::read(fixture("beam_DM50.00.birds")).unwrap();
    let birds = |s: &str| -> Vec<String> { s.lines().filter(|l| !l.starts_with('#')).map(String::from).collect() };
    assert_eq!(birds(&expanded.to_text()), birds(&presto));
    assert_eq!(birds(&written), birds(&presto));
}

#[test]
fn accelcands_reads_and_writes_back_byte_for_byte() {
    let path = fixture("beam.accelcands");
    let presto = text("beam.accelcands");
    let entries = read_accelcands(&path).unwrap();
    assert_eq!(entries.len(), 4);
    let psr = &entries[0];
    assert_eq!((psr.accelfile.as_str(), psr.candnum), ("beam_DM50.00_ACCEL_0", 2));
    assert_eq!((psr.dm, psr.numharm, psr.numhits, psr.hits.len()), (50.0, 8, 3, 3));
    assert!(close(psr.period_s, 0.073302965, 1e-9));
    assert_eq!(accelcands_text(&entries), presto);
    assert_eq!(parse_accelcands(&accelcands_text(&entries), &path).unwrap(), entries);
}

#[test]
fn singlepulse_reads_and_writes_back_byte_for_byte() {
    let path = fixture("beam_DM52.00.singlepulse");
    let events = read_singlepulse(&path).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!((events[0].dm, events[0].sample, events[0].downfact), (52.0, 39061, 9));
    assert!(close(events[0].time_s, 9.999616, 1e-12));
    assert_eq!(format_singlepulse(&events), text("beam_DM52.00.singlepulse"));
}
