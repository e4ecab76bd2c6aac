//! The sections `basic`, `background`, `commondb`, `download`, `email`,
//! `processing` and `upload` (sections 4.5.1-4.5.9 of the pipeline2.0 manual).

use std::path::PathBuf;

use super::reader::{PathKind, Section};
use super::Secret;

/// Default `basic.log_dir`, relative to the configuration's directory.
pub const DEFAULT_LOG_DIR: &str = "logs";
/// Default `basic.qsublog_dir`.
pub const DEFAULT_QSUBLOG_DIR: &str = "qsublog";
/// Default `background.jobtracker_db`.
pub const DEFAULT_JOBTRACKER_DB: &str = "jobtracker.db";
/// Default `commondb.sqlite_path`.
pub const DEFAULT_RESULTS_DB: &str = "results.db";
/// Default `download.temp`.
pub const DEFAULT_DOWNLOAD_DIR: &str = "rawdata";
/// Default `processing.base_working_directory`.
pub const DEFAULT_WORKING_DIR: &str = "work";

/// `[basic]`: who runs the pipeline and where its logs go.
#[derive(Debug, Clone, PartialEq)]
pub struct Basic {
    /// Institution reported in the results database.
    pub institution: String,
    /// Pipeline name reported in the results database.
    pub pipeline: String,
    /// Survey name.
    pub survey: String,
    /// Delete raw data after a successful upload or a terminal failure.
    pub delete_rawdata: bool,
    /// Directory of the daemons' log files.
    pub log_dir: PathBuf,
    /// Directory where the queue writes each job's stdout/stderr.
    pub qsublog_dir: PathBuf,
    /// Optional table of corrected coordinates (`name ra dec` per line).
    pub coords_table: Option<PathBuf>,
}

impl Default for Basic {
    fn default() -> Self {
        Self {
            institution: "palfa".into(),
            pipeline: "palfa".into(),
            survey: "PALFA2.0".into(),
            delete_rawdata: false,
            log_dir: DEFAULT_LOG_DIR.into(),
            qsublog_dir: DEFAULT_QSUBLOG_DIR.into(),
            coords_table: None,
        }
    }
}

impl Basic {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        let institution = s.string("institution", &d.institution);
        if institution.trim().is_empty() {
            let k = s.key("institution");
            s.ctx.problem(&k, "must not be empty");
        }
        Self {
            institution,
            pipeline: s.string("pipeline", &d.pipeline),
            survey: s.string("survey", &d.survey),
            delete_rawdata: s.bool("delete_rawdata", d.delete_rawdata),
            log_dir: s
                .path("log_dir", DEFAULT_LOG_DIR, PathKind::WritableDir, false)
                .unwrap_or_default(),
            qsublog_dir: s
                .path("qsublog_dir", DEFAULT_QSUBLOG_DIR, PathKind::WritableDir, false)
                .unwrap_or_default(),
            coords_table: s.path("coords_table", "", PathKind::ReadableFile, true),
        }
    }
}

/// `[background]`: settings shared by the downloader, pooler and uploader daemons.
#[derive(Debug, Clone, PartialEq)]
pub struct Background {
    /// Copy log lines to the terminal too.
    pub screen_output: bool,
    /// The SQLite job-tracker database.
    pub jobtracker_db: PathBuf,
    /// Seconds to sleep between iterations of a daemon's loop.
    pub sleep_s: f64,
}

impl Default for Background {
    fn default() -> Self {
        Self {
            screen_output: true,
            jobtracker_db: DEFAULT_JOBTRACKER_DB.into(),
            sleep_s: 60.0,
        }
    }
}

impl Background {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        Self {
            screen_output: s.bool("screen_output", d.screen_output),
            jobtracker_db: s
                .path(
                    "jobtracker_db",
                    DEFAULT_JOBTRACKER_DB,
                    PathKind::FileInWritableDir,
                    false,
                )
                .unwrap_or_default(),
            sleep_s: s.f64("sleep", d.sleep_s, 0.01, 86_400.0),
        }
    }
}

/// Which results database backend to use.
#[derive(Debug, Clone, PartialEq)]
pub enum CommonDbBackend {
    /// An embedded SQLite file.
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// Any database reachable through ODBC (PostgreSQL is tested).
    Odbc {
        /// ODBC connection string, without the password (e.g. `Driver={PostgreSQL Unicode};Server=…;Database=…`).
        connection_string: String,
    },
}

