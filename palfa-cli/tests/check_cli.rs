//! `palfa check` against real servers on loopback: every check passes on a
//! good set-up (`palfa archive serve`, an SQLite results database, the local
//! queue), and each broken part fails with exit status 1, its own reason and
//! within the deadline: wrong archive and FTP passwords, a closed port, a
//! server that accepts and never answers, an untrusted FTPS certificate, an
//! ODBC driver that is not installed, the queue's commands missing, a
//! tracker in a read-only directory, SMTP login refused (aiosmtpd), a wrong
//! results-database password (PostgreSQL). No password appears in any output.

mod download_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use download_support::*;
use palfa_tracker::resultsdb::{Kind, ResultsStore, SqliteStore};

#[path = "../../palfa-tracker/tests/upload_support/smtp.rs"]
mod smtp;

const WRONG_PW: &str = "Wr0ng-Passw0rd-xyz";
const SMTP_PW: &str = "Smtp-S3cret-pw";

/// A survey directory: its directories, `palfa.toml` (`extra` appended), a
/// job tracker and a results database.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(extra: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["logs", "qsublog", "rawdata", "work", "results"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let s = Site { dir };
        s.write_config(extra);
        let out = s.cmd(&["db", "create"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        let out = s.cmd(&["resultsdb", "create"]).output().unwrap();
        assert!(out.status.success(), "{out:?}");
        s
    }

    fn write_config(&self, extra: &str) {
        std::fs::write(self.config(), format!("[background]\nsleep = 0.02\n{extra}")).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn config(&self) -> PathBuf {
        self.path("palfa.toml")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_palfa"));
        c.arg("--config")
            .arg(self.config())
            .args(args)
            .current_dir(self.dir.path());
        c.env_remove("PALFA_CONFIG")
            .env("RUST_LOG", "debug")
            .env("PALFA_API_PASSWORD", PW)
            .env("PALFA_FTP_PASSWORD", PW);
        c
    }
}

/// What one `palfa check` run gave.
struct Run {
    rc: i32,
    stdout: String,
    stderr: String,
    secs: f64,
}

fn run(mut c: Command) -> Run {
    let t = Instant::now();
    let out = c.output().unwrap();
    let r = Run {
        rc: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: t.elapsed().as_secs_f64(),
    };
    for secret in [PW, WRONG_PW, SMTP_PW] {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "a password is in the output:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
    r
}

/// `palfa check --json NAMES…` with `env`, parsed; and the same as lines.
fn check(site: &Site, args: &[&str], env: &[(&str, &str)]) -> (Run, serde_json::Value, Run) {
    let mut c = site.cmd(&["check", "--json"]);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let j = run(c);
    let doc: serde_json::Value =
        serde_json::from_str(&j.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", j.stdout, j.stderr));
    let mut c = site.cmd(&["check"]);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let text = run(c);
    assert_eq!(text.rc, j.rc, "{}", text.stdout);
    (j, doc, text)
}

fn entry<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc:#}"))
}

fn status(doc: &serde_json::Value, name: &str) -> String {
    entry(doc, name)["outcome"]["status"].as_str().unwrap().to_string()
}

/// The check `name` failed, and its cause holds `words` (lower-case).
fn assert_fails(run: &Run, doc: &serde_json::Value, name: &str, words: &str) {
    assert_eq!(run.rc, 1, "{doc:#}\n{}", run.stderr);
    let e = entry(doc, name);
    assert_eq!(e["outcome"]["status"], "fail", "{e:#}");
    let cause = e["cause"].as_str().unwrap().to_lowercase();
    assert!(cause.contains(words), "{name}: {words:?} not in the cause {cause:?}");
    assert!(!e["fix"].as_str().unwrap().is_empty(), "{e:#}");
}

fn archive_with_test_dir(tmp: &Path) -> ArchiveProc {
    let data = tmp.join("data");
    make_data(&data, 2, 4096);
    let test = data.join(".restores/ftpTest");
    std::fs::create_dir_all(&test).unwrap();
    std::fs::write(test.join("probe.dat"), vec![7u8; 12_345]).unwrap();
    start_serve(&data, None, &tmp.join("archive.log"))
}

fn headers_and_versions(db: &Path) -> Vec<Vec<palfa_tracker::resultsdb::Value>> {
    let mut s = SqliteStore::open(db).unwrap();
    let mut rows = s.query("SELECT COUNT(*) FROM headers", &[], &[Kind::Int]).unwrap();
    rows.extend(
        s.query(
            "SELECT version, applied_at, palfa_version FROM schema_version ORDER BY version",
            &[],
            &[Kind::Int, Kind::Text, Kind::Text],
        )
        .unwrap(),
    );
    rows
}

#[test]
fn every_check_passes_on_a_good_setup() {
    let tmp = tempfile::tempdir().unwrap();
    let a = archive_with_test_dir(tmp.path());
    let site = Site::new(&download_section(&a, None, ""));
    let before = headers_and_versions(&site.path("results.db"));
    let (j, doc, text) = check(&site, &[], &[]);
    assert_eq!(j.rc, 0, "{doc:#}\n{}", j.stderr);
    assert_eq!(doc["passed"], true);
    for name in [
        "config",
        "install",
        "tracker",
        "disk",
        "resultsdb",
        "archive",
        "ftp",
        "queue",
    ] {
        assert_eq!(status(&doc, name), "pass", "{:#}", entry(&doc, name));
    }
    assert_eq!(status(&doc, "email"), "skipped");
    let ftp = entry(&doc, "ftp")["details"].to_string();
    assert!(ftp.contains("downloaded ftpTest/probe.dat"), "{ftp}");
    let archive = entry(&doc, "archive")["details"].to_string();
    // palfa archive serve has the archive's test methods: nothing is restored.
    assert!(
        archive.contains("answered RestoreTest with GUID") && archive.contains("LocationTest with \\\"done\\\""),
        "{archive}"
    );
    assert!(text.stdout.contains("all checks that ran passed"), "{}", text.stdout);
    for name in ["config", "tracker", "resultsdb", "archive", "ftp", "queue"] {
        assert!(
            text.stdout.lines().any(|l| l.starts_with(name) && l.contains("PASS")),
            "{}",
            text.stdout
        );
    }
    // The insert of the resultsdb check was rolled back: the same rows.
    assert_eq!(before, headers_and_versions(&site.path("results.db")));
    // No copy of the FTP test file is left behind.
    let left: Vec<_> = std::fs::read_dir(site.path("rawdata")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn wrong_passwords_are_reported_as_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = archive_with_test_dir(tmp.path());
    let site = Site::new(&download_section(&a, None, ""));
    let (r, doc, _) = check(&site, &["archive"], &[("PALFA_API_PASSWORD", WRONG_PW)]);
    assert_fails(&r, &doc, "archive", "refused the credentials");
    assert!(entry(&doc, "archive")["fix"]
        .as_str()
        .unwrap()
        .contains("download.api_password"));
    let (r, doc, _) = check(&site, &["ftp"], &[("PALFA_FTP_PASSWORD", WRONG_PW)]);
    assert_fails(&r, &doc, "ftp", "refused the login");
    assert!(entry(&doc, "ftp")["fix"]
        .as_str()
        .unwrap()
        .contains("download.ftp_password"));
}

#[test]
fn a_closed_port_and_a_silent_server_fail_within_the_deadline() {
    let closed = free_port();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let sp = silent.local_addr().unwrap().port();
    // Accept connections and never say a word.
    let keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().take(16) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let section = |http: u16, ftp: u16| {
        format!(
            "\n[download]\napi_service_url = \"http://127.0.0.1:{http}/PalfaDataService.asmx\"\napi_username = \"u\"\n\
             ftp_host = \"127.0.0.1\"\nftp_port = {ftp}\nftp_username = \"u\"\nnetwork_timeout = 60.0\n"
        )
    };
    let site = Site::new(&section(closed, closed));
    let (r, doc, _) = check(&site, &["--timeout", "5", "archive", "ftp"], &[]);
    assert_fails(&r, &doc, "archive", "connection refused");
    assert_fails(&r, &doc, "ftp", "connection refused");
    assert!(r.secs < 10.0, "{}", r.secs);

    site.write_config(&section(sp, sp));
    for name in ["archive", "ftp"] {
        let (r, doc, text) = check(&site, &["--timeout", "3", name], &[]);
        assert_fails(&r, &doc, name, "did not answer");
        assert!(r.secs < 6.0 && text.secs < 6.0, "{name}: {} s", r.secs);
    }
    drop(keep);
}

#[test]
fn an_untrusted_ftps_certificate_says_how_to_trust_it() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = make_certs(tmp.path());
    let data = tmp.path().join("data");
    make_data(&data, 1, 1024);
    let a = start_serve(&data, Some(&certs), &tmp.path().join("archive.log"));
    // No ftp_ca_file: the throwaway CA is not trusted.
    let site = Site::new(&download_section(&a, None, ""));
    let (r, doc, _) = check(&site, &["ftp"], &[]);
    assert_fails(&r, &doc, "ftp", "certificate");
    assert!(entry(&doc, "ftp")["fix"]
        .as_str()
        .unwrap()
        .contains("download.ftp_ca_file"));
    // With it, the check passes over TLS.
    site.write_config(&download_section(&a, Some(&certs.ca), ""));
    let (r, doc, _) = check(&site, &["ftp"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}");
    assert!(entry(&doc, "ftp")["details"].to_string().contains("over TLS"));
}

#[test]
fn a_missing_odbc_driver_and_missing_queue_commands_fail() {
    let site = Site::new("");
    site.write_config(
        "[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"Driver={palfa No Such Driver};Server=127.0.0.1\"\n\
         username = \"u\"\npassword = \"Wr0ng-Passw0rd-xyz\"\n",
    );
    let (r, doc, _) = check(&site, &["resultsdb"], &[]);
    assert_fails(&r, &doc, "resultsdb", "odbc driver");
    assert!(r.secs < 15.0);

    site.write_config("[jobpooler]\nqueue_manager = \"slurm\"\n");
    let (r, doc, text) = check(&site, &["queue"], &[("PATH", "/nonexistent")]);
    assert_fails(&r, &doc, "queue", "not found in path");
    assert!(text.stdout.contains("sbatch"), "{}", text.stdout);
}

#[test]
fn an_invalid_configuration_exits_2() {
    let site = Site::new("");
    site.write_config("[jobpooler]\nmax_jobs_running = -3\n");
    let r = run(site.cmd(&["check"]));
    assert_eq!(r.rc, 2, "{}\n{}", r.stdout, r.stderr);
    let r = run(site.cmd(&["check", "--json"]));
    assert_eq!(r.rc, 2);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["config_valid"], false);
}

#[test]
fn a_tracker_in_a_read_only_directory_fails() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new("");
    let dir = site.path("ro");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::rename(site.path("jobtracker.db"), dir.join("jobtracker.db")).unwrap();
    site.write_config(&format!(
        "jobtracker_db = \"{}\"\n",
        dir.join("jobtracker.db").display()
    ));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let Some(c) = unprivileged(&site, &["check", "--json", "tracker"]) else {
        return;
    };
    let r = run(c);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}", r = r.stderr));
    assert_fails(&r, &doc, "tracker", "not writable");
}

