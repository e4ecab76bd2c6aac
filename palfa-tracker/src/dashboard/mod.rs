//! The survey dashboard (`palfa serve`): a small read-only web server over
//! the job tracker and the results database.
//!
//! Pages (server-rendered HTML with a little inline CSS and JavaScript, no
//! external URL):
//!
//! - `/`: beams by state now and over time, throughput, the disk budget;
//! - `/failures`: failed jobs and downloads with their errors and log excerpts;
//! - `/beams`: every beam (sortable, searchable), each linking to its report
//!   at `/beams/{id}/report/report.html` (the files of its results directory);
//! - `/candidates`: the survey's best candidates (`?hide_known=1` hides known pulsars);
//! - `/sky`: the searched beams on the sky (`?coords=equatorial`, `?color=state`).
//!
//! It never writes: databases are opened read-only (`SQLITE_OPEN_READ_ONLY`,
//! `query_only`), per request; only `GET` and `HEAD` are answered (anything
//! else is 405). It listens on loopback unless given a token; with a token,
//! every request must carry it (`Authorization: Bearer TOKEN`, `?token=TOKEN`,
//! or the cookie set when a page was opened with `?token=`).
//!
//! ```no_run
//! use palfa_tracker::dashboard::{Dashboard, DashboardConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = DashboardConfig::new("jobtracker.db");
//! let dashboard = Dashboard::bind(cfg)?;
//! println!("{}", dashboard.url());
//! dashboard.run(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)))?;
//! # Ok(()) }
//! ```

mod data;
mod files;
mod pages;
mod svg;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use palfa_core::config::{CommonDb, Config};

/// What the dashboard serves and where it listens.
#[derive(Debug, Clone)]
pub struct DashboardConfig {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// The token every request must carry; required to listen on anything but loopback.
    pub token: Option<String>,
    /// The job-tracker database (`background.jobtracker_db`).
    pub tracker_db: PathBuf,
    /// The results database (`[commondb]`); `None`: none shown.
    pub results_db: Option<CommonDb>,
    /// Where the results directories live (`jobpooler.base_results_directory`);
    /// a beam's report is served only from a directory under one of these.
    pub results_roots: Vec<PathBuf>,
    /// `basic.qsublog_dir`: the queues' job directories (their logs).
    pub qsublog_dir: Option<PathBuf>,
    /// `download.space_to_use` \[bytes\] (0: not shown).
    pub space_to_use: u64,
}

impl DashboardConfig {
    /// A dashboard of one tracker database, on `127.0.0.1:8080`, without results database.
    pub fn new(tracker_db: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            tracker_db: tracker_db.into(),
            results_db: None,
            results_roots: Vec::new(),
            qsublog_dir: None,
            space_to_use: 0,
        }
    }

    /// The dashboard of a survey's configuration, on `127.0.0.1:8080`.
    pub fn from_config(cfg: &Config) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            token: None,
            tracker_db: cfg.background.jobtracker_db.clone(),
            results_db: Some(cfg.commondb.clone()),
            results_roots: vec![cfg.jobpooler.base_results_directory.clone()],
            qsublog_dir: Some(cfg.basic.qsublog_dir.clone()),
            space_to_use: cfg.download.space_to_use,
        }
    }
}

/// Why the dashboard could not start.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// A non-loopback address without a token.
    #[error(
        "refusing to listen on {0} without a token: the dashboard shows the whole survey; \
         give a token (--token or PALFA_DASHBOARD_TOKEN) or listen on 127.0.0.1"
    )]
    NeedsToken(SocketAddr),
    /// An empty or unusable token.
    #[error("the token must be 16 to 256 printable ASCII characters without spaces")]
    BadToken,
    /// The address could not be bound, or the server failed.
    #[error("dashboard on {addr}: {source}")]
    Io {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
}

/// A bound dashboard, ready to [`run`](Dashboard::run).
pub struct Dashboard {
    cfg: DashboardConfig,
    listener: TcpListener,
    addr: SocketAddr,
}

impl Dashboard {
    /// Checks the configuration and binds the address. A non-loopback
    /// address without a token is refused.
    pub fn bind(cfg: DashboardConfig) -> Result<Self, DashboardError> {
        if let Some(t) = &cfg.token {
            let ok = (16..=256).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_graphic());
            if !ok {
                return Err(DashboardError::BadToken);
            }
        } else if !cfg.listen.ip().is_loopback() {
            return Err(DashboardError::NeedsToken(cfg.listen));
        }
        let io = |source| DashboardError::Io {
            addr: cfg.listen,
            source,
        };
        let listener = TcpListener::bind(cfg.listen).map_err(io)?;
        listener.set_nonblocking(true).map_err(io)?;
        let addr = listener.local_addr().map_err(io)?;
        Ok(Self { cfg, listener, addr })
    }

    /// The address it listens on (the port chosen when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The overview page's URL (with the token, if there is one).
    pub fn url(&self) -> String {
        let host = if self.addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if self.addr.is_ipv6() {
            format!("[{}]", self.addr.ip())
        } else {
            self.addr.ip().to_string()
        };
        match &self.cfg.token {
            Some(t) => format!("http://{host}:{}/?token={}", self.addr.port(), pages::url_encode(t)),
            None => format!("http://{host}:{}/", self.addr.port()),
        }
    }

    /// Serves until `stop` becomes true (checked every 100 ms); requests in
    /// flight are finished first.
    pub fn run(self, stop: Arc<AtomicBool>) -> Result<(), DashboardError> {
        let addr = self.addr;
        let io = move |source| DashboardError::Io { addr, source };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(8)
            .enable_all()
            .build()
            .map_err(io)?;
        let state = Arc::new(self.cfg);
        let app = router(state);
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(self.listener)?;
            tracing::info!(%addr, "dashboard listening");
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    while !stop.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    tracing::info!("dashboard stopping");
                })
                .await
        })
        .map_err(io)?;
        rt.shutdown_timeout(Duration::from_secs(5));
        Ok(())
    }
}

