//! The downloader against servers that misbehave: each fault is retried,
//! waits or fails as it should, nothing partial is ever `downloaded`, the
//! reason is in the tracker, and no password shows anywhere.

mod archive_stubs;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use archive_stubs::{content, Answer, FtpStub, HttpStub, Send, StubFile};
use palfa_core::config::Secret;
use palfa_tracker::archive::{CornellArchive, FtpClient, FtpSettings, RestoreClient};
use palfa_tracker::db::last_note;
use palfa_tracker::download::{part_path, DownloadStatus};
use palfa_tracker::states::{AttemptStatus, FileStatus, RequestStatus};
use palfa_tracker::{DownloadRunOptions, DownloadSettings, DownloadStop, Downloader, Tracker};

const USER: &str = "survey";
const PW: &str = "hunter2-Very%Secret";
const GUID: &str = "0f1e2d3c-aaaa-bbbb-cccc-000000000001";

struct Rig {
    dir: tempfile::TempDir,
    http: HttpStub,
    ftp: FtpStub,
}

impl Rig {
    fn new(files: Vec<StubFile>, restore: Vec<Answer>, location: Vec<Answer>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("site/rawdata")).unwrap();
        Tracker::create(dir.path().join("site/jobtracker.db")).unwrap();
        Self {
            dir,
            http: HttpStub::start(restore, location),
            ftp: FtpStub::start(GUID, files, USER, PW),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("site/jobtracker.db")
    }

    fn temp(&self) -> PathBuf {
        self.dir.path().join("site/rawdata")
    }

    fn settings(&self) -> DownloadSettings {
        DownloadSettings {
            temp: self.temp(),
            space_to_use: 1 << 40,
            min_free_space: 0,
            numdownloads: 2,
            numrestores: 1,
            numretries: 2,
            files_per_restore: 10,
            numbits: 4,
            file_type: "mock".into(),
            request_timeout: Duration::from_secs(3600),
            file_size_estimate: 1000,
            request_backoff: Duration::ZERO,
        }
    }

    fn downloader(&self, s: DownloadSettings, ftp_timeout: Duration) -> Downloader {
        let restore = RestoreClient::new(
            &format!("http://{}/PalfaService.asmx", self.http.addr),
            USER,
            Secret::new(PW),
            "palfa",
            Duration::from_secs(5),
        );
        let ftp = FtpClient::new(FtpSettings {
            host: "127.0.0.1".into(),
            port: self.ftp.addr.port(),
            username: USER.into(),
            password: Secret::new(PW),
            tls: false,
            ca_file: None,
            timeout: ftp_timeout,
        })
        .unwrap();
        let archive = CornellArchive::new(restore, ftp, 4, "mock", "stub archive".into());
        Downloader::new(Tracker::open(self.db()).unwrap(), Arc::new(archive), s).unwrap()
    }

    fn tracker(&self) -> Tracker {
        Tracker::open(self.db()).unwrap()
    }
}

fn until_idle(dl: &mut Downloader) {
    let opts = DownloadRunOptions {
        sleep: Duration::from_millis(20),
        until_idle: true,
        max_iterations: Some(3000),
        stop_on_error: true,
    };
    let why = dl.run(&opts, &AtomicBool::new(false), &mut |_| {}).unwrap();
    assert_eq!(why, DownloadStop::Idle, "the downloader never became idle");
}

fn iterate(dl: &mut Downloader, n: usize) {
    for _ in 0..n {
        dl.iterate(&AtomicBool::new(false)).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every history in the tracker, for searching.
fn all_details(t: &Tracker) -> String {
    let mut s = String::new();
    for r in t.requests().unwrap() {
        s.push_str(&r.details);
        for f in t.files_of_request(r.id).unwrap() {
            s.push_str(&f.details);
            for a in t.attempts_of_file(f.id).unwrap() {
                s.push_str(&a.details);
            }
        }
    }
    s
}

fn assert_no_secret(t: &Tracker) {
    let all = all_details(t);
    assert!(
        !all.contains(PW) && !all.contains("hunter2"),
        "a password in the tracker:\n{all}"
    );
}

fn file(t: &Tracker, name: &str) -> palfa_tracker::db::FileRow {
    let v = t.files_named(name).unwrap();
    assert_eq!(v.len(), 1, "{name} tracked {} times", v.len());
    v.into_iter().next().unwrap()
}

fn no_part_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.ends_with(".part"), "partial file left: {n}");
    }
}

