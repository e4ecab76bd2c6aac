//! SIGPROC filterbank: reader and writer.
//!
//! Samples of 1, 2, 4 and 8 bits are unsigned integers (8-bit ones two's
//! complement, -128 to 127, if the header has `signed = 1`), packed
//! first-sample-in-lowest-bits; 16-bit samples are little-endian unsigned
//! integers and 32-bit samples little-endian reals.
//! With `nifs = 2` the two IFs (AA and BB) are summed into total intensity;
//! more IFs are refused, since the header does not say what they are.

pub mod header;

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub use header::{SigprocHeader, SigprocValue};

use crate::astro;
use crate::beam::SpectraSource;
use crate::bits::{self, BitOrder};
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::ObservationSpec;
use crate::header::{BeamHeader, DataFormat};

/// Spectra read from disk per call.
const CHUNK_BYTES: usize = 1 << 20;

/// Streams spectra from a SIGPROC filterbank file.
pub struct FilterbankReader {
    path: PathBuf,
    file: BufReader<File>,
    header: BeamHeader,
    /// The header as parsed.
    pub sigproc: SigprocHeader,
    nifs: usize,
    signed: bool,
    descending: bool,
    pos: u64,
    bytes: Vec<u8>,
    unpacked: Vec<u8>,
}

