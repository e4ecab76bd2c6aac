//! prepfold's time-domain clipping of impulsive RFI (PRESTO `clip_times`,
//! on by default at 6σ in prepfold, and so in the PALFA recipe's folds).
//!
//! The beam is taken in blocks of [`CLIP_BLOCK`] spectra. For each block the
//! zero-DM series (the sum over channels of each spectrum) is formed; its mean
//! and σ are measured on the samples within 3σ of the block median (so bright
//! RFI does not inflate them) and folded into running values (0.9 old + 0.1
//! new); a spectrum whose zero-DM sum is more than `clip_sigma` running σ from
//! the running mean is replaced by the channels' running mean levels. Broadband
//! bursts at DM 0 — which would otherwise fold into any period that lines two of
//! them up — are removed, while a dispersed pulsar, spread over the band, is
//! not touched.

use palfa_core::beam::SpectraSource;
use palfa_core::{BeamHeader, FormatResult};

/// Spectra per clipping block.
pub const CLIP_BLOCK: usize = 1024;

/// A beam with prepfold's clipping applied, block by block from its first spectrum.
pub(crate) struct ClippedSource<'a> {
    inner: &'a mut dyn SpectraSource,
    clip_sigma: f64,
    /// The current block, time-major, and how much of it has been served.
    block: Vec<f32>,
    len: usize,
    served: usize,
    /// Index of the block's first spectrum.
    block_start: u64,
    running: Option<(f64, f64, Vec<f64>)>,
    /// Spectra replaced so far.
    pub clipped: u64,
}

impl<'a> ClippedSource<'a> {
    pub fn new(inner: &'a mut dyn SpectraSource, clip_sigma: f64) -> Self {
        Self {
            inner,
            clip_sigma,
            block: Vec::new(),
            len: 0,
            served: 0,
            block_start: 0,
            running: None,
            clipped: 0,
        }
    }

