//! Write then read filterbank and PSRFITS at every bit depth, both channel orders.

mod common;

use common::{set_card, spec};
use palfa_core::beam::{open_beam, read_range};
use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::psrfits::{PsrfitsWriter, RawRow};

/// Integer test pattern that uses the full range of `nbits`.
fn pattern(nspec: usize, nchans: usize, nbits: u32) -> Vec<f32> {
    let max = if nbits >= 32 { 1000u64 } else { (1u64 << nbits) - 1 };
    (0..nspec * nchans)
        .map(|i| ((i as u64 * 2_654_435_761 + 12_345) % (max + 1)) as f32 + if nbits == 32 { 0.25 } else { 0.0 })
        .collect()
}

#[test]
fn filterbank_round_trip_every_depth_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    for nbits in [1u32, 2, 4, 8, 16, 32] {
        for descending in [false, true] {
            let nchans = 24;
            let sp = spec(nchans, nbits, descending);
            let data = pattern(301, nchans, nbits);
            let path = dir.path().join(format!("rt{nbits}{descending}.fil"));
            let mut w = FilterbankWriter::create(&path, &sp).unwrap();
            w.write_spectra(&data[..100 * nchans]).unwrap();
            w.write_spectra(&data[100 * nchans..]).unwrap();
            assert_eq!(w.finish().unwrap(), 301);
            let mut beam = open_beam(&[&path]).unwrap();
            let h = beam.header().clone();
            assert_eq!((h.nchans, h.nbits, h.nsamples), (nchans, nbits, 301));
            assert!((h.lofreq_mhz - sp.lofreq_mhz).abs() < 1e-9);
            assert!((h.chan_bw_mhz - sp.chan_bw_mhz).abs() < 1e-12);
            assert_eq!(h.start_mjd, sp.start_mjd);
            assert_eq!(h.tsamp_s, sp.tsamp_s);
            assert!((h.ra_deg - sp.ra_deg).abs() < 1e-7 && (h.dec_deg - sp.dec_deg).abs() < 1e-7);
            assert_eq!(h.source_name, sp.source_name);
            assert_eq!(h.beam_id, Some(3));
            assert_eq!(
                read_range(beam.as_mut(), 0, 301).unwrap(),
                data,
                "{nbits} bits, descending {descending}"
            );
            // Seeking lands on the right spectrum.
            assert_eq!(
                read_range(beam.as_mut(), 250, 3).unwrap(),
                data[250 * nchans..253 * nchans]
            );
        }
    }
}

#[test]
fn psrfits_round_trip_every_depth_is_bit_exact() {
    let dir = tempfile::tempdir().unwrap();
    for nbits in [1u32, 2, 4, 8, 16, 32] {
        for descending in [false, true] {
            let nchans = 32;
            let nsblk = 64;
            let nrows = 5;
            let sp = spec(nchans, nbits, descending);
            let data = pattern(nrows * nsblk, nchans, nbits);
            let path = dir.path().join(format!("rt{nbits}{descending}.fits"));
            let mut w = PsrfitsWriter::create(&path, &sp, nsblk).unwrap();
            let ones = vec![1f32; nchans];
            let zeros = vec![0f32; nchans];
            for row in data.chunks(nsblk * nchans) {
                if nbits == 32 {
                    w.write_row_raw(RawRow::Float(row), &ones, &zeros, &ones).unwrap();
                } else {
                    let raw: Vec<u16> = row.iter().map(|&v| v as u16).collect();
                    w.write_row_raw(RawRow::Int(&raw), &ones, &zeros, &ones).unwrap();
                }
            }
            assert_eq!(w.finish().unwrap(), nrows as u64);
            let mut beam = open_beam(&[&path]).unwrap();
            let h = beam.header().clone();
            assert_eq!((h.nchans, h.nbits, h.nsamples), (nchans, nbits, (nrows * nsblk) as u64));
            assert!(
                (h.lofreq_mhz - sp.lofreq_mhz).abs() < 1e-4,
                "{} vs {}",
                h.lofreq_mhz,
                sp.lofreq_mhz
            );
            assert!((h.chan_bw_mhz - sp.chan_bw_mhz).abs() < 1e-5);
            assert!((h.start_mjd - sp.start_mjd).abs() * 86400.0 < 1e-6);
            assert_eq!(h.tsamp_s, sp.tsamp_s);
            assert_eq!(h.source_name, sp.source_name);
            let back = read_range(beam.as_mut(), 0, nrows * nsblk).unwrap();
            assert_eq!(back, data, "{nbits} bits, descending {descending}");
        }
    }
}

