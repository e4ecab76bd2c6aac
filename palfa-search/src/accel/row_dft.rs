//! One plane row's correlation in a single pass with AVX-512: the product of
//! the block's spectrum and the row's kernel, its discrete Fourier
//! transform, and the powers, without the intermediate complex arrays.
//!
//! [`super::plane::Correlator`] otherwise multiplies, transforms with
//! `rustfft` (whose widest path is AVX2) and takes powers in three passes;
//! on a CPU with AVX-512 this does the same arithmetic on 16 lanes at a
//! time, with the real and imaginary parts in separate vectors (no
//! shuffles for complex arithmetic).
//!
//! The inverse transform the correlation needs is taken as the forward
//! transform of the conjugate product: `|IDFT(x)[k]|² = |DFT(x̄)[k]|²`, and
//! only powers are kept. An `n`-point transform, `n = 16·m` (`m` a power of
//! two, at least 16), is done as `16 × m` (the "four-step" method): with
//! `x[n1 + m·n2]`, first the 16-point transforms over `n2` with the 16
//! consecutive `n1` of a vector as lanes, then the twiddles `W_n^{n1·k2}`,
//! a 16 × 16 transpose per group of 16 `n1`, and the `m`-point transforms
//! over `n1` with the 16 values of `k2` as lanes, which leaves output
//! `k2 + 16·k1` at vector `k1`, lane `k2`: natural order. Each transform
//! is a radix-4 (and one radix-2 where needed) Stockham sweep, whose output
//! is in natural order too.

use std::f64::consts::TAU;

use multiversion::{multiversion, target::match_target};

/// Lanes per vector.
const L: usize = 16;

/// 16 lanes, aligned to 64 bytes (a cache line); storage only, read and
/// written as `f32` slices through `bytemuck`.
#[cfg(target_arch = "x86_64")]
type V = std::arch::x86_64::__m512;
#[cfg(not(target_arch = "x86_64"))]
type V = [f32; L];

fn zeroed(n: usize) -> Vec<V> {
    vec![bytemuck::Zeroable::zeroed(); n]
}

/// Plans and twiddles of the `n`-point row transform.
pub(crate) struct RowDft {
    /// Transform length (`16·m`).
    n: usize,
    /// `n / 16`.
    m: usize,
    /// `W_n^{n1·k2}` for `n1 = 16g + lane`, by `[g][k2]`: real parts.
    tw_re: Vec<V>,
    /// … and imaginary parts.
    tw_im: Vec<V>,
    /// Per radix pass of the `m`-point transform, `W^p, W^{2p}, W^{3p}`
    /// (re, im) for each `p` of the pass.
    passes: Vec<Vec<[f32; 6]>>,
    /// `W_16^e`.
    w16: [(f32, f32); 16],
}

/// One row's working space: the transforms' buffers and the powers of
/// both halves.
pub(crate) struct RowBuffers {
    work: PingPong,
    even: Vec<V>,
    odd: Vec<V>,
}

/// The two buffers the `m`-point Stockham passes alternate between
/// (`a` also takes the first step's output).
struct PingPong {
    a_re: Vec<V>,
    a_im: Vec<V>,
    b_re: Vec<V>,
    b_im: Vec<V>,
}

/// A spectrum or kernel in split form (real and imaginary parts apart), in
/// whole, aligned vectors.
pub(crate) struct Split {
    re: Vec<V>,
    im: Vec<V>,
}

impl Split {
    /// `n` zeros (`n` a multiple of 256), to be [`fill`](Self::fill)ed.
    pub fn zeroed(n: usize) -> Self {
        Self {
            re: zeroed(n / L),
            im: zeroed(n / L),
        }
    }

    /// `v` in split form (its length a multiple of 256).
    pub fn from_complex(v: &[rustfft::num_complex::Complex32]) -> Self {
        let mut s = Self::zeroed(v.len());
        s.fill(v);
        s
    }

    /// Overwrites with `v` (of the same length). The vectors are stored
    /// in the order the transform's first step reads them: vector
    /// `g + (m/16)·n2` of `v` (`m = len/16`) at `16·g + n2`.
    pub fn fill(&mut self, v: &[rustfft::num_complex::Complex32]) {
        let groups = self.re.len() / L;
        for (vo, c) in v.chunks_exact(L).enumerate() {
            let at = (vo % groups) * L + vo / groups;
            let (re, im): (&mut [f32; L], &mut [f32; L]) = (
                bytemuck::cast_mut(&mut self.re[at]),
                bytemuck::cast_mut(&mut self.im[at]),
            );
            for ((r, i), c) in re.iter_mut().zip(im).zip(c) {
                (*r, *i) = (c.re, c.im);
            }
        }
    }

