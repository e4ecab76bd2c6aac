//! Where the dedispersion writes its series: in `f32` ([`TimeSeries`]) or in
//! half precision ([`HalfSeries`], half the memory, for normalised channels).

use palfa_core::formats::presto::InfFile;

use crate::series::{HalfSeries, TimeSeries};

/// A dedispersed series as the engine fills it, a stretch of samples at a time.
pub trait SeriesStore: Send + Sized {
    /// Bytes each sample takes (what [`super::dedisperse_plan`] counts
    /// against its budget).
    const BYTES_PER_SAMPLE: u64;
    /// Whether the samples must be of normalised channels (noise of the rms
    /// passed to [`zeros`](Self::zeros)).
    const NEEDS_NORMALISED: bool;
    /// `n` zero samples; `rms` is the expected noise rms of the samples.
    fn zeros(info: InfFile, n: usize, rms: f32) -> Self;
    /// Writes `values` as samples `[at, at + values.len())`.
    fn put(&mut self, at: usize, values: &[f32]);
}

impl SeriesStore for TimeSeries {
    const BYTES_PER_SAMPLE: u64 = 4;
    const NEEDS_NORMALISED: bool = false;

    fn zeros(info: InfFile, n: usize, _rms: f32) -> Self {
        TimeSeries {
            info,
            data: vec![0.0; n],
        }
    }

    fn put(&mut self, at: usize, values: &[f32]) {
        self.data[at..at + values.len()].copy_from_slice(values);
    }
}

impl SeriesStore for HalfSeries {
    const BYTES_PER_SAMPLE: u64 = 2;
    const NEEDS_NORMALISED: bool = true;

    fn zeros(info: InfFile, n: usize, rms: f32) -> Self {
        HalfSeries::zeros(info, n, rms)
    }

    fn put(&mut self, at: usize, values: &[f32]) {
        HalfSeries::put(self, at, values);
    }
}
