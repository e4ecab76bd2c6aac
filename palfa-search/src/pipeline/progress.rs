//! Progress and timing of the stages of a whole-beam search.

use std::sync::Mutex;
use std::time::Instant;

use palfa_core::formats::results::StageTiming;

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

/// Times stages, logs one line per stage and keeps the figures for `results.json`.
#[derive(Default)]
pub struct StageTimer {
    timings: Mutex<Vec<StageTiming>>,
}

impl StageTimer {
    /// Runs `f` as stage `name`, reporting progress through `progress`.
    pub fn run<T>(&self, name: &str, total: u64, progress: &dyn StageProgress, f: impl FnOnce() -> T) -> T {
        progress.start(name, total);
        let t0 = Instant::now();
        let out = f();
        let secs = t0.elapsed().as_secs_f64();
        progress.finish();
        tracing::info!(stage = name, seconds = format!("{secs:.2}"), "stage done");
        self.add(name, secs);
        out
    }

    /// Adds `secs` to stage `name` (stages run in pieces accumulate).
    pub fn add(&self, name: &str, secs: f64) {
        let mut t = self.timings.lock().expect("timer lock");
        match t.iter_mut().find(|s| s.stage == name) {
            Some(s) => s.seconds += secs,
            None => t.push(StageTiming {
                stage: name.to_string(),
                seconds: secs,
            }),
        }
    }

    /// The timings so far, in the order stages first ran.
    pub fn timings(&self) -> Vec<StageTiming> {
        self.timings.lock().expect("timer lock").clone()
    }
}