fn ok_restore() -> (Vec<Answer>, Vec<Answer>) {
    (vec![Answer::Xml(GUID.into())], vec![Answer::Xml("done".into())])
}

#[test]
fn a_dropped_connection_is_retried_and_the_file_arrives_whole() {
    let (r, l) = ok_restore();
    let a = content(1, 300_000);
    let rig = Rig::new(
        vec![
            StubFile {
                name: "a.fits".into(),
                data: a.clone(),
                send: Send::DropOnce,
            },
            StubFile {
                name: "b.fits".into(),
                data: content(2, 1000),
                send: Send::Normal,
            },
        ],
        r,
        l,
    );
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    let f = file(&t, "a.fits");
    assert_eq!(f.status, FileStatus::Downloaded, "{}", f.details);
    assert_eq!(std::fs::read(&f.filename).unwrap(), a);
    let at = t.attempts_of_file(f.id).unwrap();
    let states: Vec<_> = at.iter().map(|a| a.status).collect();
    assert_eq!(states, [AttemptStatus::DownloadFailed, AttemptStatus::Downloaded]);
    assert!(at[0].details.contains("FTP"), "{}", at[0].details);
    assert!(f.details.contains("trying again"), "{}", f.details);
    assert_eq!(file(&t, "b.fits").status, FileStatus::Downloaded);
    let req = &t.requests().unwrap()[0];
    assert_eq!(req.status, RequestStatus::CleanedUp, "{}", req.details);
    assert_eq!(req.guid, GUID);
    no_part_files(&rig.temp());
    assert_no_secret(&t);
}

#[test]
fn a_file_that_always_drops_fails_for_good_with_every_reason() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![StubFile {
            name: "a.fits".into(),
            data: content(1, 200_000),
            send: Send::Drop,
        }],
        r,
        l,
    );
    let mut s = rig.settings();
    s.numretries = 3;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    let f = file(&t, "a.fits");
    assert_eq!(f.status, FileStatus::TerminalFailure, "{}", f.details);
    let at = t.attempts_of_file(f.id).unwrap();
    assert_eq!(at.len(), 3);
    assert!(at.iter().all(|a| a.status == AttemptStatus::DownloadFailed));
    let why = last_note(&f.details);
    assert_eq!(why.matches("attempt #").count(), 3, "{why}");
    assert!(!f.filename.exists());
    no_part_files(&rig.temp());
    assert_no_secret(&t);
}

#[test]
fn a_file_shorter_than_listed_is_never_marked_downloaded() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![StubFile {
            name: "short.fits".into(),
            data: content(3, 50_000),
            send: Send::Short,
        }],
        r,
        l,
    );
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    let f = file(&t, "short.fits");
    assert_eq!(f.status, FileStatus::TerminalFailure, "{}", f.details);
    let at = t.attempts_of_file(f.id).unwrap();
    assert_eq!(at.len(), 2);
    for a in &at {
        assert_eq!(a.status, AttemptStatus::VerificationFailed, "{}", a.details);
        assert!(
            a.details.contains("size on disk 49900 bytes, the archive listed 50000"),
            "{}",
            a.details
        );
    }
    assert!(!f.filename.exists(), "a short file was kept");
    no_part_files(&rig.temp());
}

