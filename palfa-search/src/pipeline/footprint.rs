//! How much disk one beam's search needs: its working directory, which is
//! then delivered whole as the results directory. `palfa check --worker`
//! compares it with the free space of a worker node's directories.

use palfa_core::config::Searching;
use palfa_core::header::BeamHeader;

use super::{plan_dms, PREPARED_IN_MEMORY_BYTES};
use crate::dedisp::SampleCode;
use crate::fold::{usable_nsub, FoldParams};

/// Bytes per DM trial: its `.singlepulse` events (a few hundred lines at
/// most after the threshold) and its share of the single-pulse plots.
const PER_DM_TRIAL: u64 = 16 << 10;
/// Bytes per fold besides its `.pfd`: the PNG (about 0.45 MB measured) and
/// the `.bestprof`.
const PER_FOLD_EXTRA: u64 = 1 << 20;
/// Everything else: the RFI mask and statistics, plots, lists, `results.json`.
const FIXED: u64 = 32 << 20;

/// The disk a beam's search needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskFootprint {
    /// DM trials of the beam's plan.
    pub dm_trials: usize,
    /// Folds at most (`max_cands_to_fold`).
    pub folds: usize,
    /// The largest `.pfd` of one fold \[bytes\].
    pub pfd_bytes: u64,
    /// The beam prepared for dedispersion, when too large for memory
    /// ([`PREPARED_IN_MEMORY_BYTES`]): a spill file in the working
    /// directory while the beam is dedispersed, gone before the folds are
    /// written \[bytes\].
    pub spill_bytes: u64,
    /// The whole working directory, an upper estimate \[bytes\].
    pub bytes: u64,
}

/// An upper estimate of the working (and results) directory of a search of
/// the beam `header` describes with the settings `s`: every allowed fold at
/// the largest fold cube of PALFA's table, a `.singlepulse` file per DM
/// trial of the beam's DM plan, and the fixed products; or, if larger, the
/// prepared beam's spill file beside the single-pulse files.
///
/// ```
/// use palfa_core::config::Searching;
/// use palfa_core::header::BeamHeader;
/// use palfa_search::pipeline::disk_footprint;
/// let mut h = BeamHeader::for_band(960, 1214.4, 0.3361, 65.476e-6);
/// h.nsamples = 1 << 22;
/// h.nbits = 8;
/// let f = disk_footprint(&h, &Searching::default());
/// assert!(f.dm_trials > 1000 && f.bytes > 100 << 20);
/// // 8-bit samples: the spill file is one byte per sample.
/// assert_eq!(f.spill_bytes, 960 << 22);
/// assert!(f.bytes > f.spill_bytes && f.bytes < 5 << 30);
/// ```
pub fn disk_footprint(header: &BeamHeader, s: &Searching) -> DiskFootprint {
    let dm_trials = plan_dms(header, &s.dedisp).dms.len();
    let nsub = usable_nsub(header.nchans, s.dedisp.nsub) as u64;
    let cube = [1e-3, 1e-2, 0.1, 1.0]
        .iter()
        .map(|&p| {
            let f = FoldParams::palfa_for_period(p);
            (f.npart * f.nbins) as u64
        })
        .max()
        .unwrap_or(0);
    // The raw folds (f64) and seven statistics per (part, subband).
    let pfd_bytes = nsub * cube * 8 + nsub * 50 * 7 * 8 + (64 << 10);
    let folds = s.max_cands_to_fold;
    let prepared = header.nchans as u64 * header.nsamples * SampleCode::for_bits(header.nbits).bytes() as u64;
    let spill_bytes = if prepared > PREPARED_IN_MEMORY_BYTES {
        prepared
    } else {
        0
    };
    let singlepulse = dm_trials as u64 * PER_DM_TRIAL;
    // The spill file is gone before the folds are written.
    let bytes = (folds as u64 * (pfd_bytes + PER_FOLD_EXTRA)).max(spill_bytes) + singlepulse + FIXED;
    DiskFootprint {
        dm_trials,
        folds,
        pfd_bytes,
        spill_bytes,
        bytes,
    }
}
