//! Dedispersion throughput on a PALFA-like block: 960 channels at 65.476 µs,
//! one pass of 76 DMs from 96 subbands, measured on one core.
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palfa_core::{BeamHeader, MemorySource};
use palfa_search::ddplan::DmPass;
use palfa_search::dedisp::{dedisperse_passes, ChannelScaling, DedispConfig};

fn bench_dedisp(c: &mut Criterion) {
    let nchans = 960;
    let nsamp = 1 << 16;
    let h = BeamHeader::for_band(nchans, 1214.7, 0.336, 65.476e-6);
    let data: Vec<f32> = (0..nchans * nsamp)
        .map(|i| ((i * 2_654_435_761usize) >> 7 & 255) as f32)
        .collect();
    let src = MemorySource::new(h, data);
    let scaling = ChannelScaling::identity(nchans);
    let cfg = DedispConfig::default();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut g = c.benchmark_group("dedisp");
    g.sample_size(10);
    for (ds, lodm) in [(1usize, 100.0), (2, 300.0)] {
        let dms: Vec<f64> = (0..76).map(|i| lodm + 0.1 * i as f64).collect();
        let pass = DmPass {
            step: 0,
            pass: 0,
            subdm: lodm + 3.8,
            dms,
            nsub: 96,
            downsamp: ds,
        };
        // Input channel-samples processed per second (per core, one thread).
        g.throughput(Throughput::Elements((nchans * nsamp) as u64));
        g.bench_function(format!("960ch_65k_spectra_76dms_ds{ds}"), |b| {
            b.iter_batched(
                || src.clone(),
                |mut s| {
                    pool.install(|| {
                        dedisperse_passes(&mut s, std::slice::from_ref(&pass), &scaling, &cfg, &|_, _| {}).unwrap()
                    })
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench_dedisp);
criterion_main!(benches);
