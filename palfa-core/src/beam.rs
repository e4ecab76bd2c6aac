//! One streaming reader API for every data format.
//!
//! [`open_beam`] opens a SIGPROC filterbank, a PSRFITS search-mode file, consecutive
//! files of one observation or a PALFA Mock s0/s1 pair and returns a [`SpectraSource`]: it yields blocks of spectra as
//! `f32`, time-major (`data_tc`: all channels of spectrum 0, then spectrum 1, …),
//! **lowest frequency first**, with scales, offsets and weights applied and
//! polarisations summed to total intensity. A multi-GB file is never read whole:
//! memory use is one block plus one file row.
//!
//! ```no_run
//! use palfa_core::beam::open_beam;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut beam = open_beam(&["beam.fil"])?;
//! let nchans = beam.header().nchans;
//! let mut block = vec![0f32; 4096 * nchans];
//! let mut total = 0.0f64;
//! loop {
//!     let n = beam.read_spectra(&mut block)?;
//!     if n == 0 { break; }
//!     total += block[..n * nchans].iter().map(|&x| x as f64).sum::<f64>();
//! }
//! println!("mean sample value {}", total / (beam.header().nsamples as f64 * nchans as f64));
//! # Ok(()) }
//! ```

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::sequence::{self, StartTime};
use crate::formats::{filterbank, mock, psrfits};
use crate::header::{BeamHeader, DataFormat};

/// A beam read block by block.
pub trait SpectraSource: Send {
    /// The beam's metadata.
    fn header(&self) -> &BeamHeader;

    /// Reads up to `out.len() / nchans` spectra from the current position into `out`
    /// (time-major, lowest frequency first) and returns how many were read; 0 at the end.
    ///
    /// # Panics
    /// If `out.len()` is not a multiple of `nchans`.
    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize>;

    /// Reads spectra until `out` is full or the beam ends (as many
    /// [`read_spectra`](Self::read_spectra) calls as that takes) and returns
    /// how many were read: fewer than `out.len() / nchans` only at the end.
    ///
    /// # Panics
    /// If `out.len()` is not a multiple of `nchans`.
    fn read_full(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchans = self.header().nchans.max(1);
        let want = out.len() / nchans;
        let mut got = 0;
        while got < want {
            let n = self.read_spectra(&mut out[got * nchans..])?;
            if n == 0 {
                break;
            }
            got += n;
        }
        Ok(got)
    }

    /// Index of the next spectrum [`read_spectra`](Self::read_spectra) will return.
    fn position(&self) -> u64;

    /// Moves to spectrum `index` (clamped to the end).
    fn seek(&mut self, index: u64) -> FormatResult<()>;
}

impl<T: SpectraSource + ?Sized> SpectraSource for Box<T> {
    fn header(&self) -> &BeamHeader {
        (**self).header()
    }
    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        (**self).read_spectra(out)
    }
    fn position(&self) -> u64 {
        (**self).position()
    }
    fn seek(&mut self, index: u64) -> FormatResult<()> {
        (**self).seek(index)
    }
}

/// Detects the format of the file at `path` from its first bytes.
pub fn detect_format(path: &Path) -> FormatResult<DataFormat> {
    let mut f = File::open(path).map_err(|e| FormatError::io(path, e))?;
    let mut head = [0u8; 16];
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(FormatError::io(path, e)),
        }
    }
    if n >= 9 && &head[..9] == b"SIMPLE  =" {
        return Ok(DataFormat::Psrfits);
    }
    if n >= 16 && head[..4] == 12i32.to_le_bytes() && &head[4..16] == b"HEADER_START" {
        return Ok(DataFormat::Filterbank);
    }
    Err(FormatError::new(
        path,
        FormatErrorKind::BadMagic {
            format: "SIGPROC filterbank or PSRFITS",
            reason: if n == 0 {
                "the file is empty".into()
            } else {
                "it starts with neither HEADER_START nor SIMPLE".into()
            },
        },
    ))
}

/// Opens one data file, whatever its format.
pub fn open_file(path: impl AsRef<Path>) -> FormatResult<Box<dyn SpectraSource>> {
    let path = path.as_ref();
    Ok(match detect_format(path)? {
        DataFormat::Filterbank => Box::new(filterbank::FilterbankReader::open(path)?),
        _ => Box::new(psrfits::PsrfitsReader::open(path)?),
    })
}

