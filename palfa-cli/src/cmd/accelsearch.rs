//! `palfa accelsearch FILE.dat`: FFT, red-noise whitening, birdie zapping and
//! the Fourier-domain acceleration search of one time series, writing PRESTO's
//! `<base>_ACCEL_<zmax>` candidate file (and its binary `.cand`) beside it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use palfa_core::formats::presto::zaplist::Zaplist;
use palfa_core::names::presto_base;
use palfa_search::accel::{write_accel_file, write_cand, AccelConfig, AccelSearcher};
use palfa_search::spectrum::SpectrumMaker;
use palfa_search::zap::apply_zaplist;
use palfa_search::{rednoise, AccelPass, TimeSeries};

use crate::Cli;

/// Which pass's settings to start from.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PassArg {
    /// The low-acceleration pass (PALFA: zmax 0, 16 harmonics, sigma 2, flo 2 Hz).
    Lo,
    /// The high-acceleration pass (PALFA: zmax 50, 8 harmonics, sigma 3, flo 1 Hz).
    Hi,
}

/// Arguments of `palfa accelsearch`.
#[derive(Debug, Args)]
pub struct AccelsearchArgs {
    /// The time series (PRESTO .dat with its .inf beside it).
    pub file: PathBuf,
    /// Start from this pass's settings in the configuration (default: lo, or hi if --zmax > 0).
    #[arg(long, value_enum)]
    pub pass: Option<PassArg>,
    /// Largest |z| [Fourier bins] of the highest harmonic summed.
    #[arg(long)]
    pub zmax: Option<u32>,
    /// Harmonics summed at most (1, 2, 4, 8, 16, 32).
    #[arg(long)]
    pub numharm: Option<usize>,
    /// Candidate threshold [sigma, with trials].
    #[arg(long)]
    pub sigma: Option<f64>,
    /// Lowest frequency of the highest harmonic [Hz].
    #[arg(long)]
    pub flo: Option<f64>,
    /// Highest frequency searched [Hz].
    #[arg(long)]
    pub fhi: Option<f64>,
    /// Zaplist (.zaplist, or .birds to expand) (default: the configuration's default_zaplist, else none).
    #[arg(long)]
    pub zaplist: Option<PathBuf>,
    /// Write the zaplist used to this file (the pipeline's "Zaplist used" diagnostic).
    #[arg(long)]
    pub save_zaplist: Option<PathBuf>,
    /// Mean barycentric velocity of the observation (v/c) for the zaplist.
    #[arg(long, default_value_t = 0.0)]
    pub baryv: f64,
    /// Skip red-noise whitening (the search still normalises by block medians).
    #[arg(long)]
    pub no_rednoise: bool,
    /// Use every core inside the search.
    #[arg(long)]
    pub parallel: bool,
    /// Directory for the ACCEL file (default: beside the input, as PRESTO).
    #[arg(long, short)]
    pub outdir: Option<PathBuf>,
    /// Candidates printed.
    #[arg(long, default_value_t = 10)]
    pub show: usize,
}

/// Runs `palfa accelsearch`.
pub fn run(cli: &Cli, a: &AccelsearchArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let pass = match a.pass {
        Some(PassArg::Lo) => AccelPass::Lo,
        Some(PassArg::Hi) => AccelPass::Hi,
        None if a.zmax.unwrap_or(0) > 0 => AccelPass::Hi,
        None => AccelPass::Lo,
    };
    let mut params = match pass {
        AccelPass::Lo => cfg.searching.lo_accel.clone(),
        AccelPass::Hi | AccelPass::Ffa => cfg.searching.hi_accel.clone(),
    };
    let red = cfg.searching.rednoise.clone();
    if let Some(v) = a.zmax {
        params.zmax = v;
    }
    if let Some(v) = a.numharm {
        params.numharm = v;
    }
    if let Some(v) = a.sigma {
        params.sigma = v;
    }
    if let Some(v) = a.flo {
        params.flo_hz = v;
    }
    if let Some(v) = a.fhi {
        params.fhi_hz = v;
    }
    let mut acfg = AccelConfig::new(&params, pass)?;
    acfg.parallel = a.parallel;

    // PRESTO names such as beam_DM12.30.dat have a dot of their own: the base
    // name is the path without its final .dat/.inf.
    let base_in = presto_base(&a.file);
    let ts = TimeSeries::read(&a.file)?;
    let maker = SpectrumMaker::new();
    let mut spec = maker.make(&ts)?;
    if !a.no_rednoise {
        rednoise::whiten(&mut spec, &red);
    }
    let zaplist_path = a.zaplist.clone().or_else(|| cfg.processing.default_zaplist.clone());
    let mut used = Zaplist::default();
    if let Some(p) = &zaplist_path {
        let list = Zaplist::read(p)?;
        used = list.clone();
        let st = apply_zaplist(&mut spec, &list, a.baryv);
        eprintln!(
            "zapped {} bins with {} birds from {} ({:.3}% of the spectrum, {:.2}% below 10 Hz, {:.2}% below 1 Hz)",
            st.bins_zapped,
            list.birds.len(),
            p.display(),
            100.0 * st.fraction_zapped_total,
            100.0 * st.below_10hz,
            100.0 * st.below_1hz
        );
    }
    if let Some(p) = &a.save_zaplist {
        used.write(p)?;
    }
    let searcher = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &acfg)?;
    let t0 = std::time::Instant::now();
    let dets = searcher.search_detailed(&spec)?;
    let elapsed = t0.elapsed();
    let base = match &a.outdir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            d.join(base_in.file_name().unwrap_or_default())
        }
        None => base_in.clone(),
    };
    let out = write_accel_file(&dets, &spec, &base, acfg.zmax)?;
    write_cand(&dets, &base, acfg.zmax)?;
    let (rlo, rhi) = searcher.r_range();
    println!(
        "{}: N = {}, T = {:.3} s, DM {}; searched r {rlo}–{rhi} ({:.3}–{:.1} Hz), zmax {}, {} harmonics, sigma {} ({:.2} s)",
        a.file.display(),
        spec.n_samples,
        spec.t_obs_s,
        spec.dm,
        rlo as f64 / spec.t_obs_s,
        rhi as f64 / spec.t_obs_s,
        acfg.zmax,
        acfg.numharm,
        acfg.sigma,
        elapsed.as_secs_f64()
    );
    print_candidates(&dets, a.show);
    println!("{} candidates written to {}", dets.len(), display(&out));
    Ok(ExitCode::SUCCESS)
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

