//! PRESTO's own programs and Python classes accept palfa's PRESTO-format
//! files, and read from them what palfa wrote (issue 14).
//!
//! A small simulated beam (64 channels, 2^17 samples, a 73.3-ms pulsar at
//! DM 50, a single pulse at 10 s, a bad channel) goes through palfa's
//! `rfifind`, `dedisperse`, `accelsearch`, `prepfold` and `singlepulse`, and
//! a `.fft` is written with palfa's writer; then PRESTO's `realfft`,
//! `accelsearch`, `prepfold`, `show_pfd`, `zapbirds` and
//! `single_pulse_search.py`, and the `presto` Python package's `readinf`,
//! `infodata`, `prepfold.pfd`, `bestprof`, `sifting` and `rfifind`, run on
//! the results. Each test checks that PRESTO exits 0 and that its numbers
//! agree with palfa's.
//!
//! PRESTO is found through `PRESTO_ENV` (its `env.sh`, as written by
//! `shared/tools/presto/build.sh`), else `$PRESTO/env.sh` or
//! `$PRESTO/../env.sh` (`env.sh` sets `PRESTO` to the source tree, under the
//! install prefix), else on `PATH`. Without it every test is skipped with a
//! line saying so (PRESTO is not part of CI's set-up).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use palfa_core::formats::presto::{read_cand_file, AccelFile, Bestprof, InfFile, Pfd, RfiMask, Zaplist};
use palfa_search::spectrum::{write_presto_fft, SpectrumMaker};
use palfa_search::TimeSeries;
use serde_json::Value;

/// How to run PRESTO: the `env.sh` to source first, if any.
struct Presto {
    env_sh: Option<PathBuf>,
}

impl Presto {
    fn find() -> Option<Presto> {
        let mut candidates = Vec::new();
        if let Some(p) = std::env::var_os("PRESTO_ENV") {
            candidates.push(PathBuf::from(p));
        }
        if let Some(p) = std::env::var_os("PRESTO") {
            let p = PathBuf::from(p);
            candidates.push(p.join("env.sh"));
            candidates.push(p.join("../env.sh"));
        }
        let env_sh = candidates.into_iter().find(|p| p.is_file());
        let presto = Presto { env_sh };
        let probe = "for p in realfft accelsearch prepfold show_pfd zapbirds single_pulse_search.py; do \
                     command -v $p >/dev/null || { echo \"no $p\"; exit 1; }; done; \
                     python3 -c 'import presto.prepfold, presto.sifting, presto.presto'";
        let out = presto.bash(Path::new("."), probe);
        out.status.success().then_some(presto)
    }

    /// Runs `cmd` with bash in `dir`, PRESTO's environment set.
    fn bash(&self, dir: &Path, cmd: &str) -> Output {
        let source = match &self.env_sh {
            Some(p) => format!(". '{}' && ", p.display()),
            None => String::new(),
        };
        Command::new("bash")
            .arg("-c")
            .arg(format!("{source}cd '{}' && {cmd}", dir.display()))
            .output()
            .expect("bash runs")
    }

    /// Runs `cmd` and insists that it exits 0; returns its stdout and stderr.
    fn ok(&self, dir: &Path, cmd: &str) -> String {
        let out = self.bash(dir, cmd);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "PRESTO's `{cmd}` failed ({}):\n{text}",
            out.status
        );
        text
    }

    /// Runs a Python script that prints one JSON object as its last line.
    fn python_json(&self, dir: &Path, script: &str) -> Value {
        std::fs::write(dir.join("check.py"), script).unwrap();
        let text = self.ok(dir, "python3 check.py");
        let last = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or("");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: no JSON from the script:\n{text}"))
    }
}

/// palfa's products for the simulated beam, made once for all the tests.
struct Products {
    presto: Presto,
    /// Where palfa wrote its files (`pal/`), beside the beam.
    dir: PathBuf,
}

const PERIOD_S: f64 = 0.0733;
const SP_TIME_S: f64 = 10.0;

fn palfa(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .arg("--no-progress")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "palfa {args:?} failed:\n{text}");
    text
}

