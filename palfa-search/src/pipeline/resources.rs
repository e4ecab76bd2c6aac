//! What a stage costs the machine: CPU time and resident memory of this
//! process, read from Linux's `/proc` (elsewhere the figures are absent).
//!
//! A [`Meter`] attributes the process's CPU time and wall time to named
//! phases as the work moves from one to the next, and samples resident memory
//! on a thread of its own every [`SAMPLE_INTERVAL`], keeping each phase's
//! largest value. It does not touch the process's own peak-memory counter.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the resident memory is sampled.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(20);

/// CPU seconds (user + system, all threads) this process has used so far,
/// from `/proc/self/stat`; its clock ticks are USER_HZ, which Linux fixes at
/// 100 for user space. `None` where there is no such file.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (in parentheses, which may hold spaces):
    // utime and stime are the 12th and 13th.
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok());
    Some((tick(11)? + tick(12)?) / 100.0)
}

/// A `kB` field of `/proc/self/status` in bytes.
fn status_bytes(key: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// Resident memory of this process now \[bytes\].
pub fn rss_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Largest resident memory of this process since it started \[bytes\].
pub fn peak_rss_bytes() -> Option<u64> {
    status_bytes("VmHWM:")
}

/// One phase's figures.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseCost {
    /// Wall-clock seconds spent in the phase.
    pub wall_s: f64,
    /// Process CPU seconds (all threads) spent in the phase.
    pub cpu_s: Option<f64>,
    /// Largest resident memory sampled during the phase \[bytes\].
    pub peak_rss_bytes: Option<u64>,
}

#[derive(Default)]
struct State {
    /// The phase now running, when it started and the CPU time then.
    current: Option<(String, Instant, Option<f64>)>,
    costs: HashMap<String, PhaseCost>,
}

impl State {
    fn note_rss(&mut self, rss: u64) {
        if let Some((name, _, _)) = &self.current {
            let c = self.costs.entry(name.clone()).or_default();
            c.peak_rss_bytes = Some(c.peak_rss_bytes.unwrap_or(0).max(rss));
        }
    }
}

/// Attributes wall time, CPU time and peak resident memory to phases.
pub struct Meter {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<()>>,
}

impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}

impl Meter {
    /// Starts the memory sampler (where `/proc` has the figures).
    pub fn new() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = rss_bytes().and_then(|_| {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("palfa-rss".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        if let (Some(rss), Ok(mut s)) = (rss_bytes(), state.lock()) {
                            s.note_rss(rss);
                        }
                        std::thread::park_timeout(SAMPLE_INTERVAL);
                    }
                })
                .ok()
        });
        Self { state, stop, sampler }
    }

    /// Ends the current phase and starts `name` (`None`: no phase). Time in a
    /// phase entered again adds up.
    pub fn enter(&self, name: Option<&str>) {
        let now = Instant::now();
        let cpu = process_cpu_seconds();
        let rss = rss_bytes();
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        if let Some(r) = rss {
            s.note_rss(r);
        }
        if let Some((old, t0, cpu0)) = s.current.take() {
            let c = s.costs.entry(old).or_default();
            c.wall_s += (now - t0).as_secs_f64();
            if let (Some(a), Some(b)) = (cpu0, cpu) {
                c.cpu_s = Some(c.cpu_s.unwrap_or(0.0) + (b - a).max(0.0));
            }
        }
        if let Some(n) = name {
            s.current = Some((n.to_string(), now, cpu));
            if let Some(r) = rss {
                s.note_rss(r);
            }
        }
    }

    /// The figures of phase `name` so far (a running phase's up to its last
    /// change).
    pub fn cost(&self, name: &str) -> Option<PhaseCost> {
        self.state.lock().ok()?.costs.get(name).cloned()
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.sampler.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
