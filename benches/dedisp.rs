//! Dedispersion throughput on a PALFA-like block: 960 channels at 65.476 µs,
//! one pass of 76 DMs from 96 subbands, measured on one core: streamed from
//! the source (read, normalised and transposed on every call) and from the
//! beam prepared once (8-bit rows; the preparation timed on its own).
#![allow(missing_docs)] // criterion_group! generates undocumented items

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palfa_core::{BeamHeader, MemorySource};
use palfa_search::ddplan::DmPass;
use palfa_search::dedisp::{
    dedisperse_passes, dedisperse_passes_prepared, ChannelScaling, DedispConfig, PrepareOptions, PreparedBeam,
    Replacements,
};
use palfa_search::TimeSeries;

fn bench_dedisp(c: &mut Criterion) {
    let nchans = 960;
    let nsamp = 1 << 16;
    let mut h = BeamHeader::for_band(nchans, 1214.7, 0.336, 65.476e-6);
    h.nbits = 8;
    let data: Vec<f32> = (0..nchans * nsamp)
        .map(|i| ((i * 2_654_435_761usize) >> 7 & 255) as f32)
        .collect();
    let src = MemorySource::new(h, data);
    let scaling = ChannelScaling::identity(nchans);
    let cfg = DedispConfig::default();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let prepare = |s: &mut MemorySource| {
        PreparedBeam::prepare(s, Replacements::none(), &PrepareOptions::default(), &|_, _| {}).unwrap()
    };
    let prepared = pool.install(|| prepare(&mut src.clone()));
    let mut g = c.benchmark_group("dedisp");
    g.sample_size(10);
    g.throughput(Throughput::Elements((nchans * nsamp) as u64));
    g.bench_function("prepare_960ch_65k_spectra", |b| {
        b.iter_batched(
            || src.clone(),
            |mut s| pool.install(|| prepare(&mut s)),
            BatchSize::LargeInput,
        )
    });
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
        g.bench_function(format!("prepared_960ch_65k_spectra_76dms_ds{ds}"), |b| {
            b.iter(|| {
                pool.install(|| {
                    dedisperse_passes_prepared::<TimeSeries>(
                        &prepared,
                        std::slice::from_ref(&pass),
                        &scaling,
                        &cfg,
                        &|_, _| {},
                    )
                    .unwrap()
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_dedisp);
criterion_main!(benches);
