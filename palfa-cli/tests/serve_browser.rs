//! `palfa serve` in a real headless browser: a small survey made by `palfa
//! demo`, the dashboard started on it, and Debian's chromium loading every
//! page. Each page must load without a JavaScript error (`data-errors="0"`,
//! counted by the page's `window.onerror`), run its script (`data-js="1"`)
//! and show the demo's beams and candidates; a screenshot of each is saved
//! under `target/test-output/dashboard/`.
//!
//! chromium is `$PALFA_TEST_CHROMIUM`, else `chromium` on `PATH`; without
//! either the test says why and returns. When `PALFA_TEST_CHROMIUM` is set it
//! must run.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use palfa_tracker::states::JobStatus;
use palfa_tracker::Tracker;

/// A child process killed (SIGTERM, then SIGKILL) when dropped.
struct Guard(Option<Child>);

impl Guard {
    fn stop(&mut self, grace: Duration) {
        let Some(mut c) = self.0.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(c.id().to_string()).status();
        let end = Instant::now() + grace;
        while Instant::now() < end {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PALFA_TEST_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "PALFA_TEST_CHROMIUM={} is not a file", p.display());
        return Some(p);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Runs a command to its end within `limit`; returns (success, stdout, stderr).
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> (bool, String, String) {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(out)) => (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
        Ok(Err(e)) => panic!("{cmd:?}: {e}"),
        Err(_) => {
            let _ = Command::new("kill").arg("-KILL").arg(pid.to_string()).status();
            panic!("{cmd:?} did not finish in {limit:?}");
        }
    }
}

/// The fold sigmas of a report's candidate rows, in the order shown (the
/// column found by its header's `data-key`, the value in each cell's `data-v`).
fn fold_sigmas(dom: &str) -> Vec<f64> {
    let table = &dom[dom.find("<table id=\"cands\"").expect("candidate table")..];
    let head = &table[..table.find("</thead>").unwrap()];
    let col = head
        .split("<th")
        .skip(1)
        .position(|th| th.contains("data-key=\"prepfold_sigma\""))
        .expect("a fold-sigma column");
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|tr| {
            let td = tr.split("<td").nth(col + 1).expect("the cell");
            let v = td.split("data-v=\"").nth(1).expect("its value");
            v[..v.find('"').unwrap()].parse().expect("a number")
        })
        .collect()
}

/// Where the screenshots go.
fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let d = target.join("test-output/dashboard");
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

