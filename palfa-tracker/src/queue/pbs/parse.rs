//! Reading what `qsub` and `qstat -f` print (Torque and OpenPBS).

use std::collections::BTreeMap;

/// One job of `qstat -f` (or `qstat -x -f`) output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PbsJob {
    /// The job id (`1234.server`).
    pub id: String,
    /// Its attributes, continuation lines joined.
    pub attrs: BTreeMap<String, String>,
}

impl PbsJob {
    /// An attribute's value, the name matched without regard to case
    /// (Torque writes `exit_status`, OpenPBS `Exit_status`).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Job_Name`.
    pub fn name(&self) -> Option<&str> {
        self.attr("Job_Name")
    }

    /// The user part of `Job_Owner` (`user@host`).
    pub fn owner(&self) -> Option<&str> {
        self.attr("Job_Owner").map(|o| o.split('@').next().unwrap_or(o))
    }

    /// `job_state`: one letter (Q, R, E, H, W, T, S, B, C, F, X, M).
    pub fn state(&self) -> Option<char> {
        self.attr("job_state").and_then(|s| s.trim().chars().next())
    }

    /// Whether the job has left the queue (Torque `C`ompleted, OpenPBS `F`inished, `X` subjob done).
    pub fn is_finished(&self) -> bool {
        matches!(self.state(), Some('C' | 'F' | 'X'))
    }

    /// Whether it is running (or exiting).
    pub fn is_running(&self) -> bool {
        matches!(self.state(), Some('R' | 'E' | 'B'))
    }

    /// The exit status the server recorded, if any.
    pub fn exit_status(&self) -> Option<i32> {
        self.attr("exit_status")?.trim().parse().ok()
    }
}

/// Parses `qstat -f` output: blocks starting `Job Id: <id>`, then indented
/// `name = value` lines; a line starting with a tab continues the previous value.
pub fn parse_qstat_full(text: &str) -> Vec<PbsJob> {
    let mut jobs: Vec<PbsJob> = Vec::new();
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix("Job Id:") {
            jobs.push(PbsJob {
                id: id.trim().to_string(),
                attrs: BTreeMap::new(),
            });
            last_key = None;
            continue;
        }
        let Some(job) = jobs.last_mut() else { continue };
        if line.starts_with('\t') {
            if let Some(k) = &last_key {
                if let Some(v) = job.attrs.get_mut(k) {
                    v.push_str(line.trim_start_matches('\t').trim_end());
                }
            }
            continue;
        }
        if let Some((k, v)) = line.trim().split_once(" = ") {
            let k = k.trim().to_string();
            job.attrs.insert(k.clone(), v.trim().to_string());
            last_key = Some(k);
        }
    }
    jobs
}

/// The job id `qsub` printed (`1234.server`, `1234[].server`).
pub fn parse_qsub_output(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let ok = line.chars().next()?.is_ascii_digit() && !line.contains(char::is_whitespace);
    ok.then(|| line.to_string())
}

/// Whether `qstat`/`qdel` said the job is unknown or already finished.
pub(crate) fn says_job_gone(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("unknown job id")
        || s.contains("job has finished")
        || s.contains("invalid for state of job")
        || s.contains("already in exit state")
}