/// `[commondb]`: the shared results database.
#[derive(Debug, Clone, PartialEq)]
pub struct CommonDb {
    /// Backend and its location.
    pub backend: CommonDbBackend,
    /// User name (ODBC), added to the connection string as `UID`.
    pub username: String,
    /// Password (ODBC); from `PALFA_COMMONDB_PASSWORD` if set.
    pub password: Secret,
}

impl Default for CommonDb {
    /// An SQLite file [`DEFAULT_RESULTS_DB`].
    fn default() -> Self {
        Self {
            backend: CommonDbBackend::Sqlite {
                path: DEFAULT_RESULTS_DB.into(),
            },
            username: String::new(),
            password: Secret::new(String::new()),
        }
    }
}

impl CommonDb {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let kind = s.choice("backend", "sqlite", &["sqlite", "odbc"]);
        let sqlite_path = s.path(
            "sqlite_path",
            DEFAULT_RESULTS_DB,
            PathKind::FileInWritableDir,
            kind != "sqlite",
        );
        let connection_string = s.string("odbc_connection_string", "");
        let backend = if kind == "odbc" {
            if connection_string.trim().is_empty() {
                let k = s.key("odbc_connection_string");
                s.ctx.problem(&k, "missing: required when commondb.backend = \"odbc\"");
            }
            CommonDbBackend::Odbc { connection_string }
        } else {
            CommonDbBackend::Sqlite {
                path: sqlite_path.unwrap_or_default(),
            }
        };
        Self {
            backend,
            username: s.string("username", ""),
            password: s.secret("password", "PALFA_COMMONDB_PASSWORD"),
        }
    }
}

/// `[download]`: the data archive's restore API and FTP server, and the download budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    /// Base URL of the archive's HTTP restore API (empty: downloader not used).
    pub api_service_url: String,
    /// API user name.
    pub api_username: String,
    /// API password; from `PALFA_API_PASSWORD` if set.
    pub api_password: Secret,
    /// FTP server host.
    pub ftp_host: String,
    /// FTP server port.
    pub ftp_port: u16,
    /// FTP user name.
    pub ftp_username: String,
    /// FTP password; from `PALFA_FTP_PASSWORD` if set.
    pub ftp_password: Secret,
    /// Use explicit FTPS (AUTH TLS).
    pub ftp_tls: bool,
    /// Directory where raw data are downloaded.
    pub temp: PathBuf,
    /// Bytes of disk the downloaded files may take.
    pub space_to_use: u64,
    /// Downloads run at once.
    pub numdownloads: usize,
    /// Restore requests active at once.
    pub numrestores: usize,
    /// Attempts per file before it is a terminal failure.
    pub numretries: usize,
    /// Files asked for per restore request.
    pub files_per_restore: usize,
    /// Bit depth of the data to request (PALFA Mock: 4).
    pub request_numbits: u32,
    /// Data type to request (e.g. "mock").
    pub request_datatype: String,
    /// A restore not ready after this many hours is failed \[h\].
    pub request_timeout_hours: f64,
    /// Bytes the file system of `temp` must keep free, counting files in flight.
    pub min_free_space: u64,
    /// Size assumed for a file not yet listed by the archive \[bytes\]
    /// (the mean size of the files tracked so far is used once there are some).
    pub file_size_estimate: u64,
    /// Connect timeout and longest wait for any answer or data from the
    /// archive's services \[s\].
    pub network_timeout_s: f64,
    /// Extra certificate authorities (PEM file) trusted for FTPS.
    pub ftp_ca_file: Option<PathBuf>,
}

impl Default for Download {
    /// No archive configured; a 200 GiB budget with 10 GiB kept free.
    fn default() -> Self {
        Self {
            api_service_url: String::new(),
            api_username: String::new(),
            api_password: Secret::new(String::new()),
            ftp_host: String::new(),
            ftp_port: 21,
            ftp_username: "anonymous".into(),
            ftp_password: Secret::new(String::new()),
            ftp_tls: false,
            temp: DEFAULT_DOWNLOAD_DIR.into(),
            space_to_use: 200 << 30,
            numdownloads: 2,
            numrestores: 2,
            numretries: 3,
            files_per_restore: 20,
            request_numbits: 4,
            request_datatype: "mock".into(),
            request_timeout_hours: 6.0,
            min_free_space: 10 << 30,
            file_size_estimate: 1 << 30,
            network_timeout_s: 60.0,
            ftp_ca_file: None,
        }
    }
}

