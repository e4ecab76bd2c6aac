//! A second PSRFITS writer (cfitsio, through the `fitsio` crate) and the
//! definition's arithmetic done the plainest way, so that palfa's reader is
//! checked value by value against files and values it had no part in making.
//!
//! Samples are drawn as integers (or floats for 32 bits), packed here by the
//! PSRFITS rule (samples below 8 bits fill a byte from its most significant
//! bits, one after the other across spectra), written by cfitsio, and the
//! expected spectra are computed from the drawn integers:
//! `Σ_pol ((raw − ZERO_OFF) · DAT_SCL + DAT_OFFS) · DAT_WTS`, lowest frequency first.

use std::path::Path;

use fitsio::tables::{ColumnDataType, ColumnDescription};
use fitsio::FitsFile;

/// What a test file looks like.
#[derive(Debug, Clone)]
pub struct Layout {
    pub nchan: usize,
    pub nsblk: usize,
    pub nrows: usize,
    pub npol: usize,
    pub nbits: u32,
    pub pol_type: &'static str,
    /// Sample time \[s\].
    pub tbin: f64,
    /// OBSFREQ, the band centre \[MHz\].
    pub fctr: f64,
    /// Channel width as stored \[MHz\]: negative for highest frequency first.
    pub chan_bw: f64,
    /// OBSBW as written (0 is allowed: other keys describe the band).
    pub obsbw: f64,
    /// Write the DAT_FREQ column (else readers use OBSFREQ and CHAN_BW).
    pub dat_freq: bool,
    /// SIGNINT card (8-bit samples are then two's-complement bytes).
    pub signint: Option<i64>,
    /// 16-bit samples stored unsigned (cfitsio's `U`: `I` with TZERO = 32768).
    pub unsigned16: bool,
    /// NSUBOFFS card: rows of the observation before this file's row 1.
    pub nsuboffs: i64,
    /// Write OFFS_SUB (row centres, counting the NSUBOFFS rows before).
    pub offs_sub: bool,
    /// STT_IMJD, STT_SMJD, STT_OFFS.
    pub stt: (i64, i64, f64),
    pub zero_off: f64,
}

impl Layout {
    /// 8-bit, one polarisation, ascending channels, everything present.
    pub fn simple(nchan: usize, nsblk: usize, nrows: usize) -> Self {
        Self {
            nchan,
            nsblk,
            nrows,
            npol: 1,
            nbits: 8,
            pol_type: "AA+BB",
            tbin: 64e-6,
            fctr: 1400.0,
            chan_bw: 1.5,
            obsbw: 1.5 * nchan as f64,
            dat_freq: true,
            signint: None,
            unsigned16: false,
            nsuboffs: 0,
            offs_sub: true,
            stt: (58_000, 3_600, 0.25),
            zero_off: 0.0,
        }
    }

    /// Channel `c`'s frequency as stored (file order) \[MHz\].
    pub fn file_freq(&self, c: usize) -> f64 {
        self.fctr + (c as f64 - 0.5 * (self.nchan as f64 - 1.0)) * self.chan_bw
    }

    /// The products summed to total intensity.
    pub fn pols_used(&self) -> usize {
        if self.npol >= 2 && self.pol_type.starts_with("AABB") {
            2
        } else {
            1
        }
    }
}

/// The values written: raw samples and the per-row scales, offsets and weights.
#[derive(Debug, Clone)]
pub struct Contents {
    /// nrows × nsblk × npol × nchan samples (integers unless 32-bit).
    pub raw: Vec<f64>,
    /// nrows × npol × nchan.
    pub scl: Vec<f32>,
    /// nrows × npol × nchan.
    pub offs: Vec<f32>,
    /// nrows × nchan.
    pub wts: Vec<f32>,
}

