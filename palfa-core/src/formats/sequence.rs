//! Consecutive files of one observation read as one beam.
//!
//! Backends split long observations into files (PSRFITS files of a few GB, each
//! starting where the previous one stopped; `NSUBOFFS`/`OFFS_SUB` say where).
//! [`TimeSequence`] orders the files by start time, checks that they describe
//! the same band and sampling, and yields their spectra one after the other.
//! Where samples are missing between two files (a dropped file, a backend
//! restart), the gap is filled with the per-channel mean of the last spectra
//! before it, as PRESTO pads gaps: the beam keeps its time axis, and a constant
//! level adds no periodic signal. Files that overlap in time, or whose gaps are
//! longer than their data, are refused: they are not one observation.

use std::path::Path;

use crate::astro::SECONDS_PER_DAY;
use crate::beam::{detect_format, SpectraSource};
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::{filterbank, psrfits};
use crate::header::{BeamHeader, DataFormat};

/// Spectra averaged (at most) to fill a gap after a file.
const FILL_SPECTRA: u64 = 1024;

/// When a file's first sample was taken: a whole MJD and seconds into it, kept
/// apart so that offsets between files of one observation stay exact to far
/// below a sample (an `f64` MJD alone resolves about a microsecond).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StartTime {
    /// Whole MJD (UTC days).
    pub day: i64,
    /// Seconds after the start of `day` (may exceed a day).
    pub seconds: f64,
}

impl StartTime {
    /// A start `seconds` after MJD `day`.
    pub fn new(day: i64, seconds: f64) -> Self {
        Self { day, seconds }
    }

    /// The start at a (fractional) MJD.
    pub fn from_mjd(mjd: f64) -> Self {
        let day = mjd.floor();
        Self::new(day as i64, (mjd - day) * SECONDS_PER_DAY)
    }

    /// The start as a fractional MJD.
    pub fn mjd(&self) -> f64 {
        self.day as f64 + self.seconds / SECONDS_PER_DAY
    }

    /// Seconds from `earlier` to `self`.
    pub fn seconds_since(&self, earlier: &StartTime) -> f64 {
        (self.day - earlier.day) as f64 * SECONDS_PER_DAY + (self.seconds - earlier.seconds)
    }
}

/// Opens one data file and says when its first sample was taken.
pub fn open_part(path: &Path) -> FormatResult<(Box<dyn SpectraSource>, StartTime)> {
    Ok(match detect_format(path)? {
        DataFormat::Filterbank => {
            let r = filterbank::FilterbankReader::open(path)?;
            let start = StartTime::from_mjd(r.header().start_mjd);
            (Box::new(r), start)
        }
        _ => {
            let r = psrfits::PsrfitsReader::open(path)?;
            let start = r.start_time();
            (Box::new(r), start)
        }
    })
}

/// One file of the sequence.
struct Part {
    source: Box<dyn SpectraSource>,
    /// Index in the sequence of the file's first spectrum.
    first: u64,
    /// Spectra in the file.
    len: u64,
    /// Values of the gap after this file (empty when none follows).
    fill: Vec<f32>,
}

/// Files of one observation, in time order, read as one beam (see the
/// [module documentation](self)).
pub struct TimeSequence {
    parts: Vec<Part>,
    header: BeamHeader,
    pos: u64,
}

impl TimeSequence {
    /// Orders `parts` (opened files and their start times) by start time and
    /// checks that they continue one another.
    pub fn new(mut parts: Vec<(Box<dyn SpectraSource>, StartTime)>) -> FormatResult<Self> {
        if parts.is_empty() {
            return Err(FormatError::new(
                std::path::PathBuf::new(),
                FormatErrorKind::NoData("no input file given".into()),
            ));
        }
        parts.sort_by(|a, b| a.1.seconds_since(&b.1).total_cmp(&0.0));
        let (first_src, t0) = (&parts[0].0, parts[0].1);
        let h0 = first_src.header().clone();
        let tsamp = h0.tsamp_s;
        let mut seq: Vec<Part> = Vec::with_capacity(parts.len());
        let mut end = 0u64;
        let mut data_len = 0u64;
        for (source, start) in parts {
            let h = source.header();
            let path = h.files[0].clone();
            let bad = |msg: String| FormatError::new(&path, FormatErrorKind::Inconsistent(msg));
            if let Some(why) = band_difference(&h0, h) {
                return Err(bad(format!(
                    "{why} from {}; files of one observation share band and sampling",
                    h0.files[0].display()
                )));
            }
            let offset = start.seconds_since(&t0) / tsamp;
            let first = offset.round();
            if !(0.0..9.0e15).contains(&first) {
                return Err(bad(format!(
                    "its start time is {offset} samples after the first file's"
                )));
            }
            let first = first as u64;
            if first < end {
                return Err(bad(format!(
                    "it starts {} spectra before {} ends: the files overlap in time",
                    end - first,
                    seq.last()
                        .map_or(String::new(), |p| p.source.header().files[0].display().to_string()),
                )));
            }
            data_len += h.nsamples;
            end = first + h.nsamples;
            seq.push(Part {
                len: h.nsamples,
                first,
                source,
                fill: Vec::new(),
            });
        }
        let gaps = end - data_len;
        if gaps > data_len {
            return Err(FormatError::new(
                &h0.files[0],
                FormatErrorKind::Inconsistent(format!(
                    "the files hold {data_len} spectra but leave {gaps} missing between them: \
                     they do not look like one observation"
                )),
            ));
        }
        for i in 0..seq.len().saturating_sub(1) {
            if seq[i].first + seq[i].len < seq[i + 1].first {
                let fill = tail_means(seq[i].source.as_mut())?;
                seq[i].fill = fill;
                tracing::debug!(
                    file = %seq[i].source.header().files[0].display(),
                    missing = seq[i + 1].first - seq[i].first - seq[i].len,
                    "gap between files filled with channel means"
                );
            }
        }
        let mut weights = h0.chan_weights.clone();
        for p in &seq[1..] {
            for (w, &v) in weights.iter_mut().zip(&p.source.header().chan_weights) {
                *w = w.min(v);
            }
        }
        let header = BeamHeader {
            files: seq.iter().flat_map(|p| p.source.header().files.clone()).collect(),
            nsamples: end,
            file_size: seq.iter().map(|p| p.source.header().file_size).sum(),
            nbits: seq.iter().map(|p| p.source.header().nbits).max().unwrap_or(h0.nbits),
            chan_weights: weights,
            ..h0
        };
        Ok(Self {
            parts: seq,
            header,
            pos: 0,
        })
    }