impl FilterbankReader {
    /// Opens `path` and parses its header.
    pub fn open(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref().to_path_buf();
        let err = |k| FormatError::new(&path, k);
        let file = File::open(&path).map_err(|e| FormatError::io(&path, e))?;
        let file_size = file.metadata().map_err(|e| FormatError::io(&path, e))?.len();
        let mut r = BufReader::with_capacity(CHUNK_BYTES, file);
        let sig = SigprocHeader::read_from(&mut r).map_err(err)?;
        let need_int = |k: &str| sig.int(k).ok_or_else(|| err(FormatErrorKind::MissingKeyword(k.into())));
        let need_f64 = |k: &str| {
            sig.double(k)
                .ok_or_else(|| err(FormatErrorKind::MissingKeyword(k.into())))
        };
        let nchans = need_int("nchans")?;
        if nchans <= 0 {
            return Err(err(FormatErrorKind::ZeroChannels));
        }
        let nchans = nchans as usize;
        let nbits = need_int("nbits")?;
        if !matches!(nbits, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(err(FormatErrorKind::UnsupportedNbits(nbits.max(0) as u32)));
        }
        let nbits = nbits as u32;
        let nifs = sig.int("nifs").unwrap_or(1).max(1);
        if nifs > 2 {
            // AA, BB and cross terms, or Stokes IQUV? The header cannot say.
            return Err(err(FormatErrorKind::BadKeyword {
                key: "nifs".into(),
                value: nifs.to_string(),
                reason: "more than two IFs: a SIGPROC header does not say which products they are (AA, BB and \
                         cross terms, or Stokes IQUV), so total intensity cannot be formed; write AA and BB (2 IFs) \
                         or total intensity (1)"
                    .into(),
            }));
        }
        let nifs = nifs as usize;
        let tsamp = need_f64("tsamp")?;
        if !(tsamp > 0.0 && tsamp.is_finite()) {
            return Err(err(FormatErrorKind::BadKeyword {
                key: "tsamp".into(),
                value: tsamp.to_string(),
                reason: "the sample time must be positive".into(),
            }));
        }
        let fchannel: Vec<f64> = sig
            .items
            .iter()
            .filter(|(k, _)| k == "fchannel")
            .filter_map(|(_, v)| match v {
                SigprocValue::Double(d) => Some(*d),
                _ => None,
            })
            .collect();
        let (fch1, foff) = if fchannel.len() == nchans && nchans > 1 {
            (
                fchannel[0],
                (fchannel[nchans - 1] - fchannel[0]) / (nchans as f64 - 1.0),
            )
        } else {
            (need_f64("fch1")?, need_f64("foff")?)
        };
        if foff == 0.0 || !foff.is_finite() || !fch1.is_finite() {
            return Err(err(FormatErrorKind::BadKeyword {
                key: "foff".into(),
                value: foff.to_string(),
                reason: "the channel width must be non-zero".into(),
            }));
        }
        // Sizes from a header are not trusted: a product that overflows is an error.
        let Some(bytes_per_spectrum) = nchans
            .checked_mul(nifs)
            .and_then(|v| v.checked_mul(nbits as usize))
            .filter(|&v| v / 8 <= file_size as usize)
        else {
            return Err(err(FormatErrorKind::Unsupported(format!(
                "{nchans} channels x {nifs} IFs at {nbits} bits make one spectrum larger than the file"
            ))));
        };
        if bytes_per_spectrum % 8 != 0 {
            return Err(err(FormatErrorKind::Unsupported(format!(
                "{nchans} channels x {nifs} IFs at {nbits} bits is not a whole number of bytes per spectrum"
            ))));
        }
        let bps = (bytes_per_spectrum / 8) as u64;
        let data_len = file_size.saturating_sub(sig.len);
        let whole = data_len / bps;
        if let Some(n) = sig.int("nsamples").filter(|&n| n > 0) {
            if (n as u64) > whole {
                return Err(err(FormatErrorKind::Truncated {
                    what: format!("{n} spectra (header nsamples)"),
                    expected: sig.len + n as u64 * bps,
                    found: file_size,
                }));
            }
        }
        if data_len % bps != 0 {
            return Err(err(FormatErrorKind::Truncated {
                what: "the last spectrum".into(),
                expected: sig.len + (whole + 1) * bps,
                found: file_size,
            }));
        }
        if whole == 0 {
            return Err(err(FormatErrorKind::NoData(
                "the file has a header but no samples".into(),
            )));
        }
        let descending = foff < 0.0;
        let lofreq = if descending {
            fch1 + foff * (nchans as f64 - 1.0)
        } else {
            fch1
        };
        let beam_id = sig
            .int("ibeam")
            .filter(|_| sig.int("nbeams").unwrap_or(1) > 1)
            .map(|b| b as u32);
        let header = BeamHeader {
            files: vec![path.clone()],
            format: DataFormat::Filterbank,
            source_name: sig.string("source_name").unwrap_or_default().trim().to_string(),
            telescope: header::telescope_name(sig.int("telescope_id").unwrap_or(0)),
            backend: header::machine_name(sig.int("machine_id").unwrap_or(0)),
            project_id: String::new(),
            observer: String::new(),
            ra_deg: sig
                .double("src_raj")
                .map_or(0.0, |v| astro::sigproc_angle_to_value(v) * 15.0),
            dec_deg: sig.double("src_dej").map_or(0.0, astro::sigproc_angle_to_value),
            start_mjd: sig.double("tstart").unwrap_or(0.0),
            tsamp_s: tsamp,
            nsamples: sig.int("nsamples").filter(|&n| n > 0).map_or(whole, |n| n as u64),
            nchans,
            lofreq_mhz: lofreq,
            chan_bw_mhz: foff.abs(),
            nbits,
            npol: nifs,
            beam_id,
            chan_weights: vec![1.0; nchans],
            file_size,
        };
        let signed = matches!(sig.get("signed"), Some(SigprocValue::Byte(1)));
        Ok(Self {
            path,
            file: r,
            header,
            sigproc: sig,
            nifs,
            signed,
            descending,
            pos: 0,
            bytes: Vec::new(),
            unpacked: Vec::new(),
        })
    }

    /// Whether the file stores its channels highest frequency first (a
    /// negative `foff`; palfa reads them lowest first).
    pub fn descending(&self) -> bool {
        self.descending
    }

    fn bytes_per_spectrum(&self) -> usize {
        self.header.nchans * self.nifs * self.header.nbits as usize / 8
    }

