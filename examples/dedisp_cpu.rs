//! CPU time of one PALFA-like dedispersion pass on one thread (a developer's
//! check that is steady on a loaded machine, unlike wall-clock benchmarks).
//!
//! `cargo run --release -p palfa-search --example dedisp_cpu`

use palfa_core::{BeamHeader, MemorySource};
use palfa_search::ddplan::DmPass;
use palfa_search::dedisp::{dedisperse_passes, ChannelScaling, DedispConfig};

/// CPU time of this thread \[s\] (Linux).
fn thread_cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    s.split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        * 1e-9
}

fn main() {
    let (nchans, nsamp) = (960, 1 << 18);
    let h = BeamHeader::for_band(nchans, 1214.7, 0.336, 65.476e-6);
    let data: Vec<f32> = (0..nchans * nsamp)
        .map(|i| ((i * 2_654_435_761usize) >> 7 & 255) as f32)
        .collect();
    let src = MemorySource::new(h, data);
    let scaling = ChannelScaling::identity(nchans);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    // The PALFA plan's first step, its second, and its last (the longest
    // delays: 5.3 s across the band at DM 5000).
    for (ds, lodm, ddm) in [(1usize, 100.0, 0.1), (2, 300.0, 0.3), (30, 4800.0, 3.0)] {
        let dms: Vec<f64> = (0..76).map(|i| lodm + ddm * i as f64).collect();
        let pass = DmPass {
            step: 0,
            pass: 0,
            subdm: 0.5 * (dms[0] + dms[75]),
            dms,
            nsub: 96,
            downsamp: ds,
        };
        let mut best = f64::MAX;
        for _ in 0..3 {
            let mut s = src.clone();
            let t = pool.install(|| {
                let t0 = thread_cpu_s();
                dedisperse_passes(
                    &mut s,
                    std::slice::from_ref(&pass),
                    &scaling,
                    &DedispConfig::default(),
                    &|_, _| {},
                )
                .unwrap();
                thread_cpu_s() - t0
            });
            best = best.min(t);
        }
        let rate = (nchans * nsamp) as f64 / best;
        println!(
            "ds {ds} (DM {lodm}): {best:.3} s CPU, {:.3e} channel-samples/s, {:.3e} channel-sample-DMs/s",
            rate,
            rate * 76.0
        );
    }
}
