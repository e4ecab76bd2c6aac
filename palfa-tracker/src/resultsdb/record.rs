//! One beam's rows: built from its results directory, inserted, read back
//! and compared.
//!
//! [`BeamRecord::from_dir`] reads and checks the directory (every file named,
//! its recorded size, PNG chunk checksums, `.pfd` layout, tar header
//! checksums) and holds every row and blob in memory. [`BeamRecord::insert`]
//! writes them (inside the caller's transaction) and [`BeamRecord::verify`]
//! reads them back and compares every field, and every blob's SHA-256 with
//! the one stored and with the file on disk now.

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::pfd::Pfd;
use palfa_core::formats::results::{safe_join, SearchResults, SearchStatus};
use sha2::{Digest, Sha256};

use super::{Kind, ResultsStore, StoreError, Value};

/// The largest file stored as a blob \[bytes\] (256 MiB).
pub const MAX_BLOB_BYTES: u64 = 256 << 20;

/// Who produced the results (`[basic]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `basic.institution`.
    pub institution: String,
    /// `basic.pipeline`.
    pub pipeline: String,
    /// `basic.survey`.
    pub survey: String,
    /// The software version (see [`super::build`]).
    pub version_num: String,
}

/// Why a beam's rows could not be written or did not read back as written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The results directory is incomplete or corrupt, or the rows read back
    /// differ from it: the beam is refused (its upload failed).
    #[error("{0}")]
    Refused(String),
    /// The database failed: try again later.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One column of a row: name, type and value.
type Col = (&'static str, Kind, Value);

/// Rows of one child table of `headers`.
#[derive(Debug, Clone)]
struct ChildTable {
    name: &'static str,
    /// The columns that, with `header_id`, identify a row.
    key: &'static [&'static str],
    rows: Vec<Vec<Col>>,
}

/// A file stored as a blob.
#[derive(Debug, Clone)]
struct BlobFile {
    path: PathBuf,
    sha256: String,
}

/// Every row of one beam, ready to insert.
#[derive(Debug, Clone)]
pub struct BeamRecord {
    beam: String,
    version_num: String,
    dir: PathBuf,
    header: Vec<Col>,
    children: Vec<ChildTable>,
    /// Blob files by (table, row index).
    blobs: Vec<(&'static str, usize, BlobFile)>,
    num_candidates: usize,
}

/// The SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn int(v: u64, what: &str) -> Result<Value, RecordError> {
    i64::try_from(v)
        .map(Value::Int)
        .map_err(|_| RecordError::Refused(format!("{what} = {v} is too large to store")))
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Checks a product file's inner consistency by its kind (extension).
pub fn check_file_content(name: &str, data: &[u8]) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".png") {
        check_png(data)
    } else if lower.ends_with(".pfd") {
        Pfd::from_bytes(data, Path::new(name))
            .map(|_| ())
            .map_err(|e| format!("not a valid .pfd: {e}"))
    } else if lower.ends_with(".tar") {
        check_tar(data)
    } else {
        Ok(())
    }
}

/// A PNG: the signature, then chunks whose CRC-32 match, up to `IEND`.
fn check_png(data: &[u8]) -> Result<(), String> {
    const SIG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    if data.len() < 8 || data[..8] != SIG {
        return Err("not a PNG (bad signature)".into());
    }
    let mut at = 8usize;
    loop {
        let head = data
            .get(at..at + 8)
            .ok_or_else(|| format!("PNG cut short at byte {at}"))?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let end = at
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .filter(|&e| e <= data.len())
            .ok_or_else(|| format!("PNG chunk at byte {at} runs past the end of the file"))?;
        let stored = u32::from_be_bytes([data[end - 4], data[end - 3], data[end - 2], data[end - 1]]);
        let crc = crc32fast::hash(&data[at + 4..end - 4]);
        if crc != stored {
            return Err(format!(
                "PNG chunk {:?} at byte {at} fails its CRC check (altered or corrupt)",
                String::from_utf8_lossy(kind)
            ));
        }
        if kind == b"IEND" {
            return Ok(());
        }
        at = end;
    }
}

