//! The palfa configuration: one TOML file, checked on load.
//!
//! The file has the sections of the original pipeline's configuration groups:
//! `[basic]`, `[background]`, `[commondb]`, `[download]`, `[email]`,
//! `[jobpooler]`, `[processing]`, `[searching]` and `[upload]`. Every key has a
//! documented default (see `palfa.example.toml`), so an empty file is a valid
//! configuration; relative paths are relative to the file's directory.
//!
//! Loading checks everything at once — wrong types, values out of range, unknown
//! keys, directories that do not exist or cannot be written, keys required by
//! another setting — and [`ConfigError::Invalid`] lists every problem with the
//! file and the key. Passwords can come from environment variables
//! (`PALFA_COMMONDB_PASSWORD`, `PALFA_API_PASSWORD`, `PALFA_FTP_PASSWORD`,
//! `PALFA_SMTP_PASSWORD`) instead of the file; a file that holds a password and
//! is readable by others gives a warning. Secrets never appear in `Debug` output.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! for d in ["logs", "qsublog", "rawdata", "work", "results"] {
//!     std::fs::create_dir(dir.path().join(d))?;
//! }
//! let path = dir.path().join("palfa.toml");
//! std::fs::write(&path, "[jobpooler]\nmax_jobs_running = 4\n")?;
//! let cfg = palfa_core::config::Config::load(&path)?;
//! assert_eq!(cfg.jobpooler.max_jobs_running, 4);
//! assert_eq!(cfg.searching.lo_accel.numharm, 16);
//!
//! std::fs::write(&path, "[jobpooler]\nmax_jobs_queue = 0\nmax_attempts = \"two\"\n")?;
//! let err = palfa_core::config::Config::load(&path).unwrap_err();
//! let text = err.to_string();
//! assert!(text.contains("jobpooler.max_jobs_queue") && text.contains("jobpooler.max_attempts"));
//! # Ok(()) }
//! ```

mod jobpooler;
mod known;
mod reader;
mod searching;
mod secret;
mod sections;
mod write;

use std::path::{Path, PathBuf};

pub use jobpooler::{
    JobPooler, PbsSettings, QueueManagerKind, SlurmSettings, DEFAULT_RESULTS_DIR, DEFAULT_SUBMIT_GRACE_S,
};
pub use known::{KnownParams, ALFA_BEAM_RADIUS_DEG};
pub use searching::{
    AccelParams, DdplanChoice, DedispParams, DynamicZapParams, FfaParams, RedNoiseParams, RfiParams, Searching,
    SiftParams, SinglePulseParams, DEFAULT_ACCEL_FHI_HZ, DEFAULT_NSUB, DEFAULT_RFIFIND_CLIP, DEFAULT_TO_PREPFOLD_SIGMA,
    SIFTING_SIGMA_MARGIN,
};
pub use secret::Secret;
pub use sections::{
    Background, Basic, CommonDb, CommonDbBackend, Download, Email, Processing, SmtpSecurity, Upload,
    DEFAULT_DOWNLOAD_DIR, DEFAULT_JOBTRACKER_DB, DEFAULT_LOG_DIR, DEFAULT_QSUBLOG_DIR, DEFAULT_RESULTS_DB,
    DEFAULT_WORKING_DIR,
};
pub use write::{toml_differences, KeyDifference};

use reader::{Ctx, Section};

/// Environment variable naming the configuration file.
pub const CONFIG_ENV: &str = "PALFA_CONFIG";
/// File name looked for in the current directory.
pub const DEFAULT_FILE: &str = "palfa.toml";

/// The names of the sections, in file order.
pub const SECTIONS: &[&str] = &[
    "basic",
    "background",
    "commondb",
    "download",
    "email",
    "jobpooler",
    "processing",
    "searching",
    "upload",
];

/// One thing wrong with a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The file.
    pub file: PathBuf,
    /// The key, as `section.key`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file.display(), self.key, self.message)
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}: not valid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The file parses, but has problems; all of them are listed.
    #[error("{} problem(s) in the configuration:\n{}", problems.len(), problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// Every problem found.
        problems: Vec<ConfigProblem>,
    },
}

