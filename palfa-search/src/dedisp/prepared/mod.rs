//! A beam prepared once for every dedispersion pass: read, decoded and
//! transposed to channel-major order a single time, in a compact form.
//!
//! Streaming from a [`SpectraSource`] the engine reads, decodes, masks,
//! normalises and transposes the whole beam again for each group of passes
//! (about 40 groups for a 4-GB PALFA beam: most of the dedispersion's time).
//! A [`PreparedBeam`] does the reading, decoding and transposing once
//! ([`PreparedBeam::prepare`]) and keeps, per channel, the contiguous
//! samples in the beam's own integers ([`SampleCode`]: one byte each for
//! 8-bit data, as many bytes as the raw beam) with rfifind's replacements
//! ([`Replacements`]) beside them, not applied to the stored samples: the
//! replaced cells' levels are not integers. Each group then widens the rows
//! it needs, normalised, and puts the levels in: a contiguous, vectorised
//! pass per channel instead of a decode and a transpose. The series are
//! bit for bit those of the streaming path.
//!
//! The prepared samples stay in memory up to
//! [`PrepareOptions::memory_limit_bytes`]; a larger beam is written to a
//! spill file in [`PrepareOptions::spill_dir`] (as large as the beam's
//! decoded samples: 4 GB for a 4-GB 8-bit beam), which has no name and is
//! gone when the beam is dropped or the process ends.

mod backing;
mod codes;
mod replaced;

use std::path::PathBuf;

use rayon::prelude::*;

use palfa_core::beam::SpectraSource;
use palfa_core::BeamHeader;

use super::feed::{live_channels, stretch_row, transpose_stretches, Feed};
use super::{ChannelScaling, DedispConfig};
use crate::error::{SearchError, SearchResult};
use backing::Backing;
pub use codes::SampleCode;
pub use replaced::Replacements;

/// Where and how [`PreparedBeam::prepare`] keeps the beam.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepareOptions {
    /// Largest prepared beam kept in memory \[bytes\]; a larger one goes to
    /// a spill file.
    pub memory_limit_bytes: u64,
    /// Where a spill file is made.
    pub spill_dir: PathBuf,
    /// Spectra read at a time.
    pub block: usize,
}

/// The largest prepared beam [`PrepareOptions::default`] keeps in memory
/// \[bytes\] (what a search uses); a larger one is spilled.
pub const PREPARED_IN_MEMORY_BYTES: u64 = 256 << 20;

impl Default for PrepareOptions {
    fn default() -> Self {
        Self {
            memory_limit_bytes: PREPARED_IN_MEMORY_BYTES,
            spill_dir: std::env::temp_dir(),
            block: 16_384,
        }
    }
}

/// A beam read once into channel-major rows (see the module docs); the
/// dedispersion functions ending in `_prepared` read it.
///
/// ```
/// use palfa_core::{BeamHeader, MemorySource};
/// use palfa_search::dedisp::{
///     dedisperse_exact, dedisperse_exact_prepared, ChannelScaling, DedispConfig,
///     PrepareOptions, PreparedBeam, Replacements,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // An 8-bit beam of 64 channels: whole numbers, stored in a byte each.
/// let mut h = BeamHeader::for_band(64, 1214.0, 5.0, 1e-3);
/// h.nbits = 8;
/// let data: Vec<f32> = (0..64 * 5000u64).map(|i| ((i * 7919) % 251) as f32).collect();
/// let mut src = MemorySource::new(h, data);
/// let scaling = ChannelScaling::measure(&mut src)?;
/// let beam = PreparedBeam::prepare(&mut src, Replacements::none(), &PrepareOptions::default(), &|_, _| {})?;
/// assert_eq!(beam.bytes(), 64 * 5000);
/// let cfg = DedispConfig::default();
/// let a = dedisperse_exact_prepared(&beam, &[10.0, 20.0], 2, 8, &scaling, &cfg, &|_, _| {})?;
/// let b = dedisperse_exact(&mut src, &[10.0, 20.0], 2, 8, &scaling, &cfg, &|_, _| {})?;
/// assert_eq!(a, b);
/// # Ok(()) }
/// ```
pub struct PreparedBeam {
    header: BeamHeader,
    code: SampleCode,
    /// Spectra actually read (the header's count, unless the data ran short).
    nsamples: u64,
    /// Channel `c`'s spectrum `t` is at byte `(c · stride + t) · code.bytes()`
    /// (`stride`: the header's count of spectra).
    backing: Backing,
    replaced: Replacements,
}

/// Why a preparation with one code stopped.
enum Stop {
    /// A sample the code cannot hold: try a wider one.
    Unrepresentable,
    Failed(SearchError),
}

