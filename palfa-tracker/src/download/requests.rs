//! Steps 2 and 3 of the downloader: restore requests (asked for, followed,
//! listed when ready, failed when late) and the files they bring.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::{DownloadError, DownloadReport, Downloader, PENDING_GUID_PREFIX};
use crate::archive::{shown, RestoreState};
use crate::clock;
use crate::db::{last_note, FileOrigin, NewFile, RequestRow};
use crate::states::{FileStatus, RequestStatus};

impl Downloader {
    pub(super) fn check_requests(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        for req in self.tracker.requests_with_status(RequestStatus::Waiting)? {
            if req.guid.starts_with(PENDING_GUID_PREFIX) {
                let note = "the downloader stopped while asking the archive for this restore; its answer is lost";
                self.fail_request(req.id, note)?;
                r.request_failed += 1;
                continue;
            }
            let age = Duration::from_secs_f64(clock::age_s(&req.created_at));
            if age > self.settings.request_timeout {
                let note = format!(
                    "not done after {:.2} h (download.request_timeout_hours = {:.2})",
                    age.as_secs_f64() / 3600.0,
                    self.settings.request_timeout.as_secs_f64() / 3600.0
                );
                self.fail_request(req.id, &note)?;
                tracing::warn!(guid = %req.guid, "restore failed: {note}");
                r.timed_out += 1;
                continue;
            }
            match self.archive.location(&req.guid) {
                Ok(RestoreState::Done) => match self.archive.list(&req.guid) {
                    Ok(listing) => self.record_listing(&req, listing, r)?,
                    Err(e) => self.note_request_once(&req, &format!("listing the restore failed: {e}"))?,
                },
                Ok(RestoreState::NotYet(s)) => {
                    tracing::debug!(guid = %req.guid, answer = %s, "restore not ready");
                    let note = format!("not ready yet: the archive says {:?}", shown_answer(&s));
                    if last_note(&req.details) != note {
                        self.tracker.transaction(|t| t.note::<RequestStatus>(req.id, &note))?;
                    }
                }
                Err(e) => self.note_request_once(&req, &format!("asking whether the restore is ready failed: {e}"))?,
            }
        }
        Ok(())
    }

    /// Finished requests whose files are all dealt with become `cleaned_up`.
    pub(super) fn clean_up_requests(&self) -> Result<(), DownloadError> {
        for req in self.tracker.requests_with_status(RequestStatus::Finished)? {
            let files = self.tracker.files_of_request(req.id)?;
            let open = files.iter().any(|f| {
                !matches!(
                    f.status,
                    FileStatus::Downloaded | FileStatus::TerminalFailure | FileStatus::Deleted
                )
            });
            if !open {
                let n_ok = files.iter().filter(|f| f.status != FileStatus::TerminalFailure).count();
                let note = format!("every file dealt with: {n_ok} of {} downloaded", files.len());
                self.tracker.transaction(|t| {
                    t.set_status_from(req.id, RequestStatus::Finished, RequestStatus::CleanedUp, &note)
                })?;
            }
        }
        Ok(())
    }

    pub(super) fn fail_request(&self, id: i64, note: &str) -> Result<(), DownloadError> {
        self.tracker
            .transaction(|t| t.set_status_from(id, RequestStatus::Waiting, RequestStatus::Failed, note))?;
        Ok(())
    }

    /// Adds a note to a request's history unless it is already its last one.
    pub(super) fn note_request_once(&self, req: &RequestRow, note: &str) -> Result<(), DownloadError> {
        tracing::warn!(guid = %req.guid, "{note}");
        if last_note(&req.details) != note {
            self.tracker.transaction(|t| t.note::<RequestStatus>(req.id, note))?;
        }
        Ok(())
    }