/// A tar archive: every header's checksum, up to the end marker.
fn check_tar(data: &[u8]) -> Result<(), String> {
    if !data.len().is_multiple_of(512) || data.is_empty() {
        return Err(format!(
            "not a tar archive ({} bytes, not a multiple of 512)",
            data.len()
        ));
    }
    let mut at = 0usize;
    while at + 512 <= data.len() {
        let h = &data[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            return Ok(());
        }
        let field = std::str::from_utf8(&h[148..156]).map_err(|_| format!("tar header at byte {at} is corrupt"))?;
        let stored = u64::from_str_radix(field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
            .map_err(|_| format!("tar header at byte {at} has no checksum"))?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &b)| if (148..156).contains(&i) { 32 } else { b as u64 })
            .sum();
        if sum != stored {
            return Err(format!(
                "tar header at byte {at} fails its checksum (altered or corrupt)"
            ));
        }
        let size_field =
            std::str::from_utf8(&h[124..136]).map_err(|_| format!("tar header at byte {at} is corrupt"))?;
        let size = u64::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
            .map_err(|_| format!("tar header at byte {at} has no size"))?;
        let blocks = size.div_ceil(512);
        at = blocks
            .checked_mul(512)
            .and_then(|b| (at as u64 + 512).checked_add(b))
            .filter(|&e| e <= data.len() as u64)
            .ok_or_else(|| format!("tar member at byte {at} runs past the end of the archive"))? as usize;
    }
    Err("tar archive has no end marker (cut short)".into())
}

impl BeamRecord {
    /// Reads the results directory `dir` of `beam` and builds its rows. Any
    /// problem with the directory is [`RecordError::Refused`] with the reason.
    pub fn from_dir(beam: &str, dir: &Path, prov: &Provenance) -> Result<Self, RecordError> {
        let r = SearchResults::read_dir(dir).map_err(|e| RecordError::Refused(e.to_string()))?;
        Self::from_results(beam, dir, &r, prov)
    }