impl From<SearchError> for Stop {
    fn from(e: SearchError) -> Self {
        Self::Failed(e)
    }
}

impl PreparedBeam {
    /// Reads `src` from its start to its end once, into channel-major rows.
    /// `replaced` names the samples `src` returns as replacement levels
    /// (its mask and clipping; [`Replacements::none`] for none): they are
    /// stored as 0 and restored as levels when read. The narrowest
    /// [`SampleCode`] the header's bits allow is tried first; if a sample
    /// does not fit it (scaled data), the beam is read again as `f32`.
    /// `progress(spectra done, total)`.
    ///
    /// # Errors
    /// Reading errors; [`SearchError::Io`] naming `opts.spill_dir` if the
    /// spill file cannot be made or written (a full disk);
    /// [`SearchError::Params`] if `replaced` was made for another channel count.
    pub fn prepare(
        src: &mut dyn SpectraSource,
        replaced: Replacements,
        opts: &PrepareOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> SearchResult<Self> {
        let nchan = src.header().nchans;
        if !replaced.fits(nchan) {
            return Err(SearchError::Params(format!(
                "RFI replacements for {} channels, the beam has {nchan}",
                replaced.nchan()
            )));
        }
        let mut code = SampleCode::for_bits(src.header().nbits);
        loop {
            match Self::prepare_as(src, code, &replaced, opts, progress) {
                Ok((backing, nsamples)) => {
                    return Ok(Self {
                        header: src.header().clone(),
                        code,
                        nsamples,
                        backing,
                        replaced,
                    })
                }
                Err(Stop::Unrepresentable) => {
                    tracing::debug!("{code:?} cannot hold this beam's samples: prepared as f32");
                    code = SampleCode::F32;
                }
                Err(Stop::Failed(e)) => return Err(e),
            }
        }
    }

    fn prepare_as(
        src: &mut dyn SpectraSource,
        code: SampleCode,
        replaced: &Replacements,
        opts: &PrepareOptions,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> Result<(Backing, u64), Stop> {
        let h = src.header().clone();
        let (nchan, n) = (h.nchans, h.nsamples);
        let cb = code.bytes();
        let total = (nchan as u64)
            .checked_mul(n)
            .and_then(|v| v.checked_mul(cb as u64))
            .ok_or_else(|| SearchError::Params(format!("{nchan} channels × {n} spectra is too large a beam")))?;
        let mut backing = Backing::new(total, opts.memory_limit_bytes, &opts.spill_dir)?;
        let block = opts.block.max(1);
        src.seek(0).map_err(SearchError::from)?;
        let read = |src: &mut dyn SpectraSource, buf: &mut [f32], from: u64| -> SearchResult<usize> {
            let want = block.min(n.saturating_sub(from) as usize);
            Ok(src.read_full(&mut buf[..want * nchan])?)
        };
        let mut tbuf = Vec::new();
        let mut rows = vec![0u8; block * nchan * cb];
        // Block k is stored while block k + 1 is read (the source decodes on
        // one thread; the transposing and encoding take the others).
        let mut store = |spectra: &[f32], t0: u64| -> Result<(), Stop> {
            let got = spectra.len() / nchan;
            let per = transpose_stretches(spectra, &mut tbuf, nchan);
            let tb = &tbuf[..got * nchan];
            // Channel c's samples into rows[c·got·cb ..], replaced ones as 0.
            let exact = rows[..got * nchan * cb]
                .par_chunks_mut(got * cb)
                .enumerate()
                .map(|(c, out)| {
                    let mut row = Vec::with_capacity(got);
                    for (_, piece) in stretch_row(tb, per, nchan, c) {
                        row.extend_from_slice(piece);
                    }
                    replaced.for_each_in(c, t0, t0 + got as u64, |a, b, _| {
                        row[(a - t0) as usize..(b - t0) as usize].fill(0.0);
                    });
                    code.encode(&row, out)
                })
                .reduce(|| true, |a, b| a && b);
            if !exact {
                return Err(Stop::Unrepresentable);
            }
            for (c, row) in rows[..got * nchan * cb].chunks(got * cb).enumerate() {
                backing.write_at((c as u64 * n + t0) * cb as u64, row)?;
            }
            Ok(())
        };
        let mut cur = vec![0f32; block * nchan];
        let mut next = vec![0f32; block * nchan];
        let mut got = read(src, &mut cur, 0)?;
        let mut t0 = 0u64;
        while got > 0 {
            let after = t0 + got as u64;
            let (fetched, stored) = rayon::join(|| read(src, &mut next, after), || store(&cur[..got * nchan], t0));
            stored?;
            t0 = after;
            progress(t0, n);
            std::mem::swap(&mut cur, &mut next);
            got = fetched?;
        }
        if t0 < n {
            tracing::warn!("{} ends after {t0} of the {n} spectra its header gives", h.basename());
        }
        Ok((backing, t0))
    }

    /// The beam's metadata (that of the source it was prepared from).
    pub fn header(&self) -> &BeamHeader {
        &self.header
    }

    /// How the samples are stored.
    pub fn code(&self) -> SampleCode {
        self.code
    }

    /// Bytes the prepared samples take (in memory or in the spill file).
    pub fn bytes(&self) -> u64 {
        self.header.nchans as u64 * self.header.nsamples * self.code.bytes() as u64
    }

    /// Bytes held in this process's memory: [`bytes`](Self::bytes), or 0 when spilled.
    pub fn resident_bytes(&self) -> u64 {
        if self.backing.is_spilled() {
            0
        } else {
            self.bytes()
        }
    }

    /// Whether the samples are in a spill file.
    pub fn is_spilled(&self) -> bool {
        self.backing.is_spilled()
    }
}

/// The engine's [`Feed`] from a [`PreparedBeam`]: a spilled beam's rows are
/// read (one read per channel per block) while the engine computes.
pub(in crate::dedisp) struct PreparedFeed<'b> {
    beam: &'b PreparedBeam,
    /// Next spectrum to fetch.
    next: u64,
    /// First spectrum and count of the last fetch.
    fetched: (u64, usize),
    /// A spilled beam's last fetch: channel c's bytes at `c · count · cb`.
    rows: Vec<u8>,
    /// Per-spectrum sums for the zero-DM filter.
    sums: Vec<f32>,
}

impl<'b> PreparedFeed<'b> {
    pub(in crate::dedisp) fn new(beam: &'b PreparedBeam) -> Self {
        Self {
            beam,
            next: 0,
            fetched: (0, 0),
            rows: Vec::new(),
            sums: Vec::new(),
        }
    }
}

impl Feed for PreparedFeed<'_> {
    fn header(&self) -> &BeamHeader {
        &self.beam.header
    }