    pub(super) fn record_listing(
        &self,
        req: &RequestRow,
        listing: crate::archive::Listing,
        r: &mut DownloadReport,
    ) -> Result<(), DownloadError> {
        let temp = &self.settings.temp;
        let total: u64 = listing.files.iter().map(|f| f.size).sum();
        let note = format!(
            "ready: {} files, {total} bytes listed{}",
            listing.files.len(),
            if listing.refused.is_empty() {
                String::new()
            } else {
                format!(", {} names refused", listing.refused.len())
            }
        );
        let (listed, refused) = self.tracker.transaction(|t| {
            if !t.set_status_from(req.id, RequestStatus::Waiting, RequestStatus::Finished, &note)? {
                return Ok((0, 0));
            }
            t.set_request_size(req.id, total)?;
            let mut listed = 0;
            for f in &listing.files {
                let nf = NewFile {
                    filename: temp.join(&f.name),
                    remote_filename: Some(format!("{}/{}", req.guid, f.name)),
                    request_id: Some(req.id),
                    size: Some(f.size),
                    origin: FileOrigin::Download,
                    status: FileStatus::New,
                };
                let why = format!("listed in restore {} ({} bytes)", req.guid, f.size);
                match t.insert_file(&nf, &why)? {
                    Some(_) => listed += 1,
                    None => {
                        t.note::<RequestStatus>(req.id, &format!("{} is already tracked: not tracked twice", f.name))?
                    }
                }
            }
            for (i, (raw, bad)) in listing.refused.iter().enumerate() {
                // Never a path built from the refused name: a placeholder that is never written.
                let nf = NewFile {
                    filename: temp.join(format!(".refused-{}-{i}", req.id)),
                    remote_filename: Some(format!("{}/{}", req.guid, shown(raw))),
                    request_id: Some(req.id),
                    size: None,
                    origin: FileOrigin::Download,
                    status: FileStatus::New,
                };
                if let Some(id) = t.insert_file(&nf, &format!("listed in restore {}", req.guid))? {
                    t.set_status_from(id, FileStatus::New, FileStatus::TerminalFailure, bad)?;
                }
            }
            Ok((listed, listing.refused.len()))
        })?;
        if listed + refused > 0 {
            r.ready += 1;
            tracing::info!(guid = %req.guid, files = listed, refused, bytes = total, "restore ready");
        }
        r.files_listed += listed;
        r.names_refused += refused;
        Ok(())
    }

    pub(super) fn make_request(&mut self, r: &mut DownloadReport) -> Result<(), DownloadError> {
        let waiting = self.tracker.requests_with_status(RequestStatus::Waiting)?.len();
        if waiting >= self.settings.numrestores || Instant::now() < self.next_request {
            return Ok(());
        }
        let n = self.budget()?.files_to_request(self.settings.files_per_restore);
        if n == 0 {
            r.budget_full = true;
            tracing::debug!("disk budget full: no restore request");
            return Ok(());
        }
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let placeholder = format!(
            "{PENDING_GUID_PREFIX}{}-{nanos}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let s = &self.settings;
        let id = self.tracker.transaction(|t| {
            t.insert_request(
                &placeholder,
                s.numbits,
                n,
                &s.file_type,
                &format!("asking {} for {n} files", self.archive.describe()),
            )
        })?;
        match self.archive.restore(n) {
            Ok(guid) => {
                if let Some(other) = self.tracker.request_by_guid(&guid)? {
                    let note = format!(
                        "the archive answered GUID {guid}, which request #{} already has: not a second request",
                        other.id
                    );
                    tracing::error!("{note}");
                    self.fail_request(id, &note)?;
                    r.request_failed += 1;
                    self.next_request = Instant::now() + self.settings.request_backoff;
                } else {
                    self.tracker.transaction(|t| {
                        t.set_request_guid(id, &guid)?;
                        t.note::<RequestStatus>(id, &format!("the archive answered GUID {guid}"))
                    })?;
                    tracing::info!(guid = %guid, files = n, "restore requested");
                    r.requested += 1;
                }
            }
            Err(e) => {
                let note = format!("restore request failed: {e}");
                tracing::warn!("{note}");
                self.fail_request(id, &note)?;
                r.request_failed += 1;
                self.next_request = Instant::now() + self.settings.request_backoff;
            }
        }
        Ok(())
    }
}

/// A service's answer as it may be recorded: at most 100 characters.
fn shown_answer(s: &str) -> String {
    s.chars().take(100).collect()
}
