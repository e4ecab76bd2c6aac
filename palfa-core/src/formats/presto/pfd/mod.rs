//! PRESTO `.pfd` fold files: the binary output of `prepfold`.
//!
//! A `.pfd` holds the raw folded data cube — profiles of `proflen` bins for each
//! of `npart` sub-integrations × `nsub` subbands — with the statistics of the data
//! that went into each profile, the trial DMs, periods and period derivatives that
//! were searched, and the best values found. Candidate-rating and machine-learning
//! tools read this file, so palfa writes exactly PRESTO's layout
//! (`write_prepfoldinfo` in PRESTO's `src/prepfold_utils.c`):
//!
//! 1. `i32` × 12: numdms, numperiods, numpdots, nsub, npart, proflen, numchan,
//!    pstep, pdstep, dmstep, ndmfact, npfact;
//! 2. four strings, each an `i32` length and the bytes (no NUL): filenm, candnm,
//!    telescope, pgdev;
//! 3. `char[16]` rastr, `char[16]` decstr (NUL-padded);
//! 4. `f64` × 9: dt \[s\], startT, endT (fractions of the file), tepoch, bepoch
//!    (MJD), avgvoverc, lofreq \[MHz\], chan_wid \[MHz\], bestdm;
//! 5. three [`Position`] records topo, bary, fold (32 bytes each: `f32` pow,
//!    4 padding bytes, `f64` × 3);
//! 6. [`OrbitParams`]: `f64` × 7;
//! 7. `f64` dms\[numdms\], periods\[numperiods\], pdots\[numpdots\];
//! 8. `f64` rawfolds\[npart\]\[nsub\]\[proflen\] (part slowest, bin fastest);
//! 9. [`FoldStats`]\[npart\]\[nsub\], `f64` × 7 each.
//!
//! PRESTO writes the machine's byte order; [`Pfd::read`] detects big-endian files
//! the way PRESTO's Python reader does (no plausible leading count exceeds
//! 100 000) and palfa always writes little-endian.
//!
//! ```
//! use palfa_core::formats::presto::pfd::{FoldStats, Pfd};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut pfd = Pfd::new(2, 1, 8);
//! pfd.candnm = "test".into();
//! pfd.rawfolds.iter_mut().enumerate().for_each(|(i, v)| *v = i as f64);
//! let bytes = pfd.to_bytes()?;
//! let back = Pfd::from_bytes(&bytes, std::path::Path::new("mem.pfd"))?;
//! assert_eq!(back, pfd);
//! assert_eq!(back.profile(1, 0)[3], 11.0);
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};

mod codec;

/// Byte order of a `.pfd` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ByteOrder {
    /// Least significant byte first (x86, ARM): what palfa writes.
    #[default]
    Little,
    /// Most significant byte first (old SPARC / PowerPC machines).
    Big,
}

/// A spin (or frequency) solution: PRESTO's `position` record.
///
/// In the `topo` and `bary` records `p1, p2, p3` are period \[s\], period
/// derivative \[s/s\] and second derivative \[s/s²\]; in the `fold` record they are
/// the **frequency** \[Hz\], its derivative \[Hz/s\] and second derivative used to fold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    /// PRESTO uses it as a flag in the `fold` record: 1.0 when the data were
    /// barycentred before folding (the best values are then in `bary`).
    pub pow: f32,
    /// Period \[s\] (frequency \[Hz\] in the fold record).
    pub p1: f64,
    /// First derivative.
    pub p2: f64,
    /// Second derivative.
    pub p3: f64,
}

/// Binary orbit used while folding (all zero when none).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OrbitParams {
    /// Orbital period \[s\].
    pub p: f64,
    /// Eccentricity.
    pub e: f64,
    /// Projected semi-major axis \[lt-s\].
    pub x: f64,
    /// Longitude of periastron \[deg\].
    pub w: f64,
    /// Time since periastron \[s\].
    pub t: f64,
    /// Orbital period derivative.
    pub pd: f64,
    /// Periastron advance \[deg/yr\].
    pub wd: f64,
}