    /// Turns `n` raw spectra in `self.bytes` into `out`.
    fn convert(&mut self, n: usize, out: &mut [f32]) {
        let nchans = self.header.nchans;
        let vals = nchans * self.nifs;
        let nbits = self.header.nbits;
        let bytes = &self.bytes[..n * self.bytes_per_spectrum()];
        if nbits <= 8 {
            self.unpacked.resize(n * vals, 0);
            bits::unpack(bytes, nbits, BitOrder::LsbFirst, &mut self.unpacked);
        }
        let unpacked = &self.unpacked;
        // `signed = 1`: 8-bit samples are two's complement (-128..127), as other readers take them.
        let signed = self.signed && nbits == 8;
        let level = |v: u8| if signed { v as i8 as f32 } else { v as f32 };
        // Raw values of IF `f` of spectrum `s`, as f32, written or added into `o`.
        let add_if = |o: &mut [f32], s: usize, f: usize, first: bool| {
            let base = s * vals + f * nchans;
            match nbits {
                16 => {
                    let raw = &bytes[2 * base..2 * (base + nchans)];
                    for (d, b) in o.iter_mut().zip(raw.chunks_exact(2)) {
                        let v = u16::from_le_bytes([b[0], b[1]]) as f32;
                        *d = if first { v } else { *d + v };
                    }
                }
                32 => {
                    let raw = &bytes[4 * base..4 * (base + nchans)];
                    for (d, b) in o.iter_mut().zip(raw.chunks_exact(4)) {
                        let v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                        *d = if first { v } else { *d + v };
                    }
                }
                _ => {
                    let raw = &unpacked[base..base + nchans];
                    if first {
                        for (d, &v) in o.iter_mut().zip(raw) {
                            *d = level(v);
                        }
                    } else {
                        for (d, &v) in o.iter_mut().zip(raw) {
                            *d += level(v);
                        }
                    }
                }
            }
        };
        for (s, o) in out[..n * nchans].chunks_exact_mut(nchans).enumerate() {
            for f in 0..self.nifs.min(2) {
                add_if(o, s, f, f == 0);
            }
            if self.descending {
                o.reverse();
            }
        }
    }
}

impl SpectraSource for FilterbankReader {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchans = self.header.nchans;
        assert_eq!(out.len() % nchans, 0, "read_spectra: buffer is not whole spectra");
        let bps = self.bytes_per_spectrum();
        let per_chunk = (CHUNK_BYTES / bps).max(1);
        let want = (out.len() / nchans).min((self.header.nsamples - self.pos) as usize);
        let mut done = 0;
        while done < want {
            let n = per_chunk.min(want - done);
            self.bytes.resize(n * bps, 0);
            let path = &self.path;
            self.file.read_exact(&mut self.bytes).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    FormatError::new(
                        path,
                        FormatErrorKind::Truncated {
                            what: "the data (file shrank while reading)".into(),
                            expected: self.header.file_size,
                            found: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
                        },
                    )
                } else {
                    FormatError::io(path, e)
                }
            })?;
            self.convert(n, &mut out[done * nchans..(done + n) * nchans]);
            done += n;
            self.pos += n as u64;
        }
        Ok(done)
    }

    fn position(&self) -> u64 {
        self.pos
    }

    fn seek(&mut self, index: u64) -> FormatResult<()> {
        let index = index.min(self.header.nsamples);
        let off = self.sigproc.len + index * self.bytes_per_spectrum() as u64;
        self.file
            .seek(SeekFrom::Start(off))
            .map_err(|e| FormatError::io(&self.path, e))?;
        self.pos = index;
        Ok(())
    }
}

/// Writes a SIGPROC filterbank file.
///
/// Samples are given lowest frequency first; with `spec.descending` they are
/// stored highest first with a negative `foff`. Integer depths round and clip
/// each value to `0 ..= 2^nbits − 1`, so integer input in range is stored exactly.
pub struct FilterbankWriter {
    path: PathBuf,
    out: BufWriter<File>,
    spec: ObservationSpec,
    nsamples: u64,
    scratch: Vec<u8>,
}