impl Download {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        let api_service_url = s.string("api_service_url", &d.api_service_url);
        let is_url = api_service_url.starts_with("http://") || api_service_url.starts_with("https://");
        if !api_service_url.is_empty() && !is_url {
            let k = s.key("api_service_url");
            s.ctx
                .problem(&k, format!("{api_service_url:?} is not an http:// or https:// URL"));
        }
        let ftp_host = s.string("ftp_host", &d.ftp_host);
        if !api_service_url.is_empty() && ftp_host.trim().is_empty() {
            let k = s.key("ftp_host");
            s.ctx
                .problem(&k, "missing: required when download.api_service_url is set");
        }
        Self {
            api_service_url,
            api_username: s.string("api_username", &d.api_username),
            api_password: s.secret("api_password", "PALFA_API_PASSWORD"),
            ftp_host,
            ftp_port: s.int("ftp_port", i64::from(d.ftp_port), 1, 65_535) as u16,
            ftp_username: s.string("ftp_username", &d.ftp_username),
            ftp_password: s.secret("ftp_password", "PALFA_FTP_PASSWORD"),
            ftp_tls: s.bool("ftp_tls", d.ftp_tls),
            temp: s
                .path("temp", DEFAULT_DOWNLOAD_DIR, PathKind::WritableDir, false)
                .unwrap_or_default(),
            space_to_use: s.int("space_to_use", d.space_to_use as i64, 1, i64::MAX) as u64,
            numdownloads: s.int("numdownloads", d.numdownloads as i64, 1, 64) as usize,
            numrestores: s.int("numrestores", d.numrestores as i64, 1, 64) as usize,
            numretries: s.int("numretries", d.numretries as i64, 0, 100) as usize,
            files_per_restore: s.int("files_per_restore", d.files_per_restore as i64, 1, 10_000) as usize,
            request_numbits: s.int("request_numbits", i64::from(d.request_numbits), 1, 32) as u32,
            request_datatype: s.string("request_datatype", &d.request_datatype),
            request_timeout_hours: s.f64("request_timeout_hours", d.request_timeout_hours, 0.0, 10_000.0),
            min_free_space: s.int("min_free_space", d.min_free_space as i64, 0, i64::MAX) as u64,
            file_size_estimate: s.int("file_size_estimate", d.file_size_estimate as i64, 1, i64::MAX) as u64,
            network_timeout_s: s.f64("network_timeout", d.network_timeout_s, 0.1, 3600.0),
            ftp_ca_file: s.path("ftp_ca_file", "", PathKind::ReadableFile, true),
        }
    }
}

/// How to secure the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP (a local relay or a test sink).
    None,
    /// STARTTLS after connecting.
    StartTls,
    /// TLS from the start (SMTPS).
    Tls,
}

/// `[email]`: failure notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// Send mail at all.
    pub enabled: bool,
    /// SMTP server.
    pub smtp_host: String,
    /// SMTP port.
    pub smtp_port: u16,
    /// SMTP user (empty: no authentication).
    pub smtp_username: String,
    /// SMTP password; from `PALFA_SMTP_PASSWORD` if set.
    pub smtp_password: Secret,
    /// Connection security.
    pub smtp_security: SmtpSecurity,
    /// PEM file of extra certificate authorities to trust for STARTTLS/TLS
    /// (a site's own CA); `None`: the built-in web roots only.
    pub smtp_ca_file: Option<PathBuf>,
    /// Who receives the notifications.
    pub recipient: String,
    /// The `From` address.
    pub sender: String,
    /// Mail on every failed job.
    pub send_on_failures: bool,
    /// Mail when a job fails for good (implied by `send_on_failures`).
    pub send_on_terminal_failures: bool,
}