    fn rewind(&mut self) -> SearchResult<()> {
        self.next = 0;
        Ok(())
    }

    fn fetch(&mut self, count: usize) -> SearchResult<usize> {
        let b = self.beam;
        let (pos, cb, nchan) = (self.next, b.code.bytes(), b.header.nchans);
        let got = (b.nsamples.saturating_sub(pos) as usize).min(count);
        self.fetched = (pos, got);
        self.next += count as u64;
        if b.backing.is_spilled() && got > 0 {
            self.rows.resize(nchan * count * cb, 0);
            for c in 0..nchan {
                let out = &mut self.rows[c * count * cb..(c * count + got) * cb];
                b.backing
                    .read_at((c as u64 * b.header.nsamples + pos) * cb as u64, out)?;
            }
        }
        Ok(got)
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
        let b = self.beam;
        let (pos, cb) = (self.fetched.0, b.code.bytes());
        let got = got.min(self.fetched.1);
        let rows = &self.rows;
        raw.par_chunks_mut(width).enumerate().for_each(|(c, row)| {
            let row = &mut row[at..at + count];
            let (o, k) = (scaling.offset[c], scaling.scale[c]);
            let offset = (c as u64 * b.header.nsamples + pos) * cb as u64;
            let bytes = match (got, b.backing.is_spilled()) {
                (0, _) => &[][..],
                (_, true) => &rows[c * count * cb..(c * count + got) * cb],
                (_, false) => b.backing.slice(offset, got * cb).unwrap_or_default(),
            };
            b.code.widen(bytes, o, k, cfg.normalise, &mut row[..got]);
            row[got..].fill(0.0);
            b.replaced.for_each_in(c, pos, pos + got as u64, |s, e, level| {
                let v = if cfg.normalise { (level - o) * k } else { level };
                row[(s - pos) as usize..(e - pos) as usize].fill(v);
            });
        });
        if cfg.zerodm {
            // Each spectrum's mean over the live channels, summed in channel
            // order as the streaming feed sums a spectrum.
            let used = live_channels(scaling);
            let nchan = scaling.offset.len();
            self.sums.clear();
            self.sums.resize(got, 0.0);
            for c in 0..nchan {
                let row = &raw[c * width + at..c * width + at + got];
                self.sums.iter_mut().zip(row).for_each(|(s, &v)| *s += v);
            }
            let sums = &self.sums;
            raw.par_chunks_mut(width).enumerate().for_each(|(c, row)| {
                if scaling.scale[c] != 0.0 {
                    for (v, &s) in row[at..at + got].iter_mut().zip(sums) {
                        *v -= s / used;
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests;
