//! Several files of one observation read as one beam: consecutive PSRFITS files
//! (placed by NSUBOFFS / OFFS_SUB, gaps filled), split filterbanks, and Mock
//! halves that are themselves split in time.

mod common;

use common::cfitsio_psrfits::{draw, expected, write, Layout};
use palfa_core::beam::{open_beam, read_range, SpectraSource};
use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_core::formats::ObservationSpec;

/// Writes three files of one observation (rows 0–3, 4–6, then 8–12: row 7 is
/// missing) and returns their paths (in the order given) and the expected
/// spectra of each.
fn three_files(dir: &std::path::Path, offs_sub: bool) -> (Vec<std::path::PathBuf>, Vec<(usize, Vec<f64>)>) {
    let mut out = (Vec::new(), Vec::new());
    for (i, (nsuboffs, nrows)) in [(4, 3), (0, 4), (8, 5)].into_iter().enumerate() {
        let mut l = Layout::simple(11, 6, nrows);
        l.nsuboffs = nsuboffs;
        l.offs_sub = offs_sub;
        let c = draw(&l, 17 + i as u64);
        let path = dir.join(format!("obs_{i}.fits"));
        write(&path, &l, &c);
        out.0.push(path);
        out.1.push((nsuboffs as usize * 6, expected(&l, &c)));
    }
    out
}

fn check_three(offs_sub: bool) {
    let dir = tempfile::tempdir().unwrap();
    let (paths, parts) = three_files(dir.path(), offs_sub);
    let mut beam = open_beam(&paths).unwrap();
    let h = beam.header().clone();
    let nchan = 11;
    assert_eq!(h.nsamples, 13 * 6, "rows 0-12, one of them missing");
    assert_eq!(h.files.len(), 3);
    assert_eq!(h.files[0], paths[1], "files are put in time order");
    // The observation starts at the file with NSUBOFFS = 0.
    let start = 58_000.0 + (3_600.0 + 0.25) / 86_400.0;
    assert!((h.start_mjd - start).abs() < 1e-11, "start MJD {}", h.start_mjd);
    let got = read_range(beam.as_mut(), 0, h.nsamples as usize).unwrap();
    let mut covered = vec![false; h.nsamples as usize];
    for (first, want) in &parts {
        let n = want.len() / nchan;
        for (k, (&g, &w)) in got[first * nchan..(first + n) * nchan].iter().zip(want).enumerate() {
            assert!(
                (g as f64 - w).abs() < 1e-4 * w.abs().max(100.0),
                "spectrum {}: {g} vs {w}",
                first + k / nchan
            );
        }
        covered[*first..first + n].iter_mut().for_each(|c| *c = true);
    }
    // The missing row holds the channel means of the 18 spectra before it.
    let (_, before) = &parts[0];
    assert_eq!(covered.iter().filter(|c| !**c).count(), 6);
    for s in 42..48 {
        assert!(!covered[s]);
        for ch in 0..nchan {
            let mean = before.iter().skip(ch).step_by(nchan).sum::<f64>() / 18.0;
            let g = got[s * nchan + ch] as f64;
            assert!(
                (g - mean).abs() < 1e-3 * mean.abs().max(1.0),
                "gap channel {ch}: {g} vs {mean}"
            );
        }
    }
    // Reading from a seek inside the gap and across a file boundary gives the same values.
    beam.seek(40).unwrap();
    let again = read_range(beam.as_mut(), 40, 20).unwrap();
    assert_eq!(again, got[40 * nchan..60 * nchan]);
}

#[test]
fn psrfits_files_are_placed_by_offs_sub() {
    check_three(true);
}

#[test]
fn psrfits_files_are_placed_by_nsuboffs() {
    check_three(false);
}

#[test]
fn files_that_overlap_or_are_far_apart_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, nsuboffs) in [0, 3, 400].into_iter().enumerate() {
        let mut l = Layout::simple(8, 4, 4);
        l.nsuboffs = nsuboffs;
        let path = dir.path().join(format!("part{i}.fits"));
        write(&path, &l, &draw(&l, 3 + i as u64));
        paths.push(path);
    }
    let e = open_beam(&paths[..2])
        .err()
        .expect("overlapping files were read")
        .to_string();
    assert!(e.contains("overlap") && e.contains("part1.fits"), "{e}");
    let e = open_beam(&[&paths[0], &paths[2]])
        .err()
        .expect("a huge gap was filled")
        .to_string();
    assert!(e.contains("one observation"), "{e}");
    // Another channel count: neither one band nor a Mock pair of it.
    let mut l = Layout::simple(8, 4, 4);
    l.nsuboffs = 4;
    l.tbin *= 2.0;
    let other = dir.path().join("slower.fits");
    write(&other, &l, &draw(&l, 9));
    let e = open_beam(&[&paths[0], &other])
        .err()
        .expect("different sampling was merged")
        .to_string();
    assert!(e.contains("sample time"), "{e}");
}

