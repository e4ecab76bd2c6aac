//! A prepared beam gives the streaming path's series bit for bit.

use palfa_core::beam::SpectraSource;
use palfa_core::formats::presto::RfiMask;
use palfa_core::{BeamHeader, FormatResult, MemorySource};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::*;
use crate::ddplan::{DmPass, DmPlan};
use crate::dedisp::{
    dedisperse_exact, dedisperse_exact_prepared, dedisperse_passes_into, dedisperse_passes_prepared,
    dedisperse_plan_into, dedisperse_plan_prepared,
};
use crate::error::SearchError;
use crate::rfi::MaskedSource;
use crate::series::{HalfSeries, TimeSeries};

const NCHAN: usize = 48;

/// Noise of `nbits`-bit whole numbers (or, `scaled`, the same times 0.37)
/// with a bandpass, a dispersed pulse train and a broadband burst.
fn beam(nsamp: usize, nbits: u32, scaled: bool) -> MemorySource {
    let mut h = BeamHeader::for_band(NCHAN, 1214.0, 6.5, 2e-4);
    h.nbits = nbits;
    let top = h.freq_mhz(NCHAN - 1);
    let (mean, spread) = if nbits <= 8 { (60.0, 12.0) } else { (3000.0, 400.0) };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(nsamp as u64 + u64::from(nbits));
    let mut data = vec![0f32; NCHAN * nsamp];
    for t in 0..nsamp {
        for c in 0..NCHAN {
            let d = palfa_core::astro::relative_delay_s(80.0, h.freq_mhz(c), top) / h.tsamp_s;
            let phase = ((t as f64 - d) / 333.0).fract().abs();
            let pulse = if phase < 0.02 { 25.0 } else { 0.0 };
            let burst = if (4000..4010).contains(&t) { 90.0 } else { 0.0 };
            let band = mean * (1.0 + 0.3 * (c as f64 / NCHAN as f64));
            let v = band + spread * (rng.gen::<f64>() - 0.5) * 3.4 + pulse + burst;
            let v = v.round().clamp(0.0, if nbits <= 8 { 255.0 } else { 65535.0 });
            data[t * NCHAN + c] = if scaled { (v * 0.37) as f32 } else { v as f32 };
        }
    }
    MemorySource::new(h, data).with_read_limit(777)
}

/// `src` behind a mask (a few cells, a whole channel, a whole interval) and
/// clipped spectra (one inside a masked interval, one across an interval
/// boundary).
fn masked(src: MemorySource) -> MaskedSource {
    let n = src.header().nsamples as usize;
    let pts = 1500;
    let numint = n.div_ceil(pts);
    let mut mask = RfiMask::empty(NCHAN, numint, pts, pts as f64 * 2e-4);
    mask.zap_chans = vec![7];
    mask.zap_ints = vec![2];
    mask.chans_per_int[0] = vec![3, 4, 40];
    mask.chans_per_int[numint - 1] = vec![0, 47];
    MaskedSource::from_mask(Box::new(src), mask)
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clipped_spectra(vec![(3100, 3120), (4490, 4520), (2950, 2960)])
}

fn pass(dms: Vec<f64>, nsub: usize, ds: usize) -> DmPass {
    DmPass {
        step: 0,
        pass: 0,
        subdm: 0.5 * (dms[0] + dms[dms.len() - 1]),
        dms,
        nsub,
        downsamp: ds,
    }
}

fn in_memory() -> PrepareOptions {
    PrepareOptions {
        block: 1000,
        ..PrepareOptions::default()
    }
}

fn spilled(dir: &std::path::Path) -> PrepareOptions {
    PrepareOptions {
        memory_limit_bytes: 0,
        spill_dir: dir.to_path_buf(),
        block: 1237,
    }
}

fn prepare(src: &mut MaskedSource, opts: &PrepareOptions) -> PreparedBeam {
    let r = src.replacements();
    PreparedBeam::prepare(src, r, opts, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_same(a: &[TimeSeries], b: &[TimeSeries], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.info, y.info, "{what}");
        let bits = |s: &TimeSeries| s.data.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let (bx, by) = (bits(x), bits(y));
        if let Some(i) = (0..bx.len()).find(|&i| bx[i] != by[i]) {
            panic!(
                "{what}: DM {} differs first at {i}: {} vs {}",
                x.info.dm, x.data[i], y.data[i]
            );
        }
        assert_eq!(bx.len(), by.len(), "{what}");
    }
}