type Shared = Arc<DashboardConfig>;

fn router(state: Shared) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/failures", get(failures))
        .route("/beams", get(beams))
        .route("/candidates", get(candidates))
        .route("/sky", get(sky))
        .route("/beams/{id}/report/{*path}", get(report_file))
        .route("/beams/{id}/report/", get(report_index))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), guard))
        .with_state(state)
}

/// Answers only GET and HEAD, checks the token, logs the request and adds the security headers.
async fn guard(State(cfg): State<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut set_cookie = None;
    let resp = if method != Method::GET && method != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "the dashboard is read-only\n").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if let Some(token) = &cfg.token {
        match presented_token(&req) {
            Some((given, from_query)) if constant_time_eq(given.as_bytes(), token.as_bytes()) => {
                if from_query {
                    set_cookie = Some(format!(
                        "palfa_token={}; Path=/; HttpOnly; SameSite=Strict",
                        pages::url_encode(token)
                    ));
                }
                next.run(req).await
            }
            _ => {
                let mut r = (
                    StatusCode::UNAUTHORIZED,
                    "a token is required (Authorization: Bearer TOKEN)\n",
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
        }
    } else {
        next.run(req).await
    };
    let mut resp = resp;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("SAMEORIGIN"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
         script-src 'self' 'unsafe-inline'; connect-src 'self'; form-action 'self'",
        ));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert(header::SET_COOKIE, c);
    }
    tracing::info!(
        method = %method,
        path = %path,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "dashboard request"
    );
    resp
}

/// The token a request carries, and whether it came in the query string.
fn presented_token(req: &Request) -> Option<(String, bool)> {
    let h = req.headers();
    if let Some(v) = h.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some((t.trim().to_string(), false));
        }
    }
    if let Some(q) = req.uri().query() {
        for pair in q.split('&') {
            if let Some(v) = pair.strip_prefix("token=") {
                return Some((pages::url_decode(v), true));
            }
        }
    }
    for v in h.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for c in v.split(';') {
            if let Some(t) = c.trim().strip_prefix("palfa_token=") {
                return Some((pages::url_decode(t), false));
            }
        }
    }
    None
}

/// Compares two byte strings in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u64;
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= u64::from(x ^ y);
    }
    diff == 0
}

/// Runs a blocking page builder off the async threads.
async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}\n")).into_response(),
    }
}

/// The query parameters the pages take.
#[derive(Debug, Default, serde::Deserialize)]
struct PageQuery {
    token: Option<String>,
    hide_known: Option<String>,
    limit: Option<usize>,
    coords: Option<String>,
    color: Option<String>,
}

impl PageQuery {
    fn flag(v: &Option<String>) -> bool {
        matches!(v.as_deref(), Some("1" | "true" | "on" | "yes"))
    }
}

async fn overview(State(cfg): State<Shared>) -> Response {
    blocking(move || pages::html(pages::overview(&cfg))).await
}

async fn failures(State(cfg): State<Shared>) -> Response {
    blocking(move || pages::html(pages::failures(&cfg))).await
}

async fn beams(State(cfg): State<Shared>) -> Response {
    blocking(move || pages::html(pages::beams(&cfg))).await
}

async fn candidates(State(cfg): State<Shared>, Query(q): Query<PageQuery>) -> Response {
    let _ = &q.token;
    let hide = PageQuery::flag(&q.hide_known);
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    blocking(move || pages::html(pages::candidates(&cfg, hide, limit))).await
}

async fn sky(State(cfg): State<Shared>, Query(q): Query<PageQuery>) -> Response {
    let equatorial = q.coords.as_deref() == Some("equatorial");
    let by_state = q.color.as_deref() == Some("state");
    blocking(move || pages::html(pages::sky(&cfg, equatorial, by_state))).await
}

async fn report_file(State(cfg): State<Shared>, UrlPath((id, path)): UrlPath<(String, String)>) -> Response {
    blocking(move || files::report(&cfg, &id, &path)).await
}

async fn report_index(State(cfg): State<Shared>, UrlPath(id): UrlPath<String>) -> Response {
    blocking(move || files::report(&cfg, &id, "report.html")).await
}

async fn not_found(State(cfg): State<Shared>) -> Response {
    let mut r = pages::html(pages::not_found(&cfg));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

/// A response with a body and a content type.
fn with_type(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abcdefgh", b"abcdefgh"));
        assert!(!constant_time_eq(b"abcdefgh", b"abcdefgx"));
        assert!(!constant_time_eq(b"abcdefgh", b"abcdefg"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn non_loopback_needs_a_token() {
        let mut cfg = DashboardConfig::new("/nonexistent/jobtracker.db");
        cfg.listen = "0.0.0.0:0".parse().unwrap();
        assert!(matches!(
            Dashboard::bind(cfg.clone()),
            Err(DashboardError::NeedsToken(_))
        ));
        cfg.token = Some("short".into());
        assert!(matches!(Dashboard::bind(cfg), Err(DashboardError::BadToken)));
    }
}