#[test]
fn psrfits_scales_offsets_and_weights_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let (nchans, nsblk) = (8, 16);
    let sp = spec(nchans, 8, true);
    let path = dir.path().join("scaled.fits");
    let mut w = PsrfitsWriter::create(&path, &sp, nsblk).unwrap();
    let raw: Vec<u16> = (0..nsblk * nchans).map(|i| (i % 200) as u16).collect();
    let scl: Vec<f32> = (0..nchans).map(|c| 0.5 + c as f32).collect();
    let offs: Vec<f32> = (0..nchans).map(|c| -10.0 * c as f32).collect();
    let mut wts = vec![1f32; nchans];
    wts[2] = 0.0;
    w.write_row_raw(RawRow::Int(&raw), &scl, &offs, &wts).unwrap();
    w.finish().unwrap();
    let mut beam = open_beam(&[&path]).unwrap();
    assert_eq!(beam.header().chan_weights[2], 0.0);
    let got = read_range(beam.as_mut(), 0, nsblk).unwrap();
    for s in 0..nsblk {
        for c in 0..nchans {
            let want = (raw[s * nchans + c] as f32 * scl[c] + offs[c]) * wts[c];
            assert_eq!(got[s * nchans + c], want);
        }
    }
}

#[test]
fn psrfits_quantising_writer_stays_within_half_a_step() {
    let dir = tempfile::tempdir().unwrap();
    let (nchans, nsblk) = (16, 128);
    for nbits in [2u32, 4, 8] {
        let sp = spec(nchans, nbits, true);
        let path = dir.path().join(format!("q{nbits}.fits"));
        let mut w = PsrfitsWriter::create(&path, &sp, nsblk).unwrap();
        let data: Vec<f32> = (0..3 * nsblk * nchans + 5 * nchans)
            .map(|i| ((i * 37) % 101) as f32 * 0.731 - 20.0)
            .collect();
        w.write_spectra(&data).unwrap();
        w.finish().unwrap();
        let mut beam = open_beam(&[&path]).unwrap();
        let n = data.len() / nchans;
        assert_eq!(beam.header().nsamples, 4 * nsblk as u64, "last partial row is padded");
        let back = read_range(beam.as_mut(), 0, n).unwrap();
        let step = (100.0 * 0.731) / ((1u32 << nbits) - 1) as f32;
        for (a, b) in back.iter().zip(&data) {
            assert!((a - b).abs() <= 0.5 * step + 1e-3, "{nbits} bits: {a} vs {b}");
        }
    }
}

/// Writes an 8-bit PSRFITS file of `nrows` rows holding [`pattern`] (unit
/// scales, zero offsets, unit weights); returns its description and data.
fn write_psrfits_8bit(
    path: &std::path::Path,
    nchans: usize,
    nsblk: usize,
    nrows: usize,
    descending: bool,
) -> (palfa_core::formats::ObservationSpec, Vec<f32>) {
    let sp = spec(nchans, 8, descending);
    let data = pattern(nrows * nsblk, nchans, 8);
    let mut w = PsrfitsWriter::create(path, &sp, nsblk).unwrap();
    let (ones, zeros) = (vec![1f32; nchans], vec![0f32; nchans]);
    for row in data.chunks(nsblk * nchans) {
        let raw: Vec<u16> = row.iter().map(|&v| v as u16).collect();
        w.write_row_raw(RawRow::Int(&raw), &ones, &zeros, &ones).unwrap();
    }
    w.finish().unwrap();
    (sp, data)
}

