//! Packing and unpacking of 1, 2 and 4-bit samples.
//!
//! Sub-byte samples are stored several to a byte. The two formats palfa reads
//! disagree on the order inside a byte:
//!
//! * SIGPROC filterbank puts the **first** sample in the **lowest** bits
//!   ([`BitOrder::LsbFirst`], as sigproc's own `char2ints` unpacks);
//! * PSRFITS puts the **first** sample in the **highest** bits
//!   ([`BitOrder::MsbFirst`]; for 4-bit data the high nibble is the earlier channel).

/// Where the first of several samples sharing a byte sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOrder {
    /// First sample in the least significant bits (SIGPROC).
    LsbFirst,
    /// First sample in the most significant bits (PSRFITS).
    MsbFirst,
}

/// Unpacks `out.len()` samples of `nbits` (1, 2, 4 or 8) bits from `bytes` into `out`.
///
/// # Panics
/// If `nbits` is not 1, 2, 4 or 8, or `bytes` holds fewer than `out.len()` samples.
///
/// ```
/// use palfa_core::bits::{unpack, BitOrder};
/// let mut out = [0u8; 4];
/// unpack(&[0b11_10_01_00], 2, BitOrder::LsbFirst, &mut out);
/// assert_eq!(out, [0, 1, 2, 3]);
/// unpack(&[0b11_10_01_00], 2, BitOrder::MsbFirst, &mut out);
/// assert_eq!(out, [3, 2, 1, 0]);
/// ```
pub fn unpack(bytes: &[u8], nbits: u32, order: BitOrder, out: &mut [u8]) {
    assert!(matches!(nbits, 1 | 2 | 4 | 8), "unpack: {nbits} bits");
    let per_byte = (8 / nbits) as usize;
    assert!(bytes.len() * per_byte >= out.len(), "unpack: input too short");
    if nbits == 8 {
        out.copy_from_slice(&bytes[..out.len()]);
        return;
    }
    let mask = (1u8 << nbits) - 1;
    for (chunk, &b) in out.chunks_mut(per_byte).zip(bytes) {
        for (k, o) in chunk.iter_mut().enumerate() {
            let slot = match order {
                BitOrder::LsbFirst => k,
                BitOrder::MsbFirst => per_byte - 1 - k,
            };
            *o = (b >> (slot as u32 * nbits)) & mask;
        }
    }
}

/// Packs samples of `nbits` (1, 2, 4 or 8) bits into bytes; the inverse of [`unpack`].
/// Values are masked to `nbits`; a last partial byte is padded with zeros.
///
/// # Panics
/// If `nbits` is not 1, 2, 4 or 8.
pub fn pack(samples: &[u8], nbits: u32, order: BitOrder) -> Vec<u8> {
    assert!(matches!(nbits, 1 | 2 | 4 | 8), "pack: {nbits} bits");
    if nbits == 8 {
        return samples.to_vec();
    }
    let per_byte = (8 / nbits) as usize;
    let mask = (1u8 << nbits) - 1;
    samples
        .chunks(per_byte)
        .map(|chunk| {
            chunk.iter().enumerate().fold(0u8, |acc, (k, &v)| {
                let slot = match order {
                    BitOrder::LsbFirst => k,
                    BitOrder::MsbFirst => per_byte - 1 - k,
                };
                acc | ((v & mask) << (slot as u32 * nbits))
            })
        })
        .collect()
}

/// Number of bytes that `nsamples` samples of `nbits` bits occupy (rounded up).
pub fn packed_len(nsamples: usize, nbits: u32) -> usize {
    (nsamples * nbits as usize).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_all_depths_and_orders() {
        for nbits in [1u32, 2, 4, 8] {
            for order in [BitOrder::LsbFirst, BitOrder::MsbFirst] {
                let max = if nbits == 8 { 255u32 } else { (1 << nbits) - 1 };
                let samples: Vec<u8> = (0..97u32).map(|i| ((i * 7 + 3) % (max + 1)) as u8).collect();
                let packed = pack(&samples, nbits, order);
                assert_eq!(packed.len(), packed_len(samples.len(), nbits));
                let mut back = vec![0u8; samples.len()];
                unpack(&packed, nbits, order, &mut back);
                assert_eq!(back, samples, "nbits {nbits} {order:?}");
            }
        }
    }

    #[test]
    fn four_bit_msb_first_puts_first_channel_high() {
        assert_eq!(pack(&[0xA, 0x3], 4, BitOrder::MsbFirst), vec![0xA3]);
        assert_eq!(pack(&[0xA, 0x3], 4, BitOrder::LsbFirst), vec![0x3A]);
    }
}
