//! Streaming PSRFITS search-mode reader.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::SUBINT;
use crate::astro::{self, SECONDS_PER_DAY};
use crate::beam::SpectraSource;
use crate::bits::{self, BitOrder};
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::fits::bintable::{be_f32s, be_f64, Column, ColumnType, TableLayout};
use crate::formats::fits::{scan_hdus, FitsHeader};
use crate::formats::sequence::StartTime;
use crate::header::{BeamHeader, DataFormat};

/// How the stored polarisation products are turned into total intensity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PolSum {
    /// Use product 0 only (one product, or Stokes I of IQUV).
    First,
    /// Sum products 0 and 1 (AA and BB of AABB / AABBCRCI).
    FirstTwo,
}

/// Where the fields of one SUBINT row are.
#[derive(Debug, Clone)]
struct RowLayout {
    data: Column,
    freq: Option<Column>,
    wts: Option<Column>,
    offs: Option<Column>,
    scl: Option<Column>,
    offs_sub: Option<Column>,
}

/// Reads a PSRFITS search-mode file one SUBINT row at a time.
///
/// Values are `(raw − |ZERO_OFF|) · DAT_SCL + DAT_OFFS`, times `DAT_WTS`, with
/// `TZERO`/`TSCAL` of the `DATA` column applied to `raw` first. Polarisations are
/// summed to total intensity (AA+BB for `AABB…`, I for `IQUV`). Channels come out
/// lowest frequency first.
pub struct PsrfitsReader {
    path: PathBuf,
    file: BufReader<File>,
    header: BeamHeader,
    data_start: u64,
    table: TableLayout,
    layout: RowLayout,
    nsblk: usize,
    nchan: usize,
    npol: usize,
    nbits: u32,
    zero_off: f32,
    /// SIGNINT = 1 with 8-bit samples.
    signed_bytes: bool,
    pol_sum: PolSum,
    descending: bool,
    /// When the first sample was taken.
    start: StartTime,
    pos: u64,
    cached_row: Option<u64>,
    row_bytes: Vec<u8>,
    raw_u8: Vec<u8>,
    row_values: Vec<f32>,
    gain: Vec<f32>,
    bias: Vec<f32>,
    scratch: Vec<f32>,
}

