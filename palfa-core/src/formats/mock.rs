//! Merging the two halves of a PALFA Mock spectrometer beam into one band.
//!
//! PALFA's Mock spectrometers record each beam as two files, `…b{beam}s0g0…` and
//! `…b{beam}s1g0…`, covering overlapping halves of the band (s0 the upper, s1 the
//! lower). The original pipeline merged them with psrfits_utils' `combine_mocks`.
//! palfa merges them while reading, with this rule:
//!
//! 1. **Which is which** is decided by frequency, not by file name: the file with
//!    the lower centre frequency is the lower band.
//! 2. **The grids must agree**: same sample time, same channel width (to 1e-4),
//!    channel centres on a common grid (to 1 % of a channel), start times within
//!    half a sample. The merged beam is as long as the shorter file.
//! 3. **Overlap**: the `k` channels of the upper band at or below the lower band's
//!    top channel are duplicates. The lower band gives up its top `k/2` channels and
//!    the upper band its bottom `k − k/2`, so each side keeps the channels nearer the
//!    middle of its own passband (band edges are where a filter rolls off).
//!    `combine_mocks` splits the overlap between the bands the same way, but then
//!    adds two zero-weight dummy channels to reach 960; palfa adds none.
//! 4. **Levels**: the upper band is multiplied by one factor, the ratio of the mean
//!    of the lower band to the mean of the upper band over all `k` overlap channels
//!    of the first `LEVEL_SPECTRA` spectra (as `combine_mocks` scales the upper
//!    band's `DAT_SCL`/`DAT_OFFS` by the ratio of the overlap means of the first
//!    row). Without overlap the factor is 1.
//!
//! The merged beam's header is the lower band's, with both files listed and the
//! band widened.

use std::path::{Path, PathBuf};

use crate::beam::{open_file, SpectraSource};
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::header::{BeamHeader, DataFormat};

/// Spectra averaged to match the two bands' levels.
pub const LEVEL_SPECTRA: usize = 4096;

/// Which half of a Mock beam a file name says it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockName {
    /// Everything before `b{beam}s{n}g0`, e.g. `4bit-p2030.20120101.G45.07+00.11.`.
    pub prefix: String,
    /// Beam number 0-7.
    pub beam: u32,
    /// Sub-band: 0 (upper) or 1 (lower).
    pub subband: u32,
    /// Everything after `g0`, e.g. `.00100.fits`.
    pub suffix: String,
}

impl MockName {
    /// Parses a PALFA Mock file name (`…b{0-7}s{0,1}g0…`). `None` if it is not one.
    pub fn parse(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let bytes = name.as_bytes();
        (0..bytes.len().saturating_sub(5)).find_map(|i| {
            let w = &bytes[i..i + 6];
            let ok = w[0] == b'b'
                && (b'0'..=b'7').contains(&w[1])
                && w[2] == b's'
                && (w[3] == b'0' || w[3] == b'1')
                && w[4] == b'g'
                && w[5] == b'0'
                && (i == 0 || bytes[i - 1] == b'.');
            ok.then(|| MockName {
                prefix: name[..i].to_string(),
                beam: (w[1] - b'0') as u32,
                subband: (w[3] - b'0') as u32,
                suffix: name[i + 6..].to_string(),
            })
        })
    }

    /// The name of the other half of this beam.
    pub fn partner(&self) -> String {
        format!("{}b{}s{}g0{}", self.prefix, self.beam, 1 - self.subband, self.suffix)
    }

    /// The merged beam's name, as the original pipeline wrote it (`…b{beam}….fits`,
    /// without the `4bit-` prefix).
    pub fn merged_name(&self) -> String {
        let prefix = self.prefix.strip_prefix("4bit-").unwrap_or(&self.prefix);
        format!("{prefix}b{}{}", self.beam, self.suffix)
    }
}

/// A Mock s0/s1 pair read as one band (see the module docs for the rule).
pub struct MockMerger {
    lower: Box<dyn SpectraSource>,
    upper: Box<dyn SpectraSource>,
    header: BeamHeader,
    /// Channels of the lower band kept (its lowest `keep_lower`).
    keep_lower: usize,
    /// Channels of the upper band dropped (its lowest `drop_upper`).
    drop_upper: usize,
    gain: f32,
    pos: u64,
    buf_lo: Vec<f32>,
    buf_up: Vec<f32>,
}

impl MockMerger {
    /// Opens two files (in either order) and prepares the merge.
    pub fn open(a: &Path, b: &Path) -> FormatResult<Self> {
        let fa = open_file(a)?;
        let fb = open_file(b)?;
        Self::from_sources(fa, fb)
    }

