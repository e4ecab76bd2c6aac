//! `palfa report` checked in a real browser: a simulated beam with an
//! injected pulsar is searched (`palfa simulate`, `palfa search`), its report
//! written (`palfa report`), and Debian's chromium, headless, loads the page:
//! no script errors, the candidate table sorted as the URL fragment asks, the
//! injected pulsar's fold plot opened and loaded. Screenshots go to
//! `target/test-output/report/` (printed).
//!
//! The browser: `$PALFA_TEST_CHROMIUM`, else `chromium` on the PATH (and,
//! for a rendering check in a second browser, `$PALFA_TEST_FIREFOX`)
//! (`.ci/services/chromium.sh` installs it); without either the test is
//! skipped (under CI it fails).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palfa_core::formats::results::{CandidateSearch, SearchResults};
use palfa_search::report::href;

const PERIOD_S: f64 = 0.0733;
const DM: f64 = 50.0;

fn palfa(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(args)
        .current_dir(dir)
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "palfa {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The browser to use, or `None` (with a skip line) when there is none.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PALFA_TEST_CHROMIUM") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "PALFA_TEST_CHROMIUM={} is not a file", p.display());
        return Some(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        palfa_testkit::skip(
            "the report's browser test",
            "no chromium: set PALFA_TEST_CHROMIUM or install Debian's chromium (.ci/services/chromium.sh)",
        );
    }
    found
}

/// `file://` URL of an absolute path.
fn file_url(path: &Path, fragment: &str) -> String {
    let mut u = String::from("file://");
    for &b in path.to_str().expect("UTF-8 path").as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            u.push(b as char);
        } else {
            u.push_str(&format!("%{b:02X}"));
        }
    }
    u.push_str(fragment);
    u
}

/// Runs headless chromium with `args` (killed after 60 s); its stdout.
fn run_chromium(browser: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--allow-file-access-from-files",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {args:?} ran past 60 s: {}", err_reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = out_reader.join().unwrap();
    let err = err_reader.join().unwrap();
    assert!(status.success(), "chromium {args:?}: {status}: {err}");
    out
}

/// The value of `attr` in the first tag that starts with `tag_start`.
fn attr<'a>(dom: &'a str, tag_start: &str, attr: &str) -> Option<&'a str> {
    let i = dom.find(tag_start)?;
    let tag = &dom[i..i + dom[i..].find('>')?];
    let pat = format!(" {attr}=\"");
    let j = tag.find(&pat)? + pat.len();
    Some(&tag[j..j + tag[j..].find('"')?])
}

/// The candidate numbers of the table's rows, in the page's order, and
/// whether each is shown.
fn row_order(dom: &str) -> Vec<(u32, bool)> {
    let table = &dom[dom.find("<table id=\"cands\"").expect("candidate table")..];
    let body = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    body.split("<tr ")
        .skip(1)
        .map(|tr| {
            let tag = &tr[..tr.find('>').unwrap()];
            let n = attr(&format!("<tr {tag}>"), "<tr", "data-cand")
                .unwrap()
                .parse()
                .unwrap();
            (n, !tag.contains(" hidden"))
        })
        .collect()
}

fn check_png(path: &Path, width: u32, height: u32) {
    let png = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", path.display());
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (width, height), "{}", path.display());
    // A blank or single-colour page compresses to a few kB.
    assert!(png.len() > 30_000, "{}: only {} bytes", path.display(), png.len());
}