#[test]
fn prepared_and_streamed_series_are_identical_in_memory_and_spilled() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // An odd length: the last block is short and the lowest channels run out.
    let mut src = masked(beam(9_001, 8, false));
    let scaling = ChannelScaling::measure(&mut src).unwrap_or_else(|e| panic!("{e}"));
    for opts in [in_memory(), spilled(dir.path())] {
        let beam = prepare(&mut src, &opts);
        assert_eq!(beam.code(), SampleCode::U8);
        assert_eq!(beam.bytes(), (NCHAN * 9_001) as u64);
        assert_eq!(beam.is_spilled(), opts.memory_limit_bytes == 0);
        for zerodm in [false, true] {
            for normalise in [true, false] {
                let cfg = DedispConfig {
                    zerodm,
                    normalise,
                    block: 700,
                };
                let passes = [pass(vec![70.0, 75.0, 80.0, 85.0], 8, 3), pass(vec![300.0], 6, 3)];
                let a = dedisperse_passes_into::<TimeSeries>(&mut src, &passes, &scaling, &cfg, &|_, _| {})
                    .unwrap_or_else(|e| panic!("{e}"));
                let b = dedisperse_passes_prepared::<TimeSeries>(&beam, &passes, &scaling, &cfg, &|_, _| {})
                    .unwrap_or_else(|e| panic!("{e}"));
                let what = format!("zerodm {zerodm}, normalise {normalise}, spilled {}", beam.is_spilled());
                assert_same(&a.concat(), &b.concat(), &what);
                let a = dedisperse_exact(&mut src, &[0.0, 80.0], 1, 1, &scaling, &cfg, &|_, _| {})
                    .unwrap_or_else(|e| panic!("{e}"));
                let b = dedisperse_exact_prepared(&beam, &[0.0, 80.0], 1, 1, &scaling, &cfg, &|_, _| {})
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_same(&a, &b, &what);
            }
        }
    }
    // The series are not trivially equal: the pulsar is there at DM 80 and
    // the mask's levels fill the masked channel.
    let beam = prepare(&mut src, &in_memory());
    let s = dedisperse_exact_prepared(&beam, &[80.0], 1, 1, &scaling, &DedispConfig::default(), &|_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let peak = s[0].data.iter().copied().fold(f32::MIN, f32::max);
    let rms = (s[0].data.iter().map(|v| v * v).sum::<f32>() / s[0].data.len() as f32).sqrt();
    assert!(peak > 5.0 * rms, "peak {peak}, rms {rms}");
}

#[test]
fn sixteen_bit_and_scaled_beams_are_kept_exactly() {
    // 16-bit whole numbers in two bytes; scaled 8-bit data (not whole
    // numbers) found out and kept as f32.
    for (nbits, scaled, code) in [(16, false, SampleCode::U16), (8, true, SampleCode::F32)] {
        let mut src = masked(beam(6_000, nbits, scaled));
        let scaling = ChannelScaling::measure(&mut src).unwrap_or_else(|e| panic!("{e}"));
        let beam = prepare(&mut src, &in_memory());
        assert_eq!(beam.code(), code, "{nbits} bits, scaled {scaled}");
        let cfg = DedispConfig {
            block: 900,
            ..DedispConfig::default()
        };
        let a = dedisperse_exact(&mut src, &[0.0, 80.0], 2, 6, &scaling, &cfg, &|_, _| {})
            .unwrap_or_else(|e| panic!("{e}"));
        let b = dedisperse_exact_prepared(&beam, &[0.0, 80.0], 2, 6, &scaling, &cfg, &|_, _| {})
            .unwrap_or_else(|e| panic!("{e}"));
        assert_same(&a, &b, &format!("{code:?}"));
    }
}

