//! Impulsive broadband RFI: samples of the band-summed (DM 0) series beyond
//! `clip_sigma` of its robust level, that are not a dispersed pulse.
//!
//! A burst of a few σ per channel lasting milliseconds barely changes any
//! channel's statistics over a 2-s interval, but summed over `nchan` channels it
//! stands √nchan times higher. Each channel is first normalised by its own
//! interval mean and standard deviation (so a noisy channel does not dominate
//! the sum) and clamped to ±[`CHANNEL_CLAMP_SIGMA`] (so a spike in one channel
//! cannot pass for a broadband burst). The series' level and spread are its
//! median and 1.4826 × its median absolute deviation over the interval.
//!
//! **Dispersed pulses are told apart.** A bright pulsar or single pulse at low DM
//! can also reach the clip level in the DM-0 sum. The band is split into four
//! quarter-band series; around each clipped event (clipped samples less than
//! [`EVENT_GAP`] apart) the quarters are re-added with the delays of trial
//! dispersion sweeps (bottom quarter later, ν⁻² law) up to [`SWEEP_WINDOW_S`].
//! If some sweep gives a peak at least 25 % and 3σ above the DM-0 peak, the
//! event is a dispersed signal and does not count; otherwise its spectra are
//! clipped.
//!
//! **What is clipped.** An event's stretch runs from its first to its last
//! sample beyond `clip_sigma` (gaps up to [`EVENT_GAP`] included) and is
//! extended outward, into the neighbouring intervals if need be, while the band
//! sum stays beyond [`EXTEND_SIGMA`] with the event's sign (hysteresis: a
//! weak, long burst whose band sum wanders around `clip_sigma` is clipped
//! whole, not in fragments); the driver then widens it by [`CLIP_GUARD`]
//! spectra on either side. Nothing else of the interval is touched.
//!
//! An undispersed burst is always best aligned at DM 0; a burst confined to
//! part of the band gains nothing from a sweep and is clipped. A dispersed
//! pulse whose width exceeds its sweep across the band is indistinguishable
//! from DM 0 here and is clipped (as PRESTO would).
//!
//! **Persistent DM-0 signals raise the level.** Mains hum summed over the band,
//! or a bright pulsar, puts excursions beyond `clip_sigma` into every interval;
//! masking them would mask the whole beam, and they are periodic, which birdie
//! zapping handles. So the decision is taken at the end of the beam: with `p₂₀`
//! the 20th percentile of the intervals' largest excursions and `m₀` the
//! median largest excursion of pure noise in an interval (4.2σ for 32000
//! spectra), the effective clip level is `max(clip_sigma, p₂₀ + clip_sigma − m₀)`
//! (with fewer than [`MIN_PERSISTENCE_INTERVALS`] intervals, `clip_sigma`): a
//! burst must stand as far above a persistent signal as `clip_sigma` stands
//! above noise. On noise `p₂₀ < m₀` and the level is `clip_sigma`. A signal must
//! be in more than 80 % of the intervals to raise it, so bursts in fewer
//! intervals are still clipped at `clip_sigma`.

/// Each channel's normalised contribution to the band sum is clamped to ± this \[σ\].
pub const CHANNEL_CLAMP_SIGMA: f32 = 5.0;

/// Intervals with fewer spectra than this are not clip-tested (too few for a robust level).
pub const MIN_CLIP_SPECTRA: usize = 64;

/// Clipped samples closer than this \[spectra\] belong to one event.
pub const EVENT_GAP: usize = 16;

/// A clipped event's stretch is extended outward over samples whose band sum
/// is beyond this \[σ\] (with the event's sign). Pure noise passes it in 2.3 %
/// of the samples, so the extension stops within a few samples of a burst's end.
pub const EXTEND_SIGMA: f32 = 2.0;

/// The extension stops at this many consecutive samples within [`EXTEND_SIGMA`]
/// (and ends at the last sample beyond it).
pub const EXTEND_GAP: usize = 3;

/// Spectra clipped on either side of an event's (extended) stretch. A burst's
/// rise and fall below [`EXTEND_SIGMA`] are still RFI; 4 spectra (0.26 ms at
/// PALFA's 65.476 µs) cover them at a cost of 8 spectra per event.
pub const CLIP_GUARD: usize = 4;

