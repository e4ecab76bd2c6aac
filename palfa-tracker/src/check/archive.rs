//! `archive`: the data archive's restore service answers, and takes the
//! configured credentials.
//!
//! As the original's set-up test does, the check asks `RestoreTest` for one
//! beam of the configured bit depth and file type, then `LocationTest` for
//! the GUID it got: the archive's test methods, which restore nothing
//! (`palfa archive serve` answers them too). A service without them is
//! checked with `Location` for a GUID that cannot exist, and the check says
//! so: a service that answers it (`unknown`, or anything but `fail`) is up
//! and took the credentials. `fail` means refused credentials (or request).
//!
//! `--restore N` then makes a real restore of N beams, waits (within the
//! check's deadline) until `Location` says it is done, and lists its files
//! on the FTP server.

use std::time::{Duration, Instant};

use palfa_core::config::Config;

use super::{CheckOptions, Verdict};
use crate::archive::{ArchiveError, FtpClient, FtpSettings, RestoreClient, RestoreState};

/// A GUID no archive hands out.
const PROBE_GUID: &str = "palfa-check-0000";

pub(crate) fn check(cfg: &Config, opts: &CheckOptions) -> Verdict {
    let d = &cfg.download;
    if d.api_service_url.trim().is_empty() {
        return Verdict::fail(
            "download.api_service_url is not set: there is no restore service to ask",
            "set download.api_service_url (and download.api_username, download.api_password)",
        );
    }
    // Within the check's own deadline, so that a silent server is reported by the client.
    let timeout = Duration::from_secs_f64(d.network_timeout_s).min(opts.timeout.mul_f64(0.8));
    let client = RestoreClient::from_config(cfg, timeout);
    let refused = |method: &str| {
        Verdict::fail(
            format!(
                "the restore service at {} refused the credentials or the request (it answered `fail` to \
                 {method} as {})",
                d.api_service_url, d.api_username
            ),
            "set download.api_username and download.api_password (or PALFA_API_PASSWORD), and check \
             download.request_numbits and download.request_datatype",
        )
    };
    let verdict = match client.restore_test(1, d.request_numbits, &d.request_datatype) {
        Ok(guid) => match client.location_test(&guid) {
            Ok(state) => Verdict::Pass(vec![
                format!(
                    "{} answered RestoreTest with GUID {guid} and LocationTest with {:?}",
                    d.api_service_url,
                    state_text(state)
                ),
                "no restore was asked for".into(),
            ]),
            Err(ArchiveError::Refused { .. }) => refused("LocationTest"),
            Err(e) => unreachable_service(e, d, timeout),
        },
        Err(ArchiveError::Refused { .. }) => refused("RestoreTest"),
        // A service without the test methods: ask Location instead.
        Err(ArchiveError::Status { .. } | ArchiveError::NotXml { .. }) => match client.location(PROBE_GUID) {
            Ok(RestoreState::NotYet(answer)) if answer.eq_ignore_ascii_case("fail") => refused("Location"),
            Ok(state) => Verdict::Pass(vec![
                format!(
                    "{} answered and took the credentials (checked with Location for an unknown GUID, answer \
                     {:?}: the service has no RestoreTest/LocationTest)",
                    d.api_service_url,
                    state_text(state)
                ),
                "no restore was asked for".into(),
            ]),
            Err(e) => unreachable_service(e, d, timeout),
        },
        Err(e) => unreachable_service(e, d, timeout),
    };
    match verdict {
        Verdict::Pass(details) if opts.restore > 0 => real_restore(cfg, opts, &client, timeout, details),
        v => v,
    }
}

