//! How a prepared beam stores its samples: as the beam's own integers where
//! they are integers (exactly, in 1 or 2 bytes), else as `f32`.

use multiversion::multiversion;

/// The storage of one prepared sample. The values a source decodes are
/// stored exactly: [`U8`](Self::U8) and [`U16`](Self::U16) hold beams of up
/// to 8 and 16 bits whose samples are whole numbers (filterbank and
/// unscaled PSRFITS data); anything else (scaled or floating-point data) is
/// [`F32`](Self::F32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleCode {
    /// Whole numbers 0–255, one byte.
    U8,
    /// Whole numbers 0–65535, two bytes (little-endian).
    U16,
    /// Any value, four bytes (little-endian `f32`).
    F32,
}

impl SampleCode {
    /// The narrowest code a beam of `nbits` bits per sample may fit.
    pub fn for_bits(nbits: u32) -> Self {
        match nbits {
            1..=8 => Self::U8,
            9..=16 => Self::U16,
            _ => Self::F32,
        }
    }

    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 => 2,
            Self::F32 => 4,
        }
    }

    /// Stores `values` into `out` (`values.len() × bytes()` bytes); `false`
    /// (with `out` partly written) if a value is not one this code holds.
    pub(super) fn encode(self, values: &[f32], out: &mut [u8]) -> bool {
        match self {
            Self::U8 => encode_u8(values, out),
            Self::U16 => encode_u16(values, out),
            Self::F32 => {
                for (v, o) in values.iter().zip(out.chunks_exact_mut(4)) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
                true
            }
        }
    }

    /// The samples in `bytes`, into `out`: `(x − offset) · scale` when
    /// `normalise`, else `x` (the same arithmetic as the streaming feed's, so
    /// the same `f32` results).
    pub(super) fn widen(self, bytes: &[u8], offset: f32, scale: f32, normalise: bool, out: &mut [f32]) {
        let (o, k) = if normalise { (offset, scale) } else { (0.0, 1.0) };
        match (self, normalise) {
            (Self::U8, true) => widen_u8(bytes, o, k, out),
            (Self::U8, false) => out.iter_mut().zip(bytes).for_each(|(y, &b)| *y = f32::from(b)),
            (Self::U16, _) => {
                for (y, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    let x = f32::from(u16::from_le_bytes([b[0], b[1]]));
                    *y = if normalise { (x - o) * k } else { x };
                }
            }
            (Self::F32, _) => {
                for (y, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                    let x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    *y = if normalise { (x - o) * k } else { x };
                }
            }
        }
    }
}

#[multiversion(targets = "simd")]
fn encode_u8(values: &[f32], out: &mut [u8]) -> bool {
    let mut exact = true;
    for (v, o) in values.iter().zip(out.iter_mut()) {
        // `as` saturates (NaN → 0): a value it changes is not a byte.
        let q = *v as u8;
        exact &= f32::from(q) == *v;
        *o = q;
    }
    exact
}

fn encode_u16(values: &[f32], out: &mut [u8]) -> bool {
    let mut exact = true;
    for (v, o) in values.iter().zip(out.chunks_exact_mut(2)) {
        let q = *v as u16;
        exact &= f32::from(q) == *v;
        o.copy_from_slice(&q.to_le_bytes());
    }
    exact
}

#[multiversion(targets = "simd")]
fn widen_u8(bytes: &[u8], o: f32, k: f32, out: &mut [f32]) {
    for (y, &b) in out.iter_mut().zip(bytes) {
        *y = (f32::from(b) - o) * k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_hold_their_values_exactly_and_refuse_others() {
        let bytes = [0.0, 1.0, 17.0, 255.0];
        let words = [0.0, 256.0, 4097.0, 65535.0];
        let floats = [-1.5, 0.1, 1e30, f32::MIN_POSITIVE];
        for (code, vals) in [
            (SampleCode::U8, &bytes),
            (SampleCode::U16, &words),
            (SampleCode::F32, &floats),
        ] {
            let mut enc = vec![0u8; vals.len() * code.bytes()];
            assert!(code.encode(vals, &mut enc), "{code:?}");
            let mut back = [0f32; 4];
            code.widen(&enc, 0.0, 1.0, false, &mut back);
            assert_eq!(&back, vals, "{code:?}");
            // Normalised: the streaming feed's (x − o)·k, bit for bit.
            code.widen(&enc, 3.25, 0.37, true, &mut back);
            for (b, v) in back.iter().zip(vals.iter()) {
                assert_eq!(b.to_bits(), ((v - 3.25) * 0.37).to_bits(), "{code:?}");
            }
        }
        for bad in [-1.0, 0.5, 256.0, f32::NAN, f32::INFINITY] {
            assert!(!SampleCode::U8.encode(&[1.0, bad], &mut [0u8; 2]), "{bad}");
        }
        for bad in [-1.0, 2.5, 65536.0, f32::NAN] {
            assert!(!SampleCode::U16.encode(&[bad], &mut [0u8; 2]), "{bad}");
        }
        assert_eq!(SampleCode::for_bits(4), SampleCode::U8);
        assert_eq!(SampleCode::for_bits(16), SampleCode::U16);
        assert_eq!(SampleCode::for_bits(32), SampleCode::F32);
    }
}
