//! `palfa downloader` end to end against real FTP servers on loopback: the
//! reference archive (`palfa archive serve`, FTP and FTPS) and an archive
//! palfa did not write (pyftpdlib, FTP and FTPS). A restore of 10 beams is
//! requested, becomes ready, every file arrives with its size checked, and
//! `numdownloads` transfers overlap in time (from the tracker's timestamps).

mod download_support;
mod tracker_support;

use std::process::Stdio;

use download_support::*;
use palfa_tracker::states::RequestStatus;
use palfa_tracker::Tracker;
use tracker_support::*;

const BEAMS: usize = 10;

/// Runs `palfa downloader --until-idle` on a site whose archive is `a`.
fn download_all(site: &Site, a: &ArchiveProc, ca: Option<&std::path::Path>, beam_size: usize, numdownloads: usize) {
    // Room for exactly the 10 beams: one restore of 10, no second request.
    let budget = BEAMS * beam_size + beam_size / 2;
    let extra = format!(
        "numdownloads = {numdownloads}\nnumrestores = 1\nfiles_per_restore = {BEAMS}\n\
         file_size_estimate = {beam_size}\nspace_to_use = {budget}\n"
    );
    let mut toml = std::fs::read_to_string(site.config()).unwrap();
    toml.push_str(&download_section(a, ca, &extra));
    std::fs::write(site.config(), toml).unwrap();
    site.ok(&["db", "create"]);
    let out = site
        .palfa(&["downloader", "--until-idle", "--sleep", "0.05"])
        .env("PALFA_API_PASSWORD", PW)
        .env("PALFA_FTP_PASSWORD", PW)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_success(&out, &["downloader", "--until-idle"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(PW), "the password is in the log:\n{log}");
    let status = site.ok(&["status", "--json"]);
    assert!(!status.contains(PW));
    // `palfa status`: disk use against the budget, the finished request.
    let v: serde_json::Value = serde_json::from_str(&status).unwrap();
    let d = &v["downloads"];
    assert_eq!(d["budget"]["used"], serde_json::json!(BEAMS * beam_size), "{d:#}");
    assert_eq!(d["budget"]["space_to_use"], serde_json::json!(budget), "{d:#}");
    assert_eq!(d["in_flight"].as_array().map(Vec::len), Some(0), "{d:#}");
    assert_eq!(d["requests"][0]["numrequested"], serde_json::json!(BEAMS), "{d:#}");
    let text = site.ok(&["status"]);
    assert!(
        text.contains("downloads") && text.contains("(download.space_to_use)"),
        "{text}"
    );
}

fn check(site: &Site, data: &std::path::Path, numdownloads: usize) {
    let t = Tracker::open(site.db()).unwrap();
    check_downloaded(&t, data, &site.path("rawdata"));
    let reqs = t.requests().unwrap();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    assert_eq!(reqs[0].status, RequestStatus::CleanedUp, "{}", reqs[0].details);
    assert_eq!(reqs[0].numrequested, Some(BEAMS as u32));
    let overlap = max_overlap(&t);
    let (lo, hi) = receive_times(&t);
    eprintln!(
        "at most {overlap} transfers receiving at once (numdownloads = {numdownloads}); each took {lo:.3} to {hi:.3} s"
    );
    assert!(
        overlap <= numdownloads,
        "{overlap} transfers at once, more than numdownloads"
    );
    assert_eq!(
        overlap, numdownloads,
        "transfers did not overlap as numdownloads allows"
    );
}

#[test]
fn reference_archive_over_ftp() {
    let site = Site::new(WORKER, "");
    let size = 4 << 20;
    make_data(&site.path("archive"), BEAMS, size);
    // The restore takes half a second to become ready.
    let a = start_serve_with(&site.path("archive"), None, &site.path("archive.log"), 0.5);
    download_all(&site, &a, None, size, 3);
    check(&site, &site.path("archive"), 3);
    let t = Tracker::open(site.db()).unwrap();
    let r = &t.requests().unwrap()[0];
    let waited = r.details.find("not ready yet: the archive says \"processing\"");
    let ready = r.details.find("waiting -> finished");
    assert!(waited.is_some() && waited < ready, "{}", r.details);
}

#[test]
fn reference_archive_over_ftps() {
    let site = Site::new(WORKER, "");
    let certs = make_certs(site.dir.path());
    let size = 4 << 20;
    make_data(&site.path("archive"), BEAMS, size);
    let a = start_serve(&site.path("archive"), Some(&certs), &site.path("archive.log"));
    download_all(&site, &a, Some(&certs.ca), size, 3);
    check(&site, &site.path("archive"), 3);
}

#[test]
fn pyftpdlib_archive_over_ftp() {
    if !have_pyftpdlib(false) {
        return;
    }
    let site = Site::new(WORKER, "");
    // pyftpdlib throttles by the second: a file of 2.5 times the rate takes
    // about 2 s, so the transfers surely overlap.
    let size = 160 << 10;
    make_data(&site.path("archive"), BEAMS, size);
    let a = start_pyftpdlib(
        &site.path("archive"),
        &site.path("ftproot"),
        None,
        64 << 10,
        &site.path("archive.log"),
    );
    download_all(&site, &a, None, size, 5);
    check(&site, &site.path("archive"), 5);
}

#[test]
fn pyftpdlib_archive_over_ftps() {
    if !have_pyftpdlib(true) {
        return;
    }
    let site = Site::new(WORKER, "");
    let certs = make_certs(site.dir.path());
    let size = 160 << 10;
    make_data(&site.path("archive"), BEAMS, size);
    let a = start_pyftpdlib(
        &site.path("archive"),
        &site.path("ftproot"),
        Some(&certs),
        64 << 10,
        &site.path("archive.log"),
    );
    download_all(&site, &a, Some(&certs.ca), size, 5);
    check(&site, &site.path("archive"), 5);
}

#[test]
fn ftps_with_an_untrusted_certificate_is_refused() {
    let site = Site::new(WORKER, "");
    let certs = make_certs(site.dir.path());
    let other = site.path("other");
    std::fs::create_dir_all(&other).unwrap();
    let untrusted = make_certs(&other);
    make_data(&site.path("archive"), 2, 1000);
    let a = start_serve(&site.path("archive"), Some(&certs), &site.path("archive.log"));
    let mut toml = std::fs::read_to_string(site.config()).unwrap();
    toml.push_str(&download_section(
        &a,
        Some(&untrusted.ca),
        "file_size_estimate = 1000\n",
    ));
    std::fs::write(site.config(), toml).unwrap();
    site.ok(&["db", "create"]);
    let out = site
        .palfa(&["downloader", "--max-iterations", "3", "--sleep", "0.05"])
        .env("PALFA_API_PASSWORD", PW)
        .env("PALFA_FTP_PASSWORD", PW)
        .output()
        .unwrap();
    assert_success(&out, &["downloader"]);
    let t = Tracker::open(site.db()).unwrap();
    let r = &t.requests().unwrap()[0];
    assert_eq!(r.status, RequestStatus::Waiting);
    assert!(
        r.details.contains("AUTH TLS") && r.details.contains("certificate"),
        "{}",
        r.details
    );
    assert!(t
        .files_with_status(palfa_tracker::states::FileStatus::New)
        .unwrap()
        .is_empty());
    assert!(!r.details.contains(PW));
}

#[test]
fn wrong_passwords_are_refused_and_never_shown() {
    let site = Site::new(WORKER, "");
    make_data(&site.path("archive"), 2, 1000);
    let a = start_serve(&site.path("archive"), None, &site.path("archive.log"));
    let mut toml = std::fs::read_to_string(site.config()).unwrap();
    toml.push_str(&download_section(&a, None, "file_size_estimate = 1000\n"));
    std::fs::write(site.config(), toml).unwrap();
    site.ok(&["db", "create"]);
    let wrong = "not-the-Password-42";
    // The restore service refuses a wrong API password.
    let out = site
        .palfa(&["downloader", "--once"])
        .env("PALFA_API_PASSWORD", wrong)
        .env("PALFA_FTP_PASSWORD", PW)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_success(&out, &["downloader", "--once"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(wrong), "{log}");
    let t = Tracker::open(site.db()).unwrap();
    let r = &t.requests().unwrap()[0];
    assert_eq!(r.status, RequestStatus::Failed);
    assert!(r.details.contains("refused the request"), "{}", r.details);
    // The FTP server refuses a wrong FTP password: the restore waits, noted.
    let out = site
        .palfa(&["downloader", "--max-iterations", "2", "--sleep", "0.01"])
        .env("PALFA_API_PASSWORD", PW)
        .env("PALFA_FTP_PASSWORD", wrong)
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_success(&out, &["downloader"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(!log.contains(wrong), "{log}");
    let reqs = t.requests().unwrap();
    let r = reqs
        .iter()
        .find(|r| r.status == RequestStatus::Waiting)
        .expect("a waiting request");
    assert!(r.details.contains("login as survey"), "{}", r.details);
    let status = site.ok(&["status", "--json"]);
    assert!(!status.contains(wrong) && !status.contains(PW));
    let all: String = reqs.iter().map(|r| r.details.clone()).collect();
    assert!(!all.contains(wrong) && !all.contains(PW), "{all}");
}
