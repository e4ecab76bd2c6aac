//! rfifind throughput, in channel-samples per second (criterion's "elements").
//!
//! * `memory/<threads>t/<nchan>ch`: the algorithm alone, from an in-memory
//!   source that serves a block of Gaussian noise over and over (the cost of a
//!   copy per spectrum, like a file already in the page cache, without decoding).
//! * `filterbank8/<threads>t/<nchan>ch`: a simulated 8-bit SIGPROC file,
//!   decoding included.
//!
//! Each case runs in a rayon pool of 1 or 2 threads; per-core throughput is the
//! 1-thread figure. PALFA set-up: 65.476 µs, 2.097152-s intervals (32000 spectra).
//! PRESTO's rfifind does 2.3e7 channel-samples/s on one core of the project machine.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::config::RfiParams;
use palfa_core::simulate::{simulate, SimParams};
use palfa_core::{BeamHeader, DataFormat, FormatResult};
use palfa_search::rfi::find_rfi;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const TSAMP: f64 = 65.476e-6;

/// Serves `nsamples` spectra by repeating one block of noise.
struct RepeatSource {
    header: BeamHeader,
    block: Vec<f32>,
    pos: u64,
}

impl RepeatSource {
    fn new(nchan: usize, nsamples: u64) -> Self {
        let block_len = 8191; // odd, so that intervals do not repeat exactly
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
        let noise = Normal::new(96.0f32, 14.0).expect("valid");
        let block = (0..block_len * nchan).map(|_| noise.sample(&mut rng).round()).collect();
        let header = BeamHeader {
            files: Vec::new(),
            format: DataFormat::Filterbank,
            source_name: "bench".into(),
            telescope: "Arecibo".into(),
            backend: "pdev".into(),
            project_id: String::new(),
            observer: String::new(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            start_mjd: 60000.0,
            tsamp_s: TSAMP,
            nsamples,
            nchans: nchan,
            lofreq_mhz: 1214.0,
            chan_bw_mhz: 0.3361,
            nbits: 8,
            npol: 1,
            beam_id: None,
            chan_weights: vec![1.0; nchan],
            file_size: 0,
        };
        Self { header, block, pos: 0 }
    }
}

impl SpectraSource for RepeatSource {
    fn header(&self) -> &BeamHeader {
        &self.header
    }
    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchan = self.header.nchans;
        let block_len = self.block.len() / nchan;
        let want = (out.len() / nchan).min((self.header.nsamples - self.pos) as usize);
        let mut done = 0;
        while done < want {
            let at = (self.pos as usize + done) % block_len;
            let n = (block_len - at).min(want - done);
            out[done * nchan..(done + n) * nchan].copy_from_slice(&self.block[at * nchan..(at + n) * nchan]);
            done += n;
        }
        self.pos += want as u64;
        Ok(want)
    }
    fn position(&self) -> u64 {
        self.pos
    }
    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.pos = index.min(self.header.nsamples);
        Ok(())
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

fn bench_memory(c: &mut Criterion) {
    let mut g = c.benchmark_group("rfifind/memory");
    g.sample_size(10);
    let nsamples = 1u64 << 18;
    for nchan in [960usize] {
        g.throughput(Throughput::Elements(nsamples * nchan as u64));
        for threads in [1usize, 2] {
            let p = pool(threads);
            g.bench_with_input(
                BenchmarkId::new(format!("{threads}t"), format!("{nchan}ch")),
                &nchan,
                |b, &nchan| {
                    // find_rfi starts with a seek to spectrum 0, so one source serves every run.
                    let mut src = RepeatSource::new(nchan, nsamples);
                    b.iter(|| p.install(|| find_rfi(&mut src, &RfiParams::default(), &|_, _| {}).expect("rfifind")))
                },
            );
        }
    }
    g.finish();
}

/// The simulated 8-bit beam, made once and only if a filterbank case runs.
fn beam_file(nchan: usize, nsamples: u64) -> &'static Path {
    static FILE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &FILE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("bench.fil");
            let sim = SimParams {
                nchans: nchan,
                fch1_mhz: 1537.0,
                chan_bw_mhz: 0.3361,
                tsamp_s: TSAMP,
                nsamples,
                ..SimParams::default()
            };
            simulate(&sim, &path, &|_, _| {}).expect("simulate");
            (dir, path)
        })
        .1
}

fn bench_filterbank(c: &mut Criterion) {
    let nchan = 960usize;
    let nsamples = 1u64 << 18;
    let mut g = c.benchmark_group("rfifind/filterbank8");
    g.sample_size(10);
    g.throughput(Throughput::Elements(nsamples * nchan as u64));
    for threads in [1usize, 2] {
        let p = pool(threads);
        g.bench_function(BenchmarkId::new(format!("{threads}t"), format!("{nchan}ch")), |b| {
            let path = beam_file(nchan, nsamples);
            b.iter(|| {
                let mut beam = open_beam(&[path]).expect("open");
                p.install(|| find_rfi(beam.as_mut(), &RfiParams::default(), &|_, _| {}).expect("rfifind"))
            })
        });
    }
    g.finish();
}

/// criterion's generated entry point has no doc comment of its own.
mod group {
    #![allow(missing_docs)]
    use super::{bench_filterbank, bench_memory};
    criterion::criterion_group!(benches, bench_memory, bench_filterbank);
}
criterion_main!(group::benches);