impl PsrfitsReader {
    /// Opens `path` and reads its headers and first row.
    pub fn open(path: impl AsRef<Path>) -> FormatResult<Self> {
        let path = path.as_ref().to_path_buf();
        let err = |k: FormatErrorKind| FormatError::new(&path, k);
        let hdus = scan_hdus(&path, |h| h.extname().as_deref() == Some(SUBINT))?;
        let primary = &hdus[0].header;
        if let Some(mode) = primary.get_str("OBS_MODE") {
            let mode = mode.trim().to_uppercase();
            if !mode.is_empty() && mode != "SEARCH" && mode != "SRCH" {
                return Err(err(FormatErrorKind::Unsupported(format!(
                    "OBS_MODE = '{mode}': only search-mode PSRFITS holds spectra"
                ))));
            }
        }
        let subint = hdus
            .iter()
            .find(|h| h.extname().as_deref() == Some(SUBINT))
            .ok_or_else(|| err(FormatErrorKind::NoData("there is no SUBINT table".into())))?;
        let sh = &subint.header;
        let table = TableLayout::from_header(sh).map_err(err)?;
        let nchan = positive(sh, "NCHAN").map_err(err)?;
        if nchan == 0 {
            return Err(err(FormatErrorKind::ZeroChannels));
        }
        let nsblk = positive(sh, "NSBLK").map_err(err)?;
        let npol = positive(sh, "NPOL").map_err(err)?.max(1);
        let nbits = sh.require_i64("NBITS").map_err(err)?;
        if !matches!(nbits, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(err(FormatErrorKind::UnsupportedNbits(nbits.max(0) as u32)));
        }
        let nbits = nbits as u32;
        let tbin = sh.require_f64("TBIN").map_err(err)?;
        if !(tbin > 0.0 && tbin.is_finite()) {
            return Err(err(FormatErrorKind::BadKeyword {
                key: "TBIN".into(),
                value: tbin.to_string(),
                reason: "the sample time must be positive".into(),
            }));
        }
        if table.nrows == 0 {
            return Err(err(FormatErrorKind::NoData("the SUBINT table has no rows".into())));
        }
        if nsblk == 0 {
            return Err(err(FormatErrorKind::NoData("NSBLK = 0 spectra per row".into())));
        }
        let layout = row_layout(&table, nsblk, npol, nchan, nbits).map_err(err)?;
        let pol_type = sh.get_str("POL_TYPE").unwrap_or_default().trim().to_uppercase();
        let pol_sum = pol_sum(npol, &pol_type).map_err(err)?;
        let zero_off = sh.get_f64("ZERO_OFF").map_err(err)?.unwrap_or(0.0).abs() as f32;
        // SIGNINT = 1: the samples are two's-complement signed bytes.
        let signed_bytes = match (sh.get_i64("SIGNINT").map_err(err)?.unwrap_or(0), nbits) {
            (0, _) | (_, 16 | 32) => false,
            (1, 8) => true,
            (v, n) => {
                return Err(err(FormatErrorKind::BadKeyword {
                    key: "SIGNINT".into(),
                    value: v.to_string(),
                    reason: format!("signed samples are defined for 8 bits (0 or 1), not {n}-bit ones"),
                }))
            }
        };

        let file = File::open(&path).map_err(|e| FormatError::io(&path, e))?;
        let file_size = file.metadata().map_err(|e| FormatError::io(&path, e))?.len();
        let mut reader = Self {
            path: path.clone(),
            file: BufReader::with_capacity(1 << 16, file),
            header: placeholder_header(&path),
            data_start: subint.data_start,
            table,
            layout,
            nsblk,
            nchan,
            npol,
            nbits,
            zero_off,
            signed_bytes,
            pol_sum,
            descending: false,
            start: StartTime::from_mjd(0.0),
            pos: 0,
            cached_row: None,
            row_bytes: Vec::new(),
            raw_u8: Vec::new(),
            row_values: Vec::new(),
            gain: Vec::new(),
            bias: Vec::new(),
            scratch: Vec::new(),
        };
        reader.read_row_bytes(0)?;
        let freqs = reader.first_row_freqs(primary, sh).map_err(err)?;
        reader.descending = freqs.len() > 1 && freqs[1] < freqs[0];
        let mut weights = reader
            .row_f32(&reader.layout.wts.clone())
            .unwrap_or_else(|| vec![1.0; nchan]);
        if reader.descending {
            weights.reverse();
        }
        let (lo, chan_bw) = band_from(primary, sh, &freqs).map_err(err)?;
        let offs_sub = reader
            .layout
            .offs_sub
            .as_ref()
            .map(|c| be_f64(&reader.row_bytes[c.offset..]));
        let nsuboffs = sh.get_i64("NSUBOFFS").map_err(err)?.unwrap_or(0);
        reader.start = start_time(primary, offs_sub, nsuboffs, nsblk, tbin).map_err(err)?;
        let start_mjd = reader.start.mjd();
        let ra_deg = primary
            .get_str("RA")
            .and_then(|s| astro::parse_sexagesimal(&s))
            .map_or(0.0, |h| h * 15.0);
        let dec_deg = primary
            .get_str("DEC")
            .and_then(|s| astro::parse_sexagesimal(&s))
            .unwrap_or(0.0);
        let text = |k: &str| primary.get_str(k).map(|s| s.trim().to_string()).unwrap_or_default();
        reader.header = BeamHeader {
            files: vec![path.clone()],
            format: DataFormat::Psrfits,
            source_name: text("SRC_NAME"),
            telescope: text("TELESCOP"),
            backend: text("BACKEND"),
            project_id: text("PROJID"),
            observer: text("OBSERVER"),
            ra_deg,
            dec_deg,
            start_mjd,
            tsamp_s: tbin,
            nsamples: reader.table.nrows * nsblk as u64,
            nchans: nchan,
            lofreq_mhz: lo,
            chan_bw_mhz: chan_bw,
            nbits,
            npol,
            beam_id: primary
                .get_i64("IBEAM")
                .ok()
                .flatten()
                .map(|b| b as u32)
                .or_else(|| super::beam_from_name(&path)),
            chan_weights: weights,
            file_size,
        };
        Ok(reader)
    }

    /// Number of SUBINT rows.
    pub fn nrows(&self) -> u64 {
        self.table.nrows
    }

