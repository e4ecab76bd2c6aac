//! A reference archive: the restore service of `docs/archive-api.md` over
//! HTTP (`tiny_http`) and an FTP/FTPS server (`libunftp` with its
//! file-system back end), handing out the beams of a directory.
//!
//! Each `Restore` takes up to `number` beams of `data` that no earlier
//! restore took (sorted by name), links (or, across file systems, copies)
//! them into `<data>/.restores/<GUID>/` and answers the GUID; it answers
//! `fail` when no beam is left or the credentials are wrong. `Location`
//! answers `done` once `restore_delay` has passed since the restore (a
//! restore found on disk after a restart is done), `processing` before,
//! `unknown` for a GUID it never gave. The FTP server's root is
//! `<data>/.restores`, so a restore's files are `<GUID>/<name>`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use palfa_core::config::Secret;

/// Directory (under the data directory) holding the restores.
pub const RESTORES_DIR: &str = ".restores";

/// What `palfa archive serve` serves.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Directory of beams (regular files whose names pass
    /// [`check_remote_name`](super::check_remote_name)).
    pub data: PathBuf,
    /// Address of the restore service.
    pub http: SocketAddr,
    /// Address of the FTP server.
    pub ftp: SocketAddr,
    /// User name and password required by both services (`None`: any).
    pub credentials: Option<(String, Secret)>,
    /// PEM certificate chain and key for FTPS (`AUTH TLS`).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Time from a restore to its `done`.
    pub restore_delay: Duration,
    /// Passive-mode data ports of the FTP server.
    pub passive_ports: std::ops::RangeInclusive<u16>,
}

/// Why the reference archive could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file or directory could not be used.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A server could not start.
    #[error("{0}")]
    Start(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServeError + '_ {
    move |source| ServeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The restore service's state.
struct Restores {
    data: PathBuf,
    root: PathBuf,
    credentials: Option<(String, Secret)>,
    delay: Duration,
    made: Mutex<HashMap<String, Instant>>,
    /// GUIDs `RestoreTest` answered (nothing is handed out for them).
    tests: Mutex<std::collections::HashSet<String>>,
}

impl Restores {
    fn authorised(&self, q: &HashMap<String, String>) -> bool {
        match &self.credentials {
            None => true,
            Some((u, p)) => {
                q.get("username").map(String::as_str) == Some(u.as_str())
                    && q.get("pw").map(String::as_str) == Some(p.expose())
            }
        }
    }

    /// Beams of `data` not yet handed out, sorted by name.
    fn free_beams(&self) -> std::io::Result<Vec<String>> {
        let mut given = std::collections::HashSet::new();
        for d in std::fs::read_dir(&self.root)? {
            let d = d?;
            if d.file_type()?.is_dir() {
                for f in std::fs::read_dir(d.path())? {
                    given.insert(f?.file_name().to_string_lossy().into_owned());
                }
            }
        }
        let mut v = Vec::new();
        for e in std::fs::read_dir(&self.data)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type()?.is_file() && super::check_remote_name(&name).is_ok() && !given.contains(&name) {
                v.push(name);
            }
        }
        v.sort();
        Ok(v)
    }

    fn restore(&self, q: &HashMap<String, String>) -> String {
        if !self.authorised(q) {
            tracing::warn!("Restore: wrong user name or password");
            return "fail".into();
        }
        let number: usize = match q.get("number").and_then(|n| n.parse().ok()) {
            Some(n) if n > 0 => n,
            _ => return "fail".into(),
        };
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        let beams = match self.free_beams() {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("Restore: reading {}: {e}", self.data.display());
                return "fail".into();
            }
        };
        if beams.is_empty() {
            tracing::info!("Restore: no beam left to hand out");
            return "fail".into();
        }
        let guid = new_guid();
        let dir = self.root.join(&guid);
        let tmp = self.root.join(format!(".{guid}.tmp"));
        let result = (|| -> std::io::Result<usize> {
            std::fs::create_dir(&tmp)?;
            let mut n = 0;
            for b in beams.iter().take(number) {
                let (src, dst) = (self.data.join(b), tmp.join(b));
                if std::fs::hard_link(&src, &dst).is_err() {
                    std::fs::copy(&src, &dst)?;
                }
                n += 1;
            }
            std::fs::rename(&tmp, &dir)?;
            Ok(n)
        })();
        match result {
            Ok(n) => {
                made.insert(guid.clone(), Instant::now());
                tracing::info!(guid, files = n, "Restore: handed out");
                guid
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                tracing::error!("Restore: {e}");
                "fail".into()
            }
        }
    }

    /// The set-up test of `Restore`: the same checks of the credentials and
    /// the request, a GUID, and no beam handed out.
    fn restore_test(&self, q: &HashMap<String, String>) -> String {
        if !self.authorised(q) {
            tracing::warn!("RestoreTest: wrong user name or password");
            return "fail".into();
        }
        if q.get("number").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0) == 0 {
            return "fail".into();
        }
        let guid = new_guid();
        self.tests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(guid.clone());
        tracing::info!(guid, "RestoreTest: answered");
        guid
    }

    /// The set-up test of `Location`: `done` for a GUID `RestoreTest` gave,
    /// `unknown` for any other.
    fn location_test(&self, q: &HashMap<String, String>) -> String {
        if !self.authorised(q) {
            return "fail".into();
        }
        let known = q
            .get("guid")
            .is_some_and(|g| self.tests.lock().unwrap_or_else(|p| p.into_inner()).contains(g));
        if known { "done" } else { "unknown" }.into()
    }

    fn location(&self, q: &HashMap<String, String>) -> String {
        if !self.authorised(q) {
            return "fail".into();
        }
        let Some(guid) = q.get("guid") else {
            return "unknown".into();
        };
        if super::check_remote_name(guid).is_err() || !self.root.join(guid).is_dir() {
            return "unknown".into();
        }
        let made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        match made.get(guid) {
            Some(t) if t.elapsed() < self.delay => "processing".into(),
            _ => "done".into(),
        }
    }
}

