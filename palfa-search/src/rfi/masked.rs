//! [`MaskedSource`]: a beam read through an RFI mask and rfifind's clipped spectra.
//!
//! Every masked sample, and every channel of a clipped spectrum (impulsive
//! RFI, [`RfiResult::clipped_spectra`]), is replaced by its channel's
//! **level** in that interval: the channel's mean there if the cell is not
//! masked, else its mean in the nearest unmasked interval (the average of the
//! two when two are equally near). Following the channel interval by interval keeps slow
//! gain drifts out of the replaced data; using only unmasked intervals keeps the
//! RFI out of the level. A channel masked in every interval takes its own level
//! in each interval (the best estimate there is; its data are still never used).
//!
//! The per-interval means come from the [`RfiResult`] statistics
//! ([`MaskedSource::from_result`]), or, with only a mask file
//! ([`MaskedSource::from_mask`]), from the beam itself: at construction the
//! central [`LEVEL_SAMPLE_SPECTRA`] spectra of each interval are read (a few per
//! cent of the beam, by seeking) and each channel's level there is their
//! central-80 % mean, which ignores impulses and is exact for few-bit data.
//!
//! A `.mask` file has no room for clipped spectra, so [`MaskedSource::from_mask`]
//! clips nothing by itself: a beam read through a mask file alone keeps its
//! impulsive RFI unless the stretches are added with
//! [`MaskedSource::with_clipped_spectra`] (from the run's `.stats.json`, read
//! by [`read_clipped_spectra`](super::read_clipped_spectra)).
//! [`MaskedSource::open`] does both: it is what a mask file given to a
//! command (`--mask`) means everywhere.

use std::path::{Path, PathBuf};

use palfa_core::beam::{read_range, SpectraSource};
use palfa_core::formats::presto::RfiMask;
use palfa_core::{BeamHeader, FormatResult};

use super::robust::trimmed_mean;
use super::RfiResult;
use crate::dedisp::Replacements;
use crate::error::{SearchError, SearchResult};

/// Spectra read from the middle of each interval to estimate channel levels
/// when a mask comes without statistics.
pub const LEVEL_SAMPLE_SPECTRA: usize = 1024;

/// A [`SpectraSource`] that replaces the masked samples of another.
///
/// ```
/// use palfa_core::beam::{read_range, SpectraSource};
/// use palfa_core::simulate::{simulate, RfiSpec, SimParams};
/// use palfa_search::rfi::{find_rfi, MaskedSource};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("b.fil");
/// let sim = SimParams {
///     nchans: 16, tsamp_s: 1e-3, nsamples: 10_000,
///     rfi: RfiSpec { bad_channels: vec![3], bad_channel_noise: 20.0, ..RfiSpec::default() },
///     ..SimParams::default()
/// };
/// simulate(&sim, &path, &|_, _| {})?;
/// let params = palfa_core::config::RfiParams { chunk_time_s: 1.0, ..Default::default() };
/// let result = find_rfi(palfa_core::open_beam(&[&path])?.as_mut(), &params, &|_, _| {})?;
/// let mut masked = MaskedSource::from_result(palfa_core::open_beam(&[&path])?, &result)?;
/// let data = read_range(&mut masked, 0, 100)?;
/// // Channel 3 is masked: every sample is the channel's level.
/// assert!(data.chunks(16).all(|s| s[3] == masked.level(0, 3)));
/// // No burst in this beam: nothing is clipped.
/// assert!(masked.clipped_spectra().is_empty());
/// # Ok(()) }
/// ```
pub struct MaskedSource {
    /// The inner header, with weight 0 for channels masked in every interval.
    header: BeamHeader,
    inner: Box<dyn SpectraSource>,
    mask: RfiMask,
    /// Replacement level of each cell, interval-major.
    levels: Vec<f32>,
    /// Masked channels of each interval, sorted.
    masked: Vec<Vec<usize>>,
    /// Spectra replaced in every channel, `[start, end)`, sorted and disjoint.
    clipped: Vec<(u64, u64)>,
}

/// The `.stats.json` that palfa's rfifind writes beside a mask:
/// `<base>_rfifind.mask` → `<base>_rfifind.stats.json` (the mask's last
/// extension replaced).
///
/// ```
/// use std::path::Path;
/// assert_eq!(
///     palfa_search::rfi::stats_json_for_mask(Path::new("out/beam_DM1.0_rfifind.mask")),
///     Path::new("out/beam_DM1.0_rfifind.stats.json")
/// );
/// ```
pub fn stats_json_for_mask(mask_path: &Path) -> PathBuf {
    mask_path.with_extension("stats.json")
}

