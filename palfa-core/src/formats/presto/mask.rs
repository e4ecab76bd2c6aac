//! PRESTO `.mask` files: which channels of which time intervals are RFI.
//!
//! rfifind writes a mask; prepsubband, prepdata and prepfold read it (`-mask`)
//! and replace the masked samples. [`RfiMask`] holds exactly what the file holds,
//! in PRESTO's layout (`write_mask`/`read_mask` in PRESTO's `src/mask.c`), so
//! masks made by palfa work with PRESTO's tools and the other way round.
//!
//! # Layout
//! Native byte order, which is little-endian on every machine PRESTO runs on
//! (palfa writes little-endian and reads either order); `int` is 4 bytes:
//!
//! | field | type |
//! |---|---|
//! | timesigma, freqsigma | f64, f64 (the thresholds used) |
//! | mjd | f64 (MJD of the first sample) |
//! | dtint | f64 (interval length \[s\]) |
//! | lofreq | f64 (centre of the lowest channel \[MHz\]) |
//! | dfreq | f64 (channel width \[MHz\], positive) |
//! | numchan, numint, ptsperint | i32 × 3 |
//! | nzap, zapchans\[nzap\] | i32, i32 × nzap (list absent when nzap = 0) |
//! | nzapint, zapints\[nzapint\] | i32, i32 × nzapint (absent when 0) |
//! | num_chans_per_int\[numint\] | i32 × numint |
//! | per interval with 0 < count < numchan: its channels | i32 × count |
//!
//! An interval whose count equals `numchan` has no list in the file: all its
//! channels are masked (PRESTO's `read_mask` fills the list in; so does [`RfiMask::read`]).
//!
//! # Channel numbering
//! Channel 0 is the **lowest** frequency, as everywhere in palfa. PRESTO numbers
//! mask channels the same way: its raw-data readers hand rfifind spectra lowest
//! frequency first (`convert_filterbank_block` in `src/sigproc_fb.c` reverses
//! SIGPROC's descending channels; `src/psrfits.c` sets `apply_flipband` when the
//! band descends), and the mask's `lofreq` is the centre of that lowest channel
//! with a positive `dfreq` (`fill_mask` in `src/rfifind_plot.c`).
//!
//! ```
//! use palfa_core::formats::presto::RfiMask;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut mask = RfiMask::empty(64, 10, 32768, 32768.0 * 64e-6);
//! mask.zap_chans = vec![5];
//! mask.chans_per_int[3] = vec![10, 11];
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("beam_rfifind.mask");
//! mask.write(&path)?;
//! let back = RfiMask::read(&path)?;
//! assert_eq!(back, mask);
//! assert!(back.is_masked(3, 11) && back.is_masked(7, 5) && !back.is_masked(7, 6));
//! assert_eq!(back.interval_of(4 * 32768 + 1), 4);
//! assert!((back.masked_fraction() - (10.0 + 2.0) / 640.0).abs() < 1e-12);
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};

/// Size of the fixed part of the header: 6 doubles and 3 ints \[bytes\].
const FIXED_BYTES: usize = 6 * 8 + 3 * 4;

/// Most channels a mask may have (2²⁰, far more than any spectrometer): a larger
/// `numchan` is refused rather than allocated for.
pub const MAX_MASK_CHANNELS: usize = 1 << 20;

/// Most masked cells (channels summed over the intervals' lists, an interval
/// with every channel masked counting `numchan`) a mask may hold: 2²⁶, 512 MiB
/// of lists. A larger mask is refused rather than allocated for.
pub const MAX_MASK_CELLS: usize = 1 << 26;

/// An RFI mask in PRESTO's `.mask` form.
///
/// A cell (interval, channel) is masked if the channel is in
/// [`zap_chans`](Self::zap_chans), the interval in [`zap_ints`](Self::zap_ints),
/// or the channel in that interval's list [`chans_per_int`](Self::chans_per_int).
/// rfifind also lists the zapped channels and intervals in the per-interval
/// lists, but a mask need not.
#[derive(Debug, Clone, PartialEq)]
pub struct RfiMask {
    /// Time-domain threshold used to make the mask \[σ\].
    pub timesigma: f64,
    /// Frequency-domain threshold used to make the mask \[σ\].
    pub freqsigma: f64,
    /// MJD of the first sample.
    pub mjd: f64,
    /// Length of one interval \[s\] (`ptsperint · tsamp`).
    pub dtint: f64,
    /// Centre frequency of channel 0, the lowest \[MHz\].
    pub lofreq: f64,
    /// Channel width \[MHz\], positive.
    pub dfreq: f64,
    /// Number of channels.
    pub numchan: usize,
    /// Number of intervals (the last may be shorter than the others in the data).
    pub numint: usize,
    /// Spectra per interval.
    pub ptsperint: usize,
    /// Channels masked in every interval (sorted).
    pub zap_chans: Vec<usize>,
    /// Intervals masked in every channel (sorted).
    pub zap_ints: Vec<usize>,
    /// For each interval, its masked channels (sorted); `numint` lists.
    pub chans_per_int: Vec<Vec<usize>>,
}

