//! Step 2: one job per beam from downloaded files that are in no job.

use std::collections::BTreeMap;
use std::path::Path;

use palfa_core::formats::mock::MockName;

use super::{IterationReport, JobPool};
use crate::clock;
use crate::db::FileRow;
use crate::error::Result;

/// Files that make one beam.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BeamPlan {
    /// The beam's name (a Mock pair's merged name, or the file's name).
    pub name: String,
    /// Its files (for a Mock pair: s0, then s1).
    pub file_ids: Vec<i64>,
}

/// Groups files into beams: every Mock s0/s1 pair is one beam, every other
/// file is one beam on its own, and Mock halves without their partner are
/// returned apart (they wait).
pub(crate) fn plan_beams(files: &[FileRow]) -> (Vec<BeamPlan>, Vec<&FileRow>) {
    let mut beams = Vec::new();
    let mut halves: BTreeMap<(String, u32, String), [Option<&FileRow>; 2]> = BTreeMap::new();
    for f in files {
        match MockName::parse(Path::new(&f.name)) {
            Some(m) => {
                let slot = &mut halves.entry((m.prefix, m.beam, m.suffix)).or_default()[m.subband as usize];
                // The oldest row wins if a half is tracked twice.
                if slot.is_none() {
                    *slot = Some(f);
                }
            }
            None => beams.push(BeamPlan {
                name: f.name.clone(),
                file_ids: vec![f.id],
            }),
        }
    }
    let mut lone = Vec::new();
    for ((prefix, beam, suffix), pair) in halves {
        match pair {
            [Some(s0), Some(s1)] => {
                let m = MockName {
                    prefix,
                    beam,
                    subband: 0,
                    suffix,
                };
                beams.push(BeamPlan {
                    name: m.merged_name(),
                    file_ids: vec![s0.id, s1.id],
                });
            }
            [Some(f), None] | [None, Some(f)] => lone.push(f),
            [None, None] => {}
        }
    }
    beams.sort_by_key(|b| b.file_ids.iter().min().copied());
    (beams, lone)
}

impl JobPool {
    pub(super) fn create_jobs(&mut self, r: &mut IterationReport) -> Result<()> {
        let wait_s = self.settings.lone_file_wait_s;
        let mut to_report: Vec<FileRow> = Vec::new();
        let created = self.tracker.transaction(|t| {
            to_report.clear();
            // Read inside the write lock, so the plan cannot go stale.
            let files = t.files_without_job()?;
            let (beams, lone) = plan_beams(&files);
            for b in &beams {
                let names: Vec<&str> = b
                    .file_ids
                    .iter()
                    .filter_map(|id| files.iter().find(|f| f.id == *id).map(|f| f.name.as_str()))
                    .collect();
                t.insert_job(
                    &b.name,
                    &b.file_ids,
                    &format!("beam {} from {}", b.name, names.join(" + ")),
                )?;
            }
            for f in lone {
                let since = f.downloaded_at.as_deref().unwrap_or(&f.created_at);
                if f.lone_reported_at.is_none() && clock::age_s(since) >= wait_s {
                    let note = format!(
                        "Mock half without its partner {} after {:.0} s; it waits for it",
                        MockName::parse(Path::new(&f.name))
                            .map(|m| m.partner())
                            .unwrap_or_default(),
                        clock::age_s(since)
                    );
                    t.mark_lone_reported(f.id, &note)?;
                    to_report.push(f.clone());
                }
            }
            Ok(beams.len())
        })?;
        r.created += created;
        for f in &to_report {
            r.lone_reported += 1;
            self.notifier.notice(
                "lone Mock file",
                &format!(
                    "{} has waited more than {wait_s} s for its partner {}",
                    f.filename.display(),
                    MockName::parse(Path::new(&f.name))
                        .map(|m| m.partner())
                        .unwrap_or_default()
                ),
            );
        }
        if created > 0 {
            tracing::info!(created, "made jobs");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::FileOrigin;
    use crate::states::FileStatus;

    fn row(id: i64, name: &str) -> FileRow {
        FileRow {
            id,
            filename: format!("/d/{name}").into(),
            name: name.into(),
            remote_filename: None,
            request_id: None,
            size: None,
            origin: FileOrigin::Added,
            status: FileStatus::Downloaded,
            details: String::new(),
            created_at: clock::now(),
            updated_at: clock::now(),
            downloaded_at: None,
            lone_reported_at: None,
        }
    }

    #[test]
    fn pairs_mock_halves_and_keeps_other_files_alone() {
        let files = vec![
            row(1, "4bit-p2030.20260101.G45.07+00.11.b3s1g0.00100.fits"),
            row(2, "beam.fil"),
            row(3, "4bit-p2030.20260101.G45.07+00.11.b3s0g0.00100.fits"),
            row(4, "4bit-p2030.20260101.G45.07+00.11.b4s0g0.00100.fits"),
        ];
        let (beams, lone) = plan_beams(&files);
        assert_eq!(beams.len(), 2);
        assert_eq!(beams[0].name, "p2030.20260101.G45.07+00.11.b3.00100.fits");
        assert_eq!(beams[0].file_ids, vec![3, 1]);
        assert_eq!(beams[1].file_ids, vec![2]);
        assert_eq!(lone.len(), 1);
        assert_eq!(lone[0].id, 4);
    }
}
