//! Hand-made servers for faults a real server cannot be made to show: an
//! FTP server whose files drop, stall, come short or have hostile names,
//! and a restore service that answers what the test says.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the FTP stub sends one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Send {
    /// All of it, then `226`.
    Normal,
    /// Half of it, then both connections are closed (no reply).
    Drop,
    /// Half of it on the first `RETR`, all of it afterwards.
    DropOnce,
    /// Half of it, then nothing for a minute, connections held open.
    Stall,
    /// Half of it then a stall on the first `RETR`, all of it afterwards.
    StallOnce,
    /// Listed, but `SIZE` and `RETR` answer `550` (as for a directory).
    NoSize,
    /// Everything but its last 100 bytes, then `226` (shorter than `SIZE` says).
    Short,
}

/// A file the FTP stub lists.
#[derive(Debug, Clone)]
pub struct StubFile {
    /// The name as listed (may be hostile).
    pub name: String,
    /// Its content.
    pub data: Vec<u8>,
    /// How it is sent.
    pub send: Send,
}

/// The FTP stub: one directory `dir` holding `files`; user `user`, password `password`.
pub struct FtpStub {
    pub addr: SocketAddr,
    /// Every command received (PASS shown as `PASS ***`).
    pub log: Arc<Mutex<Vec<String>>>,
}

impl FtpStub {
    pub fn start(dir: &str, files: Vec<StubFile>, user: &str, password: &str) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new((
            dir.to_string(),
            files,
            user.to_string(),
            password.to_string(),
            Mutex::new(HashMap::<String, usize>::new()),
        ));
        let log2 = Arc::clone(&log);
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(c) = c else { continue };
                let (state, log) = (Arc::clone(&state), Arc::clone(&log2));
                std::thread::spawn(move || {
                    let _ = session(c, &state, &log);
                });
            }
        });
        Self { addr, log }
    }

    pub fn commands(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

type State = (String, Vec<StubFile>, String, String, Mutex<HashMap<String, usize>>);

fn session(c: TcpStream, st: &State, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let (dir, files, user, password, retrs) = st;
    let mut w = c.try_clone()?;
    let mut r = BufReader::new(c);
    w.write_all(b"220 stub FTP\r\n")?;
    let mut pasv: Option<TcpListener> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let l = line.trim_end();
        let (cmd, arg) = l.split_once(' ').unwrap_or((l, ""));
        let cmd = cmd.to_ascii_uppercase();
        log.lock().unwrap().push(if cmd == "PASS" {
            "PASS ***".into()
        } else {
            l.to_string()
        });
        let file = |path: &str| {
            let name = path.strip_prefix(&format!("{dir}/"))?;
            files.iter().find(|f| f.name == name)
        };
        match cmd.as_str() {
            "USER" => w.write_all(b"331 password please\r\n")?,
            "PASS" => {
                if arg == password && !user.is_empty() {
                    w.write_all(b"230 logged in\r\n")?
                } else {
                    w.write_all(b"530 wrong password\r\n")?
                }
            }
            "TYPE" => w.write_all(b"200 type set\r\n")?,
            "PASV" => {
                let d = TcpListener::bind("127.0.0.1:0")?;
                let p = d.local_addr()?.port();
                pasv = Some(d);
                w.write_all(format!("227 Entering Passive Mode (127,0,0,1,{},{})\r\n", p >> 8, p & 255).as_bytes())?;
            }
            "NLST" => {
                let Some(d) = pasv.take() else {
                    w.write_all(b"425 PASV first\r\n")?;
                    continue;
                };
                if arg != dir.as_str() {
                    w.write_all(b"550 no such directory\r\n")?;
                    continue;
                }
                w.write_all(b"150 listing\r\n")?;
                let (mut data, _) = d.accept()?;
                for f in files {
                    data.write_all(f.name.as_bytes())?;
                    data.write_all(b"\r\n")?;
                }
                drop(data);
                w.write_all(b"226 done\r\n")?;
            }
            "SIZE" => match file(arg).filter(|f| f.send != Send::NoSize) {
                Some(f) => w.write_all(format!("213 {}\r\n", f.data.len()).as_bytes())?,
                None => w.write_all(b"550 no such file\r\n")?,
            },
            "RETR" => {
                let Some(f) = file(arg).filter(|f| f.send != Send::NoSize) else {
                    w.write_all(b"550 no such file\r\n")?;
                    continue;
                };
                let Some(d) = pasv.take() else {
                    w.write_all(b"425 PASV first\r\n")?;
                    continue;
                };
                let n = {
                    let mut m = retrs.lock().unwrap();
                    let n = m.entry(f.name.clone()).or_insert(0);
                    *n += 1;
                    *n
                };
                w.write_all(b"150 sending\r\n")?;
                let (mut data, _) = d.accept()?;
                let half = f.data.len() / 2;
                match (f.send, n) {
                    (Send::Normal, _) | (Send::DropOnce, 2..) | (Send::StallOnce, 2..) => {
                        data.write_all(&f.data)?;
                        drop(data);
                        w.write_all(b"226 sent\r\n")?;
                    }
                    (Send::NoSize, _) => unreachable!("filtered above"),
                    (Send::Short, _) => {
                        data.write_all(&f.data[..f.data.len().saturating_sub(100)])?;
                        drop(data);
                        w.write_all(b"226 sent\r\n")?;
                    }
                    (Send::Drop, _) | (Send::DropOnce, _) => {
                        data.write_all(&f.data[..half])?;
                        let _ = data.shutdown(std::net::Shutdown::Both);
                        let _ = w.shutdown(std::net::Shutdown::Both);
                        return Ok(());
                    }
                    (Send::Stall, _) | (Send::StallOnce, _) => {
                        data.write_all(&f.data[..half])?;
                        std::thread::sleep(Duration::from_secs(60));
                        return Ok(());
                    }
                }
            }
            "QUIT" => {
                w.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            _ => w.write_all(b"502 not implemented\r\n")?,
        }
    }
}

/// What the restore-service stub answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `200` with the XML `<string>` document holding this value.
    Xml(String),
    /// This HTTP status, empty body.
    Status(u16),
    /// `200` with this body as it is.
    Raw(String),
}