    /// Builds the rows of `results`, whose files are in `dir`.
    pub fn from_results(beam: &str, dir: &Path, r: &SearchResults, prov: &Provenance) -> Result<Self, RecordError> {
        let h = &r.header;
        let (status, dur, min) = match r.status {
            SearchStatus::Searched => ("searched", Value::Null, Value::Null),
            SearchStatus::SkippedTooShort { duration_s, min_s } => {
                ("skipped_too_short", Value::Real(duration_s), Value::Real(min_s))
            }
        };
        let header: Vec<Col> = vec![
            ("beam", Kind::Text, text(beam)),
            ("version_num", Kind::Text, text(&prov.version_num)),
            ("institution", Kind::Text, text(&prov.institution)),
            ("pipeline", Kind::Text, text(&prov.pipeline)),
            ("survey", Kind::Text, text(&prov.survey)),
            ("processed_at", Kind::Text, text(&r.processed_at)),
            ("uploaded_at", Kind::Text, Value::Text(crate::clock::now())),
            ("search_version", Kind::Text, text(&r.version)),
            ("search_status", Kind::Text, text(status)),
            ("skipped_duration_s", Kind::Real, dur),
            ("skipped_min_s", Kind::Real, min),
            ("num_dm_trials", Kind::Int, Value::Int(r.num_dm_trials.into())),
            ("obs_name", Kind::Text, text(&h.obs_name)),
            (
                "beam_id",
                Kind::Int,
                h.beam_id.map_or(Value::Null, |b| Value::Int(b.into())),
            ),
            ("original_files", Kind::Text, json(&h.original_files)),
            ("file_size", Kind::Int, int(h.file_size, "header.file_size")?),
            ("source_name", Kind::Text, text(&h.source_name)),
            ("telescope", Kind::Text, text(&h.telescope)),
            ("backend", Kind::Text, text(&h.backend)),
            ("project_id", Kind::Text, text(&h.project_id)),
            ("observers", Kind::Text, text(&h.observers)),
            ("timestamp_mjd", Kind::Real, Value::Real(h.timestamp_mjd)),
            ("observation_time_s", Kind::Real, Value::Real(h.observation_time_s)),
            ("sample_time_s", Kind::Real, Value::Real(h.sample_time_s)),
            ("num_samples", Kind::Int, int(h.num_samples, "header.num_samples")?),
            ("center_freq_mhz", Kind::Real, Value::Real(h.center_freq_mhz)),
            (
                "channel_bandwidth_mhz",
                Kind::Real,
                Value::Real(h.channel_bandwidth_mhz),
            ),
            (
                "num_channels",
                Kind::Int,
                int(h.num_channels as u64, "header.num_channels")?,
            ),
            ("bandwidth_mhz", Kind::Real, Value::Real(h.bandwidth_mhz)),
            ("nbits", Kind::Int, Value::Int(h.nbits.into())),
            ("num_ifs", Kind::Int, int(h.num_ifs as u64, "header.num_ifs")?),
            ("right_ascension", Kind::Text, text(&h.right_ascension)),
            ("declination", Kind::Text, text(&h.declination)),
            ("ra_deg", Kind::Real, Value::Real(h.ra_deg)),
            ("dec_deg", Kind::Real, Value::Real(h.dec_deg)),
            ("galactic_longitude", Kind::Real, Value::Real(h.galactic_longitude)),
            ("galactic_latitude", Kind::Real, Value::Real(h.galactic_latitude)),
            ("sp_threshold", Kind::Real, Value::Real(r.single_pulses.threshold)),
            (
                "sp_num_events",
                Kind::Int,
                int(r.single_pulses.num_events, "single_pulses.num_events")?,
            ),
            ("timing", Kind::Text, json(&r.timing)),
            (
                "provenance",
                Kind::Text,
                r.provenance.as_ref().map_or(Value::Null, json),
            ),
            (
                "config_sha256",
                Kind::Text,
                r.provenance.as_ref().map_or(Value::Null, |p| text(&p.config_sha256)),
            ),
            (
                "palfa_commit",
                Kind::Text,
                r.provenance.as_ref().map_or(Value::Null, |p| text(&p.git_commit)),
            ),
        ];

        let mut rec = BeamRecord {
            beam: beam.to_string(),
            version_num: prov.version_num.clone(),
            dir: dir.to_path_buf(),
            header,
            children: Vec::new(),
            blobs: Vec::new(),
            num_candidates: r.candidates.len(),
        };

        let mut cands = Vec::new();
        let mut cand_files = Vec::new();
        let mut ratings = Vec::new();
        for c in &r.candidates {
            for rt in &c.ratings {
                let plain = !rt.name.is_empty()
                    && rt.name.len() <= 64
                    && rt.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                if !plain {
                    return Err(RecordError::Refused(format!(
                        "candidate {} has a rating named {:?} (names are 1-64 letters, digits and _)",
                        c.cand_num,
                        rt.name.chars().take(80).collect::<String>()
                    )));
                }
                ratings.push(vec![
                    ("cand_num", Kind::Int, Value::Int(c.cand_num.into())),
                    ("name", Kind::Text, text(&rt.name)),
                    ("version", Kind::Int, Value::Int(rt.version.into())),
                    ("value", Kind::Real, rt.value.map_or(Value::Null, Value::Real)),
                ]);
            }
            if let Some(dup) = duplicate(c.ratings.iter().map(|rt| rt.name.as_str())) {
                return Err(RecordError::Refused(format!(
                    "candidate {} has two ratings named {dup:?}",
                    c.cand_num
                )));
            }
            cands.push(vec![
                ("cand_num", Kind::Int, Value::Int(c.cand_num.into())),
                ("period_s", Kind::Real, Value::Real(c.period_s)),
                ("frequency_hz", Kind::Real, Value::Real(c.frequency_hz)),
                ("pdot", Kind::Real, Value::Real(c.pdot)),
                ("fdot_hz_s", Kind::Real, Value::Real(c.fdot_hz_s)),
                ("dm", Kind::Real, Value::Real(c.dm)),
                ("presto_sigma", Kind::Real, Value::Real(c.presto_sigma)),
                ("sifting_sigma", Kind::Real, Value::Real(c.sifting_sigma)),
                ("prepfold_sigma", Kind::Real, Value::Real(c.prepfold_sigma)),
                ("reduced_chi2", Kind::Real, Value::Real(c.reduced_chi2)),
                ("snr", Kind::Real, Value::Real(c.snr)),
                ("coherent_power", Kind::Real, Value::Real(c.coherent_power)),
                ("incoherent_power", Kind::Real, Value::Real(c.incoherent_power)),
                ("num_hits", Kind::Int, Value::Int(c.num_hits.into())),
                ("num_harmonics", Kind::Int, Value::Int(c.num_harmonics.into())),
                ("z", Kind::Real, Value::Real(c.z)),
                ("accel_m_s2", Kind::Real, Value::Real(c.accel_m_s2)),
                ("sifting_period_s", Kind::Real, Value::Real(c.sifting_period_s)),
                ("sifting_dm", Kind::Real, Value::Real(c.sifting_dm)),
                ("impulsive", Kind::Int, Value::Int(c.impulsive.into())),
                ("search", Kind::Text, text(c.search.as_str())),
                (
                    "pulse_width_s",
                    Kind::Real,
                    c.pulse_width_s.map_or(Value::Null, Value::Real),
                ),
                (
                    "known_pulsar",
                    Kind::Text,
                    c.known_pulsar.as_ref().map_or(Value::Null, |k| text(&k.name)),
                ),
                (
                    "known_harmonic",
                    Kind::Text,
                    c.known_pulsar.as_ref().map_or(Value::Null, |k| {
                        Value::Text(format!("{}/{}", k.harmonic_n, k.harmonic_m))
                    }),
                ),
                (
                    "known_position",
                    Kind::Text,
                    c.known_pulsar
                        .as_ref()
                        .map_or(Value::Null, |k| text(k.position.as_str())),
                ),
                ("plot_file", Kind::Text, text(&c.plot_file)),
                ("pfd_file", Kind::Text, text(&c.pfd_file)),
                ("bestprof_file", Kind::Text, text(&c.bestprof_file)),
            ]);
            for (kind, f) in [
                ("png", &c.plot_file),
                ("pfd", &c.pfd_file),
                ("bestprof", &c.bestprof_file),
            ] {
                if f.is_empty() {
                    continue;
                }
                let (blob, cols) = rec.load_blob(r, f)?;
                let mut row = vec![
                    ("cand_num", Kind::Int, Value::Int(c.cand_num.into())),
                    ("kind", Kind::Text, text(kind)),
                ];
                row.extend(cols);
                rec.blobs.push(("candidate_files", cand_files.len(), blob));
                cand_files.push(row);
            }
        }
        if let Some(dup) = duplicate(r.candidates.iter().map(|c| c.cand_num)) {
            return Err(RecordError::Refused(format!("candidate number {dup} appears twice")));
        }

        let d = &r.diagnostics;
        let mut diags: Vec<Vec<Col>> = Vec::new();
        let numeric: [(&str, f64); 10] = [
            ("RFI mask percentage", d.rfi_mask_percentage),
            ("Num cands folded", d.num_cands_folded.into()),
            ("Num cands produced", d.num_cands_produced.into()),
            ("Min sigma folded", d.min_sigma_folded),
            ("Num cands above threshold", d.num_cands_above_threshold.into()),
            ("Sigma threshold", d.sigma_threshold),
            ("Max cands allowed to fold", d.max_cands_allowed_to_fold.into()),
            ("Percent zapped total", d.percent_zapped_total),
            ("Percent zapped below 10 Hz", d.percent_zapped_below_10hz),
            ("Percent zapped below 1 Hz", d.percent_zapped_below_1hz),
        ];
        for (name, value) in numeric {
            diags.push(vec![
                ("name", Kind::Text, text(name)),
                ("kind", Kind::Text, text("numeric")),
                ("value", Kind::Real, Value::Real(value)),
                ("filename", Kind::Text, Value::Null),
                ("size", Kind::Int, Value::Null),
                ("sha256", Kind::Text, Value::Null),
                ("data", Kind::Blob, Value::Null),
            ]);
        }
        let binary: [(&str, &String); 8] = [
            ("RFIfind png", &d.rfifind_png),
            ("Periodicty summary plot", &d.periodicity_summary_png),
            ("Rejected cands plot", &d.rejected_cands_png),
            ("Sifting summary", &d.sifting_summary),
            ("Sifting report", &d.sifting_report),
            ("Accelcands list", &d.accelcands_list),
            ("Zaplist used", &d.zaplist_used),
            ("Search parameters", &d.search_params),
        ];
        for (name, file) in binary {
            if file.is_empty() {
                continue;
            }
            let (blob, cols) = rec.load_blob(r, file)?;
            let mut row = vec![
                ("name", Kind::Text, text(name)),
                ("kind", Kind::Text, text("binary")),
                ("value", Kind::Real, Value::Null),
            ];
            row.extend(cols);
            rec.blobs.push(("diagnostics", diags.len(), blob));
            diags.push(row);
        }

        let mut groups = Vec::new();
        for (i, g) in r.single_pulses.groups.iter().enumerate() {
            groups.push(vec![
                ("group_num", Kind::Int, Value::Int(i as i64 + 1)),
                ("dm", Kind::Real, Value::Real(g.dm)),
                ("time_s", Kind::Real, Value::Real(g.time_s)),
                ("sigma", Kind::Real, Value::Real(g.sigma)),
                ("downfact", Kind::Int, Value::Int(g.downfact.into())),
                ("num_events", Kind::Int, Value::Int(g.num_events.into())),
                ("dm_min", Kind::Real, Value::Real(g.dm_range.0)),
                ("dm_max", Kind::Real, Value::Real(g.dm_range.1)),
            ]);
        }
        let mut sp_files = Vec::new();
        let sp = &r.single_pulses;
        let named: Vec<(&str, usize, &String)> = std::iter::once(("events_archive", 1usize, &sp.events_archive))
            .chain(sp.plots.iter().enumerate().map(|(i, p)| ("plot", i + 1, p)))
            .filter(|(_, _, f)| !f.is_empty())
            .collect();
        for (kind, num, file) in named {
            let (blob, cols) = rec.load_blob(r, file)?;
            let mut row = vec![
                ("kind", Kind::Text, text(kind)),
                ("file_num", Kind::Int, Value::Int(num as i64)),
            ];
            row.extend(cols);
            rec.blobs.push(("single_pulse_files", sp_files.len(), blob));
            sp_files.push(row);
        }

        rec.children = vec![
            ChildTable {
                name: "candidates",
                key: &["cand_num"],
                rows: cands,
            },
            ChildTable {
                name: "candidate_files",
                key: &["cand_num", "kind"],
                rows: cand_files,
            },
            ChildTable {
                name: "ratings",
                key: &["cand_num", "name"],
                rows: ratings,
            },
            ChildTable {
                name: "diagnostics",
                key: &["name"],
                rows: diags,
            },
            ChildTable {
                name: "single_pulse_groups",
                key: &["group_num"],
                rows: groups,
            },
            ChildTable {
                name: "single_pulse_files",
                key: &["kind", "file_num"],
                rows: sp_files,
            },
        ];
        Ok(rec)
    }