/// A small xorshift generator: the tests need no statistics, only variety.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Draws samples over the whole range of the layout's type, and varied
/// scales, offsets and weights (one channel weighted zero).
pub fn draw(l: &Layout, seed: u64) -> Contents {
    let mut rng = Rng(seed | 1);
    let n = l.nrows * l.nsblk * l.npol * l.nchan;
    let raw = (0..n)
        .map(|_| match (l.nbits, l.signint) {
            (32, _) => rng.uniform(-1e3, 1e3) as f32 as f64,
            (16, _) if l.unsigned16 => (rng.next() % 65_536) as f64,
            (16, _) => (rng.next() % 65_536) as f64 - 32_768.0,
            (8, Some(1)) => (rng.next() % 256) as f64 - 128.0,
            (b, _) => (rng.next() % (1 << b)) as f64,
        })
        .collect();
    let per_row = l.nrows * l.npol * l.nchan;
    let scl = (0..per_row).map(|_| rng.uniform(0.5, 2.0) as f32).collect();
    let offs = (0..per_row).map(|_| rng.uniform(-10.0, 10.0) as f32).collect();
    let wts = (0..l.nrows * l.nchan)
        .map(|i| {
            if i % l.nchan == l.nchan / 3 {
                0.0
            } else {
                rng.uniform(0.5, 1.0) as f32
            }
        })
        .collect();
    Contents { raw, scl, offs, wts }
}

/// The spectra the file holds by the definition, lowest frequency first.
pub fn expected(l: &Layout, c: &Contents) -> Vec<f64> {
    let mut out = Vec::with_capacity(l.nrows * l.nsblk * l.nchan);
    for r in 0..l.nrows {
        for s in 0..l.nsblk {
            let mut spec = vec![0f64; l.nchan];
            for p in 0..l.pols_used() {
                for (ch, v) in spec.iter_mut().enumerate() {
                    let raw = c.raw[((r * l.nsblk + s) * l.npol + p) * l.nchan + ch];
                    let k = (r * l.npol + p) * l.nchan + ch;
                    *v += ((raw - l.zero_off) * c.scl[k] as f64 + c.offs[k] as f64) * c.wts[r * l.nchan + ch] as f64;
                }
            }
            if l.chan_bw < 0.0 {
                spec.reverse();
            }
            out.extend(spec);
        }
    }
    out
}

/// Packs one row's samples (below 8 bits: most significant bits first).
fn pack(raw: &[f64], nbits: u32) -> Vec<u8> {
    let per_byte = (8 / nbits) as usize;
    let mut out = vec![0u8; (raw.len() * nbits as usize).div_ceil(8)];
    for (i, &v) in raw.iter().enumerate() {
        let shift = 8 - nbits as usize * (i % per_byte + 1);
        out[i / per_byte] |= (v as u8) << shift;
    }
    out
}