    /// Spectra per row (`NSBLK`).
    pub fn nsblk(&self) -> usize {
        self.nsblk
    }

    /// When this file's first sample was taken: the observation's start
    /// (`STT_IMJD`, `STT_SMJD`, `STT_OFFS`, `BE_DELAY`) plus the start of row 1
    /// (`OFFS_SUB − TSUBINT/2`, or `NSUBOFFS · NSBLK · TBIN` without `OFFS_SUB`),
    /// kept as whole day and seconds so that files of one observation line up exactly.
    pub fn start_time(&self) -> StartTime {
        self.start
    }

    /// Whether the file stores its channels highest frequency first (palfa
    /// reads them lowest first).
    pub fn descending(&self) -> bool {
        self.descending
    }

    /// The per-channel mean of the data of row `row` as [`SpectraSource::read_spectra`]
    /// returns them (scaled, weighted, lowest frequency first).
    pub fn row_channel_means(&mut self, row: u64) -> FormatResult<Vec<f64>> {
        self.load_row(row)?;
        let mut sums = vec![0f64; self.nchan];
        for spec in self.row_values.chunks_exact(self.nchan) {
            for (s, &v) in sums.iter_mut().zip(spec) {
                *s += v as f64;
            }
        }
        Ok(sums.iter().map(|s| s / self.nsblk as f64).collect())
    }

