//! The samples a prepared beam holds as a level rather than as data: the
//! cells an RFI mask covers and the spectra clipped as impulsive RFI.

use crate::error::{SearchError, SearchResult};

/// What replaces which samples, as rfifind's mask and clipping define it
/// (see [`MaskedSource`](crate::rfi::MaskedSource), which builds this with
/// [`replacements`](crate::rfi::MaskedSource::replacements)): every sample
/// of a masked cell (interval × channel), and every channel of a clipped
/// spectrum, is its cell's **level** \[the beam's raw units\].
///
/// Spectrum `t` lies in interval `min(t / ptsperint, numint − 1)`: the last
/// interval runs to the end of the beam.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replacements {
    nchan: usize,
    ptsperint: u64,
    numint: usize,
    /// Level of each cell, interval-major \[raw units\].
    levels: Vec<f32>,
    /// Per channel: its masked intervals, ascending.
    masked: Vec<Vec<u32>>,
    /// Spectra replaced in every channel, `[start, end)`, ascending and disjoint.
    clipped: Vec<(u64, u64)>,
}

impl Replacements {
    /// Nothing replaced.
    pub fn none() -> Self {
        Self::default()
    }

    /// Cells masked per interval (`masked_channels[i]`: the channels masked in
    /// interval `i`), levels interval-major (`numint × nchan`), and clipped
    /// spectra (`[start, end)`, ascending and disjoint).
    ///
    /// # Errors
    /// [`SearchError::Params`] if the pieces disagree in size, an interval
    /// is empty, a channel is out of range or the clipped stretches are not
    /// ascending and disjoint.
    pub fn new(
        nchan: usize,
        ptsperint: u64,
        levels: Vec<f32>,
        masked_channels: &[Vec<usize>],
        clipped: Vec<(u64, u64)>,
    ) -> SearchResult<Self> {
        let numint = masked_channels.len();
        let bad = |what: String| Err(SearchError::Params(format!("RFI replacements: {what}")));
        if ptsperint == 0 || numint == 0 {
            return bad(format!("{numint} intervals of {ptsperint} spectra"));
        }
        if levels.len() != numint * nchan {
            return bad(format!(
                "{} levels for {numint} intervals × {nchan} channels",
                levels.len()
            ));
        }
        if !clipped.windows(2).all(|w| w[0].1 <= w[1].0) || clipped.iter().any(|&(a, b)| a > b) {
            return bad("clipped spectra not ascending and disjoint".into());
        }
        let mut masked = vec![Vec::new(); nchan];
        for (i, chans) in masked_channels.iter().enumerate() {
            for &c in chans {
                let Some(list) = masked.get_mut(c) else {
                    return bad(format!("channel {c} of {nchan} masked"));
                };
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
        Ok(Self {
            nchan,
            ptsperint,
            numint,
            levels,
            masked,
            clipped,
        })
    }

    /// Whether these replacements can go with a beam of `nchan` channels:
    /// [`none`](Self::none) goes with any, others with their own count only.
    pub fn fits(&self, nchan: usize) -> bool {
        self.numint == 0 || self.nchan == nchan
    }

    /// The channels these replacements were made for (0 for [`none`](Self::none)).
    pub fn nchan(&self) -> usize {
        self.nchan
    }

    fn interval_of(&self, t: u64) -> usize {
        ((t / self.ptsperint) as usize).min(self.numint - 1)
    }

    /// First spectrum after interval `i` (the last runs to the end).
    fn interval_end(&self, i: usize) -> u64 {
        if i + 1 >= self.numint {
            u64::MAX
        } else {
            (i as u64 + 1) * self.ptsperint
        }
    }

    /// Calls `f(start, end, level)` for the replaced stretches of channel
    /// `c` within spectra `[from, to)` (a stretch may be reported twice, with
    /// the same level, where a clipped spectrum lies in a masked cell).
    pub(super) fn for_each_in(&self, c: usize, from: u64, to: u64, mut f: impl FnMut(u64, u64, f32)) {
        if self.numint == 0 || from >= to {
            return;
        }
        let level = |i: usize| self.levels[i * self.nchan + c];
        let (i0, i1) = (self.interval_of(from), self.interval_of(to - 1));
        let masked = &self.masked[c];
        let first = masked.partition_point(|&i| (i as usize) < i0);
        for &i in masked[first..].iter().take_while(|&&i| i as usize <= i1) {
            let i = i as usize;
            let a = (i as u64 * self.ptsperint).max(from);
            let b = self.interval_end(i).min(to);
            if a < b {
                f(a, b, level(i));
            }
        }
        let first = self.clipped.partition_point(|&(_, b)| b <= from);
        for &(a, b) in self.clipped[first..].iter().take_while(|&&(a, _)| a < to) {
            let (mut pos, end) = (a.max(from), b.min(to));
            while pos < end {
                let i = self.interval_of(pos);
                let piece = self.interval_end(i).min(end);
                f(pos, piece, level(i));
                pos = piece;
            }
        }
    }
}
