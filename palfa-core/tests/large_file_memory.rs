//! Reading a 2 GiB beam keeps resident memory bounded: the readers stream.
//!
//! This file holds one test so that its process measures only this test's memory.

mod common;

use std::io::{Seek, SeekFrom, Write};

use common::spec;
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::psrfits::PsrfitsWriter;

/// Peak resident set size of this process \[bytes\] (Linux `VmHWM`).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

fn stream_all(path: &std::path::Path) -> (u64, f64) {
    let mut beam = open_beam(&[path]).unwrap();
    let nchans = beam.header().nchans;
    let mut buf = vec![0f32; 1024 * nchans];
    let (mut n, mut sum) = (0u64, 0f64);
    loop {
        let k = beam.read_spectra(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        sum += buf[..k * nchans].iter().sum::<f32>() as f64;
        n += k as u64;
    }
    (n, sum)
}

#[test]
fn two_gib_beams_stream_in_bounded_memory() {
    const GIB2: u64 = 2 << 30;
    let dir = tempfile::tempdir().unwrap();
    let before = peak_rss();

    // Filterbank: 1024 channels x 8 bits, 2^21 spectra, sparse on disk.
    let fil = dir.path().join("big.fil");
    let w = FilterbankWriter::create(&fil, &spec(1024, 8, true)).unwrap();
    w.finish().unwrap();
    let hdr_len = std::fs::metadata(&fil).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fil)
        .unwrap()
        .set_len(hdr_len + GIB2)
        .unwrap();
    let (n, sum) = stream_all(&fil);
    assert_eq!(n, GIB2 / 1024);
    assert_eq!(sum, 0.0);

    // PSRFITS: one real row, then NAXIS2 raised and the file extended (sparse rows read as zeros).
    let fits = dir.path().join("big.fits");
    let nsblk = 4096;
    let mut w = PsrfitsWriter::create(&fits, &spec(1024, 8, true), nsblk).unwrap();
    w.write_spectra(&vec![1.0; 1024 * nsblk]).unwrap();
    w.finish().unwrap();
    let mut bytes = std::fs::read(&fits).unwrap();
    let row_len = 16 + 4 * 4 * 1024 + 1024 * nsblk as u64;
    let nrows = GIB2 / row_len;
    let card = bytes.chunks(80).position(|c| c.starts_with(b"NAXIS2  = ")).unwrap();
    bytes[card * 80..card * 80 + 80].copy_from_slice(format!("{:<80}", format!("NAXIS2  = {nrows:>20}")).as_bytes());
    let mut f = std::fs::OpenOptions::new().write(true).open(&fits).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&bytes[..2880 * 4]).unwrap();
    let data_start = bytes.len() as u64 - 2880 * (row_len.div_ceil(2880));
    f.set_len(data_start + nrows * row_len + 2880).unwrap();
    drop(f);
    let (n, sum) = stream_all(&fits);
    assert_eq!(n, nrows * nsblk as u64);
    assert_eq!(sum, (1024 * nsblk) as f64, "only the first row holds ones");

    let grown = peak_rss().saturating_sub(before);
    println!(
        "peak RSS grew by {:.1} MiB while streaming 2 x 2 GiB",
        grown as f64 / (1 << 20) as f64
    );
    assert!(grown < 96 << 20, "peak RSS grew by {grown} bytes reading 2 GiB files");
}
