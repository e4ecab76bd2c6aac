//! The FFA transform: `m` rows of `p` bins folded at `m` trial periods
//! between `p` and `p + 1` bins at once, in O(m·p·log₂ m) additions
//! (Staelin 1969; the arbitrary-`m` recursion of Morello et al. 2020).

/// Folds `data`, `m` consecutive rows of `p` bins each (`m·p` samples of a
/// series, row-major), at `m` trial periods at once. Row `s` of `out` (`m·p`
/// values) is the profile folded with a drift of `δ = s/(m − 1)` bins per row
/// (`s` bins over the `m − 1` row steps): row `k` read from bin
/// `≈ round(s·k/(m − 1))` on, circularly. That is the fold at the period
/// [`trial_period_bins`]`(p, δ) = p²/(p − δ)` bins: a pulse every that many
/// samples lands in the same bin of every row, rows it skips included.
///
/// The recursion splits the rows into a head of `⌊m/2⌋` and a tail of the rest,
/// transforms each, and adds, for each trial, the head's trial of the nearest
/// drift to the tail's, shifted by the drift accumulated over the head: every
/// row's shift is within a bin or two of the exact `s·k/(m − 1)` (1.6 bins at
/// most for 257 rows, 2.5 for 600).
///
/// # Panics
/// If `data.len() != m·p`, `out.len() != m·p`, `m == 0` or `p == 0`.
pub fn ffa_transform(data: &[f32], m: usize, p: usize, out: &mut [f32]) {
    ffa_transform_with(data, m, p, out, &mut Vec::new());
}

/// [`ffa_transform`] with a scratch buffer kept by the caller (resized to
/// `m·p`), so that folding many lengths allocates once.
///
/// # Panics
/// As [`ffa_transform`].
pub fn ffa_transform_with(data: &[f32], m: usize, p: usize, out: &mut [f32], scratch: &mut Vec<f32>) {
    assert!(m > 0 && p > 0, "FFA of {m} rows of {p} bins");
    assert_eq!(data.len(), m * p, "FFA input is not {m} rows of {p} bins");
    assert_eq!(out.len(), m * p, "FFA output is not {m} rows of {p} bins");
    scratch.resize(m * p, 0.0);
    transform(data, m, p, out, scratch);
}

/// The period \[bins\] that a drift of `delta` bins per row of `p` bins folds
/// at: `p²/(p − δ)` (≈ `p + δ`).
pub fn trial_period_bins(p: usize, delta: f64) -> f64 {
    let p = p as f64;
    p * p / (p - delta)
}

/// The recursion: the result goes into `out`; `scratch` (same size) is free
/// to use. The two halves are transformed into `scratch` (with `out` as their
/// scratch) and combined into `out`.
fn transform(data: &[f32], m: usize, p: usize, out: &mut [f32], scratch: &mut [f32]) {
    if m == 1 {
        out.copy_from_slice(data);
        return;
    }
    let h = m / 2;
    let t = m - h;
    {
        let (sh, st) = scratch.split_at_mut(h * p);
        let (oh, ot) = out.split_at_mut(h * p);
        let (dh, dt) = data.split_at(h * p);
        transform(dh, h, p, sh, oh);
        transform(dt, t, p, st, ot);
    }
    let (head, tail) = scratch.split_at(h * p);
    // The head's rows 0..h drift by s·(h − 1)/(m − 1) bins; the tail starts
    // s·h/(m − 1) bins on and drifts by s·(t − 1)/(m − 1). The tail's start
    // is taken as s minus its drift, so that the last row's total shift is
    // exactly s: rounding both independently would add a bin at every tie
    // (frequent: s·(t − 1)/(m − 1) is often a half) and the error would grow
    // by up to a bin per level.
    let mut ih = Ramp::new(h - 1, m - 1);
    let mut it = Ramp::new(t - 1, m - 1);
    // (s − it) mod p: s steps by one and `it` by zero or one.
    let (mut shift, mut prev_jt) = (0, 0);
    for (s, o) in out.chunks_exact_mut(p).enumerate().take(m) {
        let (jh, jt) = (ih.next(), it.next());
        if s > 0 && jt == prev_jt {
            shift = if shift + 1 == p { 0 } else { shift + 1 };
        }
        prev_jt = jt;
        let a = &head[jh * p..(jh + 1) * p];
        let b = &tail[jt * p..(jt + 1) * p];
        let n1 = p - shift;
        for ((o, a), b) in o[..n1].iter_mut().zip(&a[..n1]).zip(&b[shift..]) {
            *o = a + b;
        }
        for ((o, a), b) in o[n1..].iter_mut().zip(&a[n1..]).zip(&b[..shift]) {
            *o = a + b;
        }
    }
}

