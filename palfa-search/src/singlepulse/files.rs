//! Searching PRESTO `.dat`/`.inf` files in parallel and writing a
//! `.singlepulse` file next to each (what `single_pulse_search.py *.dat` does).

use std::path::{Path, PathBuf};

use palfa_core::formats::presto::{write_singlepulse, InfFile, SinglePulseEvent};
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

use palfa_core::names::{presto_base, with_suffix};

/// Reads the series `<base>.dat` + `<base>.inf` for any of those names.
pub fn read_series_file(path: &Path) -> SearchResult<TimeSeries> {
    TimeSeries::read(path)
}

/// Searches one file with `searcher` and writes `<base>.singlepulse`.
pub fn search_file(searcher: &mut SinglePulseSearcher, path: &Path) -> SearchResult<FileOutcome> {
    let series = read_series_file(path)?;
    let events = searcher.search(&series)?;
    let base = presto_base(path);
    let singlepulse = with_suffix(&base, ".singlepulse");
    write_singlepulse(&singlepulse, &events)?;
    Ok(FileOutcome {
        dat: with_suffix(&base, ".dat"),
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
        let b = presto_base(Path::new("/x/beam_DM12.30.dat"));
        assert_eq!(b, PathBuf::from("/x/beam_DM12.30"));
        assert_eq!(
            with_suffix(&b, ".singlepulse"),
            PathBuf::from("/x/beam_DM12.30.singlepulse")
        );
        assert_eq!(presto_base(Path::new("beam_DM0.00")), PathBuf::from("beam_DM0.00"));
    }
}
