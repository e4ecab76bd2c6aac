//! `ftp`: the archive's FTP server: connect, explicit TLS when configured,
//! log in, passive mode, list; and, as the original's FTP test does, fetch
//! one file of `ftpTest/` when the server has that directory (its size
//! compared with `SIZE`, the copy removed).

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use palfa_core::config::Config;

use super::{CheckOptions, Verdict};
use crate::archive::{ArchiveError, FtpClient, FtpSettings};
use crate::download::bytes as human;

const TEST_DIR: &str = "ftpTest";

pub(crate) fn check(cfg: &Config, opts: &CheckOptions) -> Verdict {
    let d = &cfg.download;
    if d.ftp_host.trim().is_empty() {
        return Verdict::fail(
            "download.ftp_host is not set",
            "set download.ftp_host and download.ftp_port",
        );
    }
    let timeout = Duration::from_secs_f64(d.network_timeout_s).min(opts.timeout.mul_f64(0.4));
    let settings = FtpSettings::from_config(d, timeout);
    let server = settings.address();
    let client = match FtpClient::new(settings) {
        Ok(c) => c,
        Err(e) => return Verdict::fail(e.to_string(), "set download.ftp_ca_file to a readable PEM file"),
    };
    let top = match client.list_top() {
        Ok(t) => t,
        Err(e) => return failure(cfg, &server, &e),
    };
    let mut details = vec![format!(
        "{server}: logged in as {}{}, passive listing of the top directory: {} entries",
        d.ftp_username,
        if d.ftp_tls { " over TLS" } else { "" },
        top.len()
    )];
    let has_test = top
        .iter()
        .any(|n| n.trim_end_matches('/').rsplit('/').next() == Some(TEST_DIR));
    if !has_test {
        details.push(format!(
            "the server has no {TEST_DIR} directory: checked the listing only, no file was downloaded"
        ));
        return Verdict::Pass(details);
    }
    let listing = match client.list(TEST_DIR) {
        Ok(l) => l,
        Err(e) => return failure(cfg, &server, &e),
    };
    let Some(file) = listing.files.iter().min_by_key(|f| f.size).cloned() else {
        details.push(format!("{TEST_DIR} has no file: checked the listing only"));
        return Verdict::Pass(details);
    };
    let dir = if d.temp.is_dir() {
        d.temp.clone()
    } else {
        std::env::temp_dir()
    };
    let dest = dir.join(format!(".palfa-check-ftp-{}", std::process::id()));
    let result = (|| {
        let mut out = std::fs::File::create(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
        let done = AtomicU64::new(0);
        let stop = AtomicBool::new(false);
        let got = client
            .fetch(TEST_DIR, &file, &mut out, &done, &mut || {}, &stop)
            .map_err(|e| e.to_string())?;
        let on_disk = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
        if got != file.size || on_disk != file.size {
            return Err(format!(
                "{TEST_DIR}/{}: SIZE said {} bytes, {got} were received ({on_disk} on disk)",
                file.name, file.size
            ));
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&dest);
    match result {
        Ok(()) => {
            details.push(format!(
                "downloaded {TEST_DIR}/{} ({}): its size matches SIZE; the copy was removed",
                file.name,
                human(file.size)
            ));
            Verdict::Pass(details)
        }
        Err(why) => Verdict::fail_with(
            format!("downloading a test file failed: {why}"),
            "check that the server's passive ports are open to this machine (a firewall), and download.temp",
            details,
        ),
    }
}

fn failure(cfg: &Config, server: &str, e: &ArchiveError) -> Verdict {
    let d = &cfg.download;
    let msg = e.to_string();
    let low = msg.to_lowercase();
    if low.contains("certificate") || low.contains("unknownissuer") || low.contains("invalid peer") {
        return Verdict::fail(
            format!("{server}: the server's TLS certificate is not one this machine trusts: {msg}"),
            "set download.ftp_ca_file to the PEM file of the authority that signed the server's certificate \
             (ask the archive's operators for it)",
        );
    }
    if low.contains("login as") || low.contains(" 530 ") {
        return Verdict::fail(
            format!("{server} refused the login as {}: {msg}", d.ftp_username),
            "set download.ftp_username and download.ftp_password (or PALFA_FTP_PASSWORD)",
        );
    }
    if low.contains("auth tls") {
        return Verdict::fail(
            format!("{server}: explicit TLS (AUTH TLS) failed: {msg}"),
            "set download.ftp_tls to what the server offers (and download.ftp_ca_file for its certificate)",
        );
    }
    if matches!(e, ArchiveError::Stalled { .. }) || low.contains("timed out") {
        return Verdict::fail(
            format!("{server} accepted the connection and did not answer in time: {msg}"),
            "check download.ftp_host and download.ftp_port (is it an FTP server?), and that a firewall lets the \
             passive data connections through",
        );
    }
    if low.contains("refused") && low.contains("connect") {
        return Verdict::fail(
            format!("nothing listens at {server} (connection refused)"),
            "check download.ftp_host and download.ftp_port, and that the FTP server runs",
        );
    }
    Verdict::fail(
        format!("{server}: {msg}"),
        "check download.ftp_host, download.ftp_port, download.ftp_tls and the FTP credentials",
    )
}
