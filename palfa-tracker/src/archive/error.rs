//! Errors of the archive client.

use super::names::BadName;

/// What went wrong talking to the archive. Messages never hold a password:
/// every text that comes from a library or a server passes through
/// [`Redactor`] first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The restore service could not be reached or did not answer in time.
    #[error("restore service {method}: {message}")]
    Http {
        /// `Restore` or `Location`.
        method: &'static str,
        /// What happened.
        message: String,
    },
    /// The restore service answered with an HTTP error status.
    #[error("restore service {method}: HTTP status {status}")]
    Status {
        /// `Restore` or `Location`.
        method: &'static str,
        /// The status code.
        status: u16,
    },
    /// The restore service's answer is not the XML document expected.
    #[error("restore service {method}: answer is not an XML <string> document ({message})")]
    NotXml {
        /// `Restore` or `Location`.
        method: &'static str,
        /// Why, with the start of the body.
        message: String,
    },
    /// The restore service refused the request (answered `fail`).
    #[error("restore service refused the request (answered {answer:?})")]
    Refused {
        /// The answer.
        answer: String,
    },
    /// The GUID handed out cannot name a directory.
    #[error("restore service answered an unusable GUID: {0}")]
    BadGuid(BadName),
    /// The FTP server could not be reached, refused a command, or the
    /// connection broke.
    #[error("FTP {what}: {message}")]
    Ftp {
        /// What was being done.
        what: String,
        /// What happened.
        message: String,
    },
    /// The FTP server sent no data for the read timeout.
    #[error("FTP {what}: no data for {seconds:.0} s (server stalled)")]
    Stalled {
        /// What was being done.
        what: String,
        /// The timeout \[s\].
        seconds: f64,
    },
    /// The server sent more bytes than it listed.
    #[error("FTP RETR {name}: server sent more than the {listed} bytes it listed")]
    TooLong {
        /// The file.
        name: String,
        /// The listed size \[bytes\].
        listed: u64,
    },
    /// The server's `SIZE` answer is not a size.
    #[error("FTP SIZE {name}: unusable answer {answer:?}")]
    BadSize {
        /// The file.
        name: String,
        /// What it said.
        answer: String,
    },
    /// Writing the local file failed.
    #[error("{path}: {source}")]
    Local {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The transfer was abandoned because the downloader is stopping.
    #[error("transfer abandoned: the downloader is stopping")]
    Stopped,
    /// The archive is not configured well enough to be used.
    #[error("archive settings: {0}")]
    Settings(String),
}

/// Replaces every secret in a text by `***`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// A redactor of these secrets (empty ones are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            secrets: secrets
                .into_iter()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }

    /// `text` with every secret replaced by `***` (also URL-encoded), and
    /// the value of any `pw=` query parameter too, however it was encoded.
    pub fn clean(&self, text: impl std::fmt::Display) -> String {
        let mut t = text.to_string();
        for s in &self.secrets {
            t = t.replace(s.as_str(), "***");
            let enc = url_encode(s);
            if enc != *s {
                t = t.replace(enc.as_str(), "***");
            }
        }
        let mut from = 0;
        while let Some(i) = t[from..].find("pw=").map(|i| i + from + 3) {
            let end = t[i..]
                .find(|c: char| c == '&' || c == '#' || c == '"' || c.is_whitespace())
                .map_or(t.len(), |e| i + e);
            t.replace_range(i..end, "***");
            from = i + 3;
        }
        t
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_plain_and_encoded() {
        let r = super::Redactor::new(["p@ss word", ""]);
        assert_eq!(r.clean("pw=p@ss word&x"), "pw=***&x");
        assert_eq!(r.clean("pw=p%40ss%20word&x"), "pw=***&x");
        assert_eq!(r.clean("nothing"), "nothing");
        let r = super::Redactor::new(["a b!"]);
        assert_eq!(
            r.clean("GET /Restore?username=u&pw=a+b%21&x=1 failed; pw=zz"),
            "GET /Restore?username=u&pw=***&x=1 failed; pw=***"
        );
    }
}