fn products() -> Option<&'static Products> {
    static PRODUCTS: OnceLock<Option<Products>> = OnceLock::new();
    PRODUCTS
        .get_or_init(|| {
            let Some(presto) = Presto::find() else {
                // Not palfa_testkit::skip: PRESTO is no CI service, so its
                // absence must not fail CI.
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "SKIPPED the PRESTO acceptance tests: PRESTO not found (set PRESTO_ENV to its env.sh, \
                     e.g. one from shared/tools/presto/build.sh, or put its programs on PATH)"
                );
                return None;
            };
            let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("presto_accepts");
            let _ = std::fs::remove_dir_all(&root);
            let dir = root.join("pal");
            std::fs::create_dir_all(&dir).unwrap();
            let psr = format!("period={PERIOD_S},dm=50,snr=40");
            let sp = format!("time={SP_TIME_S},dm=50,width=0.002,snr=30");
            #[rustfmt::skip]
            palfa(&root, &[
                "simulate", "--out", "beam.fil", "--nchans", "64", "--fch1", "1500", "--chan-bw", "2",
                "--tsamp", "0.000256", "--nsamples", "131072", "--nbits", "8", "--seed", "7",
                "--pulsar", &psr, "--single-pulse", &sp, "--bad-channels", "5",
            ]);
            palfa(
                &root,
                &["rfifind", "beam.fil", "--time", "2.0", "--no-plot", "-o", "pal/beam"],
            );
            #[rustfmt::skip]
            palfa(&root, &[
                "dedisperse", "beam.fil", "--mask", "pal/beam_rfifind.mask", "-o", "pal/beam",
                "--lodm", "48", "--dmstep", "2", "--numdms", "3", "--nsub", "16",
            ]);
            palfa(
                &dir,
                &["accelsearch", "beam_DM50.00.dat", "--zmax", "0", "--numharm", "8"],
            );
            palfa(
                &dir,
                &["accelsearch", "beam_DM50.00.dat", "--zmax", "20", "--numharm", "8"],
            );
            std::fs::write(
                dir.join("test.birds"),
                "# birds for the zapbirds test\n60.0  0.05  3  1\n47.748  0.02  2\n13.642  0.01  1  0  1\n100.5 0.2\n",
            )
            .unwrap();
            let zapped = palfa(
                &dir,
                &[
                    "accelsearch",
                    "beam_DM50.00.dat",
                    "--zaplist",
                    "test.birds",
                    "--save-zaplist",
                    "test.zaplist",
                    "-o",
                    "zapped",
                ],
            );
            std::fs::write(dir.join("zapped_bins.txt"), zapped).unwrap();
            #[rustfmt::skip]
            palfa(&root, &[
                "prepfold", "beam.fil", "--period", "0.0733", "--dm", "50", "--nsub", "16",
                "--mask", "pal/beam_rfifind.mask", "-o", "pal/fold",
            ]);
            #[rustfmt::skip]
            palfa(&dir, &[
                "singlepulse", "beam_DM48.00.dat", "beam_DM50.00.dat", "beam_DM52.00.dat", "--no-plot",
                "--threshold", "5",
            ]);
            // palfa's .fft (the library writer; no command writes one).
            let fft_dir = dir.join("fft");
            std::fs::create_dir_all(&fft_dir).unwrap();
            let ts = TimeSeries::read(dir.join("beam_DM50.00.dat")).unwrap();
            let spec = SpectrumMaker::new().make(&ts).unwrap();
            write_presto_fft(&spec, fft_dir.join("beam_DM50.00")).unwrap();
            Some(Products { presto, dir })
        })
        .as_ref()
}

