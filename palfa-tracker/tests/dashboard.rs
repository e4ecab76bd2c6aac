//! The survey dashboard (`palfa_tracker::dashboard`) over a small tracker and
//! results database: every page, escaping of hostile names and logs, the
//! read-only methods, the report's files and nothing outside them, and the
//! token rules.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use palfa_core::config::{CommonDb, CommonDbBackend, Secret};
use palfa_tracker::dashboard::{Dashboard, DashboardConfig, DashboardError};
use palfa_tracker::db::{FileOrigin, NewFile};
use palfa_tracker::resultsdb::{self, ResultsStore, SqliteStore, Value};
use palfa_tracker::states::{FileStatus, JobStatus};
use palfa_tracker::Tracker;

const HOSTILE_BEAM: &str = r#"p2030.evil<script>alert("beam")</script>&'b1"#;
const HOSTILE_ERROR: &str = r#"worker died <img src=x onerror=alert(1)>"#;
const HOSTILE_LOG: &str = "panicked at <script>alert('log')</script>";
const TOKEN: &str = "s3cret-token-0123456789";

struct Survey {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    cfg: DashboardConfig,
    uploaded_job: i64,
}

/// A PNG of 1x1 pixel.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8,
    6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0, 1, 0, 0, 5, 0, 1,
    0x0D, 0x0A, 0x2D, 0xB4, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn add_job(t: &Tracker, dir: &Path, beam: &str, path: &[JobStatus]) -> i64 {
    let f = t
        .insert_file(
            &NewFile {
                filename: dir.join(format!("raw{}.fil", t.jobs().unwrap().len())),
                remote_filename: None,
                request_id: None,
                size: Some(1_000_000),
                origin: FileOrigin::Added,
                status: FileStatus::Downloaded,
            },
            "test",
        )
        .unwrap()
        .unwrap();
    let job = t.transaction(|x| x.insert_job(beam, &[f], "test")).unwrap();
    for s in path {
        t.set_job_status(job, *s, "test step").unwrap();
    }
    job
}

fn add_submit(db: &Path, job: i64, token: &str, status: &str, out: &Path, details: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute(
        "INSERT INTO job_submits (job_id, token, queue_kind, output_dir, status, details, created_at, updated_at) \
         VALUES (?1, ?2, 'local', ?3, ?4, ?5, '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z')",
        rusqlite::params![job, token, out.to_string_lossy(), status, details],
    )
    .unwrap();
}

fn insert_header(store: &mut SqliteStore, beam: &str, l: f64, b: f64) -> i64 {
    let cols = [
        ("beam", Value::Text(beam.into())),
        ("version_num", Value::Text("PALFA:test".into())),
        ("institution", Value::Text("here".into())),
        ("pipeline", Value::Text("palfa".into())),
        ("survey", Value::Text("PALFA".into())),
        ("processed_at", Value::Text("2026-01-01T00:00:00Z".into())),
        ("uploaded_at", Value::Text("2026-01-01T00:00:00Z".into())),
        ("search_version", Value::Text("1".into())),
        ("search_status", Value::Text("searched".into())),
        ("num_dm_trials", Value::Int(100)),
        ("obs_name", Value::Text(beam.into())),
        ("original_files", Value::Text("[]".into())),
        ("file_size", Value::Int(1)),
        ("source_name", Value::Text("G45".into())),
        ("telescope", Value::Text("Arecibo".into())),
        ("backend", Value::Text("Mock".into())),
        ("project_id", Value::Text("p2030".into())),
        ("observers", Value::Text("x".into())),
        ("timestamp_mjd", Value::Real(60000.0)),
        ("observation_time_s", Value::Real(268.0)),
        ("sample_time_s", Value::Real(6.5e-5)),
        ("num_samples", Value::Int(1 << 22)),
        ("center_freq_mhz", Value::Real(1375.0)),
        ("channel_bandwidth_mhz", Value::Real(0.336)),
        ("num_channels", Value::Int(960)),
        ("bandwidth_mhz", Value::Real(322.6)),
        ("nbits", Value::Int(16)),
        ("num_ifs", Value::Int(1)),
        ("right_ascension", Value::Text("19:14:00".into())),
        ("declination", Value::Text("+10:00:00".into())),
        ("ra_deg", Value::Real(288.5)),
        ("dec_deg", Value::Real(10.0)),
        ("galactic_longitude", Value::Real(l)),
        ("galactic_latitude", Value::Real(b)),
        ("sp_threshold", Value::Real(6.0)),
        ("sp_num_events", Value::Int(0)),
        ("timing", Value::Text("{}".into())),
    ];
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    let vals: Vec<Value> = cols.iter().map(|c| c.1.clone()).collect();
    store
        .execute(
            &format!("INSERT INTO headers ({}) VALUES ({marks})", names.join(", ")),
            &vals,
        )
        .unwrap();
    let r = store
        .query(
            "SELECT id FROM headers WHERE beam = ?",
            &[Value::Text(beam.into())],
            &[resultsdb::Kind::Int],
        )
        .unwrap();
    r[0][0].as_int().unwrap()
}