#[test]
fn smtp_login_refused_and_the_test_message() {
    let Some(py) = smtp::python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = smtp::make_certs(tmp.path());
    let server = smtp::SmtpServer::start(&py, &tmp.path().join("smtp"), Some(&certs), Some(("palfa", SMTP_PW)));
    let email = |pw: &str| {
        format!(
            "\n[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsmtp_security = \"starttls\"\n\
             smtp_ca_file = \"{}\"\nsmtp_username = \"palfa\"\nsmtp_password = \"{pw}\"\nsender = \"palfa@example.org\"\n\
             recipient = \"ops@example.org\"\n",
            server.port,
            certs.ca.display()
        )
    };
    let site = Site::new(&email(WRONG_PW));
    let (r, doc, _) = check(&site, &["email"], &[]);
    assert_fails(&r, &doc, "email", "refused the login");
    site.write_config(&email(SMTP_PW));
    let (r, doc, _) = check(&site, &["email"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}");
    assert!(server.messages().is_empty(), "the check sent mail without --send-email");
    let r = run({
        let mut c = site.cmd(&["check", "email", "--send-email"]);
        c.env_remove("RUST_LOG");
        c
    });
    assert_eq!(r.rc, 0, "{}", r.stdout);
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn a_wrong_results_db_password_fails() {
    if !palfa_testkit::service("PALFA_TEST_PG", "PostgreSQL through unixODBC", "postgres.sh") {
        return;
    }
    let conn = std::env::var("PALFA_TEST_ODBC").expect("PALFA_TEST_ODBC");
    let user = std::env::var("PALFA_TEST_ODBC_USER").unwrap_or_default();
    let site = Site::new("");
    site.write_config(&format!(
        "[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"{}\"\nusername = \"{user}\"\n",
        conn.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    let (r, doc, _) = check(&site, &["resultsdb"], &[("PALFA_COMMONDB_PASSWORD", WRONG_PW)]);
    assert_fails(&r, &doc, "resultsdb", "refused the login");
}

#[test]
fn a_check_that_blocks_is_cut_at_its_deadline() {
    // Another process holds the tracker's write lock: the check's write
    // waits on SQLite's 30 s busy timeout, and the runner's deadline cuts it.
    let site = Site::new("");
    let db = site.path("jobtracker.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let t = palfa_tracker::Tracker::open(&db).unwrap();
        t.transaction(|_| {
            let _ = locked_tx.send(());
            std::thread::sleep(Duration::from_secs(6));
            Ok(())
        })
        .unwrap();
    });
    locked_rx.recv().unwrap();
    let t = Instant::now();
    let r = run({
        let mut c = site.cmd(&["check", "--json", "--timeout", "2", "tracker"]);
        c.env("RUST_LOG", "warn");
        c
    });
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_fails(&r, &doc, "tracker", "no answer within the deadline of 2 s");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    holder.join().unwrap();
}

#[test]
fn archive_and_ftp_pass_against_pyftpdlib_a_server_palfa_did_not_write() {
    for tls in [false, true] {
        if !have_pyftpdlib(tls) {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let certs = tls.then(|| make_certs(tmp.path()));
        let data = tmp.path().join("data");
        let root = tmp.path().join("root");
        make_data(&data, 1, 1024);
        std::fs::create_dir_all(root.join("ftpTest")).unwrap();
        std::fs::write(root.join("ftpTest/probe.dat"), vec![3u8; 5_000]).unwrap();
        let a = start_pyftpdlib(&data, &root, certs.as_ref(), 0, &tmp.path().join("ftpd.log"));
        let site = Site::new(&download_section(&a, certs.as_ref().map(|c| c.ca.as_path()), ""));
        let (r, doc, _) = check(&site, &["archive", "ftp"], &[]);
        assert_eq!(r.rc, 0, "tls {tls}: {doc:#}");
        let ftp = entry(&doc, "ftp")["details"].to_string();
        assert!(ftp.contains("downloaded ftpTest/probe.dat"), "{ftp}");
        assert_eq!(tls, ftp.contains("over TLS"), "{ftp}");
        // This service has no RestoreTest: the check falls back to Location and says so.
        let archive = entry(&doc, "archive")["details"].to_string();
        assert!(
            archive.contains("Location for an unknown GUID") && archive.contains("no RestoreTest"),
            "{archive}"
        );
        let (r, doc, _) = check(&site, &["ftp"], &[("PALFA_FTP_PASSWORD", WRONG_PW)]);
        assert_fails(&r, &doc, "ftp", "refused the login");
        let (r, doc, _) = check(&site, &["archive"], &[("PALFA_API_PASSWORD", WRONG_PW)]);
        assert_fails(&r, &doc, "archive", "refused the credentials");
    }
}

#[test]
fn the_queue_check_asks_a_real_slurm() {
    if !palfa_testkit::service("PALFA_TEST_SLURM", "a Slurm cluster", "slurm.sh") {
        return;
    }
    let site = Site::new("\n[jobpooler]\nqueue_manager = \"slurm\"\n");
    let (r, doc, text) = check(&site, &["queue"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}");
    assert!(text.stdout.contains("squeue answered"), "{}", text.stdout);
}

/// A command that runs `palfa --config CONFIG ARGS…` as the unprivileged user
/// nobody when this test runs as root (root writes anywhere, so a read-only
/// directory can only be shown to a user who is not root); `None` (skipped)
/// when that is needed and `setpriv` is missing.
fn unprivileged(site: &Site, args: &[&str]) -> Option<Command> {
    use std::os::unix::fs::PermissionsExt;
    let id = Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&id.stdout).trim() != "0" {
        return Some(site.cmd(args));
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        palfa_testkit::skip("a read-only directory test as root", "setpriv is not installed");
        return None;
    }
    std::fs::set_permissions(site.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut s = Command::new("setpriv");
    s.args([
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        env!("CARGO_BIN_EXE_palfa"),
    ])
    .arg("--config")
    .arg(site.config())
    .args(args)
    .current_dir(site.dir.path())
    .env_remove("PALFA_CONFIG");
    Some(s)
}

/// Makes every file and directory under `dir` writable by everyone (for a
/// check run as nobody).
fn open_to_all(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            open_to_all(&p);
        } else {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        }
    }
}

/// The worker check passed through `queue`, and its details hold the
/// worker side's answers.
fn assert_worker_side_reported(doc: &serde_json::Value, queue: &str) {
    assert_eq!(status(doc, "worker"), "pass", "{doc:#}");
    let details = entry(doc, "worker")["details"].to_string();
    let submitted = format!("submitted to the {queue} queue");
    for words in [
        submitted.as_str(),
        "check --worker-side",
        "config: ",
        "working directory: processing.base_working_directory",
        "results directory: jobpooler.base_results_directory",
        "a beam needs up to",
        "zaplists: ",
        "raw data: download.temp",
    ] {
        assert!(details.contains(words), "{words:?} not in {details}");
    }
}

#[test]
fn the_worker_check_runs_a_job_through_the_local_queue() {
    let site = Site::new("");
    // Without --worker the check is skipped, and says how to run it.
    let (r, doc, _) = check(&site, &["config"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}");
    assert!(doc["checks"].as_array().unwrap().iter().all(|c| c["name"] != "worker"));
    let (r, doc, _) = check(&site, &[], &[]);
    assert_eq!(status(&doc, "worker"), "skipped", "{doc:#}\n{}", r.stderr);
    let (r, doc, text) = check(&site, &["--worker", "queue"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}\n{}", r.stderr);
    assert_worker_side_reported(&doc, "local");
    assert!(
        text.stdout
            .lines()
            .any(|l| l.starts_with("worker") && l.contains("PASS")),
        "{}",
        text.stdout
    );
    // The job's report directory is removed once read.
    let left: Vec<_> = std::fs::read_dir(site.path("qsublog/check")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_worker_whose_scratch_directory_is_not_writable_fails() {
    use std::os::unix::fs::PermissionsExt;
    let site = Site::new("");
    let scratch = site.path("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    site.write_config(&format!("\n[searching]\nbase_tmp_dir = \"{}\"\n", scratch.display()));
    open_to_all(site.dir.path());
    std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o555)).unwrap();
    let Some(mut c) = unprivileged(&site, &["check", "--json", "worker"]) else {
        return;
    };
    c.env("RUST_LOG", "debug");
    let r = run(c);
    std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o755)).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    assert_fails(
        &r,
        &doc,
        "worker",
        "searching.base_tmp_dir is not writable on this worker",
    );
    let fix = entry(&doc, "worker")["fix"].as_str().unwrap().to_string();
    assert!(fix.contains(&scratch.display().to_string()), "{fix}");
    assert!(r.secs < 15.0, "{} s", r.secs);
}

#[test]
fn a_worker_check_that_finds_no_palfa_on_the_worker_fails() {
    // The worker command names a palfa that the worker does not have.
    let site = Site::new("\n[jobpooler]\nworker_command = \"/nonexistent/bin/palfa search\"\n");
    let (r, doc, _) = check(&site, &["worker"], &[]);
    assert_fails(&r, &doc, "worker", "ended without a report");
}

#[test]
fn the_worker_check_runs_through_a_real_slurm() {
    if !palfa_testkit::service("PALFA_TEST_SLURM", "a Slurm cluster", "slurm.sh") {
        return;
    }
    let site = Site::new(
        "\n[jobpooler]\nqueue_manager = \"slurm\"\n\n[jobpooler.slurm]\ntime = \"10\"\nmem = \"\"\ncpus_per_task = 1\n",
    );
    let (r, doc, _) = check(&site, &["--timeout", "60", "queue", "worker"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}\n{}", r.stderr);
    assert_worker_side_reported(&doc, "slurm");
}

#[test]
fn the_resultsdb_check_on_postgresql_leaves_the_same_rows() {
    if !palfa_testkit::service("PALFA_TEST_PG", "PostgreSQL through unixODBC", "postgres.sh") {
        return;
    }
    use palfa_tracker::resultsdb::{schema::TABLES, OdbcStore};
    let conn = std::env::var("PALFA_TEST_ODBC").expect("PALFA_TEST_ODBC");
    let user = std::env::var("PALFA_TEST_ODBC_USER").unwrap_or_default();
    let pw = std::env::var("PALFA_TEST_ODBC_PASSWORD").unwrap_or_default();
    let name = "palfa_check_rows";
    let mut admin = OdbcStore::connect(&conn, &user, &pw).unwrap();
    admin
        .execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), &[])
        .unwrap();
    admin.execute(&format!("CREATE DATABASE {name}"), &[]).unwrap();
    let conn = palfa_testkit::odbc_database(&conn, name);
    let site = Site::new("");
    site.write_config(&format!(
        "[commondb]\nbackend = \"odbc\"\nodbc_connection_string = \"{}\"\nusername = \"{user}\"\n",
        conn.replace('\\', "\\\\").replace('"', "\\\"")
    ));
    let out = site
        .cmd(&["resultsdb", "create"])
        .env("PALFA_COMMONDB_PASSWORD", &pw)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let rows = || {
        let mut s = OdbcStore::connect(&conn, &user, &pw).unwrap();
        let mut v = Vec::new();
        for t in TABLES {
            v.extend(
                s.query(&format!("SELECT COUNT(*) FROM {t}"), &[], &[Kind::Int])
                    .unwrap(),
            );
        }
        v.extend(
            s.query(
                "SELECT version, applied_at, palfa_version FROM schema_version ORDER BY version",
                &[],
                &[Kind::Int, Kind::Text, Kind::Text],
            )
            .unwrap(),
        );
        v
    };
    let before = rows();
    let (r, doc, _) = check(&site, &["resultsdb"], &[("PALFA_COMMONDB_PASSWORD", &pw)]);
    assert_eq!(r.rc, 0, "{doc:#}\n{}", r.stderr);
    let details = entry(&doc, "resultsdb")["details"].to_string();
    assert!(details.to_lowercase().contains("postgresql"), "{details}");
    assert!(!r.stdout.contains(&pw) && !r.stderr.contains(&pw));
    assert_eq!(before, rows());
}

#[test]
fn a_real_restore_is_waited_for_and_its_files_listed() {
    let tmp = tempfile::tempdir().unwrap();
    // Beams for the two runs of `check` (JSON, then lines): 2 beams each.
    let data = tmp.path().join("data");
    make_data(&data, 6, 4096);
    let a = start_serve_with(&data, None, &tmp.path().join("archive.log"), 1.5);
    let site = Site::new(&download_section(&a, None, ""));
    let (r, doc, text) = check(&site, &["archive", "--restore", "2"], &[]);
    assert_eq!(r.rc, 0, "{doc:#}\n{}", r.stderr);
    let details = entry(&doc, "archive")["details"].to_string();
    assert!(details.contains("restored 2 beam(s) as"), "{details}");
    assert!(
        details.contains("listed on the FTP server (not downloaded)"),
        "{details}"
    );
    assert!(text.stdout.contains("restored 2 beam(s)"), "{}", text.stdout);
    // It waited for the archive's restore delay.
    assert!(entry(&doc, "archive")["duration_s"].as_f64().unwrap() >= 1.4, "{doc:#}");
    // A restore slower than the deadline fails, and says so, in time.
    let (r, doc, _) = check(&site, &["archive", "--restore", "1", "--timeout", "1"], &[]);
    assert_fails(&r, &doc, "archive", "was not ready after");
    assert!(r.secs < 5.0, "{} s", r.secs);
    // Nothing was downloaded.
    let left: Vec<_> = std::fs::read_dir(site.path("rawdata")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
