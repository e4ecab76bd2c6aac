//! `palfa run` (the downloader, the job pooler and the uploader in one
//! process) and `palfa demo` (the whole survey on built-in defaults), run as
//! an operator runs them.

mod tracker_support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palfa_tracker::states::JobStatus;
use palfa_tracker::Tracker;
use tracker_support::*;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn jobs_with(db: &std::path::Path, status: JobStatus) -> usize {
    Tracker::open(db).unwrap().jobs_with_status(status).unwrap().len()
}

#[test]
fn palfa_run_searches_and_uploads_every_beam_then_stops_when_idle_logging_json() {
    let site = Site::new(WORKER, "");
    make_beams(&site.path("rawdata"), 3, 1);
    site.ok(&["db", "create"]);
    site.ok(&["resultsdb", "create"]);
    site.ok(&["add-files", "rawdata"]);
    let log = site.path("logs/run.json");
    let out = site
        .palfa(&["--log-format", "json", "--log-file"])
        .arg(&log)
        .args(["run", "--until-idle", "--sleep", "0.05"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_success(&out, &["run", "--until-idle"]);
    assert_eq!(jobs_with(&site.db(), JobStatus::Uploaded), 4);
    // Every line of the log is one JSON object with a level and a message.
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.len() > 3, "{text}");
    assert!(lines
        .iter()
        .all(|v| v["level"].is_string() && v["fields"]["message"].is_string()));
    assert!(
        lines
            .iter()
            .any(|v| v["fields"]["message"] == "nothing left to do; done"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "colour codes in a log file");
}

#[test]
fn one_signal_stops_the_three_daemons_of_palfa_run_and_a_second_run_finishes_the_survey() {
    // Jobs that take a while, so that the signal comes while they run.
    let slow = WORKER.replace("sleep 0.$(( $$ % 3 + 2 ))", "sleep 2");
    let tmp = tempfile::tempdir().unwrap();
    let archive_dir = tmp.path().join("archive");
    std::fs::create_dir_all(&archive_dir).unwrap();
    let (http, ftp, passive) = (free_port(), free_port(), free_port());
    let download = format!(
        "\n[download]\napi_service_url = \"http://127.0.0.1:{http}/PalfaDataService.asmx\"\nftp_host = \"127.0.0.1\"\n\
         ftp_port = {ftp}\nnetwork_timeout = 10.0\nmin_free_space = 0\n"
    );
    let site = Site::new(&slow, &download);
    // An archive with nothing to give: the downloader asks, and is told so.
    let mut server = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(["archive", "serve", "--data"])
        .arg(&archive_dir)
        .args([
            "--http",
            &format!("127.0.0.1:{http}"),
            "--ftp",
            &format!("127.0.0.1:{ftp}"),
        ])
        .args(["--passive-ports", &format!("{passive}-{}", passive + 5)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(Instant::now() < deadline, "archive serve did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    make_beams(&site.path("rawdata"), 3, 0);
    site.ok(&["db", "create"]);
    site.ok(&["resultsdb", "create"]);
    site.ok(&["add-files", "rawdata"]);
    let log = site.path("logs/run.log");
    let mut run = site
        .palfa(&["--log-file"])
        .arg(&log)
        .args(["run", "--sleep", "0.1"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a job to be running, then one SIGTERM.
    let deadline = Instant::now() + Duration::from_secs(30);
    while jobs_with(&site.db(), JobStatus::Submitted) == 0 {
        assert!(
            Instant::now() < deadline,
            "no job submitted: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let t0 = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = loop {
        if let Some(s) = run.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "palfa run did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(status.success(), "{status}: {text}");
    assert!(text.contains("stopped by a signal"), "{text}");
    assert!(
        text.contains("restore service refused the request"),
        "the downloader ran: {text}"
    );
    assert_eq!(
        jobs_with(&site.db(), JobStatus::Uploaded),
        0,
        "stopped before any upload"
    );

    // The survey goes on where it stopped.
    let out = site.palfa(&["run", "--until-idle", "--sleep", "0.1"]).output().unwrap();
    assert_success(&out, &["run", "--until-idle"]);
    assert_eq!(jobs_with(&site.db(), JobStatus::Uploaded), 3);
    let _ = server.kill();
    let _ = server.wait();
}

/// The README's main command: the whole survey on embedded defaults, every
/// injected signal found and read back from the results database.
#[test]
fn palfa_demo_runs_the_whole_survey_and_finds_every_injected_signal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("palfa-demo");
    let out = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .arg("demo")
        .arg(&dir)
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(!stdout.contains("NOT"), "{all}");
    // Three pulsars (one in a Mock pair, accelerated) and a single pulse.
    assert_eq!(stdout.matches("injected pulsar").count(), 3 * 2, "{all}");
    assert_eq!(stdout.matches(": found as").count(), 4, "{all}");
    // PSR B1910+10, injected at its catalogue position, period and DM, is
    // tagged from the built-in catalogue; every beam has its HTML report.
    assert!(stdout.contains("[known pulsar J1912+1036 1/1]"), "{all}");
    assert_eq!(stdout.matches("report.html").count(), 3, "{all}");
    assert!(
        stdout.contains("what the survey found, from the results database"),
        "{all}"
    );
    let t = Tracker::open(dir.join("jobtracker.db")).unwrap();
    assert_eq!(t.jobs_with_status(JobStatus::Uploaded).unwrap().len(), 3);
    // The beams came through the archive and the downloader.
    assert!(t.requests().unwrap().len() >= 2);
}