/// Statistics of the data folded into one profile: PRESTO's `foldstats`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FoldStats {
    /// Number of data samples folded.
    pub numdata: f64,
    /// Mean of those samples.
    pub data_avg: f64,
    /// Variance of those samples (divided by `numdata − 1`).
    pub data_var: f64,
    /// Number of profile bins.
    pub numprof: f64,
    /// Mean profile bin value (sum of the profile / bins).
    pub prof_avg: f64,
    /// Expected variance of a profile bin from noise alone: `data_var · numdata / numprof`.
    pub prof_var: f64,
    /// Reduced χ² of the profile against a flat one.
    pub redchi: f64,
}

impl FoldStats {
    fn to_array(self) -> [f64; 7] {
        [
            self.numdata,
            self.data_avg,
            self.data_var,
            self.numprof,
            self.prof_avg,
            self.prof_var,
            self.redchi,
        ]
    }

    fn from_array(a: [f64; 7]) -> Self {
        Self {
            numdata: a[0],
            data_avg: a[1],
            data_var: a[2],
            numprof: a[3],
            prof_avg: a[4],
            prof_var: a[5],
            redchi: a[6],
        }
    }
}

/// The contents of a `.pfd` file. Counts that the file stores (numdms,
/// numperiods, numpdots) are the lengths of the vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Pfd {
    /// Subbands (frequency slices) folded.
    pub nsub: usize,
    /// Sub-integrations (time slices) folded.
    pub npart: usize,
    /// Bins per profile.
    pub proflen: usize,
    /// Channels in the data (1 for a time series).
    pub numchan: usize,
    /// Period step of the search \[profile bins of drift over the observation\].
    pub pstep: i32,
    /// Period-derivative step \[profile bins\].
    pub pdstep: i32,
    /// DM step \[profile bins of delay at the lowest channel\].
    pub dmstep: i32,
    /// DM trials = 2·ndmfact·proflen + 1.
    pub ndmfact: i32,
    /// Period and period-derivative trials = 2·npfact·proflen + 1.
    pub npfact: i32,
    /// The data file folded.
    pub filenm: String,
    /// Candidate name.
    pub candnm: String,
    /// Telescope.
    pub telescope: String,
    /// PGPLOT device PRESTO plotted to (`<name>.pfd.ps/CPS`).
    pub pgdev: String,
    /// J2000 right ascension `hh:mm:ss.ssss` ("Unknown" if none).
    pub rastr: String,
    /// J2000 declination `dd:mm:ss.ssss` ("Unknown" if none).
    pub decstr: String,
    /// Sample time \[s\].
    pub dt: f64,
    /// Fraction of the file where folding started.
    pub start_t: f64,
    /// Fraction of the file where folding stopped.
    pub end_t: f64,
    /// Topocentric MJD of the fold's reference epoch (0 if not known).
    pub tepoch: f64,
    /// Barycentric MJD of the fold's reference epoch (0 if not barycentred).
    pub bepoch: f64,
    /// Mean topocentric velocity towards the source / c.
    pub avgvoverc: f64,
    /// Centre of the lowest channel \[MHz\].
    pub lofreq: f64,
    /// Channel width \[MHz\].
    pub chan_wid: f64,
    /// Best DM \[pc cm⁻³\].
    pub bestdm: f64,
    /// Best topocentric period, derivative, second derivative.
    pub topo: Position,
    /// Best barycentric period, derivative, second derivative.
    pub bary: Position,
    /// Frequency, derivative, second derivative used to fold.
    pub fold: Position,
    /// Orbit used to fold.
    pub orb: OrbitParams,
    /// Trial DMs.
    pub dms: Vec<f64>,
    /// Trial periods \[s\].
    pub periods: Vec<f64>,
    /// Trial period derivatives \[s/s\].
    pub pdots: Vec<f64>,
    /// Folded profiles `[npart][nsub][proflen]`.
    pub rawfolds: Vec<f64>,
    /// Statistics of each profile `[npart][nsub]`.
    pub stats: Vec<FoldStats>,
    /// Byte order the file was read in (palfa writes little-endian).
    pub byte_order: ByteOrder,
}