    /// Reads one product file: inside the directory, at its recorded size,
    /// consistent in itself. Returns it and its `filename, size, sha256, data` columns.
    fn load_blob(&self, r: &SearchResults, name: &str) -> Result<(BlobFile, Vec<Col>), RecordError> {
        let path = safe_join(&self.dir, name)
            .ok_or_else(|| RecordError::Refused(format!("{name:?} leaves the results directory")))?;
        let meta = std::fs::metadata(&path).map_err(|e| RecordError::Refused(format!("{name}: {e}")))?;
        if meta.len() > MAX_BLOB_BYTES {
            return Err(RecordError::Refused(format!(
                "{name} has {} bytes, more than the {MAX_BLOB_BYTES} a blob may hold",
                meta.len()
            )));
        }
        let data = std::fs::read(&path).map_err(|e| RecordError::Refused(format!("{name}: {e}")))?;
        if let Some(&size) = r.file_sizes.get(name) {
            if data.len() as u64 != size {
                return Err(RecordError::Refused(format!(
                    "{name} has {} bytes, {size} when the search wrote it",
                    data.len()
                )));
            }
        }
        check_file_content(name, &data).map_err(|e| RecordError::Refused(format!("{name}: {e}")))?;
        let sha = sha256_hex(&data);
        let cols = vec![
            ("filename", Kind::Text, text(name)),
            ("size", Kind::Int, Value::Int(data.len() as i64)),
            ("sha256", Kind::Text, text(&sha)),
            ("data", Kind::Blob, Value::Blob(data)),
        ];
        Ok((BlobFile { path, sha256: sha }, cols))
    }

