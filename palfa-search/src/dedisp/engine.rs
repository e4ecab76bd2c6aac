//! The streaming two-stage dedispersion engine.
//!
//! A channel-major window of raw samples `[a, a + B + L1)` slides over the beam
//! in steps of `B` spectra (`L1` = the largest stage-1 shift). Each step adds
//! `B / ds` samples to every pass's subband window; whenever a subband window
//! holds `L2` samples beyond what has been output (`L2` = the pass's largest
//! stage-2 shift), the trial DMs' outputs advance. Both stages add contiguous
//! slices, which the compiler vectorises; rayon spreads subbands and DMs over
//! the cores.

use multiversion::multiversion;
use rayon::prelude::*;

use super::delays::{intra_subband_shifts, subband_shifts, ChannelLayout};
use super::feed::Feed;
use super::store::SeriesStore;
use super::{ChannelScaling, DedispConfig};
use crate::error::{SearchError, SearchResult};
use crate::series::TimeSeries;

/// What one pass computes.
pub(super) struct PassSpec {
    pub nsub: usize,
    pub subdm: f64,
    pub dms: Vec<f64>,
}

/// Stage-2 samples summed per inner tile (keeps the subband slices in cache).
const TILE: usize = 1024;

struct PassState<S> {
    layout: ChannelLayout,
    /// Stage-1 shift of each channel \[raw samples\].
    s1: Vec<usize>,
    /// Stage-2 shift of each subband, per DM \[output samples\].
    s2: Vec<Vec<usize>>,
    l2: usize,
    /// Subband windows (one Vec per subband), `len` valid samples each.
    sub: Vec<Vec<f32>>,
    len: usize,
    /// Next output sample.
    out_pos: usize,
    outputs: Vec<S>,
}

