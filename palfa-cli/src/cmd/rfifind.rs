//! `palfa rfifind FILE…`: find RFI in a beam, write a PRESTO-compatible mask,
//! the statistics (with the clipped spectra) and a summary plot, and print the
//! masked, clipped and combined fractions.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use palfa_core::beam::{open_beam, SpectraSource};
use palfa_core::config::RfiParams;
use palfa_search::rfi::{find_rfi, plot_rfi, stats_json_for_mask, MaskedSource};

use crate::{progress, Cli};

/// Arguments of `palfa rfifind`. Unset options take `[searching]` of the
/// configuration (or the built-in defaults when there is none).
#[derive(Debug, Args)]
pub struct RfifindArgs {
    /// The beam: one filterbank or PSRFITS file, or the two files of a PALFA Mock pair.
    #[arg(required = true, num_args = 1..=2)]
    pub files: Vec<PathBuf>,
    /// Interval length [s] (searching.rfifind_chunk_time; PALFA 2.097152).
    #[arg(long)]
    pub time: Option<f64>,
    /// Time-domain threshold [sigma] on cell means and standard deviations (searching.rfifind_timesig).
    #[arg(long)]
    pub timesig: Option<f64>,
    /// Frequency-domain threshold [sigma] on cell peak powers (searching.rfifind_freqsig).
    #[arg(long)]
    pub freqsig: Option<f64>,
    /// Fraction of bad channels that masks a whole interval (searching.rfifind_chanfrac).
    #[arg(long)]
    pub chanfrac: Option<f64>,
    /// Fraction of bad intervals that masks a whole channel (searching.rfifind_intfrac).
    #[arg(long)]
    pub intfrac: Option<f64>,
    /// Clip level [sigma] of the band sum for impulsive RFI, 0 = off (searching.rfifind_clip).
    #[arg(long)]
    pub clip: Option<f64>,
    /// Channels to mask always (lowest frequency = 0): numbers and inclusive ranges, e.g. 0:3,17.
    #[arg(long)]
    pub zapchan: Option<String>,
    /// Intervals to mask always: numbers and inclusive ranges, e.g. 0,10:12.
    #[arg(long)]
    pub zapints: Option<String>,
    /// Output base: files are BASE_rfifind.{mask,stats,bytemask,inf,stats.json,png}
    /// (default: the first file's name without suffix, in the current directory).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Do not draw the PNG summary.
    #[arg(long)]
    pub no_plot: bool,
}

/// Opens `--mask` over `src` ([`MaskedSource::open`]: the mask and the
/// clipped spectra of the `.stats.json` beside it), saying what it clips.
pub fn open_mask(src: Box<dyn SpectraSource>, mask: &Path) -> anyhow::Result<MaskedSource> {
    let masked = MaskedSource::open(src, mask)?;
    if !masked.clipped_spectra().is_empty() {
        tracing::info!(
            stretches = masked.clipped_spectra().len(),
            file = %stats_json_for_mask(mask).display(),
            "clipping rfifind's impulsive RFI"
        );
    }
    Ok(masked)
}