/// A GUID in the usual 8-4-4-4-12 hexadecimal form.
fn new_guid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_usize(i);
        *w = h.finish();
    }
    let x = (u128::from(words[0]) << 64) | u128::from(words[1]);
    let s = format!("{x:032x}");
    format!("{}-{}-{}-{}-{}", &s[..8], &s[8..12], &s[12..16], &s[16..20], &s[20..])
}

/// Decodes `%XX` and `+` in a query component.
fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() => {
                let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_query(url: &str) -> (String, HashMap<String, String>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let q = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (url_decode(k), url_decode(v))
        })
        .collect();
    (path.to_string(), q)
}

/// The XML answer of an ASP.NET web service method returning a string.
fn xml_string(value: &str) -> String {
    let esc = value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<string xmlns=\"http://tempuri.org/\">{esc}</string>")
}

#[derive(Debug)]
struct Login {
    user: String,
    password: Secret,
}

#[async_trait::async_trait]
impl unftp_core::auth::Authenticator for Login {
    async fn authenticate(
        &self,
        username: &str,
        creds: &unftp_core::auth::Credentials,
    ) -> Result<unftp_core::auth::Principal, unftp_core::auth::AuthenticationError> {
        if username != self.user {
            return Err(unftp_core::auth::AuthenticationError::BadUser);
        }
        if creds.password.as_deref() != Some(self.password.expose()) {
            return Err(unftp_core::auth::AuthenticationError::BadPassword);
        }
        Ok(unftp_core::auth::Principal {
            username: username.to_string(),
        })
    }
}

