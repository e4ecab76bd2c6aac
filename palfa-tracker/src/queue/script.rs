//! The job script every backend runs, and the files it leaves in the
//! submission's directory:
//!
//! | file      | written by | holds |
//! |-----------|------------|-------|
//! | `job.sh`  | palfa, before submitting (written whole, then renamed into place) | the script |
//! | `jobid`   | the script, when it starts (Slurm, PBS) | the queue's job id |
//! | `started/`| the script (local) | claim: only one copy of the script runs the worker |
//! | `pid`     | the script (local) | the script's process id |
//! | `stdout`, `stderr` | the worker | its output |
//! | `exit`    | the script, when the worker ends | the worker's exit status |
//! | `deleted` | palfa, when the job is removed from the queue | why |

use std::io::Write;
use std::path::{Path, PathBuf};

use super::QueueError;
use crate::db::MAX_NOTE_BYTES;

/// What a job script does besides running the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// Local: claim the directory, record the pid.
    Local,
    /// A batch queue: record the job id from this variable.
    Batch(&'static str),
}

/// Quotes a word for `sh`.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The script for one submission.
pub(crate) fn render(dir: &Path, token: &str, flavour: Flavour, argv: &[String], env: &[(String, String)]) -> String {
    let mut s = String::from("#!/bin/sh\n");
    s.push_str(&format!(
        "# palfa job {token}: written by palfa; runs the worker once and records how it ended.\n"
    ));
    s.push_str(&format!("d={}\n", sh_quote(&dir.to_string_lossy())));
    match flavour {
        Flavour::Local => {
            s.push_str("mkdir \"$d/started\" 2>/dev/null || exit 0\n");
            s.push_str("[ -e \"$d/deleted\" ] && exit 0\n");
            s.push_str("echo $$ > \"$d/pid.tmp\" && mv -f \"$d/pid.tmp\" \"$d/pid\"\n");
        }
        Flavour::Batch(var) => {
            s.push_str(&format!("echo \"${{{var}:-}}\" > \"$d/jobid\"\n"));
        }
    }
    s.push_str("cd \"$d\" || exit 1\n");
    for (k, v) in env {
        s.push_str(&format!("{k}={}; export {k}\n", sh_quote(v)));
    }
    let words: Vec<String> = argv.iter().map(|a| sh_quote(a)).collect();
    s.push_str(&words.join(" "));
    s.push_str(" >\"$d/stdout\" 2>\"$d/stderr\" </dev/null\n");
    s.push_str("code=$?\n");
    s.push_str("echo \"$code\" > \"$d/exit.tmp\" && mv -f \"$d/exit.tmp\" \"$d/exit\"\n");
    s.push_str("exit \"$code\"\n");
    s
}

/// Writes `job.sh` into `dir` (made here; it must not exist): written whole,
/// then renamed into place, so `job.sh` exists only complete.
pub(crate) fn write_job_dir(dir: &Path, token: &str, script: &str) -> Result<(), QueueError> {
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(QueueError::DuplicateToken(token.to_string()))
        }
        Err(e) => return Err(QueueError::io(dir, e)),
    }
    let tmp = dir.join("job.sh.tmp");
    let io = |e| QueueError::io(&tmp, e);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(script.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    set_executable(&tmp)?;
    std::fs::rename(&tmp, dir.join("job.sh")).map_err(|e| QueueError::io(dir.join("job.sh"), e))
}

#[cfg(unix)]
fn set_executable(p: &Path) -> Result<(), QueueError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).map_err(|e| QueueError::io(p, e))
}

#[cfg(not(unix))]
fn set_executable(_p: &Path) -> Result<(), QueueError> {
    Ok(())
}

/// A submission's directory, read back.
#[derive(Debug, Clone)]
pub(crate) struct JobDir {
    pub dir: PathBuf,
}

impl JobDir {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// Whether the script was written (the submission's commit point).
    pub fn has_script(&self) -> bool {
        self.dir.join("job.sh").is_file()
    }