#[test]
fn a_stalled_server_never_hangs_the_downloader() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![StubFile {
            name: "slow.fits".into(),
            data: content(4, 100_000),
            send: Send::Stall,
        }],
        r,
        l,
    );
    let mut s = rig.settings();
    s.numretries = 1;
    let mut dl = rig.downloader(s.clone(), Duration::from_secs(1));
    // While it stalls, `palfa status` shows the transfer with what it got.
    let t = rig.tracker();
    let mut seen = false;
    for _ in 0..500 {
        dl.iterate(&AtomicBool::new(false)).unwrap();
        let st = DownloadStatus::gather(&t, &s).unwrap();
        if st.in_flight.first().is_some_and(|x| x.received == 50_000) {
            assert_eq!(st.in_flight[0].size, 100_000);
            assert!(st.to_text().contains("slow.fits"), "{}", st.to_text());
            seen = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(seen, "the stalled transfer never showed its 50000 bytes");
    until_idle(&mut dl);
    let f = file(&t, "slow.fits");
    assert_eq!(f.status, FileStatus::TerminalFailure, "{}", f.details);
    let at = t.attempts_of_file(f.id).unwrap();
    assert_eq!(at[0].status, AttemptStatus::DownloadFailed);
    assert!(at[0].details.contains("stalled"), "{}", at[0].details);
    no_part_files(&rig.temp());
}

#[test]
fn restore_service_errors_are_recorded_then_a_good_answer_is_used() {
    let rig = Rig::new(
        vec![StubFile {
            name: "a.fits".into(),
            data: content(5, 5000),
            send: Send::Normal,
        }],
        vec![
            Answer::Status(500),
            Answer::Xml("fail".into()),
            Answer::Raw("<html><body>Server Error</body></html>".into()),
            Answer::Raw("this is not XML".into()),
            Answer::Xml(GUID.into()),
        ],
        vec![Answer::Xml("done".into())],
    );
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    iterate(&mut dl, 4);
    let t = rig.tracker();
    let reqs = t.requests().unwrap();
    assert_eq!(reqs.len(), 4);
    let reasons: Vec<String> = reqs.iter().map(|r| last_note(&r.details)).collect();
    assert!(reqs.iter().all(|r| r.status == RequestStatus::Failed), "{reasons:#?}");
    assert!(reasons[0].contains("HTTP status 500"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("refused") && reasons[1].contains("\"fail\""),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].contains("not an XML <string> document"), "{}", reasons[2]);
    assert!(reasons[3].contains("not an XML <string> document"), "{}", reasons[3]);
    until_idle(&mut dl);
    assert_eq!(file(&t, "a.fits").status, FileStatus::Downloaded);
    assert_eq!(
        t.request_by_guid(GUID).unwrap().unwrap().status,
        RequestStatus::CleanedUp
    );
    assert_no_secret(&t);
}

#[test]
fn location_errors_are_noted_and_a_restore_never_done_times_out() {
    let rig = Rig::new(
        vec![],
        vec![Answer::Xml(GUID.into())],
        vec![
            Answer::Status(500),
            Answer::Raw("garbage".into()),
            Answer::Xml("processing".into()),
        ],
    );
    let mut s = rig.settings();
    s.request_timeout = Duration::from_secs(2);
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    let t = rig.tracker();
    let mut polls = 0;
    loop {
        dl.iterate(&AtomicBool::new(false)).unwrap();
        let r = t.request_by_guid(GUID).unwrap().unwrap();
        if r.status != RequestStatus::Waiting {
            assert_eq!(r.status, RequestStatus::Failed);
            assert!(r.details.contains("HTTP status 500"), "{}", r.details);
            assert!(r.details.contains("not an XML"), "{}", r.details);
            assert!(last_note(&r.details).contains("not done after"), "{}", r.details);
            break;
        }
        polls += 1;
        assert!(polls < 1000, "the request never timed out");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Nothing tracked, nothing fetched; with backoff 0 the next iteration asks again.
    assert!(t.files_with_status(FileStatus::New).unwrap().is_empty());
    assert!(!rig.ftp.commands().iter().any(|c| c.starts_with("RETR")));
    assert_no_secret(&t);
}

#[test]
fn the_same_guid_twice_is_an_error_not_a_second_request() {
    let rig = Rig::new(
        vec![],
        vec![Answer::Xml(GUID.into())],
        vec![Answer::Xml("processing".into())],
    );
    let mut s = rig.settings();
    s.numrestores = 2;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    iterate(&mut dl, 2);
    let t = rig.tracker();
    let reqs = t.requests().unwrap();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    assert_eq!((reqs[0].guid.as_str(), reqs[0].status), (GUID, RequestStatus::Waiting));
    assert_eq!(reqs[1].status, RequestStatus::Failed);
    assert!(
        last_note(&reqs[1].details).contains("request #1 already has: not a second request"),
        "{}",
        reqs[1].details
    );
}

#[test]
fn a_full_disk_budget_blocks_requests_and_downloads() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![StubFile {
            name: "a.fits".into(),
            data: content(6, 4000),
            send: Send::Normal,
        }],
        r,
        l,
    );
    // No room for one file: no request.
    let mut s = rig.settings();
    s.space_to_use = 999;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    let rep = dl.iterate(&AtomicBool::new(false)).unwrap();
    assert!(rep.budget_full);
    assert_eq!(rep.requested, 0);
    assert!(rig.tracker().requests().unwrap().is_empty());
    assert!(rig.http.log.lock().unwrap().is_empty(), "the archive was asked");
    drop(dl);

    // Room: one request (for one file: 1000 bytes estimated, 1999 allowed).
    let mut s = rig.settings();
    s.space_to_use = 1999;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    let rep = dl.iterate(&AtomicBool::new(false)).unwrap();
    assert_eq!(rep.requested, 1);
    assert_eq!(rig.tracker().requests().unwrap()[0].numrequested, Some(1));
    drop(dl);

    // The file system must keep more free than it has: listed, but not fetched.
    let mut s = rig.settings();
    s.min_free_space = u64::MAX / 4;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    for _ in 0..3 {
        let rep = dl.iterate(&AtomicBool::new(false)).unwrap();
        assert_eq!(rep.started, 0);
    }
    let t = rig.tracker();
    assert_eq!(file(&t, "a.fits").status, FileStatus::New);
    assert!(dl.iterate(&AtomicBool::new(false)).unwrap().budget_full);
    assert!(!rig.ftp.commands().iter().any(|c| c.starts_with("RETR")));
    drop(dl);

    // Room again: it arrives.
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    until_idle(&mut dl);
    assert_eq!(file(&t, "a.fits").status, FileStatus::Downloaded);
}

