//! `palfa downloader` stopped by SIGTERM (or SIGINT) during a transfer:
//! the transfer is abandoned cleanly (its `.part` removed, the attempt
//! recorded `interrupted`), the process exits 0, and the next run finishes
//! the file. The server is the hand-made stub of palfa-tracker's tests,
//! holding the first transfer half sent so that the signal surely comes
//! mid-file.

#[path = "../../palfa-tracker/tests/archive_stubs/mod.rs"]
mod archive_stubs;
mod download_support;
mod tracker_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use archive_stubs::{content, Answer, FtpStub, HttpStub, Send, StubFile};
use download_support::{PW, USER};
use palfa_tracker::download::part_path;
use palfa_tracker::states::{AttemptStatus, FileStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const GUID: &str = "5a5a5a5a-0000-1111-2222-333333333333";

fn stop_mid_transfer(signal: &str) {
    let data = content(3, 300_000);
    let ftp = FtpStub::start(
        GUID,
        vec![StubFile {
            name: "beam.fits".into(),
            data: data.clone(),
            send: Send::StallOnce,
        }],
        USER,
        PW,
    );
    let http = HttpStub::start(vec![Answer::Xml(GUID.into())], vec![Answer::Xml("done".into())]);
    let site = Site::new(WORKER, "");
    let mut toml = std::fs::read_to_string(site.config()).unwrap();
    toml.push_str(&format!(
        "\n[download]\napi_service_url = \"http://{}/Service.asmx\"\napi_username = \"{USER}\"\n\
         ftp_host = \"127.0.0.1\"\nftp_port = {}\nftp_username = \"{USER}\"\nmin_free_space = 0\n\
         files_per_restore = 1\nnumrestores = 1\nfile_size_estimate = 300000\nnetwork_timeout = 120\n",
        http.addr,
        ftp.addr.port()
    ));
    std::fs::write(site.config(), toml).unwrap();
    site.ok(&["db", "create"]);
    let run = |args: &[&str]| {
        let mut c = site.palfa(args);
        c.env("PALFA_API_PASSWORD", PW)
            .env("PALFA_FTP_PASSWORD", PW)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let child = run(&["downloader", "--sleep", "0.02"]).spawn().unwrap();
    let part = part_path(&site.path("rawdata").canonicalize().unwrap().join("beam.fits"));
    let start = Instant::now();
    while !std::fs::metadata(&part).is_ok_and(|m| m.len() == 150_000) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the transfer never got half way"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "downloader after {signal}: {}\n{log}", out.status);
    assert!(log.contains("downloader stopped by a signal"), "{log}");
    assert!(!log.contains(PW));
    assert!(!part.exists(), ".part left after {signal}");
    let t = Tracker::open(site.db()).unwrap();
    let f = &t.files_named("beam.fits").unwrap()[0];
    assert_eq!(f.status, FileStatus::Failed, "{}", f.details);
    let at = t.attempts_of_file(f.id).unwrap();
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].status, AttemptStatus::Interrupted, "{}", at[0].details);

    let out = run(&["downloader", "--until-idle", "--sleep", "0.02"])
        .output()
        .unwrap();
    assert_success(&out, &["downloader", "--until-idle"]);
    let f = t.file(f.id).unwrap();
    assert_eq!(f.status, FileStatus::Downloaded, "{}", f.details);
    assert_eq!(std::fs::read(&f.filename).unwrap(), data);
}

#[test]
fn sigterm_mid_transfer_abandons_it_cleanly() {
    stop_mid_transfer("-TERM");
}

#[test]
fn sigint_mid_transfer_abandons_it_cleanly() {
    stop_mid_transfer("-INT");
}