impl MaskedSource {
    /// Applies `result.mask` and clips `result.clipped_spectra` in `inner`,
    /// with levels from `result`'s statistics.
    ///
    /// # Errors
    /// [`SearchError::Mismatch`] if the mask was made for a beam with another
    /// number of channels or intervals.
    pub fn from_result(inner: Box<dyn SpectraSource>, result: &RfiResult) -> SearchResult<Self> {
        check(inner.header(), &result.mask)?;
        let raw = result.stats.mean.clone();
        Ok(Self::build(inner, result.mask.clone(), raw).with_clipped_spectra(result.clipped_spectra.clone()))
    }

    /// Applies a mask read from a file (PRESTO's or palfa's) to `inner`; the
    /// levels are measured from `inner` now (see the module docs). The source is
    /// left at spectrum 0. Nothing is clipped: a mask file does not hold
    /// rfifind's clipped spectra (add them with
    /// [`with_clipped_spectra`](Self::with_clipped_spectra)).
    ///
    /// # Errors
    /// [`SearchError::Mismatch`] for a mask of another channel count or one
    /// covering too few intervals; [`SearchError::Format`] if reading fails.
    pub fn from_mask(mut inner: Box<dyn SpectraSource>, mask: RfiMask) -> SearchResult<Self> {
        check(inner.header(), &mask)?;
        let nchan = mask.numchan;
        let nsamples = inner.header().nsamples;
        let mut raw = vec![0f32; mask.numint * nchan];
        let mut column = Vec::with_capacity(LEVEL_SAMPLE_SPECTRA);
        for i in 0..mask.numint {
            let start = (i * mask.ptsperint) as u64;
            let len = (mask.ptsperint as u64).min(nsamples.saturating_sub(start)) as usize;
            let take = len.min(LEVEL_SAMPLE_SPECTRA);
            let block = read_range(inner.as_mut(), start + ((len - take) / 2) as u64, take)?;
            let got = block.len() / nchan;
            for c in 0..nchan {
                column.clear();
                column.extend((0..got).map(|t| block[t * nchan + c]));
                raw[i * nchan + c] = if got > 0 {
                    trimmed_mean(&mut column, 0.8) as f32
                } else {
                    f32::NAN
                };
            }
        }
        inner.seek(0)?;
        Ok(Self::build(inner, mask, raw))
    }

