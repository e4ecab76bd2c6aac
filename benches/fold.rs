//! Folding throughput: the streaming fold of raw data into candidates' cubes
//! (searches off), and prepfold's DM/P/Ṗ search of one cube.
//!
//! The beam is served from memory (a block of noise repeated), so the figures
//! are the folding engine's, not the disk's. Channel-samples/s per candidate =
//! nchans × nsamples × candidates / time.

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use palfa_core::beam::SpectraSource;
use palfa_core::{BeamHeader, DataFormat, FormatResult};
use palfa_search::fold::{fold_candidates, FoldConfig, FoldParams, FoldRequest};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A beam of `nsamples` spectra that repeats one block of noise.
struct MemBeam {
    header: BeamHeader,
    block: Vec<f32>,
    pos: u64,
}

impl MemBeam {
    fn new(nchans: usize, nsamples: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let block = (0..nchans * 4096).map(|_| rng.gen_range(80.0f32..120.0)).collect();
        let header = BeamHeader {
            files: vec!["mem.fil".into()],
            format: DataFormat::Filterbank,
            source_name: "bench".into(),
            telescope: "Arecibo".into(),
            backend: "pdev".into(),
            project_id: String::new(),
            observer: String::new(),
            ra_deg: 0.0,
            dec_deg: 0.0,
            start_mjd: 60000.0,
            tsamp_s: 65.476e-6,
            nsamples,
            nchans,
            lofreq_mhz: 1214.5,
            chan_bw_mhz: 322.56 / nchans as f64,
            nbits: 8,
            npol: 1,
            beam_id: None,
            chan_weights: vec![1.0; nchans],
            file_size: 0,
        };
        Self { header, block, pos: 0 }
    }
}

impl SpectraSource for MemBeam {
    fn header(&self) -> &BeamHeader {
        &self.header
    }
    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchan = self.header.nchans;
        let n = ((out.len() / nchan) as u64).min(self.header.nsamples - self.pos) as usize;
        for (t, spec) in out[..n * nchan].chunks_exact_mut(nchan).enumerate() {
            let k = ((self.pos as usize + t) % 4096) * nchan;
            spec.copy_from_slice(&self.block[k..k + nchan]);
        }
        self.pos += n as u64;
        Ok(n)
    }
    fn position(&self) -> u64 {
        self.pos
    }
    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.pos = index.min(self.header.nsamples);
        Ok(())
    }
}

/// `k` MSP-like candidates spread in DM, searches switched off.
fn candidates(k: usize, search: bool) -> Vec<FoldRequest> {
    (0..k)
        .map(|i| {
            let period = 0.0041573 * (1.0 + 0.013 * i as f64);
            let mut p = FoldParams::palfa_for_period(period);
            (p.search_p, p.search_pdot, p.search_dm) = (search, search, search);
            FoldRequest {
                params: Some(p),
                ..FoldRequest::new(format!("c{i}"), period, 0.0, 50.0 + 10.0 * i as f64, 10.0)
            }
        })
        .collect()
}

fn bench_stream(c: &mut Criterion) {
    let (nchans, nsamples) = (960usize, 1u64 << 17);
    let mut g = c.benchmark_group("fold_stream_960ch_2^17");
    g.sample_size(10);
    for k in [1usize, 8] {
        g.throughput(Throughput::Elements(nchans as u64 * nsamples * k as u64));
        g.bench_with_input(BenchmarkId::new("candidates", k), &k, |b, &k| {
            let reqs = candidates(k, false);
            let cfg = FoldConfig {
                max_cands: k,
                ..FoldConfig::default()
            };
            b.iter(|| {
                let mut beam = MemBeam::new(nchans, nsamples);
                fold_candidates(&mut beam, &reqs, &cfg, &|_, _| {}).unwrap()
            })
        });
    }
    g.finish();
}

fn bench_search(c: &mut Criterion) {
    // A tiny beam: the time is the search of one 40 × 96 × 50 cube over
    // 101 DMs × 201 periods × 201 period derivatives (PALFA's 2-50 ms row).
    let mut g = c.benchmark_group("fold_search_msp_grid");
    g.sample_size(10);
    g.throughput(Throughput::Elements(101 * 201 * 201));
    g.bench_function("101x201x201_trials", |b| {
        let reqs = candidates(1, true);
        b.iter(|| {
            let mut beam = MemBeam::new(960, 8192);
            fold_candidates(&mut beam, &reqs, &FoldConfig::default(), &|_, _| {}).unwrap()
        })
    });
    g.finish();
}

#[allow(missing_docs)] // criterion_group! defines an undocumented function
mod groups {
    criterion::criterion_group!(benches, super::bench_stream, super::bench_search);
}
criterion_main!(groups::benches);
