//! The floors a stage's speed is judged against, measured on the machine at
//! hand in the same run: how fast memory can be copied, and how fast a bare
//! real FFT runs. A stage within a small factor of its floor has little left
//! to win; `palfa bench` prints both beside the stages.

use std::time::Instant;

use rayon::prelude::*;
use realfft::RealFftPlanner;
use serde::Serialize;

/// What [`measure`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Floors {
    /// Bytes copied per second by every thread at once, each byte counted
    /// once read and once written (best of 5 copies of `copy_bytes`).
    pub copy_bytes_per_s: f64,
    /// Size of the buffer copied \[bytes\].
    pub copy_bytes: usize,
    /// Threads that copied.
    pub copy_threads: usize,
    /// Points per second of one thread's forward real FFTs of `fft_len`
    /// points (`realfft`, planned once; best of 5 runs).
    pub realfft_points_per_s: f64,
    /// Length of those FFTs.
    pub fft_len: usize,
}

/// Measures the copy rate of a `copy_bytes` buffer with the current rayon
/// pool and the real-FFT rate at `fft_len` points (about a second at
/// 256 MiB and 2^22 points).
pub fn measure(copy_bytes: usize, fft_len: usize) -> Floors {
    let threads = rayon::current_num_threads();
    let (copy_bytes_per_s, copy_bytes) = copy_rate(copy_bytes, threads);
    Floors {
        copy_bytes_per_s,
        copy_bytes,
        copy_threads: threads,
        realfft_points_per_s: realfft_rate(fft_len),
        fft_len: fft_len.max(2),
    }
}

/// Best rate of 5 parallel copies (2 × bytes per copy per second), and the
/// bytes copied.
fn copy_rate(bytes: usize, threads: usize) -> (f64, usize) {
    let n = (bytes / 4).max(1 << 16);
    let src: Vec<f32> = (0..n).map(|i| i as f32).collect();
    let mut dst = vec![0f32; n];
    let chunk = n.div_ceil(threads.max(1) * 4).max(1 << 14);
    let mut best = 0f64;
    for _ in 0..5 {
        let t0 = Instant::now();
        dst.par_chunks_mut(chunk)
            .zip(src.par_chunks(chunk))
            .for_each(|(d, s)| d.copy_from_slice(s));
        let dt = t0.elapsed().as_secs_f64();
        std::hint::black_box(&dst);
        if dt > 0.0 {
            best = best.max(2.0 * 4.0 * n as f64 / dt);
        }
    }
    (best, 4 * n)
}

/// Best points per second of 5 runs of forward real FFTs of `len` points
/// on this thread (each run at least 0.1 s).
fn realfft_rate(len: usize) -> f64 {
    let len = len.max(2);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
    let mut input: Vec<f32> = (0..len).map(|i| ((i * 7919) % 1013) as f32).collect();
    let mut output = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    let mut best = 0f64;
    for _ in 0..5 {
        let t0 = Instant::now();
        let mut count = 0usize;
        while count == 0 || t0.elapsed().as_secs_f64() < 0.1 {
            // The transform overwrites its input; the timing does not care.
            if fft.process_with_scratch(&mut input, &mut output, &mut scratch).is_err() {
                return 0.0;
            }
            count += 1;
        }
        best = best.max((count * len) as f64 / t0.elapsed().as_secs_f64());
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floors_are_positive_and_plausible() {
        let f = measure(8 << 20, 1 << 16);
        // Any machine copies faster than 100 MB/s and transforms faster
        // than 1e6 points/s; none copies 10 TB/s.
        assert!(f.copy_bytes_per_s > 1e8 && f.copy_bytes_per_s < 1e13, "{f:?}");
        assert!(f.realfft_points_per_s > 1e6, "{f:?}");
        assert_eq!(f.fft_len, 1 << 16);
        assert!(f.copy_bytes >= 8 << 20);
    }
}
