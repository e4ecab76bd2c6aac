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

    /// Serialises in PRESTO's layout, little-endian.
    pub fn to_bytes(&self) -> FormatResult<Vec<u8>> {
        self.to_bytes_ordered(ByteOrder::Little)
    }

    /// Serialises in PRESTO's layout with the given byte order.
    pub fn to_bytes_ordered(&self, order: ByteOrder) -> FormatResult<Vec<u8>> {
        let mem = Path::new("<pfd in memory>");
        self.check(mem)?;
        let mut w = Writer { out: Vec::new(), order };
        let count = |n: usize, what: &str| -> FormatResult<i32> {
            i32::try_from(n).map_err(|_| {
                FormatError::new(
                    mem,
                    FormatErrorKind::Inconsistent(format!("{what} = {n} does not fit a 32-bit count")),
                )
            })
        };
        for v in [
            count(self.dms.len(), "numdms")?,
            count(self.periods.len(), "numperiods")?,
            count(self.pdots.len(), "numpdots")?,
            count(self.nsub, "nsub")?,
            count(self.npart, "npart")?,
            count(self.proflen, "proflen")?,
            count(self.numchan, "numchan")?,
            self.pstep,
            self.pdstep,
            self.dmstep,
            self.ndmfact,
            self.npfact,
        ] {
            w.i32(v);
        }
        for s in [&self.filenm, &self.candnm, &self.telescope, &self.pgdev] {
            w.i32(count(s.len(), "string length")?);
            w.out.extend_from_slice(s.as_bytes());
        }
        for s in [&self.rastr, &self.decstr] {
            let mut field = [0u8; 16];
            let b = s.as_bytes();
            let n = b.len().min(15);
            field[..n].copy_from_slice(&b[..n]);
            w.out.extend_from_slice(&field);
        }
        for v in [
            self.dt,
            self.start_t,
            self.end_t,
            self.tepoch,
            self.bepoch,
            self.avgvoverc,
            self.lofreq,
            self.chan_wid,
            self.bestdm,
        ] {
            w.f64(v);
        }
        for p in [&self.topo, &self.bary, &self.fold] {
            w.f32(p.pow);
            w.out.extend_from_slice(&[0u8; 4]);
            w.f64(p.p1);
            w.f64(p.p2);
            w.f64(p.p3);
        }
        let o = &self.orb;
        for v in [o.p, o.e, o.x, o.w, o.t, o.pd, o.wd] {
            w.f64(v);
        }
        for arr in [&self.dms, &self.periods, &self.pdots, &self.rawfolds] {
            arr.iter().for_each(|&v| w.f64(v));
        }
        for s in &self.stats {
            s.to_array().iter().for_each(|&v| w.f64(v));
        }
        Ok(w.out)
    }

    /// Parses a `.pfd` file's bytes; `path` names the file in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> FormatResult<Self> {
        if bytes.len() < 20 {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: "the header counts".into(),
                    expected: 48,
                    found: bytes.len() as u64,
                },
            ));
        }
        let lead: Vec<i32> = bytes[..20]
            .chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let order = if lead.iter().any(|v| v.unsigned_abs() > 100_000) {
            ByteOrder::Big
        } else {
            ByteOrder::Little
        };
        let mut r = Reader {
            bytes,
            pos: 0,
            order,
            path,
        };
        let mut ints = [0i32; 12];
        for v in ints.iter_mut() {
            *v = r.i32("the header counts")?;
        }
        let names = [
            "numdms",
            "numperiods",
            "numpdots",
            "nsub",
            "npart",
            "proflen",
            "numchan",
        ];
        for (name, &v) in names.iter().zip(&ints) {
            if !(0..=100_000_000).contains(&v) {
                return Err(FormatError::new(
                    path,
                    FormatErrorKind::BadKeyword {
                        key: (*name).into(),
                        value: v.to_string(),
                        reason: "not a plausible count (is this a .pfd file?)".into(),
                    },
                ));
            }
        }
        let [numdms, numperiods, numpdots, nsub, npart, proflen, numchan] =
            [0, 1, 2, 3, 4, 5, 6].map(|i| ints[i] as usize);
        // Check the whole size before allocating anything the counts ask for.
        let fixed_after_strings = 32 + 9 * 8 + 3 * 32 + 7 * 8;
        let arrays = (numdms + numperiods + numpdots) as u64 * 8
            + (npart as u64 * nsub as u64 * proflen as u64) * 8
            + (npart as u64 * nsub as u64) * 56;
        if (bytes.len() as u64) < 48 + fixed_after_strings as u64 + arrays {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: format!("{npart} parts × {nsub} subbands × {proflen} bins of folds"),
                    expected: 48 + 16 + fixed_after_strings as u64 + arrays,
                    found: bytes.len() as u64,
                },
            ));
        }
        let filenm = r.string("filenm")?;
        let candnm = r.string("candnm")?;
        let telescope = r.string("telescope")?;
        let pgdev = r.string("pgdev")?;
        let rastr = r.cstr16("rastr")?;
        let decstr = r.cstr16("decstr")?;
        let mut d9 = [0f64; 9];
        for v in d9.iter_mut() {
            *v = r.f64("the observation parameters")?;
        }
        let mut pos = [Position::default(); 3];
        for p in pos.iter_mut() {
            p.pow = r.f32("a position record")?;
            r.take(4, "a position record")?;
            p.p1 = r.f64("a position record")?;
            p.p2 = r.f64("a position record")?;
            p.p3 = r.f64("a position record")?;
        }
        let mut o = [0f64; 7];
        for v in o.iter_mut() {
            *v = r.f64("the orbit parameters")?;
        }
        let dms = r.f64s(numdms, "the trial DMs")?;
        let periods = r.f64s(numperiods, "the trial periods")?;
        let pdots = r.f64s(numpdots, "the trial period derivatives")?;
        let rawfolds = r.f64s(npart * nsub * proflen, "the folded profiles")?;
        let mut stats = Vec::with_capacity(npart * nsub);
        for _ in 0..npart * nsub {
            let mut a = [0f64; 7];
            for v in a.iter_mut() {
                *v = r.f64("the fold statistics")?;
            }
            stats.push(FoldStats::from_array(a));
        }
        Ok(Self {
            nsub,
            npart,
            proflen,
            numchan,
            pstep: ints[7],
            pdstep: ints[8],
            dmstep: ints[9],
            ndmfact: ints[10],
            npfact: ints[11],
            filenm,
            candnm,
            telescope,
            pgdev,
            rastr,
            decstr,
            dt: d9[0],
            start_t: d9[1],
            end_t: d9[2],
            tepoch: d9[3],
            bepoch: d9[4],
            avgvoverc: d9[5],
            lofreq: d9[6],
            chan_wid: d9[7],
            bestdm: d9[8],
            topo: pos[0],
            bary: pos[1],
            fold: pos[2],
            orb: OrbitParams {
                p: o[0],
                e: o[1],
                x: o[2],
                w: o[3],
                t: o[4],
                pd: o[5],
                wd: o[6],
            },
            dms,
            periods,
            pdots,
            rawfolds,
            stats,
            byte_order: order,
        })
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

