//! Sample shifts for dedispersion: channels within subbands, subbands within the band.

use palfa_core::astro::DM_CONST;

/// Channel frequencies of a beam, lowest first, and the subbands they form.
#[derive(Debug, Clone)]
pub struct ChannelLayout {
    /// Centre frequency of each channel \[MHz\], lowest first.
    pub freqs: Vec<f64>,
    /// Channel ranges `[start, end)` of each subband, lowest first.
    pub subbands: Vec<(usize, usize)>,
}

impl ChannelLayout {
    /// Splits `freqs` into `nsub` subbands of (nearly) equal channel counts; the
    /// first `nchans % nsub` subbands get one channel more.
    pub fn new(freqs: Vec<f64>, nsub: usize) -> Self {
        let n = freqs.len();
        let nsub = nsub.clamp(1, n.max(1));
        let (per, extra) = (n / nsub, n % nsub);
        let mut subbands = Vec::with_capacity(nsub);
        let mut start = 0;
        for j in 0..nsub {
            let len = per + usize::from(j < extra);
            subbands.push((start, start + len));
            start += len;
        }
        Self { freqs, subbands }
    }

    /// The highest frequency, which every shift is relative to \[MHz\].
    pub fn f_top(&self) -> f64 {
        *self.freqs.last().expect("at least one channel")
    }

    /// Reference frequency of subband `j`: its highest channel \[MHz\].
    pub fn sub_ref(&self, j: usize) -> f64 {
        self.freqs[self.subbands[j].1 - 1]
    }
}

/// Delay \[s\] at `f` relative to `f_ref` for `dm`.
fn delay(dm: f64, f: f64, f_ref: f64) -> f64 {
    DM_CONST * dm * (1.0 / (f * f) - 1.0 / (f_ref * f_ref))
}

/// Shift in samples of `dt` (rounded to the nearest sample).
fn shift(dm: f64, f: f64, f_ref: f64, dt: f64) -> usize {
    (delay(dm, f, f_ref) / dt).round().max(0.0) as usize
}

/// Per channel: shift \[raw samples\] relative to its subband's reference at `subdm`.
pub fn intra_subband_shifts(layout: &ChannelLayout, subdm: f64, dt: f64) -> Vec<usize> {
    let mut out = vec![0; layout.freqs.len()];
    for (j, &(a, b)) in layout.subbands.iter().enumerate() {
        let fref = layout.sub_ref(j);
        for (o, &f) in out[a..b].iter_mut().zip(&layout.freqs[a..b]) {
            *o = shift(subdm, f, fref, dt);
        }
    }
    out
}

/// Per subband: shift \[samples of `dt_out`\] of its reference relative to the top of the band at `dm`.
pub fn subband_shifts(layout: &ChannelLayout, dm: f64, dt_out: f64) -> Vec<usize> {
    let top = layout.f_top();
    (0..layout.subbands.len())
        .map(|j| shift(dm, layout.sub_ref(j), top, dt_out))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subbands_cover_all_channels() {
        let l = ChannelLayout::new((0..10).map(|c| 1000.0 + c as f64).collect(), 3);
        assert_eq!(l.subbands, vec![(0, 4), (4, 7), (7, 10)]);
        assert_eq!(l.sub_ref(0), 1003.0);
        let s = intra_subband_shifts(&l, 100.0, 1e-5);
        assert_eq!(
            (s[3], s[6], s[9]),
            (0, 0, 0),
            "each subband's top channel is its reference"
        );
        assert!(s[0] > s[1] && s[1] > s[2]);
        let d = subband_shifts(&l, 100.0, 1e-5);
        assert_eq!(d[2], 0);
        assert!(d[0] > d[1]);
    }
}