/// Longest dispersion sweep (bottom to top quarter-band) tried for an event \[s\].
pub const SWEEP_WINDOW_S: f64 = 0.25;

/// Fewest intervals for the persistence rule (below it the clip level is `clip_sigma`).
pub const MIN_PERSISTENCE_INTERVALS: usize = 5;

/// Quantile of the intervals' largest excursions that sets the persistent level.
const PERSISTENCE_QUANTILE: f64 = 0.2;

/// At most this many events of an interval (the strongest) get the dispersion test.
const MAX_TESTED_EVENTS: usize = 16;

/// Fewest usable channels for the dispersion test (below it every event is clipped).
const MIN_SWEEP_CHANNELS: usize = 8;

/// Quarter bands.
pub const NQ: usize = 4;

/// Result of the clip test of one interval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClipCount {
    /// The stretches `[start, end)` of the undispersed events beyond the
    /// effective clip level, in spectra from the interval's start (negative or
    /// past its end where they reach into a neighbour), in time order, without
    /// the [`CLIP_GUARD`].
    pub stretches: Vec<(i64, i64)>,
    /// Events beyond the clip level recognised as dispersed (not clipped).
    pub dispersed_events: u32,
    /// Largest |band sum − level| / spread in the interval \[σ\].
    pub peak_sigma: f32,
}

/// One run of spectra beyond `clip_sigma` in the band sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// First spectrum of its stretch (extended, see the module docs), from
    /// the interval's start; negative if it reaches into the previous interval.
    pub start: i64,
    /// One past its stretch's last spectrum (past the interval's end if it
    /// reaches into the next).
    pub end: i64,
    /// Its largest |deviation| \[σ\].
    pub peak: f32,
    /// The dispersion test's verdict; `None` if it was not tested (too weak
    /// for the level seen so far, or one of too many).
    pub dispersed: Option<bool>,
}

/// The events of one interval, awaiting the end-of-beam decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalEvents {
    /// Largest |deviation| in the interval \[σ\].
    pub peak_sigma: f32,
    /// Its events, in time order.
    pub events: Vec<Event>,
}

/// Median of the largest |z| among `n` independent standard normal samples.
pub fn noise_peak_sigma(n: usize) -> f64 {
    // (1 − 2Q(x))ⁿ = ½  ⇔  Q(x) = (1 − 2^(−1/n)) / 2.
    let q = -(0.5f64.ln() / n.max(1) as f64).exp_m1() / 2.0;
    crate::stats::equivalent_gaussian_sigma(q.ln())
}

/// The effective clip level \[σ\] given the largest excursion of each interval
/// so far (see the module docs), for intervals of `ptsperint` spectra.
pub fn effective_level(clip_sigma: f64, peaks: &[f32], ptsperint: usize) -> f32 {
    if peaks.len() < MIN_PERSISTENCE_INTERVALS {
        return clip_sigma as f32;
    }
    let mut p: Vec<f32> = peaks.iter().copied().filter(|v| v.is_finite()).collect();
    if p.is_empty() {
        return clip_sigma as f32;
    }
    p.sort_unstable_by(f32::total_cmp);
    let q = p[((p.len() - 1) as f64 * PERSISTENCE_QUANTILE).round() as usize] as f64;
    clip_sigma.max(q + clip_sigma - noise_peak_sigma(ptsperint)) as f32
}

/// The final verdict on every interval at the effective level `level`: an
/// event whose peak is beyond `level` is clipped whole (all of its extended
/// stretch, also the samples below `level`: a burst's shoulders are RFI too)
/// unless it was found dispersed.
pub fn finalize(intervals: &[IntervalEvents], level: f32) -> Vec<ClipCount> {
    intervals
        .iter()
        .map(|iv| {
            let mut c = ClipCount {
                peak_sigma: iv.peak_sigma,
                ..ClipCount::default()
            };
            for e in iv.events.iter().filter(|e| e.peak > level) {
                if e.dispersed == Some(true) {
                    c.dispersed_events += 1;
                } else {
                    c.stretches.push((e.start, e.end));
                }
            }
            c
        })
        .collect()
}

