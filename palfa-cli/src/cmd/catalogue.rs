//! `palfa catalogue`: the pulsar catalogue that known-pulsar tags come from.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use palfa_search::known::{angular_separation_deg, load_catalogue, Catalogue};

use crate::Cli;

/// `palfa catalogue …`
#[derive(Debug, Subcommand)]
pub enum CatalogueCommand {
    /// Replace the catalogue with FILE (an ATNF export such as PRESTO's
    /// lib/psr_catalog.txt, or a palfa catalogue): checked, converted and
    /// written to --out, else to `[searching.known] catalogue` of the configuration.
    #[command(after_help = "Example:
  palfa --config palfa.toml catalogue update psr_catalog.txt")]
    Update {
        /// The new catalogue.
        file: PathBuf,
        /// Where to write it (default: searching.known.catalogue).
        #[arg(long)]
        out: Option<PathBuf>,
        /// A line added to the catalogue's source notes (where FILE came from, its version).
        #[arg(long)]
        note: Option<String>,
    },
    /// Where the catalogue comes from, how many pulsars it holds, and those
    /// near a position.
    Show {
        /// Right ascension of a position to list pulsars around [deg].
        #[arg(long, requires = "dec", allow_negative_numbers = true)]
        ra: Option<f64>,
        /// Declination [deg].
        #[arg(long, requires = "ra", allow_negative_numbers = true)]
        dec: Option<f64>,
        /// Radius around the position [deg].
        #[arg(long, default_value_t = 1.0)]
        radius: f64,
    },
}

/// Runs a `catalogue` subcommand.
pub fn run(cli: &Cli, cmd: &CatalogueCommand) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    match cmd {
        CatalogueCommand::Update { file, out, note } => {
            let out = out.clone().or_else(|| cfg.searching.known.catalogue.clone()).context(
                "no destination: give --out, or set `catalogue = \"PATH\"` in [searching.known] of the configuration",
            )?;
            let mut cat = Catalogue::read(file)?;
            cat.source.extend(note.iter().cloned());
            cat.write(&out)?;
            println!(
                "{}: {} pulsars written to {}",
                file.display(),
                cat.pulsars.len(),
                out.display()
            );
            for s in &cat.source {
                println!("  {s}");
            }
            Ok(ExitCode::SUCCESS)
        }
        CatalogueCommand::Show { ra, dec, radius } => {
            let cat = load_catalogue(&cfg.searching.known)?;
            match &cfg.searching.known.catalogue {
                Some(p) => println!("{}: {} pulsars", p.display(), cat.pulsars.len()),
                None => println!("built-in catalogue: {} pulsars", cat.pulsars.len()),
            }
            for s in &cat.source {
                println!("  {s}");
            }
            if let (Some(ra), Some(dec)) = (ra, dec) {
                let mut near: Vec<_> = cat
                    .pulsars
                    .iter()
                    .map(|p| (angular_separation_deg(*ra, *dec, p.ra_deg, p.dec_deg), p))
                    .filter(|(s, _)| *s <= *radius)
                    .collect();
                near.sort_by(|a, b| a.0.total_cmp(&b.0));
                println!("{} within {radius}° of ({ra}, {dec}):", near.len());
                for (s, p) in near {
                    println!(
                        "  {:<14} {:<10} P {:>12.6} ms  DM {:>8.2}  {:>7.3}°",
                        p.jname,
                        p.bname.as_deref().unwrap_or(""),
                        1e3 / p.f0_hz,
                        p.dm,
                        s
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
