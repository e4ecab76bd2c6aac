//! The results directory of one searched beam: the contract between the worker
//! (`palfa search`) and the uploader.
//!
//! A results directory holds `results.json` ([`SearchResults`]) and the files it
//! names (plots, fold files, text diagnostics), all by paths relative to the
//! directory. The worker writes the directory only when the search has finished,
//! so a directory with a `results.json` is complete. `docs/results-format.md`
//! describes every field.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{FormatError, FormatErrorKind, FormatResult};

/// Name of the summary file in a results directory.
pub const RESULTS_FILE: &str = "results.json";
/// Version of the layout described here.
pub const FORMAT_VERSION: u32 = 1;

/// What the worker did with the beam.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SearchStatus {
    /// The beam was searched.
    Searched,
    /// The beam was too short to search (`low_T_to_search`).
    SkippedTooShort {
        /// Its length \[s\].
        duration_s: f64,
        /// The shortest length searched \[s\].
        min_s: f64,
    },
}

/// The observation (the uploader's "header").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationHeader {
    /// Name of the observation (merged beam base name, e.g. `p2030.20120101.G45.07+00.11.b3.00100`).
    pub obs_name: String,
    /// Beam number, if known.
    pub beam_id: Option<u32>,
    /// The raw data files (names only).
    pub original_files: Vec<String>,
    /// Their total size \[bytes\].
    pub file_size: u64,
    /// Source name.
    pub source_name: String,
    /// Telescope.
    pub telescope: String,
    /// Backend.
    pub backend: String,
    /// Project identifier.
    pub project_id: String,
    /// Observers.
    pub observers: String,
    /// MJD of the first sample (topocentric UTC).
    pub timestamp_mjd: f64,
    /// Observation length \[s\].
    pub observation_time_s: f64,
    /// Sample time \[s\].
    pub sample_time_s: f64,
    /// Number of spectra.
    pub num_samples: u64,
    /// Centre frequency of the band \[MHz\].
    pub center_freq_mhz: f64,
    /// Channel width \[MHz\].
    pub channel_bandwidth_mhz: f64,
    /// Number of channels.
    pub num_channels: usize,
    /// Total bandwidth \[MHz\].
    pub bandwidth_mhz: f64,
    /// Bits per sample in the raw data.
    pub nbits: u32,
    /// Polarisation products in the raw data.
    pub num_ifs: usize,
    /// Right ascension `hh:mm:ss.ssss` (J2000).
    pub right_ascension: String,
    /// Declination `±dd:mm:ss.ssss` (J2000).
    pub declination: String,
    /// Right ascension \[deg\].
    pub ra_deg: f64,
    /// Declination \[deg\].
    pub dec_deg: f64,
    /// Galactic longitude \[deg\].
    pub galactic_longitude: f64,
    /// Galactic latitude \[deg\].
    pub galactic_latitude: f64,
}

/// Which periodicity search found a candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateSearch {
    /// The Fourier-domain acceleration search (either pass).
    #[default]
    Accel,
    /// The fast folding algorithm.
    Ffa,
}

impl CandidateSearch {
    /// `"accel"` or `"ffa"`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accel => "accel",
            Self::Ffa => "ffa",
        }
    }
}