impl Products {
    /// A fresh directory for one test with copies of palfa's `files` (PRESTO
    /// writes its outputs beside its inputs).
    fn workdir(&self, test: &str, files: &[&str]) -> PathBuf {
        let d = self.dir.parent().unwrap().join(test);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for f in files {
            let src = self.dir.join(f);
            let name = Path::new(f).file_name().unwrap();
            std::fs::copy(&src, d.join(name)).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        }
        d
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

/// The values of a `.bestprof` line `# key = value [+/- err]`.
fn bestprof_value(text: &str, key: &str) -> (f64, f64) {
    let line = text
        .lines()
        .find(|l| l.starts_with(key))
        .unwrap_or_else(|| panic!("{key}:\n{text}"));
    let rest = line.split_once('=').unwrap().1;
    let mut parts = rest.split("+/-").map(|s| s.trim().parse::<f64>().unwrap_or(f64::NAN));
    (parts.next().unwrap(), parts.next().unwrap_or(0.0))
}

#[test]
fn readinf_and_infodata_read_palfas_inf_files() {
    let Some(p) = products() else { return };
    let d = p.workdir(
        "inf",
        &[
            "beam_DM50.00.inf",
            "beam_DM48.00.inf",
            "beam_rfifind.inf",
            "fft/beam_DM50.00.inf",
        ],
    );
    // A series with no telescope (palfa once left out the observation lines
    // for "None", and readinf failed) and PRESTO's artificial-data layout.
    let mut none = InfFile::read(p.path("beam_DM48.00.inf")).unwrap();
    none.basename = "none".into();
    none.telescope = "None".into();
    none.write(d.join("none.inf")).unwrap();
    let mut fake = InfFile {
        basename: "fake".into(),
        telescope: palfa_core::formats::presto::inf::PRESTO_ARTIFICIAL.into(),
        n: 4096,
        dt: 1e-3,
        notes: "made by palfa\nsecond line".into(),
        ..InfFile::default()
    };
    fake.write(d.join("fake.inf")).unwrap();
    fake.onoff = vec![(0, 1999), (3000, 3999)];
    fake.basename = "fake2".into();
    fake.write(d.join("fake2.inf")).unwrap();

    for base in ["beam_DM50.00", "beam_DM48.00", "beam_rfifind", "none", "fake", "fake2"] {
        let inf = InfFile::read(d.join(format!("{base}.inf"))).unwrap();
        let script = format!(
            r#"
import json
from presto.presto import read_inffile
from presto import infodata
i = read_inffile("{base}", verbose=False)
j = infodata.infodata("{base}.inf")
onoff = [float(x) for pair in getattr(j, "onoff", []) for x in pair]
print(json.dumps(dict(telescope=i.telescope, N=i.N, dt=i.dt, dm=i.dm, freq=i.freq, freqband=i.freqband,
    num_chan=i.num_chan, chan_wid=i.chan_wid, mjd=i.mjd_i + i.mjd_f, ra=(i.ra_h + i.ra_m / 60 + i.ra_s / 3600) * 15,
    dec=i.dec_d + i.dec_m / 60 + i.dec_s / 3600, numonoff=i.numonoff, onoff=onoff, analyzer=i.analyzer,
    py_N=j.N, py_dt=j.dt, py_dm=getattr(j, "DM", 0.0))))
"#
        );
        let v = p.presto.python_json(&d, &script);
        assert_eq!(v["telescope"], inf.telescope.as_str(), "{base}: {v}");
        assert_eq!(f(&v, "N"), inf.n as f64, "{base}");
        assert_eq!(f(&v, "dt"), inf.dt, "{base}");
        assert_eq!(f(&v, "py_N"), inf.n as f64, "{base}");
        assert_eq!(f(&v, "py_dt"), inf.dt, "{base}");
        assert_eq!(v["analyzer"], inf.analyst.as_str(), "{base}");
        // readinf's count of pairs (it reads on to the one ending at N - 1)
        // and infodata's list of them.
        let pairs: Vec<f64> = v["onoff"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        if inf.onoff.is_empty() {
            assert_eq!(f(&v, "numonoff"), 1.0, "{base}");
            assert!(pairs.is_empty(), "{base}: {v}");
        } else {
            // PRESTO's list: palfa's pairs, ending with one at N - 1.
            let mut want: Vec<f64> = inf.onoff.iter().flat_map(|&(a, b)| [a as f64, b as f64]).collect();
            if inf.onoff.last().unwrap().1 < inf.n - 1 {
                want.extend([(inf.n - 1) as f64; 2]);
            }
            assert_eq!(pairs, want, "{base}");
            assert_eq!(f(&v, "numonoff"), want.len() as f64 / 2.0, "{base}");
        }
        if base.starts_with("fake") {
            continue;
        }
        for (k, want) in [
            ("dm", inf.dm),
            ("py_dm", inf.dm),
            ("freq", inf.lofreq_mhz),
            ("freqband", inf.bandwidth_mhz),
            ("chan_wid", inf.chan_bw_mhz),
            ("num_chan", inf.nchan as f64),
            ("mjd", inf.mjd),
        ] {
            assert_eq!(f(&v, k), want, "{base}: {k}");
        }
        assert!((f(&v, "ra") - inf.ra_deg).abs() < 1e-6, "{base}: {v}");
        assert!((f(&v, "dec") - inf.dec_deg).abs() < 1e-6, "{base}: {v}");
    }
}

#[test]
fn realfft_transforms_palfas_dat_as_palfa_does() {
    let Some(p) = products() else { return };
    let d = p.workdir("realfft", &["beam_DM50.00.dat", "beam_DM50.00.inf"]);
    p.presto.ok(&d, "realfft beam_DM50.00.dat");
    let theirs = std::fs::read(d.join("beam_DM50.00.fft")).unwrap();
    let ours = std::fs::read(p.path("fft/beam_DM50.00.fft")).unwrap();
    assert_eq!(theirs.len(), ours.len());
    let c = |b: &[u8], k: usize| -> (f64, f64) {
        let v = |i: usize| f32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as f64;
        (v(8 * k), v(8 * k + 4))
    };
    let nbins = ours.len() / 8;
    let rms = ((1..nbins)
        .map(|k| c(&theirs, k).0.powi(2) + c(&theirs, k).1.powi(2))
        .sum::<f64>()
        / nbins as f64)
        .sqrt();
    let worst = (0..nbins)
        .map(|k| {
            let (a, b) = (c(&theirs, k), c(&ours, k));
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-4 * rms,
        "palfa's .fft differs from PRESTO's realfft by {worst} (rms amplitude {rms})"
    );
}

/// The ACCEL candidate nearest the injected pulsar's frequency.
fn pulsar_in_accel(path: &Path) -> f64 {
    let accel = AccelFile::read(path).unwrap();
    let t = accel.t_obs_s();
    let best = accel
        .cands
        .iter()
        .map(|c| c.r / t)
        .min_by(|a, b| (a - 1.0 / PERIOD_S).abs().total_cmp(&(b - 1.0 / PERIOD_S).abs()))
        .unwrap_or(f64::NAN);
    assert!(
        (best - 1.0 / PERIOD_S).abs() < 2.0 / t,
        "{}: nearest candidate {best} Hz",
        path.display()
    );
    best
}

#[test]
fn accelsearch_finds_the_pulsar_in_palfas_fft() {
    let Some(p) = products() else { return };
    let d = p.workdir("accelsearch", &["fft/beam_DM50.00.fft", "fft/beam_DM50.00.inf"]);
    p.presto.ok(&d, "accelsearch -zmax 0 -numharm 8 beam_DM50.00.fft");
    let theirs = pulsar_in_accel(&d.join("beam_DM50.00_ACCEL_0"));
    let ours = pulsar_in_accel(&p.path("beam_DM50.00_ACCEL_0"));
    assert!(
        (theirs - ours).abs() < 0.5 / 33.554432,
        "PRESTO {theirs} Hz, palfa {ours} Hz"
    );
    // And on PRESTO's own transform of palfa's .dat.
    let d = p.workdir("accelsearch_dat", &["beam_DM50.00.dat", "beam_DM50.00.inf"]);
    p.presto.ok(
        &d,
        "realfft beam_DM50.00.dat && accelsearch -zmax 20 -numharm 8 beam_DM50.00.fft",
    );
    pulsar_in_accel(&d.join("beam_DM50.00_ACCEL_20"));
}

#[test]
fn prepfold_folds_palfas_dat_and_cand() {
    let Some(p) = products() else { return };
    let d = p.workdir(
        "prepfold_dat",
        &[
            "beam_DM50.00.dat",
            "beam_DM50.00.inf",
            "beam_DM50.00_ACCEL_0",
            "beam_DM50.00_ACCEL_0.cand",
        ],
    );
    // palfa's binary .cand: prepfold folds candidate 1 at exactly its r.
    let cands = read_cand_file(d.join("beam_DM50.00_ACCEL_0.cand")).unwrap();
    let accel = AccelFile::read(d.join("beam_DM50.00_ACCEL_0")).unwrap();
    assert_eq!(cands.len(), accel.cands.len());
    p.presto.ok(
        &d,
        "prepfold -noxwin -nosearch -n 64 -accelfile beam_DM50.00_ACCEL_0.cand -accelcand 1 beam_DM50.00.dat",
    );
    let text = std::fs::read_to_string(d.join("beam_DM50.00_ACCEL_Cand_1.pfd.bestprof")).unwrap();
    let (p_ms, _) = bestprof_value(&text, "# P_topo (ms)");
    let want = 1e3 * accel.t_obs_s() / cands[0].r;
    assert!(
        close(p_ms, want, 1e-9),
        "prepfold folded at {p_ms} ms, palfa's candidate 1 is {want} ms"
    );
    assert!(close(cands[0].r, accel.cands[0].r, 1e-6));
    assert!((p_ms / 1e3 - PERIOD_S).abs() < 2e-5, "{p_ms}");
    // prepfold's own search over the .dat finds the pulsar's period.
    p.presto
        .ok(&d, "prepfold -noxwin -n 64 -p 0.0733 -o search beam_DM50.00.dat");
    let text = std::fs::read_to_string(d.join("search_PSR_0733.pfd.bestprof"))
        .or_else(|_| {
            let f = std::fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".bestprof") && p.to_string_lossy().contains("search"))
                .unwrap();
            std::fs::read_to_string(f)
        })
        .unwrap();
    let (p_ms, err) = bestprof_value(&text, "# P_topo (ms)");
    assert!((p_ms - 1e3 * PERIOD_S).abs() < 3.0 * err, "{p_ms} +/- {err}");
    let (chi, _) = bestprof_value(&text, "# Reduced chi-sqr");
    assert!(chi > 10.0, "{text}");
}

#[test]
fn prepfold_reads_palfas_mask_with_the_beam() {
    let Some(p) = products() else { return };
    // prepfold reads the .stats beside the mask too (for the values it puts
    // in place of masked data).
    let d = p.workdir(
        "prepfold_raw",
        &["beam_rfifind.mask", "beam_rfifind.stats", "beam_rfifind.inf"],
    );
    let mask = RfiMask::read(d.join("beam_rfifind.mask")).unwrap();
    assert_eq!(mask.zap_chans, vec![5]);
    let beam = p.dir.parent().unwrap().join("beam.fil");
    let out = p.presto.ok(
        &d,
        &format!(
            "prepfold -noxwin -topo -n 64 -nsub 16 -p 0.0733 -dm 50 -nodmsearch -mask beam_rfifind.mask -o raw '{}'",
            beam.display()
        ),
    );
    assert!(out.contains("Read mask information from 'beam_rfifind.mask'"), "{out}");
    let f = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".pfd.bestprof"))
        .unwrap();
    let text = std::fs::read_to_string(f).unwrap();
    let (p_ms, err) = bestprof_value(&text, "# P_topo (ms)");
    assert!((p_ms - 1e3 * PERIOD_S).abs() < 3.0 * err, "{p_ms} +/- {err}");
    let (chi, _) = bestprof_value(&text, "# Reduced chi-sqr");
    assert!(chi > 10.0, "{text}");
}