/// Zeroes every copy of the channel frequencies (DAT_FREQ of each row) in
/// either order; returns how many rows were found.
fn zero_dat_freq(bytes: &mut [u8], freqs: &[f64]) -> usize {
    let mut found = 0;
    for order in [freqs.to_vec(), freqs.iter().rev().copied().collect()] {
        let pattern: Vec<u8> = order.iter().flat_map(|&f| (f as f32).to_be_bytes()).collect();
        let mut i = 0;
        while i + pattern.len() <= bytes.len() {
            if bytes[i..i + pattern.len()] == pattern[..] {
                bytes[i..i + pattern.len()].fill(0);
                found += 1;
                i += pattern.len();
            } else {
                i += 1;
            }
        }
    }
    found
}

#[test]
fn psrfits_with_obsbw_zero_reads_its_band_from_dat_freq_or_chan_bw() {
    let dir = tempfile::tempdir().unwrap();
    for descending in [false, true] {
        let (nchans, nsblk, nrows) = (16, 32, 3);
        let path = dir.path().join(format!("obsbw{descending}.fits"));
        let (sp, data) = write_psrfits_8bit(&path, nchans, nsblk, nrows, descending);
        let expect = |path: &std::path::Path, what: &str| {
            let mut beam = open_beam(&[path]).unwrap_or_else(|e| panic!("{what}: {e}"));
            let h = beam.header().clone();
            assert!(
                (h.lofreq_mhz - sp.lofreq_mhz).abs() < 1e-3,
                "{what}: {} vs {}",
                h.lofreq_mhz,
                sp.lofreq_mhz
            );
            assert!(
                (h.chan_bw_mhz - sp.chan_bw_mhz).abs() < 1e-4,
                "{what}: {}",
                h.chan_bw_mhz
            );
            let back = read_range(beam.as_mut(), 0, nrows * nsblk).unwrap();
            assert_eq!(back, data, "{what}: the channels are in another order");
        };
        let mut bytes = std::fs::read(&path).unwrap();
        // OBSBW = 0: the band is in DAT_FREQ (and CHAN_BW).
        set_card(&mut bytes, "OBSBW", "0.0");
        let p1 = dir.path().join(format!("obsbw0_{descending}.fits"));
        std::fs::write(&p1, &bytes).unwrap();
        expect(&p1, "OBSBW = 0");
        // And without DAT_FREQ: from OBSFREQ and CHAN_BW alone.
        let freqs: Vec<f64> = (0..nchans).map(|c| sp.lofreq_mhz + c as f64 * sp.chan_bw_mhz).collect();
        assert_eq!(zero_dat_freq(&mut bytes, &freqs), nrows);
        let p2 = dir.path().join(format!("nofreq_{descending}.fits"));
        std::fs::write(&p2, &bytes).unwrap();
        expect(&p2, "OBSBW = 0, no DAT_FREQ");
        // Nothing at all describing the band: refused, naming OBSBW.
        set_card(&mut bytes, "CHAN_BW", "0.0");
        let p3 = dir.path().join(format!("noband_{descending}.fits"));
        std::fs::write(&p3, &bytes).unwrap();
        let e = open_beam(&[&p3])
            .err()
            .expect("a file without a band opened")
            .to_string();
        assert!(e.contains("OBSBW") && e.contains("noband"), "{e}");
    }
}