fn insert_candidate(store: &mut SqliteStore, header: i64, n: i64, period: f64, sigma: f64, score: f64) {
    let cols = [
        ("header_id", Value::Int(header)),
        ("cand_num", Value::Int(n)),
        ("period_s", Value::Real(period)),
        ("frequency_hz", Value::Real(1.0 / period)),
        ("pdot", Value::Real(0.0)),
        ("fdot_hz_s", Value::Real(0.0)),
        ("dm", Value::Real(42.5)),
        ("presto_sigma", Value::Real(sigma - 1.0)),
        ("sifting_sigma", Value::Real(sigma - 1.0)),
        ("prepfold_sigma", Value::Real(sigma)),
        ("reduced_chi2", Value::Real(5.0)),
        ("snr", Value::Real(20.0)),
        ("coherent_power", Value::Real(1.0)),
        ("incoherent_power", Value::Real(1.0)),
        ("num_hits", Value::Int(3)),
        ("num_harmonics", Value::Int(4)),
        ("z", Value::Real(0.0)),
        ("accel_m_s2", Value::Real(0.0)),
        ("sifting_period_s", Value::Real(period)),
        ("sifting_dm", Value::Real(42.5)),
        ("impulsive", Value::Int(0)),
        ("plot_file", Value::Text(format!("cand{n}.png"))),
        ("pfd_file", Value::Text(format!("cand{n}.pfd"))),
        ("bestprof_file", Value::Text(format!("cand{n}.bestprof"))),
    ];
    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
    let marks = vec!["?"; cols.len()].join(", ");
    let vals: Vec<Value> = cols.iter().map(|c| c.1.clone()).collect();
    store
        .execute(
            &format!("INSERT INTO candidates ({}) VALUES ({marks})", names.join(", ")),
            &vals,
        )
        .unwrap();
    store
        .execute(
            "INSERT INTO ratings (header_id, cand_num, name, version, value) VALUES (?, ?, 'score', 1, ?)",
            &[Value::Int(header), Value::Int(n), Value::Real(score)],
        )
        .unwrap();
}

