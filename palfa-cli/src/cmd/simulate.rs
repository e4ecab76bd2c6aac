//! `palfa simulate`: write a synthetic beam with known pulsars, single pulses and RFI.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use palfa_core::simulate::{simulate, ImpulseSpec, PulsarSpec, SimFormat, SimParams, SinglePulseSpec};

use crate::{progress, Cli};

/// Ready-made beams ([`palfa_core::simulate::Preset`]).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Preset {
    /// The PALFA-size reference beam of the PRESTO baseline (960 channels, 65.476 us,
    /// 2^20 samples = 68.7 s; two MSPs, a slow pulsar, five single pulses, RFI).
    Reference,
    /// The same signals in a full-length PALFA beam (2^22 samples = 274.6 s).
    Palfa,
}

/// Arguments of `palfa simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Output: the data file, or the directory for a Mock pair. The truth goes beside it as .truth.json.
    #[arg(long, short)]
    pub out: PathBuf,
    /// TOML file of parameters (see docs/simulate.md); flags override it.
    #[arg(long)]
    pub params: Option<PathBuf>,
    /// Start from a ready-made beam.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Bits per sample (1, 2, 4, 8, 16, 32).
    #[arg(long)]
    pub nbits: Option<u32>,
    /// Number of channels.
    #[arg(long)]
    pub nchans: Option<usize>,
    /// Centre of the highest channel [MHz].
    #[arg(long)]
    pub fch1: Option<f64>,
    /// Channel width [MHz].
    #[arg(long)]
    pub chan_bw: Option<f64>,
    /// Sample time [s].
    #[arg(long)]
    pub tsamp: Option<f64>,
    /// Length [s] (rounded to whole samples).
    #[arg(long, conflicts_with = "nsamples")]
    pub duration: Option<f64>,
    /// Length in spectra.
    #[arg(long)]
    pub nsamples: Option<u64>,
    /// Random seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// A pulsar: period=S,dm=D,snr=N[,duty=F][,accel=M/S2][,phase=T] (repeatable).
    #[arg(long = "pulsar")]
    pub pulsars: Vec<String>,
    /// A single pulse: time=S,dm=D,width=S,snr=N (repeatable; time at the top of the band).
    #[arg(long = "single-pulse")]
    pub single_pulses: Vec<String>,
    /// Periodic undispersed RFI: frequency [Hz] (e.g. 60).
    #[arg(long)]
    pub rfi_periodic: Option<f64>,
    /// Amplitude of the periodic RFI [sigma per channel].
    #[arg(long, default_value_t = 0.5)]
    pub rfi_periodic_amplitude: f64,
    /// Harmonics of the periodic RFI.
    #[arg(long, default_value_t = 5)]
    pub rfi_periodic_harmonics: u32,
    /// Bad channels (lowest frequency = 0), comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub bad_channels: Vec<usize>,
    /// Noise of the bad channels [sigma].
    #[arg(long, default_value_t = 10.0)]
    pub bad_channel_noise: f64,
    /// A broadband impulse: time=S,width=S,amp=SIGMA (repeatable).
    #[arg(long = "impulse")]
    pub impulses: Vec<String>,
}

/// Output formats on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// SIGPROC filterbank.
    Filterbank,
    /// PSRFITS search mode.
    Psrfits,
    /// PALFA Mock s0/s1 PSRFITS pair.
    Mock,
}