/// The fixed part of the clip test: which channels, how they split into
/// quarter bands, and the dispersion law across those quarters.
#[derive(Debug, Clone)]
pub struct ClipPlan {
    /// Delay of each quarter relative to the top one, as a fraction of the bottom one's.
    rel_delay: [f64; NQ],
    /// Longest sweep tried \[spectra\]; 0 when there are too few channels to try.
    window: usize,
    clip_sigma: f32,
    /// The quarter band of each channel that takes part.
    pub quarter_of: Vec<Option<usize>>,
}

impl ClipPlan {
    /// A plan for channels `use_chan` (the others are left out) at `freqs_mhz`
    /// (lowest first), sample time `tsamp_s` and clip level `clip_sigma` (0: off).
    pub fn new(use_chan: &[bool], freqs_mhz: &[f64], tsamp_s: f64, clip_sigma: f64) -> Self {
        let nchan = use_chan.len();
        let used: Vec<usize> = (0..nchan).filter(|&c| use_chan[c]).collect();
        let mut bounds = [nchan; NQ + 1];
        for (q, b) in bounds.iter_mut().enumerate().take(NQ) {
            *b = used.get(q * used.len() / NQ).copied().unwrap_or(nchan);
        }
        bounds[0] = 0;
        let inv_f2: [f64; NQ] = std::array::from_fn(|q| {
            let chans: Vec<f64> = (bounds[q]..bounds[q + 1])
                .filter(|&c| use_chan[c])
                .map(|c| freqs_mhz[c])
                .collect();
            let f = chans.iter().sum::<f64>() / chans.len().max(1) as f64;
            1.0 / (f * f).max(f64::MIN_POSITIVE)
        });
        let (top, bottom) = (inv_f2[NQ - 1], inv_f2[0]);
        let span = (bottom - top).max(f64::MIN_POSITIVE);
        let window = if used.len() >= MIN_SWEEP_CHANNELS {
            ((SWEEP_WINDOW_S / tsamp_s).round() as usize).max(2)
        } else {
            0
        };
        let quarter_of = (0..nchan)
            .map(|c| (use_chan[c] && clip_sigma > 0.0).then(|| (0..NQ).rfind(|&q| c >= bounds[q]).unwrap_or(0)))
            .collect();
        Self {
            quarter_of,
            rel_delay: std::array::from_fn(|q| ((inv_f2[q] - top) / span).clamp(0.0, 1.0)),
            window,
            clip_sigma: clip_sigma as f32,
        }
    }
}

/// One interval's band-sum analysis, waiting for its neighbours so that
/// events near its edges can be tested for dispersion.
#[derive(Debug, Clone, Default)]
pub struct ChunkClip {
    /// Quarter-band series, `n × 4`, each less its median.
    quarters: Vec<f32>,
    /// √(Σ quarter spread²): the spread of their sum.
    norm: f32,
    /// Spectra beyond the clip level, in order.
    hits: Vec<usize>,
    /// Signed deviation of each hit \[σ\].
    devs: Vec<f32>,
    /// Signed deviation of every spectrum \[σ\] (empty when not tested).
    z: Vec<f32>,
    peak_sigma: f32,
}

impl ChunkClip {
    fn len(&self) -> usize {
        self.quarters.len() / NQ
    }
}

/// Band-sum analysis of one interval of `n` spectra from its quarter-band sums
/// (`NQ × n`, quarter-major, as [`chunk_stats`](super::cells::chunk_stats)
/// returns them). Classify the events with [`classify`].
pub fn analyse(sums: &[f32], n: usize, plan: &ClipPlan) -> ChunkClip {
    if plan.clip_sigma <= 0.0 || n < MIN_CLIP_SPECTRA || sums.len() != NQ * n {
        return ChunkClip::default();
    }
    let mut quarters = vec![0f32; n * NQ];
    for q in 0..NQ {
        for (t, &v) in sums[q * n..(q + 1) * n].iter().enumerate() {
            quarters[t * NQ + q] = v;
        }
    }
    let mut var = 0f32;
    for q in 0..NQ {
        let col: Vec<f32> = quarters.iter().skip(q).step_by(NQ).copied().collect();
        let (level, spread) = level_spread(&col);
        quarters.iter_mut().skip(q).step_by(NQ).for_each(|v| *v -= level);
        var += spread * spread;
    }
    let series: Vec<f32> = quarters.chunks_exact(NQ).map(|q| q.iter().sum()).collect();
    let (level, spread) = level_spread(&series);
    let mut out = ChunkClip {
        norm: var.sqrt().max(f32::MIN_POSITIVE),
        ..ChunkClip::default()
    };
    if spread > 0.0 && spread.is_finite() {
        out.z = series.iter().map(|&s| (s - level) / spread).collect();
        for (t, &z) in out.z.iter().enumerate() {
            if z.abs() > plan.clip_sigma {
                out.hits.push(t);
                out.devs.push(z);
            }
            out.peak_sigma = out.peak_sigma.max(z.abs());
        }
    }
    out.quarters = quarters;
    out
}

