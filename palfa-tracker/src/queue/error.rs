//! Errors of the queue managers.

use std::path::PathBuf;

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// A queue command could not be started.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A queue command ran too long and was killed.
    #[error("`{command}` did not finish within {seconds} s")]
    Timeout {
        /// The command line.
        command: String,
        /// The limit \[s\].
        seconds: u64,
    },
    /// A queue command failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status, as text.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
    /// The queue said no: it certainly did not take the job (a submit
    /// command's answer that names a refusal, not a lost connection).
    #[error("`{command}` was refused ({status}): {stderr}")]
    Refused {
        /// The command line.
        command: String,
        /// Its exit status, as text.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
    /// A queue command's output was not understood.
    #[error("cannot understand the output of `{command}`: {message}: {output:?}")]
    Parse {
        /// The command line.
        command: String,
        /// What was expected.
        message: String,
        /// The output.
        output: String,
    },
    /// A job's state directory or file could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The local worker did not start.
    #[error("the local job {token} did not start within {seconds} s (see {})", dir.display())]
    NotStarted {
        /// The submission's token.
        token: String,
        /// Its state directory.
        dir: PathBuf,
        /// How long palfa waited \[s\].
        seconds: u64,
    },
    /// A token that is not palfa's (tokens are `palfa_` and letters, digits, `_`).
    #[error("{0:?} is not a palfa submission token")]
    BadToken(String),
    /// The token was used before.
    #[error("a submission with token {0} exists already")]
    DuplicateToken(String),
}

impl QueueError {
    /// Whether this error, returned by [`QueueManager::submit`](super::QueueManager::submit),
    /// means for certain that the queue does not hold the job: the queue said
    /// no, the command could not be started, or palfa failed before it asked.
    ///
    /// Anything else (a time-out, a command that failed after talking to the
    /// queue, an answer not understood, a local job slow to start) leaves it
    /// unclear, and the submission must not be made again until the queue has
    /// been asked for its token ([`QueueManager::lookup`](super::QueueManager::lookup)).
    pub fn is_certain_refusal(&self) -> bool {
        matches!(
            self,
            QueueError::Refused { .. }
                | QueueError::Spawn { .. }
                | QueueError::Io { .. }
                | QueueError::BadToken(_)
                | QueueError::DuplicateToken(_)
        )
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        QueueError::Io {
            path: path.into(),
            source,
        }
    }
}