    /// The tracker's beam name (the key, with `version_num`).
    pub fn beam(&self) -> &str {
        &self.beam
    }

    /// The version the rows are stored under.
    pub fn version_num(&self) -> &str {
        &self.version_num
    }

    /// Folded candidates.
    pub fn num_candidates(&self) -> usize {
        self.num_candidates
    }

    /// Rows in all tables (the header included).
    pub fn num_rows(&self) -> usize {
        1 + self.children.iter().map(|t| t.rows.len()).sum::<usize>()
    }

    /// Bytes of blobs.
    pub fn blob_bytes(&self) -> u64 {
        self.children
            .iter()
            .flat_map(|t| &t.rows)
            .flatten()
            .map(|(_, _, v)| if let Value::Blob(b) = v { b.len() as u64 } else { 0 })
            .sum()
    }

    /// Inserts the header; returns its id. Call inside a transaction.
    pub fn insert_header(&self, store: &mut dyn ResultsStore) -> Result<i64, StoreError> {
        insert_row(store, "headers", None, &self.header)?;
        find_header(store, &self.beam, &self.version_num)?
            .ok_or_else(|| StoreError::backend("results", "the header just inserted cannot be found".to_string()))
    }

    /// Inserts the rows of one child table (`candidates`, `candidate_files`,
    /// `diagnostics`, `single_pulse_groups`, `single_pulse_files`).
    pub fn insert_table(&self, store: &mut dyn ResultsStore, header_id: i64, table: &str) -> Result<usize, StoreError> {
        let Some(t) = self.children.iter().find(|t| t.name == table) else {
            return Ok(0);
        };
        for row in &t.rows {
            insert_row(store, t.name, Some(header_id), row)?;
        }
        Ok(t.rows.len())
    }