    fn read_row_bytes(&mut self, row: u64) -> FormatResult<()> {
        let off = self.data_start + row * self.table.row_len as u64;
        self.row_bytes.resize(self.table.row_len, 0);
        self.file
            .seek(SeekFrom::Start(off))
            .and_then(|_| self.file.read_exact(&mut self.row_bytes))
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    FormatError::new(
                        &self.path,
                        FormatErrorKind::Truncated {
                            what: format!("SUBINT row {}", row + 1),
                            expected: off + self.table.row_len as u64,
                            found: std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0),
                        },
                    )
                } else {
                    FormatError::io(&self.path, e)
                }
            })
    }

    /// A float column of the cached row (or `None` if absent).
    fn row_f32(&self, col: &Option<Column>) -> Option<Vec<f32>> {
        let c = col.as_ref()?;
        let mut v = vec![0f32; c.repeat];
        be_f32s(&self.row_bytes[c.offset..c.offset + c.len], &mut v);
        Some(v)
    }

    fn first_row_freqs(&self, primary: &FitsHeader, subint: &FitsHeader) -> Result<Vec<f64>, FormatErrorKind> {
        let n = self.nchan;
        if let Some(f) = self.row_f32(&self.layout.freq) {
            let f: Vec<f64> = f.iter().map(|&x| x as f64).collect();
            let monotonic = f.len() == n
                && f.iter().all(|x| x.is_finite() && *x > 0.0)
                && (n == 1 || f.windows(2).all(|w| w[1] > w[0]) || f.windows(2).all(|w| w[1] < w[0]));
            if monotonic {
                return Ok(f);
            }
        }
        // No usable DAT_FREQ: the channels from OBSFREQ and the SUBINT
        // table's CHAN_BW (either sign), else OBSBW / NCHAN.
        let fctr = primary.require_f64("OBSFREQ")?;
        let usable = |x: f64| x != 0.0 && x.is_finite();
        let df = match subint.get_f64("CHAN_BW")?.filter(|&x| usable(x)) {
            Some(df) => df,
            None => {
                let bw = primary.require_f64("OBSBW")?;
                if !usable(bw) {
                    return Err(FormatErrorKind::BadKeyword {
                        key: "OBSBW".into(),
                        value: bw.to_string(),
                        reason: "no DAT_FREQ and no CHAN_BW, so the bandwidth must be non-zero".into(),
                    });
                }
                bw / n as f64
            }
        };
        Ok((0..n)
            .map(|i| fctr + (i as f64 - 0.5 * (n as f64 - 1.0)) * df)
            .collect())
    }

    fn load_row(&mut self, row: u64) -> FormatResult<()> {
        if self.cached_row == Some(row) {
            return Ok(());
        }
        self.read_row_bytes(row)?;
        let (nchan, npol, nsblk) = (self.nchan, self.npol, self.nsblk);
        let npol_used = match self.pol_sum {
            PolSum::First => 1,
            PolSum::FirstTwo => 2,
        };
        // Per (pol, channel): value = raw * gain + bias.
        let wts = self
            .row_f32(&self.layout.wts.clone())
            .unwrap_or_else(|| vec![1.0; nchan]);
        let scl = self.row_f32(&self.layout.scl.clone());
        let offs = self.row_f32(&self.layout.offs.clone());
        self.gain.resize(npol_used * nchan, 0.0);
        self.bias.resize(npol_used * nchan, 0.0);
        let pick = |v: &Option<Vec<f32>>, p: usize, c: usize, default: f32| match v {
            Some(v) if v.len() >= nchan * npol => v[p * nchan + c],
            Some(v) if v.len() >= nchan => v[c],
            _ => default,
        };
        let dcol = &self.layout.data;
        let (mut tzero, tscal) = (dcol.zero as f32, dcol.scale as f32);
        if self.signed_bytes {
            // The bytes are read with their top bit flipped, b ^ 0x80 = b + 128 (mod 256).
            tzero -= 128.0 * tscal;
        }
        for p in 0..npol_used {
            for c in 0..nchan {
                let w = wts.get(c).copied().unwrap_or(1.0);
                let s = pick(&scl, p, c, 1.0);
                let o = pick(&offs, p, c, 0.0);
                // ((raw*tscal + tzero) - zero_off) * s + o, all times w.
                self.gain[p * nchan + c] = tscal * s * w;
                self.bias[p * nchan + c] = ((tzero - self.zero_off) * s + o) * w;
            }
        }
        let data = &self.row_bytes[dcol.offset..dcol.offset + dcol.len];
        let nvals = nsblk * npol * nchan;
        // Sub-byte and byte samples are unpacked to one byte each; deeper ones to f32.
        let wide = self.nbits > 8;
        if wide {
            self.scratch.resize(nvals, 0.0);
            if self.nbits == 16 {
                for (o, b) in self.scratch.iter_mut().zip(data.chunks_exact(2)) {
                    *o = i16::from_be_bytes([b[0], b[1]]) as f32;
                }
            } else {
                be_f32s(data, &mut self.scratch);
            }
        } else {
            self.raw_u8.resize(nvals, 0);
            bits::unpack(data, self.nbits, BitOrder::MsbFirst, &mut self.raw_u8);
            if self.signed_bytes {
                for b in &mut self.raw_u8 {
                    *b ^= 0x80;
                }
            }
        }
        self.row_values.resize(nsblk * nchan, 0.0);
        for s in 0..nsblk {
            let out = &mut self.row_values[s * nchan..(s + 1) * nchan];
            for p in 0..npol_used {
                let at = (s * npol + p) * nchan;
                let g = &self.gain[p * nchan..(p + 1) * nchan];
                let b = &self.bias[p * nchan..(p + 1) * nchan];
                if wide {
                    apply(out, &self.scratch[at..at + nchan], g, b, p == 0);
                } else {
                    apply(out, &self.raw_u8[at..at + nchan], g, b, p == 0);
                }
            }
            if self.descending {
                out.reverse();
            }
        }
        self.cached_row = Some(row);
        Ok(())
    }
}