/// The whole, checked configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was loaded from (`None`: built-in defaults).
    pub source: Option<PathBuf>,
    /// `[basic]`.
    pub basic: Basic,
    /// `[background]`.
    pub background: Background,
    /// `[commondb]`.
    pub commondb: CommonDb,
    /// `[download]`.
    pub download: Download,
    /// `[email]`.
    pub email: Email,
    /// `[jobpooler]`.
    pub jobpooler: JobPooler,
    /// `[processing]`.
    pub processing: Processing,
    /// `[searching]`.
    pub searching: Searching,
    /// `[upload]`.
    pub upload: Upload,
    /// Things worth telling the operator that do not stop loading.
    pub warnings: Vec<String>,
}

impl Config {
    /// Loads and checks the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::load_with(path.as_ref(), false).map(|(cfg, _)| cfg)
    }

    /// Loads the file at `path` like [`load`](Self::load), except that a path
    /// failing its check on this machine (a directory missing or not
    /// writable, a file not readable) does not make it invalid: those
    /// problems are returned beside the configuration, for `palfa check` to
    /// report with the check of the service concerned.
    pub fn load_deferring_paths(path: impl AsRef<Path>) -> Result<(Self, Vec<ConfigProblem>), ConfigError> {
        Self::load_with(path.as_ref(), true)
    }

    fn load_with(path: &Path, defer_paths: bool) -> Result<(Self, Vec<ConfigProblem>), ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = std::fs::canonicalize(&base).unwrap_or(base);
        let (cfg, _) = Self::parse_impl(&text, path, &base, defer_paths);
        let (mut cfg, deferred) = cfg?;
        cfg.source = Some(path.to_path_buf());
        Ok((cfg, deferred))
    }

    /// Parses configuration text; `path` names it in messages and relative
    /// paths are resolved against `base_dir`.
    pub fn parse(text: &str, path: &Path, base_dir: &Path) -> Result<Self, ConfigError> {
        Self::parse_with(text, path, base_dir).0
    }

    /// Parses like [`parse`](Self::parse), except that paths are not checked
    /// on this machine (their problems are dropped): for configuration text
    /// recorded elsewhere ([`Searching::from_toml`]).
    pub(crate) fn parse_deferring_paths(text: &str, path: &Path, base_dir: &Path) -> Result<Self, ConfigError> {
        Self::parse_impl(text, path, base_dir, true).0.map(|(cfg, _)| cfg)
    }

    /// Parses, and also returns every key the readers know (for tests of the example file).
    fn parse_with(text: &str, path: &Path, base_dir: &Path) -> (Result<Self, ConfigError>, Vec<String>) {
        let (r, keys) = Self::parse_impl(text, path, base_dir, false);
        (r.map(|(cfg, _)| cfg), keys)
    }

    /// Parses; with `defer_paths`, path problems are returned beside the configuration.
    #[allow(clippy::type_complexity)]
    fn parse_impl(
        text: &str,
        path: &Path,
        base_dir: &Path,
        defer_paths: bool,
    ) -> (Result<(Self, Vec<ConfigProblem>), ConfigError>, Vec<String>) {
        let doc: toml::Table = match text.parse() {
            Ok(d) => d,
            Err(e) => {
                let e: toml::de::Error = e;
                let err = ConfigError::Syntax {
                    path: path.to_path_buf(),
                    message: e.to_string().trim().to_string(),
                };
                return (Err(err), Vec::new());
            }
        };
        let mut ctx = Ctx::new(path, base_dir);
        ctx.defer_paths = defer_paths;
        for key in doc.keys() {
            if !SECTIONS.contains(&key.as_str()) {
                ctx.problem(
                    key,
                    format!(
                        "unknown section or top-level key (sections are {})",
                        SECTIONS.join(", ")
                    ),
                );
            }
        }
        macro_rules! section {
            ($name:literal, $ty:ty) => {{
                let mut s = Section::new(&doc, $name, &mut ctx);
                let v = <$ty>::read(&mut s);
                s.finish();
                v
            }};
        }
        let basic = section!("basic", Basic);
        let background = section!("background", Background);
        let commondb = section!("commondb", CommonDb);
        let download = section!("download", Download);
        let email = section!("email", Email);
        let jobpooler = section!("jobpooler", JobPooler);
        let processing = section!("processing", Processing);
        let searching = section!("searching", Searching);
        let upload = section!("upload", Upload);
        if !ctx.secrets_in_file.is_empty() {
            if let Some(mode) = world_or_group_readable(path) {
                ctx.warnings.push(format!(
                    "{} holds a password ({}) and is readable by others (mode {mode:o}): `chmod 600` it, or give the password in an environment variable",
                    path.display(),
                    ctx.secrets_in_file.join(", ")
                ));
            }
        }
        if !ctx.problems.is_empty() {
            return (Err(ConfigError::Invalid { problems: ctx.problems }), ctx.known_keys);
        }
        let cfg = Self {
            source: None,
            basic,
            background,
            commondb,
            download,
            email,
            jobpooler,
            processing,
            searching,
            upload,
            warnings: ctx.warnings,
        };
        (Ok((cfg, ctx.path_problems)), ctx.known_keys)
    }

    /// Every `section.key` the reader knows, in reading order: for tests that
    /// check documentation (`docs/config.md`) against the reader.
    #[doc(hidden)]
    pub fn known_keys() -> Vec<String> {
        let dir = std::env::temp_dir();
        Self::parse_with("", &dir.join(DEFAULT_FILE), &dir).1
    }

    /// Finds the configuration file: `explicit` if given, else `$PALFA_CONFIG`,
    /// else `./palfa.toml` if it exists.
    pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
        if let Some(p) = explicit {
            return Some(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Some(PathBuf::from(p));
        }
        let local = PathBuf::from(DEFAULT_FILE);
        local.exists().then_some(local)
    }

    /// The built-in configuration, in memory: every section's `Default`
    /// (what an empty file gives), with relative paths left relative to the
    /// current directory, and searches working in a private directory under
    /// the system's temporary directory (a search's [`Processing`] working
    /// directory is [`std::env::temp_dir`]; each search makes and removes its own
    /// `<beam>.<pid>` there). Nothing is created, read or checked on disk.
    ///
    /// ```
    /// let cfg = palfa_core::config::Config::builtin();
    /// assert!(cfg.source.is_none());
    /// assert_eq!(cfg.searching, palfa_core::config::Searching::default());
    /// assert_eq!(cfg.processing.base_working_directory, std::env::temp_dir());
    /// ```
    pub fn builtin() -> Self {
        Self {
            source: None,
            basic: Basic::default(),
            background: Background::default(),
            commondb: CommonDb::default(),
            download: Download::default(),
            email: Email::default(),
            jobpooler: JobPooler::default(),
            processing: Processing {
                base_working_directory: std::env::temp_dir(),
                ..Processing::default()
            },
            searching: Searching::default(),
            upload: Upload::default(),
            warnings: Vec::new(),
        }
    }

    /// The configuration every command uses: the file [`Config::locate`] finds
    /// (`explicit`, else `$PALFA_CONFIG`, else `./palfa.toml`), loaded and
    /// checked, or [`Config::builtin`] when there is none. A file that is named
    /// but missing or invalid is an error, never replaced by the defaults.
    pub fn load_or_builtin(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        match Self::locate(explicit) {
            Some(path) => Self::load(path),
            None => Ok(Self::builtin()),
        }
    }

    /// The built-in defaults with every directory under `root`, creating the
    /// directories. This is the configuration of a fresh self-contained set-up
    /// (`palfa config init`, the demo); to run without a file, use
    /// [`Config::builtin`], which creates nothing.
    pub fn defaults_in(root: &Path) -> Result<Self, ConfigError> {
        for d in DEFAULT_DIRS {
            std::fs::create_dir_all(root.join(d)).map_err(|source| ConfigError::Io {
                path: root.join(d),
                source,
            })?;
        }
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        Self::parse("", &root.join(DEFAULT_FILE), &root)
    }
}

/// Directories the defaults name, relative to the configuration's directory.
pub const DEFAULT_DIRS: &[&str] = &[
    DEFAULT_LOG_DIR,
    DEFAULT_QSUBLOG_DIR,
    DEFAULT_DOWNLOAD_DIR,
    DEFAULT_WORKING_DIR,
    DEFAULT_RESULTS_DIR,
];

#[cfg(unix)]
fn world_or_group_readable(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn world_or_group_readable(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests;
