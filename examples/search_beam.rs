//! Search one beam with the library API: simulate a small beam with a known
//! pulsar, run the whole-beam pipeline (`palfa search` without the command
//! line) and print the best candidates next to what was injected.
//!
//! ```sh
//! cargo run --release -p palfa-search --example search_beam
//! cargo run --release -p palfa-search --example search_beam -- --duration 30 --outdir beam-results
//! ```
//!
//! `--duration S` is the beam's length (default 25 s), `--outdir DIR` keeps the
//! results directory (default: a temporary directory, removed at the end).
//! Exits with status 1 if the injected pulsar was not found.

use std::path::PathBuf;

use palfa_core::config::{Config, DdplanChoice};
use palfa_core::simulate::{simulate, PulsarSpec, SimParams};
use palfa_search::pipeline::{run_search, NoProgress, SearchJob, DEFAULT_SERIES_BUDGET};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut duration_s = 25.0;
    let mut outdir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--duration" => duration_s = args.next().ok_or("--duration needs seconds")?.parse()?,
            "--outdir" => outdir = Some(args.next().ok_or("--outdir needs a directory")?.into()),
            other => return Err(format!("unknown argument {other:?} (try --duration S, --outdir DIR)").into()),
        }
    }

    // A scratch directory for the beam and the search's working files.
    let scratch = tempfile::tempdir()?;

    // 1. A small beam: 128 channels of 2.52 MHz at 1.2-1.5 GHz, 262 µs samples,
    //    with one pulsar (the truth comes back, and is written beside the data).
    let params = SimParams {
        seed: 7,
        nchans: 128,
        chan_bw_mhz: 2.52,
        tsamp_s: 262e-6,
        nsamples: (duration_s / 262e-6) as u64,
        pulsars: vec![PulsarSpec {
            period_s: 0.0893,
            dm: 56.0,
            duty: 0.05,
            snr: 20.0,
            accel_m_s2: 0.0,
            phase: 0.0,
        }],
        ..SimParams::default()
    };
    let beam = scratch.path().join("beam.fil");
    let truth = simulate(&params, &beam, &|_, _| {})?;
    println!(
        "simulated {} ({:.1} s, {} channels)",
        beam.display(),
        truth.duration_s,
        params.nchans
    );

    // 2. The search configuration: PALFA's defaults (as an empty palfa.toml
    //    gives), with the DM range cut down for a quick run. A real worker loads
    //    the survey's file with `Config::load`.
    let cfg = Config::builtin();
    let mut searching = cfg.searching.clone();
    searching.dedisp.ddplan = DdplanChoice::Auto;
    searching.dedisp.max_dm = 150.0;
    searching.low_t_to_search_s = 0.0; // search even very short beams
    let outdir = outdir.unwrap_or_else(|| scratch.path().join("results"));

    // 3. The whole-beam pipeline: rfifind, DM plan, dedispersion, single pulses,
    //    FFT, acceleration search, sifting, folding, the results directory.
    let job = SearchJob {
        files: vec![beam],
        outdir: outdir.clone(),
        searching,
        processing: cfg.processing.clone(),
        version: format!("palfa:{}", env!("CARGO_PKG_VERSION")),
        keep_workdir: false,
        series_budget_bytes: DEFAULT_SERIES_BUDGET,
    };
    let t0 = std::time::Instant::now();
    let results = run_search(&job, &NoProgress)?;
    println!(
        "searched {} DM trials in {:.1} s; results in {}",
        results.num_dm_trials,
        t0.elapsed().as_secs_f64(),
        outdir.display()
    );

    // 4. The best candidates, and the injected pulsar next to them.
    println!("\n cand   period [ms]        DM   prepfold σ   presto σ   plot");
    for c in results.candidates.iter().take(5) {
        println!(
            "{:5} {:13.6} {:9.2} {:12.2} {:10.2}   {}",
            c.cand_num,
            c.period_s * 1e3,
            c.dm,
            c.prepfold_sigma,
            c.presto_sigma,
            c.plot_file
        );
    }
    let mut all_found = true;
    for p in &truth.pulsars {
        // The fundamental, within a part in a thousand, at a DM near the true one.
        let hit = results
            .candidates
            .iter()
            .find(|c| (c.period_s / p.period_s - 1.0).abs() < 1e-3 && (c.dm - p.dm).abs() < 0.25 * p.dm + 5.0);
        match hit {
            Some(c) => println!(
                "injected P = {:.6} ms, DM = {:.1}: found as candidate {} (P = {:.6} ms, DM = {:.2}, prepfold σ = {:.1})",
                p.period_s * 1e3,
                p.dm,
                c.cand_num,
                c.period_s * 1e3,
                c.dm,
                c.prepfold_sigma
            ),
            None => {
                all_found = false;
                println!(
                    "injected P = {:.6} ms, DM = {:.1}: NOT found",
                    p.period_s * 1e3,
                    p.dm
                );
            }
        }
    }
    if !all_found {
        std::process::exit(1);
    }
    Ok(())
}