#[test]
fn hostile_names_are_refused_and_nothing_is_written_outside_temp() {
    let (r, l) = ok_restore();
    let hostile = [
        "../escape.fits",
        "..",
        ".hidden.fits",
        "sub/inner.fits",
        "back\\slash.fits",
        "tab\tname.fits",
        "nul\0name.fits",
        "/abs.fits",
    ];
    let mut files: Vec<StubFile> = hostile
        .iter()
        .map(|n| StubFile {
            name: n.to_string(),
            data: content(7, 100),
            send: Send::Normal,
        })
        .collect();
    files.push(StubFile {
        name: "good.fits".into(),
        data: content(8, 100),
        send: Send::Normal,
    });
    let rig = Rig::new(files, r, l);
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    assert_eq!(file(&t, "good.fits").status, FileStatus::Downloaded);
    let req = &t.requests().unwrap()[0];
    let rows = t.files_of_request(req.id).unwrap();
    assert_eq!(rows.len(), hostile.len() + 1);
    let refused: Vec<_> = rows.iter().filter(|f| f.name != "good.fits").collect();
    for f in &refused {
        assert_eq!(f.status, FileStatus::TerminalFailure, "{}", f.details);
        assert!(last_note(&f.details).contains("refused remote name"), "{}", f.details);
        assert!(t.attempts_of_file(f.id).unwrap().is_empty());
    }
    // Only the good name was ever asked for, and only it is on disk.
    for c in rig.ftp.commands() {
        if c.starts_with("SIZE") || c.starts_with("RETR") {
            assert!(c.ends_with("/good.fits"), "asked for {c:?}");
        }
    }
    let on_disk: Vec<_> = std::fs::read_dir(rig.temp())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(on_disk, ["good.fits"]);
    for p in ["site/escape.fits", "escape.fits", "site/inner.fits", "site/sub"] {
        assert!(!rig.dir.path().join(p).exists(), "{p} was written");
    }
    assert!(!Path::new("/abs.fits").exists());
}

