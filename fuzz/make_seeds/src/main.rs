//! Writes the committed seed files of the fuzz targets (`fuzz/seeds/<target>/`),
//! all made by palfa's own writers, small enough to commit.
//!
//! Usage: `cargo run --release --manifest-path fuzz/make_seeds/Cargo.toml -- fuzz/seeds`

use std::fs;
use std::path::{Path, PathBuf};

use palfa_core::formats::filterbank::FilterbankWriter;
use palfa_core::formats::presto::accel::{AccelFile, AccelFileCand, AccelFileHarm};
use palfa_core::formats::presto::accelcands::{self, AccelcandsEntry, AccelcandsHit};
use palfa_core::formats::presto::{
    singlepulse, write_cand_file, Bestprof, Bird, FourierProps, InfFile, Pfd, RfiMask, SinglePulseEvent, Zaplist,
};
use palfa_core::formats::psrfits::PsrfitsWriter;
use palfa_testkit::fixtures::{observation, ramp};

fn dir(root: &Path, t: &str) -> PathBuf {
    let d = root.join(t);
    fs::create_dir_all(&d).unwrap();
    d
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "fuzz/seeds".into()));

    // Raw data: filterbank and PSRFITS at several bit depths, both channel orders.
    for (nbits, desc) in [(8, true), (4, false), (2, true), (1, false), (16, true), (32, false)] {
        let spec = observation(8, 1214.0, nbits, desc);
        let p = dir(&root, "filterbank").join(format!("palfa_{nbits}bit.fil"));
        let mut w = FilterbankWriter::create(&p, &spec).unwrap();
        w.write_spectra(&ramp(16, 8, nbits as usize)).unwrap();
        w.finish().unwrap();
        let p = dir(&root, "psrfits").join(format!("palfa_{nbits}bit.fits"));
        let mut w = PsrfitsWriter::create(&p, &spec, 8).unwrap();
        w.write_spectra(&ramp(16, 8, nbits as usize)).unwrap();
        w.finish().unwrap();
        if nbits == 8 || nbits == 4 {
            fs::copy(&p, dir(&root, "fits").join(format!("palfa_{nbits}bit.fits"))).unwrap();
        }
    }

    // Mock pairs: 4 bytes of split point, then s0 (upper) and s1 (lower) back to back.
    for (i, overlap) in [4usize, 0].into_iter().enumerate() {
        let tmp = std::env::temp_dir().join(format!("palfa-make-seeds-{}", std::process::id()));
        let lower = observation(8, 1300.0, 8, true);
        let upper = observation(8, 1300.0 + (8 - overlap) as f64 * 0.336, 8, true);
        let mut parts = Vec::new();
        for s in [&upper, &lower] {
            let mut w = PsrfitsWriter::create(&tmp, s, 8).unwrap();
            w.write_spectra(&ramp(16, 8, i)).unwrap();
            w.finish().unwrap();
            parts.push(fs::read(&tmp).unwrap());
        }
        fs::remove_file(&tmp).unwrap();
        let mut seed = (parts[0].len() as u32).to_le_bytes().to_vec();
        seed.extend_from_slice(&parts[0]);
        seed.extend_from_slice(&parts[1]);
        fs::write(dir(&root, "mock").join(format!("pair_overlap{overlap}.bin")), seed).unwrap();
    }

    // PRESTO formats.
    let inf = InfFile {
        basename: "palfa_DM10.00".into(),
        n: 4096,
        dt: 65.476e-6,
        ..Default::default()
    };
    fs::write(dir(&root, "inf").join("palfa.inf"), inf.to_text()).unwrap();

    let mut mask = RfiMask::empty(16, 4, 64, 64.0 * 65.476e-6);
    mask.zap_chans = vec![0, 15];
    mask.zap_ints = vec![2];
    mask.chans_per_int[1] = vec![3, 4, 5];
    let p = dir(&root, "mask").join("palfa_rfifind.mask");
    fs::write(&p, mask.to_bytes(&p).unwrap()).unwrap();

    let harm = AccelFileHarm {
        sigma: 5.0,
        power: 30.0,
        raw_power: 31.0,
        r: 1234.5,
        z: 2.0,
        purity: 1.0,
        ..Default::default()
    };
    let cand = AccelFileCand {
        sigma: 6.5,
        summed_power: 60.0,
        coherent_power: 58.0,
        numharm: 2,
        r: 1234.5,
        r_err: 0.01,
        z: 2.0,
        z_err: 0.1,
        notes: String::new(),
        harmonics: vec![harm.clone(), harm],
    };
    let accel = AccelFile {
        cands: vec![cand.clone(), cand],
        inf: inf.clone(),
    };
    fs::write(dir(&root, "accel").join("palfa_DM10.00_ACCEL_0"), accel.to_text()).unwrap();

    let hit = |dm: f64| AccelcandsHit {
        dm,
        snr: 8.0,
        sigma: Some(6.0),
    };
    let entry = AccelcandsEntry {
        accelfile: "palfa_DM10.00_ACCEL_0".into(),
        candnum: 1,
        dm: 10.0,
        snr: 8.0,
        sigma: 6.0,
        numharm: 2,
        ipow: 60.0,
        cpow: 58.0,
        period_s: 0.7139,
        r: 1234.5,
        z: 2.0,
        numhits: 2,
        hits: vec![hit(10.0), hit(12.0)],
    };
    fs::write(
        dir(&root, "accelcands").join("palfa.accelcands"),
        accelcands::to_text(&[entry]),
    )
    .unwrap();

    let props = FourierProps {
        r: 1234.5,
        z: 2.0,
        pow: 30.0,
        sig: 5.0,
        ..Default::default()
    };
    write_cand_file(dir(&root, "cand").join("palfa_DM10.00_ACCEL_0.cand"), &[props, props]).unwrap();

    let ev = |sample: u64| SinglePulseEvent {
        dm: 10.0,
        sigma: 6.0,
        time_s: sample as f64 * 65.476e-6,
        sample,
        downfact: 3,
    };
    fs::write(
        dir(&root, "singlepulse").join("palfa_DM10.00.singlepulse"),
        singlepulse::format_singlepulse(&[ev(100), ev(2000)]),
    )
    .unwrap();

    let mut pfd = Pfd::new(2, 2, 16);
    pfd.numchan = 8;
    let p = dir(&root, "pfd").join("palfa.pfd");
    fs::write(&p, pfd.to_bytes().unwrap()).unwrap();

    let bp = Bestprof::default();
    fs::write(dir(&root, "bestprof").join("palfa.pfd.bestprof"), bp.to_text()).unwrap();

    let zap = Zaplist {
        birds: vec![
            Bird {
                freq_hz: 60.0,
                width_hz: 0.1,
                barycentric: false,
            },
            Bird {
                freq_hz: 12.5,
                width_hz: 0.02,
                barycentric: true,
            },
        ],
        comments: vec![" palfa seed".into()],
    };
    fs::write(dir(&root, "zaplist").join("palfa.zaplist"), zap.to_text()).unwrap();
    fs::write(
        dir(&root, "zaplist").join("palfa.birds"),
        "# freq width nharm grow? bary?\n60.0 0.1 3 1 0\n12.5 0.02 1 0 1\n",
    )
    .unwrap();
}
