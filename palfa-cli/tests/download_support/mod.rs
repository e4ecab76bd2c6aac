//! Helpers of the downloader tests: archives started on loopback (`palfa
//! archive serve`, or pyftpdlib when installed), throwaway certificates,
//! the `[download]` section, and checks read from the tracker.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use palfa_tracker::clock::parse_time;
use palfa_tracker::states::{AttemptStatus, FileStatus};
use palfa_tracker::Tracker;

pub const USER: &str = "survey";
pub const PW: &str = "s3cret-Archive-PW";

/// A port free on loopback now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_listening(port: u16, child: &mut Child, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("{what} exited before listening on {port}: {st}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running archive; killed when dropped.
pub struct ArchiveProc {
    pub child: Child,
    pub http: u16,
    pub ftp: u16,
    pub tls: bool,
}

impl Drop for ArchiveProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Throwaway certificates: a CA, and a server certificate it signed for
/// `localhost` and `127.0.0.1`.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_certs(dir: &Path) -> Certs {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, "palfa test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let c = Certs {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    };
    std::fs::write(&c.ca, ca.pem()).unwrap();
    std::fs::write(&c.cert, cert.pem()).unwrap();
    std::fs::write(&c.key, key.serialize_pem()).unwrap();
    c
}

/// `palfa archive serve` over `data`, with user and password, FTPS if `certs`.
pub fn start_serve(data: &Path, certs: Option<&Certs>, log: &Path) -> ArchiveProc {
    start_serve_with(data, certs, log, 0.0)
}

/// The same, with `--restore-delay delay_s`.
pub fn start_serve_with(data: &Path, certs: Option<&Certs>, log: &Path, delay_s: f64) -> ArchiveProc {
    let (http, ftp) = (free_port(), free_port());
    let pasv = free_port();
    let mut c = Command::new(env!("CARGO_BIN_EXE_palfa"));
    c.args(["archive", "serve", "--data"])
        .arg(data)
        .args([
            "--http",
            &format!("127.0.0.1:{http}"),
            "--ftp",
            &format!("127.0.0.1:{ftp}"),
        ])
        .args(["--user", USER, "--password", PW])
        .args(["--restore-delay", &delay_s.to_string()])
        .args([
            "--passive-ports",
            &format!("{}-{}", pasv.saturating_sub(200).max(1024), pasv),
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    if let Some(k) = certs {
        c.arg("--tls-cert").arg(&k.cert).arg("--tls-key").arg(&k.key);
    }
    let mut child = c.spawn().unwrap();
    wait_listening(http, &mut child, "palfa archive serve (HTTP)");
    wait_listening(ftp, &mut child, "palfa archive serve (FTP)");
    ArchiveProc {
        child,
        http,
        ftp,
        tls: certs.is_some(),
    }
}

/// Whether pyftpdlib (and, for FTPS, PyOpenSSL) can be imported. Under
/// `CI=true` their absence fails the test; elsewhere the test is skipped.
pub fn have_pyftpdlib(tls: bool) -> bool {
    let module = if tls {
        "import pyftpdlib, OpenSSL"
    } else {
        "import pyftpdlib"
    };
    let ok = Command::new("python3")
        .args(["-c", module])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        palfa_testkit::skip(
            "a test against pyftpdlib",
            &format!("python3 cannot `{module}` (source .ci/services/ftp.sh, or pip install pyftpdlib pyopenssl)"),
        );
    }
    ok
}

/// The pyftpdlib archive (`tests/fixtures/pyftpdlib_archive.py`).
pub fn start_pyftpdlib(data: &Path, root: &Path, certs: Option<&Certs>, rate: u64, log: &Path) -> ArchiveProc {
    let (http, ftp) = (free_port(), free_port());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyftpdlib_archive.py");
    let mut c = Command::new("python3");
    c.arg(script)
        .arg("--data")
        .arg(data)
        .arg("--root")
        .arg(root)
        .args(["--http-port", &http.to_string(), "--ftp-port", &ftp.to_string()])
        .args(["--user", USER, "--password", PW, "--rate", &rate.to_string()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap());
    if let Some(k) = certs {
        c.arg("--cert").arg(&k.cert).arg("--key").arg(&k.key);
    }
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        "ready",
        "pyftpdlib archive: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    wait_listening(http, &mut child, "pyftpdlib archive (HTTP)");
    wait_listening(ftp, &mut child, "pyftpdlib archive (FTP)");
    ArchiveProc {
        child,
        http,
        ftp,
        tls: certs.is_some(),
    }
}

/// The `[download]` section for `archive` (passwords from the environment:
/// `PALFA_API_PASSWORD` / `PALFA_FTP_PASSWORD`).
pub fn download_section(a: &ArchiveProc, ca: Option<&Path>, extra: &str) -> String {
    format!(
        "\n[download]\napi_service_url = \"http://127.0.0.1:{}/PalfaDataService.asmx\"\napi_username = \"{USER}\"\n\
         ftp_host = \"127.0.0.1\"\nftp_port = {}\nftp_username = \"{USER}\"\nftp_tls = {}\nftp_ca_file = \"{}\"\n\
         network_timeout = 10.0\nmin_free_space = 0\n{extra}\n",
        a.http,
        a.ftp,
        a.tls,
        ca.map(|p| p.display().to_string()).unwrap_or_default()
    )
}

/// `n` beams of `size` bytes (distinct content) in `dir`.
pub fn make_data(dir: &Path, n: usize, size: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let data: Vec<u8> = (0..size)
            .map(|j| ((j as u64).wrapping_mul(2_654_435_761).wrapping_add(i as u64 * 7919) >> 7) as u8)
            .collect();
        std::fs::write(dir.join(format!("p2030.2026010{}.G45.b{i}.00100.fits", i % 10)), data).unwrap();
    }
}

/// Every file of `data` is downloaded exactly once into `temp` with the same
/// bytes; no `.part` is left; nothing else is tracked.
pub fn check_downloaded(t: &Tracker, data: &Path, temp: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(data)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_file()
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    let downloaded = t.files_with_status(FileStatus::Downloaded).unwrap();
    let mut got: Vec<String> = downloaded.iter().map(|f| f.name.clone()).collect();
    got.sort();
    assert_eq!(got, names, "downloaded files");
    for f in &downloaded {
        assert_eq!(
            std::fs::read(&f.filename).unwrap(),
            std::fs::read(data.join(&f.name)).unwrap(),
            "{} differs from the archive's",
            f.name
        );
        assert_eq!(f.size, Some(std::fs::metadata(&f.filename).unwrap().len()));
        let ok = t
            .attempts_of_file(f.id)
            .unwrap()
            .iter()
            .filter(|a| a.status == AttemptStatus::Downloaded)
            .count();
        assert_eq!(ok, 1, "{} downloaded {ok} times", f.name);
    }
    for e in std::fs::read_dir(temp).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.ends_with(".part"), "{n} left behind");
    }
}