#[test]
fn an_unreachable_archive_is_recorded_without_the_password() {
    let rig = Rig::new(vec![], vec![Answer::Xml(GUID.into())], vec![]);
    // A port nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let restore = RestoreClient::new(
        &format!("http://{dead}/Service.asmx"),
        USER,
        Secret::new(PW),
        "palfa",
        Duration::from_secs(2),
    );
    let ftp = FtpClient::new(FtpSettings {
        host: "127.0.0.1".into(),
        port: dead.port(),
        username: USER.into(),
        password: Secret::new(PW),
        tls: false,
        ca_file: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let archive = CornellArchive::new(restore, ftp, 4, "mock", "dead archive".into());
    let mut dl = Downloader::new(rig.tracker(), Arc::new(archive), rig.settings()).unwrap();
    dl.iterate(&AtomicBool::new(false)).unwrap();
    let t = rig.tracker();
    let r = &t.requests().unwrap()[0];
    assert_eq!(r.status, RequestStatus::Failed);
    assert!(
        last_note(&r.details).contains("restore service Restore"),
        "{}",
        r.details
    );
    assert_no_secret(&t);
}

#[test]
fn after_a_crash_a_dead_attempt_is_interrupted_and_the_file_fetched_once() {
    let (r, l) = ok_restore();
    let a = content(9, 20_000);
    let rig = Rig::new(
        vec![
            StubFile {
                name: "a.fits".into(),
                data: a.clone(),
                send: Send::Normal,
            },
            StubFile {
                name: "b.fits".into(),
                data: content(10, 3000),
                send: Send::Normal,
            },
        ],
        r,
        l,
    );
    // A downloader that lists the restore but starts nothing (no room to write).
    let mut s = rig.settings();
    s.min_free_space = u64::MAX / 4;
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    dl.iterate(&AtomicBool::new(false)).unwrap(); // request
    drop(dl);
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    dl.iterate(&AtomicBool::new(false)).unwrap(); // list
    drop(dl);
    // What a downloader killed mid-transfer leaves: a `downloading` attempt
    // and a half-written `.part`; and one killed after a complete transfer
    // but before the check: an `unverified` file with a whole `.part`.
    let t = rig.tracker();
    let fa = file(&t, "a.fits");
    let fb = file(&t, "b.fits");
    t.transaction(|x| {
        x.set_status(fa.id, FileStatus::Downloading, "test: transfer started")?;
        x.insert_attempt(fa.id, "test: dead attempt")?;
        x.set_status(fb.id, FileStatus::Downloading, "test")?;
        let b = x.insert_attempt(fb.id, "test")?;
        x.set_status(b, AttemptStatus::Unverified, "test: received")?;
        x.set_status(fb.id, FileStatus::Unverified, "test: received")
    })
    .unwrap();
    std::fs::write(part_path(&fa.filename), &a[..777]).unwrap();
    std::fs::write(part_path(&fb.filename), content(10, 3000)).unwrap();

    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    assert!(!part_path(&fa.filename).exists(), "stale .part kept");
    assert!(part_path(&fb.filename).exists(), "a complete .part was removed");
    until_idle(&mut dl);
    let fa = t.file(fa.id).unwrap();
    assert_eq!(fa.status, FileStatus::Downloaded, "{}", fa.details);
    assert_eq!(std::fs::read(&fa.filename).unwrap(), a);
    let states: Vec<_> = t.attempts_of_file(fa.id).unwrap().iter().map(|a| a.status).collect();
    assert_eq!(states, [AttemptStatus::Interrupted, AttemptStatus::Downloaded]);
    let fb = t.file(fb.id).unwrap();
    assert_eq!(fb.status, FileStatus::Downloaded, "{}", fb.details);
    assert_eq!(t.attempts_of_file(fb.id).unwrap().len(), 1, "b fetched again");
    let retrs: Vec<_> = rig
        .ftp
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("RETR"))
        .collect();
    assert_eq!(retrs, [format!("RETR {GUID}/a.fits")]);
    no_part_files(&rig.temp());
}

#[test]
fn a_second_downloader_on_the_same_database_is_refused() {
    let (r, l) = ok_restore();
    let rig = Rig::new(vec![], r, l);
    let _a = rig.downloader(rig.settings(), Duration::from_secs(5));
    let restore = RestoreClient::new(
        "http://127.0.0.1:9/x",
        USER,
        Secret::new(PW),
        "palfa",
        Duration::from_secs(1),
    );
    let ftp = FtpClient::new(FtpSettings {
        host: "127.0.0.1".into(),
        port: 9,
        username: USER.into(),
        password: Secret::new(PW),
        tls: false,
        ca_file: None,
        timeout: Duration::from_secs(1),
    })
    .unwrap();
    let archive = CornellArchive::new(restore, ftp, 4, "mock", "x".into());
    let err = Downloader::new(rig.tracker(), Arc::new(archive), rig.settings())
        .err()
        .unwrap();
    assert!(err.to_string().contains("another downloader is running"), "{err}");
}