/// `round(s·num/den)` for s = 0, 1, 2, … (halves rounded up; `num ≤ den`,
/// `den > 0`), each from the last by one addition: the same integers as
/// [`round_ratio`]`(s·num, den)`, without a division per row.
struct Ramp {
    /// Quotient and remainder of `2·s·num + den` by `2·den`.
    q: usize,
    r: usize,
    step: usize,
    div: usize,
}

impl Ramp {
    fn new(num: usize, den: usize) -> Self {
        debug_assert!(den > 0 && num <= den);
        Self {
            q: 0,
            r: den,
            step: 2 * num,
            div: 2 * den,
        }
    }

    /// The value for the next s.
    fn next(&mut self) -> usize {
        let v = self.q;
        self.r += self.step;
        if self.r >= self.div {
            self.r -= self.div;
            self.q += 1;
        }
        v
    }
}

/// `round(a/b)`, halves rounded up, in integers (as `f64::round` of the
/// quotient, which is exact at every half). `b > 0`.
#[cfg(test)]
fn round_ratio(a: usize, b: usize) -> usize {
    (2 * a + b) / (2 * b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The profile folded by brute force with each row's exact shift rounded.
    fn brute(data: &[f32], m: usize, p: usize, s: usize) -> Vec<f32> {
        let mut prof = vec![0.0f32; p];
        for k in 0..m {
            let shift = if m > 1 {
                (s as f64 * k as f64 / (m - 1) as f64).round() as usize
            } else {
                0
            };
            for j in 0..p {
                prof[j] += data[k * p + (j + shift) % p];
            }
        }
        prof
    }

    #[test]
    fn integer_rounding_is_the_rounded_float_quotient() {
        // Every drift of every split the recursion makes, up to 1500 rows.
        for m in 2..1500usize {
            let (h, t) = (m / 2, m - m / 2);
            for s in 0..m {
                for a in [s * (h - 1), s * (t - 1)] {
                    let float = (a as f64 / (m - 1) as f64).round() as usize;
                    assert_eq!(round_ratio(a, m - 1), float, "{a}/{}", m - 1);
                }
            }
            for num in [h - 1, t - 1] {
                let mut ramp = Ramp::new(num, m - 1);
                for s in 0..m {
                    assert_eq!(ramp.next(), round_ratio(s * num, m - 1), "s {s}, {num}/{}", m - 1);
                }
            }
        }
    }

    /// The recursion as it was written first, each row's offsets by
    /// division: the reference for [`transform`]'s incremental ones.
    fn by_division(data: &[f32], m: usize, p: usize) -> Vec<f32> {
        if m == 1 {
            return data.to_vec();
        }
        let (h, t) = (m / 2, m - m / 2);
        let head = by_division(&data[..h * p], h, p);
        let tail = by_division(&data[h * p..], t, p);
        let mut out = vec![0.0f32; m * p];
        for s in 0..m {
            let ih = round_ratio(s * (h - 1), m - 1);
            let it = round_ratio(s * (t - 1), m - 1);
            let shift = (s - it) % p;
            for b in 0..p {
                out[s * p + b] = head[ih * p + b] + tail[it * p + (b + shift) % p];
            }
        }
        out
    }

    #[test]
    fn incremental_offsets_give_the_same_sums_as_division() {
        let mut x = 1u32;
        for (m, p) in [
            (1usize, 5usize),
            (2, 3),
            (7, 3),
            (33, 4),
            (100, 17),
            (257, 250),
            (528, 250),
            (600, 7),
        ] {
            let data: Vec<f32> = (0..m * p)
                .map(|_| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 8) as f32 / (1 << 24) as f32 - 0.5
                })
                .collect();
            let mut out = vec![0.0f32; m * p];
            ffa_transform(&data, m, p, &mut out);
            let want = by_division(&data, m, p);
            assert!(
                out.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{m} rows of {p}"
            );
        }
    }

    #[test]
    fn every_row_count_folds_a_drifting_pulse_into_a_few_bins() {
        // A one-bin pulse at period p + d bins (its arrival rounded to a bin):
        // the trial of that drift holds at least 95 % of the pulses within a
        // 5-bin window (each level of the recursion rounds its shifts by up to
        // half a bin, so rows can be a bin or two from the exact fold).
        for m in [1usize, 2, 3, 5, 7, 8, 13, 64, 100, 257] {
            let p = 11;
            for d_steps in 0..m {
                let d = if m > 1 { d_steps as f64 / (m - 1) as f64 } else { 0.0 };
                let period = trial_period_bins(p, d);
                let mut data = vec![0.0f32; m * p];
                for k in 0..m {
                    let t = (k as f64 * period + 3.0).round() as usize;
                    if t < m * p {
                        data[t] = 1.0;
                    }
                }
                let mut out = vec![0.0f32; m * p];
                ffa_transform(&data, m, p, &mut out);
                let row = &out[d_steps * p..(d_steps + 1) * p];
                let best3 = (0..p)
                    .map(|j| (0..5).map(|i| row[(j + i) % p]).sum::<f32>())
                    .fold(0.0f32, f32::max);
                let pulses = data.iter().sum::<f32>();
                assert!(
                    best3 >= (0.95 * pulses).floor(),
                    "m {m} drift {d_steps}: {best3} of {pulses}"
                );
            }
        }
    }

    #[test]
    fn every_row_is_read_within_two_bins_of_its_exact_shift() {
        // One sample in row k: where it lands in trial s gives the shift the
        // transform applied to row k.
        let p = 16;
        for m in [7usize, 100, 257, 600] {
            let mut worst = 0.0f64;
            for k in 0..m {
                let mut data = vec![0.0f32; m * p];
                data[k * p] = 1.0;
                let mut out = vec![0.0f32; m * p];
                ffa_transform(&data, m, p, &mut out);
                for s in 0..m {
                    let j = out[s * p..(s + 1) * p].iter().position(|&x| x == 1.0).unwrap();
                    let shift = ((p - j) % p) as f64;
                    let exact = (s * k) as f64 / (m - 1).max(1) as f64;
                    let d = (shift - exact).rem_euclid(p as f64);
                    worst = worst.max(d.min(p as f64 - d));
                }
            }
            assert!(worst <= 2.5, "{m} rows: a row {worst} bins from its exact shift");
        }
    }

    #[test]
    fn sums_are_conserved_and_close_to_the_brute_force_fold() {
        let (m, p) = (37, 20);
        let data: Vec<f32> = (0..m * p).map(|i| ((i * 7919) % 101) as f32 - 50.0).collect();
        let mut out = vec![0.0f32; m * p];
        ffa_transform(&data, m, p, &mut out);
        let total: f32 = data.iter().sum();
        for s in 0..m {
            let row = &out[s * p..(s + 1) * p];
            assert!((row.iter().sum::<f32>() - total).abs() < 1e-2);
        }
        // Trials 0 and m−1 are exact folds (no rounding: drift 0 and 1 per row step).
        for s in [0, m - 1] {
            let b = brute(&data, m, p, s);
            for (x, y) in out[s * p..(s + 1) * p].iter().zip(&b) {
                assert!((x - y).abs() < 1e-3, "trial {s}");
            }
        }
    }
}
