//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use palfa_core::beam::SpectraSource;

/// Most spectra a target reads from one input (so one input cannot run for ever).
pub const MAX_SPECTRA: u64 = 1 << 20;

/// Largest read buffer a target allocates itself \[f32 values\]; a source with more
/// channels than this is only opened, not read.
pub const MAX_BUF_VALUES: usize = 1 << 22;

/// A file under `/dev/shm` (or the temp dir) holding one fuzz input, removed on drop.
///
/// The name is unique per process and per call, so several fuzz processes (and the
/// two halves of a Mock pair) never share a file.
pub struct TempInput {
    path: PathBuf,
}

impl TempInput {
    /// Writes `bytes` to a fresh file whose name ends with `suffix`.
    pub fn new(suffix: &str, bytes: &[u8]) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = Path::new("/dev/shm");
        let dir = if dir.is_dir() {
            dir.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let n = N.fetch_add(1, Ordering::Relaxed) % 4;
        let path = dir.join(format!("palfa-fuzz-{}-{n}{suffix}", std::process::id()));
        std::fs::write(&path, bytes).expect("write the fuzz input file");
        Self { path }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempInput {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Reads every spectrum of `src` through [`SpectraSource`], then seeks back to the
/// start and to the middle and reads a little again, so the data path is exercised
/// as well as the header. Errors end the reading (they are fine); panics are bugs.
pub fn drain(src: &mut dyn SpectraSource) {
    let nchans = src.header().nchans;
    let _ = src.header().duration_s();
    if nchans == 0 || nchans > MAX_BUF_VALUES {
        return;
    }
    let per_read = (MAX_BUF_VALUES / 16 / nchans).clamp(1, 4096);
    let mut buf = vec![0f32; per_read * nchans];
    let mut total = 0u64;
    while total < MAX_SPECTRA {
        match src.read_spectra(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                assert!(n <= per_read, "read_spectra returned more spectra than fit");
                total += n as u64;
            }
        }
    }
    for at in [0, total / 2, total + 1] {
        if src.seek(at).is_ok() {
            let _ = src.read_spectra(&mut buf[..nchans]);
        }
    }
}