/// One folded periodicity candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodicityCandidate {
    /// Rank (1 = best).
    pub cand_num: u32,
    /// Best folded topocentric period \[s\].
    pub period_s: f64,
    /// Best folded topocentric frequency \[Hz\].
    pub frequency_hz: f64,
    /// Best folded period derivative \[s/s\].
    pub pdot: f64,
    /// Best folded frequency derivative \[Hz/s\].
    pub fdot_hz_s: f64,
    /// Best folded DM.
    pub dm: f64,
    /// Significance from the acceleration search (with trials).
    pub presto_sigma: f64,
    /// Single-trial significance used by sifting.
    pub sifting_sigma: f64,
    /// Significance of the folded profile: χ² of `proflen − 1` degrees of freedom.
    pub prepfold_sigma: f64,
    /// Reduced χ² of the best folded profile.
    pub reduced_chi2: f64,
    /// Summed S/N of the harmonics from sifting.
    pub snr: f64,
    /// Coherent power of the harmonics.
    pub coherent_power: f64,
    /// Incoherent (summed) power.
    pub incoherent_power: f64,
    /// DM trials in which it was found.
    pub num_hits: u32,
    /// Harmonics summed.
    pub num_harmonics: u32,
    /// Fourier-frequency derivative z of the search candidate \[bins\].
    pub z: f64,
    /// Acceleration implied by z \[m/s²\].
    pub accel_m_s2: f64,
    /// Period found by the search, before folding \[s\].
    pub sifting_period_s: f64,
    /// DM found by the search, before folding.
    pub sifting_dm: f64,
    /// The fold looked impulsive (signal in one or two sub-integrations), not periodic.
    pub impulsive: bool,
    /// The search that found it (absent in older results: the acceleration search).
    #[serde(default)]
    pub search: CandidateSearch,
    /// Width of the search's best boxcar \[s\], where it measured one (the FFA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_width_s: Option<f64>,
    /// The diagnostic plot (PNG), relative to the results directory.
    pub plot_file: String,
    /// The fold file (PRESTO `.pfd` layout).
    pub pfd_file: String,
    /// The fold summary (PRESTO `.bestprof` layout).
    pub bestprof_file: String,
    /// The fold's ratings (`docs/ratings.md`); empty in results written
    /// before palfa rated folds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Rating>,
    /// The catalogued pulsar this candidate is, or is a harmonic of
    /// (`docs/known-pulsars.md`); absent when none matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_pulsar: Option<KnownPulsar>,
}

/// A catalogued pulsar that a candidate matches: its frequency is n/m times
/// the pulsar's, its DM is the pulsar's within tolerance, and the pulsar lies
/// in the beam (or, for a bright pulsar, in a far sidelobe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownPulsar {
    /// The pulsar's J2000 name (`J1903+0327`).
    pub name: String,
    /// Its B1950 name, if it has one (`B1937+21`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bname: Option<String>,
    /// n of the harmonic ratio: the candidate's frequency is n/m times the pulsar's.
    pub harmonic_n: u32,
    /// m of the harmonic ratio.
    pub harmonic_m: u32,
    /// The pulsar's period at the observation's epoch, from the catalogue's
    /// F0 and F1 (barycentric) \[s\].
    pub psr_period_s: f64,
    /// The pulsar's catalogued DM \[pc cm⁻³\].
    pub psr_dm: f64,
    /// Candidate period minus the pulsar's period times m/n \[s\].
    pub period_diff_s: f64,
    /// Candidate DM minus the pulsar's DM \[pc cm⁻³\].
    pub dm_diff: f64,
    /// Angle between the beam centre and the pulsar \[deg\].
    pub separation_deg: f64,
    /// Where the pulsar lies: `"main"` (in the beam or its first sidelobe) or
    /// `"far_sidelobe"` (a bright pulsar well off-axis).
    pub position: KnownPosition,
}

/// A catalogued pulsar within reach of a beam, and what the search found of
/// it: the survey's check that it sees the pulsars it should.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownInBeam {
    /// J2000 name.
    pub name: String,
    /// B1950 name, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bname: Option<String>,
    /// Its period at the observation's epoch \[s\].
    pub period_s: f64,
    /// Its DM \[pc cm⁻³\].
    pub dm: f64,
    /// Its catalogued flux density at 1400 MHz \[mJy\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s1400_mjy: Option<f64>,
    /// Angle from the beam centre \[deg\].
    pub separation_deg: f64,
    /// In the main beam or a far sidelobe.
    pub position: KnownPosition,
    /// The sifted candidates that are this pulsar, strongest first (empty:
    /// not detected).
    pub detections: Vec<KnownDetection>,
}

/// A sifted candidate that is a known pulsar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KnownDetection {
    /// Its rank among the sifted candidates (1 = best).
    pub sifted_rank: u32,
    /// Its `cand_num` when it was folded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cand_num: Option<u32>,
    /// Its period, as sifting found it \[s\].
    pub period_s: f64,
    /// Its DM, as sifting found it.
    pub dm: f64,
    /// Its sifting significance.
    pub sigma: f64,
    /// n of the ratio n/m of its frequency to the pulsar's.
    pub harmonic_n: u32,
    /// m of the ratio.
    pub harmonic_m: u32,
}

