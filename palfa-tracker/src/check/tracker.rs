//! `tracker`: the job-tracker database opens, has the current schema, can be
//! written, and sits on a local file system (SQLite's WAL mode is unsafe on
//! NFS and other network file systems).

use std::path::Path;

use palfa_core::config::Config;

use super::{probe_writable, Verdict};
use crate::db::{Tracker, SCHEMA_VERSION};

const KEY: &str = "background.jobtracker_db";

pub(crate) fn check(cfg: &Config) -> Verdict {
    let path = &cfg.background.jobtracker_db;
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => std::path::PathBuf::from("."),
    };
    if !path.exists() {
        return Verdict::fail(
            format!("the job-tracker database {} does not exist", path.display()),
            format!("palfa db create (or set {KEY})"),
        );
    }
    let mut details = vec![format!("{}", path.display())];
    match network_fs(&dir) {
        Ok(Some(kind)) => {
            return Verdict::fail(
                format!(
                    "{} is on a network file system ({kind}): SQLite's WAL mode is unsafe there and the \
                     database can be corrupted",
                    dir.display()
                ),
                format!("set {KEY} to a file on a local disk of the machine that runs the daemons"),
            )
        }
        Ok(None) => details.push(format!("{} is on a local file system", dir.display())),
        Err(note) if cfg!(target_os = "linux") => return Verdict::fail(note, format!("check {KEY}")),
        Err(note) => details.push(note),
    }
    if let Err(why) = probe_writable(&dir) {
        return Verdict::fail(
            format!(
                "the tracker's directory is not writable ({why}): SQLite needs to make its -wal and -shm files there"
            ),
            format!("make {} writable by this user, or set {KEY} elsewhere", dir.display()),
        );
    }
    if rustix::fs::access(path.as_path(), rustix::fs::Access::WRITE_OK).is_err() {
        return Verdict::fail(
            format!("{} is not writable by this user", path.display()),
            format!("chmod u+w {} (or run the daemons as its owner)", path.display()),
        );
    }
    let t = match Tracker::open_any_version(path) {
        Ok(t) => t,
        Err(e) => {
            return Verdict::fail(
                format!("the job-tracker database cannot be opened: {e}"),
                format!("check {KEY}: it must be a palfa job-tracker database (palfa db create makes one)"),
            )
        }
    };
    match t.schema_version() {
        Ok(v) if v == SCHEMA_VERSION => details.push(format!("schema version {v} (current)")),
        Ok(v) if v < SCHEMA_VERSION => {
            return Verdict::fail(
                format!("the tracker's schema is version {v}, this palfa needs {SCHEMA_VERSION}"),
                "palfa db migrate",
            )
        }
        Ok(v) => {
            return Verdict::fail(
                format!("the tracker's schema is version {v}, newer than this palfa knows ({SCHEMA_VERSION})"),
                "run the palfa that made it (palfa check install names this one's version)",
            )
        }
        Err(e) => {
            return Verdict::fail(
                format!("cannot read the tracker's schema version: {e}"),
                format!("check {KEY}"),
            )
        }
    }
    // A write transaction that changes nothing: takes and releases the write lock.
    if let Err(e) = t.transaction(|_| Ok(())) {
        return Verdict::fail(
            format!("the job-tracker database cannot be written: {e}"),
            format!(
                "make {} and its directory writable, and stop whatever holds its lock",
                path.display()
            ),
        );
    }
    details.push("a write transaction went through".into());
    details.insert(
        0,
        format!("{}: schema current, writable, on a local file system", path.display()),
    );
    Verdict::Pass(details)
}

/// The name of the network file system `dir` is on, `None` for a local one,
/// or a note when it cannot be told.
#[cfg(target_os = "linux")]
pub(crate) fn network_fs(dir: &Path) -> Result<Option<&'static str>, String> {
    let s = rustix::fs::statfs(dir).map_err(|e| format!("cannot tell the file system of {}: {e}", dir.display()))?;
    // f_type is signed on some targets: compare its low 32 bits.
    let magic = (s.f_type as u64) & 0xffff_ffff;
    Ok(match magic {
        0x6969 => Some("NFS"),
        0x517b => Some("SMB"),
        0xff53_4d42 => Some("CIFS"),
        0xfe53_4d42 => Some("SMB2"),
        0x5346_414f => Some("AFS"),
        0x00c3_6400 => Some("CephFS"),
        0x0bd0_0bd0 => Some("Lustre"),
        0x4750_4653 => Some("GPFS"),
        0x0102_1997 => Some("9P"),
        0x7375_7245 => Some("Coda"),
        0x564c => Some("NCP"),
        0x6573_5546 => Some("FUSE (sshfs and other network file systems use it)"),
        _ => None,
    })
}

/// Elsewhere than Linux the file system cannot be told.
#[cfg(not(target_os = "linux"))]
pub(crate) fn network_fs(dir: &Path) -> Result<Option<&'static str>, String> {
    Err(format!(
        "cannot tell whether {} is on a network file system on this OS: make sure it is local",
        dir.display()
    ))
}
