//! `palfa demo DIR`: a whole survey run on built-in defaults, end to end.
//!
//! Makes a fresh set-up in DIR (`config init`), simulates a few beams with known
//! pulsars, single pulses and RFI into its raw-data directory, creates the
//! job-tracker database, tracks the beams (`add-files`), runs the job pooler
//! with the local queue until every beam is searched (each job is
//! `palfa search`), and prints the survey status and what each beam's search
//! found next to what was injected. Every step is this `palfa` executable run
//! as a separate process, exactly as an operator would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use clap::Args;
use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{simulate, ImpulseSpec, PulsarSpec, RfiSpec, SimFormat, SimParams, SinglePulseSpec};

use crate::Cli;

/// Arguments of `palfa demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo survey (created; must not hold a palfa.toml unless --force).
    pub dir: PathBuf,
    /// Reuse a directory that already holds a demo.
    #[arg(long)]
    pub force: bool,
    /// Length of each simulated beam [s].
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
}

/// The demo beams: (name, parameters).
fn beams(duration: f64) -> Vec<(&'static str, SimParams)> {
    let base = SimParams {
        nchans: 128,
        fch1_mhz: 1537.0,
        chan_bw_mhz: 2.52,
        tsamp_s: 262e-6,
        nsamples: (duration / 262e-6) as u64,
        ..SimParams::default()
    };
    let psr = |p: f64, dm: f64, snr: f64, accel: f64| PulsarSpec {
        period_s: p,
        dm,
        duty: 0.05,
        snr,
        accel_m_s2: accel,
        phase: 0.0,
    };
    let t2 = duration * duration;
    vec![
        (
            "msp_and_mains.fil",
            SimParams {
                seed: 1,
                pulsars: vec![psr(0.0083, 60.0, 20.0, 0.0)],
                rfi: RfiSpec {
                    periodic_hz: 60.0,
                    periodic_amplitude: 0.3,
                    periodic_harmonics: 3,
                    ..RfiSpec::default()
                },
                ..base.clone()
            },
        ),
        (
            "mock_binary",
            SimParams {
                seed: 2,
                format: SimFormat::Mock,
                nbits: 4,
                nsblk: 4096,
                mock_overlap: 8,
                // z = +15 at the fundamental.
                pulsars: vec![psr(0.0113, 90.0, 25.0, -15.0 * 299_792_458.0 * 0.0113 / t2)],
                ..base.clone()
            },
        ),
        (
            "burst_and_rfi.fil",
            SimParams {
                seed: 3,
                single_pulses: vec![SinglePulseSpec {
                    time_s: 0.4 * duration,
                    dm: 250.0,
                    width_s: 0.004,
                    snr: 25.0,
                }],
                pulsars: vec![psr(0.4417, 35.0, 25.0, 0.0)],
                rfi: RfiSpec {
                    bad_channels: vec![20, 21, 90],
                    bad_channel_noise: 8.0,
                    impulses: vec![ImpulseSpec {
                        time_s: 0.7 * duration,
                        width_s: 0.002,
                        amplitude: 4.0,
                    }],
                    ..RfiSpec::default()
                },
                ..base
            },
        ),
    ]
}

fn run_step(exe: &Path, config: &Path, args: &[&str]) -> anyhow::Result<()> {
    println!("$ palfa --config {} {}", config.display(), args.join(" "));
    let status = Command::new(exe)
        .arg("--config")
        .arg(config)
        .arg("--no-progress")
        .args(args)
        .status()
        .with_context(|| format!("running palfa {}", args.join(" ")))?;
    if !status.success() {
        bail!("palfa {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs `palfa demo`.
pub fn run(_cli: &Cli, a: &DemoArgs) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("finding this palfa executable")?;
    let dir = &a.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = std::fs::canonicalize(dir)?;
    let config = dir.join("palfa.toml");
    if config.exists() && !a.force {
        bail!("{} exists; use --force to run the demo there again", config.display());
    }
    println!("== 1. a fresh set-up on the built-in defaults");
    let mut init = vec!["config", "init"];
    let dir_s = dir.to_string_lossy().into_owned();
    init.push(&dir_s);
    init.push("--force");
    run_step(&exe, &config, &init)?;

    println!("\n== 2. simulated beams with known pulsars, single pulses and RFI");
    let raw = dir.join("rawdata");
    let mut truths = Vec::new();
    for (name, p) in beams(a.duration) {
        let out = raw.join(name);
        let t = simulate(&p, &out, &|_, _| {}).with_context(|| format!("simulating {name}"))?;
        println!(
            "   {}",
            t.files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(" + ")
        );
        truths.push(t);
    }

    println!("\n== 3. the survey: database, tracked files, job pooler running `palfa search` per beam");
    run_step(&exe, &config, &["db", "create"])?;
    let raw_s = raw.to_string_lossy().into_owned();
    run_step(&exe, &config, &["add-files", "-r", &raw_s])?;
    run_step(&exe, &config, &["jobpool", "--until-idle", "--sleep", "1"])?;
    run_step(&exe, &config, &["status"])?;

    println!(
        "\n== 4. what the searches found (results directories under {})",
        dir.join("results").display()
    );
    let mut found_all = true;
    for t in &truths {
        let results = find_results(&dir.join("results"), &t.files[0])?;
        let Some((rdir, r)) = results else {
            println!("   {}: no results directory", t.files[0].display());
            found_all = false;
            continue;
        };
        println!("   {} -> {}", r.header.obs_name, rdir.display());
        found_all &= super::recovery::print(&super::recovery::compare(t, &r), "     ");
        println!(
            "     RFI mask {:.2}%, {:.2}% of the spectrum zapped, {} candidates folded",
            r.diagnostics.rfi_mask_percentage, r.diagnostics.percent_zapped_total, r.diagnostics.num_cands_folded
        );
    }
    Ok(if found_all {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The results directory (under `root`) whose header names `file`.
fn find_results(root: &Path, file: &Path) -> anyhow::Result<Option<(PathBuf, SearchResults)>> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.join(palfa_core::formats::results::RESULTS_FILE).is_file() {
                    let r = SearchResults::read_dir(&p)?;
                    if r.header.original_files.contains(&name) {
                        return Ok(Some((p, r)));
                    }
                }
                stack.push(p);
            }
        }
    }
    Ok(None)
}