/// Where a known pulsar lies relative to the beam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KnownPosition {
    /// Within the beam radius plus the sidelobe margin.
    Main,
    /// Farther off-axis, within the far-sidelobe radius.
    FarSidelobe,
}

impl KnownPosition {
    /// `"main"` or `"far_sidelobe"`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::FarSidelobe => "far_sidelobe",
        }
    }
}

/// How a results directory was made: enough to say whether two are
/// comparable and to make one again (`palfa search --reproduce`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// palfa's version (the crates' version, `0.1.0`).
    pub palfa_version: String,
    /// The git commit palfa was built from (`unknown` outside a git checkout),
    /// with `-dirty` when the tree had uncommitted changes.
    pub git_commit: String,
    /// SHA-256 (hex) of [`config_toml`](Self::config_toml).
    pub config_sha256: String,
    /// The effective `[searching]` configuration, every key, as TOML.
    pub config_toml: String,
    /// The input files, in the order given.
    pub inputs: Vec<InputFile>,
    /// The machine that ran the search.
    pub host: HostInfo,
    /// When the search started (UTC, RFC 3339).
    pub started_at: String,
    /// When it finished (UTC, RFC 3339).
    pub finished_at: String,
}

/// One input file of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    /// The path it was read from (absolute).
    pub path: String,
    /// Its size \[bytes\].
    pub size: u64,
    /// SHA-256 of its contents (hex).
    pub sha256: String,
}

/// The machine that ran a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    /// Host name.
    pub hostname: String,
    /// CPU model name.
    pub cpu_model: String,
    /// Threads the search used.
    pub threads: usize,
    /// Operating system and architecture (`linux x86_64`).
    pub os: String,
}

/// One rating of a folded candidate: what one rater says about its fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// The rater's name (`dm0_peak_ratio`, `duty_cycle`, …).
    pub name: String,
    /// The rater's version: a value is comparable only with values of the same version.
    pub version: u32,
    /// The value; `None` when the fold does not allow it (one subband, no
    /// pulse to fit, no noise estimate).
    pub value: Option<f64>,
}

/// One group of single-pulse events (a pulse seen across neighbouring DMs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinglePulseGroup {
    /// DM of the strongest event.
    pub dm: f64,
    /// Time of the strongest event \[s\] (arrival at the top of the band).
    pub time_s: f64,
    /// Its significance.
    pub sigma: f64,
    /// Its boxcar width \[samples of its series\].
    pub downfact: u32,
    /// Events in the group.
    pub num_events: u32,
    /// DM range of the group.
    pub dm_range: (f64, f64),
}

/// Single-pulse search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SinglePulseResults {
    /// Detection threshold \[σ\].
    pub threshold: f64,
    /// Events above the threshold, all DMs.
    pub num_events: u64,
    /// Groups, strongest first.
    pub groups: Vec<SinglePulseGroup>,
    /// Archive of the `.singlepulse` files (tar), relative path.
    pub events_archive: String,
    /// Plots (PNG), relative paths.
    pub plots: Vec<String>,
}

/// The per-beam diagnostics of the original pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Diagnostics {
    /// "RFI mask percentage".
    pub rfi_mask_percentage: f64,
    /// "Num cands folded".
    pub num_cands_folded: u32,
    /// "Num cands produced" (by the acceleration search, all DMs).
    pub num_cands_produced: u32,
    /// "Min sigma folded" (0 if none).
    pub min_sigma_folded: f64,
    /// "Num cands above threshold" (sifted candidates at or above `to_prepfold_sigma`).
    pub num_cands_above_threshold: u32,
    /// "Sigma threshold" (`to_prepfold_sigma`).
    pub sigma_threshold: f64,
    /// "Max cands allowed to fold".
    pub max_cands_allowed_to_fold: u32,
    /// "Percent zapped total" (of the Fourier spectrum).
    pub percent_zapped_total: f64,
    /// "Percent zapped below 10 Hz".
    pub percent_zapped_below_10hz: f64,
    /// "Percent zapped below 1 Hz".
    pub percent_zapped_below_1hz: f64,
    /// "RFIfind png".
    pub rfifind_png: String,
    /// "Periodicty summary plot" (sic, the name the original uploaded).
    pub periodicity_summary_png: String,
    /// "Rejected cands plot".
    pub rejected_cands_png: String,
    /// "Sifting summary".
    pub sifting_summary: String,
    /// "Sifting report".
    pub sifting_report: String,
    /// "Accelcands list".
    pub accelcands_list: String,
    /// "Zaplist used".
    pub zaplist_used: String,
    /// "Search parameters".
    pub search_params: String,
}

