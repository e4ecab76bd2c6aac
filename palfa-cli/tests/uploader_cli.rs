//! `palfa resultsdb`, `palfa email test` and `palfa uploader` as an operator
//! runs them: the results database made once, a corrupt beam refused and
//! mailed through a real SMTP server (aiosmtpd over STARTTLS with a login,
//! `.ci/services/smtp.sh`), the other beams uploaded, and no password in any
//! line the programs print or log, even at trace level.

#[path = "../../palfa-tracker/tests/upload_support/beams.rs"]
mod beams;
#[path = "../../palfa-tracker/tests/upload_support/smtp.rs"]
mod smtp;
mod tracker_support;

use palfa_tracker::states::{JobStatus, SubmitStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const PASSWORD: &str = "Tr0ub4dor&3-smtp";

fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn uploader_refuses_a_corrupt_beam_mails_it_and_never_logs_the_password() {
    let Some(py) = smtp::python() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let certs = smtp::make_certs(tmp.path());
    let server = smtp::SmtpServer::start(&py, &tmp.path().join("smtp"), Some(&certs), Some(("palfa", PASSWORD)));
    let email = format!(
        "[email]\nenabled = true\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsmtp_security = \"starttls\"\n\
         smtp_ca_file = \"{}\"\nsmtp_username = \"palfa\"\nsender = \"palfa@survey.example\"\n\
         recipient = \"ops@survey.example\"\n",
        server.port,
        certs.ca.display()
    );
    let site = Site::new(WORKER, &format!("max_attempts = 2\n\n{email}"));
    make_beams(&site.path("rawdata"), 3, 0);
    site.ok(&["db", "create"]);
    site.ok(&["add-files", "rawdata"]);
    site.ok(&["jobpool", "--until-idle"]);
    let t = Tracker::open(site.db()).unwrap();
    let subs = t.submits_with_status(SubmitStatus::Processed).unwrap();
    for (i, s) in subs.iter().enumerate() {
        beams::write_results(&s.output_dir, &t.job(s.job_id).unwrap().beam, i as u64);
    }
    // One beam's fold file is cut short.
    let bad = &subs[1];
    let pfd = bad.output_dir.join("cands/cand3.pfd");
    let len = std::fs::metadata(&pfd).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&pfd)
        .unwrap()
        .set_len(len - 10)
        .unwrap();

    let run = |args: &[&str]| {
        let out = site
            .palfa(args)
            .env("PALFA_SMTP_PASSWORD", PASSWORD)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        let text = output_text(&out);
        assert!(
            !text.contains(PASSWORD),
            "the password is in the output of {args:?}:\n{text}"
        );
        (out, text)
    };

    // The results database: made once.
    let (out, text) = run(&["resultsdb", "create"]);
    assert!(
        out.status.success()
            && text.contains(&format!(
                "created (schema version {})",
                palfa_tracker::resultsdb::schema::SCHEMA_VERSION
            )),
        "{text}"
    );
    let (_, text) = run(&["resultsdb", "create"]);
    assert!(text.contains("is current; nothing done"), "{text}");
    let (_, text) = run(&["resultsdb", "version"]);
    assert!(text.contains("PALFA:") && text.contains(";palfa:"), "{text}");

    // A test message.
    let (out, text) = run(&["email", "test"]);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("accepted the test message"), "{text}");
    assert_eq!(server.messages().len(), 1);
    assert!(smtp::text(&server.messages()[0]).contains("Subject: [palfa] test message"));

    // The uploader: two beams in, the cut one refused and mailed.
    let (out, text) = run(&["uploader", "--until-idle"]);
    assert!(out.status.success(), "{text}");
    let good: Vec<_> = subs.iter().filter(|s| s.id != bad.id).collect();
    for s in &good {
        assert_eq!(t.job(s.job_id).unwrap().status, JobStatus::Uploaded);
    }
    let job = t.job(bad.job_id).unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.details.contains("cands/cand3.pfd has"), "{}", job.details);
    assert_eq!(t.submit(bad.id).unwrap().status, SubmitStatus::UploadFailed);
    let msgs = server.messages();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert_eq!(msgs[1]["tls"], true);
    assert_eq!(msgs[1]["authenticated"], true);
    let mail = smtp::text(&msgs[1]);
    for want in [
        format!("job {} ({}) failed, attempt 1 of 2", job.id, job.beam),
        format!("Beam:     {}", job.beam),
        "cands/cand3.pfd has".to_string(),
        t.job_files(job.id).unwrap()[0].filename.display().to_string(),
    ] {
        assert!(mail.contains(&want), "{want:?} not in\n{mail}");
    }
    assert!(!mail.contains(PASSWORD));

    // The best candidates of the survey: the two uploaded beams' 6.
    let (out, _) = run(&["resultsdb", "query", "--json"]);
    let best: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let best = best.as_array().unwrap();
    assert_eq!(best.len(), 6);
    assert!(best.iter().all(|c| c["beam"] != job.beam.as_str()));
    let (_, text) = run(&["resultsdb", "query", "--limit", "2"]);
    assert!(text.contains("period [ms]"), "{text}");

    // A wrong password: said plainly, exit status 1, neither password printed.
    let out = site
        .palfa(&["email", "test"])
        .env("PALFA_SMTP_PASSWORD", "Wr0ng-pa55")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("NOT sent"), "{text}");
    assert!(!text.contains("Wr0ng-pa55") && !text.contains(PASSWORD), "{text}");
}

#[test]
fn uploader_needs_the_schema_and_stops_cleanly_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let results = tmp.path().join("results.db");
    let site = Site::new(
        WORKER,
        &format!(
            "\n[commondb]\nbackend = \"sqlite\"\nsqlite_path = \"{}\"\n",
            results.display()
        ),
    );
    site.ok(&["db", "create"]);
    // No results schema yet: refused, with the way out.
    let out = site.palfa(&["uploader", "--until-idle"]).output().unwrap();
    let text = output_text(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("palfa resultsdb create"), "{text}");
    site.ok(&["resultsdb", "create"]);
    // Nothing to do: --until-idle ends at once; the daemon waits until SIGTERM.
    site.ok(&["uploader", "--until-idle"]);
    let mut child = site
        .palfa(&["uploader", "--sleep", "0.05"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it has started, then stop it.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("uploader starting") {
        line.clear();
        let n = std::io::BufRead::read_line(&mut err, &mut line).unwrap();
        assert!(n > 0, "the uploader ended before it started");
    }
    rustix_kill(child.id(), "TERM");
    let st = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(st.success(), "the uploader did not stop cleanly: {st}\n{rest}");
    assert!(rest.contains("uploader stopped by a signal"), "{rest}");
}

fn rustix_kill(pid: u32, sig: &str) {
    let st = std::process::Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success());
}