/// Groups the hits of `cur` into events and tests those above `provisional`
/// \[σ\] for dispersion, with the quarter series of `cur` and of its neighbours
/// (`None` at the ends of the beam).
pub fn classify(
    prev: Option<&ChunkClip>,
    cur: &ChunkClip,
    next: Option<&ChunkClip>,
    plan: &ClipPlan,
    provisional: f32,
) -> IntervalEvents {
    let mut out = IntervalEvents {
        peak_sigma: cur.peak_sigma,
        events: Vec::new(),
    };
    let mut spans = Vec::new();
    let mut start = 0;
    while start < cur.hits.len() {
        let mut end = start + 1;
        while end < cur.hits.len() && cur.hits[end] - cur.hits[end - 1] <= EVENT_GAP {
            end += 1;
        }
        let peak = cur.devs[start..end].iter().fold(0.0, |m: f32, d| m.max(d.abs()));
        let (first, last) = (cur.hits[start] as i64, cur.hits[end - 1] as i64);
        let sign = cur.devs[start].signum();
        let beyond = |t: i64| deviation(prev, cur, next, t).is_some_and(|z| sign * z > EXTEND_SIGMA);
        out.events.push(Event {
            start: extend(first, -1, &beyond),
            end: extend(last, 1, &beyond) + 1,
            peak,
            dispersed: None,
        });
        spans.push((start, end));
        start = end;
    }
    let w = plan.window;
    if w == 0 || out.events.is_empty() {
        return out;
    }
    // The strongest events above the provisional level get the test.
    let mut order: Vec<usize> = (0..out.events.len())
        .filter(|&k| out.events[k].peak > provisional)
        .collect();
    order.sort_unstable_by(|&a, &b| out.events[b].peak.total_cmp(&out.events[a].peak));
    order.truncate(MAX_TESTED_EVENTS);
    if order.is_empty() {
        return out;
    }
    // Context: up to `window` spectra of each neighbour around this chunk.
    let before = prev.map_or(0, |p| p.len().min(w));
    let mut ctx = Vec::with_capacity((cur.len() + 2 * w) * NQ);
    if let Some(p) = prev {
        ctx.extend_from_slice(&p.quarters[(p.len() - before) * NQ..]);
    }
    ctx.extend_from_slice(&cur.quarters);
    if let Some(nx) = next {
        ctx.extend_from_slice(&nx.quarters[..nx.len().min(w) * NQ]);
    }
    let sweep = Sweep {
        quarters: &ctx,
        n: ctx.len() / NQ,
        norm: cur.norm,
        rel_delay: plan.rel_delay,
        window: w,
    };
    for k in order {
        let (a, b) = spans[k];
        let event: Vec<usize> = cur.hits[a..b].iter().map(|&t| t + before).collect();
        // The sign of the event is that of its first spectrum (an event is one burst).
        let sign = cur.devs[a].signum();
        out.events[k].dispersed = Some(sweep.is_dispersed(&event, sign));
    }
    out
}

/// The band-sum deviation \[σ\] of spectrum `t` counted from `cur`'s start
/// (negative: in `prev`, past the end: in `next`); `None` outside the data.
fn deviation(prev: Option<&ChunkClip>, cur: &ChunkClip, next: Option<&ChunkClip>, t: i64) -> Option<f32> {
    let n = cur.z.len() as i64;
    if t < 0 {
        let p = prev?;
        p.z.get(usize::try_from(p.z.len() as i64 + t).ok()?).copied()
    } else if t < n {
        cur.z.get(t as usize).copied()
    } else {
        next?.z.get((t - n) as usize).copied()
    }
}

