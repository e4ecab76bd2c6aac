//! Writing a fold's files: PRESTO `.pfd` and `.bestprof`.

use std::path::Path;

use super::result::FoldResult;
use super::summary::bestprof_from;
use crate::error::SearchResult;

/// Writes the fold as a PRESTO `.pfd` file (little-endian), readable by
/// PRESTO's `show_pfd`, its Python `prepfold.pfd` class and the rating and
/// machine-learning tools built on it. The PGPLOT device recorded in the file
/// is `<file name>.ps/CPS`, as prepfold records it.
pub fn write_pfd(result: &FoldResult, path: impl AsRef<Path>) -> SearchResult<()> {
    let path = path.as_ref();
    let mut pfd = result.pfd.clone();
    if let Some(name) = path.file_name() {
        pfd.pgdev = format!("{}.ps/CPS", name.to_string_lossy());
    }
    pfd.write(path)?;
    Ok(())
}

/// Writes the fold's PRESTO `.bestprof` summary (conventionally `<name>.pfd.bestprof`).
pub fn write_bestprof(result: &FoldResult, path: impl AsRef<Path>) -> SearchResult<()> {
    bestprof_from(&result.pfd, &result.summary).write(path)?;
    Ok(())
}
