//! Sifting throughput on a PALFA-size beam's candidate lists: 6276 DM trials
//! (PALFA's Mock DDplan) with 30 candidates per DM in each pass (376,560 in
//! all, most of them noise below the threshold), plus ten pulsars each seen at
//! 20 DMs with 4 harmonic candidates.
#![allow(missing_docs)] // criterion_group! makes an undocumented public function

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use palfa_search::sift::{sift, SiftConfig};
use palfa_search::{AccelCandidate, AccelPass};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const T_OBS: f64 = 268.435456;

/// PALFA's Mock plan: (lodm, dmstep, dms per call, calls).
fn palfa_dms() -> Vec<f64> {
    let plan = [
        (0.0, 0.1, 76, 28),
        (212.8, 0.3, 64, 12),
        (443.2, 0.3, 76, 4),
        (534.4, 0.5, 76, 9),
        (876.4, 0.5, 76, 3),
        (990.4, 1.0, 76, 11),
        (1826.4, 2.0, 72, 10),
        (3266.4, 3.0, 76, 8),
    ];
    plan.iter()
        .flat_map(|&(lo, step, per, calls)| (0..per * calls).map(move |i| lo + i as f64 * step))
        .collect()
}

fn cand(dm: f64, r: f64, numharm: usize, p1: f64, pass: AccelPass, rng: &mut Xoshiro256PlusPlus) -> AccelCandidate {
    let harm_powers: Vec<f64> = (0..numharm)
        .map(|h| (p1 * (1.0 - 0.05 * h as f64)).max(0.0) + rng.gen_range(0.0..3.0))
        .collect();
    let power = harm_powers.iter().sum();
    AccelCandidate {
        dm,
        r,
        z: 0.0,
        numharm,
        sigma: 3.0,
        power,
        coherent_power: power,
        harm_powers,
        t_obs_s: T_OBS,
        pass,
        pulse_width_s: None,
    }
}

fn beam(dms: &[f64], pass: AccelPass, seed: u64) -> Vec<AccelCandidate> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::new();
    for &dm in dms {
        for _ in 0..30 {
            let numharm = [1, 2, 4, 8, 16][rng.gen_range(0..5)];
            let p1 = if rng.gen_bool(0.1) {
                rng.gen_range(5.0..20.0)
            } else {
                1.0
            };
            out.push(cand(dm, rng.gen_range(30.0..500_000.0), numharm, p1, pass, &mut rng));
        }
    }
    for k in 0..10 {
        let r0 = 1000.0 + 4321.7 * k as f64;
        let first = 100 + 500 * k;
        for &dm in &dms[first..first + 20] {
            for h in 1..=4 {
                out.push(cand(dm, r0 * h as f64, 8, 40.0 / h as f64, pass, &mut rng));
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let dms = palfa_dms();
    let lo = beam(&dms, AccelPass::Lo, 1);
    let hi = beam(&dms, AccelPass::Hi, 2);
    let n = (lo.len() + hi.len()) as u64;
    let cfg = SiftConfig::default();
    let mut g = c.benchmark_group("sift");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function(format!("palfa_beam_{}dms_{n}cands", dms.len()), |b| {
        b.iter_batched(
            || (lo.clone(), hi.clone()),
            |(lo, hi)| sift(lo, hi, &dms, &cfg).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