pub(super) fn run<S: SeriesStore>(
    feed: &mut dyn Feed,
    specs: &[PassSpec],
    ds: usize,
    scaling: &ChannelScaling,
    cfg: &DedispConfig,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> SearchResult<Vec<Vec<S>>> {
    let h = feed.header().clone();
    let nchan = h.nchans;
    let ds = ds.max(1);
    let n_in = h.nsamples as usize;
    let n_out = n_in / ds;
    if n_out == 0 {
        return Err(SearchError::Params(format!(
            "{} spectra cannot be downsampled by {ds}",
            h.nsamples
        )));
    }
    if scaling.offset.len() != nchan {
        return Err(SearchError::Params("channel scaling does not match the beam".into()));
    }
    if S::NEEDS_NORMALISED && !cfg.normalise {
        return Err(SearchError::Params(
            "half-precision series need normalised channels".into(),
        ));
    }
    let dt = h.tsamp_s;
    let dt_out = dt * ds as f64;
    let g = Geometry::new(&h, specs, ds, cfg);
    let (shifts, l1, block) = (g.shifts, g.l1, g.block);
    let freqs: Vec<f64> = (0..nchan).map(|c| h.freq_mhz(c)).collect();
    let (lo_freq, f_top) = (freqs[0], freqs[nchan - 1]);
    // Normalised channels are noise of unit variance: a sum of `ds` samples
    // of every live channel has this rms.
    let live = scaling.scale.iter().filter(|&&k| k != 0.0).count().max(1);
    let rms = ((live * ds) as f32).sqrt();
    let new_series = |dm: f64| {
        let mut info = TimeSeries::info_for(&h, dm, dt_out, n_out as u64);
        // Samples after this one lack the lowest channels' data.
        let delay = palfa_core::astro::relative_delay_s(dm, lo_freq, f_top);
        let valid = ((n_in as f64 - delay / dt) / ds as f64).floor().max(0.0) as u64;
        if valid < n_out as u64 {
            info.onoff = vec![(0, valid.saturating_sub(1))];
        }
        if cfg.zerodm {
            info.notes = "zero-DM filtered".into();
        }
        S::zeros(info, n_out, rms)
    };
    let bo = block / ds;
    let mut states: Vec<PassState<S>> = shifts
        .into_iter()
        .zip(specs)
        .map(|((layout, s1, s2), p)| {
            let l2 = s2.iter().flatten().copied().max().unwrap_or(0);
            let nsub = layout.subbands.len();
            PassState {
                layout,
                s1,
                s2,
                l2,
                sub: vec![vec![0f32; l2 + 2 * bo]; nsub],
                len: 0,
                out_pos: 0,
                outputs: p.dms.iter().map(|&dm| new_series(dm)).collect(),
            }
        })
        .collect();
    let width = block + l1;

    feed.rewind()?;
    let mut raw = vec![0f32; nchan * width];
    // Fill the whole first window, a block at a time (so the read buffers
    // need only hold one block).
    let mut at = 0;
    while at < width {
        let n = block.min(width - at);
        let got = feed.fetch(n)?;
        feed.place(&mut raw, width, at, n, got, scaling, cfg);
        at += n;
    }
    let mut a = 0usize; // first raw sample of the window
    while states.iter().any(|s| s.out_pos < n_out) {
        // The next block is fetched (serial: the source decodes it) while the
        // window is dedispersed, so both threads are busy.
        let (fetched, ()) = rayon::join(
            || feed.fetch(block),
            || {
                // Stage 1: B/ds new subband samples for every unfinished pass.
                stage1(&mut states, &raw, width, block, ds, n_out);
                // Stage 2: outputs that the subband windows now allow.
                for st in states.iter_mut().filter(|s| s.out_pos < n_out) {
                    st.len += bo;
                    let ready = st.len.saturating_sub(st.l2).min(n_out - st.out_pos);
                    if ready > 0 {
                        stage2(st, ready);
                        for v in st.sub.iter_mut() {
                            v.copy_within(ready..st.len, 0);
                        }
                        st.len -= ready;
                        st.out_pos += ready;
                    }
                }
            },
        );
        let got = fetched?;
        progress((a + block).min(n_in) as u64, n_in as u64);
        // Slide the raw window by one block.
        a += block;
        raw.par_chunks_mut(width)
            .for_each(|row| row.copy_within(block..width, 0));
        feed.place(&mut raw, width, l1, block, got, scaling, cfg);
    }

    Ok(states.into_iter().map(|st| st.outputs).collect())
}

/// The delays and window sizes of a set of passes dedispersed together.
struct Geometry {
    /// Per pass: channel layout, stage-1 shift per channel \[raw samples\],
    /// stage-2 shift per subband per DM \[output samples\].
    shifts: Vec<(ChannelLayout, Vec<usize>, Vec<Vec<usize>>)>,
    /// Largest stage-1 shift \[raw samples\].
    l1: usize,
    /// Raw spectra per step (a multiple of the downsampling).
    block: usize,
}

impl Geometry {
    fn new(h: &palfa_core::BeamHeader, specs: &[PassSpec], ds: usize, cfg: &DedispConfig) -> Self {
        let ds = ds.max(1);
        let freqs: Vec<f64> = (0..h.nchans).map(|c| h.freq_mhz(c)).collect();
        let (dt, dt_out) = (h.tsamp_s, h.tsamp_s * ds as f64);
        let shifts: Vec<(ChannelLayout, Vec<usize>, Vec<Vec<usize>>)> = specs
            .iter()
            .map(|p| {
                let layout = ChannelLayout::new(freqs.clone(), p.nsub);
                let s1 = intra_subband_shifts(&layout, p.subdm, dt);
                let s2 = p.dms.iter().map(|&dm| subband_shifts(&layout, dm, dt_out)).collect();
                (layout, s1, s2)
            })
            .collect();
        let l1 = shifts.iter().flat_map(|s| s.1.iter().copied()).max().unwrap_or(0);
        // Each step moves the windows' overlaps to their fronts: l1 raw
        // samples of every channel, each pass's l2 samples of every subband.
        // A block at least l1 long keeps the first copy below stage 1's work;
        // the subband windows' copies, fewer, are kept below a step's work
        // (stage 1: every channel once per raw sample and pass; stage 2: every
        // subband once per output sample and DM), not each below its own
        // stage's: a block as long as the longest stage-2 shift would make the
        // raw window, the read block and its transpose hold the whole band's
        // delay (1 GB of f32 for 960 channels at DM 4096).
        let copies: usize = shifts
            .iter()
            .map(|(layout, _, s2)| layout.subbands.len() * s2.iter().flatten().copied().max().unwrap_or(0))
            .sum();
        let work_per_spectrum: usize = shifts
            .iter()
            .map(|(layout, _, s2)| (h.nchans + s2.len() * layout.subbands.len() / ds).max(1))
            .sum();
        let block = cfg
            .block
            .max(l1)
            .max(copies.div_ceil(work_per_spectrum.max(1)))
            .max(ds)
            .div_ceil(ds)
            * ds;
        Self { shifts, l1, block }
    }

    /// Bytes of the working buffers (not the output series): the
    /// channel-major raw window, the read block and its transpose, every
    /// pass's subband windows, and one stage-1 accumulator per thread.
    fn working_bytes(&self, nchan: usize, ds: usize, threads: usize) -> u64 {
        let bo = self.block / ds.max(1);
        let subbands: usize = self
            .shifts
            .iter()
            .map(|(layout, _, s2)| {
                let l2 = s2.iter().flatten().copied().max().unwrap_or(0);
                layout.subbands.len() * (l2 + 2 * bo)
            })
            .sum();
        // The window, and the read block and its transpose.
        let floats = nchan * (self.block + self.l1) + 2 * nchan * self.block + subbands + threads * self.block;
        4 * floats as u64
    }
}

/// Bytes the dedispersion of `specs` together needs besides its output
/// series (see [`Geometry::working_bytes`]), with the current rayon pool.
pub(super) fn working_bytes(h: &palfa_core::BeamHeader, specs: &[PassSpec], ds: usize, cfg: &DedispConfig) -> u64 {
    Geometry::new(h, specs, ds, cfg).working_bytes(h.nchans, ds, rayon::current_num_threads())
}

/// Adds `bo = block / ds` new samples to every subband window of every pass.
fn stage1<S>(states: &mut [PassState<S>], raw: &[f32], width: usize, block: usize, ds: usize, n_out: usize) {
    let bo = block / ds;
    let mut jobs: Vec<(&ChannelLayout, &[usize], usize, &mut [f32])> = Vec::new();
    for st in states.iter_mut().filter(|s| s.out_pos < n_out) {
        let len = st.len;
        for (j, sub) in st.sub.iter_mut().enumerate() {
            jobs.push((&st.layout, &st.s1, j, &mut sub[len..len + bo]));
        }
    }
    jobs.into_par_iter().for_each_init(
        || vec![0f32; block],
        |acc, (layout, s1, j, out)| {
            let (c0, c1) = layout.subbands[j];
            acc.fill(0.0);
            for c in c0..c1 {
                add_into(acc, &raw[c * width + s1[c]..c * width + s1[c] + block]);
            }
            if ds == 1 {
                out.copy_from_slice(&acc[..bo]);
            } else {
                for (o, grp) in out.iter_mut().zip(acc.chunks_exact(ds)) {
                    *o = grp.iter().sum();
                }
            }
        },
    );
}

/// Writes `ready` output samples of every DM of a pass.
fn stage2<S: SeriesStore>(st: &mut PassState<S>, ready: usize) {
    let pos = st.out_pos;
    let sub = &st.sub;
    st.outputs
        .par_iter_mut()
        .zip(st.s2.par_iter())
        .for_each(|(out, shifts)| {
            let mut tile = [0f32; TILE];
            for t0 in (0..ready).step_by(TILE) {
                let n = TILE.min(ready - t0);
                let o = &mut tile[..n];
                o.fill(0.0);
                let mut j = 0;
                // Four subbands at a time: one store per four loads.
                while j + 4 <= sub.len() {
                    let a = &sub[j][t0 + shifts[j]..t0 + shifts[j] + n];
                    let b = &sub[j + 1][t0 + shifts[j + 1]..t0 + shifts[j + 1] + n];
                    let c = &sub[j + 2][t0 + shifts[j + 2]..t0 + shifts[j + 2] + n];
                    let d = &sub[j + 3][t0 + shifts[j + 3]..t0 + shifts[j + 3] + n];
                    add4_into(o, a, b, c, d);
                    j += 4;
                }
                while j < sub.len() {
                    add_into(o, &sub[j][t0 + shifts[j]..t0 + shifts[j] + n]);
                    j += 1;
                }
                out.put(pos + t0, o);
            }
        });
}

/// `o[i] += a[i]`, compiled for the widest SIMD the CPU has (chosen at run
/// time, so one binary runs everywhere).
#[multiversion(targets = "simd")]
fn add_into(o: &mut [f32], a: &[f32]) {
    for (x, &v) in o.iter_mut().zip(a) {
        *x += v;
    }
}

/// `o[i] += (a[i] + b[i]) + (c[i] + d[i])`: one store per four loads.
#[multiversion(targets = "simd")]
fn add4_into(o: &mut [f32], a: &[f32], b: &[f32], c: &[f32], d: &[f32]) {
    let n = o.len().min(a.len()).min(b.len()).min(c.len()).min(d.len());
    let (o, a, b, c, d) = (&mut o[..n], &a[..n], &b[..n], &c[..n], &d[..n]);
    for i in 0..n {
        o[i] += (a[i] + b[i]) + (c[i] + d[i]);
    }
}