/// The last spectrum of the run from `from` in direction `step` (±1) in which
/// no [`EXTEND_GAP`] consecutive spectra fail `beyond` (`from` itself is kept).
fn extend(from: i64, step: i64, beyond: &dyn Fn(i64) -> bool) -> i64 {
    let (mut last, mut t, mut misses) = (from, from + step, 0);
    while misses < EXTEND_GAP {
        if beyond(t) {
            (last, misses) = (t, 0);
        } else {
            misses += 1;
        }
        t += step;
    }
    last
}

/// Median and 1.4826 × median absolute deviation.
fn level_spread(x: &[f32]) -> (f32, f32) {
    let mut work = x.to_vec();
    let level = select_median(&mut work);
    work.iter_mut().zip(x).for_each(|(w, &s)| *w = (s - level).abs());
    (level, 1.4826 * select_median(&mut work))
}

/// Quarter-band series (median-subtracted) around an event, for trial sweeps.
struct Sweep<'a> {
    quarters: &'a [f32],
    n: usize,
    norm: f32,
    rel_delay: [f64; NQ],
    window: usize,
}

impl Sweep<'_> {
    /// Sum of the quarters at `t` with shifts `shift`, signed and normalised.
    fn sum_at(&self, t: usize, shift: &[usize; NQ], sign: f32) -> f32 {
        let s: f32 = (0..NQ).map(|q| self.quarters[(t + shift[q]) * NQ + q]).sum();
        sign * s / self.norm
    }

    /// Does some trial sweep beat DM 0 clearly for the event made of spectra `event`?
    fn is_dispersed(&self, event: &[usize], sign: f32) -> bool {
        let (a, b) = (event[0], event[event.len() - 1]);
        let zero = [0usize; NQ];
        let d0 = (a..=b).map(|t| self.sum_at(t, &zero, sign)).fold(f32::MIN, f32::max);
        // The top quarter's pulse precedes the DM-0 peak; the bottom one's follows it.
        let lo = a.saturating_sub(self.window);
        let mut best = f32::MIN;
        let mut s = 2usize;
        while s <= self.window {
            let shift: [usize; NQ] = std::array::from_fn(|q| (self.rel_delay[q] * s as f64).round() as usize);
            let hi = (b + 1).min(self.n.saturating_sub(s));
            for t in lo..hi {
                best = best.max(self.sum_at(t, &shift, sign));
            }
            s = (s * 5).div_ceil(4).max(s + 1);
        }
        best >= (1.25 * d0).max(d0 + 3.0)
    }
}

/// The median (element n/2) of the values, reordering them.
fn select_median(v: &mut [f32]) -> f32 {
    let k = v.len() / 2;
    *v.select_nth_unstable_by(k, f32::total_cmp).1
}

#[cfg(test)]
mod tests {
    use super::super::cells::{chunk_stats, ChunkBuffer};
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    const TSAMP: f64 = 1e-4;

    fn noise(n: usize, nchan: usize, seed: u64) -> Vec<f32> {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
        (0..n * nchan)
            .map(|i| {
                let c = i % nchan;
                let z: f32 = StandardNormal.sample(&mut rng);
                50.0 + c as f32 + 2.0 * z
            })
            .collect()
    }

    fn test(data: &[f32], n: usize, nchan: usize, clip: f64) -> ClipCount {
        let mut buf = ChunkBuffer::new(nchan, n);
        let mut src = super::super::tests::mem_source(data.to_vec(), nchan, TSAMP);
        buf.fill(&mut src, n).unwrap();
        let use_chan = vec![true; nchan];
        // 1200-1500 MHz, lowest first.
        let freqs: Vec<f64> = (0..nchan).map(|c| 1200.0 + 300.0 * c as f64 / nchan as f64).collect();
        let plan = ClipPlan::new(&use_chan, &freqs, TSAMP, clip);
        let fft = realfft::RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let (_, sums) = chunk_stats(&mut buf, &fft, &plan.quarter_of);
        let a = analyse(&sums, n, &plan);
        let level = clip as f32;
        finalize(&[classify(None, &a, None, &plan, level)], level).remove(0)
    }