impl SpectraSource for PsrfitsReader {
    fn header(&self) -> &BeamHeader {
        &self.header
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchan = self.nchan;
        assert_eq!(out.len() % nchan, 0, "read_spectra: buffer is not whole spectra");
        let want = out.len() / nchan;
        let mut done = 0;
        while done < want && self.pos < self.header.nsamples {
            let row = self.pos / self.nsblk as u64;
            self.load_row(row)?;
            let in_row = (self.pos % self.nsblk as u64) as usize;
            let n = (self.nsblk - in_row).min(want - done);
            out[done * nchan..(done + n) * nchan]
                .copy_from_slice(&self.row_values[in_row * nchan..(in_row + n) * nchan]);
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

/// Which of `npol` stored products make total intensity, from `POL_TYPE`:
/// one product is used as it is (`AA+BB`, `INTEN`, or any single product);
/// the first two are summed for the orders that start with the two
/// orthogonal feeds' powers (`AABB`, `AABBCRCI`, and `XXYY…`/`RRLL…`); the
/// first is Stokes I for `IQUV`. Any other order, or none, is refused: the
/// products cannot be told apart.
fn pol_sum(npol: usize, pol_type: &str) -> Result<PolSum, FormatErrorKind> {
    if npol <= 1 {
        return Ok(PolSum::First);
    }
    if ["AABB", "XXYY", "RRLL"].iter().any(|p| pol_type.starts_with(p)) {
        Ok(PolSum::FirstTwo)
    } else if pol_type.starts_with("IQUV") {
        Ok(PolSum::First)
    } else {
        Err(FormatErrorKind::BadKeyword {
            key: "POL_TYPE".into(),
            value: pol_type.to_string(),
            reason: format!(
                "with NPOL = {npol} the order of the products must be known (AABB, AABBCRCI or IQUV) to form \
                 total intensity"
            ),
        })
    }
}

/// Lowest channel centre and channel width \[MHz\]. DAT_FREQ is only single
/// precision, so where OBSFREQ / OBSBW / OBSNCHAN describe the same channels
/// (to a hundredth of a channel) the exact header values are used; where they
/// do not (OBSBW = 0, a different OBSNCHAN) the channels themselves are, with
/// a warning unless OBSBW is 0.
fn band_from(primary: &FitsHeader, subint: &FitsHeader, freqs: &[f64]) -> Result<(f64, f64), FormatErrorKind> {
    let n = freqs.len();
    let (lo, hi) = (freqs[0].min(freqs[n - 1]), freqs[0].max(freqs[n - 1]));
    let obs = (
        primary.get_f64("OBSFREQ")?,
        primary.get_f64("OBSBW")?,
        primary.get_i64("OBSNCHAN")?,
    );
    if let (Some(fctr), Some(bw), Some(nobs)) = obs {
        let df = bw.abs() / n as f64;
        let lo_hdr = fctr - 0.5 * bw.abs() + 0.5 * df;
        let spacing_ok = n == 1 || ((hi - lo) / (n as f64 - 1.0) - df).abs() < 1e-3 * df;
        if nobs as usize == n && df > 0.0 && spacing_ok && (lo_hdr - lo).abs() < 0.01 * df {
            return Ok((lo_hdr, df));
        }
        if bw != 0.0 {
            tracing::warn!(
                obsfreq = fctr,
                obsbw = bw,
                obsnchan = nobs,
                "the primary header's band disagrees with the SUBINT table's channels; the channels are used"
            );
        }
    }
    let bw = if n > 1 {
        (hi - lo) / (n as f64 - 1.0)
    } else {
        [subint.get_f64("CHAN_BW")?, primary.get_f64("OBSBW")?]
            .into_iter()
            .flatten()
            .map(f64::abs)
            .find(|x| *x > 0.0 && x.is_finite())
            .unwrap_or(1.0)
    };
    Ok((lo, bw))
}

/// `out = raw · gain + bias` (or `+=` when not `first`), channel by channel.
fn apply<T: Copy + Into<f32>>(out: &mut [f32], raw: &[T], gain: &[f32], bias: &[f32], first: bool) {
    if first {
        for c in 0..out.len() {
            out[c] = raw[c].into() * gain[c] + bias[c];
        }
    } else {
        for c in 0..out.len() {
            out[c] += raw[c].into() * gain[c] + bias[c];
        }
    }
}

fn positive(h: &FitsHeader, key: &str) -> Result<usize, FormatErrorKind> {
    let v = h.require_i64(key)?;
    if v < 0 {
        return Err(FormatErrorKind::BadKeyword {
            key: key.into(),
            value: v.to_string(),
            reason: "must not be negative".into(),
        });
    }
    Ok(v as usize)
}

fn row_layout(
    t: &TableLayout,
    nsblk: usize,
    npol: usize,
    nchan: usize,
    nbits: u32,
) -> Result<RowLayout, FormatErrorKind> {
    let data = t
        .column("DATA")
        .ok_or_else(|| FormatErrorKind::NoData("the SUBINT table has no DATA column".into()))?;
    // In 128 bits: the header's counts are not trusted not to overflow.
    let expected = (nsblk as u128 * npol as u128 * nchan as u128 * nbits as u128).div_ceil(8);
    let type_ok = match nbits {
        1 | 2 | 4 | 8 => matches!(data.ty, ColumnType::U8 | ColumnType::Bit),
        16 => data.ty == ColumnType::I16,
        _ => data.ty == ColumnType::F32,
    };
    if !type_ok || data.len as u128 != expected {
        return Err(FormatErrorKind::Inconsistent(format!(
            "DATA column is {}{} ({} bytes) but NSBLK {nsblk} x NPOL {npol} x NCHAN {nchan} at {nbits} bits needs {expected} bytes",
            data.repeat,
            data.ty.letter(),
            data.len
        )));
    }
    let float_col = |name: &str, min: usize| -> Result<Option<Column>, FormatErrorKind> {
        match t.column(name) {
            None => Ok(None),
            Some(c) if c.ty == ColumnType::F32 && c.repeat >= min => Ok(Some(c.clone())),
            Some(c) => Err(FormatErrorKind::Inconsistent(format!(
                "{name} column is {}{} but needs at least {min} 32-bit reals",
                c.repeat,
                c.ty.letter()
            ))),
        }
    };
    Ok(RowLayout {
        data: data.clone(),
        freq: match t.column("DAT_FREQ") {
            Some(c) if c.ty == ColumnType::F32 && c.repeat == nchan => Some(c.clone()),
            _ => None,
        },
        wts: float_col("DAT_WTS", nchan)?,
        offs: float_col("DAT_OFFS", nchan)?,
        scl: float_col("DAT_SCL", nchan)?,
        offs_sub: t.column("OFFS_SUB").filter(|c| c.ty == ColumnType::F64).cloned(),
    })
}

/// When the first sample was taken: STT_IMJD + (STT_SMJD + STT_OFFS + BE_DELAY)
/// seconds, plus the start of row 1 when rows came before it (in this file or in
/// earlier files of the observation): `OFFS_SUB − TSUBINT/2` of row 1, or without
/// `OFFS_SUB`, `NSUBOFFS` rows of `NSBLK · TBIN`.
fn start_time(
    h: &FitsHeader,
    offs_sub: Option<f64>,
    nsuboffs: i64,
    nsblk: usize,
    tbin: f64,
) -> Result<StartTime, FormatErrorKind> {
    let imjd = h.get_f64("STT_IMJD")?.unwrap_or(0.0);
    let smjd = h.get_f64("STT_SMJD")?.unwrap_or(0.0);
    let offs = h.get_f64("STT_OFFS")?.unwrap_or(0.0);
    let be_delay = h.get_f64("BE_DELAY")?.unwrap_or(0.0);
    if !(imjd.is_finite() && imjd.abs() < 1e7) {
        return Err(FormatErrorKind::BadKeyword {
            key: "STT_IMJD".into(),
            value: imjd.to_string(),
            reason: "not a plausible MJD".into(),
        });
    }
    if nsuboffs < 0 {
        return Err(FormatErrorKind::BadKeyword {
            key: "NSUBOFFS".into(),
            value: nsuboffs.to_string(),
            reason: "must not be negative".into(),
        });
    }
    let tsubint = nsblk as f64 * tbin;
    let mut secs = smjd + offs + be_delay;
    match offs_sub.filter(|o| o.is_finite()) {
        Some(o) => {
            let row_start = o - 0.5 * tsubint;
            // Rounding in writers leaves tiny values; only whole skipped rows matter.
            if row_start > 1e-3 * tsubint {
                secs += row_start;
            }
        }
        None => secs += nsuboffs as f64 * tsubint,
    }
    Ok(StartTime::new(imjd as i64, secs + imjd.fract() * SECONDS_PER_DAY))
}

fn placeholder_header(path: &Path) -> BeamHeader {
    BeamHeader {
        files: vec![path.to_path_buf()],
        format: DataFormat::Psrfits,
        source_name: String::new(),
        telescope: String::new(),
        backend: String::new(),
        project_id: String::new(),
        observer: String::new(),
        ra_deg: 0.0,
        dec_deg: 0.0,
        start_mjd: 0.0,
        tsamp_s: 0.0,
        nsamples: 0,
        nchans: 0,
        lofreq_mhz: 0.0,
        chan_bw_mhz: 0.0,
        nbits: 0,
        npol: 0,
        beam_id: None,
        chan_weights: Vec::new(),
        file_size: 0,
    }
}