#[test]
fn the_report_works_in_chromium() {
    let Some(browser) = chromium() else { return };
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf();
    let out = target.join("test-output").join("report");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let _ = writeln!(std::io::stderr().lock(), "report_browser: output in {}", out.display());
    let work = tempfile::tempdir().unwrap();
    let w = work.path();

    // A 33.5-s beam: a 73.3-ms pulsar at DM 50, a single pulse.
    let psr = format!("period={PERIOD_S},dm={DM},snr=40");
    #[rustfmt::skip]
    palfa(w, &[
        "simulate", "--out", "beam.fil", "--nchans", "64", "--fch1", "1500", "--chan-bw", "2",
        "--tsamp", "0.000256", "--nsamples", "131072", "--nbits", "8", "--seed", "7",
        "--pulsar", &psr, "--single-pulse", "time=10,dm=50,width=0.002,snr=30",
    ]);
    let res = out.join("beam");
    palfa(
        w,
        &["--no-progress", "search", "--outdir", res.to_str().unwrap(), "beam.fil"],
    );
    let printed = palfa(w, &["report", res.to_str().unwrap()]);
    let page = res.join("report.html");
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout).trim(),
        page.display().to_string()
    );
    let results = SearchResults::read_dir(&res).unwrap();
    assert!(results.candidates.len() >= 2, "{:?}", results.candidates);
    let injected = results
        .candidates
        .iter()
        .filter(|c| (c.period_s / PERIOD_S - 1.0).abs() < 1e-3 && (c.dm - DM).abs() < 5.0)
        .max_by(|a, b| a.prepfold_sigma.total_cmp(&b.prepfold_sigma))
        .expect("the injected pulsar among the candidates");
    let n = injected.cand_num;
    let profile = tempfile::tempdir().unwrap();

    // Sorted by fold sigma, ascending, the injected pulsar's fold opened.
    let url = file_url(&page, &format!("#sort=prepfold_sigma&dir=asc&open={n}"));
    let dom = run_chromium(&browser, profile.path(), &["--dump-dom".into(), url]);
    std::fs::write(out.join("dom-sorted-open.html"), &dom).unwrap();
    assert_eq!(
        attr(&dom, "<body", "data-ready"),
        Some("1"),
        "the script did not finish"
    );
    assert_eq!(attr(&dom, "<body", "data-errors"), Some("0"), "script errors");
    assert!(attr(&dom, "<p id=\"js-errors\"", "hidden").is_some(), "errors shown");
    assert_eq!(attr(&dom, "<body", "data-sorted-by"), Some("prepfold_sigma"));
    assert_eq!(attr(&dom, "<body", "data-open"), Some(n.to_string().as_str()));
    let order = row_order(&dom);
    assert_eq!(order.len(), results.candidates.len());
    let sigma = |k: u32| {
        results
            .candidates
            .iter()
            .find(|c| c.cand_num == k)
            .unwrap()
            .prepfold_sigma
    };
    let sigmas: Vec<f64> = order.iter().map(|&(k, _)| sigma(k)).collect();
    assert!(
        sigmas.windows(2).all(|w| w[0] <= w[1]),
        "not ascending: {order:?} {sigmas:?}"
    );
    assert_ne!(
        order.iter().map(|r| r.0).collect::<Vec<_>>(),
        results.candidates.iter().map(|c| c.cand_num).collect::<Vec<_>>(),
        "the rank order is the descending one; ascending must differ"
    );
    let img = "<img id=\"fold-img\"";
    assert_eq!(attr(&dom, img, "data-cand"), Some(n.to_string().as_str()));
    assert_eq!(attr(&dom, img, "src"), href(&injected.plot_file).as_deref());
    assert_eq!(attr(&dom, img, "data-loaded"), Some("1"), "the fold image did not load");
    assert!(
        dom.contains("<dialog id=\"viewer\" aria-labelledby=\"viewer-title\" open"),
        "viewer not open"
    );
    assert!(dom.contains(&format!("Candidate {n} · P = ")), "viewer title");
    assert!(
        dom.contains("<td class=\"t\">score</td>"),
        "the ratings are in the viewer"
    );

    // Sorted by period, descending, filtered to the acceleration search.
    let url = file_url(&page, "#sort=period_s&dir=desc&q=accel");
    let dom = run_chromium(&browser, profile.path(), &["--dump-dom".into(), url]);
    assert_eq!(attr(&dom, "<body", "data-ready"), Some("1"));
    assert_eq!(attr(&dom, "<body", "data-errors"), Some("0"));
    assert_eq!(attr(&dom, "<body", "data-sort-dir"), Some("desc"));
    let order = row_order(&dom);
    let period = |k: u32| results.candidates.iter().find(|c| c.cand_num == k).unwrap().period_s;
    let periods: Vec<f64> = order.iter().map(|&(k, _)| period(k)).collect();
    assert!(
        periods.windows(2).all(|w| w[0] >= w[1]),
        "not descending: {order:?} {periods:?}"
    );
    let accel: Vec<u32> = results
        .candidates
        .iter()
        .filter(|c| c.search == CandidateSearch::Accel)
        .map(|c| c.cand_num)
        .collect();
    for &(k, shown) in &order {
        assert_eq!(shown, accel.contains(&k), "candidate {k}: {order:?}");
    }
    assert_eq!(
        attr(&dom, "<body", "data-visible-rows"),
        Some(accel.len().to_string().as_str())
    );

    // Screenshots: the page sorted by sigma, and the fold viewer.
    for (name, fragment) in [
        ("report.png", "#sort=prepfold_sigma&dir=desc".to_string()),
        ("report-fold.png", format!("#open={n}")),
    ] {
        let shot = out.join(name);
        run_chromium(
            &browser,
            profile.path(),
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1366,900".into(),
                file_url(&page, &fragment),
            ],
        );
        check_png(&shot, 1366, 900);
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "report_browser: screenshots {} and {}",
        out.join("report.png").display(),
        out.join("report-fold.png").display()
    );

    // Firefox, where there is one: headless Firefox has no DOM dump, so the
    // check is that it renders the page with the fold viewer open (a
    // screenshot a person can look at, and not a blank one).
    if let Some(firefox) = std::env::var_os("PALFA_TEST_FIREFOX").map(PathBuf::from) {
        let shot = out.join("report-firefox.png");
        let _ = std::fs::remove_file(&shot);
        let ff_profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(&firefox)
            .args(["--headless", "--no-remote", "--profile"])
            .arg(ff_profile.path())
            .args(["--window-size=1366,900", "--screenshot"])
            .arg(&shot)
            .arg(file_url(&page, &format!("#open={n}")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", firefox.display()));
        let t0 = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(t0.elapsed() < Duration::from_secs(120), "firefox did not finish");
            std::thread::sleep(Duration::from_millis(200));
        }
        check_png(&shot, 1366, 900);
        let _ = writeln!(
            std::io::stderr().lock(),
            "report_browser: Firefox screenshot {}",
            shot.display()
        );
    }
}

#[test]
fn a_directory_without_results_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_palfa"))
        .args(["report", "no-such-dir"])
        .current_dir(dir.path())
        .env_remove("PALFA_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: no-such-dir:"), "{err}");
}
