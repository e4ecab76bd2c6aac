//! Clipped stretches: from the clip test's per-interval events to the beam's
//! sorted, disjoint ranges of spectra `[start, end)`, and the fractions they cover.
//!
//! A clipped spectrum is replaced in every channel by
//! [`MaskedSource`](super::MaskedSource); it is not a cell of the mask. The
//! fractions here put the two together (see [`masked_or_clipped_fraction`]).

use palfa_core::formats::presto::RfiMask;

/// Sorts `ranges`, drops empty ones and merges those that overlap or touch.
pub fn merge(mut ranges: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    ranges.retain(|&(a, b)| a < b);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The beam's clipped ranges from each interval's stretches (spectra from the
/// interval's start, which is `i × ptsperint` for interval `i`; negative or
/// past its end where a stretch reaches into a neighbour): each widened by
/// `guard` spectra on either side, clamped to the `nsamples` spectra of the
/// beam, then merged.
pub fn beam_ranges(per_interval: &[Vec<(i64, i64)>], ptsperint: usize, guard: usize, nsamples: u64) -> Vec<(u64, u64)> {
    let clamp = |t: i64| t.clamp(0, nsamples as i64) as u64;
    let ranges = per_interval
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            let offset = (i * ptsperint) as i64;
            s.iter()
                .map(move |&(a, b)| (clamp(offset + a - guard as i64), clamp(offset + b + guard as i64)))
        })
        .collect();
    merge(ranges)
}

/// Spectra inside `ranges` (sorted, disjoint) in each of `numint` intervals of
/// `ptsperint` spectra.
pub fn per_interval(ranges: &[(u64, u64)], ptsperint: usize, numint: usize) -> Vec<u32> {
    let p = ptsperint.max(1) as u64;
    let mut counts = vec![0u32; numint];
    for &(a, b) in ranges {
        let mut t = a;
        while t < b {
            let i = (t / p) as usize;
            let end = b.min((t / p + 1) * p);
            if let Some(c) = counts.get_mut(i) {
                *c += (end - t) as u32;
            }
            t = end;
        }
    }
    counts
}

/// Total spectra inside `ranges` (sorted, disjoint).
pub fn total(ranges: &[(u64, u64)]) -> u64 {
    ranges.iter().map(|&(a, b)| b - a).sum()
}

/// The fraction of the data that a [`MaskedSource`](super::MaskedSource)
/// built from the result replaces: the masked cells plus, in each interval,
/// its clipped spectra's share of the cells left unmasked. Each cell weighs
/// `1 / (numint × numchan)` as in [`RfiMask::masked_fraction`], so this equals
/// the masked fraction when nothing is clipped, and the fraction of replaced
/// samples when all intervals have the same length. `clipped` holds the clipped
/// spectra of each interval, `nsamples` the beam's length (which sets the last
/// interval's).
pub fn masked_or_clipped_fraction(mask: &RfiMask, clipped: &[u32], nsamples: u64) -> f64 {
    let total_cells = mask.numint * mask.numchan;
    if total_cells == 0 {
        return 0.0;
    }
    let mut flags = vec![false; mask.numchan];
    let mut cells = 0f64;
    for i in 0..mask.numint {
        mask.channel_flags(i, &mut flags);
        let masked = flags.iter().filter(|&&f| f).count();
        let start = (i * mask.ptsperint) as u64;
        let len = nsamples.saturating_sub(start).min(mask.ptsperint as u64).max(1);
        let share = (f64::from(clipped.get(i).copied().unwrap_or(0)) / len as f64).min(1.0);
        cells += masked as f64 + (mask.numchan - masked) as f64 * share;
    }
    cells / total_cells as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_guarded_clamped_and_merged() {
        // Interval 0: a stretch at the very start and one at 50; interval 1
        // (from 100): one at 102 that the guard joins to a stretch ending at 99.
        // Interval 2 (from 200): one reaching back into interval 1 and one
        // past the end of the beam.
        let per = vec![
            vec![(0, 3), (50, 60), (95, 99)],
            vec![(2, 4)],
            vec![(-30, -25), (18, 30)],
        ];
        let r = beam_ranges(&per, 100, 4, 222);
        assert_eq!(r, vec![(0, 7), (46, 64), (91, 108), (166, 179), (214, 222)]);
        assert_eq!(total(&r), 7 + 18 + 17 + 13 + 8);
        assert_eq!(per_interval(&r, 100, 3), vec![7 + 18 + 9, 8 + 13, 8]);
        assert_eq!(merge(vec![(5, 5), (8, 9), (1, 4), (3, 6)]), vec![(1, 6), (8, 9)]);
    }

    #[test]
    fn the_combined_fraction_counts_clipped_spectra_of_unmasked_cells() {
        // 4 intervals of 100 spectra, 10 channels; channel 2 masked everywhere,
        // interval 3 masked whole.
        let mut mask = RfiMask::empty(10, 4, 100, 1.0);
        for (i, list) in mask.chans_per_int.iter_mut().enumerate() {
            *list = if i == 3 { (0..10).collect() } else { vec![2] };
        }
        let masked = mask.masked_fraction();
        assert!((masked - (3.0 + 10.0) / 40.0).abs() < 1e-12);
        assert_eq!(masked_or_clipped_fraction(&mask, &[0; 4], 400), masked);
        // 10 spectra clipped in interval 0 (9 unmasked cells, 10 %), 50 in the
        // masked interval 3 (nothing to add).
        let f = masked_or_clipped_fraction(&mask, &[10, 0, 0, 50], 400);
        assert!((f - (masked + 9.0 * 0.1 / 40.0)).abs() < 1e-12, "{f}");
    }
}