#[test]
fn pfd_and_bestprof_classes_read_palfas_fold() {
    let Some(p) = products() else { return };
    let d = p.workdir("pfd", &["fold.pfd", "fold.pfd.bestprof"]);
    let pfd = Pfd::read(d.join("fold.pfd")).unwrap();
    let best = Bestprof::read(d.join("fold.pfd.bestprof")).unwrap();
    let v = p.presto.python_json(
        &d,
        r#"
import json
import numpy as np
from presto import prepfold, bestprof
p = prepfold.pfd("fold.pfd")
b = bestprof.bestprof("fold.pfd.bestprof")
out = dict(numdms=p.numdms, numperiods=p.numperiods, numpdots=p.numpdots, nsub=p.nsub, npart=p.npart,
    proflen=p.proflen, numchan=p.numchan, filenm=p.filenm.decode(), candnm=p.candnm, telescope=p.telescope,
    rastr=p.rastr.decode() if isinstance(p.rastr, bytes) else p.rastr, dt=p.dt, tepoch=p.tepoch, bepoch=p.bepoch,
    lofreq=p.lofreq, chan_wid=p.chan_wid, bestdm=p.bestdm, topo_p1=p.topo_p1, topo_p2=p.topo_p2,
    fold_p1=p.fold_p1, fold_p2=p.fold_p2, Nfolded=float(p.Nfolded),
    profs_sum=float(p.profs.sum()), prof0=[float(x) for x in p.profs[0, 0]],
    stats_sum=float(p.stats.sum()), dms0=float(p.dms[0]), periods_mid=float(p.periods[len(p.periods) // 2]),
    hifreq=p.hifreq)
out["redchi2"] = float(p.calc_redchi2())
p.dedisperse(p.bestdm)
p.adjust_period()
out["sumprof"] = [float(x) for x in p.sumprof]
out["bp_p0"] = b.p0
out["bp_p1"] = b.p1
out["bp_N"] = b.N
out["bp_proflen"] = b.proflen
out["bp_profile"] = [float(x) for x in b.profile]
out["bp_chi"] = b.chi_sqr
print(json.dumps(out))
"#,
    );
    for (k, want) in [
        ("numdms", pfd.dms.len() as f64),
        ("numperiods", pfd.periods.len() as f64),
        ("numpdots", pfd.pdots.len() as f64),
        ("nsub", pfd.nsub as f64),
        ("npart", pfd.npart as f64),
        ("proflen", pfd.proflen as f64),
        ("numchan", pfd.numchan as f64),
        ("dt", pfd.dt),
        ("tepoch", pfd.tepoch),
        ("bepoch", pfd.bepoch),
        ("lofreq", pfd.lofreq),
        ("chan_wid", pfd.chan_wid),
        ("bestdm", pfd.bestdm),
        ("topo_p1", pfd.topo.p1),
        ("topo_p2", pfd.topo.p2),
        ("fold_p1", pfd.fold.p1),
        ("fold_p2", pfd.fold.p2),
        ("dms0", pfd.dms[0]),
        ("periods_mid", pfd.periods[pfd.periods.len() / 2]),
        ("hifreq", pfd.hifreq()),
    ] {
        assert_eq!(f(&v, k), want, "pfd.{k}");
    }
    assert_eq!(v["filenm"], pfd.filenm.as_str());
    assert_eq!(v["candnm"], pfd.candnm.as_str());
    assert_eq!(v["telescope"], pfd.telescope.as_str());
    assert_eq!(v["rastr"], pfd.rastr.as_str());
    let prof0: Vec<f64> = v["prof0"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(prof0, pfd.profile(0, 0));
    assert!(close(f(&v, "profs_sum"), pfd.rawfolds.iter().sum(), 1e-12));
    let stats_sum: f64 = pfd
        .stats
        .iter()
        .map(|s| s.numdata + s.data_avg + s.data_var + s.numprof + s.prof_avg + s.prof_var + s.redchi)
        .sum();
    assert!(close(f(&v, "stats_sum"), stats_sum, 1e-12));
    let folded: f64 = (0..pfd.npart).map(|part| pfd.stat(part, 0).numdata).sum();
    assert_eq!(f(&v, "Nfolded"), folded);
    // The pfd class's reduced chi^2 of the best profile is palfa's.
    assert!(
        (f(&v, "redchi2") - best.reduced_chi2).abs() < 2e-3,
        "{} vs {}",
        v["redchi2"],
        best.reduced_chi2
    );
    // bestprof: the values palfa wrote.
    assert_eq!(f(&v, "bp_p0"), best.p_topo_ms.unwrap().value / 1e3);
    assert_eq!(f(&v, "bp_p1"), best.pd_topo.unwrap().value);
    assert_eq!(f(&v, "bp_N"), best.data_folded);
    assert_eq!(f(&v, "bp_proflen"), best.profile_bins as f64);
    assert_eq!(f(&v, "bp_chi"), best.reduced_chi2);
    let bp: Vec<f64> = v["bp_profile"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(bp, best.profile);
    // The pfd class's dedispersed, period-adjusted profile is the best profile
    // palfa wrote (to the 7 digits of the .bestprof).
    let sumprof: Vec<f64> = v["sumprof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(sumprof.len(), best.profile.len());
    let rotation = (0..sumprof.len())
        .find(|&s| (0..sumprof.len()).all(|i| close(sumprof[(i + s) % sumprof.len()], best.profile[i], 1e-6)));
    assert!(
        rotation.is_some(),
        "pfd.sumprof {sumprof:?}\nbestprof {:?}",
        best.profile
    );
}

#[test]
fn show_pfd_rewrites_palfas_bestprof_byte_for_byte() {
    let Some(p) = products() else { return };
    let d = p.workdir("show_pfd", &["fold.pfd"]);
    p.presto.ok(&d, "show_pfd -noxwin fold.pfd");
    let theirs = std::fs::read_to_string(d.join("fold.pfd.bestprof")).unwrap();
    let ours = std::fs::read_to_string(p.path("fold.pfd.bestprof")).unwrap();
    assert_eq!(
        theirs, ours,
        "PRESTO's show_pfd made another .bestprof from palfa's .pfd"
    );
}

#[test]
fn single_pulse_search_reads_palfas_dat_and_singlepulse_files() {
    let Some(p) = products() else { return };
    let names = ["beam_DM48.00", "beam_DM50.00", "beam_DM52.00"];
    let files: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("{n}.dat"), format!("{n}.inf")])
        .collect();
    let d = p.workdir("sps_dat", &files.iter().map(String::as_str).collect::<Vec<_>>());
    p.presto.ok(
        &d,
        "single_pulse_search.py -t 5 beam_DM48.00.dat beam_DM50.00.dat beam_DM52.00.dat",
    );
    let events = palfa_core::formats::presto::read_singlepulse(d.join("beam_DM50.00.singlepulse")).unwrap();
    assert!(
        events
            .iter()
            .any(|e| (e.time_s - SP_TIME_S).abs() < 0.01 && e.sigma > 15.0),
        "PRESTO's events: {events:?}"
    );
    // Plotting palfa's own .singlepulse files (they need the .inf beside them).
    let files: Vec<String> = names
        .iter()
        .flat_map(|n| [format!("{n}.singlepulse"), format!("{n}.inf")])
        .collect();
    let d = p.workdir("sps_plot", &files.iter().map(String::as_str).collect::<Vec<_>>());
    let ours = palfa_core::formats::presto::read_singlepulse(d.join("beam_DM50.00.singlepulse")).unwrap();
    assert!(ours.iter().any(|e| (e.time_s - SP_TIME_S).abs() < 0.01));
    p.presto.ok(
        &d,
        "single_pulse_search.py -t 5 beam_DM48.00.singlepulse beam_DM50.00.singlepulse beam_DM52.00.singlepulse",
    );
    assert!(d.join("beam_singlepulse.ps").is_file());
}

#[test]
fn sifting_reads_palfas_accel_files() {
    let Some(p) = products() else { return };
    let d = p.workdir(
        "sifting",
        &["beam_DM50.00_ACCEL_0", "beam_DM50.00_ACCEL_20", "beam_DM50.00.inf"],
    );
    for name in ["beam_DM50.00_ACCEL_0", "beam_DM50.00_ACCEL_20"] {
        let accel = AccelFile::read(d.join(name)).unwrap();
        let v = p.presto.python_json(
            &d,
            &format!(
                r#"
import json
from presto import sifting
cl = sifting.candlist_from_candfile("{name}")
print(json.dumps(dict(cands=[dict(num=c.candnum, r=c.r, z=c.z, numharm=c.numharm, cpow=c.cpow, ipow=c.ipow_det,
    dm=c.DM, harm_pows=[float(x) for x in c.harm_pows]) for c in cl.cands])))
"#
            ),
        );
        let theirs = v["cands"].as_array().unwrap();
        assert_eq!(theirs.len(), accel.cands.len(), "{name}: {v}");
        for (t, c) in theirs.iter().zip(&accel.cands) {
            assert_eq!(f(t, "r"), c.r, "{name}");
            assert_eq!(f(t, "z"), c.z, "{name}");
            assert_eq!(f(t, "numharm"), c.numharm as f64, "{name}");
            assert_eq!(f(t, "cpow"), c.coherent_power, "{name}");
            assert_eq!(f(t, "dm"), 50.0, "{name}");
            let pows: Vec<f64> = t["harm_pows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let want: Vec<f64> = c.harmonics.iter().map(|h| h.power).collect();
            assert_eq!(pows, want, "{name}");
        }
    }
}

#[test]
fn zapbirds_zaps_what_palfa_zapped_from_palfas_zaplist() {
    let Some(p) = products() else { return };
    let d = p.workdir(
        "zapbirds",
        &["test.zaplist", "fft/beam_DM50.00.fft", "fft/beam_DM50.00.inf"],
    );
    let list = Zaplist::read(d.join("test.zaplist")).unwrap();
    assert_eq!(list.birds.len(), 7);
    let before = std::fs::read(d.join("beam_DM50.00.fft")).unwrap();
    let out = p.presto.ok(&d, "zapbirds -zap -zapfile test.zaplist beam_DM50.00.fft");
    assert!(out.contains("Read 7 birdies from 'test.zaplist'"), "{out}");
    let after = std::fs::read(d.join("beam_DM50.00.fft")).unwrap();
    let changed = before.chunks(8).zip(after.chunks(8)).filter(|(a, b)| a != b).count();
    // palfa's accelsearch said how many bins it zapped with the same list.
    let log = std::fs::read_to_string(p.path("zapped_bins.txt")).unwrap();
    let ours: usize = log
        .split_once("zapped ")
        .and_then(|(_, r)| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(changed, ours, "zapbirds changed {changed} bins, palfa zapped {ours}");
}

#[test]
fn rfifind_class_reads_palfas_stats_and_mask() {
    let Some(p) = products() else { return };
    let d = p.workdir(
        "rfifind",
        &["beam_rfifind.stats", "beam_rfifind.mask", "beam_rfifind.inf"],
    );
    let mask = RfiMask::read(d.join("beam_rfifind.mask")).unwrap();
    let v = p.presto.python_json(
        &d,
        r#"
import json
from presto import rfifind
r = rfifind.rfifind("beam_rfifind.stats")
print(json.dumps(dict(nchan=int(r.nchan), nint=int(r.nint), ptsperint=int(r.ptsperint), dtint=float(r.dtint),
    lofreq=float(r.lofreq), df=float(r.df),
    zap_chans=sorted(int(c) for c in r.mask_zap_chans), zap_ints=sorted(int(i) for i in r.mask_zap_ints))))
"#,
    );
    assert_eq!(f(&v, "nchan"), mask.numchan as f64);
    assert_eq!(f(&v, "nint"), mask.numint as f64);
    assert_eq!(f(&v, "ptsperint"), mask.ptsperint as f64);
    assert_eq!(f(&v, "dtint"), mask.dtint);
    assert_eq!(f(&v, "lofreq"), mask.lofreq);
    assert_eq!(f(&v, "df"), mask.dfreq);
    let zc: Vec<usize> = v["zap_chans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(zc, mask.zap_chans);
    assert_eq!(zc, vec![5]);
}

#[test]
fn palfa_search_results_are_accepted() {
    let Some(p) = products() else { return };
    let root = p.dir.parent().unwrap();
    let res = root.join("search_results");
    let _ = std::fs::remove_dir_all(&res);
    palfa(root, &["search", "--outdir", "search_results", "beam.fil"]);
    let results: Value = serde_json::from_str(&std::fs::read_to_string(res.join("results.json")).unwrap()).unwrap();
    let cands = results["candidates"].as_array().unwrap();
    assert!(!cands.is_empty(), "{results}");
    // Every fold: PRESTO's show_pfd makes the very .bestprof palfa wrote.
    let d = root.join("search_show_pfd");
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    for c in cands {
        let pfd = c["pfd_file"].as_str().unwrap();
        std::fs::copy(res.join(pfd), d.join(pfd)).unwrap();
        p.presto.ok(&d, &format!("show_pfd -noxwin '{pfd}'"));
        let theirs = std::fs::read_to_string(d.join(format!("{pfd}.bestprof"))).unwrap();
        let ours = std::fs::read_to_string(res.join(c["bestprof_file"].as_str().unwrap())).unwrap();
        assert_eq!(theirs, ours, "{pfd}");
        let pf = Pfd::read(d.join(pfd)).unwrap();
        assert!(close(pf.topo.p1, c["period_s"].as_f64().unwrap(), 1e-12), "{pfd}");
    }
    // The .accelcands list: PRESTO's sifting classes, given its values,
    // write the same file (Candlist.to_file).
    let accelcands = results["diagnostics"]["accelcands_list"].as_str().unwrap();
    std::fs::copy(res.join(accelcands), d.join("palfa.accelcands")).unwrap();
    let v = p.presto.python_json(
        &d,
        r##"
import json, re
from presto import sifting
cands = []
for line in open("palfa.accelcands"):
    if line.startswith("#"):
        continue
    if line.startswith("  DM="):
        m = re.match(r"  DM=\s*(\S+) SNR=\s*(\S+) Sigma=\s*(\S+)", line)
        cands[-1].hits.append(tuple(float(x) for x in m.groups()))
        continue
    name, dm, snr, sigma, numharm, ipow, cpow, p_ms, r, z, numhits = line.split()
    filename, candnum = name.rsplit(":", 1)
    c = sifting.Candidate(int(candnum), float(sigma), int(numharm), float(ipow), float(cpow), float(r), float(z),
                          dm, filename, float(p_ms) / 1000 * float(r))
    c.p = float(p_ms) / 1000
    c.snr = float(snr)
    c.hits = []
    cands.append(c)
for c in cands:
    if len(c.hits) == 0:
        c.hits = [(c.DM, c.snr, c.sigma)]
sifting.Candlist(cands).to_file("presto.accelcands")
print(json.dumps(dict(n=len(cands))))
"##,
    );
    assert!(f(&v, "n") > 0.0);
    let theirs = std::fs::read_to_string(d.join("presto.accelcands")).unwrap();
    let ours = std::fs::read_to_string(d.join("palfa.accelcands")).unwrap();
    assert_eq!(
        theirs, ours,
        "PRESTO's sifting writes palfa's .accelcands list otherwise"
    );
}
