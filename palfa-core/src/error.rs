//! Errors of the data-format readers and writers.
//!
//! Every error names the file it concerns and says what is wrong with it, so
//! that a front end can print it as is. [`FormatErrorKind`] lets a caller (or a
//! test) tell the cases apart without parsing the message.

use std::path::{Path, PathBuf};

/// An error reading or writing a data file, with the file's path.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct FormatError {
    /// The file concerned.
    pub path: PathBuf,
    /// What went wrong.
    pub kind: FormatErrorKind,
}

impl FormatError {
    /// Builds an error for `path`.
    pub fn new(path: impl AsRef<Path>, kind: FormatErrorKind) -> Self {
        Self {
            path: path.as_ref().to_path_buf(),
            kind,
        }
    }

    /// Wraps an I/O error for `path`.
    pub fn io(path: impl AsRef<Path>, err: std::io::Error) -> Self {
        Self::new(path, FormatErrorKind::Io(err))
    }
}

/// What is wrong with a data file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatErrorKind {
    /// The operating system refused a read or write.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ends before the data its header promises.
    #[error("file is truncated: {what} needs {expected} bytes but only {found} are there")]
    Truncated {
        /// The part of the file that is cut short.
        what: String,
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file does not start the way its format requires.
    #[error("not a {format} file: {reason}")]
    BadMagic {
        /// The format that was expected.
        format: &'static str,
        /// What was found instead.
        reason: String,
    },
    /// A required header keyword is absent.
    #[error("header keyword {0} is missing")]
    MissingKeyword(String),
    /// A header keyword has a value that cannot be used.
    #[error("header keyword {key} = {value:?} is invalid: {reason}")]
    BadKeyword {
        /// The keyword.
        key: String,
        /// Its value as written.
        value: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A sample bit depth that palfa does not read or write.
    #[error("{0} bits per sample is not supported (1, 2, 4, 8, 16 and 32 are)")]
    UnsupportedNbits(u32),
    /// The header declares no frequency channels.
    #[error("the header declares zero frequency channels")]
    ZeroChannels,
    /// The file holds no samples at all.
    #[error("the file holds no data: {0}")]
    NoData(String),
    /// Header values contradict each other or the file.
    #[error("inconsistent header: {0}")]
    Inconsistent(String),
    /// Valid input that palfa does not handle (a fold-mode PSRFITS file, say).
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Shorthand for results of the format readers and writers.
pub type FormatResult<T> = Result<T, FormatError>;