/// Noise-like test spectra: `n` spectra of `spec`'s channels.
fn spectra(spec: &ObservationSpec, n: usize, seed: u64) -> Vec<f32> {
    let mut rng = common::cfitsio_psrfits::Rng(seed | 1);
    (0..n * spec.nchans).map(|_| (rng.next() % 200) as f32).collect()
}

#[test]
fn split_filterbank_reads_as_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let spec = common::spec(16, 8, true);
    let data = spectra(&spec, 1000, 5);
    let mut paths = Vec::new();
    for (i, (from, to)) in [(0, 400), (400, 1000)].into_iter().enumerate() {
        let mut s = spec.clone();
        s.start_mjd += from as f64 * s.tsamp_s / 86_400.0;
        let path = dir.path().join(format!("split{i}.fil"));
        let mut w = FilterbankWriter::create(&path, &s).unwrap();
        w.write_spectra(&data[from * 16..to * 16]).unwrap();
        w.finish().unwrap();
        paths.push(path);
    }
    paths.reverse();
    let mut beam = open_beam(&paths).unwrap();
    assert_eq!(beam.header().nsamples, 1000);
    assert_eq!(read_range(beam.as_mut(), 0, 1000).unwrap(), data);
}

/// Writes `data` (spectra of `spec`) as PSRFITS files with palfa's writer, one
/// per range of spectra, each starting at its own time.
fn palfa_psrfits(
    dir: &std::path::Path,
    tag: &str,
    spec: &ObservationSpec,
    data: &[f32],
    ranges: &[(usize, usize)],
) -> Vec<std::path::PathBuf> {
    let n = spec.nchans;
    ranges
        .iter()
        .enumerate()
        .map(|(i, &(from, to))| {
            let mut s = spec.clone();
            s.start_mjd += from as f64 * s.tsamp_s / 86_400.0;
            let path = dir.join(format!("{tag}_{i}.fits"));
            let mut w = PsrfitsWriter::create(&path, &s, 50).unwrap();
            w.write_spectra(&data[from * n..to * n]).unwrap();
            w.finish().unwrap();
            path
        })
        .collect()
}

#[test]
fn mock_halves_split_in_time_merge_like_whole_halves() {
    let dir = tempfile::tempdir().unwrap();
    let lower = common::spec(32, 8, true);
    let mut upper = lower.clone();
    upper.lofreq_mhz += 28.0 * lower.chan_bw_mhz; // 4 channels of overlap
    let (dl, du) = (spectra(&lower, 600, 1), spectra(&upper, 600, 2));
    let whole = [
        palfa_psrfits(dir.path(), "s0", &lower, &dl, &[(0, 600)]),
        palfa_psrfits(dir.path(), "s1", &upper, &du, &[(0, 600)]),
    ]
    .concat();
    let split = [
        palfa_psrfits(dir.path(), "s0p", &lower, &dl, &[(0, 250), (250, 600)]),
        palfa_psrfits(dir.path(), "s1p", &upper, &du, &[(0, 300), (300, 600)]),
    ]
    .concat();
    let mut a = open_beam(&whole).unwrap();
    let mut b = open_beam(&[&split[3], &split[0], &split[2], &split[1]]).unwrap();
    assert_eq!(b.header().nchans, a.header().nchans);
    assert_eq!(b.header().nsamples, 600);
    assert_eq!(b.header().files.len(), 4);
    assert_eq!(
        read_range(b.as_mut(), 0, 600).unwrap(),
        read_range(a.as_mut(), 0, 600).unwrap()
    );
    // Three bands are not a beam.
    let mut third = upper.clone();
    third.lofreq_mhz += 100.0;
    let t = palfa_psrfits(dir.path(), "s2", &third, &du, &[(0, 600)]);
    let e = open_beam(&[&whole[0], &whole[1], &t[0]])
        .err()
        .expect("three bands were merged")
        .to_string();
    assert!(e.contains("3 different bands"), "{e}");
}
