//! palfa's FFT against PRESTO's `realfft` output for the same real series.

mod accel_support;

use accel_support::shared;
use palfa_search::spectrum::{read_presto_fft, SpectrumMaker};
use palfa_search::TimeSeries;

#[test]
fn fft_matches_presto_realfft_of_j1807() {
    let (Some(dat), Some(fft)) = (
        shared("sigpyproc3/GBT_J1807-0847.dat"),
        shared("sigpyproc3/GBT_J1807-0847.fft"),
    ) else {
        return;
    };
    let ts = TimeSeries::read(&dat).unwrap();
    let ours = SpectrumMaker::new().make(&ts).unwrap();
    let presto = read_presto_fft(&fft).unwrap();
    let n = ts.data.len();
    assert_eq!(n, 131_072);
    assert_eq!(ours.amps.len(), presto.amps.len());
    assert_eq!(ours.amps.len(), n / 2 + 1);
    // PRESTO keeps the DC term (Σx); palfa removes the mean first.
    let sum: f64 = ts.data.iter().map(|&v| v as f64).sum();
    assert!((presto.amps[0].re as f64 / sum - 1.0).abs() < 1e-5);
    assert!((ours.mean * n as f64 / sum - 1.0).abs() < 1e-12);
    // Every other bin, the Nyquist included (PRESTO packs it into bin 0's
    // imaginary part), agrees to f32 rounding: PRESTO transforms the series
    // with its DC level of ~4.5e5 per sample, so its own rounding error is
    // ~1e-7 × the DC sum ≈ 6e3 per bin, i.e. ~2e-4 of the typical amplitude.
    let rms = (presto.amps[1..].iter().map(|a| a.norm_sqr() as f64).sum::<f64>() / (n / 2) as f64).sqrt();
    let mut diffs: Vec<f64> = ours.amps[1..]
        .iter()
        .zip(&presto.amps[1..])
        .map(|(a, b)| (a - b).norm() as f64 / rms)
        .collect();
    diffs.sort_by(f64::total_cmp);
    let median = diffs[diffs.len() / 2];
    let max = diffs[diffs.len() - 1];
    eprintln!("rms amplitude {rms:.3e}; |palfa − PRESTO| / rms: median {median:.2e}, max {max:.2e}");
    assert!(median < 1e-3 && max < 1e-2, "median {median}, max {max}");
    // The pulsar's fundamental is the same bin in both.
    let peak = |s: &palfa_search::spectrum::Spectrum| {
        (100..200)
            .max_by(|&a, &b| s.amps[a].norm_sqr().total_cmp(&s.amps[b].norm_sqr()))
            .unwrap()
    };
    assert_eq!(peak(&ours), peak(&presto));
}