    /// The child tables, in the order to insert them.
    pub fn tables(&self) -> Vec<&'static str> {
        self.children.iter().map(|t| t.name).collect()
    }

    /// Reads the beam's rows back and compares every field with what was
    /// inserted, and every blob's SHA-256 with its `sha256` column and with
    /// the file on disk now. Any difference is [`RecordError::Refused`].
    pub fn verify(&self, store: &mut dyn ResultsStore, header_id: i64) -> Result<(), RecordError> {
        let refused = RecordError::Refused;
        // The header.
        let cols: Vec<&str> = self.header.iter().map(|c| c.0).collect();
        let kinds: Vec<Kind> = self.header.iter().map(|c| c.1).collect();
        let sql = format!("SELECT {} FROM headers WHERE id = ?", cols.join(", "));
        let rows = store.query(&sql, &[Value::Int(header_id)], &kinds)?;
        let [row] = rows.as_slice() else {
            return Err(refused(format!(
                "read-back: {} header rows for id {header_id}",
                rows.len()
            )));
        };
        compare_row("headers", &self.header, row)?;

        for t in &self.children {
            let Some(first) = t.rows.first() else {
                let n = count(store, t.name, header_id)?;
                if n != 0 {
                    return Err(refused(format!("read-back: {} has {n} rows, 0 expected", t.name)));
                }
                continue;
            };
            let cols: Vec<&str> = first.iter().map(|c| c.0).collect();
            let kinds: Vec<Kind> = first.iter().map(|c| c.1).collect();
            let sql = format!("SELECT {} FROM {} WHERE header_id = ?", cols.join(", "), t.name);
            let got = store.query(&sql, &[Value::Int(header_id)], &kinds)?;
            if got.len() != t.rows.len() {
                return Err(refused(format!(
                    "read-back: {} has {} rows, {} expected",
                    t.name,
                    got.len(),
                    t.rows.len()
                )));
            }
            let key_idx: Vec<usize> = t
                .key
                .iter()
                .map(|k| cols.iter().position(|c| c == k).expect("key column present"))
                .collect();
            for (i, want) in t.rows.iter().enumerate() {
                let found = got
                    .iter()
                    .find(|g| key_idx.iter().all(|&k| g[k].same(&want[k].2)))
                    .ok_or_else(|| {
                        let key: Vec<String> = key_idx.iter().map(|&k| want[k].2.describe()).collect();
                        refused(format!("read-back: {} has no row {}", t.name, key.join("/")))
                    })?;
                compare_row(t.name, want, found)?;
                if let Some((_, _, blob)) = self.blobs.iter().find(|(tn, ri, _)| *tn == t.name && *ri == i) {
                    let di = cols.iter().position(|c| *c == "data").expect("data column");
                    let si = cols.iter().position(|c| *c == "sha256").expect("sha256 column");
                    let Value::Blob(data) = &found[di] else {
                        return Err(refused(format!(
                            "read-back: {} of {} is not a blob",
                            t.name,
                            blob.path.display()
                        )));
                    };
                    let got_sha = sha256_hex(data);
                    let on_disk = std::fs::read(&blob.path)
                        .map(|d| sha256_hex(&d))
                        .map_err(|e| refused(format!("{}: {e}", blob.path.display())))?;
                    if got_sha != blob.sha256
                        || found[si].as_text() != Some(blob.sha256.as_str())
                        || on_disk != blob.sha256
                    {
                        return Err(refused(format!(
                            "read-back: SHA-256 of {} differs (stored {got_sha}, file now {on_disk}, read at upload {})",
                            blob.path.display(),
                            blob.sha256
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn json<T: serde::Serialize>(v: &T) -> Value {
    Value::Text(serde_json::to_string(v).unwrap_or_default())
}

fn duplicate<T: PartialEq + Copy + std::fmt::Display>(it: impl Iterator<Item = T>) -> Option<T> {
    let v: Vec<T> = it.collect();
    v.iter().enumerate().find(|(i, a)| v[..*i].contains(a)).map(|(_, a)| *a)
}

fn compare_row(table: &str, want: &[Col], got: &[Value]) -> Result<(), RecordError> {
    for ((name, _, w), g) in want.iter().zip(got) {
        if !w.same(g) {
            return Err(RecordError::Refused(format!(
                "read-back: {table}.{name} is {}, {} was written",
                g.describe(),
                w.describe()
            )));
        }
    }
    Ok(())
}

fn insert_row(
    store: &mut dyn ResultsStore,
    table: &str,
    header_id: Option<i64>,
    row: &[Col],
) -> Result<(), StoreError> {
    let mut names: Vec<&str> = Vec::with_capacity(row.len() + 1);
    let mut params: Vec<Value> = Vec::with_capacity(row.len() + 1);
    if let Some(h) = header_id {
        names.push("header_id");
        params.push(Value::Int(h));
    }
    for (n, _, v) in row {
        names.push(n);
        params.push(v.clone());
    }
    let marks = vec!["?"; names.len()].join(", ");
    let sql = format!("INSERT INTO {table} ({}) VALUES ({marks})", names.join(", "));
    store.execute(&sql, &params)?;
    Ok(())
}

fn count(store: &mut dyn ResultsStore, table: &str, header_id: i64) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE header_id = ?");
    let rows = store.query(&sql, &[Value::Int(header_id)], &[Kind::Int])?;
    Ok(rows.first().and_then(|r| r[0].as_int()).unwrap_or(0))
}

/// The id of the header of (`beam`, `version_num`), if the database has it.
pub fn find_header(store: &mut dyn ResultsStore, beam: &str, version_num: &str) -> Result<Option<i64>, StoreError> {
    let rows = store.query(
        "SELECT id FROM headers WHERE beam = ? AND version_num = ?",
        &[text(beam), text(version_num)],
        &[Kind::Int],
    )?;
    Ok(rows.first().and_then(|r| r[0].as_int()))
}

/// Rows of each table that belong to the beam (`beam`, `version_num`), headers first.
pub fn beam_row_counts(
    store: &mut dyn ResultsStore,
    beam: &str,
    version_num: &str,
) -> Result<Vec<(&'static str, i64)>, StoreError> {
    let Some(id) = find_header(store, beam, version_num)? else {
        return Ok(vec![("headers", 0)]);
    };
    let mut out = vec![("headers", 1)];
    for t in super::schema::TABLES.iter().filter(|t| **t != "headers") {
        out.push((t, count(store, t, id)?));
    }
    Ok(out)
}
