//! Results directories of searched beams for the uploader's tests: the
//! example `results.json` of `palfa_core` with candidates, diagnostics and
//! single pulses, and small valid product files (PNG, `.pfd`, `.bestprof`,
//! text, a tar of `.singlepulse` files), written as the worker writes them
//! (`record_file_sizes`, then `write_dir`). Used by palfa-tracker's and
//! palfa-cli's tests; needs only palfa-core.

#![allow(dead_code)]

use std::path::Path;

use palfa_core::formats::presto::pfd::Pfd;
use palfa_core::formats::results::{PeriodicityCandidate, Rating, SearchResults, SinglePulseGroup};

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A valid grey-scale PNG of `w` × `h` pixels (zlib stored blocks).
pub fn png(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8); // filter: none
        for x in 0..w {
            raw.push(((x as u64 * 7 + y as u64 * 13 + seed * 31) % 251) as u8);
        }
    }
    let mut z = vec![0x78, 0x01];
    for (i, chunk) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        z.push(last as u8);
        let n = chunk.len() as u16;
        z.extend_from_slice(&n.to_le_bytes());
        z.extend_from_slice(&(!n).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
}

/// A ustar archive of `(name, contents)` files.
pub fn tar(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Writes a complete results directory for `beam` into `dir` (made if
/// missing, `results.json` replaced): 3 candidates with PNG, `.pfd` and
/// `.bestprof`, every diagnostic, 4 single-pulse groups, an events archive
/// and 2 plots. Numbers depend on `seed` and are not round in decimal.
pub fn write_results(dir: &Path, beam: &str, seed: u64) -> SearchResults {
    write_results_sized(dir, beam, seed, 16)
}

/// [`write_results`] with candidate plots `width` pixels wide (× 8 × width/16
/// rows): large ones make an upload take longer.
pub fn write_results_sized(dir: &Path, beam: &str, seed: u64, width: u32) -> SearchResults {
    std::fs::create_dir_all(dir.join("cands")).unwrap();
    std::fs::create_dir_all(dir.join("sp")).unwrap();
    let s = seed as f64;
    let mut r = SearchResults::example();
    r.version = "palfa:test".into();
    r.processed_at = format!("2026-12-04T10:{:02}:00Z", seed % 60);
    r.header.obs_name = beam.to_string();
    r.header.beam_id = Some((seed % 7) as u32);
    r.header.original_files = vec![format!("{beam}.fits"), "β-ünïcode.fits".into()];
    r.header.file_size = 123_456_789_012 + seed;
    r.header.observers = "O'Brien; \"quoted\"".into();
    r.header.timestamp_mjd = 61_041.123_456_789_01 + s / 3.0;
    r.header.ra_deg = 288.0 + s / 7.0;
    r.header.dec_deg = -0.1 - s / 11.0;
    r.num_dm_trials = 1234;
    for i in 1..=3u32 {
        let f = i as f64;
        let plot = format!("cands/cand{i}.png");
        let pfd = format!("cands/cand{i}.pfd");
        let bp = format!("cands/cand{i}.pfd.bestprof");
        std::fs::write(dir.join(&plot), png(width + i, 8 * width / 16, seed + i as u64)).unwrap();
        let mut p = Pfd::new(2, 2, 8);
        p.bestdm = 10.0 * f + s;
        p.candnm = format!("cand{i}");
        p.write(dir.join(&pfd)).unwrap();
        std::fs::write(dir.join(&bp), format!("# Best DM = {}\n# cand {i}\n", 10.0 * f + s)).unwrap();
        r.candidates.push(PeriodicityCandidate {
            cand_num: i,
            period_s: 0.1 / f + s * 1e-9 + 1.0 / 3.0e5,
            frequency_hz: f / 0.1,
            pdot: -1.234_567_890_123e-15 * f,
            // The engine writes -0.0 for an unaccelerated candidate found at
            // z = -0; databases store it as 0.0, and that must read back as the same.
            fdot_hz_s: if i == 2 { -0.0 } else { 2.2e-13 },
            dm: 10.0 * f + s + 0.1,
            presto_sigma: 9.87 - f / 7.0 + s / 100.0,
            sifting_sigma: 8.1,
            prepfold_sigma: 20.0 - f * 1.1 + s / 10.0,
            reduced_chi2: 3.3,
            snr: 12.5,
            coherent_power: 44.4,
            incoherent_power: 55.5,
            num_hits: 7,
            num_harmonics: 4,
            z: if i == 2 { -0.0 } else { -2.0 },
            accel_m_s2: 0.0,
            sifting_period_s: 0.1 / f,
            sifting_dm: 10.0 * f,
            impulsive: i == 3,
            // One FFA candidate per beam, so its columns go through the round trip.
            search: if i == 2 {
                palfa_core::formats::results::CandidateSearch::Ffa
            } else {
                palfa_core::formats::results::CandidateSearch::Accel
            },
            pulse_width_s: (i == 2).then_some(0.0123 * f),
            plot_file: plot,
            pfd_file: pfd,
            bestprof_file: bp,
            known_pulsar: None,
            // Ratings as the rate stage writes them: a value with many
            // digits, and one the fold did not allow (null).
            ratings: vec![
                Rating {
                    name: "dm0_peak_ratio".into(),
                    version: 1,
                    value: Some(0.123_456_789_012_345 * f + s / 1000.0),
                },
                Rating {
                    name: "good_subbands_fraction".into(),
                    version: 1,
                    value: (i != 2).then_some(0.75),
                },
                // The score ranks candidate 3 first, then 1; 2 has none
                // (ranked after every scored one, by sigma).
                Rating {
                    name: "score".into(),
                    version: 1,
                    value: match i {
                        3 => Some(0.9 + s / 100.0),
                        1 => Some(0.6),
                        _ => None,
                    },
                },
            ],
        });
    }
    let d = &mut r.diagnostics;
    d.rfi_mask_percentage = 12.345_678_9 + s;
    d.num_cands_folded = 3;
    d.num_cands_produced = 456;
    d.min_sigma_folded = 6.1;
    d.num_cands_above_threshold = 17;
    d.sigma_threshold = 6.0;
    d.max_cands_allowed_to_fold = 100;
    d.percent_zapped_total = 1.5;
    d.percent_zapped_below_10hz = 0.25;
    d.percent_zapped_below_1hz = 0.125;
    for (field, name, data) in [
        (&mut d.rfifind_png, "rfifind.png", png(10, 10, seed)),
        (&mut d.periodicity_summary_png, "summary.png", png(12, 6, seed + 1)),
        (&mut d.rejected_cands_png, "rejected.png", png(6, 12, seed + 2)),
        (&mut d.sifting_summary, "sifting.txt", b"summary\n".to_vec()),
        (&mut d.sifting_report, "report.txt", b"report\n".to_vec()),
        (&mut d.accelcands_list, "accelcands.txt", b"1 2 3\n".to_vec()),
        (&mut d.zaplist_used, "zaplist.txt", b"60.0 0.5\n".to_vec()),
        (&mut d.search_params, "params.json", b"{\"x\": 1}\n".to_vec()),
    ] {
        std::fs::write(dir.join(name), data).unwrap();
        *field = name.to_string();
    }
    let sp = &mut r.single_pulses;
    sp.threshold = 5.0;
    sp.num_events = 9_999;
    for g in 0..4 {
        let gf = g as f64;
        sp.groups.push(SinglePulseGroup {
            dm: 50.0 + gf * 33.3 + s,
            time_s: 1.234 + gf,
            sigma: 7.7 - gf / 3.0,
            downfact: 2 + g,
            num_events: 5 + g,
            dm_range: (40.0 + gf, 60.0 + gf),
        });
    }
    let archive = tar(&[
        ("beam_DM10.00.singlepulse", b"# DM Sigma Time\n10.0 6.1 1.2\n".to_vec()),
        ("beam_DM20.00.singlepulse", format!("# seed {seed}\n").into_bytes()),
    ]);
    std::fs::write(dir.join("sp/singlepulse.tar"), archive).unwrap();
    sp.events_archive = "sp/singlepulse.tar".into();
    for k in 0..2 {
        let name = format!("sp/plot{k}.png");
        std::fs::write(dir.join(&name), png(20, 5, seed + 10 + k)).unwrap();
        sp.plots.push(name);
    }
    r.record_file_sizes(dir).unwrap();
    palfa_core::formats::results::sync_tree(dir).unwrap();
    r.write_dir(dir).unwrap();
    r
}
