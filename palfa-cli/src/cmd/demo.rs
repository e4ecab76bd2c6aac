//! `palfa demo DIR`: a whole survey on built-in defaults, end to end.
//!
//! 1. A fresh set-up in DIR (`config init`), with the downloader pointed at a
//!    data archive on loopback, a SQLite job tracker, a SQLite results
//!    database and the local queue.
//! 2. Simulated beams with known pulsars, single pulses and RFI
//!    ([`palfa_core::simulate::presets::demo_survey`]) in the archive's
//!    directory (their truth kept apart, in `DIR/sim/`).
//! 3. `palfa archive serve` on that directory (restore service and FTP).
//! 4. `palfa run --until-idle`: the downloader asks the archive for the
//!    beams and downloads them, the job pooler searches each (`palfa search`
//!    on the local queue), the uploader puts the results into the results
//!    database; a progress display follows the survey from the tracker.
//! 5. The best candidates of each beam, read back from the results
//!    database, next to what was injected, and where the plots are.
//!
//! Every step is this `palfa` executable run as a separate process, as an
//! operator would run it; the log of each daemon is in `DIR/logs/`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use palfa_core::config::Config;
use palfa_core::formats::results::SearchResults;
use palfa_core::simulate::{presets, recovery, simulate, Truth};
use palfa_tracker::resultsdb::{self, query::CandidateSummary};
use palfa_tracker::site::SurveyProgress;
use palfa_tracker::Tracker;

use crate::Cli;

/// Arguments of `palfa demo`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  palfa demo palfa-demo          # a few minutes on 2 cores; then look in palfa-demo/")]
pub struct DemoArgs {
    /// Directory for the demo survey (created; must not hold a palfa.toml unless --force).
    pub dir: PathBuf,
    /// Reuse a directory that already holds a demo (its survey is started afresh).
    #[arg(long)]
    pub force: bool,
    /// Length of each simulated beam [s].
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Candidates listed per beam.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// Give up on the survey after this many seconds.
    #[arg(long, default_value_t = 3600.0)]
    pub timeout: f64,
}

/// What the demo leaves in DIR besides the set-up's own directories.
const LEFT_BY_A_DEMO: &[&str] = &[
    "archive",
    "sim",
    "rawdata",
    "work",
    "results",
    "logs",
    "qsublog",
    "jobtracker.db",
    "jobtracker.db-wal",
    "jobtracker.db-shm",
    "results.db",
    "results.db-wal",
    "results.db-shm",
];

/// Runs `palfa demo`.
pub fn run(cli: &Cli, a: &DemoArgs) -> anyhow::Result<ExitCode> {
    if !(a.duration > 0.0 && a.duration.is_finite()) {
        bail!("--duration must be a positive number of seconds");
    }
    let exe = std::env::current_exe().context("finding this palfa executable")?;
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let dir = std::fs::canonicalize(&a.dir)?;
    let config = dir.join("palfa.toml");
    if config.exists() {
        if !a.force {
            bail!("{} exists; use --force to run the demo there again", config.display());
        }
        for name in LEFT_BY_A_DEMO {
            let p = dir.join(name);
            if p.is_dir() {
                std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
            } else if p.exists() {
                std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
            }
        }
    }
    let step = Steps {
        exe: &exe,
        config: &config,
    };

    println!("== 1. a fresh set-up: SQLite job tracker and results database, local queue, an archive on loopback");
    step.run(&["config", "init", &dir.to_string_lossy(), "--force"])?;
    let http = free_port()?;
    let ftp = free_port()?;
    let passive = free_port()?;
    configure(&config, http, ftp)?;
    println!(
        "   {} (the downloader's [download] section points at the archive below)",
        config.display()
    );

    println!("\n== 2. simulated beams with known pulsars, single pulses and RFI, in the archive");
    let archive = dir.join("archive");
    let truths = simulate_beams(&dir.join("sim"), &archive, a.duration, !cli.no_progress)?;

    println!("\n== 3. the data archive: restore service http://127.0.0.1:{http}/ and FTP 127.0.0.1:{ftp}");
    let logs = dir.join("logs");
    let mut server = Server::start(&exe, &archive, http, ftp, passive, &logs.join("archive.log"))?;

    println!("\n== 4. the survey: downloader, job pooler (`palfa search` per beam) and uploader");
    step.run(&["db", "create"])?;
    step.run(&["resultsdb", "create"])?;
    let run_log = logs.join("palfa-run.log");
    let finished = follow_survey(&step, &config, &run_log, a, !cli.no_progress);
    server.stop();
    finished?;
    step.run(&["status"])?;

    println!("\n== 5. what the survey found, from the results database");
    let cfg = Config::load(&config)?;
    let found_all = report(&cfg, &truths, a.top)?;
    println!(
        "\nLogs: {}   Set-up: {}   Try: palfa --config {} resultsdb query",
        logs.display(),
        config.display(),
        config.display()
    );
    println!(
        "The survey in a browser: palfa --config {} serve   (then open http://127.0.0.1:8080/)",
        config.display()
    );
    Ok(if found_all {
        ExitCode::SUCCESS
    } else {
        println!("Some injected signals were not found.");
        ExitCode::FAILURE
    })
}

