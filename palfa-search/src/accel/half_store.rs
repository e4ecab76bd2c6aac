//! Plane powers stored as IEEE 754 half-precision (binary16) bit patterns.
//!
//! Powers are non-negative, so only three cases matter: values below the
//! smallest normal half (2^−14 ≈ 6.1e-5) are stored as 0 (an absolute error
//! under 6.1e-5 on powers whose noise mean is 1), values of at least the
//! largest half (65504) are stored as 65504, and the rest are rounded to 11
//! significant bits (relative error at most 2^−11 ≈ 4.9e-4). The conversions
//! are plain integer arithmetic, which the compiler vectorises (for the
//! widest SIMD the CPU has, chosen at run time).

use multiversion::multiversion;

/// Largest finite half, 65504, as bits.
const MAX_BITS: u16 = 0x7bff;
/// 2^−14, the smallest normal half, as `f32` bits.
const MIN_NORMAL_F32: u32 = 0x3880_0000;
/// 65504 as `f32` bits.
const MAX_F32: u32 = 0x477f_e000;
/// Exponent bias difference (127 − 15) in place.
const REBIAS: u32 = 112 << 23;

/// One power (≥ 0) to half bits; negative values and NaN store as 0.
#[inline(always)]
fn to_half(x: f32) -> u16 {
    let bits = x.to_bits();
    if bits > 0x7f80_0000 {
        // NaN (positive or negative) or a negative number.
        0
    } else if bits >= MAX_F32 {
        MAX_BITS
    } else if bits < MIN_NORMAL_F32 {
        0
    } else {
        // Round to nearest on the 13 dropped mantissa bits (a carry into the
        // exponent is the right result).
        ((bits - REBIAS + 0x1000) >> 13) as u16
    }
}

/// Half bits of a non-negative normal half (or 0) back to `f32`.
#[inline(always)]
fn to_f32(h: u16) -> f32 {
    let h = h as u32 & 0x7fff;
    f32::from_bits(if h < 0x0400 { 0 } else { (h << 13) + REBIAS })
}

/// Stores `powers` into `out` (same length) as half bits.
#[multiversion(targets = "simd")]
pub(crate) fn store(powers: &[f32], out: &mut [u16]) {
    for (o, &p) in out.iter_mut().zip(powers) {
        *o = to_half(p);
    }
}

/// Widens half bits `src` into `out` (same length). With AVX-512, sixteen
/// at a time by the CPU's own conversion (`vcvtph2ps`), which gives the same
/// values for everything [`store`] writes (zero and normal halves; the sign
/// bit is cleared first, as [`to_f32`] ignores it).
#[multiversion(targets = "simd")]
pub(crate) fn widen(src: &[u16], out: &mut [f32]) {
    let n = src.len().min(out.len());
    let done = multiversion::target::match_target! {
        "x86_64+avx512f" => {
            use std::arch::x86_64::*;
            let m = n / 16 * 16;
            let magnitude = _mm256_set1_epi16(0x7fff);
            for (o, h) in out[..m].chunks_exact_mut(16).zip(src[..m].chunks_exact(16)) {
                let (Ok(o), Ok(h)) = (<&mut [f32; 16]>::try_from(o), <[u16; 16]>::try_from(h)) else {
                    break;
                };
                let h: __m256i = _mm256_and_si256(bytemuck::cast(h), magnitude);
                *o = bytemuck::cast(_mm512_cvtph_ps(h));
            }
            m
        }
        _ => 0,
    };
    for (o, &h) in out[done..n].iter_mut().zip(&src[done..n]) {
        *o = to_f32(h);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::f16;

    /// Against an independent IEEE implementation (the `half` crate) over
    /// every power from 0 to beyond the half range.
    #[test]
    fn agrees_with_ieee_half_rounding() {
        let mut x = 0f32;
        let mut checked = 0;
        while x < 1e6 {
            let mut h = [0u16];
            store(&[x], &mut h);
            let reference = f16::from_f32(x);
            let expected = if x >= 65504.0 {
                0x7bff
            } else if x < 6.103_515_6e-5 {
                0
            } else {
                reference.to_bits()
            };
            // Round-half-up and the reference's ties-to-even may differ by
            // one unit on exact ties only.
            assert!(
                h[0] == expected || (h[0] as i32 - expected as i32).abs() == 1,
                "{x}: {:#x} vs {expected:#x}",
                h[0]
            );
            let mut back = [0f32];
            widen(&h, &mut back);
            if (6.2e-5..=65504.0).contains(&x) {
                assert!((back[0] - x).abs() <= x * 4.9e-4, "{x} → {}", back[0]);
                assert_eq!(back[0], f16::from_bits(h[0]).to_f32());
            }
            checked += 1;
            x = if x == 0.0 { 1e-7 } else { x * 1.000_37 + 1e-9 };
        }
        assert!(checked > 30_000);
        let mut h = [1u16; 4];
        store(&[f32::INFINITY, -1.0, f32::NAN, 3e38], &mut h);
        assert_eq!(h, [0x7bff, 0, 0, 0x7bff]);
        let mut w = [9f32; 3];
        widen(&[0, 0x3c00, 0x7bff], &mut w);
        assert_eq!(w, [0.0, 1.0, 65504.0]);
        // Every half that `store` can write, in one long slice (the CPU's
        // widest conversion) and an odd tail, widens as `to_f32` does.
        let all: Vec<u16> = std::iter::once(0).chain(0x0400..=MAX_BITS).chain([0x3c01]).collect();
        assert!(!all.len().is_multiple_of(16));
        let mut back = vec![0f32; all.len()];
        widen(&all, &mut back);
        for (&h, &v) in all.iter().zip(&back) {
            assert_eq!(v.to_bits(), to_f32(h).to_bits(), "{h:#x}");
        }
    }
}