    fn build(inner: Box<dyn SpectraSource>, mask: RfiMask, raw: Vec<f32>) -> Self {
        let nchan = mask.numchan;
        let mut flags = vec![false; nchan];
        let masked: Vec<Vec<usize>> = (0..mask.numint)
            .map(|i| {
                mask.channel_flags(i, &mut flags);
                (0..nchan).filter(|&c| flags[c]).collect()
            })
            .collect();
        let is_masked = |i: usize, c: usize| masked[i].binary_search(&c).is_ok();
        let mut levels = raw.clone();
        for c in 0..nchan {
            let good: Vec<usize> = (0..mask.numint)
                .filter(|&i| !is_masked(i, c) && raw[i * nchan + c].is_finite())
                .collect();
            for i in (0..mask.numint).filter(|&i| is_masked(i, c)) {
                if good.is_empty() {
                    continue;
                }
                // Nearest good intervals before and after.
                let after = good.partition_point(|&g| g < i);
                let before = after.checked_sub(1).map(|k| good[k]);
                let after = good.get(after).copied();
                let v = |g: usize| raw[g * nchan + c];
                levels[i * nchan + c] = match (before, after) {
                    (Some(b), Some(a)) if i - b == a - i => 0.5 * (v(b) + v(a)),
                    (Some(b), Some(a)) => v(if i - b < a - i { b } else { a }),
                    (Some(b), None) => v(b),
                    (None, Some(a)) => v(a),
                    (None, None) => unreachable!("good is not empty"),
                };
            }
        }
        // A cell with no estimate at all (no data read) gets 0 rather than NaN.
        levels.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = 0.0);
        // A channel masked in every interval carries no data: weight 0, so that
        // consumers (dedispersion's channel scaling) drop it rather than
        // normalise its piecewise-constant replacement levels.
        let mut header = inner.header().clone();
        header.chan_weights.resize(nchan, 1.0);
        for c in (0..nchan).filter(|&c| (0..mask.numint).all(|i| is_masked(i, c))) {
            header.chan_weights[c] = 0.0;
        }
        Self {
            header,
            inner,
            mask,
            levels,
            masked,
            clipped: Vec::new(),
        }
    }

    /// Opens an rfifind mask file over `inner`, as every command's `--mask`
    /// does: the mask ([`MaskedSource::from_mask`], levels measured from
    /// `inner`), and, when palfa's rfifind left its `.stats.json` beside the
    /// mask ([`stats_json_for_mask`]), the spectra it clipped as impulsive RFI
    /// too, so that the data read are those the search read. A PRESTO mask
    /// alone (no `.stats.json`) clips nothing.
    ///
    /// # Errors
    /// [`SearchError::Format`] if the mask or the `.stats.json` cannot be
    /// read; [`SearchError::Mismatch`] for a mask made for another beam.
    pub fn open(inner: Box<dyn SpectraSource>, mask_path: &Path) -> SearchResult<Self> {
        let mask = RfiMask::read(mask_path)?;
        let masked = Self::from_mask(inner, mask)?;
        let stats = stats_json_for_mask(mask_path);
        if stats.is_file() {
            let clipped = super::read_clipped_spectra(&stats)?;
            return Ok(masked.with_clipped_spectra(clipped));
        }
        Ok(masked)
    }

    /// Also replaces every channel of the spectra in `ranges` (`[start, end)`,
    /// in spectra from the start of the beam; any order, overlaps allowed) by
    /// the channels' levels, in place of any clipped spectra set before.
    pub fn with_clipped_spectra(mut self, ranges: Vec<(u64, u64)>) -> Self {
        self.clipped = super::stretch::merge(ranges);
        self
    }

    /// The clipped spectra, `[start, end)`, sorted and disjoint.
    pub fn clipped_spectra(&self) -> &[(u64, u64)] {
        &self.clipped
    }

    /// The mask applied.
    pub fn mask(&self) -> &RfiMask {
        &self.mask
    }

    /// The value that replaces masked samples of `chan` in `interval`.
    ///
    /// # Panics
    /// If the cell is outside the mask.
    pub fn level(&self, interval: usize, chan: usize) -> f32 {
        assert!(
            interval < self.mask.numint && chan < self.mask.numchan,
            "cell outside the mask"
        );
        self.levels[interval * self.mask.numchan + chan]
    }

    /// The samples this source replaces, and by what: for a
    /// [`PreparedBeam`](crate::dedisp::PreparedBeam) prepared from it.
    pub fn replacements(&self) -> Replacements {
        Replacements::new(
            self.mask.numchan,
            self.mask.ptsperint as u64,
            self.levels.clone(),
            &self.masked,
            self.clipped.clone(),
        )
        .expect("a checked mask, its levels and merged clipped spectra agree")
    }

    /// The wrapped source.
    pub fn into_inner(self) -> Box<dyn SpectraSource> {
        self.inner
    }
}

fn check(header: &BeamHeader, mask: &RfiMask) -> SearchResult<()> {
    if mask.numchan != header.nchans {
        return Err(SearchError::Mismatch(format!(
            "the mask has {} channels, the beam {} has {}",
            mask.numchan,
            header.basename(),
            header.nchans
        )));
    }
    let covered = mask.numint as u64 * mask.ptsperint as u64;
    if mask.numint == 0 || covered + (mask.ptsperint as u64) <= header.nsamples {
        return Err(SearchError::Mismatch(format!(
            "the mask's {} intervals of {} spectra do not cover the {} spectra of {}",
            mask.numint,
            mask.ptsperint,
            header.nsamples,
            header.basename()
        )));
    }
    Ok(())
}

impl SpectraSource for MaskedSource {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let start = self.inner.position();
        let n = self.inner.read_spectra(out)?;
        let nchan = self.mask.numchan;
        for (t, spectrum) in out[..n * nchan].chunks_exact_mut(nchan).enumerate() {
            let i = self.mask.interval_of(start + t as u64);
            let levels = &self.levels[i * nchan..(i + 1) * nchan];
            for &c in &self.masked[i] {
                spectrum[c] = levels[c];
            }
        }
        let end = start + n as u64;
        let first = self.clipped.partition_point(|&(_, b)| b <= start);
        for &(a, b) in self.clipped[first..].iter().take_while(|&&(a, _)| a < end) {
            for pos in a.max(start)..b.min(end) {
                let i = self.mask.interval_of(pos);
                let t = (pos - start) as usize;
                out[t * nchan..(t + 1) * nchan].copy_from_slice(&self.levels[i * nchan..(i + 1) * nchan]);
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