fn browser(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn the_dashboard_of_a_demo_survey_loads_in_a_headless_browser() {
    let Some(chromium) = chromium() else {
        println!(
            "SKIPPED dashboard in a browser: no chromium (set PALFA_TEST_CHROMIUM or put chromium on PATH; \
             Debian: apt-get install chromium)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    let palfa = env!("CARGO_BIN_EXE_palfa");

    // A whole small survey.
    let started = Instant::now();
    let (ok, out, err) = run_with_timeout(
        Command::new(palfa)
            .arg("demo")
            .arg(&dir)
            .args(["--timeout", "1500"])
            .env_remove("PALFA_CONFIG"),
        Duration::from_secs(1800),
    );
    // Whether it found every injected signal is `site_run.rs`'s business; here
    // the survey must have run to its end.
    assert!(
        ok || out.contains("what the survey found"),
        "palfa demo failed:\n{out}\n{err}"
    );
    println!("palfa demo took {:.0} s", started.elapsed().as_secs_f64());
    let jobs = Tracker::open(dir.join("jobtracker.db")).unwrap().jobs().unwrap();
    assert!(!jobs.is_empty());
    assert!(jobs.iter().all(|j| j.status == JobStatus::Uploaded), "{out}");
    let job_ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    let beams: Vec<String> = jobs.into_iter().map(|j| j.beam).collect();

    // The dashboard.
    let port = free_port();
    let mut server = Guard(Some(
        Command::new(palfa)
            .arg("--config")
            .arg(dir.join("palfa.toml"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "info")
            .env_remove("PALFA_DASHBOARD_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let stdout = server.0.as_mut().unwrap().stdout.take().unwrap();
    let stderr = server.0.as_mut().unwrap().stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let log = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("palfa serve printed no URL");
    let base = format!("http://127.0.0.1:{port}");
    assert!(line.contains(&format!("{base}/")), "{line}");
    println!("{line}");

    let out_dir = output_dir();
    let profile = tmp.path().join("chromium-profile");
    let mut pages = vec![
        ("overview".to_string(), "/".to_string()),
        ("beams".to_string(), "/beams".to_string()),
        ("candidates".to_string(), "/candidates".to_string()),
        (
            "candidates-hide-known".to_string(),
            "/candidates?hide_known=1".to_string(),
        ),
        ("sky".to_string(), "/sky".to_string()),
        ("failures".to_string(), "/failures".to_string()),
    ];
    // Each beam's own report.html (written by `palfa search`), sorted by fold
    // sigma, weakest first, with candidate 1 (each demo beam's injected
    // pulsar, as site_run.rs checks) opened.
    for id in &job_ids {
        pages.push((
            format!("report-{id}"),
            format!("/beams/{id}/report/report.html#sort=prepfold_sigma&dir=asc&open=1"),
        ));
    }
    let mut known_in_a_report = false;
    for (name, path) in &pages {
        let name = name.as_str();
        let url = format!("{base}{path}");
        let (ok, dom, err) = run_with_timeout(
            browser(&chromium, &profile).arg("--dump-dom").arg(&url),
            Duration::from_secs(120),
        );
        assert!(ok, "chromium --dump-dom {url} failed: {err}");
        assert!(dom.contains(r#"data-ready="1""#), "{url}: not ready\n{dom}");
        assert!(dom.contains(r#"data-errors="0""#), "{url}: JavaScript errors\n{dom}");
        if name.starts_with("report") {
            // The report's candidate table sorts and the injected pulsar's fold is shown.
            assert!(
                dom.contains(r#"data-sorted-by="prepfold_sigma""#),
                "{url}: not sorted\n{dom}"
            );
            assert!(dom.contains(r#"data-open="1""#), "{url}: candidate 1 not opened\n{dom}");
            let img = dom
                .split("<img id=\"fold-img\"")
                .nth(1)
                .expect("the fold viewer's image");
            let img = &img[..img.find('>').unwrap()];
            assert!(img.contains(r#"data-cand="1""#), "{url}: {img}");
            assert!(
                img.contains(r#"data-loaded="1""#),
                "{url}: the fold image did not load: {img}"
            );
            let sigmas = fold_sigmas(&dom);
            assert!(
                sigmas.windows(2).all(|w| w[0] <= w[1]),
                "{url}: not ascending: {sigmas:?}"
            );
            known_in_a_report |= dom.contains("Known pulsars in the beam") && dom.contains("J1912+1036");
        } else {
            assert!(dom.contains(r#"data-js="1""#), "{url}: its script did not run\n{dom}");
        }
        match name {
            "beams" => {
                for b in &beams {
                    assert!(dom.contains(b.as_str()), "{url}: beam {b} not listed");
                }
                assert!(dom.contains("uploaded"), "{url}");
            }
            "candidates" => {
                assert!(!dom.contains("No candidates yet"), "{url}: no candidates\n{dom}");
                assert!(
                    beams.iter().any(|b| dom.contains(b.as_str())),
                    "{url}: no demo beam among the candidates"
                );
                assert!(dom.contains("<tr><td class=\"num\">1</td>"), "{url}");
                // The demo's PSR B1910+10 is marked as known...
                assert!(dom.contains("J1912+1036"), "{url}: the known pulsar is not marked");
            }
            // ... and hidden on request.
            "candidates-hide-known" => assert!(!dom.contains("J1912+1036"), "{url}: known pulsar shown"),
            "overview" => {
                assert!(
                    dom.contains("Beams by state over time") && dom.contains("<svg"),
                    "{url}"
                );
                assert!(dom.contains("uploaded"), "{url}");
            }
            "sky" => assert!(dom.contains("<circle"), "{url}: no beam on the sky\n{dom}"),
            _ => {}
        }
        let png = out_dir.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&png);
        let (ok, _, err) = run_with_timeout(
            browser(&chromium, &profile)
                .arg(format!("--screenshot={}", png.display()))
                .arg("--window-size=1366,900")
                .arg(&url),
            Duration::from_secs(120),
        );
        assert!(ok && png.is_file(), "chromium --screenshot {url} failed: {err}");
        let head = std::fs::read(&png).unwrap();
        assert!(head.starts_with(b"\x89PNG"), "{}", png.display());
    }
    assert!(
        known_in_a_report,
        "no demo report lists PSR B1910+10 among its known pulsars"
    );
    println!("screenshots of the dashboard: {}", out_dir.display());

    server.stop(Duration::from_secs(10));
    let log = log.join().unwrap();
    assert!(log.contains("dashboard request"), "requests are logged:\n{log}");
    assert!(!log.contains("ERROR"), "{log}");
}
