//! FFA throughput on one core: the whole search of a PALFA-length series
//! (2^22 samples of 65.476 µs = 274.6 s, periods 0.5–27.5 s), that of
//! docs/ffa.md's comparison with riptide (2^21 samples of 64 µs, periods
//! 1–13.4 s), and its two
//! kernels on one fold length's data (the transform of 528 rows of 250
//! bins; the boxcar S/N of the 528 profiles it makes, side by side).
//!
//! `cargo bench -p palfa-search --bench ffa -- --quick`
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use palfa_core::formats::presto::InfFile;
use palfa_search::ffa::{boxcar_widths, ffa_transform, BoxcarSnr, FfaConfig, FfaSearcher};
use palfa_search::TimeSeries;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

const DT: f64 = 65.476e-6;

/// White noise of unit variance with a 1.37-s pulsar (2 % duty cycle) at
/// 0.2σ per sample.
fn noise(n: usize) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let period = 1.37 / DT;
    (0..n)
        .map(|i| {
            let z: f32 = StandardNormal.sample(&mut rng);
            let phase = (i as f64 / period).fract();
            z + if phase < 0.02 { 0.2 } else { 0.0 }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ffa");
    g.sample_size(10);

    let n = 1usize << 22;
    let series = TimeSeries {
        info: InfFile {
            n: n as u64,
            dt: DT,
            dm: 50.0,
            ..InfFile::default()
        },
        data: noise(n),
    };
    let searcher = FfaSearcher::new(FfaConfig::default()).unwrap();
    g.throughput(criterion::Throughput::Elements(n as u64));
    g.bench_function("search_2^22", |b| {
        b.iter(|| searcher.search_above(black_box(&series), 7.0).unwrap())
    });

    // The comparison with riptide in docs/ffa.md: 2^21 samples of 64 µs,
    // periods from 1 s.
    let n = 1usize << 21;
    let short = TimeSeries {
        info: InfFile {
            n: n as u64,
            dt: 64e-6,
            dm: 50.0,
            ..InfFile::default()
        },
        data: noise(n),
    };
    let from_1s = FfaSearcher::new(FfaConfig {
        min_period_s: 1.0,
        ..FfaConfig::default()
    })
    .unwrap();
    g.throughput(criterion::Throughput::Elements(n as u64));
    g.bench_function("search_2^21_64us_from_1s", |b| {
        b.iter(|| from_1s.search(black_box(&short)).unwrap())
    });

    // One fold length of the first step: 528 rows of 250 bins.
    let (m, p) = (528usize, 250usize);
    let rows = noise(m * p);
    let mut out = vec![0.0f32; m * p];
    g.throughput(Throughput::Elements((m * p) as u64));
    g.bench_function("transform_528x250", |b| {
        b.iter(|| ffa_transform(black_box(&rows), m, p, &mut out))
    });
    let widths = boxcar_widths(p, FfaConfig::default().max_duty, FfaConfig::default().width_ratio);
    let mut snr = BoxcarSnr::new(widths.clone());
    let mut best = vec![0.0f32; m * widths.len()];
    g.bench_function("snr_528_profiles_of_250", |b| {
        b.iter(|| {
            snr.snr_rows(black_box(&out), p, 23.0, &mut best);
            best[0]
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
