//! The data archive the downloader fetches beams from.
//!
//! [`Archive`] is what the downloader needs from an archive: ask for a
//! restore, ask whether it is ready, list its files, fetch one.
//! [`CornellArchive`] speaks the protocol of the original PALFA archive
//! (an HTTP restore service plus an FTP/FTPS server, `docs/archive-api.md`):
//! [`RestoreClient`] and [`FtpClient`]. With the `archive-server` feature,
//! [`server`] is a reference archive of that kind over a directory of beams.
//!
//! Nothing the archive says is trusted before it is checked: names must be
//! single path components ([`check_remote_name`]), sizes bound what is read,
//! GUIDs must be usable directory names. Passwords never appear in errors.

mod error;
mod ftp;
mod names;
mod restore;
#[cfg(feature = "archive-server")]
pub mod server;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

use palfa_core::config::Config;

pub use error::{ArchiveError, Redactor};
pub use ftp::{FtpClient, FtpSettings};
pub use names::{check_remote_name, shown, BadName, MAX_NAME_BYTES};
pub use restore::{first_string, RestoreClient, RestoreState};

/// A file of a restore, as listed by the archive (name already checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// The file's name: a single path component.
    pub name: String,
    /// Its size as listed \[bytes\].
    pub size: u64,
}

/// A restore's files.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files whose names passed the checks, with their listed sizes.
    pub files: Vec<RemoteFile>,
    /// Names refused, as listed, with why (a name that fails
    /// [`check_remote_name`], or whose `SIZE` the server refused).
    pub refused: Vec<(String, String)>,
}

/// What the downloader needs from a data archive.
pub trait Archive: Send + Sync {
    /// Where the files come from, for messages (no password).
    fn describe(&self) -> String;
    /// Asks for a restore of `number` files; returns the restore's id (GUID).
    fn restore(&self, number: u32) -> Result<String, ArchiveError>;
    /// Whether restore `guid` is ready to be fetched.
    fn location(&self, guid: &str) -> Result<RestoreState, ArchiveError>;
    /// The files of a ready restore.
    fn list(&self, guid: &str) -> Result<Listing, ArchiveError>;
    /// Fetches one file of restore `guid` into `dest`, storing the bytes
    /// received so far in `done`; calls `started` once the transfer began;
    /// gives up with [`ArchiveError::Stopped`] soon after `stop` is raised.
    /// Returns the bytes received (never more than `file.size`).
    fn fetch(
        &self,
        guid: &str,
        file: &RemoteFile,
        dest: &mut dyn Write,
        done: &AtomicU64,
        started: &mut dyn FnMut(),
        stop: &AtomicBool,
    ) -> Result<u64, ArchiveError>;
}

/// The original PALFA archive: restore service over HTTP, files over FTP(S).
#[derive(Debug)]
pub struct CornellArchive {
    restore: RestoreClient,
    ftp: FtpClient,
    bits: u32,
    file_type: String,
    describe: String,
}

impl std::fmt::Debug for FtpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FtpClient")
    }
}

impl CornellArchive {
    /// An archive from its two clients and what to ask for.
    pub fn new(restore: RestoreClient, ftp: FtpClient, bits: u32, file_type: &str, describe: String) -> Self {
        Self {
            restore,
            ftp,
            bits,
            file_type: file_type.to_string(),
            describe,
        }
    }

    /// The archive of a configuration's `[download]` section (and `basic.pipeline`).
    pub fn from_config(cfg: &Config) -> Result<Self, ArchiveError> {
        let d = &cfg.download;
        if d.api_service_url.is_empty() {
            return Err(ArchiveError::Settings(
                "download.api_service_url is not set: the downloader has no archive to ask".into(),
            ));
        }
        let timeout = Duration::from_secs_f64(d.network_timeout_s);
        let restore = RestoreClient::from_config(cfg, timeout);
        let ftp_settings = FtpSettings::from_config(d, timeout);
        let describe = format!("{} + {}", d.api_service_url, ftp_settings.address());
        let ftp = FtpClient::new(ftp_settings)?;
        Ok(Self::new(
            restore,
            ftp,
            d.request_numbits,
            &d.request_datatype,
            describe,
        ))
    }
}

impl Archive for CornellArchive {
    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn restore(&self, number: u32) -> Result<String, ArchiveError> {
        self.restore.restore(number, self.bits, &self.file_type)
    }

    fn location(&self, guid: &str) -> Result<RestoreState, ArchiveError> {
        self.restore.location(guid)
    }

    fn list(&self, guid: &str) -> Result<Listing, ArchiveError> {
        self.ftp.list(guid)
    }

    fn fetch(
        &self,
        guid: &str,
        file: &RemoteFile,
        dest: &mut dyn Write,
        done: &AtomicU64,
        started: &mut dyn FnMut(),
        stop: &AtomicBool,
    ) -> Result<u64, ArchiveError> {
        self.ftp.fetch(guid, file, dest, done, started, stop)
    }
}