/// `--restore N`: a real `Restore` of N beams, `Location` asked until it
/// says `done` (within the check's deadline), then the restore's directory
/// listed on the FTP server. Nothing is downloaded, and the tracker does not
/// know the restore: the archive cleans it up as it does any other.
fn real_restore(
    cfg: &Config,
    opts: &CheckOptions,
    client: &RestoreClient,
    timeout: Duration,
    mut details: Vec<String>,
) -> Verdict {
    let d = &cfg.download;
    let start = Instant::now();
    let deadline = start + opts.timeout.mul_f64(0.85);
    details.retain(|l| l != "no restore was asked for");
    let n = opts.restore;
    let guid = match client.restore(n, d.request_numbits, &d.request_datatype) {
        Ok(g) => g,
        Err(ArchiveError::Refused { answer }) => {
            return Verdict::fail_with(
                format!(
                    "the restore service refused a real restore of {n} beam(s) of {} bits, {} (answer {answer:?}), \
                     though it answered the test",
                    d.request_numbits, d.request_datatype
                ),
                "check download.request_numbits and download.request_datatype, and that the account may restore",
                details,
            )
        }
        Err(e) => return with_details(unreachable_service(e, d, timeout), details),
    };
    details.push(format!("Restore of {n} beam(s) asked: GUID {guid}"));
    let mut wait = Duration::from_millis(200);
    loop {
        match client.location(&guid) {
            Ok(RestoreState::Done) => break,
            Ok(RestoreState::NotYet(a)) if a.eq_ignore_ascii_case("fail") => {
                return Verdict::fail_with(
                    format!("the restore service answered `fail` to Location for its own GUID {guid}"),
                    "ask the archive's operators about the restore; check download.api_username",
                    details,
                )
            }
            Ok(RestoreState::NotYet(_)) => {}
            Err(e) => return with_details(unreachable_service(e, d, timeout), details),
        }
        if Instant::now() + wait >= deadline {
            return Verdict::fail_with(
                format!(
                    "restore {guid} was not ready after {:.0} s (the archive may need longer: tapes are slow)",
                    start.elapsed().as_secs_f64()
                ),
                "run palfa check archive --restore N again with a longer --timeout",
                details,
            );
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(10));
    }
    details.push(format!(
        "Location said done after {:.1} s",
        start.elapsed().as_secs_f64()
    ));
    let ftp_timeout = Duration::from_secs_f64(d.network_timeout_s).min(
        deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(1)),
    );
    let listing = FtpClient::new(FtpSettings::from_config(d, ftp_timeout)).and_then(|c| c.list(&guid));
    match listing {
        Ok(l) if l.files.is_empty() => Verdict::fail_with(
            format!("restore {guid} is done, but its directory on the FTP server lists no file"),
            "palfa check ftp says more; ask the archive's operators about the restore",
            details,
        ),
        Ok(l) => {
            let bytes: u64 = l.files.iter().map(|f| f.size).sum();
            details.insert(
                0,
                format!(
                    "{} restored {n} beam(s) as {guid}: {} file(s), {} listed on the FTP server (not downloaded)",
                    d.api_service_url,
                    l.files.len(),
                    crate::download::bytes(bytes)
                ),
            );
            Verdict::Pass(details)
        }
        Err(e) => Verdict::fail_with(
            format!("restore {guid} is done, but its directory cannot be listed: {e}"),
            "palfa check ftp says more",
            details,
        ),
    }
}

fn with_details(v: Verdict, extra: Vec<String>) -> Verdict {
    match v {
        Verdict::Fail {
            cause,
            fix,
            mut details,
        } => {
            details.extend(extra);
            Verdict::Fail { cause, fix, details }
        }
        v => v,
    }
}

fn state_text(state: RestoreState) -> String {
    match state {
        RestoreState::Done => "done".to_string(),
        RestoreState::NotYet(a) => a,
    }
}

/// The verdict on an error that is not an answer of the service.
fn unreachable_service(e: ArchiveError, d: &palfa_core::config::Download, timeout: Duration) -> Verdict {
    match e {
        ArchiveError::Status { status, .. } => Verdict::fail(
            format!(
                "the restore service answered HTTP status {status}: {} is not the service's address",
                d.api_service_url
            ),
            "set download.api_service_url to the service's .asmx address",
        ),
        e @ ArchiveError::NotXml { .. } => Verdict::fail(
            format!("{e}: {} is not a PALFA restore service", d.api_service_url),
            "set download.api_service_url to the service's .asmx address",
        ),
        e => {
            let msg = e.to_string();
            let low = msg.to_lowercase();
            let cause = if low.contains("timed out") || low.contains("timeout") {
                format!(
                    "the restore service did not answer within {:.0} s: {msg}",
                    timeout.as_secs_f64()
                )
            } else if low.contains("refused") {
                format!("nothing listens at {} (connection refused): {msg}", d.api_service_url)
            } else {
                format!("the restore service cannot be reached: {msg}")
            };
            Verdict::fail(
                cause,
                "check download.api_service_url, that the service runs, and that a firewall lets this machine in",
            )
        }
    }
}
