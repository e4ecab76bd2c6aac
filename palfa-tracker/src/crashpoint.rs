//! Named points where a test can kill the process, to prove that a crash at
//! each step of a protocol loses and duplicates nothing.
//!
//! With `PALFA_CRASH_AT=<name>` (or `<name>:<n>`, the `n`-th time, from 1) in
//! the environment, the process sends itself `SIGKILL` when it reaches that
//! point: the same death as a power cut or the kernel's OOM killer, with no
//! destructor or buffer flush. Without the variable, [`hit`] costs one atomic
//! load. The points are listed in `docs/tracker.md`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable that arms a crash point.
pub const CRASH_ENV: &str = "PALFA_CRASH_AT";

fn armed() -> &'static Option<(String, u64)> {
    static ARMED: OnceLock<Option<(String, u64)>> = OnceLock::new();
    ARMED.get_or_init(|| {
        let v = std::env::var(CRASH_ENV).ok()?;
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        Some(match v.rsplit_once(':') {
            Some((name, n)) if n.parse::<u64>().is_ok() => (name.to_string(), n.parse::<u64>().unwrap_or(1).max(1)),
            _ => (v.to_string(), 1),
        })
    })
}

/// Kills this process with `SIGKILL` if `PALFA_CRASH_AT` names `point` and
/// this is the time it asks for.
pub fn hit(point: &str) {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let Some((name, n)) = armed() else { return };
    if name != point {
        return;
    }
    if COUNT.fetch_add(1, Ordering::SeqCst) + 1 == *n {
        tracing::warn!(point, "{CRASH_ENV}: killing this process");
        let me = rustix::process::getpid();
        let _ = rustix::process::kill_process(me, rustix::process::Signal::KILL);
        // SIGKILL cannot be caught; this is never reached.
        std::process::abort();
    }
}
