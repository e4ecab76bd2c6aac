//! `palfa serve`: the survey dashboard, a read-only web server over the job
//! tracker and the results database (`docs/dashboard.md`).

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use palfa_tracker::dashboard::{Dashboard, DashboardConfig};

use crate::Cli;

/// Arguments of `palfa serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but loopback needs a token.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Token every request must carry (`Authorization: Bearer TOKEN` or `?token=TOKEN`).
    #[arg(long, env = "PALFA_DASHBOARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// Runs the dashboard until SIGINT or SIGTERM.
pub fn run(cli: &Cli, a: &ServeArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let mut dc = DashboardConfig::from_config(&cfg);
    dc.listen = a.listen;
    dc.token = a.token.clone().filter(|t| !t.is_empty());
    let dashboard = Dashboard::bind(dc)?;
    let stop = crate::daemon::stop_on_signals()?;
    // The URL on stdout (with the token: it is the operator's own terminal).
    println!("palfa dashboard: {}", dashboard.url());
    tracing::info!(addr = %dashboard.local_addr(), "serving the survey dashboard (read-only)");
    dashboard.run(stop)?;
    Ok(ExitCode::SUCCESS)
}