struct Writer {
    out: Vec<u8>,
    order: ByteOrder,
}

impl Writer {
    fn i32(&mut self, v: i32) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn f32(&mut self, v: f32) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
    fn f64(&mut self, v: f64) {
        match self.order {
            ByteOrder::Little => self.out.extend_from_slice(&v.to_le_bytes()),
            ByteOrder::Big => self.out.extend_from_slice(&v.to_be_bytes()),
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    order: ByteOrder,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> FormatResult<&'a [u8]> {
        if self.bytes.len() - self.pos < n {
            return Err(FormatError::new(
                self.path,
                FormatErrorKind::Truncated {
                    what: what.to_string(),
                    expected: (self.pos + n) as u64,
                    found: self.bytes.len() as u64,
                },
            ));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> FormatResult<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        if self.order == ByteOrder::Big {
            a.reverse();
        }
        Ok(a)
    }

    fn i32(&mut self, what: &str) -> FormatResult<i32> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    fn f32(&mut self, what: &str) -> FormatResult<f32> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    fn f64(&mut self, what: &str) -> FormatResult<f64> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    fn f64s(&mut self, n: usize, what: &str) -> FormatResult<Vec<f64>> {
        (0..n).map(|_| self.f64(what)).collect()
    }

    fn string(&mut self, what: &str) -> FormatResult<String> {
        let n = self.i32(what)?;
        if n < 0 || n as usize > self.bytes.len() - self.pos {
            return Err(FormatError::new(
                self.path,
                FormatErrorKind::BadKeyword {
                    key: what.to_string(),
                    value: format!("length {n}"),
                    reason: "longer than the rest of the file".into(),
                },
            ));
        }
        Ok(String::from_utf8_lossy(self.take(n as usize, what)?).into_owned())
    }

    fn cstr16(&mut self, what: &str) -> FormatResult<String> {
        let b = self.take(16, what)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(16);
        Ok(String::from_utf8_lossy(&b[..end]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Pfd {
        let mut p = Pfd::new(3, 2, 5);
        p.numchan = 8;
        p.filenm = "beam.fil".into();
        p.candnm = "Cand_1".into();
        p.telescope = "Arecibo".into();
        p.pgdev = "beam_Cand_1.pfd.ps/CPS".into();
        p.rastr = "19:13:12.0000".into();
        p.decstr = "10:54:00.0000".into();
        p.dt = 65.476e-6;
        p.tepoch = 60000.5;
        p.lofreq = 1214.0;
        p.chan_wid = 0.336;
        p.bestdm = 131.4;
        p.topo = Position {
            pow: 0.0,
            p1: 0.0041573,
            p2: -1e-12,
            p3: 0.0,
        };
        p.fold = Position {
            pow: 0.0,
            p1: 240.5,
            p2: 1e-10,
            p3: 0.0,
        };
        p.dms = vec![130.0, 131.0, 132.0];
        p.periods = vec![0.1, 0.2];
        p.pdots = vec![1e-12, 2e-12];
        for (i, v) in p.rawfolds.iter_mut().enumerate() {
            *v = i as f64 * 1.5;
        }
        for (i, s) in p.stats.iter_mut().enumerate() {
            s.numdata = 100.0 + i as f64;
            s.data_avg = 2.0;
            s.data_var = 0.5;
            s.numprof = 5.0;
            s.prof_avg = 40.0;
            s.prof_var = 10.0;
            s.redchi = 1.1;
        }
        p
    }

    #[test]
    fn round_trip_both_byte_orders() {
        let p = sample();
        let le = p.to_bytes().unwrap();
        assert_eq!(Pfd::from_bytes(&le, Path::new("x")).unwrap(), p);
        let be = p.to_bytes_ordered(ByteOrder::Big).unwrap();
        assert_ne!(le, be);
        let back = Pfd::from_bytes(&be, Path::new("x")).unwrap();
        assert_eq!(back.byte_order, ByteOrder::Big);
        assert_eq!(
            Pfd {
                byte_order: ByteOrder::Little,
                ..back
            },
            p
        );
        // Layout size: 48 + strings + 32 + 72 + 96 + 56 + arrays.
        let strings: usize = [&p.filenm, &p.candnm, &p.telescope, &p.pgdev]
            .iter()
            .map(|s| 4 + s.len())
            .sum();
        assert_eq!(
            le.len(),
            48 + strings + 32 + 72 + 96 + 56 + (3 + 2 + 2 + 30) * 8 + 6 * 56
        );
    }

    #[test]
    fn truncated_and_garbage_files_are_refused() {
        let bytes = sample().to_bytes().unwrap();
        for cut in [0, 10, 47, 100, bytes.len() - 1] {
            assert!(Pfd::from_bytes(&bytes[..cut], Path::new("x")).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[20..24].copy_from_slice(&(-5i32).to_le_bytes());
        assert!(Pfd::from_bytes(&bad, Path::new("x")).is_err());
        assert!(Pfd::from_bytes(&[0xff; 200], Path::new("x")).is_err());
    }

    #[test]
    fn inconsistent_arrays_are_not_written() {
        let mut p = sample();
        p.rawfolds.pop();
        assert!(matches!(
            p.to_bytes().unwrap_err().kind,
            FormatErrorKind::Inconsistent(_)
        ));
    }
}