fn print_candidates(dets: &[palfa_search::accel::AccelDetection], show: usize) {
    if dets.is_empty() {
        return;
    }
    println!(
        "{:>4} {:>8} {:>9} {:>4} {:>14} {:>12} {:>9}",
        "cand", "sigma", "power", "harm", "period (ms)", "freq (Hz)", "z"
    );
    for (i, d) in dets.iter().take(show).enumerate() {
        let c = &d.candidate;
        println!(
            "{:>4} {:>8.2} {:>9.2} {:>4} {:>14.6} {:>12.6} {:>9.2}",
            i + 1,
            c.sigma,
            c.power,
            c.numharm,
            1e3 * c.period_s(),
            c.freq_hz(),
            c.z
        );
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use palfa_core::formats::presto::{write_dat, AccelFile, InfFile};

    use crate::{Cli, Command};

    #[test]
    fn searches_a_dat_with_a_dotted_presto_name() {
        let dir = std::env::temp_dir().join(format!("palfa-accelsearch-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A 25 Hz pulse train in uniform noise (LCG), 2^15 samples of 1 ms.
        let n = 1 << 15;
        let mut state = 7u64;
        let data: Vec<f32> = (0..n)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                noise
                    + if (i as f64 * 1e-3 * 25.0).fract() < 0.05 {
                        0.5
                    } else {
                        0.0
                    }
            })
            .collect();
        write_dat(dir.join("beam_DM12.30.dat"), &data).unwrap();
        let inf = InfFile {
            basename: "beam_DM12.30".into(),
            n: n as u64,
            dt: 1e-3,
            dm: 12.3,
            ..InfFile::default()
        };
        inf.write(dir.join("beam_DM12.30.inf")).unwrap();
        let out = dir.join("out");
        let cli = Cli::try_parse_from([
            "palfa",
            "--config",
            dir.join("absent.toml").to_str().unwrap(),
            "accelsearch",
            "--pass",
            "lo",
            "-o",
            out.to_str().unwrap(),
            dir.join("beam_DM12.30.dat").to_str().unwrap(),
        ])
        .unwrap();
        let Command::Accelsearch(args) = &cli.command else {
            panic!("not accelsearch");
        };
        // The named configuration file does not exist: that is an error, not defaults.
        assert!(super::run(&cli, args).is_err());
        let cli = Cli::try_parse_from([
            "palfa",
            "accelsearch",
            "--zmax",
            "10",
            "--save-zaplist",
            dir.join("used.zaplist").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            dir.join("beam_DM12.30.dat").to_str().unwrap(),
        ])
        .unwrap();
        let Command::Accelsearch(args) = &cli.command else {
            panic!("not accelsearch");
        };
        if std::env::var_os(palfa_core::config::CONFIG_ENV).is_none() && !std::path::Path::new("palfa.toml").exists() {
            super::run(&cli, args).unwrap();
            let f = AccelFile::read(out.join("beam_DM12.30_ACCEL_10")).unwrap();
            assert!(out.join("beam_DM12.30_ACCEL_10.cand").exists());
            assert!(
                (f.cands[0].r / f.t_obs_s() - 25.0).abs() < 0.05,
                "{}",
                f.cands[0].r / f.t_obs_s()
            );
            assert_eq!(f.inf.dm, 12.3);
            assert!(dir.join("used.zaplist").exists());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
