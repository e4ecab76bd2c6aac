//! `palfa inspect FILE…`: header and a summary of each data file.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use palfa_core::beam::{open_beam, SpectraSource};

use crate::Cli;

/// Arguments of `palfa inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Data files (filterbank or PSRFITS), each summarised on its own unless --merge is given.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Read all the files as one beam: consecutive files of one observation
    /// (in time order, gaps filled) and/or the two halves of a PALFA Mock beam.
    #[arg(long)]
    pub merge: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Spectra read for the statistics (0: the whole file).
    #[arg(long, default_value_t = 65536)]
    pub stats_spectra: u64,
}

/// Runs `palfa inspect`.
pub fn run(_cli: &Cli, args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let groups: Vec<Vec<PathBuf>> = if args.merge {
        vec![args.files.clone()]
    } else {
        args.files.iter().map(|f| vec![f.clone()]).collect()
    };
    let mut failed = false;
    for files in groups {
        match summarise(&files, args.stats_spectra) {
            Ok(s) => {
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&s)?);
                } else {
                    print_text(&s);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[derive(serde::Serialize)]
struct Summary {
    header: palfa_core::BeamHeader,
    duration_s: f64,
    fctr_mhz: f64,
    bandwidth_mhz: f64,
    spectra_read: u64,
    mean: f64,
    rms: f64,
    min: f32,
    max: f32,
    zero_weight_channels: usize,
}

fn summarise(files: &[PathBuf], limit: u64) -> anyhow::Result<Summary> {
    let mut beam = open_beam(files)?;
    let h = beam.header().clone();
    let want = if limit == 0 { h.nsamples } else { limit.min(h.nsamples) };
    let mut buf = vec![0f32; 4096 * h.nchans];
    let (mut n, mut sum, mut sum2) = (0u64, 0f64, 0f64);
    let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
    while n < want {
        let k = beam.read_spectra(&mut buf)?;
        if k == 0 {
            break;
        }
        let k = k.min((want - n) as usize);
        for &v in &buf[..k * h.nchans] {
            sum += v as f64;
            sum2 += (v as f64) * (v as f64);
            min = min.min(v);
            max = max.max(v);
        }
        n += k as u64;
    }
    let count = (n * h.nchans as u64).max(1) as f64;
    let mean = sum / count;
    Ok(Summary {
        duration_s: h.duration_s(),
        fctr_mhz: h.fctr_mhz(),
        bandwidth_mhz: h.bandwidth_mhz(),
        spectra_read: n,
        mean,
        rms: (sum2 / count - mean * mean).max(0.0).sqrt(),
        min,
        max,
        zero_weight_channels: h.chan_weights.iter().filter(|&&w| w == 0.0).count(),
        header: h,
    })
}

fn print_text(s: &Summary) {
    let h = &s.header;
    let files: Vec<String> = h.files.iter().map(|f| f.display().to_string()).collect();
    println!("file(s)            {}", files.join(" + "));
    println!("format             {}", h.format);
    println!("source             {}", h.source_name);
    println!("telescope/backend  {} / {}", h.telescope, h.backend);
    println!("position (J2000)   {} {}", h.ra_string(), h.dec_string());
    println!("start MJD          {:.10}", h.start_mjd);
    println!("sample time        {} us", h.tsamp_s * 1e6);
    println!("spectra            {} ({:.3} s)", h.nsamples, s.duration_s);
    println!(
        "channels           {} x {:.6} MHz, {:.4} to {:.4} MHz (centre {:.4})",
        h.nchans,
        h.chan_bw_mhz,
        h.lofreq_mhz,
        h.hifreq_mhz(),
        s.fctr_mhz
    );
    println!("bits / pols        {} / {}", h.nbits, h.npol);
    if let Some(b) = h.beam_id {
        println!("beam               {b}");
    }
    println!("file size          {} bytes", h.file_size);
    println!("zero-weight chans  {}", s.zero_weight_channels);
    println!(
        "first {} spectra:  mean {:.4} rms {:.4} min {} max {}",
        s.spectra_read, s.mean, s.rms, s.min, s.max
    );
}