/// Writes `c` as a PSRFITS search-mode file with cfitsio.
pub fn write(path: &Path, l: &Layout, c: &Contents) {
    let mut f = FitsFile::create(path).open().unwrap();
    let prim = f.primary_hdu().unwrap();
    for (k, v) in [
        ("FITSTYPE", "PSRFITS"),
        ("OBS_MODE", "SEARCH"),
        ("TELESCOP", "TestScope"),
        ("BACKEND", "CFITSIO"),
        ("SRC_NAME", "J0000+0000"),
        ("RA", "01:02:03.4"),
        ("DEC", "-05:06:07.8"),
    ] {
        prim.write_key(&mut f, k, v).unwrap();
    }
    prim.write_key(&mut f, "OBSFREQ", l.fctr).unwrap();
    prim.write_key(&mut f, "OBSBW", l.obsbw).unwrap();
    prim.write_key(&mut f, "OBSNCHAN", l.nchan as i64).unwrap();
    prim.write_key(&mut f, "STT_IMJD", l.stt.0).unwrap();
    prim.write_key(&mut f, "STT_SMJD", l.stt.1).unwrap();
    prim.write_key(&mut f, "STT_OFFS", l.stt.2).unwrap();

    let per_row = l.nsblk * l.npol * l.nchan;
    let (data_type, data_repeat) = match l.nbits {
        32 => (ColumnDataType::Float, per_row),
        16 if l.unsigned16 => (ColumnDataType::UnsignedShort, per_row),
        16 => (ColumnDataType::Short, per_row),
        b => (ColumnDataType::Byte, (per_row * b as usize).div_ceil(8)),
    };
    let col = |name: &str, ty: ColumnDataType, repeat: usize| {
        ColumnDescription::new(name)
            .with_type(ty)
            .that_repeats(repeat)
            .create()
            .unwrap()
    };
    let mut cols = vec![
        col("TSUBINT", ColumnDataType::Double, 1),
        col("DAT_WTS", ColumnDataType::Float, l.nchan),
        col("DAT_OFFS", ColumnDataType::Float, l.nchan * l.npol),
        col("DAT_SCL", ColumnDataType::Float, l.nchan * l.npol),
    ];
    if l.offs_sub {
        cols.push(col("OFFS_SUB", ColumnDataType::Double, 1));
    }
    if l.dat_freq {
        cols.push(col("DAT_FREQ", ColumnDataType::Float, l.nchan));
    }
    cols.push(col("DATA", data_type, data_repeat));
    let hdu = f.create_table("SUBINT", &cols).unwrap();
    for (k, v) in [
        ("NCHAN", l.nchan as i64),
        ("NPOL", l.npol as i64),
        ("NSBLK", l.nsblk as i64),
    ] {
        hdu.write_key(&mut f, k, v).unwrap();
    }
    hdu.write_key(&mut f, "NBITS", l.nbits as i64).unwrap();
    hdu.write_key(&mut f, "NSUBOFFS", l.nsuboffs).unwrap();
    hdu.write_key(&mut f, "TBIN", l.tbin).unwrap();
    hdu.write_key(&mut f, "CHAN_BW", l.chan_bw).unwrap();
    hdu.write_key(&mut f, "ZERO_OFF", l.zero_off).unwrap();
    hdu.write_key(&mut f, "POL_TYPE", l.pol_type).unwrap();
    if let Some(s) = l.signint {
        hdu.write_key(&mut f, "SIGNINT", s).unwrap();
    }

    let tsubint = l.nsblk as f64 * l.tbin;
    hdu.write_col(&mut f, "TSUBINT", &vec![tsubint; l.nrows]).unwrap();
    hdu.write_col(&mut f, "DAT_WTS", &c.wts).unwrap();
    hdu.write_col(&mut f, "DAT_OFFS", &c.offs).unwrap();
    hdu.write_col(&mut f, "DAT_SCL", &c.scl).unwrap();
    if l.offs_sub {
        let offs: Vec<f64> = (0..l.nrows)
            .map(|r| (l.nsuboffs as f64 + r as f64 + 0.5) * tsubint)
            .collect();
        hdu.write_col(&mut f, "OFFS_SUB", &offs).unwrap();
    }
    if l.dat_freq {
        let freqs: Vec<f32> = (0..l.nrows)
            .flat_map(|_| (0..l.nchan).map(|ch| l.file_freq(ch) as f32))
            .collect();
        hdu.write_col(&mut f, "DAT_FREQ", &freqs).unwrap();
    }
    match (l.nbits, l.signint) {
        (32, _) => {
            let v: Vec<f32> = c.raw.iter().map(|&x| x as f32).collect();
            hdu.write_col(&mut f, "DATA", &v).unwrap();
        }
        (16, _) if l.unsigned16 => {
            let v: Vec<u16> = c.raw.iter().map(|&x| x as u16).collect();
            hdu.write_col(&mut f, "DATA", &v).unwrap();
        }
        (16, _) => {
            let v: Vec<i16> = c.raw.iter().map(|&x| x as i16).collect();
            hdu.write_col(&mut f, "DATA", &v).unwrap();
        }
        (8, Some(1)) => {
            // The bytes themselves are two's complement (no TZERO, unlike cfitsio's `S`).
            let v: Vec<u8> = c.raw.iter().map(|&x| x as i8 as u8).collect();
            hdu.write_col(&mut f, "DATA", &v).unwrap();
        }
        (b, _) => {
            let v: Vec<u8> = c.raw.chunks(per_row).flat_map(|row| pack(row, b)).collect();
            hdu.write_col(&mut f, "DATA", &v).unwrap();
        }
    }
}