/// The shortest and longest time a downloaded attempt spent receiving \[s\].
pub fn receive_times(t: &Tracker) -> (f64, f64) {
    let mut v = Vec::new();
    for a in t.attempts_with_status(AttemptStatus::Downloaded).unwrap() {
        let stamp = |needle: &str| {
            a.details
                .lines()
                .find(|l| l.contains(needle))
                .and_then(|l| parse_time(l.split(' ').next()?))
        };
        if let (Some(s), Some(e)) = (stamp("the server accepted RETR"), stamp("downloading -> unverified")) {
            v.push(e.duration_since(s).map_or(0.0, |d| d.as_secs_f64()));
        }
    }
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    (min, max)
}

/// The most transfers receiving data at once, from the tracker's
/// timestamps: each downloaded attempt is receiving from its `the server
/// accepted RETR` note to its `downloading -> unverified` line.
pub fn max_overlap(t: &Tracker) -> usize {
    let mut events: Vec<(std::time::SystemTime, i32)> = Vec::new();
    for a in t.attempts_with_status(AttemptStatus::Downloaded).unwrap() {
        let stamp = |needle: &str| {
            a.details
                .lines()
                .find(|l| l.contains(needle))
                .and_then(|l| parse_time(l.split(' ').next()?))
        };
        let (Some(s), Some(e)) = (stamp("the server accepted RETR"), stamp("downloading -> unverified")) else {
            panic!("attempt {} lacks its timestamps:\n{}", a.id, a.details);
        };
        events.push((s, 1));
        events.push((e, -1));
    }
    // Ends before starts at the same millisecond: touching is not overlapping.
    events.sort();
    let (mut now, mut best) = (0i32, 0i32);
    for (_, d) in events {
        now += d;
        best = best.max(now);
    }
    best as usize
}