    /// Points.
    fn len(&self) -> usize {
        self.re.len() * L
    }
}

/// `e^{−2πi·k/n}` as `f32` (re, im).
fn w(k: usize, n: usize) -> (f32, f32) {
    let a = -TAU * (k % n) as f64 / n as f64;
    (a.cos() as f32, a.sin() as f32)
}

impl RowDft {
    /// The plan for `n` points, or `None` where this CPU lacks AVX-512 or
    /// `n` is not `16·m` with `m` a power of two of at least 16.
    pub fn new(n: usize) -> Option<Self> {
        let m = n / L;
        if !(n.is_power_of_two() && m >= L && has_avx512()) {
            return None;
        }
        let mut tw_re = Vec::with_capacity(m);
        let mut tw_im = Vec::with_capacity(m);
        for g in 0..m / L {
            for k2 in 0..L {
                let (mut re, mut im) = ([0.0; L], [0.0; L]);
                for l in 0..L {
                    (re[l], im[l]) = w((g * L + l) * k2, n);
                }
                tw_re.push(bytemuck::cast(re));
                tw_im.push(bytemuck::cast(im));
            }
        }
        let mut passes = Vec::new();
        let mut len = m;
        while len > L {
            let radix = if (len / L).is_multiple_of(4) { 4 } else { 2 };
            passes.push(
                (0..len / radix)
                    .map(|p| {
                        let (a, b) = w(p, len);
                        let (c, d) = w(2 * p, len);
                        let (e, f) = w(3 * p, len);
                        [a, b, c, d, e, f]
                    })
                    .collect(),
            );
            len /= radix;
        }
        Some(Self {
            n,
            m,
            tw_re,
            tw_im,
            passes,
            w16: std::array::from_fn(|e| w(e, 16)),
        })
    }

    /// Working space for [`powers`](Self::powers) (one per thread).
    pub fn buffers(&self) -> RowBuffers {
        RowBuffers {
            work: PingPong {
                a_re: zeroed(self.m),
                a_im: zeroed(self.m),
                b_re: zeroed(self.m),
                b_im: zeroed(self.m),
            },
            even: zeroed(self.m + 1),
            odd: zeroed(self.m + 1),
        }
    }

    /// Powers `|IDFT(s·k)[t]|²` of the two halves of a folded kernel
    /// (`even`, then `odd`, each `n` long), interleaved:
    /// `out[2i] = even power at first + i`, `out[2i + 1] = odd power at
    /// first + i`, for `2i < out.len()`.
    ///
    /// # Panics
    /// If the lengths disagree with the plan or `first + out.len()/2 > n`.
    pub fn powers(&self, s: &Split, even: &Split, odd: &Split, first: usize, out: &mut [f32], bufs: &mut RowBuffers) {
        let n = self.n;
        assert!(s.len() == n && even.len() == n && odd.len() == n);
        assert!(first + out.len().div_ceil(2) <= n);
        run(self, s, even, odd, first, out, bufs);
    }
}

#[multiversion(targets = "simd")]
fn has_avx512() -> bool {
    match_target! {
        "x86_64+avx512f" => true,
        _ => false,
    }
}