/// Runs this executable's subcommands on the demo's configuration.
struct Steps<'a> {
    exe: &'a Path,
    config: &'a Path,
}

impl Steps<'_> {
    fn command(&self, args: &[&str]) -> Command {
        println!("$ palfa --config {} {}", self.config.display(), args.join(" "));
        let mut c = Command::new(self.exe);
        c.arg("--config").arg(self.config).arg("--no-progress").args(args);
        c
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        let status = self
            .command(args)
            .status()
            .with_context(|| format!("running palfa {}", args.join(" ")))?;
        if !status.success() {
            bail!("palfa {} failed ({status})", args.join(" "));
        }
        Ok(())
    }
}

/// A loopback TCP port that nothing listens on now.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .context("finding a free loopback port")?
        .local_addr()?
        .port())
}

/// Sets the demo's values in the commented configuration that `config init`
/// wrote, key by key, so that the file keeps its comments.
fn configure(config: &Path, http: u16, ftp: u16) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let url = format!("\"http://127.0.0.1:{http}/PalfaDataService.asmx\"");
    let ftp = ftp.to_string();
    for (section, key, value) in [
        ("background", "sleep", "1.0"),
        ("download", "api_service_url", url.as_str()),
        ("download", "ftp_host", "\"127.0.0.1\""),
        ("download", "ftp_port", ftp.as_str()),
        ("download", "network_timeout", "20.0"),
        // The demo's beams are small: keep 1 GiB free rather than 10.
        ("download", "min_free_space", "1073741824"),
        ("download", "file_size_estimate", "10485760"),
    ] {
        text = set_key(&text, section, key, value).with_context(|| format!("editing {}", config.display()))?;
    }
    std::fs::write(config, text).with_context(|| format!("writing {}", config.display()))?;
    Config::load(config)?;
    Ok(())
}

/// `text` with `key = ...` of `[section]` replaced by `key = value`.
fn set_key(text: &str, section: &str, key: &str, value: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let (mut in_section, mut done) = (false, false);
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t == format!("[{section}]");
        }
        let is_key = t
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == key && !t.starts_with('#'));
        if in_section && is_key && !done {
            out.push_str(&format!("{key} = {value}  # set by palfa demo\n"));
            done = true;
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !done {
        bail!("no `{key}` in [{section}]");
    }
    Ok(out)
}

