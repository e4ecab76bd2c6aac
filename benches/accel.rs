//! Benchmarks of the periodicity search stages on one 2^20-point series (PALFA
//! series are 2^22 points at downsampling 1): FFT, red-noise whitening,
//! zapping a 1000-bird list, the low pass (zmax 0, 16 harmonics) and the high
//! pass (zmax 50, 8 harmonics), each on one core; and the FFT of a series
//! whose length has large prime factors (the 274.6-s PALFA beam's ds-3 series,
//! 2^22 / 3 = 1 398 101 = 23·89·683 points) at its own length and padded to a
//! smooth one (1 399 680 = 2^7·3^7·5), as the survey's search does. With
//! `PALFA_BENCH_CPU=1`, also each stage's thread CPU time, the correlation
//! FFTs alone, and the high pass on a 2^22-point series (the plane 0.37 GB).
//!
//! `cargo bench -p palfa-search --bench accel -- --quick`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palfa_core::config::{AccelParams, RedNoiseParams};
use palfa_core::formats::presto::zaplist::{Bird, Zaplist};
use palfa_core::formats::presto::InfFile;
use palfa_search::accel::{AccelConfig, AccelSearcher};
use palfa_search::spectrum::SpectrumMaker;
use palfa_search::zap::apply_zaplist;
use palfa_search::{rednoise, AccelPass, TimeSeries};

const N: usize = 1 << 20;
const DT: f64 = 65.476e-6;
const RED: RedNoiseParams = RedNoiseParams {
    startwidth: 6,
    endwidth: 100,
    endfreq_hz: 6.0,
};

/// The PALFA beam's ds-3 series length (23·89·683).
const N_ODD: usize = 1_398_101;

fn series() -> TimeSeries {
    series_of(N)
}

fn series_of(n: usize) -> TimeSeries {
    // Noise from a fixed linear congruential generator (uniform, unit variance)
    // plus a 4.16-ms pulsar: the content hardly matters for the timing.
    let mut s = 12345u64;
    let data = (0..n)
        .map(|i| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let ph = (i as f64 * DT / 4.1573e-3).fract();
            u * 3.46 + if ph < 0.05 { 0.3 } else { 0.0 }
        })
        .collect();
    TimeSeries {
        info: InfFile {
            n: n as u64,
            dt: DT,
            ..InfFile::default()
        },
        data,
    }
}

/// CPU time of this thread \[s\] (Linux), so that figures measured on a busy
/// shared machine are per core rather than wall-clock.
fn thread_cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(text.split_whitespace().next()?.parse::<f64>().ok()? * 1e-9)
}

/// Prints the mean thread CPU time of `reps` runs of `f` on a 2^20-point series.
fn cpu_time(name: &str, reps: usize, f: impl FnMut()) {
    cpu_time_of(name, reps, N, f);
}

/// Prints the mean thread CPU time of `reps` runs of `f` on an `n`-point series.
fn cpu_time_of(name: &str, reps: usize, n: usize, mut f: impl FnMut()) {
    f();
    let Some(t0) = thread_cpu_s() else {
        return;
    };
    for _ in 0..reps {
        f();
    }
    if let Some(t1) = thread_cpu_s() {
        let per = (t1 - t0) / reps as f64;
        let what = if n == N { "2^20".to_string() } else { n.to_string() };
        println!(
            "cpu time {name}: {:.2} ms per {what}-point series ({:.1} Msamples/s per core)",
            per * 1e3,
            n as f64 / per / 1e6
        );
    }
}