/// Runs `palfa rfifind`.
pub fn run(cli: &Cli, a: &RfifindArgs) -> anyhow::Result<ExitCode> {
    let mut params = super::setup::load_config(cli.config.as_deref())?.searching.rfi;
    apply(&mut params, a)?;
    let mut beam = open_beam(&a.files)?;
    let header = beam.header().clone();
    if let Some(&c) = params.zap_chans.iter().find(|&&c| c >= header.nchans) {
        bail!("--zapchan {c} is beyond the last channel ({})", header.nchans - 1);
    }
    let (dir, base) = out_base(a.out.as_deref(), &header.basename());
    let pb = progress::bar(header.nsamples, "rfifind", !cli.no_progress);
    let t0 = std::time::Instant::now();
    let result = find_rfi(beam.as_mut(), &params, &|done, _| pb.set_position(done))?;
    pb.finish_and_clear();
    let files = result.write_files(&dir, &base)?;
    tracing::info!(
        "{} channels × {} spectra in {:.1} s; wrote {}, {}, {}, {}, {}",
        header.nchans,
        result.nsamples,
        t0.elapsed().as_secs_f64(),
        files.mask.display(),
        files.stats.display(),
        files.bytemask.display(),
        files.inf.display(),
        files.json.display()
    );
    if !a.no_plot {
        let png = dir.join(format!("{base}_rfifind.png"));
        plot_rfi(&result, &png)?;
        tracing::info!("wrote {}", png.display());
    }
    let clipped_ints = result.clipped.iter().filter(|&&n| n > 0).count();
    println!("{}", files.mask.display());
    println!(
        "masked: {:.3} % of cells ({} of {} channels and {} of {} intervals masked whole)",
        100.0 * result.masked_fraction,
        result.mask.zap_chans.len(),
        header.nchans,
        result.mask.zap_ints.len(),
        result.numint(),
    );
    println!(
        "clipped: {:.4} % of spectra ({} stretches of impulsive RFI in {} intervals, all channels)",
        100.0 * result.clipped_fraction,
        result.clipped_spectra.len(),
        clipped_ints
    );
    println!(
        "RFI mask percentage (masked or clipped): {:.3} %",
        100.0 * result.masked_or_clipped_fraction
    );
    Ok(ExitCode::SUCCESS)
}

/// Command-line values over the configuration's.
fn apply(p: &mut RfiParams, a: &RfifindArgs) -> anyhow::Result<()> {
    macro_rules! set {
        ($field:ident, $arg:expr) => {
            if let Some(v) = $arg {
                p.$field = v;
            }
        };
    }
    set!(chunk_time_s, a.time);
    set!(timesig, a.timesig);
    set!(freqsig, a.freqsig);
    set!(chanfrac, a.chanfrac);
    set!(intfrac, a.intfrac);
    set!(clip_sigma, a.clip);
    if let Some(s) = &a.zapchan {
        p.zap_chans
            .extend(parse_ranges(s).with_context(|| format!("--zapchan {s:?}"))?);
    }
    if let Some(s) = &a.zapints {
        p.zap_ints
            .extend(parse_ranges(s).with_context(|| format!("--zapints {s:?}"))?);
    }
    p.zap_chans.sort_unstable();
    p.zap_chans.dedup();
    p.zap_ints.sort_unstable();
    p.zap_ints.dedup();
    Ok(())
}

/// `"0:3,17"` → `[0, 1, 2, 3, 17]` (ranges inclusive, as PRESTO's `-zapchan`).
fn parse_ranges(s: &str) -> anyhow::Result<Vec<usize>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |x: &str| -> anyhow::Result<usize> {
            x.trim()
                .parse()
                .with_context(|| format!("{x:?} is not a channel or interval number"))
        };
        match part.split_once(':') {
            Some((lo, hi)) => {
                let (lo, hi) = (num(lo)?, num(hi)?);
                if lo > hi {
                    bail!("range {part:?} is reversed");
                }
                if hi - lo > 1_000_000 {
                    bail!("range {part:?} is too long");
                }
                out.extend(lo..=hi);
            }
            None => out.push(num(part)?),
        }
    }
    Ok(out)
}

/// The output directory and base name.
fn out_base(out: Option<&Path>, default: &str) -> (PathBuf, String) {
    match out {
        Some(p) => {
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."));
            let base = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| default.to_string());
            (dir, base)
        }
        None => (PathBuf::from("."), default.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_presto() {
        assert_eq!(parse_ranges("0:3, 17,5").unwrap(), vec![0, 1, 2, 3, 17, 5]);
        assert!(parse_ranges("3:1").is_err());
        assert!(parse_ranges("x").is_err());
        assert!(parse_ranges("").unwrap().is_empty());
    }

    #[test]
    fn output_base_splits_directory_and_name() {
        assert_eq!(
            out_base(Some(Path::new("out/b1")), "x"),
            (PathBuf::from("out"), "b1".into())
        );
        assert_eq!(out_base(Some(Path::new("b1")), "x"), (PathBuf::from("."), "b1".into()));
        assert_eq!(out_base(None, "beam"), (PathBuf::from("."), "beam".into()));
    }
}
