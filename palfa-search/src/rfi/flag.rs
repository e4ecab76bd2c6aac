//! From cell statistics to a mask: PRESTO's rules (`rfifind_plot.c`), with the
//! differences documented in [`crate::rfi`]. Impulsive RFI is not masked here:
//! it is clipped spectrum by spectrum (see [`clip`](super::clip)).

use palfa_core::config::RfiParams;

use super::robust::{avg_med_std, median, AvgMedStd};
use super::{bits, CellStats, LOBIN};
use crate::stats::power_for_sigma;

/// The thresholds the flagging used.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// Summary of all tested cells' means (central 80 %).
    pub avg: AvgMedStd,
    /// Summary of all tested cells' standard deviations (central 80 %).
    pub std: AvgMedStd,
    /// Summary of all tested cells' maximum powers (central 50 %).
    pub pow: AvgMedStd,
    /// A cell's mean is bad if it differs by more than this from its interval's
    /// or its channel's median mean (`timesig × avg.std`).
    pub avg_reject: f64,
    /// The same for standard deviations (`timesig × std.std`).
    pub std_reject: f64,
    /// Power reaching `freqsig` after `ptsperint / 2` trials (PRESTO's `pow_reject`).
    pub pow_reject: f64,
    /// Median of the largest of the searched powers of pure noise; the power
    /// threshold of a cell is `pow_reject × max(1, reference / pow_noise_median)`.
    pub pow_noise_median: f64,
}

/// What the flagging decided.
#[derive(Debug, Clone)]
pub struct Flags {
    /// PRESTO-style byte mask, interval-major (`[i * nchan + c]`), bits of [`bits`].
    pub bytes: Vec<u8>,
    /// Thresholds used.
    pub thresholds: Thresholds,
    /// Channels masked in every interval (user, zero weight, or too many bad intervals), sorted.
    pub zap_chans: Vec<usize>,
    /// Intervals masked in every channel (user, or too many bad channels), sorted.
    pub zap_ints: Vec<usize>,
}

/// What the flagging needs besides the statistics.
pub struct FlagInput<'a> {
    /// Cell statistics.
    pub stats: &'a CellStats,
    /// Channels with zero weight in the file.
    pub zero_weight: &'a [bool],
    /// Whether the last interval is too short to be tested.
    pub short_last: bool,
    /// Spectra per interval.
    pub ptsperint: usize,
    /// The thresholds and user choices.
    pub params: &'a RfiParams,
}

