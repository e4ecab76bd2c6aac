//! Errors of the search engine.

use std::path::PathBuf;

use palfa_core::FormatError;

/// Why a search step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// Reading or writing a data file failed.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Another file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Parameters that cannot work for this data (the message says why).
    #[error("invalid parameters: {0}")]
    Params(String),
    /// The input holds no data to work on (the message says which).
    #[error("no data: {0}")]
    NoData(String),
    /// Two inputs that must agree do not (a mask made for another beam, say).
    #[error("mismatch: {0}")]
    Mismatch(String),
    /// A pulsar catalogue that cannot be read (`line` 0: the file as a whole).
    #[error("{}{}: {message}", path.display(), if *line > 0 { format!(" line {line}") } else { String::new() })]
    Catalogue {
        /// The catalogue file (`<built-in>` for palfa's own).
        path: PathBuf,
        /// The line (1-based; 0 when not about one line).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Drawing a plot failed.
    #[error("plotting {}: {message}", path.display())]
    Plot {
        /// The image being drawn.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

impl SearchError {
    /// Wraps an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

/// Shorthand for results of the search engine.
pub type SearchResult<T> = Result<T, SearchError>;
