//! The disk budget, as the original downloader kept it.
//!
//! - **used**: files on disk or being written: `downloaded`, `unverified`
//!   and `downloading` files, at their full listed size;
//! - **reserved**: files promised but not on disk: `new`, `failed` and
//!   `retrying` files, plus, for each `waiting` request, the files asked for
//!   times the size estimate;
//! - **free**: what the file system of `download.temp` has available, less
//!   what the transfers in flight still have to write.
//!
//! A request is made only while used + reserved < `space_to_use` and the
//! file system keeps `min_free_space` free after everything reserved
//! arrives; it asks for as many files as both allow (`files_per_restore` at
//! most). A download starts only if the file fits under `space_to_use` and
//! leaves `min_free_space` free.

use std::path::Path;

use serde::Serialize;

use crate::db::Tracker;
use crate::error::Result;
use crate::states::{FileStatus, RequestStatus};

/// The budget at one moment \[bytes\].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DiskBudget {
    /// Files on disk or being written.
    pub used: u64,
    /// Files promised but not yet written.
    pub reserved: u64,
    /// Bytes the transfers in flight still have to write.
    pub in_flight_left: u64,
    /// Available on the file system of `temp` now (`None`: could not be read).
    pub fs_available: Option<u64>,
    /// `download.space_to_use`.
    pub space_to_use: u64,
    /// `download.min_free_space`.
    pub min_free_space: u64,
    /// Size assumed per file not yet listed.
    pub file_estimate: u64,
}

impl DiskBudget {
    /// The budget of `tracker`'s files with the file system of `temp`.
    pub fn gather(
        tracker: &Tracker,
        temp: &Path,
        space_to_use: u64,
        min_free_space: u64,
        file_estimate: u64,
        in_flight_left: u64,
    ) -> Result<Self> {
        let mut used = 0u64;
        let mut reserved = 0u64;
        for (s, _, bytes) in tracker.file_sizes_by_status()? {
            match s {
                FileStatus::Downloaded | FileStatus::Unverified | FileStatus::Downloading => used += bytes,
                FileStatus::New | FileStatus::Failed | FileStatus::Retrying => reserved += bytes,
                FileStatus::TerminalFailure | FileStatus::Deleted => {}
            }
        }
        let estimate = tracker.mean_file_size()?.unwrap_or(file_estimate).max(1);
        for r in tracker.requests_with_status(RequestStatus::Waiting)? {
            reserved += u64::from(r.numrequested.unwrap_or(0)) * estimate;
        }
        Ok(Self {
            used,
            reserved,
            in_flight_left,
            fs_available: fs_available(temp),
            space_to_use,
            min_free_space,
            file_estimate: estimate,
        })
    }

    /// Free bytes on the file system once the transfers in flight end.
    fn free_after_flight(&self) -> u64 {
        self.fs_available
            .map_or(u64::MAX, |a| a.saturating_sub(self.in_flight_left))
    }

    /// How many files a new request may ask for (0: the budget is full).
    pub fn files_to_request(&self, files_per_restore: usize) -> u32 {
        let committed = self.used.saturating_add(self.reserved);
        if committed >= self.space_to_use {
            return 0;
        }
        let by_budget = (self.space_to_use - committed) / self.file_estimate;
        let free = self
            .free_after_flight()
            .saturating_sub(self.reserved)
            .saturating_sub(self.min_free_space);
        let by_disk = free / self.file_estimate;
        by_budget
            .min(by_disk)
            .min(files_per_restore as u64)
            .min(u32::MAX as u64) as u32
    }

    /// Whether a download of `size` bytes may start now.
    pub fn can_start(&self, size: u64) -> bool {
        self.used.saturating_add(size) <= self.space_to_use
            && self.free_after_flight().saturating_sub(size) >= self.min_free_space
            && self.free_after_flight() >= size
    }
}

/// Bytes available to this user on the file system holding `dir`.
pub fn fs_available(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::DiskBudget;

    fn b(used: u64, reserved: u64, avail: u64) -> DiskBudget {
        DiskBudget {
            used,
            reserved,
            in_flight_left: 0,
            fs_available: Some(avail),
            space_to_use: 100,
            min_free_space: 10,
            file_estimate: 10,
        }
    }

    #[test]
    fn requests_fit_the_budget_and_the_disk() {
        assert_eq!(b(0, 0, 1000).files_to_request(20), 10);
        assert_eq!(b(0, 0, 1000).files_to_request(3), 3);
        assert_eq!(b(50, 30, 1000).files_to_request(20), 2);
        assert_eq!(b(50, 50, 1000).files_to_request(20), 0);
        // the disk: 60 free, 10 kept free, 20 reserved -> 30 -> 3 files
        assert_eq!(b(0, 20, 60).files_to_request(20), 3);
        assert_eq!(b(0, 0, 15).files_to_request(20), 0);
    }

    #[test]
    fn downloads_fit() {
        assert!(b(80, 0, 1000).can_start(20));
        assert!(!b(81, 0, 1000).can_start(20));
        assert!(b(0, 0, 30).can_start(20));
        assert!(!b(0, 0, 29).can_start(20));
        let mut x = b(0, 0, 40);
        x.in_flight_left = 15;
        assert!(!x.can_start(20));
    }
}
