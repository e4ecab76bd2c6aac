//! Applying a PRESTO `rfifind` `.mask` while folding (`prepfold -mask`).
//!
//! [`MaskedSource`] wraps a beam and replaces every masked sample by its
//! channel's mean level (the mean of the channel's unmasked samples read so
//! far, like prepfold's per-channel padding values), so that masked stretches
//! add no signal and no step to a fold. The `.mask` layout is read here in the
//! few lines folding needs; palfa's RFI module owns the full format.

use std::path::Path;

use palfa_core::beam::SpectraSource;
use palfa_core::{BeamHeader, FormatError, FormatErrorKind, FormatResult};

/// Which channels are masked in which intervals of a beam.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldMask {
    /// Channels in the mask.
    pub numchan: usize,
    /// Spectra per interval.
    pub ptsperint: usize,
    /// Per interval, per channel: masked?
    masked: Vec<Vec<bool>>,
}

impl FoldMask {
    /// Reads a PRESTO `.mask` file (native little-endian layout of `write_mask`).
    pub fn read(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
        let mut pos = 6 * 8; // timesigma, freqsigma, mjd, dtint, lofreq, dfreq
        let mut int = |what: &str| -> FormatResult<usize> {
            let b = bytes.get(pos..pos + 4).ok_or_else(|| {
                FormatError::new(
                    path,
                    FormatErrorKind::Truncated {
                        what: what.to_string(),
                        expected: pos as u64 + 4,
                        found: bytes.len() as u64,
                    },
                )
            })?;
            pos += 4;
            let v = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            usize::try_from(v).map_err(|_| {
                FormatError::new(
                    path,
                    FormatErrorKind::BadKeyword {
                        key: what.to_string(),
                        value: v.to_string(),
                        reason: "negative".into(),
                    },
                )
            })
        };
        let numchan = int("numchan")?;
        let numint = int("numint")?;
        let ptsperint = int("ptsperint")?;
        if numchan == 0 || ptsperint == 0 || numint > (1 << 24) || numchan > (1 << 20) {
            return Err(FormatError::new(
                path,
                FormatErrorKind::Inconsistent(format!("{numchan} channels, {numint} intervals of {ptsperint} spectra")),
            ));
        }
        let mut masked = vec![vec![false; numchan]; numint];
        let nzapchan = int("nzapchan")?;
        for _ in 0..nzapchan {
            let c = int("zapchans")?;
            masked.iter_mut().for_each(|m| {
                if let Some(x) = m.get_mut(c) {
                    *x = true
                }
            });
        }
        let nzapint = int("nzapints")?;
        for _ in 0..nzapint {
            let i = int("zapints")?;
            if let Some(m) = masked.get_mut(i) {
                m.fill(true);
            }
        }
        let counts: Vec<usize> = (0..numint)
            .map(|_| int("num_chans_per_int"))
            .collect::<FormatResult<_>>()?;
        for (i, &n) in counts.iter().enumerate() {
            if n == numchan {
                masked[i].fill(true);
            } else if n > 0 {
                for _ in 0..n {
                    let c = int("chans")?;
                    if let Some(x) = masked[i].get_mut(c) {
                        *x = true;
                    }
                }
            }
        }
        Ok(Self {
            numchan,
            ptsperint,
            masked,
        })
    }

    /// Is channel `chan` masked at spectrum `sample`?
    pub fn is_masked(&self, sample: u64, chan: usize) -> bool {
        let i = (sample / self.ptsperint as u64) as usize;
        self.masked
            .get(i)
            .or(self.masked.last())
            .is_some_and(|m| m.get(chan).copied().unwrap_or(false))
    }
}

/// A beam with masked samples replaced by their channel's mean level.
pub struct MaskedSource<S: SpectraSource> {
    inner: S,
    mask: FoldMask,
    sum: Vec<f64>,
    count: Vec<f64>,
}

impl<S: SpectraSource> MaskedSource<S> {
    /// Wraps `inner`; the mask must have as many channels as the beam.
    pub fn new(inner: S, mask: FoldMask) -> Result<Self, String> {
        let n = inner.header().nchans;
        if mask.numchan != n {
            return Err(format!("the mask has {} channels, the beam {n}", mask.numchan));
        }
        Ok(Self {
            inner,
            mask,
            sum: vec![0.0; n],
            count: vec![0.0; n],
        })
    }
}

impl<S: SpectraSource> SpectraSource for MaskedSource<S> {
    fn header(&self) -> &BeamHeader {
        self.inner.header()
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let start = self.inner.position();
        let n = self.inner.read_spectra(out)?;
        let nchan = self.sum.len();
        for (t, spec) in out[..n * nchan].chunks_exact_mut(nchan).enumerate() {
            for (c, v) in spec.iter_mut().enumerate() {
                if !self.mask.is_masked(start + t as u64, c) {
                    self.sum[c] += *v as f64;
                    self.count[c] += 1.0;
                }
            }
        }
        for (t, spec) in out[..n * nchan].chunks_exact_mut(nchan).enumerate() {
            for (c, v) in spec.iter_mut().enumerate() {
                if self.mask.is_masked(start + t as u64, c) {
                    *v = if self.count[c] > 0.0 {
                        (self.sum[c] / self.count[c]) as f32
                    } else {
                        0.0
                    };
                }
            }
        }
        Ok(n)
    }

    fn position(&self) -> u64 {
        self.inner.position()
    }

    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.inner.seek(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        for v in [10.0f64, 4.0, 60000.0, 0.1, 1200.0, 1.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        // 4 channels, 3 intervals of 10 spectra; channel 1 always; interval 2 entirely;
        // interval 0 also channel 3.
        for v in [4i32, 3, 10, 1, 1, 1, 2, 1, 0, 4, 3] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    #[test]
    fn reads_the_mask_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.mask");
        std::fs::write(&p, mask_bytes()).unwrap();
        let m = FoldMask::read(&p).unwrap();
        assert!(m.is_masked(0, 1) && m.is_masked(15, 1));
        assert!(m.is_masked(3, 3) && !m.is_masked(13, 3));
        assert!(m.is_masked(25, 0) && !m.is_masked(5, 0));
        std::fs::write(&p, &mask_bytes()[..50]).unwrap();
        assert!(FoldMask::read(&p).is_err());
    }
}
