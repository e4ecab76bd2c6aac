//! The files of an rfifind run, named as PRESTO names them so that the
//! pipeline's `*rfifind.[bimors]*` glob collects them:
//!
//! | file | contents |
//! |---|---|
//! | `<base>_rfifind.mask` | the mask, PRESTO's layout ([`RfiMask`](palfa_core::formats::presto::RfiMask)) |
//! | `<base>_rfifind.stats` | PRESTO's binary statistics: i32 numchan, numint, ptsperint, lobin, numbetween (2); then f32 `[numint][numchan]` arrays of peak power, mean and standard deviation (PRESTO's `determine_padvals` reads it for padding values) |
//! | `<base>_rfifind.bytemask` | one byte per cell, `[numint][numchan]`, PRESTO's bits ([`bits`](super::bits)) |
//! | `<base>_rfifind.inf` | the beam's metadata as a PRESTO `.inf` |
//! | `<base>_rfifind.stats.json` | palfa's summary: masked, clipped and combined fractions, thresholds, effective clip level and guard, parameters, zapped channels and intervals, the clipped spectra as `[start, end)` pairs ([`read_clipped_spectra`] reads them back), intervals with clipped spectra or dispersed events, per-channel summaries |
//!
//! All binary files are little-endian.

use std::path::{Path, PathBuf};

use palfa_core::{FormatError, FormatErrorKind};
use serde::{Deserialize, Serialize};

use super::{CellStats, ChannelSummary, RfiResult, Thresholds, CLIP_GUARD, LOBIN};
use crate::error::{SearchError, SearchResult};
use crate::series::TimeSeries;

/// PRESTO's `RFI_NUMBETWEEN`, recorded in the `.stats` header.
const NUMBETWEEN: i32 = 2;

/// The paths [`RfiResult::write_files`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfiFiles {
    /// `<base>_rfifind.mask`.
    pub mask: PathBuf,
    /// `<base>_rfifind.stats`.
    pub stats: PathBuf,
    /// `<base>_rfifind.bytemask`.
    pub bytemask: PathBuf,
    /// `<base>_rfifind.inf`.
    pub inf: PathBuf,
    /// `<base>_rfifind.stats.json`.
    pub json: PathBuf,
}

impl RfiFiles {
    /// The names for `basename` in `dir`.
    pub fn new(dir: &Path, basename: &str) -> Self {
        let f = |suffix: &str| dir.join(format!("{basename}_rfifind.{suffix}"));
        Self {
            mask: f("mask"),
            stats: f("stats"),
            bytemask: f("bytemask"),
            inf: f("inf"),
            json: f("stats.json"),
        }
    }
}

#[derive(Serialize)]
struct ParamsJson<'a> {
    chunk_time_s: f64,
    timesig: f64,
    freqsig: f64,
    chanfrac: f64,
    intfrac: f64,
    clip_sigma: f64,
    zap_chans: &'a [usize],
    zap_ints: &'a [usize],
}

#[derive(Serialize)]
struct ClippedJson {
    interval: usize,
    samples: u32,
    peak_sigma: f32,
    dispersed_events: u32,
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    beam: String,
    files: &'a [PathBuf],
    nchan: usize,
    nsamples: u64,
    tsamp_s: f64,
    ptsperint: usize,
    numint: usize,
    dtint_s: f64,
    masked_fraction: f64,
    clipped_fraction: f64,
    masked_or_clipped_fraction: f64,
    clip_level_sigma: f32,
    clip_guard_spectra: usize,
    params: ParamsJson<'a>,
    thresholds: &'a Thresholds,
    zapped_channels: &'a [usize],
    zapped_intervals: &'a [usize],
    clipped_spectra: &'a [(u64, u64)],
    clipped_intervals: Vec<ClippedJson>,
    channels: &'a [ChannelSummary],
}

impl RfiResult {
    /// Writes the mask, the statistics (PRESTO's `.stats` and palfa's JSON), the
    /// byte mask and an `.inf` as `<dir>/<basename>_rfifind.*` (see the table in
    /// this module's docs). `dir` is created if needed.
    pub fn write_files(&self, dir: impl AsRef<Path>, basename: &str) -> SearchResult<RfiFiles> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| SearchError::io(dir, e))?;
        let files = RfiFiles::new(dir, basename);
        self.mask.write(&files.mask)?;
        write_presto_stats(&files.stats, &self.stats, self.ptsperint)?;
        std::fs::write(&files.bytemask, &self.flags).map_err(|e| SearchError::io(&files.bytemask, e))?;
        let mut inf = TimeSeries::info_for(&self.header, 0.0, self.header.tsamp_s, self.nsamples);
        inf.basename = format!("{basename}_rfifind");
        inf.notes = format!(
            "rfifind (palfa): {} intervals of {} spectra, {:.3} % masked, {:.4} % of spectra clipped",
            self.numint(),
            self.ptsperint,
            100.0 * self.masked_fraction,
            100.0 * self.clipped_fraction
        );
        inf.write(&files.inf)?;
        let p = &self.params;
        let summary = SummaryJson {
            beam: self.header.basename(),
            files: &self.header.files,
            nchan: self.stats.nchan,
            nsamples: self.nsamples,
            tsamp_s: self.header.tsamp_s,
            ptsperint: self.ptsperint,
            numint: self.numint(),
            dtint_s: self.mask.dtint,
            masked_fraction: self.masked_fraction,
            clipped_fraction: self.clipped_fraction,
            masked_or_clipped_fraction: self.masked_or_clipped_fraction,
            clip_level_sigma: self.clip_level_sigma,
            clip_guard_spectra: CLIP_GUARD,
            params: ParamsJson {
                chunk_time_s: p.chunk_time_s,
                timesig: p.timesig,
                freqsig: p.freqsig,
                chanfrac: p.chanfrac,
                intfrac: p.intfrac,
                clip_sigma: p.clip_sigma,
                zap_chans: &p.zap_chans,
                zap_ints: &p.zap_ints,
            },
            thresholds: &self.thresholds,
            zapped_channels: &self.mask.zap_chans,
            zapped_intervals: &self.mask.zap_ints,
            clipped_spectra: &self.clipped_spectra,
            clipped_intervals: self
                .clipped
                .iter()
                .enumerate()
                .filter(|&(i, &n)| n > 0 || self.dispersed_events[i] > 0)
                .map(|(i, &n)| ClippedJson {
                    interval: i,
                    samples: n,
                    peak_sigma: self.clip_peak_sigma[i],
                    dispersed_events: self.dispersed_events[i],
                })
                .collect(),
            channels: &self.channels,
        };
        // NaN statistics (an all-masked beam) become null rather than failing.
        let json = serde_json::to_string_pretty(&summary).map_err(|e| SearchError::Params(e.to_string()))?;
        std::fs::write(&files.json, json).map_err(|e| SearchError::io(&files.json, e))?;
        Ok(files)
    }
}