    /// The worker's exit status: `Some(Ok(code))`, `Some(Err(text))` if the file
    /// holds something else, `None` if the worker has not ended (or was killed
    /// with its script).
    pub fn exit(&self) -> Option<Result<i32, String>> {
        let text = std::fs::read_to_string(self.dir.join("exit")).ok()?;
        let t = text.trim();
        Some(t.parse::<i32>().map_err(|_| t.to_string()))
    }

    /// Why the job was removed from the queue, if it was.
    pub fn deleted(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("deleted")).ok()
    }

    /// Marks the job as removed.
    pub fn mark_deleted(&self, why: &str) -> Result<(), QueueError> {
        let p = self.dir.join("deleted");
        std::fs::write(&p, why).map_err(|e| QueueError::io(p, e))
    }

    /// The queue id the script recorded when it started.
    pub fn recorded_jobid(&self) -> Option<String> {
        let s = std::fs::read_to_string(self.dir.join("jobid")).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// Whether the job ended well: exit status 0 and not removed.
    pub fn succeeded(&self) -> bool {
        self.deleted().is_none() && matches!(self.exit(), Some(Ok(0)))
    }

    /// The error report of a finished job: how it ended, then the end of each
    /// named log that is not empty. `extra` adds what the queue says.
    pub fn error_report(&self, logs: &[&str], extra: &[String]) -> String {
        let mut s = match (self.deleted(), self.exit()) {
            (Some(why), _) => format!("removed from the queue: {}", why.trim()),
            (None, Some(Ok(code))) => format!("the worker exited with status {code}"),
            (None, Some(Err(text))) => format!("the worker's exit record is unreadable: {text:?}"),
            (None, None) => "the job ended without recording an exit status (killed, timed out or lost)".to_string(),
        };
        for e in extra.iter().filter(|e| !e.trim().is_empty()) {
            s.push('\n');
            s.push_str(e.trim_end());
        }
        let budget = MAX_NOTE_BYTES / 2 / logs.len().max(1);
        for name in logs {
            let text = tail_of(&self.dir.join(name), budget);
            if !text.trim().is_empty() {
                s.push_str(&format!(
                    "\n--- {} ---\n{}",
                    self.dir.join(name).display(),
                    text.trim_end()
                ));
            }
        }
        s
    }
}

/// The last `max` bytes of a file (lossy UTF-8); empty if it cannot be read.
pub(crate) fn tail_of(path: &Path, max: usize) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(max as u64);
    if f.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut buf = Vec::new();
    let _ = f.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    if start > 0 {
        format!("[… {start} bytes before …]\n{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_shell() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("palfa_1_1_x");
        let argv = vec![
            "sh".to_string(),
            "-c".to_string(),
            "echo \"$1\" \"it's\"; echo to-err >&2; exit 4".to_string(),
            "arg0".to_string(),
            "a b'c".to_string(),
        ];
        let env = vec![("PALFA_X".to_string(), "v'1".to_string())];
        let script = render(&d, "palfa_1_1_x", Flavour::Batch("NO_SUCH_VAR"), &argv, &env);
        write_job_dir(&d, "palfa_1_1_x", &script).unwrap();
        assert!(matches!(
            write_job_dir(&d, "palfa_1_1_x", &script),
            Err(QueueError::DuplicateToken(_))
        ));
        let st = std::process::Command::new("sh").arg(d.join("job.sh")).status().unwrap();
        assert_eq!(st.code(), Some(4));
        let jd = JobDir::new(d.clone());
        assert_eq!(jd.exit(), Some(Ok(4)));
        assert_eq!(std::fs::read_to_string(d.join("stdout")).unwrap(), "a b'c it's\n");
        let report = jd.error_report(&["stderr"], &[]);
        assert!(report.contains("status 4") && report.contains("to-err"), "{report}");
        assert!(!jd.succeeded());
        assert_eq!(jd.recorded_jobid(), None);
    }
}