    #[test]
    fn the_clip_level_rises_only_for_persistent_signals() {
        // The largest |z| of 32000 normal samples: median 4.2 σ.
        let m0 = noise_peak_sigma(32000);
        assert!((4.1..4.35).contains(&m0), "{m0}");
        // Noise peaks, with bursts in 3 of 10 intervals: the level stays at 6.
        let peaks = [4.1, 4.3, 30.0, 3.9, 4.4, 12.0, 4.0, 4.2, 8.0, 4.1];
        assert_eq!(effective_level(6.0, &peaks, 32000), 6.0);
        // Hum peaking at 7-7.5 σ everywhere: the level is about 7.1 + 6 − 4.2 ≈ 8.9.
        let peaks = [7.2, 7.4, 7.1, 7.0, 7.5, 7.3, 25.0, 7.2, 7.1, 7.3];
        let level = effective_level(6.0, &peaks, 32000);
        assert!((8.7..9.1).contains(&level), "{level}");
        // Too few intervals to tell: clip_sigma.
        assert_eq!(effective_level(6.0, &[9.0, 9.0, 9.0], 32000), 6.0);
    }

    #[test]
    fn finds_a_weak_broadband_burst_and_ignores_a_one_channel_spike() {
        let (n, nchan) = (8192usize, 64usize);
        let mut data = noise(n, nchan, 3);
        let clean = test(&data, n, nchan, 6.0);
        assert!(clean.stretches.is_empty(), "{clean:?}");
        // A spike of 1000 σ in one channel: clamped to 5 σ against a sum spread of 8.
        data[4000 * nchan + 7] += 2000.0;
        assert!(test(&data, n, nchan, 6.0).stretches.is_empty());
        // 1.5 σ in every channel for 20 samples: 12 σ in the sum.
        for t in 6000..6020 {
            for c in 0..nchan {
                data[t * nchan + c] += 3.0;
            }
        }
        let hit = test(&data, n, nchan, 6.0);
        // The burst's spectra, and at most a few noise samples beyond it.
        assert_eq!(hit.stretches.len(), 1, "{hit:?}");
        let (a, b) = hit.stretches[0];
        assert!((5997..=6000).contains(&a) && (6020..=6023).contains(&b), "{hit:?}");
        assert_eq!(hit.dispersed_events, 0);
        assert!(hit.peak_sigma > 8.0, "{hit:?}");
        // Off when clip_sigma is 0.
        assert!(test(&data, n, nchan, 0.0).stretches.is_empty());
    }

    #[test]
    fn a_bright_dispersed_pulse_is_not_clipped_but_a_half_band_burst_is() {
        let (n, nchan) = (8192usize, 64usize);
        let mut data = noise(n, nchan, 5);
        // 3 σ per channel, 3 ms wide (FWHM), swept by 10 ms across the band (ν⁻² law):
        // about 8 σ in the DM-0 sum, 24 σ aligned.
        let (f_lo, f_hi): (f64, f64) = (1200.0, 1200.0 + 300.0 * 63.0 / 64.0);
        let k = 0.010 / (f_lo.powi(-2) - f_hi.powi(-2));
        for c in 0..nchan {
            let f = 1200.0 + 300.0 * c as f64 / nchan as f64;
            let t0 = 0.2 + k * (f.powi(-2) - f_hi.powi(-2));
            for t in 0..n {
                let x = (t as f64 * TSAMP - t0) / 0.0013;
                data[t * nchan + c] += (3.0 * 2.0 * (-0.5 * x * x).exp()) as f32;
            }
        }
        let r = test(&data, n, nchan, 6.0);
        assert!(
            r.peak_sigma > 6.0,
            "the pulse must reach the clip level for this test: {r:?}"
        );
        assert!(r.stretches.is_empty(), "{r:?}");
        assert!(r.dispersed_events >= 1);
        // An undispersed burst in the upper half of the band only.
        for t in 7000..7010 {
            for c in 32..nchan {
                data[t * nchan + c] += 4.0;
            }
        }
        let r = test(&data, n, nchan, 6.0);
        assert_eq!(r.stretches.len(), 1, "{r:?}");
        let (a, b) = r.stretches[0];
        assert!((6997..=7000).contains(&a) && (7010..=7013).contains(&b), "{r:?}");
    }
}