#[multiversion(targets = "simd")]
fn run(plan: &RowDft, s: &Split, even: &Split, odd: &Split, first: usize, out: &mut [f32], bufs: &mut RowBuffers) {
    match_target! {
        "x86_64+avx512f" => {
            let RowBuffers { work, even: pe, odd: po } = bufs;
            avx512::transform_powers(plan, s, even, work, pe);
            avx512::transform_powers(plan, s, odd, work, po);
            let (fe, fo): (&[f32], &[f32]) = (bytemuck::cast_slice(pe), bytemuck::cast_slice(po));
            avx512::interleave(&fe[first..], &fo[first..], out);
        }
        _ => {
            // RowDft::new refuses CPUs without AVX-512.
            let _ = (plan, s, even, odd, first, out, bufs);
            unreachable!("RowDft without AVX-512")
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{PingPong, RowDft, Split, L, V};

    #[derive(Clone, Copy)]
    struct Cv {
        re: __m512,
        im: __m512,
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn load(v: &[f32], at: usize) -> __m512 {
        let a: [f32; L] = v[at..at + L].try_into().unwrap_or([0.0; L]);
        bytemuck::cast(a)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add(a: Cv, b: Cv) -> Cv {
        Cv {
            re: _mm512_add_ps(a.re, b.re),
            im: _mm512_add_ps(a.im, b.im),
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sub(a: Cv, b: Cv) -> Cv {
        Cv {
            re: _mm512_sub_ps(a.re, b.re),
            im: _mm512_sub_ps(a.im, b.im),
        }
    }

    /// `a·w`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn mul(a: Cv, wr: __m512, wi: __m512) -> Cv {
        Cv {
            re: _mm512_fmsub_ps(a.re, wr, _mm512_mul_ps(a.im, wi)),
            im: _mm512_fmadd_ps(a.re, wi, _mm512_mul_ps(a.im, wr)),
        }
    }

    /// The radix-4 butterfly of a forward Stockham pass: outputs 0..4
    /// before their twiddles (`(a−c) ∓ i(b−d)` for outputs 1 and 3).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn radix4(a: Cv, b: Cv, c: Cv, d: Cv) -> [Cv; 4] {
        let (apc, amc) = (add(a, c), sub(a, c));
        let (bpd, bmd) = (add(b, d), sub(b, d));
        [
            add(apc, bpd),
            Cv {
                re: _mm512_add_ps(amc.re, bmd.im),
                im: _mm512_sub_ps(amc.im, bmd.re),
            },
            sub(apc, bpd),
            Cv {
                re: _mm512_sub_ps(amc.re, bmd.im),
                im: _mm512_add_ps(amc.im, bmd.re),
            },
        ]
    }

    /// The 16-point transform of 16 vectors (lane by lane), in natural
    /// order: two radix-4 Stockham passes. `w16[e]` is `W_16^e`. (Macros,
    /// here and for [`transpose!`], so that the 16 vectors stay in
    /// registers: as functions they were not inlined.)
    macro_rules! dft16 {
        ($x:expr, $w16:expr) => {{
            let x: [Cv; 16] = $x;
            let w16: &[(f32, f32); 16] = $w16;
            let mut y = x;
            // Pass 1: length 16, stride 1.
            for p in 0..4 {
                let o = radix4(x[p], x[p + 4], x[p + 8], x[p + 12]);
                y[4 * p] = o[0];
                for (e, v) in o.into_iter().enumerate().skip(1) {
                    let (wr, wi) = w16[e * p];
                    y[4 * p + e] = if p == 0 {
                        v
                    } else {
                        mul(v, _mm512_set1_ps(wr), _mm512_set1_ps(wi))
                    };
                }
            }
            // Pass 2: length 4, stride 4 (no twiddles).
            let mut z = y;
            for q in 0..4 {
                let o = radix4(y[q], y[q + 4], y[q + 8], y[q + 12]);
                for (e, v) in o.into_iter().enumerate() {
                    z[q + 4 * e] = v;
                }
            }
            z
        }};
    }

    /// Lane indices for `_mm512_permutex2var_ps` that swap the
    /// off-diagonal blocks of `b` between rows `i` and `i + b`: the new row
    /// `i` (`hi` false) or `i + b` (`hi` true).
    const fn swap_index(b: usize, hi: bool) -> [i32; 16] {
        let mut v = [0; 16];
        let mut j = 0;
        while j < 16 {
            v[j] = match (j & b == 0, hi) {
                (true, false) => j,
                (false, false) => 16 + j - b,
                (true, true) => j + b,
                (false, true) => 16 + j,
            } as i32;
            j += 1;
        }
        v
    }

    const SWAP: [[[i32; 16]; 2]; 4] = [
        [swap_index(8, false), swap_index(8, true)],
        [swap_index(4, false), swap_index(4, true)],
        [swap_index(2, false), swap_index(2, true)],
        [swap_index(1, false), swap_index(1, true)],
    ];

    /// Swaps the off-diagonal blocks of `$b` between rows `$i` and
    /// `$i + $b` of `$r` for each `$i` listed.
    macro_rules! swap_blocks {
        ($r:ident, $stage:literal, $b:literal, $($i:literal)*) => {{
            let lo: __m512i = bytemuck::cast(SWAP[$stage][0]);
            let hi: __m512i = bytemuck::cast(SWAP[$stage][1]);
            $(
                let (a, c) = ($r[$i], $r[$i + $b]);
                $r[$i] = _mm512_permutex2var_ps(a, lo, c);
                $r[$i + $b] = _mm512_permutex2var_ps(a, hi, c);
            )*
        }};
    }

    /// Transposes 16 vectors of 16 lanes (row `i`, lane `j` ↔ row `j`,
    /// lane `i`), by swapping off-diagonal blocks of 8, 4, 2 and 1 (written
    /// out, so that the rows stay in registers).
    macro_rules! transpose {
        ($r:expr) => {{
            let mut r: [__m512; 16] = $r;
            swap_blocks!(r, 0, 8, 0 1 2 3 4 5 6 7);
            swap_blocks!(r, 1, 4, 0 1 2 3 8 9 10 11);
            swap_blocks!(r, 2, 2, 0 1 4 5 8 9 12 13);
            swap_blocks!(r, 3, 1, 0 2 4 6 8 10 12 14);
            r
        }};
    }

    /// The powers of `DFT(conj(s·k))` (the conjugate of the inverse
    /// transform of `s·k`) into `out[..n]`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn transform_powers(plan: &RowDft, s: &Split, k: &Split, work: &mut PingPong, out: &mut [V]) {
        let m = plan.m;
        // Four-step, first half: 16-point transforms over n2 for 16 n1 at
        // a time, twiddles, transpose; into a[n1] (lanes k2).
        fn chunk(v: &[V]) -> &[V; L] {
            v.try_into().unwrap_or_else(|_| unreachable!())
        }
        let groups =
            s.re.chunks_exact(L)
                .zip(s.im.chunks_exact(L))
                .zip(k.re.chunks_exact(L).zip(k.im.chunks_exact(L)))
                .zip(plan.tw_re.chunks_exact(L).zip(plan.tw_im.chunks_exact(L)))
                .zip(work.a_re.chunks_exact_mut(L).zip(work.a_im.chunks_exact_mut(L)));
        for ((((sr, si), (kr, ki)), (tr, ti)), (dre, dim)) in groups {
            let (sr, si, kr, ki) = (chunk(sr), chunk(si), chunk(kr), chunk(ki));
            let x: [Cv; 16] = std::array::from_fn(|n2| {
                let (sr, si, kr, ki) = (sr[n2], si[n2], kr[n2], ki[n2]);
                // conj(s·k) = (sr·kr − si·ki) − i(sr·ki + si·kr).
                Cv {
                    re: _mm512_fmsub_ps(sr, kr, _mm512_mul_ps(si, ki)),
                    im: _mm512_fnmsub_ps(sr, ki, _mm512_mul_ps(si, kr)),
                }
            });
            let x = dft16!(x, &plan.w16);
            let (tr, ti) = (chunk(tr), chunk(ti));
            let mut re = [_mm512_setzero_ps(); 16];
            let mut im = [_mm512_setzero_ps(); 16];
            for (k2, v) in x.into_iter().enumerate() {
                let v = mul(v, tr[k2], ti[k2]);
                (re[k2], im[k2]) = (v.re, v.im);
            }
            let (re, im) = (transpose!(re), transpose!(im));
            // One store per vector (a slice copy here became a call to
            // memcpy, which spilled every register).
            for (d, v) in dre.iter_mut().zip(re) {
                *d = v;
            }
            for (d, v) in dim.iter_mut().zip(im) {
                *d = v;
            }
        }
        // Second half: the m-point transforms over n1, vector by vector:
        // Stockham passes down to 16-point subsequences, whose transforms
        // are taken in registers and give the powers.
        let PingPong { a_re, a_im, b_re, b_im } = work;
        let (mut src, mut dst) = ((a_re, a_im), (b_re, b_im));
        let (mut len, mut stride) = (m, 1);
        let get = |v: &(&mut Vec<V>, &mut Vec<V>), i: usize| Cv { re: v.0[i], im: v.1[i] };
        for tw in &plan.passes {
            if tw.len() * 4 == len {
                let q4 = len / 4;
                for (p, t) in tw.iter().enumerate() {
                    let w1 = (_mm512_set1_ps(t[0]), _mm512_set1_ps(t[1]));
                    let w2 = (_mm512_set1_ps(t[2]), _mm512_set1_ps(t[3]));
                    let w3 = (_mm512_set1_ps(t[4]), _mm512_set1_ps(t[5]));
                    for q in 0..stride {
                        let o = radix4(
                            get(&src, q + stride * p),
                            get(&src, q + stride * (p + q4)),
                            get(&src, q + stride * (p + 2 * q4)),
                            get(&src, q + stride * (p + 3 * q4)),
                        );
                        let o = if p == 0 {
                            o
                        } else {
                            [
                                o[0],
                                mul(o[1], w1.0, w1.1),
                                mul(o[2], w2.0, w2.1),
                                mul(o[3], w3.0, w3.1),
                            ]
                        };
                        for (e, v) in o.into_iter().enumerate() {
                            let i = q + stride * (4 * p + e);
                            (dst.0[i], dst.1[i]) = (v.re, v.im);
                        }
                    }
                }
                len /= 4;
                stride *= 4;
            } else {
                let h = len / 2;
                for (p, t) in tw.iter().enumerate() {
                    let w1 = (_mm512_set1_ps(t[0]), _mm512_set1_ps(t[1]));
                    for q in 0..stride {
                        let (a, b) = (get(&src, q + stride * p), get(&src, q + stride * (p + h)));
                        let o = [add(a, b), mul(sub(a, b), w1.0, w1.1)];
                        for (e, v) in o.into_iter().enumerate() {
                            let i = q + stride * (2 * p + e);
                            (dst.0[i], dst.1[i]) = (v.re, v.im);
                        }
                    }
                }
                len /= 2;
                stride *= 2;
            }
            std::mem::swap(&mut src, &mut dst);
        }
        debug_assert_eq!(len, 16);
        // Subsequence q's output k is vector q + stride·k, which holds
        // outputs 16·(q + stride·k) + lane.
        for q in 0..stride {
            let x: [Cv; 16] = std::array::from_fn(|i| get(&src, q + stride * i));
            let x = dft16!(x, &plan.w16);
            for (k, v) in x.into_iter().enumerate() {
                out[q + stride * k] = _mm512_fmadd_ps(v.re, v.re, _mm512_mul_ps(v.im, v.im));
            }
        }
    }

    /// `out[2i] = e[i]`, `out[2i + 1] = o[i]`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn interleave(e: &[f32], o: &[f32], out: &mut [f32]) {
        let lo: __m512i = bytemuck::cast(std::array::from_fn::<i32, 16, _>(|j| (j / 2 + 16 * (j % 2)) as i32));
        let hi: __m512i = bytemuck::cast(std::array::from_fn::<i32, 16, _>(|j| (8 + j / 2 + 16 * (j % 2)) as i32));
        let whole = out.len() / (2 * L);
        for c in 0..whole {
            let (a, b) = (load(e, c * L), load(o, c * L));
            let (x, y) = (_mm512_permutex2var_ps(a, lo, b), _mm512_permutex2var_ps(a, hi, b));
            let dst = &mut out[2 * L * c..2 * L * (c + 1)];
            dst[..L].copy_from_slice(&bytemuck::cast::<__m512, [f32; L]>(x));
            dst[L..].copy_from_slice(&bytemuck::cast::<__m512, [f32; L]>(y));
        }
        for (i, v) in out.iter_mut().enumerate().skip(2 * L * whole) {
            *v = if i % 2 == 0 { e[i / 2] } else { o[i / 2] };
        }
    }
}

#[cfg(test)]
mod tests {
    use rustfft::num_complex::Complex32;
    use rustfft::FftPlanner;

    use super::*;

    fn noise(n: usize, seed: u64) -> Vec<Complex32> {
        let mut s = seed;
        let mut u = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n).map(|_| Complex32::new(u(), u())).collect()
    }

    /// The powers equal those of rustfft's inverse transform of the
    /// product, for each supported length.
    #[test]
    fn powers_match_rustfft() {
        for n in [256, 512, 1024, 2048] {
            let Some(plan) = RowDft::new(n) else {
                eprintln!("no AVX-512: nothing to compare");
                return;
            };
            let (s, ke, ko) = (noise(n, 1), noise(n, 2), noise(n, 3));
            let inv = FftPlanner::<f32>::new().plan_fft_inverse(n);
            let expect = |k: &[Complex32]| {
                let mut v: Vec<Complex32> = s.iter().zip(k).map(|(a, b)| a * b).collect();
                inv.process(&mut v);
                v.iter().map(|c| c.norm_sqr()).collect::<Vec<f32>>()
            };
            let (pe, po) = (expect(&ke), expect(&ko));
            let mut bufs = plan.buffers();
            for (first, len) in [(0, 2 * n), (43, 2 * (n - 43) - 1), (7, 33)] {
                let mut out = vec![f32::NAN; len];
                plan.powers(
                    &Split::from_complex(&s),
                    &Split::from_complex(&ke),
                    &Split::from_complex(&ko),
                    first,
                    &mut out,
                    &mut bufs,
                );
                let scale = pe.iter().chain(&po).fold(0f32, |a, &b| a.max(b));
                for (i, &v) in out.iter().enumerate() {
                    let want = if i % 2 == 0 {
                        pe[first + i / 2]
                    } else {
                        po[first + i / 2]
                    };
                    assert!((v - want).abs() <= 2e-6 * scale, "n {n} output {i}: {v} vs {want}");
                }
            }
        }
    }
}
