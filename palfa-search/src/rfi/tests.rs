//! Unit tests of the flagging rules on hand-made statistics.

use super::*;
use crate::error::SearchError;
use palfa_core::beam::MemorySource;
use palfa_core::config::RfiParams;

/// A time-major in-memory beam of `nchan` channels for unit tests; reads
/// return at most 1000 spectra so that block boundaries are exercised.
pub(crate) fn mem_source(data: Vec<f32>, nchan: usize, tsamp_s: f64) -> MemorySource {
    MemorySource::new(palfa_testkit::fixtures::header(nchan, tsamp_s), data).with_read_limit(1000)
}

fn noise_stats(nint: usize, nchan: usize, ptsperint: usize) -> CellStats {
    // Deterministic "noise": small wiggles around a bandpass, powers near the noise median.
    let mut s = CellStats {
        nchan,
        numint: nint,
        ..CellStats::default()
    };
    for i in 0..nint {
        for c in 0..nchan {
            let w = (((i * 7 + c * 13) % 11) as f32 - 5.0) / 5.0;
            let level = 80.0 + 20.0 * (c as f32 / nchan as f32);
            s.mean.push(level + 0.01 * w);
            s.std.push(0.15 * level * (1.0 + 0.002 * w));
            s.max_power.push((ptsperint as f32 / 2.0).ln() + 0.3 + w);
        }
    }
    s
}

fn flags_for(s: &CellStats, params: &RfiParams, zero_weight: &[bool]) -> flag::Flags {
    flag::flag_cells(&flag::FlagInput {
        stats: s,
        zero_weight,
        short_last: false,
        ptsperint: 32000,
        params,
    })
}

#[test]
fn interval_lengths_have_small_prime_factors() {
    assert_eq!(interval_length(2.097152, 65.476e-6).unwrap(), 32000);
    assert_eq!(interval_length(2.097152, 64e-6).unwrap(), 32768);
    assert_eq!(interval_length(1.0, 1e-3).unwrap(), 1000);
    assert!(matches!(interval_length(1e-3, 1e-3), Err(SearchError::Params(_))));
    assert!(interval_length(f64::NAN, 1e-3).is_err());
}

#[test]
fn rules_flag_cells_channels_and_intervals() {
    let (nint, nchan) = (20, 64);
    let mut s = noise_stats(nint, nchan, 32000);
    let k = |i: usize, c: usize| i * nchan + c;
    // A noisy channel (std ×10 everywhere), an offset cell, a periodic cell.
    for i in 0..nint {
        s.std[k(i, 9)] *= 10.0;
    }
    s.mean[k(4, 30)] += 50.0;
    s.max_power[k(6, 40)] = 500.0;
    // An interval where 3/4 of the channels have a raised std.
    for c in 0..48 {
        s.std[k(12, c)] *= 3.0;
    }
    let mut zero = vec![false; nchan];
    zero[0] = true;
    let params = RfiParams {
        zap_chans: vec![63],
        zap_ints: vec![19],
        ..RfiParams::default()
    };
    let f = flags_for(&s, &params, &zero);
    assert_eq!(f.zap_chans, vec![0, 9, 63]);
    assert_eq!(f.zap_ints, vec![12, 19]);
    assert_ne!(f.bytes[k(4, 30)] & bits::BAD_AVG, 0);
    assert_ne!(f.bytes[k(6, 40)] & bits::BAD_POW, 0);
    assert_ne!(f.bytes[k(3, 9)] & bits::BAD_STD, 0);
    // Nothing else is flagged.
    let extra = (0..nint)
        .flat_map(|i| (0..nchan).map(move |c| (i, c)))
        .filter(|&(i, c)| ![0, 9, 63].contains(&c) && ![12, 19].contains(&i) && (i, c) != (4, 30) && (i, c) != (6, 40))
        .filter(|&(i, c)| f.bytes[k(i, c)] != 0)
        .count();
    assert_eq!(extra, 0);
}

#[test]
fn a_periodic_signal_in_every_cell_is_not_flagged_but_one_in_some_channels_is() {
    let (nint, nchan) = (20, 64);
    let mut s = noise_stats(nint, nchan, 32000);
    // Mains hum everywhere: every cell's peak power is 80, far above pow_reject (≈ 20).
    s.max_power.iter_mut().for_each(|p| *p = 80.0 + (*p - 10.0));
    let params = RfiParams::default();
    let f = flags_for(&s, &params, &vec![false; nchan]);
    assert!(
        f.thresholds.pow_reject > 19.0 && f.thresholds.pow_reject < 22.0,
        "{:?}",
        f.thresholds
    );
    assert!(f.bytes.iter().all(|&b| b == 0));
    // The same hum confined to channels 10..14: those channels are flagged.
    let mut s = noise_stats(nint, nchan, 32000);
    for i in 0..nint {
        for c in 10..14 {
            s.max_power[i * nchan + c] = 80.0;
        }
    }
    let f = flags_for(&s, &params, &vec![false; nchan]);
    assert_eq!(f.zap_chans, vec![10, 11, 12, 13]);
}
