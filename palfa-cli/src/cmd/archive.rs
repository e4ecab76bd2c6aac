//! `palfa archive serve`: a reference data archive on this machine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use palfa_core::config::Secret;
use palfa_tracker::archive::server::{serve, ServeOptions};

use crate::Cli;

/// `palfa archive ...`
#[derive(Debug, Subcommand)]
pub enum ArchiveCommand {
    /// Serve a directory of beams with the archive's restore protocol (HTTP) and FTP/FTPS,
    /// for a survey that keeps its own data, for demos and for tests.
    Serve(ServeArgs),
}

/// Arguments of `palfa archive serve`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  palfa archive serve --data beams/                          # restore :8021, FTP :2121, anyone may log in
  PALFA_ARCHIVE_PASSWORD=s3cret palfa archive serve --data beams/ --user palfa \\
      --tls-cert cert.pem --tls-key key.pem --log-file logs/archive.log")]
pub struct ServeArgs {
    /// Directory of beams to hand out (restores go to DIR/.restores).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Address of the restore service.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8021")]
    pub http: SocketAddr,
    /// Address of the FTP server.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2121")]
    pub ftp: SocketAddr,
    /// User name both services require (default: anyone).
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// Password both services require (or $PALFA_ARCHIVE_PASSWORD).
    #[arg(long, env = "PALFA_ARCHIVE_PASSWORD", hide_env_values = true, requires = "user")]
    pub password: Option<String>,
    /// PEM certificate chain for FTPS (AUTH TLS).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for FTPS.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds from a restore request to its files being ready.
    #[arg(long, default_value_t = 0.0)]
    pub restore_delay: f64,
    /// Passive-mode data ports, FIRST-LAST.
    #[arg(long, default_value = "50000-50999")]
    pub passive_ports: String,
}

/// Runs the subcommand.
pub fn run(_cli: &Cli, c: &ArchiveCommand) -> anyhow::Result<ExitCode> {
    match c {
        ArchiveCommand::Serve(a) => run_serve(a),
    }
}

fn run_serve(a: &ServeArgs) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(sig, Arc::clone(&stop))?;
    }
    let (lo, hi) = a
        .passive_ports
        .split_once('-')
        .and_then(|(l, h)| Some((l.trim().parse::<u16>().ok()?, h.trim().parse::<u16>().ok()?)))
        .filter(|(l, h)| l <= h)
        .ok_or_else(|| anyhow::anyhow!("--passive-ports {:?}: expected FIRST-LAST", a.passive_ports))?;
    if !(a.restore_delay >= 0.0 && a.restore_delay.is_finite()) {
        anyhow::bail!("--restore-delay must be a number of seconds >= 0");
    }
    let opts = ServeOptions {
        data: a.data.clone(),
        http: a.http,
        ftp: a.ftp,
        credentials: a.user.clone().zip(a.password.clone().map(Secret::new)),
        tls: a.tls_cert.clone().zip(a.tls_key.clone()),
        restore_delay: Duration::from_secs_f64(a.restore_delay),
        passive_ports: lo..=hi,
    };
    eprintln!(
        "palfa archive: restore service http://{}/ , FTP{} {} , data {}",
        a.http,
        if opts.tls.is_some() { "/FTPS" } else { "" },
        a.ftp,
        a.data.display()
    );
    serve(opts, stop)?;
    Ok(ExitCode::SUCCESS)
}
