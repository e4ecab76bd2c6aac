//! The archive's restore service: plain HTTP GET, answers in XML.
//!
//! `GET <url>/Restore?username=&pw=&pipeline=&number=&bits=&fileType=` asks
//! for a restore and answers a GUID (or `fail`); `GET
//! <url>/Location?guid=&username=&pw=` answers `done` once the restore sits
//! on the FTP server. Each answer is an XML document whose first `<string>`
//! element holds the value (what an ASP.NET `.asmx` web service returns to a
//! GET). See `docs/archive-api.md`.

use std::time::Duration;

use palfa_core::config::Secret;

use super::error::{ArchiveError, Redactor};
use super::names::check_remote_name;

/// Largest answer read from the service \[bytes\].
const MAX_BODY: u64 = 1 << 20;

/// A client of the restore service.
pub struct RestoreClient {
    base: String,
    username: String,
    password: Secret,
    pipeline: String,
    agent: ureq::Agent,
    redact: Redactor,
}

impl std::fmt::Debug for RestoreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestoreClient")
            .field("base", &self.base)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// Whether a restore is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreState {
    /// The files are on the FTP server.
    Done,
    /// Not yet; the service's answer.
    NotYet(String),
}

impl RestoreClient {
    /// The restore service of a configuration's `[download]` section (as
    /// `basic.pipeline`), with `timeout` on every call.
    pub fn from_config(cfg: &palfa_core::config::Config, timeout: Duration) -> Self {
        let d = &cfg.download;
        Self::new(
            &d.api_service_url,
            &d.api_username,
            d.api_password.clone(),
            &cfg.basic.pipeline,
            timeout,
        )
    }

    /// A client of the service at `base` (e.g. `http://host/Service.asmx`),
    /// with `timeout` on every call (connect and whole answer).
    pub fn new(base: &str, username: &str, password: Secret, pipeline: &str, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .build();
        let redact = Redactor::new([password.expose()]);
        Self {
            base: base.trim_end_matches('/').to_string(),
            username: username.to_string(),
            password,
            pipeline: pipeline.to_string(),
            agent: config.into(),
            redact,
        }
    }

    /// Asks for `number` files of `bits`-bit data of type `file_type`;
    /// returns the restore's GUID.
    pub fn restore(&self, number: u32, bits: u32, file_type: &str) -> Result<String, ArchiveError> {
        let number = number.to_string();
        let bits = bits.to_string();
        self.guid_of(
            "Restore",
            &[
                ("username", self.username.as_str()),
                ("pw", self.password.expose()),
                ("pipeline", self.pipeline.as_str()),
                ("number", number.as_str()),
                ("bits", bits.as_str()),
                ("fileType", file_type),
            ],
        )
    }

    /// The archive's set-up test of [`restore`](Self::restore)
    /// (`RestoreTest`): the same checks of the credentials and the request,
    /// a GUID, and no data restored. Not every archive offers it.
    pub fn restore_test(&self, number: u32, bits: u32, file_type: &str) -> Result<String, ArchiveError> {
        let number = number.to_string();
        let bits = bits.to_string();
        self.guid_of(
            "RestoreTest",
            &[
                ("username", self.username.as_str()),
                ("pw", self.password.expose()),
                ("number", number.as_str()),
                ("bits", bits.as_str()),
                ("fileType", file_type),
            ],
        )
    }

    /// A GUID from `method`: `fail` (or nothing) is a refusal, and the GUID
    /// must be usable as a directory name.
    fn guid_of(&self, method: &'static str, params: &[(&str, &str)]) -> Result<String, ArchiveError> {
        let answer = self.call(method, params)?;
        if answer.is_empty() || answer.eq_ignore_ascii_case("fail") {
            return Err(ArchiveError::Refused { answer });
        }
        check_remote_name(&answer).map_err(ArchiveError::BadGuid)?;
        Ok(answer)
    }

    /// Whether restore `guid` is on the FTP server.
    pub fn location(&self, guid: &str) -> Result<RestoreState, ArchiveError> {
        self.state_of("Location", guid)
    }

    /// The archive's set-up test of [`location`](Self::location)
    /// (`LocationTest`), for a GUID from [`restore_test`](Self::restore_test).
    pub fn location_test(&self, guid: &str) -> Result<RestoreState, ArchiveError> {
        self.state_of("LocationTest", guid)
    }

    fn state_of(&self, method: &'static str, guid: &str) -> Result<RestoreState, ArchiveError> {
        let answer = self.call(
            method,
            &[
                ("guid", guid),
                ("username", self.username.as_str()),
                ("pw", self.password.expose()),
            ],
        )?;
        if answer.eq_ignore_ascii_case("done") {
            Ok(RestoreState::Done)
        } else {
            Ok(RestoreState::NotYet(answer))
        }
    }

    /// One GET; the text of the answer's first `<string>` element, trimmed.
    fn call(&self, method: &'static str, params: &[(&str, &str)]) -> Result<String, ArchiveError> {
        let url = format!("{}/{method}", self.base);
        let http = |e: ureq::Error| ArchiveError::Http {
            method,
            message: self.redact.clean(e),
        };
        let mut resp = self
            .agent
            .get(&url)
            .query_pairs(params.iter().copied())
            .call()
            .map_err(http)?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(ArchiveError::Status { method, status });
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(http)?;
        first_string(&body).map_err(|message| ArchiveError::NotXml {
            method,
            message: self.redact.clean(message),
        })
    }
}

/// The trimmed text of the first `<string>` element of an XML document.
///
/// ```
/// use palfa_tracker::archive::first_string;
/// let xml = r#"<?xml version="1.0" encoding="utf-8"?>
/// <string xmlns="http://tempuri.org/">4a3f-01</string>"#;
/// assert_eq!(first_string(xml).unwrap(), "4a3f-01");
/// assert!(first_string("<html>oops</html>").is_err());
/// assert!(first_string("done").is_err());
/// ```
pub fn first_string(body: &str) -> Result<String, String> {
    let doc = roxmltree::Document::parse(body).map_err(|e| format!("{e}; body starts {:?}", start(body)))?;
    let node = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "string")
        .ok_or_else(|| format!("no <string> element; body starts {:?}", start(body)))?;
    Ok(node.text().unwrap_or("").trim().to_string())
}

fn start(body: &str) -> &str {
    let mut end = body.len().min(80);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

#[cfg(test)]
mod tests {
    use super::first_string;

    #[test]
    fn xml_answers() {
        assert_eq!(first_string("<string>done</string>").unwrap(), "done");
        assert_eq!(
            first_string("<r><a/><string> fail </string><string>x</string></r>").unwrap(),
            "fail"
        );
        assert_eq!(first_string("<string/>").unwrap(), "");
        assert!(first_string("<string>unclosed").is_err());
        assert!(first_string("").is_err());
    }
}