impl RfiMask {
    /// A mask of `numchan × numint` cells with nothing masked; thresholds, MJD
    /// and frequencies zero (set them as needed).
    pub fn empty(numchan: usize, numint: usize, ptsperint: usize, dtint: f64) -> Self {
        Self {
            timesigma: 0.0,
            freqsigma: 0.0,
            mjd: 0.0,
            dtint,
            lofreq: 0.0,
            dfreq: 0.0,
            numchan,
            numint,
            ptsperint,
            zap_chans: Vec::new(),
            zap_ints: Vec::new(),
            chans_per_int: vec![Vec::new(); numint],
        }
    }

    /// Is channel `chan` of interval `interval` masked? `false` for a cell outside the mask.
    pub fn is_masked(&self, interval: usize, chan: usize) -> bool {
        if interval >= self.numint || chan >= self.numchan {
            return false;
        }
        self.zap_ints.contains(&interval)
            || self.zap_chans.contains(&chan)
            || self.chans_per_int[interval].contains(&chan)
    }

    /// Fills `out` (length `numchan`) with the masked state of every channel of `interval`.
    ///
    /// # Panics
    /// If `out.len() != numchan`.
    pub fn channel_flags(&self, interval: usize, out: &mut [bool]) {
        assert_eq!(out.len(), self.numchan, "one flag per channel");
        out.fill(false);
        if interval >= self.numint {
            return;
        }
        if self.zap_ints.contains(&interval) {
            out.fill(true);
            return;
        }
        for &c in self.zap_chans.iter().chain(&self.chans_per_int[interval]) {
            if let Some(f) = out.get_mut(c) {
                *f = true;
            }
        }
    }

    /// The interval holding spectrum `sample`; samples past the end belong to the
    /// last interval (as in PRESTO's `check_mask`).
    pub fn interval_of(&self, sample: u64) -> usize {
        let i = sample / self.ptsperint.max(1) as u64;
        (i.min(self.numint.saturating_sub(1) as u64)) as usize
    }

    /// Fraction of the `numint × numchan` cells that are masked (0 for an empty mask).
    /// This is the "RFI mask percentage" diagnostic, divided by 100.
    pub fn masked_fraction(&self) -> f64 {
        let total = self.numint * self.numchan;
        if total == 0 {
            return 0.0;
        }
        let mut flags = vec![false; self.numchan];
        let mut masked = 0usize;
        for i in 0..self.numint {
            self.channel_flags(i, &mut flags);
            masked += flags.iter().filter(|&&f| f).count();
        }
        masked as f64 / total as f64
    }

