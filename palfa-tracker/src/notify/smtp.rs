//! E-mail notifications over SMTP (`lettre`, rustls).
//!
//! [`SmtpNotifier`] sends one plain-text message per event, as `[email]`
//! says: every failed job with `send_on_failures`, jobs that failed for good
//! with `send_on_terminal_failures` (implied by the first), and notices. Every
//! event is also logged. A message that cannot be sent is logged and
//! dropped: a daemon never stops, and never waits more than [`SMTP_TIMEOUT`]
//! per network step, for its mail.

use std::sync::Mutex;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use palfa_core::config::{Email, SmtpSecurity};

use super::{Failure, LogNotifier, Notifier};
use crate::db::Tracker;

/// Longest wait for the SMTP server (connect, and each read or write).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Lines of a job's error log put in a message (its end).
pub const ERROR_TAIL_LINES: usize = 40;

/// Why mail could not be set up or sent. Never holds the password.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The configuration cannot make a mailer (a bad address, an unreadable CA file).
    #[error("e-mail settings: {0}")]
    Config(String),
    /// The server refused the message or could not be reached.
    #[error("sending mail through {server}: {message}")]
    Send {
        /// `host:port`.
        server: String,
        /// What went wrong.
        message: String,
    },
}

/// Sends the pooler's and uploader's events by e-mail.
pub struct SmtpNotifier {
    transport: SmtpTransport,
    from: Mailbox,
    to: Vec<Mailbox>,
    server: String,
    secret: String,
    send_on_failures: bool,
    send_on_terminal_failures: bool,
    /// The tracker, to name a job's files in its messages.
    tracker: Option<Mutex<Tracker>>,
}

impl std::fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpNotifier")
            .field("server", &self.server)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

fn mailbox(what: &str, s: &str) -> Result<Mailbox, MailError> {
    s.trim()
        .parse::<Mailbox>()
        .map_err(|e| MailError::Config(format!("{what} {s:?} is not an e-mail address: {e}")))
}

impl SmtpNotifier {
    /// A mailer as `[email]` says (whether or not `enabled`: the caller decides).
    pub fn from_config(cfg: &Email) -> Result<Self, MailError> {
        let from = mailbox("sender", &cfg.sender)?;
        let to = cfg
            .recipient
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| mailbox("recipient", s))
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(MailError::Config("no recipient".into()));
        }
        let host = cfg.smtp_host.trim();
        let mut builder = SmtpTransport::builder_dangerous(host)
            .port(cfg.smtp_port)
            .timeout(Some(SMTP_TIMEOUT));
        if cfg.smtp_security != SmtpSecurity::None {
            let mut params = TlsParameters::builder(host.to_string());
            if let Some(ca) = &cfg.smtp_ca_file {
                let pem = std::fs::read(ca).map_err(|e| MailError::Config(format!("{}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| MailError::Config(format!("{}: not a PEM certificate: {e}", ca.display())))?;
                params = params.add_root_certificate(cert);
            }
            let params = params
                .build_rustls()
                .map_err(|e| MailError::Config(format!("TLS settings: {e}")))?;
            builder = builder.tls(match cfg.smtp_security {
                SmtpSecurity::StartTls => Tls::Required(params),
                _ => Tls::Wrapper(params),
            });
        }
        if !cfg.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                cfg.smtp_username.clone(),
                cfg.smtp_password.expose().to_string(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
            server: format!("{host}:{}", cfg.smtp_port),
            secret: cfg.smtp_password.expose().to_string(),
            send_on_failures: cfg.send_on_failures,
            send_on_terminal_failures: cfg.send_on_terminal_failures || cfg.send_on_failures,
            tracker: None,
        })
    }

    /// Names each job's raw files in its messages, read from `tracker`.
    pub fn with_tracker(mut self, tracker: Tracker) -> Self {
        self.tracker = Some(Mutex::new(tracker));
        self
    }

    /// `host:port` of the server.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one message; an error says why, without the password.
    pub fn send(&self, subject: &str, body: &str) -> Result<(), MailError> {
        let mut b = Message::builder().from(self.from.clone()).subject(subject);
        for to in &self.to {
            b = b.to(to.clone());
        }
        let msg = b
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Config(e.to_string()))?;
        self.transport.send(&msg).map(|_| ()).map_err(|e| MailError::Send {
            server: self.server.clone(),
            message: self.scrub(&e.to_string()),
        })
    }

    /// Connects, secures the connection as configured (STARTTLS / TLS) and
    /// logs in, without sending anything (`palfa check email`).
    pub fn test_connection(&self) -> Result<(), MailError> {
        match self.transport.test_connection() {
            Ok(true) => Ok(()),
            Ok(false) => Err(MailError::Send {
                server: self.server.clone(),
                message: "the server did not answer NOOP".into(),
            }),
            Err(e) => Err(MailError::Send {
                server: self.server.clone(),
                message: self.scrub(&e.to_string()),
            }),
        }
    }

    fn scrub(&self, s: &str) -> String {
        if self.secret.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.secret, "***")
        }
    }

    fn send_logged(&self, subject: &str, body: &str) {
        match self.send(subject, body) {
            Ok(()) => tracing::info!(server = %self.server, "mail sent: {subject}"),
            Err(e) => tracing::error!("mail not sent ({subject}): {e}"),
        }
    }

    fn files_of(&self, job_id: i64) -> Vec<String> {
        let Some(t) = &self.tracker else { return Vec::new() };
        let Ok(t) = t.lock() else { return Vec::new() };
        match t.job_files(job_id) {
            Ok(files) => files.iter().map(|f| f.filename.display().to_string()).collect(),
            Err(e) => {
                tracing::warn!(job = job_id, "cannot list the job's files for its mail: {e}");
                Vec::new()
            }
        }
    }

    /// The body of a message about `f`.
    pub fn failure_body(&self, f: &Failure, terminal: bool) -> String {
        failure_body(f, terminal, &self.files_of(f.job_id))
    }
}