impl FilterbankWriter {
    /// Creates `path` and writes its header.
    pub fn create(path: impl AsRef<Path>, spec: &ObservationSpec) -> FormatResult<Self> {
        let path = path.as_ref().to_path_buf();
        if !matches!(spec.nbits, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(FormatError::new(&path, FormatErrorKind::UnsupportedNbits(spec.nbits)));
        }
        if spec.nchans == 0 {
            return Err(FormatError::new(&path, FormatErrorKind::ZeroChannels));
        }
        if !(spec.nchans * spec.nbits as usize).is_multiple_of(8) {
            return Err(FormatError::new(
                &path,
                FormatErrorKind::Unsupported(format!(
                    "{} channels at {} bits is not whole bytes",
                    spec.nchans, spec.nbits
                )),
            ));
        }
        let file = File::create(&path).map_err(|e| FormatError::io(&path, e))?;
        let mut out = BufWriter::with_capacity(CHUNK_BYTES, file);
        let (fch1, foff) = if spec.descending {
            (spec.freq_mhz(spec.nchans - 1), -spec.chan_bw_mhz)
        } else {
            (spec.lofreq_mhz, spec.chan_bw_mhz)
        };
        use SigprocValue::*;
        let mut items = vec![
            ("telescope_id".to_string(), Int(header::telescope_id(&spec.telescope))),
            ("machine_id".to_string(), Int(0)),
            ("data_type".to_string(), Int(1)),
            (
                "source_name".to_string(),
                Str(if spec.source_name.is_empty() {
                    "unknown".into()
                } else {
                    spec.source_name.clone()
                }),
            ),
            (
                "src_raj".to_string(),
                Double(astro::value_to_sigproc_angle(spec.ra_deg / 15.0)),
            ),
            (
                "src_dej".to_string(),
                Double(astro::value_to_sigproc_angle(spec.dec_deg)),
            ),
            ("tstart".to_string(), Double(spec.start_mjd)),
            ("tsamp".to_string(), Double(spec.tsamp_s)),
            ("fch1".to_string(), Double(fch1)),
            ("foff".to_string(), Double(foff)),
            ("nchans".to_string(), Int(spec.nchans as i32)),
            ("nbits".to_string(), Int(spec.nbits as i32)),
            ("nifs".to_string(), Int(1)),
        ];
        if let Some(b) = spec.beam_id {
            items.push(("nbeams".to_string(), Int(8)));
            items.push(("ibeam".to_string(), Int(b as i32)));
        }
        let hdr = SigprocHeader { items, len: 0 };
        out.write_all(&hdr.to_bytes()).map_err(|e| FormatError::io(&path, e))?;
        Ok(Self {
            path,
            out,
            spec: spec.clone(),
            nsamples: 0,
            scratch: Vec::new(),
        })
    }

    /// Appends spectra (time-major, lowest frequency first).
    pub fn write_spectra(&mut self, data_tc: &[f32]) -> FormatResult<()> {
        let n = self.spec.nchans;
        assert_eq!(data_tc.len() % n, 0, "write_spectra: not whole spectra");
        let nbits = self.spec.nbits;
        let desc = self.spec.descending;
        self.scratch.clear();
        let ordered = data_tc
            .chunks_exact(n)
            .flat_map(|s| (0..n).map(move |c| s[if desc { n - 1 - c } else { c }]));
        match nbits {
            32 => self.scratch.extend(ordered.flat_map(|v| v.to_le_bytes())),
            16 => self
                .scratch
                .extend(ordered.flat_map(|v| (v.round().clamp(0.0, 65535.0) as u16).to_le_bytes())),
            _ => {
                let max = ((1u32 << nbits) - 1) as f32;
                let q: Vec<u8> = ordered.map(|v| v.round().clamp(0.0, max) as u8).collect();
                self.scratch = bits::pack(&q, nbits, BitOrder::LsbFirst);
            }
        }
        self.out
            .write_all(&self.scratch)
            .map_err(|e| FormatError::io(&self.path, e))?;
        self.nsamples += (data_tc.len() / n) as u64;
        Ok(())
    }

    /// Flushes and closes the file; returns the number of spectra written.
    pub fn finish(mut self) -> FormatResult<u64> {
        self.out.flush().map_err(|e| FormatError::io(&self.path, e))?;
        Ok(self.nsamples)
    }
}