    /// Serialises in PRESTO's layout (little-endian). Each interval's list is
    /// written sorted and without duplicates; `path` names the file in errors.
    pub fn to_bytes(&self, path: &Path) -> FormatResult<Vec<u8>> {
        let bad = |m: String| FormatError::new(path, FormatErrorKind::Inconsistent(m));
        if self.chans_per_int.len() != self.numint {
            return Err(bad(format!(
                "{} per-interval channel lists for {} intervals",
                self.chans_per_int.len(),
                self.numint
            )));
        }
        let int32 = |v: usize, what: &str| -> FormatResult<[u8; 4]> {
            i32::try_from(v)
                .map(i32::to_le_bytes)
                .map_err(|_| bad(format!("{what} = {v} does not fit a 4-byte int")))
        };
        let mut out = Vec::with_capacity(FIXED_BYTES + 4 * (self.numint + 2));
        for v in [
            self.timesigma,
            self.freqsigma,
            self.mjd,
            self.dtint,
            self.lofreq,
            self.dfreq,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&int32(self.numchan, "numchan")?);
        out.extend_from_slice(&int32(self.numint, "numint")?);
        out.extend_from_slice(&int32(self.ptsperint, "ptsperint")?);
        for (list, what, limit) in [
            (&self.zap_chans, "zapped channel", self.numchan),
            (&self.zap_ints, "zapped interval", self.numint),
        ] {
            let list = sorted_unique(list);
            out.extend_from_slice(&int32(list.len(), what)?);
            for v in list {
                if v >= limit {
                    return Err(bad(format!(
                        "{what} {v} is beyond the last ({})",
                        limit.saturating_sub(1)
                    )));
                }
                out.extend_from_slice(&int32(v, what)?);
            }
        }
        let lists: Vec<Vec<usize>> = self.chans_per_int.iter().map(|l| sorted_unique(l)).collect();
        for (i, l) in lists.iter().enumerate() {
            if let Some(&c) = l.iter().find(|&&c| c >= self.numchan) {
                return Err(bad(format!("interval {i} lists channel {c} of {}", self.numchan)));
            }
            out.extend_from_slice(&int32(l.len(), "channels in an interval")?);
        }
        for l in &lists {
            if !l.is_empty() && l.len() < self.numchan {
                for &c in l {
                    out.extend_from_slice(&int32(c, "channel")?);
                }
            }
        }
        Ok(out)
    }

    /// Writes the mask to `path` in PRESTO's layout.
    pub fn write(&self, path: impl AsRef<Path>) -> FormatResult<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes(path)?;
        std::fs::write(path, bytes).map_err(|e| FormatError::io(path, e))
    }

    /// Reads a mask file written by PRESTO or palfa.
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
        Self::from_bytes(&bytes, path)
    }

    /// Parses the bytes of a mask file; `path` names it in errors. Little-endian
    /// is tried first; a file that only parses as big-endian is read as such.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> FormatResult<Self> {
        Self::parse(bytes, path, false).or_else(|little| Self::parse(bytes, path, true).map_err(|_| little))
    }

    fn parse(bytes: &[u8], path: &Path, big: bool) -> FormatResult<Self> {
        if bytes.len() < FIXED_BYTES {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: "the mask header".into(),
                    expected: FIXED_BYTES as u64 + 4,
                    found: bytes.len() as u64,
                },
            ));
        }
        let mut r = Reader { bytes, pos: 0, big };
        let trunc = |what: &str, need: usize| {
            FormatError::new(
                path,
                FormatErrorKind::Truncated {
                    what: what.to_string(),
                    expected: need as u64,
                    found: bytes.len() as u64,
                },
            )
        };
        let bad = |m: String| FormatError::new(path, FormatErrorKind::Inconsistent(m));
        let mut f = [0f64; 6];
        for v in &mut f {
            *v = r.f64().ok_or_else(|| trunc("the mask header", FIXED_BYTES))?;
        }
        let count = |r: &mut Reader, what: &str| -> FormatResult<usize> {
            let v = r.i32().ok_or_else(|| trunc(what, r.pos + 4))?;
            usize::try_from(v).map_err(|_| bad(format!("{what} is negative ({v})")))
        };
        let numchan = count(&mut r, "numchan")?;
        let numint = count(&mut r, "numint")?;
        let ptsperint = count(&mut r, "ptsperint")?;
        if numchan == 0 {
            return Err(FormatError::new(path, FormatErrorKind::ZeroChannels));
        }
        if ptsperint == 0 {
            return Err(bad("ptsperint is 0".into()));
        }
        if numchan > MAX_MASK_CHANNELS {
            return Err(FormatError::new(
                path,
                FormatErrorKind::BadKeyword {
                    key: "numchan".into(),
                    value: numchan.to_string(),
                    reason: format!("more than {MAX_MASK_CHANNELS} channels (is this a mask file?)"),
                },
            ));
        }
        let list = |r: &mut Reader, n: usize, limit: usize, what: &str| -> FormatResult<Vec<usize>> {
            let need = r.pos + 4 * n;
            if need > bytes.len() {
                return Err(trunc(what, need));
            }
            (0..n)
                .map(|_| {
                    let v = r.i32().ok_or_else(|| trunc(what, need))?;
                    usize::try_from(v)
                        .ok()
                        .filter(|&v| v < limit)
                        .ok_or_else(|| bad(format!("{what}: {v} is outside 0..{limit}")))
                })
                .collect()
        };
        let nzap = count(&mut r, "the number of zapped channels")?;
        let zap_chans = list(&mut r, nzap, numchan, "zapped channels")?;
        let nzapint = count(&mut r, "the number of zapped intervals")?;
        let zap_ints = list(&mut r, nzapint, numint, "zapped intervals")?;
        let counts = list(&mut r, numint, numchan + 1, "channels per interval")?;
        let cells: usize = counts.iter().sum();
        if cells > MAX_MASK_CELLS {
            return Err(FormatError::new(
                path,
                FormatErrorKind::BadKeyword {
                    key: "channels per interval".into(),
                    value: format!("{cells} in all"),
                    reason: format!("more than {MAX_MASK_CELLS} masked cells"),
                },
            ));
        }
        let mut chans_per_int = Vec::with_capacity(numint);
        for (i, &n) in counts.iter().enumerate() {
            chans_per_int.push(if n == numchan {
                (0..numchan).collect()
            } else if n > 0 {
                list(&mut r, n, numchan, &format!("the channel list of interval {i}"))?
            } else {
                Vec::new()
            });
        }
        if r.pos != bytes.len() {
            return Err(bad(format!(
                "{} bytes follow the last channel list (at byte {})",
                bytes.len() - r.pos,
                r.pos
            )));
        }
        Ok(Self {
            timesigma: f[0],
            freqsigma: f[1],
            mjd: f[2],
            dtint: f[3],
            lofreq: f[4],
            dfreq: f[5],
            numchan,
            numint,
            ptsperint,
            zap_chans,
            zap_ints,
            chans_per_int,
        })
    }
}