/// PALFA's two passes.
fn passes() -> [(&'static str, AccelParams, AccelPass); 2] {
    [
        (
            "accel_lo_z0_h16",
            AccelParams {
                numharm: 16,
                sigma: 2.0,
                zmax: 0,
                flo_hz: 2.0,
                fhi_hz: 10_000.0,
            },
            AccelPass::Lo,
        ),
        (
            "accel_hi_z50_h8",
            AccelParams {
                numharm: 8,
                sigma: 3.0,
                zmax: 50,
                flo_hz: 1.0,
                fhi_hz: 10_000.0,
            },
            AccelPass::Hi,
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let ts = series();
    let maker = SpectrumMaker::new();
    let raw = maker.make(&ts).unwrap();
    let mut white = raw.clone();
    rednoise::whiten(&mut white, &RED);
    let list = Zaplist {
        birds: (0..1000)
            .map(|i| Bird {
                freq_hz: 1.0 + 7.3 * i as f64,
                width_hz: 1.0 / 300.0,
                barycentric: true,
            })
            .collect(),
        ..Default::default()
    };
    // A series of the PALFA beam's ds-3 length, and the survey's padding maker.
    let odd = series_of(N_ODD);
    let padded = SpectrumMaker::padded();
    if std::env::var_os("PALFA_BENCH_CPU").is_some() {
        cpu_time("realfft", 10, || drop(maker.make(&ts).unwrap()));
        cpu_time_of("realfft, own length", 5, N_ODD, || drop(maker.make(&odd).unwrap()));
        cpu_time_of("realfft, padded to 1399680", 5, N_ODD, || {
            drop(padded.make(&odd).unwrap())
        });
        cpu_time("rednoise", 10, || rednoise::whiten(&mut raw.clone(), &RED));
        cpu_time("zap_1000_birds", 10, || {
            let _ = apply_zaplist(&mut white.clone(), &list, 1e-4);
        });
        for (name, params, pass) in passes() {
            let cfg = AccelConfig::new(&params, pass).unwrap();
            let searcher = AccelSearcher::new(white.num_bins(), white.t_obs_s, &cfg).unwrap();
            cpu_time(name, if pass == AccelPass::Lo { 10 } else { 3 }, || {
                drop(searcher.search(&white).unwrap())
            });
            // The same correlations' FFTs alone: the search's floor.
            let (len, count) = searcher.correlation_ffts();
            let fft = rustfft::FftPlanner::<f32>::new().plan_fft_inverse(len);
            let mut buf = vec![rustfft::num_complex::Complex32::new(1.0, 0.5); len];
            let mut scratch = vec![rustfft::num_complex::Complex32::default(); fft.get_inplace_scratch_len()];
            let flops = count as f64 * 5.0 * len as f64 * (len as f64).log2();
            // Enough repeats for the thread clock (a few ms per tick) to see it.
            let reps = (2e10 / flops).ceil().clamp(3.0, 1000.0) as usize;
            cpu_time(
                &format!(
                    "{name}: its {count} FFTs of {len} points alone ({:.2} Gflop at 5 N log2 N)",
                    flops * 1e-9
                ),
                reps,
                || {
                    for _ in 0..count {
                        fft.process_with_scratch(&mut buf, &mut scratch);
                    }
                },
            );
        }
    }
    if std::env::var_os("PALFA_BENCH_CPU").is_some() {
        // The PALFA beam's ds-1 length, where the plane is 0.5 GB.
        let long = series_of(4 * N);
        let mut spec = maker.make(&long).unwrap();
        rednoise::whiten(&mut spec, &RED);
        let (name, params, pass) = passes()[1].clone();
        let cfg = AccelConfig::new(&params, pass).unwrap();
        let searcher = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
        cpu_time_of(name, 3, 4 * N, || drop(searcher.search(&spec).unwrap()));
    }
    let mut g = c.benchmark_group("periodicity_2^20");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("realfft", |b| b.iter(|| maker.make(&ts).unwrap()));
    g.bench_function("rednoise", |b| {
        b.iter_batched(
            || raw.clone(),
            |mut s| rednoise::whiten(&mut s, &RED),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("zap_1000_birds", |b| {
        b.iter_batched(
            || white.clone(),
            |mut s| apply_zaplist(&mut s, &list, 1e-4),
            BatchSize::LargeInput,
        )
    });
    for (name, params, pass) in [
        (
            "accel_lo_z0_h16",
            AccelParams {
                numharm: 16,
                sigma: 2.0,
                zmax: 0,
                flo_hz: 2.0,
                fhi_hz: 10_000.0,
            },
            AccelPass::Lo,
        ),
        (
            "accel_hi_z50_h8",
            AccelParams {
                numharm: 8,
                sigma: 3.0,
                zmax: 50,
                flo_hz: 1.0,
                fhi_hz: 10_000.0,
            },
            AccelPass::Hi,
        ),
    ] {
        let cfg = AccelConfig::new(&params, pass).unwrap();
        let searcher = AccelSearcher::new(white.num_bins(), white.t_obs_s, &cfg).unwrap();
        g.bench_function(name, |b| b.iter(|| searcher.search(&white).unwrap()));
    }
    g.finish();
    let mut g = c.benchmark_group("realfft_1398101");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N_ODD as u64));
    g.bench_function("own_length", |b| b.iter(|| maker.make(&odd).unwrap()));
    g.bench_function("padded", |b| b.iter(|| padded.make(&odd).unwrap()));
    g.finish();
}

mod group {
    #![allow(missing_docs)]
    use super::{bench, criterion_group};
    criterion_group!(benches, bench);
}
criterion_main!(group::benches);
