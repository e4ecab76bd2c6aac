//! Every PSRFITS variant the readers accept, written by a second writer
//! (cfitsio) and checked value by value against the definition's arithmetic on
//! the drawn samples (see `common::cfitsio_psrfits`).

mod common;

use common::cfitsio_psrfits::{draw, expected, write, Layout};
use palfa_core::beam::{open_beam, read_range};

/// Writes `l`, reads it back with palfa and compares every value.
fn check(name: &str, l: &Layout) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.fits"));
    let contents = draw(l, name.bytes().map(u64::from).sum::<u64>() * 7919);
    write(&path, l, &contents);
    let want = expected(l, &contents);
    let mut beam = open_beam(&[&path]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let h = beam.header().clone();
    assert_eq!(h.nchans, l.nchan, "{name}");
    assert_eq!(h.nsamples as usize, l.nrows * l.nsblk, "{name}");
    assert_eq!(h.nbits, l.nbits, "{name}");
    assert_eq!(h.npol, l.npol, "{name}");
    let lo = l.file_freq(0).min(l.file_freq(l.nchan - 1));
    assert!(
        (h.lofreq_mhz - lo).abs() < 1e-4,
        "{name}: lowest channel {} MHz, not {lo}",
        h.lofreq_mhz
    );
    assert!(
        (h.chan_bw_mhz - l.chan_bw.abs()).abs() < 1e-6,
        "{name}: channel width {}",
        h.chan_bw_mhz
    );
    let got = read_range(beam.as_mut(), 0, h.nsamples as usize).unwrap();
    assert_eq!(got.len(), want.len(), "{name}");
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        let tol = 2e-6 * w.abs().max(100.0);
        assert!(
            (g as f64 - w).abs() <= tol,
            "{name}: spectrum {} channel {} is {g}, the definition gives {w}",
            i / l.nchan,
            i % l.nchan
        );
    }
}

#[test]
fn every_bit_depth_matches_the_definition() {
    // Odd channel and block counts, so that sub-byte samples run across
    // spectra and rows end mid-byte where the definition lets them.
    for (nbits, descending) in [(1, false), (2, true), (4, false), (8, true), (16, false), (32, true)] {
        let mut l = Layout::simple(12, 10, 3);
        l.nbits = nbits;
        if descending {
            l.chan_bw = -l.chan_bw;
            l.obsbw = -l.obsbw;
        }
        // ZERO_OFF as the definition means it: the raw value of zero.
        l.zero_off = match nbits {
            32 | 16 => 0.0,
            b => ((1u32 << b) as f64 - 1.0) / 2.0,
        };
        check(&format!("nbits{nbits}"), &l);
    }
}

#[test]
fn unsigned_16_bit_samples_apply_tzero() {
    let mut l = Layout::simple(7, 5, 2);
    l.nbits = 16;
    l.unsigned16 = true;
    l.zero_off = 32_768.0;
    check("unsigned16", &l);
}

#[test]
fn signed_bytes_are_twos_complement() {
    let mut l = Layout::simple(9, 6, 2);
    l.signint = Some(1);
    check("signint", &l);
}

#[test]
fn polarisation_products_sum_to_total_intensity() {
    for (npol, pol_type) in [(2, "AABB"), (4, "AABBCRCI"), (4, "IQUV")] {
        let mut l = Layout::simple(10, 4, 2);
        l.npol = npol;
        l.pol_type = pol_type;
        check(&format!("pol_{pol_type}"), &l);
    }
}

#[test]
fn band_from_dat_freq_chan_bw_or_obsbw() {
    // OBSBW = 0: DAT_FREQ describes the band.
    let mut l = Layout::simple(16, 4, 2);
    l.obsbw = 0.0;
    check("obsbw0", &l);
    // No DAT_FREQ: OBSFREQ and CHAN_BW (descending), OBSBW = 0 as well.
    let mut l = Layout::simple(16, 4, 2);
    l.dat_freq = false;
    l.chan_bw = -0.75;
    l.obsbw = 0.0;
    check("no_dat_freq", &l);
    // OBSNCHAN and OBSBW describing a wider band than the table: the table wins.
    let mut l = Layout::simple(16, 4, 2);
    l.obsbw = 100.0;
    check("obsbw_wider", &l);
}