    /// Merges two already opened halves (in either order).
    pub fn from_sources(a: Box<dyn SpectraSource>, b: Box<dyn SpectraSource>) -> FormatResult<Self> {
        let (mut lower, mut upper) = if a.header().fctr_mhz() <= b.header().fctr_mhz() {
            (a, b)
        } else {
            (b, a)
        };
        let (lh, uh) = (lower.header().clone(), upper.header().clone());
        let path: PathBuf = uh.files[0].clone();
        let bad = |msg: String| FormatError::new(&path, FormatErrorKind::Inconsistent(msg));
        if (lh.tsamp_s - uh.tsamp_s).abs() > 1e-9 * lh.tsamp_s {
            return Err(bad(format!(
                "the Mock halves have different sample times ({} s and {} s)",
                lh.tsamp_s, uh.tsamp_s
            )));
        }
        let bw = lh.chan_bw_mhz;
        if (bw - uh.chan_bw_mhz).abs() > 1e-4 * bw {
            return Err(bad(format!(
                "the Mock halves have different channel widths ({bw} and {} MHz)",
                uh.chan_bw_mhz
            )));
        }
        let steps = (uh.lofreq_mhz - lh.lofreq_mhz) / bw;
        if (steps - steps.round()).abs() > 0.01 {
            return Err(bad(format!(
                "the Mock halves' channels are not on one grid (offset {steps:.3} channels)"
            )));
        }
        if (lh.start_mjd - uh.start_mjd).abs() * 86_400.0 > 0.5 * lh.tsamp_s {
            return Err(bad(format!(
                "the Mock halves start at different times (MJD {:.9} and {:.9})",
                lh.start_mjd, uh.start_mjd
            )));
        }
        // Upper-band channels at or below the lower band's top channel.
        let first_new = (lh.nchans as f64 - steps.round()).max(0.0) as usize;
        if steps.round() as i64 > lh.nchans as i64 {
            return Err(bad("the Mock halves leave a gap in frequency between them".into()));
        }
        let k = first_new.min(uh.nchans);
        if k >= uh.nchans || k >= lh.nchans {
            return Err(bad("one Mock half lies inside the other; nothing to merge".into()));
        }
        let keep_lower = lh.nchans - k / 2;
        let drop_upper = k - k / 2;
        let gain = if k == 0 {
            1.0
        } else {
            let n = LEVEL_SPECTRA.min(lh.nsamples.min(uh.nsamples) as usize);
            let lo_mean = mean_of_channels(lower.as_mut(), n, lh.nchans - k..lh.nchans)?;
            let up_mean = mean_of_channels(upper.as_mut(), n, 0..k)?;
            if up_mean.abs() > 0.0 && lo_mean.is_finite() {
                (lo_mean / up_mean) as f32
            } else {
                1.0
            }
        };
        tracing::debug!(overlap = k, gain, "merging Mock halves");
        let nchans = keep_lower + uh.nchans - drop_upper;
        let mut weights = lh.chan_weights[..keep_lower].to_vec();
        weights.extend_from_slice(&uh.chan_weights[drop_upper..]);
        let header = BeamHeader {
            files: lh.files.iter().chain(&uh.files).cloned().collect(),
            format: DataFormat::MockPair,
            nsamples: lh.nsamples.min(uh.nsamples),
            nchans,
            chan_weights: weights,
            file_size: lh.file_size + uh.file_size,
            nbits: lh.nbits.max(uh.nbits),
            beam_id: lh.beam_id.or(uh.beam_id),
            ..lh
        };
        Ok(Self {
            lower,
            upper,
            header,
            keep_lower,
            drop_upper,
            gain,
            pos: 0,
            buf_lo: Vec::new(),
            buf_up: Vec::new(),
        })
    }

    /// The factor applied to the upper band to match the lower band's level.
    pub fn upper_gain(&self) -> f32 {
        self.gain
    }

    /// Channels taken from the lower band (the rest come from the upper band).
    pub fn lower_channels_kept(&self) -> usize {
        self.keep_lower
    }
}

fn mean_of_channels(src: &mut dyn SpectraSource, nspec: usize, chans: std::ops::Range<usize>) -> FormatResult<f64> {
    let data = crate::beam::read_range(src, 0, nspec)?;
    src.seek(0)?;
    let nchans = src.header().nchans;
    let mut sum = 0.0f64;
    let mut count = 0usize;
    for spec in data.chunks_exact(nchans) {
        for &v in &spec[chans.clone()] {
            sum += v as f64;
            count += 1;
        }
    }
    Ok(if count > 0 { sum / count as f64 } else { 0.0 })
}

impl SpectraSource for MockMerger {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchans = self.header.nchans;
        assert_eq!(out.len() % nchans, 0, "read_spectra: buffer is not whole spectra");
        let want = (out.len() / nchans).min((self.header.nsamples - self.pos) as usize);
        if want == 0 {
            return Ok(0);
        }
        let (nl, nu) = (self.lower.header().nchans, self.upper.header().nchans);
        self.buf_lo.resize(want * nl, 0.0);
        self.buf_up.resize(want * nu, 0.0);
        let got_lo = self.lower.read_full(&mut self.buf_lo)?;
        let got_up = self.upper.read_full(&mut self.buf_up)?;
        let n = got_lo.min(got_up);
        for s in 0..n {
            let o = &mut out[s * nchans..(s + 1) * nchans];
            o[..self.keep_lower].copy_from_slice(&self.buf_lo[s * nl..s * nl + self.keep_lower]);
            for (d, &v) in o[self.keep_lower..]
                .iter_mut()
                .zip(&self.buf_up[s * nu + self.drop_upper..(s + 1) * nu])
            {
                *d = v * self.gain;
            }
        }
        self.pos += n as u64;
        if got_lo != got_up {
            // Keep both halves aligned for the next call.
            self.lower.seek(self.pos)?;
            self.upper.seek(self.pos)?;
        }
        Ok(n)
    }

    fn position(&self) -> u64 {
        self.pos
    }

    fn seek(&mut self, index: u64) -> FormatResult<()> {
        let index = index.min(self.header.nsamples);
        self.lower.seek(index)?;
        self.upper.seek(index)?;
        self.pos = index;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_names() {
        let n = MockName::parse(Path::new("/data/4bit-p2030.20120101.G45.07+00.11.b3s0g0.00100.fits")).unwrap();
        assert_eq!(n.beam, 3);
        assert_eq!(n.subband, 0);
        assert_eq!(n.partner(), "4bit-p2030.20120101.G45.07+00.11.b3s1g0.00100.fits");
        assert_eq!(n.merged_name(), "p2030.20120101.G45.07+00.11.b3.00100.fits");
        assert!(MockName::parse(Path::new("tutorial.fil")).is_none());
    }
}
