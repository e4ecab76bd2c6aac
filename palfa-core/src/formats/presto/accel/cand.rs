//! PRESTO's `_ACCEL_<zmax>.cand` binary candidate files (`fourierprops` records).

use std::path::Path;

use crate::error::{FormatError, FormatErrorKind, FormatResult};

/// One record of PRESTO's `_ACCEL_<zmax>.cand` binary file (`fourierprops` in
/// PRESTO's `presto.h`): 88 bytes, little-endian, in this order with 4 bytes
/// of padding after `rerr` and after `zerr` (x86-64 alignment). prepfold's
/// `-accelcand N -accelfile F.cand` reads record N (1-based); `r` and `z` are
/// the fundamental's average Fourier frequency and drift.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FourierProps {
    /// Average Fourier frequency \[bins\].
    pub r: f64,
    /// Its error.
    pub rerr: f32,
    /// Drift \[bins\].
    pub z: f64,
    /// Its error.
    pub zerr: f32,
    /// Drift of the drift \[bins\] (0: no jerk search).
    pub w: f64,
    /// Its error.
    pub werr: f32,
    /// Normalised power.
    pub pow: f32,
    /// Its error.
    pub powerr: f32,
    /// Significance (one trial).
    pub sig: f32,
    /// Raw power.
    pub rawpow: f32,
    /// Phase \[rad\].
    pub phs: f32,
    /// Its error.
    pub phserr: f32,
    /// Centroid.
    pub cen: f32,
    /// Its error.
    pub cenerr: f32,
    /// Purity.
    pub pur: f32,
    /// Its error.
    pub purerr: f32,
    /// Local power level.
    pub locpow: f32,
}

/// Size of one [`FourierProps`] record \[bytes\].
pub const FOURIERPROPS_LEN: usize = 88;

impl FourierProps {
    /// The record's bytes.
    pub fn to_bytes(&self) -> [u8; FOURIERPROPS_LEN] {
        let mut b = [0u8; FOURIERPROPS_LEN];
        b[0..8].copy_from_slice(&self.r.to_le_bytes());
        b[8..12].copy_from_slice(&self.rerr.to_le_bytes());
        b[16..24].copy_from_slice(&self.z.to_le_bytes());
        b[24..28].copy_from_slice(&self.zerr.to_le_bytes());
        b[32..40].copy_from_slice(&self.w.to_le_bytes());
        b[40..44].copy_from_slice(&self.werr.to_le_bytes());
        let floats = [
            self.pow,
            self.powerr,
            self.sig,
            self.rawpow,
            self.phs,
            self.phserr,
            self.cen,
            self.cenerr,
            self.pur,
            self.purerr,
            self.locpow,
        ];
        for (i, v) in floats.iter().enumerate() {
            b[44 + 4 * i..48 + 4 * i].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Parses one record.
    pub fn from_bytes(b: &[u8; FOURIERPROPS_LEN]) -> Self {
        let f64_at = |o: usize| {
            f64::from_le_bytes([
                b[o],
                b[o + 1],
                b[o + 2],
                b[o + 3],
                b[o + 4],
                b[o + 5],
                b[o + 6],
                b[o + 7],
            ])
        };
        let f32_at = |o: usize| f32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        Self {
            r: f64_at(0),
            rerr: f32_at(8),
            z: f64_at(16),
            zerr: f32_at(24),
            w: f64_at(32),
            werr: f32_at(40),
            pow: f32_at(44),
            powerr: f32_at(48),
            sig: f32_at(52),
            rawpow: f32_at(56),
            phs: f32_at(60),
            phserr: f32_at(64),
            cen: f32_at(68),
            cenerr: f32_at(72),
            pur: f32_at(76),
            purerr: f32_at(80),
            locpow: f32_at(84),
        }
    }
}

/// Writes a `.cand` file.
///
/// # Errors
/// The file cannot be written.
pub fn write_cand_file(path: impl AsRef<Path>, props: &[FourierProps]) -> FormatResult<()> {
    let path = path.as_ref();
    let bytes: Vec<u8> = props.iter().flat_map(|p| p.to_bytes()).collect();
    std::fs::write(path, bytes).map_err(|e| FormatError::io(path, e))
}

/// Reads a `.cand` file.
///
/// # Errors
/// The file cannot be read or is not a whole number of records.
pub fn read_cand_file(path: impl AsRef<Path>) -> FormatResult<Vec<FourierProps>> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    if bytes.len() % FOURIERPROPS_LEN != 0 {
        return Err(FormatError::new(
            path,
            FormatErrorKind::Truncated {
                what: "the last fourierprops record".into(),
                expected: bytes.len().div_ceil(FOURIERPROPS_LEN) as u64 * FOURIERPROPS_LEN as u64,
                found: bytes.len() as u64,
            },
        ));
    }
    Ok(bytes
        .chunks_exact(FOURIERPROPS_LEN)
        .map(|c| {
            let mut a = [0u8; FOURIERPROPS_LEN];
            a.copy_from_slice(c);
            FourierProps::from_bytes(&a)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cand_records_round_trip_with_presto_offsets() {
        let p = FourierProps {
            r: 1234.5,
            rerr: 0.25,
            z: -3.0,
            zerr: 1.0,
            pow: 55.0,
            sig: 7.0,
            locpow: 1.0,
            ..Default::default()
        };
        let b = p.to_bytes();
        assert_eq!(f64::from_le_bytes(b[16..24].try_into().unwrap()), -3.0);
        assert_eq!(f32::from_le_bytes(b[44..48].try_into().unwrap()), 55.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x_ACCEL_50.cand");
        write_cand_file(&path, &[p, p]).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 176);
        assert_eq!(read_cand_file(&path).unwrap(), vec![p, p]);
        std::fs::write(&path, [0u8; 90]).unwrap();
        assert!(read_cand_file(&path).is_err());
    }
}