#[test]
fn a_plan_in_groups_gives_the_same_half_precision_series() {
    let mut src = masked(beam(8_192, 8, false));
    let scaling = ChannelScaling::measure(&mut src).unwrap_or_else(|e| panic!("{e}"));
    let beam = prepare(&mut src, &in_memory());
    let plan = DmPlan::palfa_mock();
    let cfg = DedispConfig::default();
    // A budget of a few passes' series: several groups, so several reads.
    let budget = 3 * 76 * 8_192 * 2 + 40_000_000;
    let mut a = Vec::new();
    let mut ga = 0;
    dedisperse_plan_into::<HalfSeries>(
        &mut src,
        &plan,
        &scaling,
        &cfg,
        budget,
        |g| {
            ga += 1;
            a.extend(g.into_iter().take(3).map(|s| s.to_series()));
            Ok(())
        },
        &|_, _| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut b = Vec::new();
    let mut gb = 0;
    dedisperse_plan_prepared::<HalfSeries>(
        &beam,
        &plan,
        &scaling,
        &cfg,
        budget,
        |g| {
            gb += 1;
            b.extend(g.into_iter().take(3).map(|s| s.to_series()));
            Ok(())
        },
        &|_, _| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ga > 3, "{ga} groups");
    assert_eq!(ga, gb);
    assert_same(&a, &b, "plan");
}

/// A source whose header promises more spectra than it has.
struct ShortSource(MemorySource, BeamHeader);

impl SpectraSource for ShortSource {
    fn header(&self) -> &BeamHeader {
        &self.1
    }
    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        self.0.read_spectra(out)
    }
    fn position(&self) -> u64 {
        self.0.position()
    }
    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.0.seek(index)
    }
}

#[test]
fn a_beam_shorter_than_its_header_and_bad_spill_dirs() {
    let inner = beam(5_000, 8, false);
    let mut h = inner.header().clone();
    h.nsamples = 6_500;
    let mut src = ShortSource(inner, h);
    let scaling = ChannelScaling::identity(NCHAN);
    let beam = PreparedBeam::prepare(&mut src, Replacements::none(), &in_memory(), &|_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = DedispConfig {
        normalise: false,
        block: 512,
        ..DedispConfig::default()
    };
    let a = dedisperse_exact(&mut src, &[50.0], 1, 4, &scaling, &cfg, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let b =
        dedisperse_exact_prepared(&beam, &[50.0], 1, 4, &scaling, &cfg, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_same(&a, &b, "short beam");
    assert!(a[0].data[5_100..].iter().all(|&v| v == 0.0));

    // A spill directory that is not there: an error naming it.
    let gone = std::path::Path::new("/nonexistent/palfa-spill");
    let opts = PrepareOptions {
        memory_limit_bytes: 0,
        spill_dir: gone.to_path_buf(),
        block: 1000,
    };
    let err = PreparedBeam::prepare(&mut src, Replacements::none(), &opts, &|_, _| {})
        .err()
        .unwrap_or_else(|| panic!("no spill directory, no error"));
    assert!(err.to_string().contains("/nonexistent/palfa-spill"), "{err}");
    // The search falls back to streaming on exactly this variant (the
    // source's own failures are `Format` errors).
    assert!(matches!(err, SearchError::Io { .. }), "{err:?}");
    // Replacements for another beam are refused.
    let other = Replacements::new(NCHAN + 1, 100, vec![0.0; NCHAN + 1], &[vec![1]], Vec::new())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(PreparedBeam::prepare(&mut src, other, &in_memory(), &|_, _| {}).is_err());
    // Even when they replace nothing (their channels would not line up).
    let fewer = Replacements::new(NCHAN - 8, 100, vec![0.0; NCHAN - 8], &[vec![]], Vec::new())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(PreparedBeam::prepare(&mut src, fewer, &in_memory(), &|_, _| {}).is_err());
}

#[test]
fn replaced_stretches_follow_the_mask_and_clipping() {
    let r = Replacements::new(
        3,
        100,
        (0..9).map(|v| v as f32).collect(),
        &[vec![1], vec![], vec![0, 1]],
        vec![(50, 60), (95, 130)],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stretches = |c: usize, from: u64, to: u64| {
        let mut v = Vec::new();
        r.for_each_in(c, from, to, |a, b, l| v.push((a, b, l)));
        v
    };
    // Channel 1: masked in intervals 0 and 2 (the last, to the end); the
    // clipped stretches take the level of the interval they are in.
    assert_eq!(
        stretches(1, 0, 400),
        vec![
            (0, 100, 1.0),
            (200, 400, 7.0),
            (50, 60, 1.0),
            (95, 100, 1.0),
            (100, 130, 4.0)
        ]
    );
    assert_eq!(stretches(2, 120, 250), vec![(120, 130, 5.0)]);
    assert_eq!(stretches(0, 250, 260), vec![(250, 260, 6.0)]);
    assert!(stretches(2, 130, 200).is_empty());
    assert!(Replacements::new(3, 100, vec![0.0; 8], &[vec![1], vec![], vec![0]], Vec::new()).is_err());
    assert!(Replacements::new(3, 100, vec![0.0; 3], &[vec![3]], Vec::new()).is_err());
    assert!(Replacements::new(3, 100, vec![0.0; 3], &[vec![]], vec![(5, 9), (8, 10)]).is_err());
}
