//! Searching PRESTO `.dat`/`.inf` files in parallel and writing a
//! `.singlepulse` file next to each (what `single_pulse_search.py *.dat` does).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use palfa_core::formats::presto::{read_dat, write_singlepulse, InfFile, SinglePulseEvent};
use rayon::prelude::*;

use super::config::SinglePulseConfig;
use super::search::SinglePulseSearcher;
use crate::error::SearchResult;
use crate::series::TimeSeries;

/// What the search of one file gave.
#[derive(Debug, Clone)]
pub struct FileOutcome {
    /// The `.dat` file searched.
    pub dat: PathBuf,
    /// The `.singlepulse` file written.
    pub singlepulse: PathBuf,
    /// The series' `.inf` metadata.
    pub info: InfFile,
    /// The events, sorted by sample.
    pub events: Vec<SinglePulseEvent>,
    /// Detrending blocks not searched (bad, flat or non-finite) and all blocks.
    pub rejected_blocks: (usize, usize),
}

/// The base name of a PRESTO series file: the path without a final `.dat`,
/// `.inf` or `.singlepulse` (other dots, as in `beam_DM12.30`, are kept).
pub fn series_base(path: &Path) -> PathBuf {
    let s = path.as_os_str().to_string_lossy();
    for ext in [".dat", ".inf", ".singlepulse"] {
        if let Some(stripped) = s.strip_suffix(ext) {
            return PathBuf::from(stripped);
        }
    }
    path.to_path_buf()
}

/// `base` with `ext` (no dot) appended: `beam_DM12.30` + `inf` = `beam_DM12.30.inf`.
pub fn with_suffix(base: &Path, ext: &str) -> PathBuf {
    let mut s = OsString::from(base.as_os_str());
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Reads the series `<base>.dat` + `<base>.inf` for any of those names.
pub fn read_series_file(path: &Path) -> SearchResult<TimeSeries> {
    let base = series_base(path);
    let info = InfFile::read(with_suffix(&base, "inf"))?;
    let dat = with_suffix(&base, "dat");
    let mut data = read_dat(&dat)?;
    if (data.len() as u64) < info.n {
        return Err(palfa_core::FormatError::new(
            &dat,
            palfa_core::FormatErrorKind::Truncated {
                what: format!("{} samples promised by the .inf", info.n),
                expected: info.n * 4,
                found: data.len() as u64 * 4,
            },
        )
        .into());
    }
    data.truncate(info.n as usize);
    Ok(TimeSeries { info, data })
}

/// Searches one file with `searcher` and writes `<base>.singlepulse`.
pub fn search_file(searcher: &mut SinglePulseSearcher, path: &Path) -> SearchResult<FileOutcome> {
    let series = read_series_file(path)?;
    let events = searcher.search(&series)?;
    let base = series_base(path);
    let singlepulse = with_suffix(&base, "singlepulse");
    write_singlepulse(&singlepulse, &events)?;
    Ok(FileOutcome {
        dat: with_suffix(&base, "dat"),
        singlepulse,
        info: series.info,
        events,
        rejected_blocks: searcher.rejected_blocks(),
    })
}

/// Searches every file in parallel (rayon; one searcher per worker thread),
/// writing each `.singlepulse` beside its `.dat`. Results come in the order of
/// `paths`; a file that fails does not stop the others. `on_done` is called
/// after each file (for progress).
pub fn search_files(
    paths: &[PathBuf],
    cfg: &SinglePulseConfig,
    on_done: &(dyn Fn() + Sync),
) -> Vec<SearchResult<FileOutcome>> {
    paths
        .par_iter()
        .map_init(
            || SinglePulseSearcher::new(cfg.clone()),
            |searcher, p| {
                let r = search_file(searcher, p);
                on_done();
                r
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names_keep_dm_decimals() {
        let b = series_base(Path::new("/x/beam_DM12.30.dat"));
        assert_eq!(b, PathBuf::from("/x/beam_DM12.30"));
        assert_eq!(
            with_suffix(&b, "singlepulse"),
            PathBuf::from("/x/beam_DM12.30.singlepulse")
        );
        assert_eq!(series_base(Path::new("beam_DM0.00")), PathBuf::from("beam_DM0.00"));
    }
}
