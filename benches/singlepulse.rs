//! Single-pulse search throughput on one core: a PALFA-like series (65.476 µs,
//! boxcars up to 0.1 s = 300 samples, 5σ) of white noise with a few pulses.
//!
//! `cargo bench -p palfa-search --bench singlepulse -- --quick`
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use palfa_search::singlepulse::{Detrend, SinglePulseConfig, SinglePulseSearcher};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

const DT: f64 = 65.476e-6;

fn series(n: usize) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut data: Vec<f32> = (0..n)
        .map(|_| {
            let z: f32 = StandardNormal.sample(&mut rng);
            1000.0 + 30.0 * z
        })
        .collect();
    // A pulse every 2^16 samples, 20 samples wide, so that the candidate path runs too.
    for start in (1000..n.saturating_sub(100)).step_by(1 << 16) {
        for x in &mut data[start..start + 20] {
            *x += 30.0 * 3.0;
        }
    }
    data
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("singlepulse");
    g.sample_size(10);
    for log2n in [20u32, 22] {
        let n = 1usize << log2n;
        let data = series(n);
        g.throughput(Throughput::Elements(n as u64));
        for (name, detrend) in [("linear", Detrend::Linear), ("median", Detrend::Median)] {
            let cfg = SinglePulseConfig {
                detrend,
                ..SinglePulseConfig::default()
            };
            let mut searcher = SinglePulseSearcher::new(cfg);
            g.bench_with_input(
                BenchmarkId::new(format!("search_{name}"), format!("2^{log2n}")),
                &data,
                |b, d| b.iter(|| searcher.search_samples(black_box(d), DT, 100.0, &[]).unwrap()),
            );
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
