//! Read the survey's results database: the beams uploaded (table `headers`)
//! and the best candidates across them (`docs/results-db.md`).
//!
//! ```sh
//! cargo run --release -p palfa-tracker --example read_results -- results.db     # a SQLite results database
//! cargo run --release -p palfa-tracker --example read_results -- palfa.toml     # the one [commondb] names
//! cargo run --release -p palfa-tracker --example read_results                   # a fresh one, filled here
//! ```
//!
//! With no argument it makes a results database in a temporary directory and
//! uploads two results directories into it the way the uploader does (one
//! transaction per beam, read back and compared before it commits): one
//! written from `SearchResults::example()` with two candidates added, one with
//! nothing found.

use std::path::Path;

use palfa_core::config::Config;
use palfa_core::formats::results::{PeriodicityCandidate, SearchResults};
use palfa_tracker::resultsdb::record::{BeamRecord, Provenance};
use palfa_tracker::resultsdb::{self, query, schema, Kind, ResultsStore, SqliteStore, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let mut store: Box<dyn ResultsStore> = match std::env::args().nth(1) {
        Some(arg) if arg.ends_with(".toml") => {
            let cfg = Config::load(&arg)?;
            resultsdb::open(&cfg.commondb)?
        }
        Some(arg) => {
            if !Path::new(&arg).is_file() {
                return Err(format!("{arg}: no such results database").into());
            }
            Box::new(SqliteStore::open(&arg)?)
        }
        None => Box::new(example_database(scratch.path())?),
    };
    // Refuse a database without this palfa's schema (as the uploader does).
    schema::check(store.as_mut())?;
    println!(
        "{}: schema version {}",
        store.describe(),
        schema::version(store.as_mut())?
    );

    // The beams: any SQL the backend understands, columns read as the given kinds.
    let headers = store.query(
        "SELECT id, beam, obs_name, search_status, num_dm_trials, observation_time_s, version_num \
         FROM headers ORDER BY id",
        &[],
        &[
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Real,
            Kind::Text,
        ],
    )?;
    println!("\n{} beams", headers.len());
    println!("   id  beam                  status        DM trials  length [s]  version");
    for h in &headers {
        let text = |i: usize| h[i].as_text().unwrap_or("").to_string();
        println!(
            "{:5}  {:20}  {:12}  {:9}  {:10.1}  {}",
            h[0].as_int().unwrap_or(0),
            text(1),
            text(3),
            h[4].as_int().unwrap_or(0),
            h[5].as_real().unwrap_or(f64::NAN),
            text(6)
        );
    }

    // The best candidates across the survey (what `palfa resultsdb query` lists).
    let cands = query::best_candidates(store.as_mut(), 20, None)?;
    println!("\n{} candidates, best first", cands.len());
    println!("   sigma    period [ms]         DM   presto  beam                  cand");
    for c in &cands {
        println!(
            "{:8.2} {:14.6} {:10.2} {:8.2}  {:20} {:5}",
            c.prepfold_sigma,
            c.period_s * 1e3,
            c.dm,
            c.presto_sigma,
            c.beam,
            c.cand_num
        );
    }

    // Child tables hang off `headers.id`: the diagnostics of the first beam.
    if let Some(id) = headers.first().and_then(|h| h[0].as_int()) {
        let diags = store.query(
            "SELECT name, value FROM diagnostics WHERE header_id = ? AND kind = 'numeric' ORDER BY name",
            &[Value::Int(id)],
            &[Kind::Text, Kind::Real],
        )?;
        println!("\ndiagnostics of beam {id}:");
        for d in diags {
            println!(
                "  {:28} {}",
                d[0].as_text().unwrap_or(""),
                d[1].as_real().unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}

/// A results database in `dir` holding two uploaded beams.
fn example_database(dir: &Path) -> Result<SqliteStore, Box<dyn std::error::Error>> {
    let mut store = SqliteStore::open(dir.join("results.db"))?;
    schema::create(&mut store)?;
    let prov = Provenance {
        institution: "palfa".into(),
        pipeline: "palfa".into(),
        survey: "PALFA2.0".into(),
        version_num: resultsdb::build::version_num(),
    };

    // A beam with two candidates (no plot or fold files: their names are empty).
    let mut found = SearchResults::example();
    found.header.obs_name = "beam_with_pulsar".into();
    found.num_dm_trials = 294;
    found.candidates = vec![candidate(1, 0.0893, 56.5, 15.9), candidate(2, 0.0446, 56.0, 7.1)];
    found.diagnostics.num_cands_folded = 2;
    found.diagnostics.sigma_threshold = 6.0;
    // A beam where nothing was found.
    let mut empty = SearchResults::example();
    empty.header.obs_name = "empty_beam".into();

    for (beam, r) in [("beam_with_pulsar.fil", found), ("empty_beam.fil", empty)] {
        // Written as a worker writes it, then read back and checked as the uploader does.
        let rdir = dir.join(beam.trim_end_matches(".fil"));
        std::fs::create_dir_all(&rdir)?;
        r.write_dir(&rdir)?;
        let record = BeamRecord::from_dir(beam, &rdir, &prov)?;
        let id = palfa_tracker::upload::write_and_verify(&mut store, &record)?;
        println!(
            "uploaded {beam} as header {id} ({} candidates, {} rows)",
            record.num_candidates(),
            record.num_rows()
        );
    }
    Ok(store)
}

/// A folded candidate as a search reports it.
fn candidate(cand_num: u32, period_s: f64, dm: f64, sigma: f64) -> PeriodicityCandidate {
    PeriodicityCandidate {
        cand_num,
        period_s,
        frequency_hz: 1.0 / period_s,
        pdot: 0.0,
        fdot_hz_s: 0.0,
        dm,
        presto_sigma: sigma - 0.5,
        sifting_sigma: sigma - 1.0,
        prepfold_sigma: sigma,
        reduced_chi2: 4.0,
        snr: 2.0 * sigma,
        coherent_power: 50.0,
        incoherent_power: 40.0,
        num_hits: 12,
        num_harmonics: 4,
        z: 0.0,
        accel_m_s2: 0.0,
        sifting_period_s: period_s,
        sifting_dm: dm,
        impulsive: false,
        search: Default::default(),
        pulse_width_s: None,
        plot_file: String::new(),
        pfd_file: String::new(),
        bestprof_file: String::new(),
        ratings: Vec::new(),
        known_pulsar: None,
    }
}