#[test]
fn a_stop_abandons_transfers_cleanly_and_the_next_run_finishes_them() {
    let (r, l) = ok_restore();
    let data = content(11, 80_000);
    let rig = Rig::new(
        vec![StubFile {
            name: "held.fits".into(),
            data: data.clone(),
            send: Send::StallOnce,
        }],
        r,
        l,
    );
    // A long network timeout: only the stop can end the stalled transfer.
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(60));
    let t = rig.tracker();
    let stop = AtomicBool::new(false);
    let mut polls = 0;
    let f = loop {
        dl.iterate(&stop).unwrap();
        let f = t.files_named("held.fits").unwrap();
        if let Some(f) = f.first() {
            if std::fs::metadata(part_path(&f.filename)).is_ok_and(|m| m.len() == 40_000) {
                break f.clone();
            }
        }
        polls += 1;
        assert!(polls < 500, "the transfer never got under way");
        std::thread::sleep(Duration::from_millis(10));
    };
    // SIGINT / SIGTERM raise this flag.
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let why = dl
        .run(
            &DownloadRunOptions {
                sleep: Duration::from_millis(20),
                until_idle: true,
                max_iterations: None,
                stop_on_error: true,
            },
            &stop,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(why, DownloadStop::Signal);
    assert!(dl.transfers().is_empty());
    assert!(!part_path(&f.filename).exists(), ".part left after the stop");
    let at = t.attempts_of_file(f.id).unwrap();
    assert_eq!(at.len(), 1);
    assert_eq!(at[0].status, AttemptStatus::Interrupted, "{}", at[0].details);
    assert!(at[0].details.contains("the downloader stopped"), "{}", at[0].details);
    assert_eq!(t.file(f.id).unwrap().status, FileStatus::Failed);
    drop(dl);

    // The next run retries it; the interrupted attempt does not count.
    let mut s = rig.settings();
    s.numretries = 1;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    until_idle(&mut dl);
    let f = t.file(f.id).unwrap();
    assert_eq!(f.status, FileStatus::Downloaded, "{}", f.details);
    assert_eq!(std::fs::read(&f.filename).unwrap(), data);
}

#[test]
fn an_entry_the_server_cannot_size_is_refused_and_the_others_arrive() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![
            StubFile {
                name: "adirectory".into(),
                data: vec![],
                send: Send::NoSize,
            },
            StubFile {
                name: "b.fits".into(),
                data: content(12, 2000),
                send: Send::Normal,
            },
        ],
        r,
        l,
    );
    let mut dl = rig.downloader(rig.settings(), Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    assert_eq!(file(&t, "b.fits").status, FileStatus::Downloaded);
    let req = &t.requests().unwrap()[0];
    let other: Vec<_> = t
        .files_of_request(req.id)
        .unwrap()
        .into_iter()
        .filter(|f| f.name != "b.fits")
        .collect();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].status, FileStatus::TerminalFailure);
    assert!(
        last_note(&other[0].details)
            .contains("SIZE \"0f1e2d3c-aaaa-bbbb-cccc-000000000001/adirectory\": server answered 550"),
        "{}",
        other[0].details
    );
    assert!(!rig
        .ftp
        .commands()
        .iter()
        .any(|c| c == &format!("RETR {GUID}/adirectory")));
}

#[test]
fn a_file_larger_than_the_whole_budget_is_given_up_not_waited_for() {
    let (r, l) = ok_restore();
    let rig = Rig::new(
        vec![
            StubFile {
                name: "huge.fits".into(),
                data: content(13, 5000),
                send: Send::Normal,
            },
            StubFile {
                name: "small.fits".into(),
                data: content(14, 500),
                send: Send::Normal,
            },
        ],
        r,
        l,
    );
    let mut s = rig.settings();
    s.space_to_use = 4000;
    let mut dl = rig.downloader(s, Duration::from_secs(5));
    until_idle(&mut dl);
    let t = rig.tracker();
    let huge = file(&t, "huge.fits");
    assert_eq!(huge.status, FileStatus::TerminalFailure, "{}", huge.details);
    assert!(last_note(&huge.details).contains("never fits"), "{}", huge.details);
    assert!(t.attempts_of_file(huge.id).unwrap().is_empty());
    assert_eq!(file(&t, "small.fits").status, FileStatus::Downloaded);
}