/// Reads the clipped spectra (`[start, end)` pairs, sorted and disjoint) from
/// a `<base>_rfifind.stats.json` that [`RfiResult::write_files`] wrote, for
/// [`MaskedSource::with_clipped_spectra`](super::MaskedSource::with_clipped_spectra)
/// when a beam is read through the mask file rather than the [`RfiResult`].
///
/// # Errors
/// [`SearchError::Io`] if the file cannot be read; [`SearchError::Format`] if
/// it is not JSON with a `clipped_spectra` list of pairs (e.g. written by an
/// older palfa).
pub fn read_clipped_spectra(path: impl AsRef<Path>) -> SearchResult<Vec<(u64, u64)>> {
    #[derive(Deserialize)]
    struct Clipped {
        clipped_spectra: Vec<(u64, u64)>,
    }
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| SearchError::io(path, e))?;
    let c: Clipped = serde_json::from_str(&text).map_err(|e| {
        SearchError::Format(FormatError::new(
            path,
            FormatErrorKind::Inconsistent(format!("no clipped spectra in this rfifind summary: {e}")),
        ))
    })?;
    Ok(super::stretch::merge(c.clipped_spectra))
}

/// Writes PRESTO's binary `.stats` file.
fn write_presto_stats(path: &Path, s: &CellStats, ptsperint: usize) -> SearchResult<()> {
    let n = s.nchan * s.numint;
    let mut b = Vec::with_capacity(20 + 12 * n);
    for v in [s.nchan, s.numint, ptsperint, LOBIN] {
        let v = i32::try_from(v).map_err(|_| SearchError::Params(format!("{v} does not fit the .stats header")))?;
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&NUMBETWEEN.to_le_bytes());
    for arr in [&s.max_power, &s.mean, &s.std] {
        for v in arr.iter() {
            b.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::write(path, b).map_err(|e| SearchError::io(path, e))
}

/// Reads a PRESTO `.stats` file (PRESTO's or palfa's) into [`CellStats`] and
/// the interval length in spectra.
pub fn read_presto_stats(path: impl AsRef<Path>) -> SearchResult<(CellStats, usize)> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| SearchError::io(path, e))?;
    let err = |kind| SearchError::Format(FormatError::new(path, kind));
    let int = |k: usize| {
        bytes
            .get(4 * k..4 * k + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let header: Option<Vec<i32>> = (0..5).map(int).collect();
    let Some(h) = header else {
        return Err(err(FormatErrorKind::Truncated {
            what: "the .stats header".into(),
            expected: 20,
            found: bytes.len() as u64,
        }));
    };
    let (nchan, numint, ptsperint) = match (usize::try_from(h[0]), usize::try_from(h[1]), usize::try_from(h[2])) {
        (Ok(c), Ok(i), Ok(p)) if c > 0 && p > 0 => (c, i, p),
        _ => {
            return Err(err(FormatErrorKind::Inconsistent(format!(
                "numchan {}, numint {}, ptsperint {}",
                h[0], h[1], h[2]
            ))))
        }
    };
    let n = nchan.checked_mul(numint).unwrap_or(usize::MAX / 16);
    let expected = 20u64 + 12 * n as u64;
    if bytes.len() as u64 != expected {
        return Err(err(if (bytes.len() as u64) < expected {
            FormatErrorKind::Truncated {
                what: format!("{numint} × {nchan} statistics"),
                expected,
                found: bytes.len() as u64,
            }
        } else {
            FormatErrorKind::Inconsistent(format!("{} bytes after the statistics", bytes.len() as u64 - expected))
        }));
    }
    let arr = |k: usize| -> Vec<f32> {
        bytes[20 + 4 * n * k..20 + 4 * n * (k + 1)]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    };
    Ok((
        CellStats {
            nchan,
            numint,
            max_power: arr(0),
            mean: arr(1),
            std: arr(2),
        },
        ptsperint,
    ))
}
