//! The archive's FTP server: plain FTP or explicit FTPS (`AUTH TLS`),
//! passive mode, binary transfers, timeouts on every socket.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use palfa_core::config::Secret;
use suppaftp::rustls::pki_types::pem::PemObject;
use suppaftp::rustls::pki_types::CertificateDer;
use suppaftp::rustls::{ClientConfig, RootCertStore};
use suppaftp::types::FileType;
use suppaftp::{FtpError, ImplFtpStream, RustlsConnector, TlsStream};

use super::error::{ArchiveError, Redactor};
use super::names::{check_remote_name, shown};
use super::{Listing, RemoteFile};

/// How often a blocked read wakes to look at the stop flag.
const POLL: Duration = Duration::from_millis(500);

/// Where and how to reach the FTP server.
#[derive(Clone)]
pub struct FtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
    /// Explicit FTPS (`AUTH TLS`).
    pub tls: bool,
    /// Extra certificate authorities (PEM) to trust for FTPS, besides the
    /// usual public ones.
    pub ca_file: Option<PathBuf>,
    /// Connect timeout, and longest wait for any reply or data \[s\].
    pub timeout: Duration,
}

impl FtpSettings {
    /// The FTP server of a configuration's `[download]` section, with
    /// `timeout` for every connection and reply.
    pub fn from_config(d: &palfa_core::config::Download, timeout: Duration) -> Self {
        Self {
            host: d.ftp_host.clone(),
            port: d.ftp_port,
            username: d.ftp_username.clone(),
            password: d.ftp_password.clone(),
            tls: d.ftp_tls,
            ca_file: d.ftp_ca_file.clone(),
            timeout,
        }
    }

    /// The server as a URL: `ftp://host:port`, or `ftps://` with TLS.
    pub fn address(&self) -> String {
        format!(
            "{}://{}:{}",
            if self.tls { "ftps" } else { "ftp" },
            self.host,
            self.port
        )
    }
}

impl std::fmt::Debug for FtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("tls", &self.tls)
            .finish()
    }
}

/// A logged-in session, plain or secured.
enum Session {
    Plain(suppaftp::FtpStream),
    Tls(Box<suppaftp::RustlsFtpStream>),
}

/// The FTP side of the archive.
pub struct FtpClient {
    settings: FtpSettings,
    tls: Option<Arc<ClientConfig>>,
    redact: Redactor,
}

impl FtpClient {
    /// A client; reads the CA file now, so that a bad one fails early.
    pub fn new(settings: FtpSettings) -> Result<Self, ArchiveError> {
        let tls = if settings.tls {
            Some(Arc::new(tls_config(settings.ca_file.as_deref())?))
        } else {
            None
        };
        let redact = Redactor::new([settings.password.expose()]);
        Ok(Self { settings, tls, redact })
    }

