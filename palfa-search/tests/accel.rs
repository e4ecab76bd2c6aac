//! Acceleration search on synthetic series with known answers and on a real
//! PRESTO time series.

mod accel_support;

use accel_support::*;
use palfa_search::accel::{AccelConfig, AccelSearcher};
use palfa_search::AccelPass;

#[test]
fn debug_isolated() {
    let n = 1 << 20;
    let dt = 5e-5;
    let psr = Pulsar {
        f0: 1.0 / 0.0213,
        fdot: 0.0,
        duty: 0.05,
        snr: 20.0,
    };
    let ts = series(n, dt, &[psr], 1);
    let spec = whitened(&ts);
    let cfg = AccelConfig::new(&lo_params(), AccelPass::Lo).unwrap();
    let s = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
    eprintln!("{s:?}");
    let t0 = std::time::Instant::now();
    let c = s.search(&spec).unwrap();
    eprintln!("{:?}", t0.elapsed());
    for c in c.iter().take(5) {
        eprintln!(
            "{} {} {} {} {} {:?}",
            c.r,
            c.freq_hz(),
            c.numharm,
            c.sigma,
            c.power,
            c.harm_powers
        );
    }
    eprintln!("true r {}", spec.t_obs_s / 0.0213);
    let mut cfg = AccelConfig::new(&hi_params(), AccelPass::Hi).unwrap();
    cfg.fft_len = std::env::var("FFTLEN").ok().and_then(|v| v.parse().ok());
    let s = AccelSearcher::new(spec.num_bins(), spec.t_obs_s, &cfg).unwrap();
    eprintln!("{s:?}");
    let t0 = std::time::Instant::now();
    let c = s.search(&spec).unwrap();
    eprintln!("{:?}", t0.elapsed());
    for c in c.iter().take(3) {
        eprintln!(
            "{} {} {} {} {} {:?}",
            c.r, c.z, c.numharm, c.sigma, c.power, c.harm_powers
        );
    }
}