/// Simulates the demo's beams: each into `sim/NAME` (with its truth), its data
/// files then moved into `archive/`. Returns the truths.
fn simulate_beams(sim: &Path, archive: &Path, duration_s: f64, progress: bool) -> anyhow::Result<Vec<Truth>> {
    std::fs::create_dir_all(archive).with_context(|| format!("creating {}", archive.display()))?;
    let mut truths = Vec::new();
    for (name, p) in presets::demo_survey(duration_s) {
        let out = sim.join(name).join(name);
        std::fs::create_dir_all(out.parent().expect("has a parent"))?;
        let pb = crate::progress::bar(p.nsamples, name, progress);
        let t = simulate(&p, &out, &|done, _| pb.set_position(done)).with_context(|| format!("simulating {name}"))?;
        pb.finish_and_clear();
        let mut names = Vec::new();
        for f in &t.files {
            let file_name = f.file_name().context("a simulated file has a name")?;
            let to = archive.join(file_name);
            std::fs::rename(f, &to).with_context(|| format!("moving {} to {}", f.display(), to.display()))?;
            names.push(file_name.to_string_lossy().into_owned());
        }
        println!("   {}  (truth: {})", names.join(" + "), sim.join(name).display());
        truths.push(t);
    }
    Ok(truths)
}

/// The archive server, stopped when dropped.
struct Server {
    child: Option<Child>,
}

