//! Where the engine's channel-major window gets its samples.
//!
//! A [`Feed`] hands the engine the beam a block of spectra at a time, each
//! channel normalised and laid out as a row of the window. Two feeds:
//! [`StreamFeed`] reads, decodes, normalises and transposes the spectra of
//! a [`SpectraSource`] on every call (so once per group of passes), and
//! [`PreparedFeed`](super::prepared::PreparedFeed) copies them from a beam
//! prepared once, already channel-major ([`PreparedBeam`](super::PreparedBeam)).

use rayon::prelude::*;

use palfa_core::beam::SpectraSource;
use palfa_core::BeamHeader;

use super::{ChannelScaling, DedispConfig};
use crate::error::SearchResult;

/// Fewest spectra one thread transposes at a time.
const TRANSPOSE_MIN_SPECTRA: usize = 256;

/// A beam as the engine reads it: the next block of spectra fetched (I/O,
/// on one thread, while the engine computes), then placed into the window.
pub(super) trait Feed: Send {
    /// The beam's metadata.
    fn header(&self) -> &BeamHeader;

    /// Starts again at spectrum 0.
    fn rewind(&mut self) -> SearchResult<()>;

    /// Fetches the next `count` spectra; returns how many the beam had left
    /// (fewer than `count` only at its end).
    fn fetch(&mut self, count: usize) -> SearchResult<usize>;

    /// Puts the `count` spectra of the last [`fetch`](Self::fetch) into
    /// columns `[at, at + count)` of `raw` (channel-major, rows of `width`
    /// samples): normalised with `scaling` when `cfg.normalise`, zero-DM
    /// filtered when `cfg.zerodm`; columns from `got` on (past the beam's
    /// end) become 0, the normalised mean.
    #[allow(clippy::too_many_arguments)]
    fn place(
        &mut self,
        raw: &mut [f32],
        width: usize,
        at: usize,
        count: usize,
        got: usize,
        scaling: &ChannelScaling,
        cfg: &DedispConfig,
    );
}

/// The spectra of a [`SpectraSource`], read, normalised and transposed as
/// the engine goes.
pub(super) struct StreamFeed<'s> {
    src: &'s mut dyn SpectraSource,
    /// The last fetch, time-major.
    blk: Vec<f32>,
    /// Its transpose, in stretches of spectra.
    tbuf: Vec<f32>,
}

impl<'s> StreamFeed<'s> {
    pub(super) fn new(src: &'s mut dyn SpectraSource) -> Self {
        Self {
            src,
            blk: Vec::new(),
            tbuf: Vec::new(),
        }
    }
}

impl Feed for StreamFeed<'_> {
    fn header(&self) -> &BeamHeader {
        self.src.header()
    }

    fn rewind(&mut self) -> SearchResult<()> {
        Ok(self.src.seek(0)?)
    }

    fn fetch(&mut self, count: usize) -> SearchResult<usize> {
        let nchan = self.src.header().nchans;
        if self.blk.len() < count * nchan {
            self.blk.resize(count * nchan, 0.0);
        }
        Ok(self.src.read_full(&mut self.blk[..count * nchan])?)
    }

    fn place(
        &mut self,
        raw: &mut [f32],
        width: usize,
        at: usize,
        count: usize,
        got: usize,
        scaling: &ChannelScaling,
        cfg: &DedispConfig,
    ) {
        let nchan = scaling.offset.len();
        let used = live_channels(scaling);
        self.blk[..count * nchan]
            .par_chunks_mut(nchan)
            .enumerate()
            .for_each(|(s, spec)| {
                if s >= got {
                    spec.fill(0.0);
                    return;
                }
                if cfg.normalise {
                    for ((v, &o), &k) in spec.iter_mut().zip(&scaling.offset).zip(&scaling.scale) {
                        *v = (*v - o) * k;
                    }
                }
                if cfg.zerodm {
                    let mean = spec.iter().sum::<f32>() / used;
                    for (v, &k) in spec.iter_mut().zip(&scaling.scale) {
                        if k != 0.0 {
                            *v -= mean;
                        }
                    }
                }
            });
        // Transpose into the channel-major window, a stretch of spectra per
        // thread, then copy each channel's pieces into its row.
        let per = transpose_stretches(&self.blk[..count * nchan], &mut self.tbuf, nchan);
        let tbuf = &self.tbuf[..count * nchan];
        raw.par_chunks_mut(width).enumerate().for_each(|(c, row)| {
            for (s0, piece) in stretch_row(tbuf, per, nchan, c) {
                row[at + s0..at + s0 + piece.len()].copy_from_slice(piece);
            }
        });
    }
}

/// Transposes time-major spectra `blk` (`nchan` per spectrum) into `tbuf`,
/// in stretches of spectra transposed in parallel (cache-blocked,
/// `transpose` crate), each stretch channel-major; returns the spectra per
/// stretch (the last may hold fewer). [`stretch_row`] reads a channel back.
pub(super) fn transpose_stretches(blk: &[f32], tbuf: &mut Vec<f32>, nchan: usize) -> usize {
    let count = blk.len() / nchan.max(1);
    let nthreads = rayon::current_num_threads().max(1);
    let per = count.div_ceil(nthreads).max(TRANSPOSE_MIN_SPECTRA);
    if tbuf.len() < blk.len() {
        tbuf.resize(blk.len(), 0.0);
    }
    blk.par_chunks(per * nchan)
        .zip(tbuf[..blk.len()].par_chunks_mut(per * nchan))
        .for_each(|(part, t)| transpose::transpose(part, t, nchan, part.len() / nchan));
    per
}

/// Channel `c`'s samples in what [`transpose_stretches`] left (`tbuf`
/// trimmed to the spectra transposed): `(first spectrum, samples)` per stretch.
pub(super) fn stretch_row(tbuf: &[f32], per: usize, nchan: usize, c: usize) -> impl Iterator<Item = (usize, &[f32])> {
    tbuf.chunks(per * nchan).enumerate().map(move |(k, t)| {
        let n = t.len() / nchan;
        (k * per, &t[c * n..(c + 1) * n])
    })
}

/// Channels of non-zero scale (at least 1): what a zero-DM filter averages over.
pub(super) fn live_channels(scaling: &ChannelScaling) -> f32 {
    scaling.scale.iter().filter(|&&s| s != 0.0).count().max(1) as f32
}