/// Runs `palfa simulate`.
pub fn run(cli: &Cli, a: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let mut p = match a.preset {
        Some(preset) => preset_params(preset),
        None => SimParams::default(),
    };
    if let Some(file) = &a.params {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        p = SimParams::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    }
    if let Some(f) = a.format {
        p.format = match f {
            FormatArg::Filterbank => SimFormat::Filterbank,
            FormatArg::Psrfits => SimFormat::Psrfits,
            FormatArg::Mock => SimFormat::Mock,
        };
    }
    macro_rules! set {
        ($field:ident, $arg:expr) => {
            if let Some(v) = $arg {
                p.$field = v;
            }
        };
    }
    set!(nbits, a.nbits);
    set!(nchans, a.nchans);
    set!(fch1_mhz, a.fch1);
    set!(chan_bw_mhz, a.chan_bw);
    set!(tsamp_s, a.tsamp);
    set!(nsamples, a.nsamples);
    set!(seed, a.seed);
    if let Some(d) = a.duration {
        p.nsamples = (d / p.tsamp_s).round() as u64;
    }
    for s in &a.pulsars {
        let kv = parse_kv(s, &["period", "dm", "snr", "duty", "accel", "phase"])?;
        p.pulsars.push(PulsarSpec {
            period_s: need(&kv, "period", s)?,
            dm: need(&kv, "dm", s)?,
            snr: need(&kv, "snr", s)?,
            duty: get(&kv, "duty").unwrap_or(0.05),
            accel_m_s2: get(&kv, "accel").unwrap_or(0.0),
            phase: get(&kv, "phase").unwrap_or(0.0),
        });
    }
    for s in &a.single_pulses {
        let kv = parse_kv(s, &["time", "dm", "width", "snr"])?;
        p.single_pulses.push(SinglePulseSpec {
            time_s: need(&kv, "time", s)?,
            dm: need(&kv, "dm", s)?,
            width_s: need(&kv, "width", s)?,
            snr: need(&kv, "snr", s)?,
        });
    }
    if let Some(f) = a.rfi_periodic {
        p.rfi.periodic_hz = f;
        p.rfi.periodic_amplitude = a.rfi_periodic_amplitude;
        p.rfi.periodic_harmonics = a.rfi_periodic_harmonics;
    }
    if !a.bad_channels.is_empty() {
        p.rfi.bad_channels = a.bad_channels.clone();
        p.rfi.bad_channel_noise = a.bad_channel_noise;
    }
    for s in &a.impulses {
        let kv = parse_kv(s, &["time", "width", "amp"])?;
        p.rfi.impulses.push(ImpulseSpec {
            time_s: need(&kv, "time", s)?,
            width_s: need(&kv, "width", s)?,
            amplitude: need(&kv, "amp", s)?,
        });
    }
    if let Some(parent) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let pb = progress::bar(p.nsamples, "simulate", !cli.no_progress);
    let t0 = std::time::Instant::now();
    let truth = simulate(&p, &a.out, &|done, _| pb.set_position(done))?;
    pb.finish_and_clear();
    let bytes: u64 = truth
        .files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    tracing::info!(
        "wrote {} ({:.1} MB, {:.2} s of data) in {:.1} s",
        truth
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(" + "),
        bytes as f64 / 1e6,
        truth.duration_s,
        t0.elapsed().as_secs_f64()
    );
    println!("{}", palfa_core::simulate::truth_path(&truth.files[0]).display());
    Ok(ExitCode::SUCCESS)
}

fn parse_kv(s: &str, keys: &[&str]) -> anyhow::Result<Vec<(String, f64)>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            bail!("{s:?}: expected key=value pairs, got {part:?}");
        };
        let k = k.trim();
        if !keys.contains(&k) {
            bail!("{s:?}: unknown key {k:?} (known: {})", keys.join(", "));
        }
        let v: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("{s:?}: {k} is not a number"))?;
        out.push((k.to_string(), v));
    }
    Ok(out)
}

fn get(kv: &[(String, f64)], k: &str) -> Option<f64> {
    kv.iter().find(|(key, _)| key == k).map(|(_, v)| *v)
}

fn need(kv: &[(String, f64)], k: &str, s: &str) -> anyhow::Result<f64> {
    get(kv, k).with_context(|| format!("{s:?}: {k}= is required"))
}

/// The library's parameters of a ready-made beam.
pub fn preset_params(preset: Preset) -> SimParams {
    match preset {
        Preset::Reference => palfa_core::simulate::Preset::Reference,
        Preset::Palfa => palfa_core::simulate::Preset::Palfa,
    }
    .params()
}