    fn err(&self, what: impl Into<String>) -> impl Fn(FtpError) -> ArchiveError + '_ {
        let what = what.into();
        move |e| ftp_error(&self.redact, &what, e, self.settings.timeout)
    }

    fn connect(&self) -> Result<Session, ArchiveError> {
        let s = &self.settings;
        let what = format!("connect {}:{}", s.host, s.port);
        let addr: SocketAddr = (s.host.as_str(), s.port)
            .to_socket_addrs()
            .map_err(|e| ArchiveError::Ftp {
                what: what.clone(),
                message: e.to_string(),
            })?
            .next()
            .ok_or_else(|| ArchiveError::Ftp {
                what: what.clone(),
                message: "host name has no address".into(),
            })?;
        let timeout = s.timeout;
        let tcp = TcpStream::connect_timeout(&addr, timeout).map_err(|e| ArchiveError::Ftp {
            what: what.clone(),
            message: e.to_string(),
        })?;
        set_timeouts(&tcp, timeout).map_err(|e| ArchiveError::Ftp {
            what: what.clone(),
            message: e.to_string(),
        })?;
        // Data connections: the same timeouts (a `RETR` then shortens its
        // read timeout to watch the stop flag and its own stall clock).
        let builder = move |a: SocketAddr| {
            let d = TcpStream::connect_timeout(&a, timeout).map_err(FtpError::ConnectionError)?;
            set_timeouts(&d, timeout).map_err(FtpError::ConnectionError)?;
            Ok(d)
        };
        match &self.tls {
            None => {
                let mut f = suppaftp::FtpStream::connect_with_stream(tcp)
                    .map_err(self.err(&what))?
                    .passive_stream_builder(builder);
                f.set_passive_nat_workaround(true);
                self.login(&mut f)?;
                Ok(Session::Plain(f))
            }
            Some(cfg) => {
                let f = suppaftp::RustlsFtpStream::connect_with_stream(tcp)
                    .map_err(self.err(&what))?
                    .passive_stream_builder(builder);
                let mut f = f
                    .into_secure(RustlsConnector::from(Arc::clone(cfg)), &s.host)
                    .map_err(self.err("AUTH TLS"))?;
                f.set_passive_nat_workaround(true);
                self.login(&mut f)?;
                Ok(Session::Tls(Box::new(f)))
            }
        }
    }

    fn login<T: TlsStream>(&self, f: &mut ImplFtpStream<T>) -> Result<(), ArchiveError> {
        let s = &self.settings;
        f.login(s.username.as_str(), s.password.expose())
            .map_err(self.err(format!("login as {}", s.username)))?;
        f.transfer_type(FileType::Binary).map_err(self.err("TYPE I"))
    }

    /// Connects, secures the connection when configured, logs in and lists
    /// the server's top directory in passive mode (`palfa check ftp`):
    /// the names listed.
    pub fn list_top(&self) -> Result<Vec<String>, ArchiveError> {
        let names = match self.connect()? {
            Session::Plain(mut f) => {
                let n = f.nlst(None).map_err(self.err("NLST"));
                let _ = f.quit();
                n
            }
            Session::Tls(mut f) => {
                let n = f.nlst(None).map_err(self.err("NLST"));
                let _ = f.quit();
                n
            }
        }?;
        Ok(names)
    }

    /// The files of restore `guid`: `NLST <guid>`, then `SIZE` of each name
    /// that passes [`check_remote_name`]; refused names are returned apart.
    pub fn list(&self, guid: &str) -> Result<Listing, ArchiveError> {
        check_remote_name(guid).map_err(ArchiveError::BadGuid)?;
        match self.connect()? {
            Session::Plain(mut f) => self.list_in(&mut f, guid),
            Session::Tls(mut f) => self.list_in(&mut f, guid),
        }
    }

    fn list_in<T: TlsStream>(&self, f: &mut ImplFtpStream<T>, guid: &str) -> Result<Listing, ArchiveError> {
        let names = f.nlst(Some(guid)).map_err(self.err(format!("NLST {guid}")))?;
        let prefix = format!("{guid}/");
        let mut out = Listing::default();
        for raw in names {
            // Some servers list `<dir>/<name>`; only that exact prefix is stripped.
            let name = raw.strip_prefix(&prefix).unwrap_or(&raw).to_string();
            if let Err(e) = check_remote_name(&name) {
                tracing::warn!(guid, "{e}");
                out.refused.push((raw, e.to_string()));
                continue;
            }
            if out.files.iter().any(|x: &RemoteFile| x.name == name) {
                continue;
            }
            let path = format!("{guid}/{name}");
            match f.size(&path) {
                Ok(size) => out.files.push(RemoteFile {
                    name,
                    size: size as u64,
                }),
                // The server answered, and refused: this entry (a directory,
                // say) cannot be fetched; the others can.
                Err(FtpError::UnexpectedResponse(r)) => {
                    let why = self.redact.clean(format!(
                        "SIZE {}: server answered {} {}",
                        shown(&path),
                        r.status.code(),
                        String::from_utf8_lossy(&r.body).trim()
                    ));
                    tracing::warn!(guid, "{why}");
                    out.refused.push((raw, why));
                }
                Err(e) => return Err(self.err(format!("SIZE {}", shown(&path)))(e)),
            }
        }
        let _ = f.quit();
        Ok(out)
    }

    /// Fetches `<guid>/<file.name>` into `dest`: `RETR`, refusing more bytes
    /// than listed. `done` counts the bytes written; `started` is called once
    /// the server accepted the `RETR`. Returns the bytes received.
    pub fn fetch(
        &self,
        guid: &str,
        file: &RemoteFile,
        dest: &mut dyn Write,
        done: &AtomicU64,
        started: &mut dyn FnMut(),
        stop: &AtomicBool,
    ) -> Result<u64, ArchiveError> {
        check_remote_name(guid).map_err(ArchiveError::BadGuid)?;
        check_remote_name(&file.name).map_err(ArchiveError::BadGuid)?;
        match self.connect()? {
            Session::Plain(mut f) => self.fetch_in(&mut f, guid, file, dest, done, started, stop),
            Session::Tls(mut f) => self.fetch_in(&mut f, guid, file, dest, done, started, stop),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fetch_in<T: TlsStream>(
        &self,
        f: &mut ImplFtpStream<T>,
        guid: &str,
        file: &RemoteFile,
        dest: &mut dyn Write,
        done: &AtomicU64,
        started: &mut dyn FnMut(),
        stop: &AtomicBool,
    ) -> Result<u64, ArchiveError> {
        let path = format!("{guid}/{}", file.name);
        let what = format!("RETR {path}");
        let timeout = self.settings.timeout;
        let mut stream = f.retr_as_stream(&path).map_err(self.err(&what))?;
        // Reads wake every POLL to look at the stop flag; the stall clock
        // below, not the socket, gives up after `timeout` without data.
        let _ = stream.get_ref().get_ref().set_read_timeout(Some(POLL.min(timeout)));
        started();
        let mut buf = vec![0u8; 256 * 1024];
        let mut total = 0u64;
        let mut last_data = Instant::now();
        let outcome = loop {
            if stop.load(Ordering::Relaxed) {
                break Err(ArchiveError::Stopped);
            }
            match stream.read(&mut buf) {
                Ok(0) => break Ok(total),
                Ok(n) => {
                    last_data = Instant::now();
                    total += n as u64;
                    if total > file.size {
                        break Err(ArchiveError::TooLong {
                            name: file.name.clone(),
                            listed: file.size,
                        });
                    }
                    if let Err(source) = dest.write_all(&buf[..n]) {
                        break Err(ArchiveError::Local {
                            path: file.name.clone(),
                            source,
                        });
                    }
                    done.store(total, Ordering::Relaxed);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if last_data.elapsed() >= timeout {
                        break Err(ArchiveError::Stalled {
                            what: what.clone(),
                            seconds: timeout.as_secs_f64(),
                        });
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    break Err(ArchiveError::Ftp {
                        what: what.clone(),
                        message: self.redact.clean(format!("connection broke after {total} bytes: {e}")),
                    })
                }
            }
        };
        match outcome {
            Ok(total) => {
                stream.finish().map_err(self.err(format!("{what} (end of transfer)")))?;
                let _ = f.quit();
                Ok(total)
            }
            Err(e) => {
                // Dropping the stream closes the data connection and reads the
                // server's reply: wait for it briefly only (the server may be
                // the one that stalled); the control connection goes with the
                // session.
                let _ = f.get_ref().set_read_timeout(Some(POLL.min(timeout)));
                drop(stream);
                Err(e)
            }
        }
    }
}

fn set_timeouts(s: &TcpStream, t: Duration) -> std::io::Result<()> {
    s.set_read_timeout(Some(t))?;
    s.set_write_timeout(Some(t))
}

fn ftp_error(redact: &Redactor, what: &str, e: FtpError, timeout: Duration) -> ArchiveError {
    if let FtpError::ConnectionError(io) = &e {
        if matches!(io.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            return ArchiveError::Stalled {
                what: what.to_string(),
                seconds: timeout.as_secs_f64(),
            };
        }
    }
    let message = match &e {
        FtpError::UnexpectedResponse(r) => format!(
            "server answered {} {}",
            r.status.code(),
            String::from_utf8_lossy(&r.body).trim()
        ),
        other => other.to_string(),
    };
    ArchiveError::Ftp {
        what: what.to_string(),
        message: redact.clean(message),
    }
}

/// A TLS client configuration: the public web roots plus `ca_file`'s certificates.
fn tls_config(ca_file: Option<&std::path::Path>) -> Result<ClientConfig, ArchiveError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(p) = ca_file {
        let certs = CertificateDer::pem_file_iter(p)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| ArchiveError::Settings(format!("FTP CA file {}: {e}", p.display())))?;
        if certs.is_empty() {
            return Err(ArchiveError::Settings(format!(
                "FTP CA file {}: no certificate in it",
                p.display()
            )));
        }
        for c in certs {
            roots
                .add(c)
                .map_err(|e| ArchiveError::Settings(format!("FTP CA file {}: {e}", p.display())))?;
        }
    }
    let provider = Arc::new(suppaftp::rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ArchiveError::Settings(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(cfg)
}