impl Server {
    fn start(exe: &Path, data: &Path, http: u16, ftp: u16, passive: u16, log: &Path) -> anyhow::Result<Self> {
        let passive_ports = format!("{passive}-{}", passive.saturating_add(15));
        let mut child = Command::new(exe)
            .arg("--log-file")
            .arg(log)
            .args(["archive", "serve", "--data"])
            .arg(data)
            .args([
                "--http",
                &format!("127.0.0.1:{http}"),
                "--ftp",
                &format!("127.0.0.1:{ftp}"),
            ])
            .args(["--passive-ports", &passive_ports])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting palfa archive serve")?;
        let deadline = Instant::now() + Duration::from_secs(30);
        for port in [http, ftp] {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if let Some(status) = child.try_wait()? {
                    bail!(
                        "palfa archive serve ended ({status}); its log ({}):\n{}",
                        log.display(),
                        std::fs::read_to_string(log).unwrap_or_default()
                    );
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    bail!(
                        "palfa archive serve did not listen on {addr} within 30 s (log: {})",
                        log.display()
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        println!("   serving {} (log: {})", data.display(), log.display());
        Ok(Self { child: Some(child) })
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            // SIGTERM lets it close its sockets; SIGKILL if it does not go.
            let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `palfa run --until-idle` and draws the survey's progress from the
/// tracker until it ends.
fn follow_survey(step: &Steps<'_>, config: &Path, log: &Path, a: &DemoArgs, progress: bool) -> anyhow::Result<()> {
    let log_s = log.to_string_lossy().into_owned();
    let mut child = step
        .command(&["--log-file", &log_s, "run", "--until-idle", "--sleep", "1"])
        .stdin(Stdio::null())
        .spawn()
        .context("starting palfa run")?;
    println!("   (log: {})", log.display());
    let cfg = Config::load(config)?;
    let tracker = Tracker::open(&cfg.background.jobtracker_db)?;
    let mut bars = crate::progress::SurveyBars::new(progress);
    let deadline = Instant::now() + Duration::from_secs_f64(a.timeout.max(1.0));
    let status = loop {
        if let Ok(p) = SurveyProgress::gather(&tracker) {
            bars.update(&p);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let status = child.wait()?;
            bars.finish();
            bail!(
                "the survey did not finish within {} s ({status}); see {}",
                a.timeout,
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    let p = SurveyProgress::gather(&tracker)?;
    bars.finish();
    println!(
        "   {} restore request(s), {} file(s) arrived, {} beam(s) searched, {} uploaded, {} given up",
        p.requests,
        p.files_arrived,
        p.beams_searched,
        p.beams_uploaded,
        p.beams_failed + p.files_failed
    );
    if !status.success() {
        bail!("palfa run failed ({status}); see {}", log.display());
    }
    Ok(())
}

/// Prints each beam's best candidates from the results database next to what
/// was injected; true when every injected signal was found.
fn report(cfg: &Config, truths: &[Truth], top: usize) -> anyhow::Result<bool> {
    let mut store = resultsdb::open(&cfg.commondb).context("opening the results database")?;
    let all = resultsdb::query::best_candidates(store.as_mut(), 1_000_000, None)?;
    if let palfa_core::config::CommonDbBackend::Sqlite { path } = &cfg.commondb.backend {
        println!("   results database: {}", path.display());
    }
    let mut found_all = true;
    for t in truths {
        let first = t.files[0]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((rdir, r)) = SearchResults::find_for_file(&cfg.jobpooler.base_results_directory, &first)? else {
            println!("\n   {first}: no results directory");
            found_all = false;
            continue;
        };
        let recovered = recovery::compare(t, &r);
        let rows: Vec<&CandidateSummary> = all.iter().filter(|c| c.obs_name == r.header.obs_name).collect();
        println!("\n   beam {}  ({} in the database)", r.header.obs_name, rows.len());
        println!(
            "     {:>4} {:>6} {:>14} {:>9} {:>8} {:>8}  ",
            "cand", "score", "P [ms]", "DM", "fold σ", "accel σ"
        );
        for c in rows.iter().take(top) {
            let mut mark = recovered
                .iter()
                .find(|x| x.candidate == Some(c.cand_num as u32))
                .map(|x| format!("<- injected {}", x.injected))
                .unwrap_or_default();
            if let Some(tag) = c.known_tag() {
                mark = format!("{mark}  [known pulsar {tag}]");
            }
            let score = c.score.map_or("-".to_string(), |v| format!("{v:.3}"));
            println!(
                "     {:>4} {score:>6} {:>14.6} {:>9.2} {:>8.1} {:>8.1}  {mark}",
                c.cand_num,
                c.period_s * 1e3,
                c.dm,
                c.prepfold_sigma,
                c.presto_sigma
            );
        }
        for x in &recovered {
            // A pulsar counts as found only if its candidate reached the database.
            let in_db = x.candidate.is_none_or(|n| rows.iter().any(|c| c.cand_num as u32 == n));
            match (&x.found, in_db) {
                (Some(f), true) => println!("     injected {}: found as {f}", x.injected),
                (Some(f), false) => {
                    println!(
                        "     injected {}: found as {f}, but NOT in the results database",
                        x.injected
                    );
                    found_all = false;
                }
                (None, _) => {
                    println!("     injected {}: NOT found", x.injected);
                    found_all = false;
                }
            }
        }
        let best_plot = r
            .candidates
            .first()
            .map(|c| rdir.join(&c.plot_file).display().to_string())
            .unwrap_or_else(|| "-".into());
        println!("     plots: {}  (best: {best_plot})", rdir.display());
        let page = rdir.join(palfa_search::report::REPORT_FILE);
        if page.is_file() {
            println!("     report: {}", page.display());
        }
        println!(
            "     RFI mask {:.2}%, {:.2}% of the spectrum zapped, {} candidates folded",
            r.diagnostics.rfi_mask_percentage, r.diagnostics.percent_zapped_total, r.diagnostics.num_cands_folded
        );
    }
    Ok(found_all)
}

#[cfg(test)]
mod tests {
    use super::set_key;

    #[test]
    fn set_key_replaces_the_key_of_its_section_only() {
        let text = "[a]\nx = 1\n# x = 0\n[b]\n# x = 5\nx = 2\ny = 3\n";
        let out = set_key(text, "b", "x", "9").unwrap();
        assert_eq!(
            out,
            "[a]\nx = 1\n# x = 0\n[b]\n# x = 5\nx = 9  # set by palfa demo\ny = 3\n"
        );
        assert!(set_key(text, "b", "z", "1").is_err());
    }
}