/// The restore-service stub: answers `Restore` and `Location` from queues
/// (the last answer of a queue repeats).
pub struct HttpStub {
    pub addr: SocketAddr,
    pub restore: Arc<Mutex<Vec<Answer>>>,
    pub location: Arc<Mutex<Vec<Answer>>>,
    /// Request lines received.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl HttpStub {
    pub fn start(restore: Vec<Answer>, location: Vec<Answer>) -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let restore = Arc::new(Mutex::new(restore));
        let location = Arc::new(Mutex::new(location));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (r2, l2, log2) = (Arc::clone(&restore), Arc::clone(&location), Arc::clone(&log));
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(mut c) = c else { continue };
                let mut buf = Vec::new();
                let mut b = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match c.read(&mut b) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&b[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&buf).to_string();
                let first = req.lines().next().unwrap_or("").to_string();
                log2.lock().unwrap().push(first.clone());
                let path = first.split(' ').nth(1).unwrap_or("");
                let queue = if path.contains("/Restore?") { &r2 } else { &l2 };
                let answer = {
                    let mut q = queue.lock().unwrap();
                    if q.len() > 1 {
                        q.remove(0)
                    } else {
                        q.first().cloned().unwrap_or(Answer::Status(404))
                    }
                };
                let (code, body) = match answer {
                    Answer::Xml(v) => (
                        200,
                        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<string xmlns=\"http://tempuri.org/\">{v}</string>"),
                    ),
                    Answer::Status(s) => (s, String::new()),
                    Answer::Raw(b) => (200, b),
                };
                let _ = c.write_all(
                    format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Self {
            addr,
            restore,
            location,
            log,
        }
    }

    pub fn set_restore(&self, a: Vec<Answer>) {
        *self.restore.lock().unwrap() = a;
    }

    pub fn set_location(&self, a: Vec<Answer>) {
        *self.location.lock().unwrap() = a;
    }
}

/// `n` bytes of a recognisable pattern.
pub fn content(seed: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}