/// Time spent in one stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    /// Stage name.
    pub stage: String,
    /// Wall-clock seconds (for the per-DM "(core-s)" rows: CPU seconds summed
    /// over threads).
    pub seconds: f64,
    /// CPU seconds the whole process used during the stage (user + system,
    /// all threads), where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
    /// Largest resident memory of the process seen during the stage \[MiB\]
    /// (sampled every 20 ms), where measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
}

/// `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// What was done.
    pub status: SearchStatus,
    /// Software version string.
    pub version: String,
    /// When the search finished (UTC, RFC 3339).
    pub processed_at: String,
    /// The observation.
    pub header: ObservationHeader,
    /// Folded candidates, best first.
    pub candidates: Vec<PeriodicityCandidate>,
    /// Single pulses.
    pub single_pulses: SinglePulseResults,
    /// Per-beam diagnostics.
    pub diagnostics: Diagnostics,
    /// DM trials searched.
    pub num_dm_trials: u32,
    /// Time per stage.
    pub timing: Vec<StageTiming>,
    /// Every product file in the directory (relative path) and its size
    /// \[bytes\], as the worker wrote it; [`read_dir`](Self::read_dir) checks
    /// each against the disk. Older results without it read as empty.
    #[serde(default)]
    pub file_sizes: BTreeMap<String, u64>,
    /// How the results were made; absent in results written before palfa
    /// recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// The catalogued pulsars in the beam (and bright ones detected in far
    /// sidelobes), each with the sifted candidates that are it
    /// (`docs/known-pulsars.md`); empty when none, or tagging is off.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known_pulsars: Vec<KnownInBeam>,
}

impl SearchResults {
    /// A small, complete `results.json` of a beam searched with nothing found
    /// and no product files: for tests and examples of programs that read
    /// results directories (write it with [`write_dir`](Self::write_dir)).
    pub fn example() -> Self {
        SearchResults {
            format_version: FORMAT_VERSION,
            status: SearchStatus::Searched,
            version: "palfa:example".into(),
            processed_at: "2026-01-01T00:00:00Z".into(),
            header: ObservationHeader {
                obs_name: "example".into(),
                beam_id: None,
                original_files: vec!["example.fil".into()],
                file_size: 0,
                source_name: "example".into(),
                telescope: "Arecibo".into(),
                backend: "example".into(),
                project_id: "example".into(),
                observers: String::new(),
                timestamp_mjd: 60_000.0,
                observation_time_s: 1.0,
                sample_time_s: 6.5476e-5,
                num_samples: 0,
                center_freq_mhz: 1375.0,
                channel_bandwidth_mhz: 0.33,
                num_channels: 960,
                bandwidth_mhz: 322.6,
                nbits: 8,
                num_ifs: 1,
                right_ascension: "19:00:00.0000".into(),
                declination: "+05:00:00.0000".into(),
                ra_deg: 285.0,
                dec_deg: 5.0,
                galactic_longitude: 39.0,
                galactic_latitude: -0.3,
            },
            candidates: Vec::new(),
            single_pulses: SinglePulseResults::default(),
            diagnostics: Diagnostics::default(),
            num_dm_trials: 0,
            timing: Vec::new(),
            file_sizes: BTreeMap::new(),
            provenance: None,
            known_pulsars: Vec::new(),
        }
    }

