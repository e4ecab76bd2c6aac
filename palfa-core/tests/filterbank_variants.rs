//! Every SIGPROC filterbank variant the reader accepts, written here byte by
//! byte from the format's definition (not by palfa's writer) and checked value
//! by value: 1/2/4/8/16/32-bit samples, both signs of `foff`, `signed` bytes,
//! two IFs, and optional keywords palfa does not use.

mod common;

use common::cfitsio_psrfits::Rng;
use palfa_core::beam::{open_beam, read_range};

/// One header keyword and its value as SIGPROC stores it.
enum Value {
    Int(i32),
    Double(f64),
    Str(&'static str),
    Byte(u8),
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn header(keys: &[(&str, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    put_str(&mut out, "HEADER_START");
    for (k, v) in keys {
        put_str(&mut out, k);
        match v {
            Value::Int(i) => out.extend_from_slice(&i.to_le_bytes()),
            Value::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
            Value::Str(s) => put_str(&mut out, s),
            Value::Byte(b) => out.push(*b),
        }
    }
    put_str(&mut out, "HEADER_END");
    out
}

struct Case {
    nbits: u32,
    nchans: usize,
    nifs: usize,
    foff: f64,
    signed: bool,
}

/// Writes `n` spectra of drawn samples; returns the file and the expected
/// spectra (IFs summed, lowest frequency first).
fn write(dir: &std::path::Path, name: &str, c: &Case, n: usize) -> (std::path::PathBuf, Vec<f64>) {
    let mut rng = Rng(0x9e37_79b9 ^ (name.len() as u64 * 31 + c.nbits as u64));
    let vals = n * c.nifs * c.nchans;
    let raw: Vec<f64> = (0..vals)
        .map(|_| match c.nbits {
            32 => (rng.uniform(-50.0, 50.0) as f32) as f64,
            8 if c.signed => (rng.next() % 256) as f64 - 128.0,
            b => (rng.next() % (1 << b)) as f64,
        })
        .collect();
    let mut data = Vec::new();
    match c.nbits {
        32 => raw
            .iter()
            .for_each(|&v| data.extend_from_slice(&(v as f32).to_le_bytes())),
        16 => raw
            .iter()
            .for_each(|&v| data.extend_from_slice(&(v as u16).to_le_bytes())),
        8 => data.extend(raw.iter().map(|&v| v as i64 as u8)),
        b => {
            // First sample in the lowest bits of its byte.
            let per = (8 / b) as usize;
            data = vec![0u8; vals / per];
            for (i, &v) in raw.iter().enumerate() {
                data[i / per] |= (v as u8) << (b as usize * (i % per));
            }
        }
    }
    let fch1 = 1500.0;
    let mut keys = vec![
        ("telescope_id", Value::Int(6)),
        ("machine_id", Value::Int(10)),
        ("data_type", Value::Int(1)),
        ("rawdatafile", Value::Str("variant.raw")),
        ("source_name", Value::Str("J1234+5678")),
        ("src_raj", Value::Double(123456.7)),
        ("src_dej", Value::Double(-123456.7)),
        ("az_start", Value::Double(12.0)),
        ("za_start", Value::Double(3.0)),
        ("tstart", Value::Double(59_000.5)),
        ("tsamp", Value::Double(98.304e-6)),
        ("fch1", Value::Double(fch1)),
        ("foff", Value::Double(c.foff)),
        ("nchans", Value::Int(c.nchans as i32)),
        ("nifs", Value::Int(c.nifs as i32)),
        ("nbits", Value::Int(c.nbits as i32)),
        ("nbeams", Value::Int(7)),
        ("ibeam", Value::Int(3)),
        ("barycentric", Value::Int(0)),
    ];
    if c.signed {
        keys.push(("signed", Value::Byte(1)));
    }
    let mut bytes = header(&keys);
    bytes.extend_from_slice(&data);
    let path = dir.join(format!("{name}.fil"));
    std::fs::write(&path, bytes).unwrap();
    let mut want = Vec::with_capacity(n * c.nchans);
    for s in 0..n {
        let mut spec: Vec<f64> = (0..c.nchans)
            .map(|ch| (0..c.nifs).map(|f| raw[(s * c.nifs + f) * c.nchans + ch]).sum())
            .collect();
        if c.foff < 0.0 {
            spec.reverse();
        }
        want.extend(spec);
    }
    (path, want)
}

fn check(name: &str, c: Case) {
    let dir = tempfile::tempdir().unwrap();
    let n = 37;
    let (path, want) = write(dir.path(), name, &c, n);
    let mut beam = open_beam(&[&path]).unwrap_or_else(|e| panic!("{name}: {e}"));
    let h = beam.header().clone();
    assert_eq!((h.nchans, h.nsamples, h.nbits), (c.nchans, n as u64, c.nbits), "{name}");
    let lo = if c.foff < 0.0 {
        1500.0 + (c.nchans - 1) as f64 * c.foff
    } else {
        1500.0
    };
    assert!(
        (h.lofreq_mhz - lo).abs() < 1e-9 && (h.chan_bw_mhz - c.foff.abs()).abs() < 1e-12,
        "{name}"
    );
    assert_eq!(h.source_name, "J1234+5678");
    let got = read_range(beam.as_mut(), 0, n).unwrap();
    assert_eq!(got.len(), want.len());
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        // Integers are exact; two 32-bit reals summed in single precision round.
        assert!(
            (g as f64 - w).abs() <= 1e-6 * w.abs().max(1.0),
            "{name}: spectrum {} channel {} is {g}, the definition gives {w}",
            i / c.nchans,
            i % c.nchans
        );
    }
}

#[test]
fn every_bit_depth_and_channel_order_matches_the_definition() {
    for (nbits, foff) in [(1, -0.5), (2, 0.5), (4, -0.25), (8, 1.0), (16, -2.0), (32, 0.125)] {
        check(
            &format!("nbits{nbits}"),
            Case {
                nbits,
                nchans: 24,
                nifs: 1,
                foff,
                signed: false,
            },
        );
    }
}

#[test]
fn signed_bytes_read_as_twos_complement() {
    check(
        "signed",
        Case {
            nbits: 8,
            nchans: 10,
            nifs: 1,
            foff: -1.0,
            signed: true,
        },
    );
}

#[test]
fn two_ifs_sum_to_total_intensity() {
    for nbits in [4, 8, 32] {
        check(
            &format!("ifs{nbits}"),
            Case {
                nbits,
                nchans: 16,
                nifs: 2,
                foff: -1.0,
                signed: false,
            },
        );
    }
}