    /// Reads and clips the next block; false at the end of the beam.
    fn next_block(&mut self) -> FormatResult<bool> {
        let nchan = self.inner.header().nchans;
        self.block_start = self.inner.position();
        self.block.resize(CLIP_BLOCK * nchan, 0.0);
        let mut filled = 0;
        while filled < CLIP_BLOCK {
            let n = self.inner.read_spectra(&mut self.block[filled * nchan..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        self.len = filled;
        self.served = 0;
        if filled > 0 {
            self.clip(nchan);
        }
        Ok(filled > 0)
    }

    fn clip(&mut self, nchan: usize) {
        let data = &mut self.block[..self.len * nchan];
        let zero_dm: Vec<f64> = data
            .chunks_exact(nchan)
            .map(|s| s.iter().map(|&v| v as f64).sum())
            .collect();
        let (avg, std) = mean_std(&zero_dm);
        let mut sorted = zero_dm.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        let med = sorted[sorted.len() / 2];
        let (lo, hi) = (med - 3.0 * std, med + 3.0 * std);
        let good: Vec<usize> = (0..zero_dm.len())
            .filter(|&i| zero_dm[i] > lo && zero_dm[i] < hi)
            .collect();
        let (cur_avg, cur_std, cur_chan) = if good.is_empty() {
            match &self.running {
                Some(r) => r.clone(),
                None => (avg, std, vec![0.0; nchan]),
            }
        } else {
            let vals: Vec<f64> = good.iter().map(|&i| zero_dm[i]).collect();
            let (a, s) = mean_std(&vals);
            let mut chan = vec![0.0; nchan];
            for &i in &good {
                for (c, &v) in chan.iter_mut().zip(&data[i * nchan..(i + 1) * nchan]) {
                    *c += v as f64;
                }
            }
            chan.iter_mut().for_each(|c| *c /= good.len() as f64);
            (a, s, chan)
        };
        let (run_avg, run_std, run_chan) = match self.running.take() {
            Some((a, s, ch)) => (
                0.9 * a + 0.1 * cur_avg,
                0.9 * s + 0.1 * cur_std,
                ch.iter().zip(&cur_chan).map(|(o, n)| 0.9 * o + 0.1 * n).collect(),
            ),
            None => (cur_avg, cur_std, cur_chan),
        };
        let trigger = self.clip_sigma * run_std;
        for (i, spec) in data.chunks_exact_mut(nchan).enumerate() {
            if (zero_dm[i] - run_avg).abs() > trigger {
                for (v, &c) in spec.iter_mut().zip(&run_chan) {
                    *v = c as f32;
                }
                self.clipped += 1;
            }
        }
        self.running = Some((run_avg, run_std, run_chan));
    }
}

/// Mean and standard deviation (divided by n − 1).
fn mean_std(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    if x.is_empty() {
        return (0.0, 0.0);
    }
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 {
        x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v.sqrt())
}

impl SpectraSource for ClippedSource<'_> {
    fn header(&self) -> &BeamHeader {
        self.inner.header()
    }

    fn read_spectra(&mut self, out: &mut [f32]) -> FormatResult<usize> {
        let nchan = self.inner.header().nchans;
        if self.served == self.len && !self.next_block()? {
            return Ok(0);
        }
        let n = (out.len() / nchan).min(self.len - self.served);
        out[..n * nchan].copy_from_slice(&self.block[self.served * nchan..(self.served + n) * nchan]);
        self.served += n;
        Ok(n)
    }

    fn position(&self) -> u64 {
        self.block_start + self.served as u64
    }

    /// Only a seek to the start is supported (it restarts the running statistics):
    /// the fold reads the beam once from its first spectrum.
    fn seek(&mut self, index: u64) -> FormatResult<()> {
        self.inner.seek(index)?;
        self.block_start = self.inner.position();
        (self.len, self.served) = (0, 0);
        self.running = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palfa_core::simulate::{simulate, ImpulseSpec, PulsarSpec, RfiSpec, SimParams};

    #[test]
    fn bursts_at_dm_zero_are_clipped_and_pulsars_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.fil");
        let p = SimParams {
            nchans: 64,
            nsamples: 20_000,
            nbits: 32,
            pulsars: vec![PulsarSpec {
                period_s: 0.01,
                dm: 50.0,
                duty: 0.05,
                snr: 30.0,
                accel_m_s2: 0.0,
                phase: 0.0,
            }],
            rfi: RfiSpec {
                impulses: vec![ImpulseSpec {
                    time_s: 0.5,
                    width_s: 0.0005,
                    amplitude: 5.0,
                }],
                ..RfiSpec::default()
            },
            ..SimParams::default()
        };
        let truth = simulate(&p, &path, &|_, _| {}).unwrap();
        let mut beam = palfa_core::open_beam(&[&path]).unwrap();
        let all = palfa_core::beam::read_range(beam.as_mut(), 0, 20_000).unwrap();
        beam.seek(0).unwrap();
        let mut clipped = ClippedSource::new(beam.as_mut(), 6.0);
        let mut out = vec![0f32; 20_000 * 64];
        let mut got = 0;
        // Odd read sizes: the blocks are the clipper's own.
        while got < 20_000 {
            let want = 777.min(20_000 - got);
            let n = clipped.read_spectra(&mut out[got * 64..(got + want) * 64]).unwrap();
            assert!(n > 0);
            got += n;
        }
        let (s0, s1) = truth.rfi.impulse_samples[0];
        assert_eq!(clipped.clipped, s1 - s0, "exactly the burst's spectra are replaced");
        let band = |v: &[f32], i: usize| v[i * 64..(i + 1) * 64].iter().sum::<f32>();
        assert!(band(&all, s0 as usize) > band(&out, s0 as usize) + 1000.0);
        // Everything else is untouched.
        for i in (0..20_000).filter(|&i| i < s0 as usize || i >= s1 as usize).step_by(97) {
            assert_eq!(&all[i * 64..(i + 1) * 64], &out[i * 64..(i + 1) * 64]);
        }
    }
}