/// Runs the archive until `stop` is raised.
pub fn serve(opts: ServeOptions, stop: Arc<AtomicBool>) -> Result<(), ServeError> {
    let data = opts.data.canonicalize().map_err(io(&opts.data))?;
    let root = data.join(RESTORES_DIR);
    std::fs::create_dir_all(&root).map_err(io(&root))?;
    // Restores half made by an archive that died.
    for e in std::fs::read_dir(&root).map_err(io(&root))?.flatten() {
        if e.file_name().to_string_lossy().ends_with(".tmp") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let restores = Arc::new(Restores {
        data: data.clone(),
        root: root.clone(),
        credentials: opts.credentials.clone(),
        delay: opts.restore_delay,
        made: Mutex::new(HashMap::new()),
        tests: Mutex::new(std::collections::HashSet::new()),
    });

    let http = tiny_http::Server::http(opts.http)
        .map_err(|e| ServeError::Start(format!("restore service on {}: {e}", opts.http)))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError::Start(format!("FTP server runtime: {e}")))?;
    let ftp_root = root.clone();
    let generator =
        Box::new(move || unftp_sbe_fs::Filesystem::new(ftp_root.clone()).expect("the restores directory exists"));
    let mut builder = match &opts.credentials {
        Some((u, p)) => libunftp::ServerBuilder::with_authenticator(
            generator,
            Arc::new(Login {
                user: u.clone(),
                password: p.clone(),
            }),
        ),
        None => libunftp::ServerBuilder::new(generator),
    };
    builder = builder
        .greeting("palfa reference archive")
        .passive_ports(opts.passive_ports.clone())
        .idle_session_timeout(600);
    if let Some((cert, key)) = &opts.tls {
        builder = builder.ftps(cert.clone(), key.clone());
    }
    let stop_ftp = Arc::clone(&stop);
    builder = builder.shutdown_indicator(async move {
        while !stop_ftp.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        libunftp::options::Shutdown::new().grace_period(Duration::from_secs(1))
    });
    let server = builder
        .build()
        .map_err(|e| ServeError::Start(format!("FTP server: {e}")))?;
    let ftp_addr = opts.ftp.to_string();
    let ftp = rt.spawn(async move { server.listen(ftp_addr).await });
    tracing::info!(
        data = %data.display(),
        http = %opts.http,
        ftp = %opts.ftp,
        tls = opts.tls.is_some(),
        "reference archive serving"
    );

    while !stop.load(Ordering::Relaxed) {
        if ftp.is_finished() {
            let r = rt.block_on(ftp);
            return Err(ServeError::Start(format!("FTP server on {} stopped: {r:?}", opts.ftp)));
        }
        let req = match http.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => return Err(ServeError::Start(format!("restore service: {e}"))),
        };
        let (path, q) = parse_query(req.url());
        let method = path.rsplit('/').next().unwrap_or("").to_string();
        let (status, body) = match method.as_str() {
            "Restore" => (200, xml_string(&restores.restore(&q))),
            "Location" => (200, xml_string(&restores.location(&q))),
            "RestoreTest" => (200, xml_string(&restores.restore_test(&q))),
            "LocationTest" => (200, xml_string(&restores.location_test(&q))),
            _ => (404, "no such method".to_string()),
        };
        tracing::debug!(method, status, "restore service call");
        let resp = tiny_http::Response::from_string(body)
            .with_status_code(status)
            .with_header(
                "Content-Type: text/xml; charset=utf-8"
                    .parse::<tiny_http::Header>()
                    .expect("a valid header"),
            );
        if let Err(e) = req.respond(resp) {
            tracing::debug!("restore service: answering: {e}");
        }
    }
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_and_guid() {
        let (p, q) = super::parse_query("/svc/Restore?username=a%20b&pw=p%26w+x&number=3");
        assert_eq!(p, "/svc/Restore");
        assert_eq!(q["username"], "a b");
        assert_eq!(q["pw"], "p&w x");
        assert_eq!(q["number"], "3");
        let g = super::new_guid();
        assert_eq!(g.len(), 36);
        assert_ne!(g, super::new_guid());
        assert_eq!(super::url_decode("100%"), "100%");
        assert!(super::xml_string("a<b").contains("a&lt;b"));
    }
}
