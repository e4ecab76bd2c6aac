//! The set-up checks' library ([`palfa_tracker::check`]) without the CLI:
//! a silent server is cut at the deadline by the client or the runner, an
//! unknown name fails, a check whose service is not configured is skipped,
//! and no secret reaches the report.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use palfa_core::config::{Config, Secret};
use palfa_tracker::check::{run_checks, CheckOptions, Outcome};

const SECRET: &str = "lib-Check-S3cret";

#[test]
fn a_silent_archive_fails_within_the_deadline_and_no_secret_is_reported() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(8).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    let mut cfg = Config::builtin();
    cfg.download.api_service_url = format!("http://127.0.0.1:{port}/PalfaDataService.asmx?pw={SECRET}");
    cfg.download.api_password = Secret::new(SECRET);
    cfg.download.ftp_host = "127.0.0.1".into();
    cfg.download.ftp_port = port;
    cfg.download.ftp_password = Secret::new(SECRET);
    cfg.download.network_timeout_s = 600.0;
    let opts = CheckOptions {
        names: vec!["archive".into(), "ftp".into(), "nonsense".into()],
        timeout: Duration::from_secs(2),
        ..CheckOptions::default()
    };
    let t = Instant::now();
    let report = run_checks(&cfg, &opts);
    assert!(t.elapsed() < Duration::from_secs(8), "{:?}", t.elapsed());
    assert!(!report.passed);
    for c in &report.checks {
        assert_eq!(c.outcome, Outcome::Fail, "{c:?}");
        assert!(c.duration_s < 3.0, "{c:?}");
    }
    assert!(report.checks[2].cause.as_deref().unwrap().contains("no check named"));
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains(SECRET), "{json}");
    assert!(json.contains("\"status\":\"fail\""), "{json}");
}

#[test]
fn unconfigured_services_are_skipped_with_the_reason() {
    let cfg = Config::builtin();
    let report = run_checks(&cfg, &CheckOptions::default());
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Skipped(why) => Some((c.name.as_str(), why.clone())),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = skipped.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["archive", "ftp", "email", "worker"], "{skipped:?}");
    assert!(skipped[0].1.contains("download.api_service_url"));
    assert!(skipped[2].1.contains("email.enabled"));
    assert!(skipped[3].1.contains("--worker"));
}