fn sorted_unique(v: &[usize]) -> Vec<usize> {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

/// A cursor over the file's bytes in one byte order.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    big: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let b: [u8; N] = self.bytes.get(self.pos..self.pos + N)?.try_into().ok()?;
        self.pos += N;
        Some(b)
    }

    fn i32(&mut self) -> Option<i32> {
        let b = self.take::<4>()?;
        Some(if self.big {
            i32::from_be_bytes(b)
        } else {
            i32::from_le_bytes(b)
        })
    }

    fn f64(&mut self) -> Option<f64> {
        let b = self.take::<8>()?;
        Some(if self.big {
            f64::from_be_bytes(b)
        } else {
            f64::from_le_bytes(b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mask file assembled field by field as PRESTO's `write_mask` lays it out.
    fn presto_bytes(big: bool) -> Vec<u8> {
        let mut b = Vec::new();
        let d = |b: &mut Vec<u8>, v: f64| b.extend(if big { v.to_be_bytes() } else { v.to_le_bytes() });
        let i = |b: &mut Vec<u8>, v: i32| b.extend(if big { v.to_be_bytes() } else { v.to_le_bytes() });
        for v in [10.0, 4.0, 55000.25, 2.097152, 1214.5, 0.336] {
            d(&mut b, v);
        }
        // numchan 8, numint 4, ptsperint 32768
        for v in [8, 4, 32768] {
            i(&mut b, v);
        }
        // two zapped channels, no zapped interval
        for v in [2, 0, 7] {
            i(&mut b, v);
        }
        i(&mut b, 0);
        // counts per interval: 2 (just the zapped ones), 3, 8 (all: no list), 0 (no list)
        for v in [2, 3, 8, 0] {
            i(&mut b, v);
        }
        for v in [0, 7] {
            i(&mut b, v);
        }
        for v in [0, 4, 7] {
            i(&mut b, v);
        }
        b
    }

    #[test]
    fn parses_a_mask_in_presto_layout() {
        for big in [false, true] {
            let m = RfiMask::from_bytes(&presto_bytes(big), Path::new("x.mask")).unwrap();
            assert_eq!((m.timesigma, m.freqsigma, m.mjd), (10.0, 4.0, 55000.25));
            assert_eq!((m.dtint, m.lofreq, m.dfreq), (2.097152, 1214.5, 0.336));
            assert_eq!((m.numchan, m.numint, m.ptsperint), (8, 4, 32768));
            assert_eq!(m.zap_chans, vec![0, 7]);
            assert!(m.zap_ints.is_empty());
            assert_eq!(m.chans_per_int[0], vec![0, 7]);
            assert_eq!(m.chans_per_int[1], vec![0, 4, 7]);
            assert_eq!(m.chans_per_int[2], (0..8).collect::<Vec<_>>());
            assert!(m.chans_per_int[3].is_empty());
            assert!(m.is_masked(1, 4) && !m.is_masked(0, 4) && m.is_masked(3, 0) && m.is_masked(2, 3));
            assert!(!m.is_masked(3, 3) && !m.is_masked(4, 0) && !m.is_masked(0, 8));
            // 2 + 3 + 8 + 2 (the zapped channels in interval 3) of 32 cells.
            assert!((m.masked_fraction() - 15.0 / 32.0).abs() < 1e-12);
            assert_eq!(m.interval_of(0), 0);
            assert_eq!(m.interval_of(32767), 0);
            assert_eq!(m.interval_of(32768), 1);
            assert_eq!(m.interval_of(10 * 32768), 3);
            // Written back, it is the same file, in little-endian order.
            if !big {
                assert_eq!(m.to_bytes(Path::new("x")).unwrap(), presto_bytes(false));
            }
        }
    }

    #[test]
    fn round_trip_through_a_file() {
        let mut m = RfiMask::empty(960, 33, 32768, 2.14);
        m.timesigma = 10.0;
        m.freqsigma = 4.0;
        m.mjd = 60000.5;
        m.lofreq = 1214.0;
        m.dfreq = 0.3361;
        m.zap_chans = vec![0, 1, 101, 959];
        m.zap_ints = vec![5, 32];
        for (i, l) in m.chans_per_int.iter_mut().enumerate() {
            *l = (0..960).filter(|c| (c + i) % 97 == 0).collect();
        }
        m.chans_per_int[5] = (0..960).collect();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.mask");
        m.write(&p).unwrap();
        assert_eq!(RfiMask::read(&p).unwrap(), m);
    }

    #[test]
    fn truncated_and_inconsistent_files_are_refused() {
        let good = presto_bytes(false);
        for cut in [0, 20, FIXED_BYTES - 1, FIXED_BYTES + 2, good.len() - 1] {
            let e = RfiMask::from_bytes(&good[..cut], Path::new("t.mask")).unwrap_err();
            assert!(matches!(e.kind, FormatErrorKind::Truncated { .. }), "cut {cut}: {e}");
            assert!(e.to_string().contains("t.mask"));
        }
        let mut extra = good.clone();
        extra.extend([0u8; 4]);
        let e = RfiMask::from_bytes(&extra, Path::new("t.mask")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::Inconsistent(_)), "{e}");
        // A channel number beyond numchan in an interval's list.
        let mut bad = good.clone();
        let n = bad.len();
        bad[n - 4..].copy_from_slice(&9i32.to_le_bytes());
        let e = RfiMask::from_bytes(&bad, Path::new("t.mask")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::Inconsistent(_)), "{e}");
        // An interval claiming more channels than there are.
        let mut bad = good.clone();
        let at = FIXED_BYTES + 4 * 4;
        bad[at..at + 4].copy_from_slice(&9i32.to_le_bytes());
        let e = RfiMask::from_bytes(&bad, Path::new("t.mask")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::Inconsistent(_)), "{e}");
        // Zero channels.
        let mut bad = good;
        bad[48..52].copy_from_slice(&0i32.to_le_bytes());
        let e = RfiMask::from_bytes(&bad, Path::new("t.mask")).unwrap_err();
        assert!(matches!(e.kind, FormatErrorKind::ZeroChannels), "{e}");
    }

    #[test]
    fn writing_refuses_an_inconsistent_mask() {
        let mut m = RfiMask::empty(4, 2, 100, 1.0);
        m.zap_chans = vec![4];
        assert!(matches!(
            m.to_bytes(Path::new("w")).unwrap_err().kind,
            FormatErrorKind::Inconsistent(_)
        ));
        let mut m = RfiMask::empty(4, 2, 100, 1.0);
        m.chans_per_int.pop();
        assert!(m.to_bytes(Path::new("w")).is_err());
        // Duplicates and disorder are tidied, not refused.
        let mut m = RfiMask::empty(4, 2, 100, 1.0);
        m.chans_per_int[0] = vec![3, 1, 3];
        let back = RfiMask::from_bytes(&m.to_bytes(Path::new("w")).unwrap(), Path::new("w")).unwrap();
        assert_eq!(back.chans_per_int[0], vec![1, 3]);
    }
}