fn survey() -> Survey {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let db = root.join("jobtracker.db");
    let (t, _) = Tracker::create(&db).unwrap();
    let results_root = root.join("results");
    let qsublog = root.join("qsublog");

    // An uploaded beam with a results directory (a report and a plot).
    let uploaded = add_job(
        &t,
        &root,
        HOSTILE_BEAM,
        &[JobStatus::Submitted, JobStatus::Processed, JobStatus::Uploaded],
    );
    let out = results_root.join("beam1/palfa_1_1_aaaaaa");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("report.html"),
        "<html><body><h1>the report</h1><img src=\"cand1.png\"></body></html>",
    )
    .unwrap();
    std::fs::write(out.join("cand1.png"), PNG).unwrap();
    std::fs::write(root.join("secret.txt"), "TOP SECRET").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), out.join("leak.txt")).unwrap();
    add_submit(
        &db,
        uploaded,
        "palfa_1_1_aaaaaa",
        "uploaded",
        &out,
        "created as submitting\n",
    );

    // A failed beam with an error and a log.
    let failed = add_job(&t, &root, "p2030.failed.b2", &[JobStatus::Submitted, JobStatus::Failed]);
    let token = "palfa_2_1_bbbbbb";
    let logdir = qsublog.join("local").join(token);
    std::fs::create_dir_all(&logdir).unwrap();
    let mut log = "x".repeat(100 * 1024);
    log.push_str(HOSTILE_LOG);
    std::fs::write(logdir.join("stderr"), log).unwrap();
    add_submit(
        &db,
        failed,
        token,
        "failed",
        &results_root.join("beam2").join(token),
        &format!("2026-01-01T00:00:00.000Z created as submitting\n2026-01-01T01:00:00.000Z running -> failed: {HOSTILE_ERROR}\n    second line of the error\n"),
    );
    // A beam waiting.
    add_job(&t, &root, "p2030.waiting.b3", &[]);
    drop(t);

    // The results database.
    let rpath = root.join("results.db");
    let mut store = SqliteStore::open(&rpath).unwrap();
    resultsdb::schema::create(&mut store).unwrap();
    let h = insert_header(&mut store, HOSTILE_BEAM, 45.07, 0.11);
    insert_candidate(&mut store, h, 1, 0.0333, 21.2, 0.98);
    insert_candidate(&mut store, h, 2, 0.0716, 12.0, 0.4);
    let h2 = insert_header(&mut store, "p2030.other.b4", 46.0, -0.5);
    insert_candidate(&mut store, h2, 1, 1.2345, 9.0, 0.7);
    drop(store);

    let mut cfg = DashboardConfig::new(&db);
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.results_db = Some(CommonDb {
        backend: CommonDbBackend::Sqlite { path: rpath },
        username: String::new(),
        password: Secret::new(String::new()),
    });
    cfg.results_roots = vec![results_root];
    cfg.qsublog_dir = Some(qsublog);
    cfg.space_to_use = 10_000_000;
    Survey {
        _tmp: tmp,
        root,
        cfg,
        uploaded_job: uploaded,
    }
}

struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn start(cfg: DashboardConfig) -> Server {
    let d = Dashboard::bind(cfg).unwrap();
    let addr = d.local_addr();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let thread = std::thread::spawn(move || d.run(s2).unwrap());
    Server {
        addr,
        stop,
        thread: Some(thread),
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

struct Got {
    status: u16,
    content_type: String,
    body: String,
}

fn get(url: &str, auth: Option<&str>) -> Got {
    let mut req = agent().get(url);
    if let Some(t) = auth {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.call().unwrap();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let status = r.status().as_u16();
    let bytes = r.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
    Got {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Sends a request line as is (no normalisation of the path by a client).
fn raw(addr: SocketAddr, request_line: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "{request_line}\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn assert_page(g: &Got) {
    assert_eq!(g.status, 200, "{}", short(&g.body));
    assert!(g.content_type.starts_with("text/html"), "{}", g.content_type);
    assert!(g.body.contains(r#"data-ready="1""#));
    assert!(g.body.contains("window.onerror"));
    // No external URL: everything is inline or on this server.
    assert!(
        !g.body.contains("http://") && !g.body.contains("https://"),
        "{}",
        short(&g.body)
    );
}

/// The page without its long runs (logs), for assertion messages.
fn short(body: &str) -> String {
    let mut out = String::new();
    for line in body.lines() {
        if line.len() > 400 {
            out.push_str(&line[..line.char_indices().nth(400).map_or(line.len(), |c| c.0)]);
            out.push_str("…\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn assert_escaped(body: &str) {
    for bad in ["<script>alert", "<img src=x", "1009<b>"] {
        assert!(!body.contains(bad), "unescaped {bad:?} in\n{}", short(body));
    }
}

#[test]
fn every_page_shows_the_survey_with_hostile_strings_escaped() {
    let s = survey();
    let srv = start(s.cfg.clone());
    let base = format!("http://{}", srv.addr);

    let g = get(&format!("{base}/"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    assert!(g.body.contains("Beams by state over time"));
    assert!(g.body.contains("Throughput"));
    assert!(g.body.contains("Disk budget"));
    // Two raw files on disk of 1 MB against 10 MB.
    assert!(g.body.contains("in 3 raw files"), "{}", short(&g.body));
    assert!(g.body.contains("<svg"));

    let g = get(&format!("{base}/beams"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    assert!(g
        .body
        .contains("p2030.evil&lt;script&gt;alert(&quot;beam&quot;)&lt;/script&gt;&amp;&#39;b1"));
    assert!(g.body.contains("p2030.failed.b2") && g.body.contains("p2030.waiting.b3"));
    assert!(g
        .body
        .contains(&format!("/beams/{}/report/report.html", s.uploaded_job)));
    assert!(g.body.contains("0.980"), "best score shown");

    let g = get(&format!("{base}/failures"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    assert!(
        g.body.contains("worker died &lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        short(&g.body)
    );
    assert!(g.body.contains("second line of the error"));
    assert!(g
        .body
        .contains("panicked at &lt;script&gt;alert(&#39;log&#39;)&lt;/script&gt;"));
    // Only the log's last 64 KiB.
    assert!(g.body.contains("earlier bytes not shown"));
    assert!(g.body.len() < 100 * 1024, "{}", g.body.len());

    let g = get(&format!("{base}/candidates"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    let (a, b, c) = (
        g.body.find("33.300000").unwrap(),
        g.body.find("1234.500000").unwrap(),
        g.body.find("71.600000").unwrap(),
    );
    assert!(a < b && b < c, "ordered by score");

    let g = get(&format!("{base}/sky"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    assert!(g.body.contains("<circle"));
    assert!(g.body.contains("2 beams with a position"));
    let g = get(&format!("{base}/sky?coords=equatorial&color=state"), None);
    assert_page(&g);
    assert!(g.body.contains("declination"));

    let g = get(&format!("{base}/no/such/page"), None);
    assert_eq!(g.status, 404);
}

#[test]
fn known_pulsars_are_marked_and_can_be_hidden_on_schema_4() {
    let s = survey();
    // The columns schema 4 adds (added here when this build's schema lacks them).
    let Some(CommonDb {
        backend: CommonDbBackend::Sqlite { path },
        ..
    }) = &s.cfg.results_db
    else {
        unreachable!()
    };
    let c = rusqlite::Connection::open(path).unwrap();
    for col in ["known_pulsar", "known_harmonic", "known_position"] {
        let _ = c.execute(&format!("ALTER TABLE candidates ADD COLUMN {col} TEXT"), []);
    }
    c.execute(
        "UPDATE candidates SET known_pulsar = 'J1915+1009<b>', known_harmonic = '2/1', known_position = 'main' WHERE cand_num = 2",
        [],
    )
    .unwrap();
    drop(c);
    let srv = start(s.cfg.clone());
    let base = format!("http://{}", srv.addr);
    let g = get(&format!("{base}/candidates"), None);
    assert_page(&g);
    assert_escaped(&g.body);
    assert!(g.body.contains("J1915+1009&lt;b&gt; (2/1)"), "{}", short(&g.body));
    assert!(g.body.contains("71.600000"));
    let g = get(&format!("{base}/candidates?hide_known=1"), None);
    assert_page(&g);
    assert!(!g.body.contains("71.600000"), "{}", short(&g.body));
    assert!(g.body.contains("33.300000"));
}

#[test]
fn only_get_and_head_are_answered() {
    let s = survey();
    let srv = start(s.cfg.clone());
    let base = format!("http://{}", srv.addr);
    let a = agent();
    for path in ["/", "/beams", "/candidates", "/nothing"] {
        let url = format!("{base}{path}");
        assert_eq!(a.post(&url).send_empty().unwrap().status().as_u16(), 405);
        assert_eq!(a.put(&url).send_empty().unwrap().status().as_u16(), 405);
        assert_eq!(a.delete(&url).call().unwrap().status().as_u16(), 405);
        assert_eq!(a.patch(&url).send_empty().unwrap().status().as_u16(), 405);
    }
    assert_eq!(a.head(&format!("{base}/beams")).call().unwrap().status().as_u16(), 200);
}

#[test]
fn a_report_serves_its_results_directory_and_nothing_else() {
    let s = survey();
    let srv = start(s.cfg.clone());
    let base = format!("http://{}", srv.addr);
    let id = s.uploaded_job;
    let g = get(&format!("{base}/beams/{id}/report/report.html"), None);
    assert_eq!(g.status, 200);
    assert!(g.content_type.starts_with("text/html"));
    assert!(g.body.contains("the report"));
    let g = get(&format!("{base}/beams/{id}/report/cand1.png"), None);
    assert_eq!(g.status, 200);
    assert_eq!(g.content_type, "image/png");
    // Out of the directory: `..`, encoded or not, absolute paths, a symlink leading out.
    for path in [
        format!("/beams/{id}/report/../../../secret.txt"),
        format!("/beams/{id}/report/%2e%2e/%2e%2e/%2e%2e/secret.txt"),
        format!("/beams/{id}/report/%2Fetc%2Fpasswd"),
        format!("/beams/{id}/report//etc/passwd"),
        format!("/beams/{id}/report/leak.txt"),
    ] {
        let r = raw(srv.addr, &format!("GET {path} HTTP/1.1"));
        let status = r.split(' ').nth(1).unwrap_or("");
        assert!(["400", "403", "404"].contains(&status), "{path}: {r}");
        assert!(!r.contains("TOP SECRET"), "{path}: {r}");
        assert!(!r.contains("root:"), "{path}: {r}");
    }
    // A beam without results.
    let g = get(&format!("{base}/beams/3/report/report.html"), None);
    assert_eq!(g.status, 404);
    let g = get(&format!("{base}/beams/x/report/report.html"), None);
    assert_eq!(g.status, 404);
    // Without report.html, a generated page lists the plots.
    std::fs::remove_file(s.root.join("results/beam1/palfa_1_1_aaaaaa/report.html")).unwrap();
    let g = get(&format!("{base}/beams/{id}/report/report.html"), None);
    assert_page(&g);
    assert!(g.body.contains(r#"src="cand1.png""#), "{}", short(&g.body));
}

#[test]
fn listening_beyond_loopback_needs_a_token_and_requests_carry_it() {
    let s = survey();
    let mut cfg = s.cfg.clone();
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let e = Dashboard::bind(cfg.clone()).err().expect("refused");
    assert!(matches!(e, DashboardError::NeedsToken(_)));
    assert!(e.to_string().contains("token"), "{e}");

    cfg.token = Some(TOKEN.into());
    let d = Dashboard::bind(cfg).unwrap();
    assert!(d.url().contains(&format!("token={TOKEN}")));
    let port = d.local_addr().port();
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = Arc::clone(&stop);
    let th = std::thread::spawn(move || d.run(s2).unwrap());
    let base = format!("http://127.0.0.1:{port}");
    for path in [
        "/",
        "/beams",
        "/candidates",
        "/sky",
        "/failures",
        "/beams/1/report/report.html",
    ] {
        assert_eq!(get(&format!("{base}{path}"), None).status, 401, "{path}");
        assert_eq!(
            get(&format!("{base}{path}"), Some("wrong-token-0123456789")).status,
            401
        );
        assert_eq!(get(&format!("{base}{path}?token=wrong"), None).status, 401);
    }
    let g = get(&format!("{base}/beams"), Some(TOKEN));
    assert_page(&g);
    // Links carry the token.
    assert!(
        g.body.contains(&format!("/candidates?token={TOKEN}")),
        "{}",
        short(&g.body)
    );
    let g = get(&format!("{base}/candidates?hide_known=1&token={TOKEN}"), None);
    assert_page(&g);
    // A page opened with ?token= sets a cookie for the report's images.
    let r = raw(
        format!("127.0.0.1:{port}").parse().unwrap(),
        &format!("GET /?token={TOKEN} HTTP/1.1"),
    );
    assert!(r.to_ascii_lowercase().contains("set-cookie: palfa_token="), "{r}");
    let r = agent()
        .get(&format!("{base}/sky"))
        .header("Cookie", &format!("palfa_token={TOKEN}"))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    stop.store(true, Ordering::Relaxed);
    th.join().unwrap();
}

#[test]
fn missing_databases_give_a_page_and_are_not_created() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("nothing/jobtracker.db");
    let rdb = tmp.path().join("results.db");
    let mut cfg = DashboardConfig::new(&db);
    cfg.listen = "127.0.0.1:0".parse().unwrap();
    cfg.results_db = Some(CommonDb {
        backend: CommonDbBackend::Sqlite { path: rdb.clone() },
        username: String::new(),
        password: Secret::new(String::new()),
    });
    let srv = start(cfg);
    let base = format!("http://{}", srv.addr);
    for path in ["/", "/beams", "/failures", "/candidates", "/sky"] {
        let g = get(&format!("{base}{path}"), None);
        assert_page(&g);
        assert!(g.body.contains("does not exist"), "{path}: {}", short(&g.body));
    }
    assert!(!db.exists() && !rdb.exists());
}
