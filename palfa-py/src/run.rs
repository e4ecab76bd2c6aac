//! Long calls off the Python thread: the work runs on a worker thread while
//! the calling thread, without the GIL, waits in short slices and checks for
//! signals between them, so Ctrl-C raises `KeyboardInterrupt` at once.
//!
//! The engine has no cancellation hook, so an interrupted call's worker thread
//! is left to finish the work it was given in the background (a search still
//! writes its results directory); its result is dropped.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, RecvTimeoutError};
use std::time::Duration;

use pyo3::prelude::*;

use crate::errors;

/// How long the calling thread waits between two checks for signals.
const SLICE: Duration = Duration::from_millis(50);

/// Runs `work` on a worker thread and returns its result; a signal handler
/// that raises (Ctrl-C: `KeyboardInterrupt`) ends the wait with its exception.
pub(crate) fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = sync_channel(1);
    std::thread::Builder::new()
        .name("palfa-py".into())
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
        })
        .map_err(errors::other)?;
    let mut rx = rx;
    loop {
        // The receiver is `Send` but not `Sync`: it goes into the GIL-free
        // closure and comes back out.
        let (back, got) = py.allow_threads(move || {
            let got = rx.recv_timeout(SLICE);
            (rx, got)
        });
        rx = back;
        match got {
            Ok(Ok(v)) => return Ok(v),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                return Err(errors::PalfaError::new_err(format!("palfa failed: {msg}")));
            }
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(errors::PalfaError::new_err(
                    "palfa's worker thread ended without a result",
                ))
            }
        }
    }
}