    /// Every file the results name, relative to the directory.
    pub fn referenced_files(&self) -> Vec<&str> {
        let d = &self.diagnostics;
        let mut v: Vec<&str> = [
            &d.rfifind_png,
            &d.periodicity_summary_png,
            &d.rejected_cands_png,
            &d.sifting_summary,
            &d.sifting_report,
            &d.accelcands_list,
            &d.zaplist_used,
            &d.search_params,
            &self.single_pulses.events_archive,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
        v.extend(self.single_pulses.plots.iter().map(String::as_str));
        for c in &self.candidates {
            v.extend([c.plot_file.as_str(), c.pfd_file.as_str(), c.bestprof_file.as_str()]);
        }
        v.retain(|s| !s.is_empty());
        v
    }

    /// Every results directory under `root` (searched recursively; a
    /// directory holding [`RESULTS_FILE`] is not searched further), in path
    /// order. Directories that cannot be read are skipped.
    pub fn find_dirs(root: impl AsRef<Path>) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![root.as_ref().to_path_buf()];
        while let Some(d) = stack.pop() {
            if d.join(RESULTS_FILE).is_file() {
                found.push(d);
                continue;
            }
            let Ok(entries) = std::fs::read_dir(&d) else { continue };
            stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        found.sort();
        found
    }

    /// The results directory under `root` whose beam was read from a file
    /// named `file_name` (one of its header's `original_files`), read and
    /// checked with [`read_dir`](Self::read_dir). `Ok(None)` when there is none.
    pub fn find_for_file(root: impl AsRef<Path>, file_name: &str) -> FormatResult<Option<(PathBuf, Self)>> {
        for dir in Self::find_dirs(root) {
            let r = Self::read_dir(&dir)?;
            if r.header.original_files.iter().any(|f| f == file_name) {
                return Ok(Some((dir, r)));
            }
        }
        Ok(None)
    }

    /// Reads `results.json` from `dir` and checks the directory against it:
    /// every file it names is there, and every file in
    /// [`file_sizes`](Self::file_sizes) has its recorded size.
    pub fn read_dir(dir: impl AsRef<Path>) -> FormatResult<Self> {
        let dir = dir.as_ref();
        let path = dir.join(RESULTS_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| FormatError::io(&path, e))?;
        let r: SearchResults = serde_json::from_str(&text).map_err(|e| {
            FormatError::new(
                &path,
                FormatErrorKind::Inconsistent(format!("not a palfa results file: {e}")),
            )
        })?;
        if r.format_version != FORMAT_VERSION {
            return Err(FormatError::new(
                &path,
                FormatErrorKind::Unsupported(format!(
                    "results format version {} (this palfa reads {FORMAT_VERSION})",
                    r.format_version
                )),
            ));
        }
        for f in r.referenced_files() {
            let p = safe_join(dir, f).ok_or_else(|| {
                FormatError::new(
                    &path,
                    FormatErrorKind::Inconsistent(format!("{f:?} leaves the results directory")),
                )
            })?;
            if !p.is_file() {
                return Err(FormatError::new(
                    &path,
                    FormatErrorKind::Inconsistent(format!("names {f}, which is missing")),
                ));
            }
        }
        for (f, &size) in &r.file_sizes {
            let p = safe_join(dir, f).ok_or_else(|| {
                FormatError::new(
                    &path,
                    FormatErrorKind::Inconsistent(format!("{f:?} leaves the results directory")),
                )
            })?;
            let on_disk = std::fs::metadata(&p)
                .map(|m| m.len())
                .map_err(|e| FormatError::io(&p, e))?;
            if on_disk != size {
                return Err(FormatError::new(
                    &path,
                    FormatErrorKind::Inconsistent(format!(
                        "{f} has {on_disk} bytes on disk, {size} when the search wrote it"
                    )),
                ));
            }
        }
        Ok(r)
    }

    /// Records the size of every regular file under `dir` (except
    /// `results.json`) in [`file_sizes`](Self::file_sizes).
    pub fn record_file_sizes(&mut self, dir: impl AsRef<Path>) -> FormatResult<()> {
        fn walk(root: &Path, rel: &Path, out: &mut BTreeMap<String, u64>) -> FormatResult<()> {
            let here = root.join(rel);
            for e in std::fs::read_dir(&here).map_err(|e| FormatError::io(&here, e))? {
                let e = e.map_err(|err| FormatError::io(&here, err))?;
                let rel_path = rel.join(e.file_name());
                let ft = e.file_type().map_err(|err| FormatError::io(e.path(), err))?;
                if ft.is_dir() {
                    walk(root, &rel_path, out)?;
                } else if ft.is_file() {
                    let name = rel_path.to_string_lossy().into_owned();
                    if name == RESULTS_FILE || name.ends_with(".tmp") {
                        continue;
                    }
                    let len = e.metadata().map_err(|err| FormatError::io(e.path(), err))?.len();
                    out.insert(name, len);
                }
            }
            Ok(())
        }
        let mut sizes = BTreeMap::new();
        walk(dir.as_ref(), Path::new(""), &mut sizes)?;
        self.file_sizes = sizes;
        Ok(())
    }

    /// Writes `results.json` into `dir` atomically and durably: to a
    /// temporary name, flushed to disk, renamed into place, and the directory
    /// flushed. A crash at any moment leaves either no `results.json` or the
    /// whole of it. Write (and [`sync_tree`]) every product first.
    pub fn write_dir(&self, dir: impl AsRef<Path>) -> FormatResult<()> {
        let dir = dir.as_ref();
        let path = dir.join(RESULTS_FILE);
        let tmp = dir.join(format!("{RESULTS_FILE}.tmp"));
        let text = serde_json::to_string_pretty(self).expect("results serialise");
        let io = |e| FormatError::io(&tmp, e);
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| FormatError::io(&path, e))?;
        sync_dir(dir)
    }
}

