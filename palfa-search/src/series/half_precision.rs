//! [`HalfSeries`]: a dedispersed series kept in half precision while it waits
//! to be searched.
//!
//! The per-DM searches hold a whole group of dedispersed series in memory (a
//! full-resolution pass of a PALFA beam is 76 series of 2^22 samples: 1.27 GB
//! in `f32`). A series of normalised channels is noise of known rms
//! (√(channels × downsampling)), so its samples are stored as IEEE 754
//! binary16 in units of the power of two nearest that rms: rounding keeps 11
//! significant bits (relative error at most 2^−11 ≈ 4.9e-4, adding about
//! 1e-7 of the noise's variance), and the range reaches ±65504 units (tens of
//! thousands of σ; samples beyond saturate there). Widening back to `f32`
//! multiplies by the power of two, so it is exact. The conversions are the
//! `half` crate's (F16C instructions where the CPU has them, chosen at run
//! time).

use half::f16;
use half::slice::HalfFloatSliceExt;
use palfa_core::formats::presto::InfFile;

use super::TimeSeries;

/// Largest finite binary16 value.
const HALF_MAX: f32 = 65504.0;

/// Samples converted per step (a stack buffer).
const CHUNK: usize = 1024;

/// A time series stored in half precision (see the module documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct HalfSeries {
    /// Metadata; `info.n` equals [`len`](Self::len).
    pub info: InfFile,
    samples: Vec<f16>,
    /// The value of 1.0 in `samples` (a power of two).
    unit: f32,
}

impl HalfSeries {
    /// `n` zero samples for a series whose noise rms is about `rms` (in the
    /// units of the `f32` samples that will be [`put`](Self::put)).
    pub fn zeros(info: InfFile, n: usize, rms: f32) -> Self {
        Self {
            info,
            samples: vec![f16::ZERO; n],
            unit: unit_for(rms),
        }
    }

    /// `s` in half precision, for a noise rms of about `rms`.
    pub fn from_series(s: &TimeSeries, rms: f32) -> Self {
        let mut h = Self::zeros(s.info.clone(), s.data.len(), rms);
        h.put(0, &s.data);
        h
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// True when the series has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Observation length \[s\].
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 * self.info.dt
    }

    /// Bytes the samples take.
    pub fn bytes(&self) -> usize {
        self.samples.len() * 2
    }

    /// Stores `values` as samples `[at, at + values.len())`, rounded to
    /// the nearest half (saturating at ±65504 units; NaN stays NaN).
    ///
    /// # Panics
    /// If the samples run past the end of the series.
    pub fn put(&mut self, at: usize, values: &[f32]) {
        let inv = 1.0 / self.unit;
        let dst = &mut self.samples[at..at + values.len()];
        let mut buf = [0f32; CHUNK];
        for (d, v) in dst.chunks_mut(CHUNK).zip(values.chunks(CHUNK)) {
            let b = &mut buf[..v.len()];
            for (x, &y) in b.iter_mut().zip(v) {
                *x = (y * inv).clamp(-HALF_MAX, HALF_MAX);
            }
            d.convert_from_f32_slice(b);
        }
    }

    /// The samples widened to `f32` into `out` (its metadata replaced by a
    /// copy of this one's, its buffer reused).
    pub fn widen_into(&self, out: &mut TimeSeries) {
        out.info.clone_from(&self.info);
        out.data.resize(self.samples.len(), 0.0);
        self.samples.convert_to_f32_slice(&mut out.data);
        let unit = self.unit;
        if unit != 1.0 {
            for x in out.data.iter_mut() {
                *x *= unit;
            }
        }
    }

    /// The series widened to `f32`.
    pub fn to_series(&self) -> TimeSeries {
        let mut out = TimeSeries {
            info: self.info.clone(),
            data: Vec::new(),
        };
        self.widen_into(&mut out);
        out
    }
}

/// The power of two nearest `rms` (1 for a non-finite or non-positive
/// `rms`), kept within 2^±100 so that its inverse is a normal `f32`.
fn unit_for(rms: f32) -> f32 {
    if rms.is_finite() && rms > 0.0 {
        (rms.log2().round().clamp(-100.0, 100.0) as i32 as f32).exp2()
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(n: usize) -> InfFile {
        let beam = palfa_core::BeamHeader::for_band(64, 1400.0, 1.0, 1e-3);
        TimeSeries::info_for(&beam, 10.0, 1e-3, n as u64)
    }

    fn series(data: Vec<f32>) -> TimeSeries {
        TimeSeries {
            info: info(data.len()),
            data,
        }
    }

    #[test]
    fn round_trip_keeps_eleven_bits_of_every_sample() {
        // Noise of rms 31 (960 channels summed) with a few large pulses.
        let mut x: Vec<f32> = (0..10_000)
            .map(|i| 31.0 * ((i as f32 * 0.618).sin() + (i as f32 * 0.1).cos()))
            .collect();
        x[17] = 5000.0;
        x[18] = -123_456.0;
        let s = series(x.clone());
        let h = HalfSeries::from_series(&s, 31.0);
        assert_eq!(h.unit, 32.0);
        assert_eq!(h.bytes(), 20_000);
        let back = h.to_series();
        assert_eq!(back.info, s.info);
        for (a, b) in x.iter().zip(&back.data) {
            // Relative error 2^-11, or the absolute error of the smallest
            // normal half (2^-14 units) for tiny values.
            let tol = a.abs() * 4.9e-4 + 32.0 * 6.2e-5;
            assert!((a - b).abs() <= tol, "{a} -> {b}");
        }
        // Widening is exact: the power-of-two unit only moves the exponent.
        let again = HalfSeries::from_series(&back, 31.0).to_series();
        assert_eq!(again.data, back.data);
    }

    #[test]
    fn saturates_far_outside_the_noise_and_keeps_nan() {
        let s = series(vec![1e9, -1e9, f32::NAN, 0.0]);
        let back = HalfSeries::from_series(&s, 1.0).to_series();
        assert_eq!(&back.data[..2], &[HALF_MAX, -HALF_MAX]);
        assert!(back.data[2].is_nan());
        assert_eq!(back.data[3], 0.0);
    }

    #[test]
    fn put_writes_only_its_range_and_widen_reuses_the_buffer() {
        let mut h = HalfSeries::zeros(info(3000), 3000, 4.0);
        h.put(1000, &vec![2.5f32; 1500]);
        let mut out = series(vec![7.0; 10]);
        h.widen_into(&mut out);
        assert_eq!(out.data.len(), 3000);
        assert!(out.data[..1000].iter().all(|&v| v == 0.0));
        assert!(out.data[1000..2500].iter().all(|&v| v == 2.5));
        assert!(out.data[2500..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn unit_is_a_power_of_two_near_the_rms() {
        assert_eq!(unit_for(31.0), 32.0);
        assert_eq!(unit_for(0.3), 0.25);
        assert_eq!(unit_for(0.0), 1.0);
        assert_eq!(unit_for(f32::NAN), 1.0);
        assert_eq!(unit_for(1e38), 2f32.powi(100));
    }
}
