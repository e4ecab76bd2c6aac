//! `palfa downloader`: the downloader daemon.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use palfa_tracker::archive::CornellArchive;
use palfa_tracker::{DownloadRunOptions, DownloadSettings, DownloadStop, Downloader, Tracker, TransferInfo};

use crate::Cli;

/// Arguments of `palfa downloader`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  palfa --config site/palfa.toml downloader                 # until SIGINT/SIGTERM
  palfa downloader --log-file logs/downloader.log
  palfa downloader --until-idle --sleep 2                   # fetch what the archive gives, then exit")]
pub struct DownloaderArgs {
    /// How it loops.
    #[command(flatten)]
    pub run: crate::daemon::LoopArgs,
}

/// Runs the downloader until SIGINT/SIGTERM (or the options say so).
pub fn run(cli: &Cli, args: &DownloaderArgs) -> anyhow::Result<ExitCode> {
    let cfg = super::setup::load_config(cli.config.as_deref())?;
    let stop = crate::daemon::stop_on_signals()?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let archive = CornellArchive::from_config(&cfg).context("setting up the archive client")?;
    let settings = DownloadSettings::from_config(&cfg);
    tracing::info!(
        db = %cfg.background.jobtracker_db.display(),
        archive = %palfa_tracker::archive::Archive::describe(&archive),
        temp = %settings.temp.display(),
        "downloader starting"
    );
    let mut dl = Downloader::new(tracker, Arc::new(archive), settings)?;
    let _once = args.run.once();
    let opts = DownloadRunOptions {
        sleep: args.run.sleep(cfg.background.sleep_s),
        until_idle: args.run.until_idle,
        max_iterations: args.run.max_iterations(),
        stop_on_error: args.run.stop_on_error(),
    };
    let mut bars = Bars::new(!cli.no_progress && std::io::stderr().is_terminal());
    let why = dl.run(&opts, &stop, &mut |t| bars.update(t));
    bars.update(&[]);
    match why? {
        DownloadStop::Signal => tracing::info!("downloader stopped by a signal"),
        DownloadStop::Idle => tracing::info!("nothing waiting, downloading or retrying; downloader done"),
        DownloadStop::Iterations => tracing::debug!("downloader did its iterations"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One progress bar per transfer in flight (hidden when not on a terminal).
struct Bars {
    multi: MultiProgress,
    bars: HashMap<i64, ProgressBar>,
}

impl Bars {
    fn new(enabled: bool) -> Self {
        let multi = MultiProgress::new();
        if !enabled {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self {
            multi,
            bars: HashMap::new(),
        }
    }

    fn update(&mut self, transfers: &[TransferInfo]) {
        self.bars.retain(|id, bar| {
            let live = transfers.iter().any(|t| t.attempt_id == *id);
            if !live {
                bar.finish_and_clear();
            }
            live
        });
        for t in transfers {
            let bar = self.bars.entry(t.attempt_id).or_insert_with(|| {
                let b = self.multi.add(ProgressBar::new(t.size));
                b.set_style(
                    ProgressStyle::with_template(
                        "{msg:30!} [{bar:30}] {bytes:>10}/{total_bytes:<10} {binary_bytes_per_sec:>12} eta {eta}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                b.set_message(t.name.clone());
                b
            });
            bar.set_position(t.done);
        }
    }
}