/// Flushes every file and directory under `dir` (and `dir` itself) to disk.
pub fn sync_tree(dir: &Path) -> FormatResult<()> {
    for e in std::fs::read_dir(dir).map_err(|e| FormatError::io(dir, e))? {
        let e = e.map_err(|err| FormatError::io(dir, err))?;
        let p = e.path();
        let ft = e.file_type().map_err(|err| FormatError::io(&p, err))?;
        if ft.is_dir() {
            sync_tree(&p)?;
        } else if ft.is_file() {
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(|err| FormatError::io(&p, err))?;
        }
    }
    sync_dir(dir)
}

/// Flushes a directory's entries (new names, renames) to disk.
fn sync_dir(dir: &Path) -> FormatResult<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(|e| FormatError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// `dir/rel` if `rel` is a plain relative path that stays inside `dir`.
pub fn safe_join(dir: &Path, rel: &str) -> Option<PathBuf> {
    let p = Path::new(rel);
    let ok = p.components().all(|c| matches!(c, std::path::Component::Normal(_)));
    ok.then(|| dir.join(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> SearchResults {
        SearchResults::example()
    }

    #[test]
    fn written_atomically_and_checked_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("plots")).unwrap();
        std::fs::write(d.join("plots/a.png"), b"12345").unwrap();
        let mut r = minimal();
        r.single_pulses.plots = vec!["plots/a.png".into()];
        r.record_file_sizes(d).unwrap();
        assert_eq!(r.file_sizes.get("plots/a.png"), Some(&5));
        sync_tree(d).unwrap();
        r.write_dir(d).unwrap();
        assert!(!d.join("results.json.tmp").exists());
        assert_eq!(SearchResults::read_dir(d).unwrap(), r);
        // A product cut short after the fact.
        std::fs::write(d.join("plots/a.png"), b"123").unwrap();
        let e = SearchResults::read_dir(d).unwrap_err().to_string();
        assert!(e.contains("3 bytes on disk, 5"), "{e}");
        // A product missing.
        std::fs::remove_file(d.join("plots/a.png")).unwrap();
        assert!(SearchResults::read_dir(d).is_err());
        // A truncated results.json is not results.
        std::fs::write(d.join("plots/a.png"), b"12345").unwrap();
        let text = std::fs::read_to_string(d.join(RESULTS_FILE)).unwrap();
        std::fs::write(d.join(RESULTS_FILE), &text[..text.len() / 2]).unwrap();
        let e = SearchResults::read_dir(d).unwrap_err().to_string();
        assert!(e.contains("not a palfa results file"), "{e}");
    }

    #[test]
    fn paths_must_stay_inside() {
        assert!(safe_join(Path::new("/r"), "plots/a.png").is_some());
        assert!(safe_join(Path::new("/r"), "../etc/passwd").is_none());
        assert!(safe_join(Path::new("/r"), "/etc/passwd").is_none());
    }
}
