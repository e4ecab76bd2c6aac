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

use std::time::Duration;

use palfa_core::config::Config;

use super::{CheckOptions, Verdict};
use crate::archive::{ArchiveError, RestoreClient, RestoreState};

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
    match client.restore_test(1, d.request_numbits, &d.request_datatype) {
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
