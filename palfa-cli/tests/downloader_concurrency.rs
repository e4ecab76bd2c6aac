//! The downloader, the job pooler and `add-files` running at once on one
//! tracker database: nobody fails with "database is locked", every beam
//! (downloaded or added) gets exactly one job and is processed.

mod download_support;
mod tracker_support;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use download_support::*;
use palfa_tracker::states::{FileStatus, JobStatus};
use palfa_tracker::Tracker;
use tracker_support::*;

const DOWNLOADED: usize = 12;
const ADDED: usize = 12;

fn stderr_of(c: Child) -> (std::process::ExitStatus, String) {
    let out = c.wait_with_output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn no_lock_error(who: &str, log: &str) {
    for bad in ["database is locked", "database is busy", "SQLITE_BUSY"] {
        assert!(!log.contains(bad), "{who}: {bad}:\n{log}");
    }
}

#[test]
fn downloader_pooler_and_add_files_share_the_database() {
    let site = Site::new(WORKER, "max_jobs_running = 4\nmax_jobs_queue = 2\n");
    make_data(&site.path("archive"), DOWNLOADED, 256 << 10);
    // add-files takes directories: one beam in each.
    std::fs::create_dir_all(site.path("made")).unwrap();
    make_beams(&site.path("made"), ADDED, 0);
    let extra: Vec<_> = (0..ADDED).map(|i| site.path(&format!("extra/d{i:02}"))).collect();
    for (i, d) in extra.iter().enumerate() {
        std::fs::create_dir_all(d).unwrap();
        let name = format!("beam{i:03}.fil");
        std::fs::rename(site.path("made").join(&name), d.join(&name)).unwrap();
    }
    let a = start_serve(&site.path("archive"), None, &site.path("archive.log"));
    let mut toml = std::fs::read_to_string(site.config()).unwrap();
    toml.push_str(&download_section(
        &a,
        None,
        &format!(
            "numdownloads = 3\nfiles_per_restore = 4\nnumrestores = 2\nfile_size_estimate = {}\n",
            256 << 10
        ),
    ));
    std::fs::write(site.config(), toml).unwrap();
    site.ok(&["db", "create"]);

    let pooler = site
        .palfa(&["jobpool", "--sleep", "0.02"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let downloader = site
        .palfa(&["downloader", "--until-idle", "--sleep", "0.02"])
        .env("PALFA_API_PASSWORD", PW)
        .env("PALFA_FTP_PASSWORD", PW)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // add-files, one file per run, while the others work.
    for f in &extra {
        let out = site.palfa(&["add-files"]).arg(f).output().unwrap();
        assert_success(&out, &["add-files"]);
        no_lock_error("add-files", &String::from_utf8_lossy(&out.stderr));
    }
    let (st, log) = stderr_of(downloader);
    assert!(st.success(), "downloader: {st}\n{log}");
    no_lock_error("downloader", &log);

    // Wait for the pooler to process every beam, then stop it with SIGTERM.
    let start = Instant::now();
    let t = Tracker::open(site.db()).unwrap();
    loop {
        let jobs = t.jobs().unwrap();
        if jobs.len() == DOWNLOADED + ADDED && jobs.iter().all(|j| j.status == JobStatus::Processed) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "jobs never all processed: {jobs:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pooler.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (st, log) = stderr_of(pooler);
    assert!(st.success(), "pooler: {st}\n{log}");
    no_lock_error("pooler", &log);

    let files = t.files_with_status(FileStatus::Downloaded).unwrap();
    assert_eq!(files.len(), DOWNLOADED + ADDED);
    for f in &files {
        assert!(t.job_of_file(f.id).unwrap().is_some(), "{} has no job", f.name);
    }
    check_downloaded_subset(&t, &site.path("archive"));
    drop(a);
}

/// The downloaded files are the archive's, whole.
fn check_downloaded_subset(t: &Tracker, data: &std::path::Path) {
    let mut n = 0;
    for f in t.files_with_status(FileStatus::Downloaded).unwrap() {
        if f.request_id.is_some() {
            assert_eq!(
                std::fs::read(&f.filename).unwrap(),
                std::fs::read(data.join(&f.name)).unwrap()
            );
            n += 1;
        }
    }
    assert_eq!(n, DOWNLOADED);
}