/// The text of a message about a failed job: job, beam, files, attempt of
/// `max_attempts`, queue id, and the end of the error log.
pub fn failure_body(f: &Failure, terminal: bool, files: &[String]) -> String {
    let mut s = String::new();
    s.push_str(if terminal {
        "A job has failed for good and will not be retried.\n\n"
    } else {
        "A job has failed.\n\n"
    });
    s.push_str(&format!("Job:      {}\n", f.job_id));
    s.push_str(&format!("Beam:     {}\n", f.beam));
    s.push_str(&format!("Attempt:  {} of {}\n", f.attempts, f.max_attempts));
    s.push_str(&format!("Queue id: {}\n", f.queue_id.as_deref().unwrap_or("-")));
    if files.is_empty() {
        s.push_str("Files:    (not known)\n");
    } else {
        s.push_str("Files:\n");
        for name in files {
            s.push_str(&format!("  {name}\n"));
        }
    }
    let lines: Vec<&str> = f.error.lines().collect();
    let tail = &lines[lines.len().saturating_sub(ERROR_TAIL_LINES)..];
    s.push_str(&format!("\nError log (last {} lines):\n", tail.len()));
    for l in tail {
        s.push_str("  ");
        s.push_str(l);
        s.push('\n');
    }
    s
}

impl Notifier for SmtpNotifier {
    fn job_failed(&self, f: &Failure) {
        LogNotifier.job_failed(f);
        if self.send_on_failures {
            let subject = format!(
                "[palfa] job {} ({}) failed, attempt {} of {}",
                f.job_id, f.beam, f.attempts, f.max_attempts
            );
            self.send_logged(&subject, &self.failure_body(f, false));
        }
    }

    fn job_terminal_failure(&self, f: &Failure) {
        LogNotifier.job_terminal_failure(f);
        if self.send_on_terminal_failures {
            let subject = format!(
                "[palfa] job {} ({}) is a terminal failure after {} attempts",
                f.job_id, f.beam, f.attempts
            );
            self.send_logged(&subject, &self.failure_body(f, true));
        }
    }

    fn notice(&self, subject: &str, body: &str) {
        LogNotifier.notice(subject, body);
        self.send_logged(&format!("[palfa] {subject}"), body);
    }
}

/// The notifier `[email]` asks for: an [`SmtpNotifier`] (naming files from
/// `tracker`) when `enabled`, else [`LogNotifier`]. A mailer that cannot be
/// made is an error.
pub fn notifier_from_config(cfg: &Email, tracker: Option<Tracker>) -> Result<Box<dyn Notifier>, MailError> {
    if !cfg.enabled {
        return Ok(Box::new(LogNotifier));
    }
    let mut n = SmtpNotifier::from_config(cfg)?;
    if let Some(t) = tracker {
        n = n.with_tracker(t);
    }
    Ok(Box::new(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_everything_and_keeps_the_log_tail() {
        let error: String = (1..=100).map(|i| format!("line {i}\n")).collect();
        let f = Failure {
            job_id: 7,
            beam: "p2030.b3".into(),
            attempts: 1,
            max_attempts: 3,
            queue_id: Some("4242".into()),
            error,
        };
        let b = failure_body(&f, false, &["/data/a.fits".into()]);
        for want in [
            "Job:      7",
            "p2030.b3",
            "Attempt:  1 of 3",
            "4242",
            "/data/a.fits",
            "line 100",
        ] {
            assert!(b.contains(want), "{want} missing from {b}");
        }
        assert!(!b.contains("line 60\n"), "{b}");
        assert!(b.contains("line 61\n"), "{b}");
    }
}
