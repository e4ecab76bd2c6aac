//! What the daemon commands (`downloader`, `jobpool`, `uploader`) share: how
//! they loop, and how a signal stops them.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

/// How a daemon loops: forever (until SIGINT/SIGTERM), once, a number of
/// iterations, or until it has nothing left to do.
#[derive(Debug, Args)]
pub struct LoopArgs {
    /// Do one iteration and exit.
    #[arg(long)]
    pub once: bool,
    /// Exit once this daemon has nothing left to do (nothing waiting for it).
    #[arg(long)]
    pub until_idle: bool,
    /// Exit after this many iterations.
    #[arg(long)]
    pub max_iterations: Option<usize>,
    /// Seconds between iterations (default: background.sleep).
    #[arg(long)]
    pub sleep: Option<f64>,
}

impl LoopArgs {
    /// Whether exactly one iteration is asked for.
    pub fn once(&self) -> bool {
        self.once || self.max_iterations == Some(1)
    }

    /// The pause between iterations: `--sleep`, else `background.sleep` \[s\].
    pub fn sleep(&self, background_sleep_s: f64) -> Duration {
        Duration::from_secs_f64(self.sleep.unwrap_or(background_sleep_s).max(0.0))
    }

    /// The iteration limit, if any.
    pub fn max_iterations(&self) -> Option<usize> {
        if self.once() {
            Some(1)
        } else {
            self.max_iterations
        }
    }

    /// Whether an iteration's error ends the run (a run meant to end reports
    /// it; a daemon logs it and tries again).
    pub fn stop_on_error(&self) -> bool {
        self.once() || self.until_idle
    }
}

/// A flag raised by SIGINT or SIGTERM; a second signal while stopping ends
/// the process at once.
pub fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    Ok(stop)
}
