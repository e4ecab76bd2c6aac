//! The download part of `palfa status`: restore requests, transfers in
//! flight with their rates, and disk use against the budget. Read from the
//! tracker and the disk only, so it works from any process.

use std::fmt::Write as _;

use serde::Serialize;

use super::{part_path, DiskBudget, DownloadError, DownloadSettings};
use crate::clock;
use crate::db::{last_note, Tracker};
use crate::states::{AttemptStatus, RequestStatus};

/// A restore request, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestInfo {
    /// Row id.
    pub id: i64,
    /// The archive's GUID.
    pub guid: String,
    /// Status.
    pub status: RequestStatus,
    /// Files asked for.
    pub numrequested: Option<u32>,
    /// When it was made (UTC).
    pub created_at: String,
    /// Its last history note.
    pub note: String,
}

/// A transfer in flight, as seen from outside the downloader.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InFlight {
    /// The file.
    pub name: String,
    /// The attempt.
    pub attempt_id: i64,
    /// Listed size \[bytes\].
    pub size: u64,
    /// Bytes on disk in its `.part` file.
    pub received: u64,
    /// Seconds since the attempt began.
    pub elapsed_s: f64,
    /// Mean rate so far \[bytes/s\].
    pub rate: f64,
}

/// The download side of a survey.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DownloadStatus {
    /// Requests waiting, then the five newest others.
    pub requests: Vec<RequestInfo>,
    /// Transfers in flight.
    pub in_flight: Vec<InFlight>,
    /// The disk budget.
    pub budget: DiskBudget,
    /// Directory downloads go to.
    pub temp: String,
}

impl DownloadStatus {
    /// Gathers the report.
    pub fn gather(tracker: &Tracker, s: &DownloadSettings) -> Result<Self, DownloadError> {
        let all = tracker.requests()?;
        let info = |r: &crate::db::RequestRow| RequestInfo {
            id: r.id,
            guid: r.guid.clone(),
            status: r.status,
            numrequested: r.numrequested,
            created_at: r.created_at.clone(),
            note: last_note(&r.details).lines().next().unwrap_or("").to_string(),
        };
        let mut requests: Vec<RequestInfo> = all
            .iter()
            .filter(|r| r.status == RequestStatus::Waiting)
            .map(info)
            .collect();
        requests.extend(
            all.iter()
                .rev()
                .filter(|r| r.status != RequestStatus::Waiting)
                .take(5)
                .map(info),
        );
        let mut in_flight = Vec::new();
        for a in tracker.attempts_with_status(AttemptStatus::Downloading)? {
            let f = tracker.file(a.file_id)?;
            let received = std::fs::metadata(part_path(&f.filename)).map_or(0, |m| m.len());
            let elapsed_s = clock::age_s(&a.created_at);
            in_flight.push(InFlight {
                name: f.name,
                attempt_id: a.id,
                size: f.size.unwrap_or(0),
                received,
                elapsed_s,
                rate: if elapsed_s > 0.0 {
                    received as f64 / elapsed_s
                } else {
                    0.0
                },
            });
        }
        let left: u64 = in_flight.iter().map(|t| t.size.saturating_sub(t.received)).sum();
        let budget = DiskBudget::gather(
            tracker,
            &s.temp,
            s.space_to_use,
            s.min_free_space,
            s.file_size_estimate,
            left,
        )?;
        Ok(Self {
            requests,
            in_flight,
            budget,
            temp: s.temp.display().to_string(),
        })
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let b = &self.budget;
        let mut s = String::from("\ndownloads\n");
        let _ = writeln!(
            s,
            "  disk: {} used + {} reserved of {} (download.space_to_use)",
            bytes(b.used),
            bytes(b.reserved),
            bytes(b.space_to_use)
        );
        let _ = writeln!(
            s,
            "  {}: {} available, {} to keep free (download.min_free_space)",
            self.temp,
            b.fs_available.map_or("unknown".to_string(), bytes),
            bytes(b.min_free_space)
        );
        let _ = writeln!(s, "  requests (waiting, then newest):");
        if self.requests.is_empty() {
            let _ = writeln!(s, "    none");
        }
        for r in &self.requests {
            let _ = writeln!(
                s,
                "    #{:<4} {:<11} {:<38} {:>4} files  {}  {}",
                r.id,
                r.status.to_string(),
                r.guid,
                r.numrequested.unwrap_or(0),
                r.created_at,
                r.note
            );
        }
        let _ = writeln!(s, "  in flight: {}", self.in_flight.len());
        for t in &self.in_flight {
            let _ = writeln!(
                s,
                "    {:<40} {:>10} / {:<10} {:>10}/s  {:.0} s",
                t.name,
                bytes(t.received),
                bytes(t.size),
                bytes(t.rate as u64),
                t.elapsed_s
            );
        }
        s
    }
}

/// Bytes in binary units (`1.5 MiB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn byte_units() {
        assert_eq!(super::bytes(12), "12 B");
        assert_eq!(super::bytes(1536), "1.5 KiB");
        assert_eq!(super::bytes(10 << 30), "10.0 GiB");
    }
}
