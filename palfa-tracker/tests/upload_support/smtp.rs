//! A real SMTP server for the e-mail tests: aiosmtpd (from PyPI, installed by
//! `.ci/services/smtp.sh`) on 127.0.0.1, started by the test, keeping each
//! message it accepts as JSON (envelope, whether TLS and login were used, the
//! message text). Optionally STARTTLS with a throwaway CA and server
//! certificate made with `openssl`, and a required login. Needs only std and
//! serde_json (palfa-cli's tests use it too).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SERVER: &str = r#"
import json, os, socket, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

out, cert, key, user, pw, mode = sys.argv[1:7]

class Handler:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Handler.n += 1
        rec = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "tls": session.ssl is not None
                   or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
            "data": envelope.content.decode("utf-8", "replace"),
        }
        path = os.path.join(out, "msg%03d.json" % Handler.n)
        with open(path + ".tmp", "w") as f:
            json.dump(rec, f)
        os.rename(path + ".tmp", path)
        return "250 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login.decode() == user and auth_data.password.decode() == pw)
    return AuthResult(success=ok, handled=False)

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
kw = {}
if cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    if mode == "tls":
        kw = dict(ssl_context=ctx)
    else:
        kw = dict(tls_context=ctx, require_starttls=True)
if user:
    # With TLS from the first byte aiosmtpd does not count the connection as
    # TLS for AUTH (the message records that it was).
    kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(cert) and mode != "tls")
ctrl = Controller(Handler(), hostname="127.0.0.1", port=port, **kw)
ctrl.start()
with open(os.path.join(out, "port.tmp"), "w") as f:
    f.write(str(port))
os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
while True:
    time.sleep(3600)
"#;

/// The python with aiosmtpd, or `None` (with a note) when the e-mail tests
/// are not set up; panics if `PALFA_TEST_SMTP=1` but it is missing.
pub fn python() -> Option<String> {
    let wanted = std::env::var("PALFA_TEST_SMTP").is_ok_and(|v| v == "1");
    let py = std::env::var("PALFA_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match (ok, wanted) {
        (true, _) => Some(py),
        (false, true) => panic!("PALFA_TEST_SMTP=1 but {py} cannot import aiosmtpd"),
        (false, false) => {
            palfa_testkit::skip(
                "an e-mail test",
                &format!("{py} cannot import aiosmtpd (source .ci/services/smtp.sh to install and start it)"),
            );
            None
        }
    }
}

/// Paths of a throwaway CA and a server certificate for 127.0.0.1 signed by it.
pub struct Certs {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a CA and a server certificate (127.0.0.1, localhost) in `dir` with openssl.
pub fn make_certs(dir: &Path) -> Certs {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut a = vec!["req", "-x509"];
    a.extend(ec);
    a.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=palfa test CA",
    ]);
    run(&a);
    let mut a = vec!["req"];
    a.extend(ec);
    a.extend(["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    run(&a);
    std::fs::write(
        dir.join("ext.cnf"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    Certs {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
    }
}

/// A running aiosmtpd; killed when dropped.
pub struct SmtpServer {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
}

impl SmtpServer {
    /// Starts a server keeping messages in `dir` (made if missing): with
    /// STARTTLS when `certs` is given, and requiring `login` (user, password) when given.
    pub fn start(python: &str, dir: &Path, certs: Option<&Certs>, login: Option<(&str, &str)>) -> Self {
        Self::start_mode(python, dir, certs, login, "starttls")
    }

    /// [`start`](Self::start), with `mode` `"starttls"` or `"tls"` (TLS from
    /// the first byte, SMTPS) when `certs` is given.
    pub fn start_mode(
        python: &str,
        dir: &Path,
        certs: Option<&Certs>,
        login: Option<(&str, &str)>,
        mode: &str,
    ) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let script = dir.join("server.py");
        std::fs::write(&script, SERVER).unwrap();
        let s = |p: Option<&PathBuf>| p.map(|p| p.display().to_string()).unwrap_or_default();
        let (user, pw) = login.unwrap_or(("", ""));
        let child = Command::new(python)
            .arg(&script)
            .arg(dir)
            .arg(s(certs.map(|c| &c.cert)))
            .arg(s(certs.map(|c| &c.key)))
            .arg(user)
            .arg(pw)
            .arg(mode)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let mut server = SmtpServer {
            child,
            dir: dir.to_path_buf(),
            port: 0,
        };
        let start = Instant::now();
        loop {
            if let Ok(p) = std::fs::read_to_string(dir.join("port")) {
                server.port = p.trim().parse().unwrap();
                return server;
            }
            if let Some(st) = server.child.try_wait().unwrap() {
                panic!(
                    "aiosmtpd ended ({st}): {}",
                    std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
                );
            }
            assert!(start.elapsed() < Duration::from_secs(60), "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The messages received so far, in order.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                n.starts_with("msg") && n.ends_with(".json")
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The decoded text of a received message (quoted-printable soft breaks and
/// escapes undone).
pub fn text(msg: &serde_json::Value) -> String {
    let raw = msg["data"].as_str().unwrap().replace("\r\n", "\n");
    let mut out = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 1 < b.len() && b[i + 1] == b'\n' {
            i += 2;
        } else if b[i] == b'=' && i + 2 < b.len() && b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit() {
            out.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