/// Sets the SIGPROC header's `nifs` to `value`.
fn set_nifs(bytes: &mut [u8], value: i32) {
    let key = b"\x04\x00\x00\x00nifs";
    let at = bytes.windows(key.len()).position(|w| w == key).expect("no nifs key") + key.len();
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn filterbank_two_ifs_are_summed_and_more_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for descending in [false, true] {
        let (nchans, nspec) = (16, 200);
        let sp = spec(nchans, 8, descending);
        let data = pattern(nspec, nchans, 8);
        let path = dir.path().join(format!("one{descending}.fil"));
        let mut w = FilterbankWriter::create(&path, &sp).unwrap();
        w.write_spectra(&data).unwrap();
        w.finish().unwrap();
        let one = read_range(open_beam(&[&path]).unwrap().as_mut(), 0, nspec).unwrap();
        // The same bytes as two IFs: each spectrum is two written ones, AA then BB.
        let mut bytes = std::fs::read(&path).unwrap();
        set_nifs(&mut bytes, 2);
        let two = dir.path().join(format!("two{descending}.fil"));
        std::fs::write(&two, &bytes).unwrap();
        let mut beam = open_beam(&[&two]).unwrap();
        assert_eq!(beam.header().nsamples, nspec as u64 / 2);
        let got = read_range(beam.as_mut(), 0, nspec / 2).unwrap();
        let want: Vec<f32> = (0..nspec / 2)
            .flat_map(|s| (0..nchans).map(move |c| (s, c)))
            .map(|(s, c)| one[2 * s * nchans + c] + one[(2 * s + 1) * nchans + c])
            .collect();
        assert_eq!(got, want, "descending {descending}");
        // Four IFs: which products? Refused, naming nifs and the file.
        set_nifs(&mut bytes, 4);
        let four = dir.path().join(format!("four{descending}.fil"));
        std::fs::write(&four, &bytes).unwrap();
        let e = open_beam(&[&four]).err().expect("four IFs were read").to_string();
        assert!(e.contains("nifs") && e.contains("four"), "{e}");
    }
}

/// Adds the card `key = value` at the end of the SUBINT table's header (in
/// the blank space its last block has after END).
fn add_subint_card(bytes: &mut [u8], key: &str, value: &str) {
    let card_at = |i: usize| &bytes[i * 80..i * 80 + 80];
    let subint = (0..bytes.len() / 80)
        .find(|&i| card_at(i).starts_with(b"EXTNAME = 'SUBINT"))
        .expect("no SUBINT header");
    let end = (subint..bytes.len() / 80)
        .find(|&i| card_at(i) == format!("{:<80}", "END").as_bytes())
        .expect("no END");
    assert!(card_at(end + 1).iter().all(|&b| b == b' '), "no room for a card");
    let card = format!("{key:<8}= {value:>20}");
    bytes[end * 80..end * 80 + 80].copy_from_slice(format!("{card:<80}").as_bytes());
    bytes[(end + 1) * 80..(end + 2) * 80].copy_from_slice(format!("{:<80}", "END").as_bytes());
}

#[test]
fn psrfits_signint_reads_signed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for descending in [false, true] {
        let (nchans, nsblk, nrows) = (16, 32, 3);
        let path = dir.path().join(format!("s{descending}.fits"));
        let (_, data) = write_psrfits_8bit(&path, nchans, nsblk, nrows, descending);
        // The same bytes declared signed: 200 is -56.
        let mut bytes = std::fs::read(&path).unwrap();
        add_subint_card(&mut bytes, "SIGNINT", "1");
        let signed = dir.path().join(format!("signed{descending}.fits"));
        std::fs::write(&signed, &bytes).unwrap();
        let got = read_range(open_beam(&[&signed]).unwrap().as_mut(), 0, nrows * nsblk).unwrap();
        let want: Vec<f32> = data.iter().map(|&v| f32::from(v as u8 as i8)).collect();
        assert_eq!(got, want, "descending {descending}");
    }
    // Signed 4-bit samples are not defined: refused, naming SIGNINT.
    let sp = spec(16, 4, false);
    let path = dir.path().join("four.fits");
    let mut w = PsrfitsWriter::create(&path, &sp, 32).unwrap();
    let (ones, zeros) = (vec![1f32; 16], vec![0f32; 16]);
    w.write_row_raw(RawRow::Int(&vec![3u16; 32 * 16]), &ones, &zeros, &ones)
        .unwrap();
    w.finish().unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    add_subint_card(&mut bytes, "SIGNINT", "1");
    std::fs::write(&path, &bytes).unwrap();
    let e = open_beam(&[&path])
        .err()
        .expect("signed 4-bit samples were read")
        .to_string();
    assert!(e.contains("SIGNINT") && e.contains("four.fits"), "{e}");
}
