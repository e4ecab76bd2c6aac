//! Where a prepared beam's bytes live: in memory, or in a spill file that
//! the operating system removes when it is closed (even if the process is
//! killed: the file has no name once created).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{SearchError, SearchResult};

pub(super) enum Backing {
    Memory(Vec<u8>),
    Spill { file: File, dir: PathBuf },
}

impl Backing {
    /// `bytes` in memory when at most `memory_limit`, else in a spill file in `dir`.
    pub(super) fn new(bytes: u64, memory_limit: u64, dir: &Path) -> SearchResult<Self> {
        if bytes <= memory_limit {
            let len = usize::try_from(bytes)
                .map_err(|_| SearchError::Params(format!("{bytes} bytes do not fit this machine's memory")))?;
            return Ok(Self::Memory(vec![0; len]));
        }
        let file = tempfile::tempfile_in(dir).map_err(|e| SearchError::io(dir, e))?;
        Ok(Self::Spill {
            file,
            dir: dir.to_path_buf(),
        })
    }

    pub(super) fn is_spilled(&self) -> bool {
        matches!(self, Self::Spill { .. })
    }

    /// The bytes at `[offset, offset + len)` when in memory.
    pub(super) fn slice(&self, offset: u64, len: usize) -> Option<&[u8]> {
        match self {
            Self::Memory(v) => Some(&v[offset as usize..offset as usize + len]),
            Self::Spill { .. } => None,
        }
    }

    pub(super) fn write_at(&mut self, offset: u64, bytes: &[u8]) -> SearchResult<()> {
        match self {
            Self::Memory(v) => {
                v[offset as usize..offset as usize + bytes.len()].copy_from_slice(bytes);
                Ok(())
            }
            Self::Spill { file, dir } => file.write_all_at(bytes, offset).map_err(|e| spill_error(dir, e)),
        }
    }

    pub(super) fn read_at(&self, offset: u64, out: &mut [u8]) -> SearchResult<()> {
        match self {
            Self::Memory(v) => {
                out.copy_from_slice(&v[offset as usize..offset as usize + out.len()]);
                Ok(())
            }
            Self::Spill { file, dir } => file.read_exact_at(out, offset).map_err(|e| spill_error(dir, e)),
        }
    }
}

fn spill_error(dir: &Path, e: std::io::Error) -> SearchError {
    SearchError::io(dir.join("(the prepared beam's spill file)"), e)
}