impl Default for Email {
    /// Off; plain SMTP to localhost:25 when enabled.
    fn default() -> Self {
        Self {
            enabled: false,
            smtp_host: "localhost".into(),
            smtp_port: 25,
            smtp_username: String::new(),
            smtp_password: Secret::new(String::new()),
            smtp_security: SmtpSecurity::None,
            smtp_ca_file: None,
            recipient: String::new(),
            sender: String::new(),
            send_on_failures: true,
            send_on_terminal_failures: true,
        }
    }
}

impl Email {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        let enabled = s.bool("enabled", d.enabled);
        let security = match s.choice("smtp_security", "none", &["none", "starttls", "tls"]).as_str() {
            "starttls" => SmtpSecurity::StartTls,
            "tls" => SmtpSecurity::Tls,
            _ => SmtpSecurity::None,
        };
        let mut e = Self {
            enabled,
            smtp_host: s.string("smtp_host", &d.smtp_host),
            smtp_port: s.int("smtp_port", i64::from(d.smtp_port), 1, 65_535) as u16,
            smtp_username: s.string("smtp_username", &d.smtp_username),
            smtp_password: s.secret("smtp_password", "PALFA_SMTP_PASSWORD"),
            smtp_security: security,
            smtp_ca_file: s.path("smtp_ca_file", "", PathKind::ReadableFile, true),
            recipient: s.string("recipient", &d.recipient),
            sender: s.string("sender", &d.sender),
            send_on_failures: s.bool("send_on_failures", d.send_on_failures),
            send_on_terminal_failures: s.bool("send_on_terminal_failures", d.send_on_terminal_failures),
        };
        if enabled {
            for (key, value) in [("recipient", &e.recipient), ("sender", &e.sender)] {
                let k = s.key(key);
                if value.trim().is_empty() {
                    s.ctx.problem(&k, "missing: required when email.enabled = true");
                } else if !value.contains('@') {
                    s.ctx.problem(&k, format!("{value:?} is not an email address"));
                }
            }
            if e.smtp_host.trim().is_empty() {
                let k = s.key("smtp_host");
                s.ctx.problem(&k, "missing: required when email.enabled = true");
            }
        }
        if e.send_on_failures {
            e.send_on_terminal_failures = true;
        }
        e
    }
}

/// `[processing]`: where a worker works and which zaplists it uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Processing {
    /// Directory on the worker under which each job's working directory is made.
    pub base_working_directory: PathBuf,
    /// Zaplist used when no MJD-specific one exists (`None`: palfa's built-in list).
    pub default_zaplist: Option<PathBuf>,
    /// Directory of MJD- or beam-specific zaplists (`None`: not used).
    pub zaplistdir: Option<PathBuf>,
    /// Worker threads (0: all cores).
    pub num_threads: usize,
}

impl Default for Processing {
    /// Working in [`DEFAULT_WORKING_DIR`], palfa's built-in zaplist, every core.
    fn default() -> Self {
        Self {
            base_working_directory: DEFAULT_WORKING_DIR.into(),
            default_zaplist: None,
            zaplistdir: None,
            num_threads: 0,
        }
    }
}

impl Processing {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let d = Self::default();
        Self {
            base_working_directory: s
                .path(
                    "base_working_directory",
                    DEFAULT_WORKING_DIR,
                    PathKind::WritableDir,
                    false,
                )
                .unwrap_or_default(),
            default_zaplist: s.path("default_zaplist", "", PathKind::ReadableFile, true),
            zaplistdir: s.path("zaplistdir", "", PathKind::ReadableDir, true),
            num_threads: s.int("num_threads", d.num_threads as i64, 0, 4096) as usize,
        }
    }
}

/// `[upload]`: what the uploader records about the software.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// Version string stored with every result (default: `palfa:<crate version>`).
    pub version_num: String,
    /// Whether the configuration set `version_num` (the uploader then records
    /// it instead of the build's own `PALFA:<commit>;...` string).
    pub overridden: bool,
}

impl Default for Upload {
    /// `palfa:<crate version>`, not overridden.
    fn default() -> Self {
        Self {
            version_num: format!("palfa:{}", env!("CARGO_PKG_VERSION")),
            overridden: false,
        }
    }
}

impl Upload {
    pub(crate) fn read(s: &mut Section<'_>) -> Self {
        let v = s.string("version_num", "");
        if v.trim().is_empty() {
            Self::default()
        } else {
            Self {
                version_num: v,
                overridden: true,
            }
        }
    }
}