impl Pfd {
    /// An empty fold of the given shape: zero profiles and statistics, no trials,
    /// unknown position, one channel.
    pub fn new(npart: usize, nsub: usize, proflen: usize) -> Self {
        Self {
            nsub,
            npart,
            proflen,
            numchan: 1,
            pstep: 1,
            pdstep: 2,
            dmstep: 1,
            ndmfact: 1,
            npfact: 1,
            filenm: String::new(),
            candnm: String::new(),
            telescope: String::new(),
            pgdev: String::new(),
            rastr: "Unknown".into(),
            decstr: "Unknown".into(),
            dt: 0.0,
            start_t: 0.0,
            end_t: 1.0,
            tepoch: 0.0,
            bepoch: 0.0,
            avgvoverc: 0.0,
            lofreq: 0.0,
            chan_wid: 0.0,
            bestdm: 0.0,
            topo: Position::default(),
            bary: Position::default(),
            fold: Position::default(),
            orb: OrbitParams::default(),
            dms: Vec::new(),
            periods: Vec::new(),
            pdots: Vec::new(),
            rawfolds: vec![0.0; npart * nsub * proflen],
            stats: vec![FoldStats::default(); npart * nsub],
            byte_order: ByteOrder::Little,
        }
    }

    /// The profile of sub-integration `part`, subband `sub`.
    ///
    /// # Panics
    /// If `part ≥ npart` or `sub ≥ nsub`.
    pub fn profile(&self, part: usize, sub: usize) -> &[f64] {
        let start = (part * self.nsub + sub) * self.proflen;
        &self.rawfolds[start..start + self.proflen]
    }

    /// The statistics of sub-integration `part`, subband `sub`.
    ///
    /// # Panics
    /// If `part ≥ npart` or `sub ≥ nsub`.
    pub fn stat(&self, part: usize, sub: usize) -> &FoldStats {
        &self.stats[part * self.nsub + sub]
    }

    /// True when the data were barycentred before folding (`fold.pow == 1`): the
    /// best values are then in `bary`, otherwise in `topo`.
    pub fn is_barycentric(&self) -> bool {
        self.fold.pow == 1.0
    }

    /// Centre frequency of the highest channel of subband `sub` \[MHz\], the
    /// frequency PRESTO dedisperses each subband to.
    pub fn subband_top_freq(&self, sub: usize) -> f64 {
        let chan_per_sub = (self.numchan / self.nsub.max(1)).max(1);
        let subwidth = self.chan_wid * chan_per_sub as f64;
        self.lofreq + subwidth - self.chan_wid + sub as f64 * subwidth
    }

    /// Centre frequency of the highest channel \[MHz\].
    pub fn hifreq(&self) -> f64 {
        self.lofreq + (self.numchan as f64 - 1.0) * self.chan_wid
    }

    /// Checks that the arrays have the sizes the counts imply.
    pub fn check(&self, path: &Path) -> FormatResult<()> {
        let cube = self.npart * self.nsub * self.proflen;
        if self.rawfolds.len() != cube || self.stats.len() != self.npart * self.nsub {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Inconsistent(format!(
                    "{} parts × {} subbands × {} bins need {cube} profile values and {} statistics, \
                     but there are {} and {}",
                    self.npart,
                    self.nsub,
                    self.proflen,
                    self.npart * self.nsub,
                    self.rawfolds.len(),
                    self.stats.len()
                )),
            ));
        }
        Ok(())
    }

    /// Reads a `.pfd` file.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
        Self::from_bytes(&bytes, path)
    }

    /// Writes a `.pfd` file (little-endian).
    pub fn write(&self, path: impl AsRef<Path>) -> FormatResult<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes().map_err(|e| FormatError::new(path, e.kind))?;
        std::fs::write(path, bytes).map_err(|e| FormatError::io(path, e))
    }
}

#[cfg(test)]
mod tests;