/// Applies the rules and returns the byte mask and the lists of zapped channels and intervals.
pub fn flag_cells(inp: &FlagInput<'_>) -> Flags {
    let s = inp.stats;
    let (nint, nchan) = (s.numint, s.nchan);
    let p = inp.params;
    let idx = |i: usize, c: usize| i * nchan + c;
    let mut bytes = vec![0u8; nint * nchan];

    // User and file choices.
    let user_chan: Vec<bool> = (0..nchan)
        .map(|c| inp.zero_weight[c] || p.zap_chans.contains(&c))
        .collect();
    let mut user_int = vec![false; nint];
    for &i in p.zap_ints.iter().filter(|&&i| i < nint) {
        user_int[i] = true;
    }
    for i in 0..nint {
        for c in 0..nchan {
            if user_chan[c] {
                bytes[idx(i, c)] |= bits::USERCHAN;
            }
            if user_int[i] {
                bytes[idx(i, c)] |= bits::USERINTS;
            }
        }
    }

    // Cells that are tested: not already zapped, not in a too-short last interval.
    let tested_int: Vec<bool> = (0..nint)
        .map(|i| !(user_int[i] || (inp.short_last && i + 1 == nint)))
        .collect();
    let tested_chan: Vec<bool> = user_chan.iter().map(|&u| !u).collect();
    let finite = |k: usize| s.mean[k].is_finite() && s.std[k].is_finite() && s.max_power[k].is_finite();
    let cells: Vec<(usize, usize)> = (0..nint)
        .filter(|&i| tested_int[i])
        .flat_map(|i| (0..nchan).map(move |c| (i, c)))
        .filter(|&(_, c)| tested_chan[c])
        .collect();
    let gather = |v: &[f32], fraction: f64| {
        let mut all: Vec<f32> = cells
            .iter()
            .map(|&(i, c)| idx(i, c))
            .filter(|&k| finite(k))
            .map(|k| v[k])
            .collect();
        avg_med_std(&mut all, fraction)
    };
    let avg = gather(&s.mean, 0.8);
    let std = gather(&s.std, 0.8);
    let pow = gather(&s.max_power, 0.5);
    let avg_reject = p.timesig * avg.std;
    let std_reject = p.timesig * std.std;
    let pow_reject = power_for_sigma(p.freqsig, 1, (inp.ptsperint / 2) as f64);
    let searched = (inp.ptsperint / 2 + 1).saturating_sub(LOBIN).max(1) as f64;
    let pow_noise_median = -(-(0.5f64.ln() / searched).exp_m1()).ln();

    // Medians per interval (over tested channels) and per channel (over tested intervals).
    let per_int = |v: &[f32]| -> Vec<f64> {
        (0..nint)
            .map(|i| {
                let mut x: Vec<f32> = (0..nchan).filter(|&c| tested_chan[c]).map(|c| v[idx(i, c)]).collect();
                median(&mut x)
            })
            .collect()
    };
    let per_chan = |v: &[f32]| -> Vec<f64> {
        (0..nchan)
            .map(|c| {
                let mut x: Vec<f32> = (0..nint).filter(|&i| tested_int[i]).map(|i| v[idx(i, c)]).collect();
                median(&mut x)
            })
            .collect()
    };
    let (avg_int, avg_chan) = (per_int(&s.mean), per_chan(&s.mean));
    let (std_int, std_chan) = (per_int(&s.std), per_chan(&s.std));
    let (pow_int, pow_chan) = (per_int(&s.max_power), per_chan(&s.max_power));
    // PRESTO: an interval's or channel's median more than timesig·σ from the
    // global median is not trusted as a reference; the global median is used.
    let reference = |local: f64, global: &AvgMedStd, reject: f64| {
        if !local.is_finite() || (local - global.med).abs() > reject {
            global.med
        } else {
            local
        }
    };

    for &(i, c) in &cells {
        let k = idx(i, c);
        if !finite(k) {
            bytes[k] |= bits::BAD_AVG | bits::BAD_STD;
            continue;
        }
        // Powers: relative to the cell's reference level when that is above noise
        // (persistent broadband periodic signals are left to birdie zapping).
        let pow_ref = pow_int[i].min(pow_chan[c]);
        let scale = if pow_ref.is_finite() {
            (pow_ref / pow_noise_median).max(1.0)
        } else {
            1.0
        };
        if s.max_power[k] as f64 > pow_reject * scale {
            bytes[k] |= bits::BAD_POW;
        }
        let (m, sd) = (s.mean[k] as f64, s.std[k] as f64);
        let (ri, rc) = (
            reference(avg_int[i], &avg, avg_reject),
            reference(avg_chan[c], &avg, avg_reject),
        );
        if (m - ri).abs() > avg_reject || (m - rc).abs() > avg_reject {
            bytes[k] |= bits::BAD_AVG;
        }
        let (ri, rc) = (
            reference(std_int[i], &std, std_reject),
            reference(std_chan[c], &std, std_reject),
        );
        if (sd - ri).abs() > std_reject || (sd - rc).abs() > std_reject {
            bytes[k] |= bits::BAD_STD;
        }
    }

    // Whole intervals with too many bad channels, then whole channels with too
    // many bad intervals (strict >, counts of tested cells, as PRESTO).
    let mut zap_ints: Vec<usize> = (0..nint).filter(|&i| user_int[i]).collect();
    let nchan_tested = tested_chan.iter().filter(|&&t| t).count();
    let trig = (nchan_tested as f64 * p.chanfrac) as usize;
    for i in (0..nint).filter(|&i| tested_int[i]) {
        let bad = (0..nchan).filter(|&c| bytes[idx(i, c)] & bits::BADDATA != 0).count();
        if bad > trig {
            zap_ints.push(i);
            (0..nchan).for_each(|c| bytes[idx(i, c)] |= bits::USERINTS);
        }
    }
    let mut zap_chans: Vec<usize> = (0..nchan).filter(|&c| user_chan[c]).collect();
    let nint_tested = tested_int.iter().filter(|&&t| t).count();
    let trig = (nint_tested as f64 * p.intfrac) as usize;
    for c in (0..nchan).filter(|&c| tested_chan[c]) {
        let bad = (0..nint).filter(|&i| bytes[idx(i, c)] & bits::BADDATA != 0).count();
        if bad > trig {
            zap_chans.push(c);
            (0..nint).for_each(|i| bytes[idx(i, c)] |= bits::USERCHAN);
        }
    }
    zap_chans.sort_unstable();
    zap_ints.sort_unstable();
    zap_ints.dedup();
    Flags {
        bytes,
        thresholds: Thresholds {
            avg,
            std,
            pow,
            avg_reject,
            std_reject,
            pow_reject,
            pow_noise_median,
        },
        zap_chans,
        zap_ints,
    }
}
