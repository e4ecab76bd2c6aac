//! Progress and timing of the stages of a whole-beam search.

use std::sync::Mutex;
use std::time::Instant;

use palfa_core::formats::results::StageTiming;

use super::resources::Meter;

/// Receives progress of the stage being run. The CLI draws bars with it; daemons
/// and tests pass [`NoProgress`].
pub trait StageProgress: Sync {
    /// A stage starts, with `total` units of work.
    fn start(&self, stage: &str, total: u64);
    /// `done` units of the current stage are finished.
    fn set(&self, done: u64);
    /// The current stage is over.
    fn finish(&self);
}

/// Ignores progress.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl StageProgress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn set(&self, _done: u64) {}
    fn finish(&self) {}
}

/// Times stages (wall, process CPU, peak resident memory: see
/// [`Meter`]), logs one line per stage and keeps the figures for
/// `results.json`.
#[derive(Default)]
pub struct StageTimer {
    meter: Meter,
    /// Stage names in the order they first ran, with the rows measured
    /// elsewhere.
    order: Mutex<Vec<(String, Option<StageTiming>)>>,
}

impl StageTimer {
    /// Runs `f` as stage `name`, reporting progress through `progress`.
    pub fn run<T>(&self, name: &str, total: u64, progress: &dyn StageProgress, f: impl FnOnce() -> T) -> T {
        progress.start(name, total);
        let t0 = Instant::now();
        self.enter(name);
        let out = f();
        self.leave();
        let secs = t0.elapsed().as_secs_f64();
        progress.finish();
        tracing::info!(stage = name, seconds = format!("{secs:.2}"), "stage done");
        out
    }

    /// Work from now on belongs to stage `name` (until the next `enter` or
    /// [`leave`](Self::leave)); a stage entered again adds up.
    pub fn enter(&self, name: &str) {
        self.meter.enter(Some(name));
        let mut o = self.order.lock().expect("timer lock");
        if !o.iter().any(|(n, _)| n == name) {
            o.push((name.to_string(), None));
        }
    }

    /// The current stage is over.
    pub fn leave(&self) {
        self.meter.enter(None);
    }

    /// Adds a row of `secs` CPU seconds summed over threads (the per-DM
    /// stages, which run interleaved on every thread); rows added again add up.
    pub fn add_core_seconds(&self, name: &str, secs: f64) {
        let mut o = self.order.lock().expect("timer lock");
        match o.iter_mut().find(|(n, _)| n == name) {
            Some((_, Some(row))) => row.seconds += secs,
            _ => o.push((
                name.to_string(),
                Some(StageTiming {
                    stage: name.to_string(),
                    seconds: secs,
                    cpu_seconds: None,
                    peak_rss_mib: None,
                }),
            )),
        }
    }

    /// Adds a row measured elsewhere (the whole search's total).
    pub fn add_row(&self, row: StageTiming) {
        self.order
            .lock()
            .expect("timer lock")
            .push((row.stage.clone(), Some(row)));
    }

    /// The timings so far, in the order stages first ran.
    pub fn timings(&self) -> Vec<StageTiming> {
        let o = self.order.lock().expect("timer lock");
        o.iter()
            .map(|(name, row)| match row {
                Some(r) => r.clone(),
                None => {
                    let c = self.meter.cost(name).unwrap_or_default();
                    StageTiming {
                        stage: name.clone(),
                        seconds: c.wall_s,
                        cpu_seconds: c.cpu_s,
                        peak_rss_mib: c.peak_rss_bytes.map(|b| b as f64 / (1u64 << 20) as f64),
                    }
                }
            })
            .collect()
    }
}