/// Opens a beam: one file, consecutive files of one observation, or the two
/// halves of a PALFA Mock beam (each half in one file or in several).
///
/// Files are grouped by their channels: files of one band are consecutive in
/// time and read one after the other (in start-time order, gaps filled; see
/// [`sequence`](crate::formats::sequence)); two bands are the Mock halves,
/// merged into one band (which is the lower is decided by frequency, not by
/// name; see [`mock`]). More bands than two are refused.
pub fn open_beam<P: AsRef<Path>>(paths: &[P]) -> FormatResult<Box<dyn SpectraSource>> {
    let many = match paths {
        [] => {
            return Err(FormatError::new(
                PathBuf::new(),
                FormatErrorKind::NoData("no input file given".into()),
            ))
        }
        [one] => return open_file(one),
        many => many,
    };
    let mut bands: Vec<Vec<(Box<dyn SpectraSource>, StartTime)>> = Vec::new();
    for path in many {
        let part = sequence::open_part(path.as_ref())?;
        match bands
            .iter_mut()
            .find(|b| sequence::same_channels(b[0].0.header(), part.0.header()))
        {
            Some(band) => band.push(part),
            None => bands.push(vec![part]),
        }
    }
    if bands.len() > 2 {
        return Err(FormatError::new(
            many[0].as_ref(),
            FormatErrorKind::Unsupported(format!(
                "the {} files given for one beam cover {} different bands; palfa reads consecutive files \
                 of one band, or of the two halves of a Mock beam",
                many.len(),
                bands.len()
            )),
        ));
    }
    let mut sources = Vec::with_capacity(2);
    for mut band in bands {
        sources.push(if band.len() == 1 {
            band.pop().expect("one file").0
        } else {
            Box::new(sequence::TimeSequence::new(band)?) as Box<dyn SpectraSource>
        });
    }
    let first = sources.remove(0);
    match sources.pop() {
        None => Ok(first),
        Some(second) => Ok(Box::new(mock::MockMerger::from_sources(first, second)?)),
    }
}

/// A beam held in memory (time-major, lowest frequency first): for tests, for
/// small beams and for data made by other programs (e.g. through the Python bindings).
#[derive(Debug, Clone)]
pub struct MemorySource {
    header: BeamHeader,
    data: Vec<f32>,
    pos: u64,
    read_limit: usize,
}

impl MemorySource {
    /// Wraps `data_tc` (`header.nchans` values per spectrum); `header.nsamples`
    /// is set from the data.
    ///
    /// # Panics
    /// If `data_tc.len()` is not a multiple of `header.nchans`.
    pub fn new(mut header: BeamHeader, data_tc: Vec<f32>) -> Self {
        assert!(
            header.nchans > 0 && data_tc.len().is_multiple_of(header.nchans),
            "MemorySource: not whole spectra"
        );
        header.nsamples = (data_tc.len() / header.nchans) as u64;
        if header.chan_weights.len() != header.nchans {
            header.chan_weights = vec![1.0; header.nchans];
        }
        Self {
            header,
            data: data_tc,
            pos: 0,
            read_limit: usize::MAX,
        }
    }

    /// Makes each read return at most `spectra` spectra (at least 1), as a
    /// file reader does at its block boundaries: for testing code that must
    /// cope with short reads.
    pub fn with_read_limit(mut self, spectra: usize) -> Self {
        self.read_limit = spectra.max(1);
        self
    }
}

impl SpectraSource for MemorySource {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let n = self.header.nchans;
        assert_eq!(out.len() % n, 0, "read_spectra: buffer is not whole spectra");
        let k = (out.len() / n)
            .min((self.header.nsamples - self.pos) as usize)
            .min(self.read_limit);
        let start = self.pos as usize * n;
        out[..k * n].copy_from_slice(&self.data[start..start + k * n]);
        self.pos += k as u64;
        Ok(k)
    }

    fn position(&self) -> u64 {
        self.pos
    }

    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.pos = index.min(self.header.nsamples);
        Ok(())
    }
}

/// Reads `nspec` spectra starting at `start` into a new time-major buffer
/// (fewer if the beam ends first). Convenient for small beams and tests.
pub fn read_range(src: &mut dyn SpectraSource, start: u64, nspec: usize) -> FormatResult<Vec<f32>> {
    let nchans = src.header().nchans;
    src.seek(start)?;
    let mut out = vec![0f32; nspec * nchans];
    let filled = src.read_full(&mut out)?;
    out.truncate(filled * nchans);
    Ok(out)
}
