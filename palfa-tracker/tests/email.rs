//! E-mail notifications received by a real SMTP server (aiosmtpd, started
//! here on 127.0.0.1; `.ci/services/smtp.sh` installs it): a failing job
//! under the real pooler, STARTTLS with a login, the send rules, and a
//! server that refuses or is not there (logged, never fatal).

mod common;
mod upload_support;

use palfa_core::config::Config;
use palfa_tracker::notify::SmtpNotifier;
use palfa_tracker::{ops, Failure, JobPool, Notifier, PoolSettings};

use common::{run_until_idle, Survey, BAD_WORKER};
use upload_support::smtp::{self, SmtpServer};

fn email_toml(port: u16, extra: &str) -> String {
    format!(
        "[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\n\
         sender = \"palfa@survey.example\"\nrecipient = \"ops@survey.example, second@survey.example\"\n{extra}"
    )
}

/// A configuration of `text` in `dir` (with the directories it needs).
fn load_config(dir: &std::path::Path, text: &str) -> Config {
    for d in ["logs", "qsublog", "rawdata", "results", "work"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let path = dir.join("palfa.toml");
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn failure(error: &str) -> Failure {
    Failure {
        job_id: 41,
        beam: "p2030.20260101.b3.00100".into(),
        attempts: 2,
        max_attempts: 3,
        queue_id: Some("slurm-777".into()),
        error: error.into(),
    }
}

#[test]
fn a_failing_job_is_mailed_with_its_beam_files_attempt_and_error_log() {
    let Some(py) = smtp::python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let server = SmtpServer::start(&py, &tmp.path().join("smtp"), None, None);
    let s = Survey::new(
        BAD_WORKER,
        &format!("max_attempts = 2\n{}", email_toml(server.port, "")),
    );
    common::make_beams(&s.rawdata(), 1, 0);
    ops::add_files(&s.tracker(), &s.rawdata(), false).unwrap();
    let mailer = SmtpNotifier::from_config(&s.cfg.email)
        .unwrap()
        .with_tracker(s.tracker());
    let queue = palfa_tracker::queue::from_config(&s.cfg).unwrap();
    let mut pool = JobPool::new(s.tracker(), queue, Box::new(mailer), PoolSettings::from_config(&s.cfg)).unwrap();
    run_until_idle(&mut pool, std::time::Duration::from_secs(60));
    let msgs = server.messages();
    let texts: Vec<String> = msgs.iter().map(smtp::text).collect();
    let failed: Vec<&String> = texts.iter().filter(|t| t.contains("failed, attempt")).collect();
    let terminal: Vec<&String> = texts.iter().filter(|t| t.contains("is a terminal failure")).collect();
    assert_eq!(failed.len(), 2, "{texts:#?}");
    assert_eq!(terminal.len(), 1, "{texts:#?}");
    let first = failed[0];
    let raw = s.rawdata().join("beam000.fil");
    for want in [
        "Subject: [palfa] job 1 (beam000.fil) failed, attempt 1 of 2",
        "Job:      1",
        "Beam:     beam000.fil",
        "Attempt:  1 of 2",
        "Queue id: ",
        &raw.display().to_string(),
        "boom: the search fell over",
        "From: palfa@survey.example",
        "To: ops@survey.example, second@survey.example",
    ] {
        assert!(first.contains(want), "{want:?} not in\n{first}");
    }
    assert!(terminal[0].contains("Attempt:  2 of 2"), "{}", terminal[0]);
    assert_eq!(msgs[0]["from"], "palfa@survey.example");
    assert_eq!(
        msgs[0]["to"],
        serde_json::json!(["ops@survey.example", "second@survey.example"])
    );
    assert_eq!(msgs[0]["tls"], false);
}

#[test]
fn starttls_with_a_login_and_the_send_rules() {
    let Some(py) = smtp::python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = smtp::make_certs(tmp.path());
    let pw = "s3cret-Pa55;word";
    let server = SmtpServer::start(&py, &tmp.path().join("smtp"), Some(&certs), Some(("palfa", pw)));
    let load = |extra: &str| load_config(tmp.path(), &email_toml(server.port, extra));
    let tls = format!(
        "smtp_security = \"starttls\"\nsmtp_ca_file = \"{}\"\nsmtp_username = \"palfa\"\nsmtp_password = \"{pw}\"\n",
        certs.ca.display()
    );
    // Only terminal failures.
    let cfg = load(&format!(
        "{tls}send_on_failures = false\nsend_on_terminal_failures = true\n"
    ));
    let mailer = SmtpNotifier::from_config(&cfg.email).unwrap();
    assert!(!format!("{mailer:?}").contains(pw));
    mailer.job_failed(&failure("not mailed"));
    assert!(server.messages().is_empty());
    let log: String = (1..=60).map(|i| format!("log line {i}\n")).collect();
    mailer.job_terminal_failure(&failure(&log));
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["tls"], true, "not sent over STARTTLS");
    assert_eq!(msgs[0]["authenticated"], true);
    let t = smtp::text(&msgs[0]);
    for want in [
        "job 41 (p2030.20260101.b3.00100) is a terminal failure",
        "slurm-777",
        "log line 60",
        "Attempt:  2 of 3",
    ] {
        assert!(t.contains(want), "{want:?} not in\n{t}");
    }
    assert!(!t.contains("log line 20\n"), "the whole log was sent:\n{t}");
    assert!(!t.contains(pw));
    // send_on_failures implies the terminal ones.
    let cfg = load(&format!(
        "{tls}send_on_failures = true\nsend_on_terminal_failures = false\n"
    ));
    let mailer = SmtpNotifier::from_config(&cfg.email).unwrap();
    mailer.job_failed(&failure("boom"));
    mailer.job_terminal_failure(&failure("boom"));
    mailer.notice("queue refuses jobs", "sbatch said no");
    assert_eq!(server.messages().len(), 4);
    // A wrong password: refused, said without the password, nothing stops.
    let cfg = load(&tls.replace(pw, "wrong-Pa55word"));
    let mailer = SmtpNotifier::from_config(&cfg.email).unwrap();
    let e = mailer.send("x", "y").unwrap_err().to_string();
    assert!(!e.contains("wrong-Pa55word") && !e.contains(pw), "{e}");
    mailer.job_failed(&failure("boom"));
    // Without the CA the server's certificate is not trusted.
    let cfg = load(&tls.replace(&format!("smtp_ca_file = \"{}\"\n", certs.ca.display()), ""));
    let e = SmtpNotifier::from_config(&cfg.email)
        .unwrap()
        .send("x", "y")
        .unwrap_err()
        .to_string();
    assert!(
        e.to_lowercase().contains("certificate") || e.to_lowercase().contains("tls"),
        "{e}"
    );
    assert_eq!(server.messages().len(), 4);
}

#[test]
fn tls_from_the_first_byte_smtps() {
    let Some(py) = smtp::python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = smtp::make_certs(tmp.path());
    let server = SmtpServer::start_mode(&py, &tmp.path().join("smtp"), Some(&certs), Some(("u", "p-w")), "tls");
    let extra = format!(
        "smtp_security = \"tls\"\nsmtp_ca_file = \"{}\"\nsmtp_username = \"u\"\nsmtp_password = \"p-w\"\n",
        certs.ca.display()
    );
    let cfg = load_config(tmp.path(), &email_toml(server.port, &extra));
    let mailer = SmtpNotifier::from_config(&cfg.email).unwrap();
    mailer.send("[palfa] over TLS", "hello").unwrap();
    let msgs = server.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["tls"], true);
    assert_eq!(msgs[0]["authenticated"], true);
    assert!(smtp::text(&msgs[0]).contains("Subject: [palfa] over TLS"));
}

#[test]
fn a_server_that_is_not_there_is_logged_and_never_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = load_config(tmp.path(), &email_toml(port, ""));
    let mailer = SmtpNotifier::from_config(&cfg.email).unwrap();
    let e = mailer.send("x", "y").unwrap_err().to_string();
    assert!(e.contains(&format!("127.0.0.1:{port}")), "{e}");
    mailer.job_failed(&failure("boom"));
    mailer.job_terminal_failure(&failure("boom"));
    mailer.notice("a", "b");
}
