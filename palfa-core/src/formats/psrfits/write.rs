//! PSRFITS search-mode writer (one polarisation, total intensity).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::SUBINT;
use crate::astro::{self, SECONDS_PER_DAY};
use crate::bits::{self, BitOrder};
use crate::error::{FormatError, FormatErrorKind, FormatResult};
use crate::formats::fits::bintable::{ColumnType, TableLayout};
use crate::formats::fits::header::{padded_len, FitsHeader, FitsValue};
use crate::formats::ObservationSpec;

/// Samples of one SUBINT row as they are stored.
#[derive(Debug, Clone, Copy)]
pub enum RawRow<'a> {
    /// Unsigned integers of `nbits` ≤ 16 bits (16-bit values are stored with `TZERO = 32768`).
    Int(&'a [u16]),
    /// 32-bit reals (for `nbits = 32`).
    Float(&'a [f32]),
}

/// Writes a PSRFITS search-mode file row by row.
///
/// Rows hold `nsblk` spectra. Samples are given **lowest frequency first**; with
/// `spec.descending` set the file stores them highest first (as most backends,
/// PALFA's Mock spectrometers among them, do), with `OBSBW` negative.
///
/// [`write_spectra`](Self::write_spectra) quantises floats row by row: if every
/// value of a row is already an integer that fits `nbits`, it is stored as is
/// (scale 1, offset 0: lossless); otherwise each channel gets the scale and offset
/// that map its row minimum and maximum onto the full integer range. The last
/// partial row is padded with each channel's last offset (zero weight is *not*
/// used, so the padding reads back as the channel's offset value).
pub struct PsrfitsWriter {
    path: PathBuf,
    out: BufWriter<File>,
    spec: ObservationSpec,
    nsblk: usize,
    nrows: u64,
    naxis2_card_pos: u64,
    data_start: u64,
    layout: TableLayout,
    pending: Vec<f32>,
    row: Vec<u8>,
}

impl PsrfitsWriter {
    /// Creates `path` and writes its headers. `nbits` is 1, 2, 4, 8, 16 or 32.
    pub fn create(path: impl AsRef<Path>, spec: &ObservationSpec, nsblk: usize) -> FormatResult<Self> {
        let path = path.as_ref().to_path_buf();
        let err = |k| FormatError::new(&path, k);
        if !matches!(spec.nbits, 1 | 2 | 4 | 8 | 16 | 32) {
            return Err(err(FormatErrorKind::UnsupportedNbits(spec.nbits)));
        }
        if spec.nchans == 0 {
            return Err(err(FormatErrorKind::ZeroChannels));
        }
        if nsblk == 0 || !(nsblk * spec.nchans * spec.nbits as usize).is_multiple_of(8) {
            return Err(err(FormatErrorKind::Inconsistent(format!(
                "NSBLK {nsblk} x NCHAN {} at {} bits is not a whole number of bytes",
                spec.nchans, spec.nbits
            ))));
        }
        let file = File::create(&path).map_err(|e| FormatError::io(&path, e))?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let primary = primary_header(spec);
        let pbytes = primary.to_bytes();
        out.write_all(&pbytes).map_err(|e| FormatError::io(&path, e))?;

        let (mut sh, layout) = subint_header(spec, nsblk);
        let sbytes = sh.to_bytes();
        // NAXIS2 is rewritten on finish: remember where its card is.
        let idx = sh.cards.iter().position(|c| c.key == "NAXIS2").expect("NAXIS2 card");
        let naxis2_card_pos = pbytes.len() as u64 + idx as u64 * 80;
        out.write_all(&sbytes).map_err(|e| FormatError::io(&path, e))?;
        sh.cards.clear();
        let data_start = (pbytes.len() + sbytes.len()) as u64;
        Ok(Self {
            row: vec![0u8; layout.row_len],
            path,
            out,
            spec: spec.clone(),
            nsblk,
            nrows: 0,
            naxis2_card_pos,
            data_start,
            layout,
            pending: Vec::new(),
        })
    }

    /// Writes one row of stored samples with per-channel scales, offsets and
    /// weights (all lowest frequency first, `nchans` each; samples `nsblk × nchans`).
    pub fn write_row_raw(
        &mut self,
        raw: RawRow<'_>,
        scales: &[f32],
        offsets: &[f32],
        weights: &[f32],
    ) -> FormatResult<()> {
        let n = self.spec.nchans;
        let nsblk = self.nsblk;
        let len_ok = match raw {
            RawRow::Int(v) => v.len() == nsblk * n && self.spec.nbits <= 16,
            RawRow::Float(v) => v.len() == nsblk * n && self.spec.nbits == 32,
        };
        if !len_ok || scales.len() != n || offsets.len() != n || weights.len() != n {
            return Err(FormatError::new(
                &self.path,
                FormatErrorKind::Inconsistent("row arrays do not match NSBLK x NCHAN or the bit depth".into()),
            ));
        }
        let desc = self.spec.descending;
        let order = |c: usize| if desc { n - 1 - c } else { c };
        let cols = &self.layout.columns;
        let tsubint = nsblk as f64 * self.spec.tsamp_s;
        let offs_sub = (self.nrows as f64 + 0.5) * tsubint;
        let mut put = |name: &str, bytes: &[u8]| {
            let c = cols.iter().find(|c| c.name == name).expect("column");
            self.row[c.offset..c.offset + bytes.len()].copy_from_slice(bytes);
        };
        put("TSUBINT", &tsubint.to_be_bytes());
        put("OFFS_SUB", &offs_sub.to_be_bytes());
        let chan_f32 =
            |v: &dyn Fn(usize) -> f32| -> Vec<u8> { (0..n).flat_map(|c| v(order(c)).to_be_bytes()).collect() };
        put("DAT_FREQ", &chan_f32(&|c| self.spec.freq_mhz(c) as f32));
        put("DAT_WTS", &chan_f32(&|c| weights[c]));
        put("DAT_OFFS", &chan_f32(&|c| offsets[c]));
        put("DAT_SCL", &chan_f32(&|c| scales[c]));
        let data: Vec<u8> = match raw {
            RawRow::Int(v) => {
                let ordered = (0..nsblk).flat_map(|s| (0..n).map(move |c| v[s * n + order(c)]));
                match self.spec.nbits {
                    16 => ordered
                        .flat_map(|x| ((x as i32 - 32768) as i16).to_be_bytes())
                        .collect(),
                    nb => bits::pack(&ordered.map(|x| x as u8).collect::<Vec<_>>(), nb, BitOrder::MsbFirst),
                }
            }
            RawRow::Float(v) => (0..nsblk)
                .flat_map(|s| (0..n).flat_map(move |c| v[s * n + order(c)].to_be_bytes()))
                .collect(),
        };
        put("DATA", &data);
        self.out
            .write_all(&self.row)
            .map_err(|e| FormatError::io(&self.path, e))?;
        self.nrows += 1;
        Ok(())
    }

    /// Appends spectra (time-major, lowest frequency first), quantising each full row.
    pub fn write_spectra(&mut self, data_tc: &[f32]) -> FormatResult<()> {
        let n = self.spec.nchans;
        assert_eq!(data_tc.len() % n, 0, "write_spectra: not whole spectra");
        self.pending.extend_from_slice(data_tc);
        let row_vals = self.nsblk * n;
        let mut start = 0;
        while self.pending.len() - start >= row_vals {
            let row: Vec<f32> = self.pending[start..start + row_vals].to_vec();
            self.write_quantised(&row)?;
            start += row_vals;
        }
        self.pending.drain(..start);
        Ok(())
    }

    fn write_quantised(&mut self, row: &[f32]) -> FormatResult<()> {
        let n = self.spec.nchans;
        let ones = vec![1f32; n];
        if self.spec.nbits == 32 {
            return self.write_row_raw(RawRow::Float(row), &ones, &vec![0.0; n], &ones);
        }
        let maxval = ((1u32 << self.spec.nbits) - 1) as f32;
        if row.iter().all(|&v| v >= 0.0 && v <= maxval && v.fract() == 0.0) {
            let raw: Vec<u16> = row.iter().map(|&v| v as u16).collect();
            return self.write_row_raw(RawRow::Int(&raw), &ones, &vec![0.0; n], &ones);
        }
        let mut lo = vec![f32::INFINITY; n];
        let mut hi = vec![f32::NEG_INFINITY; n];
        for spec in row.chunks_exact(n) {
            for c in 0..n {
                lo[c] = lo[c].min(spec[c]);
                hi[c] = hi[c].max(spec[c]);
            }
        }
        let scales: Vec<f32> = (0..n)
            .map(|c| if hi[c] > lo[c] { (hi[c] - lo[c]) / maxval } else { 1.0 })
            .collect();
        let raw: Vec<u16> = row
            .chunks_exact(n)
            .flat_map(|spec| {
                (0..n)
                    .map(|c| ((spec[c] - lo[c]) / scales[c]).round().clamp(0.0, maxval) as u16)
                    .collect::<Vec<_>>()
            })
            .collect();
        self.write_row_raw(RawRow::Int(&raw), &scales, &lo, &ones)
    }

    /// Pads and writes any partial row, fixes `NAXIS2` and the padding, and closes the file.
    /// Returns the number of rows written.
    pub fn finish(mut self) -> FormatResult<u64> {
        let n = self.spec.nchans;
        if !self.pending.is_empty() {
            let have = self.pending.len() / n;
            let last: Vec<f32> = self.pending[(have - 1) * n..].to_vec();
            for _ in have..self.nsblk {
                self.pending.extend_from_slice(&last);
            }
            let row = std::mem::take(&mut self.pending);
            self.write_quantised(&row)?;
        }
        let data_len = self.nrows * self.layout.row_len as u64;
        let pad = padded_len(data_len) - data_len;
        let io = |e| FormatError::io(&self.path, e);
        self.out.write_all(&vec![0u8; pad as usize]).map_err(io)?;
        let card = format!("{:<8}= {:>20} / number of rows", "NAXIS2", self.nrows);
        self.out.seek(SeekFrom::Start(self.naxis2_card_pos)).map_err(io)?;
        self.out.write_all(format!("{card:<80}").as_bytes()).map_err(io)?;
        self.out.flush().map_err(io)?;
        debug_assert!(self.data_start > 0);
        Ok(self.nrows)
    }
}

fn primary_header(spec: &ObservationSpec) -> FitsHeader {
    let mut h = FitsHeader::default();
    let s = |v: &str| FitsValue::Str(v.to_string());
    h.set("SIMPLE", FitsValue::Logical(true), "file conforms to FITS standard");
    h.set("BITPIX", FitsValue::Int(8), "");
    h.set("NAXIS", FitsValue::Int(0), "");
    h.set("EXTEND", FitsValue::Logical(true), "");
    h.set("HDRVER", s("5.4"), "header version");
    h.set("FITSTYPE", s("PSRFITS"), "FITS definition for pulsar data files");
    h.set("DATE", s("2026-01-01T00:00:00"), "file creation date");
    h.set("OBSERVER", s(&spec.observer), "");
    h.set("PROJID", s(&spec.project_id), "");
    h.set("TELESCOP", s(&spec.telescope), "");
    h.set("BACKEND", s(&spec.backend), "");
    h.set("OBS_MODE", s("SEARCH"), "");
    let bw = spec.nchans as f64 * spec.chan_bw_mhz;
    h.set("OBSFREQ", FitsValue::Float(spec.fctr_mhz()), "[MHz] centre frequency");
    h.set(
        "OBSBW",
        FitsValue::Float(if spec.descending { -bw } else { bw }),
        "[MHz] bandwidth",
    );
    h.set("OBSNCHAN", FitsValue::Int(spec.nchans as i64), "");
    h.set("CHAN_DM", FitsValue::Float(0.0), "");
    h.set("SRC_NAME", s(&spec.source_name), "");
    h.set("TRK_MODE", s("TRACK"), "");
    h.set("RA", s(&astro::format_sexagesimal(spec.ra_deg / 15.0, 4, false)), "");
    h.set("DEC", s(&astro::format_sexagesimal(spec.dec_deg, 4, true)), "");
    if let Some(b) = spec.beam_id {
        h.set("IBEAM", FitsValue::Int(b as i64), "beam number");
    }
    let imjd = spec.start_mjd.floor();
    let secs = (spec.start_mjd - imjd) * SECONDS_PER_DAY;
    let smjd = secs.floor();
    h.set("STT_IMJD", FitsValue::Int(imjd as i64), "start MJD (UTC days)");
    h.set("STT_SMJD", FitsValue::Int(smjd as i64), "[s] start time (since 0h)");
    h.set("STT_OFFS", FitsValue::Float(secs - smjd), "[s] start time offset");
    h.set("BE_DELAY", FitsValue::Float(0.0), "");
    h
}

fn subint_header(spec: &ObservationSpec, nsblk: usize) -> (FitsHeader, TableLayout) {
    let mut h = FitsHeader::default();
    let n = spec.nchans;
    h.set("XTENSION", FitsValue::Str("BINTABLE".into()), "binary table extension");
    h.set("BITPIX", FitsValue::Int(8), "");
    h.set("NAXIS", FitsValue::Int(2), "");
    let data_bytes = bits::packed_len(nsblk * n, spec.nbits);
    let (dty, drep) = match spec.nbits {
        16 => (ColumnType::I16, nsblk * n),
        32 => (ColumnType::F32, nsblk * n),
        _ => (ColumnType::U8, data_bytes),
    };
    let cols = [
        ("TSUBINT", ColumnType::F64, 1, String::new()),
        ("OFFS_SUB", ColumnType::F64, 1, String::new()),
        ("DAT_FREQ", ColumnType::F32, n, String::new()),
        ("DAT_WTS", ColumnType::F32, n, String::new()),
        ("DAT_OFFS", ColumnType::F32, n, String::new()),
        ("DAT_SCL", ColumnType::F32, n, String::new()),
        ("DATA", dty, drep, format!("({n},1,{nsblk})")),
    ];
    let layout = TableLayout::write_cards(&mut h, 0, &cols);
    if spec.nbits == 16 {
        h.set("TZERO7", FitsValue::Int(32768), "unsigned 16-bit samples");
    }
    h.set("EXTNAME", FitsValue::Str(SUBINT.into()), "");
    h.set("INT_TYPE", FitsValue::Str("TIME".into()), "");
    h.set("NPOL", FitsValue::Int(1), "");
    h.set("POL_TYPE", FitsValue::Str("AA+BB".into()), "");
    h.set("TBIN", FitsValue::Float(spec.tsamp_s), "[s] time per bin or sample");
    h.set("NBIN", FitsValue::Int(1), "");
    h.set("NSUBOFFS", FitsValue::Int(0), "");
    h.set("NCHAN", FitsValue::Int(n as i64), "");
    h.set(
        "CHAN_BW",
        FitsValue::Float(if spec.descending {
            -spec.chan_bw_mhz
        } else {
            spec.chan_bw_mhz
        }),
        "[MHz]",
    );
    h.set("NCHNOFFS", FitsValue::Int(0), "");
    h.set("NSBLK", FitsValue::Int(nsblk as i64), "samples per row");
    h.set("NBITS", FitsValue::Int(spec.nbits as i64), "bits per sample");
    h.set("ZERO_OFF", FitsValue::Float(0.0), "");
    (h, layout)
}
