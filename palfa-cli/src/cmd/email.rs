//! `palfa email test`: checks the `[email]` settings by sending a message.

use std::process::ExitCode;

use clap::Subcommand;
use palfa_tracker::notify::SmtpNotifier;

use crate::Cli;

/// `palfa email …`
#[derive(Debug, Subcommand)]
pub enum EmailCommand {
    /// Send a test message with the [email] settings (even if `enabled = false`) and say whether the server took it.
    Test,
}

/// Runs an `email` subcommand.
pub fn run(cli: &Cli, cmd: &EmailCommand) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    match cmd {
        EmailCommand::Test => {
            let e = &cfg.email;
            if e.sender.trim().is_empty() || e.recipient.trim().is_empty() {
                anyhow::bail!("email.sender and email.recipient must be set to send a test message");
            }
            let mailer = SmtpNotifier::from_config(e)?;
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "this machine".into());
            let body = format!(
                "This is a test message from palfa on {host}.\n\n\
                 If you read this, failures of the survey's jobs will reach you \
                 (email.enabled = {}, send_on_failures = {}, send_on_terminal_failures = {}).\n",
                e.enabled, e.send_on_failures, e.send_on_terminal_failures
            );
            match mailer.send("[palfa] test message", &body) {
                Ok(()) => {
                    println!(
                        "the server {} accepted the test message for {}",
                        mailer.server(),
                        e.recipient
                    );
                    if !e.enabled {
                        println!("note: email.enabled = false, so the daemons will not send mail");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(err) => {
                    println!("the test message was NOT sent: {err}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
