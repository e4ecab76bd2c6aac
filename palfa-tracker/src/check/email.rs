//! `email`: the SMTP server answers, the configured security (STARTTLS /
//! TLS) works, and it takes the login; with `--send-email`, the test message
//! of `palfa email test` is sent.

use palfa_core::config::Config;

use super::{CheckOptions, Verdict};
use crate::notify::SmtpNotifier;

/// The test message's body (what `palfa email test` sends).
pub fn test_message_body(cfg: &palfa_core::config::Email) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".into());
    format!(
        "This is a test message from palfa on {host}.\n\n\
         If you read this, failures of the survey's jobs will reach you \
         (email.enabled = {}, send_on_failures = {}, send_on_terminal_failures = {}).\n",
        cfg.enabled, cfg.send_on_failures, cfg.send_on_terminal_failures
    )
}

pub(crate) fn check(cfg: &Config, opts: &CheckOptions) -> Verdict {
    let e = &cfg.email;
    if e.smtp_host.trim().is_empty() {
        return Verdict::fail("email.smtp_host is not set", "set email.smtp_host and email.smtp_port");
    }
    if e.sender.trim().is_empty() || e.recipient.trim().is_empty() {
        return Verdict::fail(
            "email.sender or email.recipient is not set",
            "set email.sender and email.recipient",
        );
    }
    let mailer = match SmtpNotifier::from_config(e) {
        Ok(m) => m,
        Err(err) => return Verdict::fail(err.to_string(), "fix the [email] settings named"),
    };
    let security = format!("{:?}", e.smtp_security);
    if let Err(err) = mailer.test_connection() {
        let msg = err.to_string();
        let low = msg.to_lowercase();
        let (cause, fix) = if low.contains("535") || low.contains("authentication") || low.contains("credentials") {
            (
                format!("the SMTP server refused the login as {}: {msg}", e.smtp_username),
                "set email.smtp_username and email.smtp_password (or PALFA_SMTP_PASSWORD)",
            )
        } else if low.contains("certificate") || low.contains("unknownissuer") {
            (
                format!("the SMTP server's TLS certificate is not one this machine trusts: {msg}"),
                "set email.smtp_ca_file to the PEM file of the authority that signed it",
            )
        } else if low.contains("refused") {
            (
                format!("nothing listens at {} (connection refused)", mailer.server()),
                "check email.smtp_host and email.smtp_port",
            )
        } else if low.contains("timed out") || low.contains("timeout") {
            (
                format!("the SMTP server {} did not answer in time: {msg}", mailer.server()),
                "check email.smtp_host, email.smtp_port and email.smtp_security (TLS on a STARTTLS port hangs)",
            )
        } else {
            (
                format!("the SMTP server {} could not be used: {msg}", mailer.server()),
                "check email.smtp_host, email.smtp_port, email.smtp_security and the login",
            )
        };
        return Verdict::fail(cause, fix);
    }
    let mut details = vec![format!(
        "{}: connected (security {security}){}",
        mailer.server(),
        if e.smtp_username.is_empty() {
            ", no login configured".to_string()
        } else {
            format!(", logged in as {}", e.smtp_username)
        }
    )];
    if opts.send_email {
        if let Err(err) = mailer.send("[palfa] test message", &test_message_body(e)) {
            return Verdict::fail_with(
                format!("the test message was NOT sent: {err}"),
                "check email.sender and email.recipient (the server must accept them)",
                details,
            );
        }
        details.push(format!("the server accepted the test message for {}", e.recipient));
    } else {
        details.push("no message sent (--send-email sends the test message)".into());
    }
    if !e.enabled {
        details.push("note: email.enabled = false, so the daemons will not send mail".into());
    }
    Verdict::Pass(details)
}