    /// Opens `paths` (any order) as one observation.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> FormatResult<Self> {
        let parts = paths
            .iter()
            .map(|p| open_part(p.as_ref()))
            .collect::<FormatResult<Vec<_>>>()?;
        Self::new(parts)
    }

    /// Spectra missing between the files (filled with channel means).
    pub fn gap_spectra(&self) -> u64 {
        self.header.nsamples - self.parts.iter().map(|p| p.len).sum::<u64>()
    }
}

/// Whether two files have the same channels (count, first frequency and width),
/// so that one may continue the other in time.
pub(crate) fn same_channels(a: &BeamHeader, b: &BeamHeader) -> bool {
    let bw = a.chan_bw_mhz.abs();
    a.nchans == b.nchans
        && (a.chan_bw_mhz - b.chan_bw_mhz).abs() <= 1e-4 * bw
        && (a.lofreq_mhz - b.lofreq_mhz).abs() <= 0.01 * bw
}

/// Why `h` cannot continue `h0` in time, if it cannot.
fn band_difference(h0: &BeamHeader, h: &BeamHeader) -> Option<String> {
    if h.nchans != h0.nchans {
        return Some(format!("it has {} channels, {} in", h.nchans, h0.nchans));
    }
    if (h.tsamp_s - h0.tsamp_s).abs() > 1e-9 * h0.tsamp_s {
        return Some(format!("its sample time is {} s, {} s in", h.tsamp_s, h0.tsamp_s));
    }
    if !same_channels(h0, h) {
        return Some(format!(
            "its channels start at {} MHz, {} MHz apart, not at {} MHz, {} MHz apart as",
            h.lofreq_mhz, h.chan_bw_mhz, h0.lofreq_mhz, h0.chan_bw_mhz
        ));
    }
    None
}

/// Per-channel mean of the last (up to) [`FILL_SPECTRA`] spectra of `src`.
fn tail_means(src: &mut dyn SpectraSource) -> FormatResult<Vec<f32>> {
    let (n, nchans) = (src.header().nsamples, src.header().nchans);
    let take = n.min(FILL_SPECTRA) as usize;
    let data = crate::beam::read_range(src, n - take as u64, take)?;
    let mut sums = vec![0f64; nchans];
    for spec in data.chunks_exact(nchans) {
        for (s, &v) in sums.iter_mut().zip(spec) {
            *s += v as f64;
        }
    }
    let rows = (data.len() / nchans).max(1) as f64;
    Ok(sums.iter().map(|s| (s / rows) as f32).collect())
}

impl SpectraSource for TimeSequence {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchans = self.header.nchans;
        assert_eq!(out.len() % nchans, 0, "read_spectra: buffer is not whole spectra");
        let want = out.len() / nchans;
        let mut done = 0;
        while done < want && self.pos < self.header.nsamples {
            // The last file starting at or before pos.
            let i = self.parts.partition_point(|p| p.first <= self.pos) - 1;
            let part = &mut self.parts[i];
            let dst = &mut out[done * nchans..want * nchans];
            let n = if self.pos < part.first + part.len {
                let at = self.pos - part.first;
                if part.source.position() != at {
                    part.source.seek(at)?;
                }
                let room = ((part.len - at) as usize).min(want - done);
                let k = part.source.read_spectra(&mut dst[..room * nchans])?;
                if k == 0 {
                    let path = part.source.header().files[0].clone();
                    return Err(FormatError::new(
                        path,
                        FormatErrorKind::Inconsistent(format!("the file ended after {at} of its {} spectra", part.len)),
                    ));
                }
                k
            } else {
                let next = self.parts.get(i + 1).map_or(self.header.nsamples, |p| p.first);
                let n = ((next - self.pos) as usize).min(want - done);
                for spec in dst[..n * nchans].chunks_exact_mut(nchans) {
                    spec.copy_from_slice(&self.parts[i].fill);
                }
                n
            };
            done += n;
            self.pos += n as u64;
        }
        Ok(done)
    }

    fn position(&self) -> u64 {
        self.pos
    }

    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.pos = index.min(self.header.nsamples);
        Ok(())
    }
}
