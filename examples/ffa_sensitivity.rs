//! Sensitivity of the FFA search against the Fourier (FFT + harmonic-summing)
//! search, on simulated dedispersed series.
//!
//! ```sh
//! cargo run --release -p palfa-search --example ffa_sensitivity -- --out docs
//! ```
//!
//! Each series is 2^18 samples of 1.024 ms (268.4 s) of unit-variance white
//! Gaussian noise plus a train of Gaussian pulses (FWHM = duty × P, random
//! phase) scaled so that the ideal matched-filter S/N, √(Σ pulse²) over all
//! samples, is the injected S/N. The grid is P = 0.5, 1, 2, 5, 10, 20 s, duty
//! cycles 0.5, 1, 2, 5 %, injected S/N 4, 6, 8, 10, 12, 15, 20, each with
//! `--seeds N` noise realisations (default 3). One noise realisation and pulse
//! phase serves every S/N of a (P, duty, seed), so the curves are smooth in
//! S/N.
//!
//! Each series is searched by
//! - the FFA ([`FfaSearcher`], default settings); recovered S/N = the best
//!   periodogram S/N within ±0.2 % of the injected period;
//! - the FFT search as the pipeline runs it per DM (spectrum, red-noise
//!   whitening, zmax-0 search with 16 harmonics, no zapping), once with
//!   PALFA's lo pass (flo 2 Hz for the highest harmonic) and once with flo
//!   0.02 Hz; recovered significance = the highest `sigma` of the candidates
//!   within 1.5/T of n·f, n = 1…16 (0 when none: below the 2σ search
//!   threshold), and the n that gave it.
//!
//! The FFA S/N is a single-trial Gaussian-equivalent significance; the FFT
//! `sigma` is Gaussian-equivalent after PRESTO's correction for the number of
//! independent Fourier trials, so the CSV also has the FFT's single-trial
//! sigma of the same candidate.
//!
//! Writes `ffa-sensitivity.csv` and `ffa-sensitivity.png` to `--out DIR`
//! (default `docs/`), prints a summary table to stdout and progress to stderr.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use plotters::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use palfa_core::config::{AccelParams, Searching, DEFAULT_TO_PREPFOLD_SIGMA};
use palfa_core::formats::presto::InfFile;
use palfa_search::accel::{AccelConfig, AccelSearcher};
use palfa_search::ffa::{FfaConfig, FfaSearcher};
use palfa_search::plot::{init_fonts, FONT};
use palfa_search::rednoise::whiten;
use palfa_search::spectrum::SpectrumMaker;
use palfa_search::stats::candidate_sigma;
use palfa_search::{AccelCandidate, AccelPass, TimeSeries};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// One unit of work: indices of the period, the duty cycle and the seed.
type Job = (usize, usize, usize);

/// Samples per series.
const N: usize = 1 << 18;
/// Sample time \[s\].
const DT: f64 = 1.024e-3;
/// Trial periods \[s\].
const PERIODS: [f64; 6] = [0.5, 1.0, 2.0, 5.0, 10.0, 20.0];
/// Duty cycles (FWHM / P).
const DUTIES: [f64; 4] = [0.005, 0.01, 0.02, 0.05];
/// Injected matched-filter S/N.
const SNRS: [f64; 7] = [4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0];
/// Harmonics of the pulsar a Fourier candidate may sit on.
const MAX_N: usize = 16;
/// Half-width of the FFA's period window, as a fraction of the period.
const FFA_WINDOW: f64 = 0.002;
/// flo of the Fourier variant that reaches long periods \[Hz\].
const LOW_FLO_HZ: f64 = 0.02;
/// S/N the FFA pipeline makes a candidate from.
const FFA_THRESHOLD: f64 = 7.0;
/// The injected S/N at which the tables quote the FFT's sigma.
const QUOTE_SNR: f64 = 12.0;

/// What one Fourier search recovered.
#[derive(Debug, Clone, Copy, Default)]
struct FftHit {
    /// Highest sigma (with trials) of a candidate on a harmonic (0: none).
    sigma: f64,
    /// The same candidate's single-trial sigma.
    sigma1: f64,
    /// The harmonic n (of the pulsar's frequency) it sat on (0: none).
    harmonic: usize,
}

/// What one series gave.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    ffa: f64,
    palfa: FftHit,
    lowflo: FftHit,
}

/// The searches, built once.
struct Searches {
    ffa: FfaSearcher,
    maker: SpectrumMaker,
    searching: Searching,
    palfa: AccelSearcher,
    lowflo: AccelSearcher,
}

impl Searches {
    fn new() -> Res<Self> {
        let searching = Searching::default();
        let t_obs = N as f64 * DT;
        let n_bins = N / 2 + 1;
        let lo: AccelParams = searching.lo_accel.clone();
        let low = AccelParams {
            flo_hz: LOW_FLO_HZ,
            ..lo.clone()
        };
        let palfa = AccelSearcher::new(n_bins, t_obs, &AccelConfig::new(&lo, AccelPass::Lo)?)?;
        let lowflo = AccelSearcher::new(n_bins, t_obs, &AccelConfig::new(&low, AccelPass::Lo)?)?;
        Ok(Self {
            ffa: FfaSearcher::new(FfaConfig::default())?,
            maker: SpectrumMaker::new(),
            searching,
            palfa,
            lowflo,
        })
    }

    fn run(&self, ts: &TimeSeries, period_s: f64) -> Res<Outcome> {
        let pgram = self.ffa.search(ts)?;
        let ffa = pgram
            .best_in(period_s * (1.0 - FFA_WINDOW), period_s * (1.0 + FFA_WINDOW))
            .map_or(0.0, |(_, s)| f64::from(s));
        let mut spec = self.maker.make(ts)?;
        whiten(&mut spec, &self.searching.rednoise);
        let t_obs = spec.t_obs_s;
        let palfa = fft_hit(&self.palfa.search(&spec)?, period_s, t_obs);
        let lowflo = fft_hit(&self.lowflo.search(&spec)?, period_s, t_obs);
        Ok(Outcome { ffa, palfa, lowflo })
    }
}

/// The strongest candidate within 1.5/T of a harmonic n·f (n = 1…16).
fn fft_hit(cands: &[AccelCandidate], period_s: f64, t_obs: f64) -> FftHit {
    let f = 1.0 / period_s;
    let tol = 1.5 / t_obs;
    let mut best = FftHit::default();
    for c in cands {
        let fc = c.freq_hz();
        let Some(n) = (1..=MAX_N).find(|&n| (fc - n as f64 * f).abs() < tol) else {
            continue;
        };
        if c.sigma > best.sigma || best.harmonic == 0 {
            best = FftHit {
                sigma: c.sigma,
                sigma1: candidate_sigma(c.power, c.numharm, 1.0),
                harmonic: n,
            };
        }
    }
    best
}

/// Unit-variance white noise.
fn noise(seed: u64) -> Vec<f32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..N).map(|_| rng.sample::<f32, _>(StandardNormal)).collect()
}

/// Gaussian pulses of FWHM `duty·P`, peak 1, the first at phase `phase0`.
fn pulse_train(period_s: f64, duty: f64, phase0: f64) -> Vec<f32> {
    let k = 4.0 * std::f64::consts::LN_2 / (duty * duty);
    (0..N)
        .map(|i| {
            let ph = i as f64 * DT / period_s - phase0;
            let x = ph - ph.round();
            (-k * x * x).exp() as f32
        })
        .collect()
}

/// One grid point's results over the seeds.
#[derive(Debug, Clone)]
struct Row {
    period_s: f64,
    duty: f64,
    snr: f64,
    outcomes: Vec<Outcome>,
}

impl Row {
    fn ffa_mean(&self) -> f64 {
        mean(self.outcomes.iter().map(|o| o.ffa))
    }
    fn ffa_min(&self) -> f64 {
        self.outcomes.iter().map(|o| o.ffa).fold(f64::INFINITY, f64::min)
    }
    fn ffa_max(&self) -> f64 {
        self.outcomes.iter().map(|o| o.ffa).fold(f64::NEG_INFINITY, f64::max)
    }
    fn fft(&self, low: bool) -> impl Iterator<Item = FftHit> + '_ {
        self.outcomes.iter().map(move |o| if low { o.lowflo } else { o.palfa })
    }
    fn fft_mean(&self, low: bool) -> f64 {
        mean(self.fft(low).map(|h| h.sigma))
    }
    fn fft1_mean(&self, low: bool) -> f64 {
        mean(self.fft(low).map(|h| h.sigma1))
    }
    /// The harmonic found most often (ties: the lowest; 0 if never found).
    fn fft_harmonic(&self, low: bool) -> usize {
        let mut counts = [0usize; MAX_N + 1];
        for h in self.fft(low).filter(|h| h.harmonic > 0) {
            counts[h.harmonic] += 1;
        }
        (1..=MAX_N)
            .rev()
            .max_by_key(|&n| counts[n])
            .filter(|&n| counts[n] > 0)
            .unwrap_or(0)
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// The injected S/N at which `curve` (over [`SNRS`]) first reaches `level`,
/// linearly interpolated; `None` if it never does. Below the first S/N: the
/// first S/N, written "≤" by the caller.
fn crossing(curve: &[f64], level: f64) -> Option<f64> {
    if curve.first().is_some_and(|&v| v >= level) {
        return Some(SNRS[0]);
    }
    for i in 1..curve.len() {
        let (a, b) = (curve[i - 1], curve[i]);
        if a < level && b >= level {
            return Some(SNRS[i - 1] + (level - a) / (b - a) * (SNRS[i] - SNRS[i - 1]));
        }
    }
    None
}

fn fmt_crossing(c: Option<f64>) -> String {
    match c {
        Some(s) if s <= SNRS[0] => format!("≤{:.0}", SNRS[0]),
        Some(s) => format!("{s:.1}"),
        None => format!(">{:.0}", SNRS[SNRS.len() - 1]),
    }
}

fn main() -> Res<()> {
    let mut out = PathBuf::from("docs");
    let mut seeds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().ok_or("--out needs a directory")?.into(),
            "--seeds" => seeds = args.next().ok_or("--seeds needs a number")?.parse()?,
            other => return Err(format!("unknown argument {other:?} (try --out DIR, --seeds N)").into()),
        }
    }
    if seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    std::fs::create_dir_all(&out)?;
    let t0 = Instant::now();
    let searches = Searches::new()?;

    // One job per (period, duty, seed): one noise realisation and phase, every S/N.
    let jobs: Vec<Job> = (0..PERIODS.len())
        .flat_map(|p| (0..DUTIES.len()).flat_map(move |d| (0..seeds).map(move |s| (p, d, s))))
        .collect();
    let done = AtomicUsize::new(0);
    let results: Vec<Res<(Job, Vec<Outcome>)>> = jobs
        .par_iter()
        .map(|&(p, d, s)| {
            let (period_s, duty) = (PERIODS[p], DUTIES[d]);
            let seed = 1_000_003 * (p as u64 + 1) + 10_007 * (d as u64 + 1) + s as u64;
            let base = noise(seed);
            let phase0: f64 = Xoshiro256PlusPlus::seed_from_u64(!seed).gen();
            let pulses = pulse_train(period_s, duty, phase0);
            let norm = pulses.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>().sqrt();
            let mut outs = Vec::with_capacity(SNRS.len());
            for &snr in &SNRS {
                let amp = (snr / norm) as f32;
                let data: Vec<f32> = base.iter().zip(&pulses).map(|(&n, &v)| n + amp * v).collect();
                let ts = TimeSeries {
                    info: InfFile {
                        basename: format!("P{period_s}_d{duty}_s{snr}_{s}"),
                        n: N as u64,
                        dt: DT,
                        dm: 0.0,
                        ..InfFile::default()
                    },
                    data,
                };
                outs.push(searches.run(&ts, period_s)?);
            }
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!(
                "[{k:>3}/{}] P {period_s:>4} s, duty {:>3.1} %, seed {s}: FFA S/N at 20 = {:.1} ({:.0} s)",
                jobs.len(),
                duty * 100.0,
                outs.last().map_or(0.0, |o| o.ffa),
                t0.elapsed().as_secs_f64()
            );
            Ok(((p, d, s), outs))
        })
        .collect();

    let mut per: Vec<Vec<Vec<Outcome>>> = vec![vec![Vec::new(); DUTIES.len()]; PERIODS.len() * SNRS.len()];
    for r in results {
        let ((p, d, _), outs) = r?;
        for (i, o) in outs.into_iter().enumerate() {
            per[p * SNRS.len() + i][d].push(o);
        }
    }
    let mut rows = Vec::new();
    for (p, &period_s) in PERIODS.iter().enumerate() {
        for (d, &duty) in DUTIES.iter().enumerate() {
            for (i, &snr) in SNRS.iter().enumerate() {
                rows.push(Row {
                    period_s,
                    duty,
                    snr,
                    outcomes: per[p * SNRS.len() + i][d].clone(),
                });
            }
        }
    }
    let elapsed = t0.elapsed().as_secs_f64();

    let csv = out.join("ffa-sensitivity.csv");
    write_csv(&csv, &rows)?;
    let png = out.join("ffa-sensitivity.png");
    plot(&png, &rows, seeds)?;
    print_summary(&rows, seeds, elapsed);
    eprintln!("wrote {} and {} in {elapsed:.0} s", csv.display(), png.display());
    Ok(())
}

fn write_csv(path: &Path, rows: &[Row]) -> Res<()> {
    let mut s = String::from(
        "period_s,duty,injected_snr,ffa_snr_mean,ffa_snr_min,ffa_snr_max,\
         fft_palfa_sigma_mean,fft_palfa_harmonic,fft_lowflo_sigma_mean,fft_lowflo_harmonic,\
         fft_palfa_sigma1_mean,fft_lowflo_sigma1_mean\n",
    );
    for r in rows {
        writeln!(
            s,
            "{},{},{},{:.3},{:.3},{:.3},{:.3},{},{:.3},{},{:.3},{:.3}",
            r.period_s,
            r.duty,
            r.snr,
            r.ffa_mean(),
            r.ffa_min(),
            r.ffa_max(),
            r.fft_mean(false),
            r.fft_harmonic(false),
            r.fft_mean(true),
            r.fft_harmonic(true),
            r.fft1_mean(false),
            r.fft1_mean(true),
        )?;
    }
    std::fs::write(path, s)?;
    Ok(())
}

fn print_summary(rows: &[Row], seeds: usize, elapsed: f64) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "FFA vs FFT sensitivity: {N} samples of {} ms ({:.1} s), {seeds} noise realisations per point, {elapsed:.0} s",
        DT * 1e3,
        N as f64 * DT
    );
    let _ = writeln!(
        o,
        "FFA: S/N mean [min, max]; FFT: sigma with trials (single-trial sigma) @ harmonic n, 0 = no candidate\n"
    );
    let _ = writeln!(
        o,
        "{:>5} {:>5} {:>4} | {:>20} | {:>20} | {:>20}",
        "P/s", "duty%", "S/N", "FFA S/N", "FFT PALFA (flo 2 Hz)", "FFT flo 0.02 Hz"
    );
    for r in rows {
        let fft = |low: bool| {
            format!(
                "{:5.1} ({:5.1}) @{:<2}",
                r.fft_mean(low),
                r.fft1_mean(low),
                r.fft_harmonic(low)
            )
        };
        let _ = writeln!(
            o,
            "{:>5} {:>5.1} {:>4} | {:5.1} [{:5.1}, {:5.1}] | {:>20} | {:>20}",
            r.period_s,
            r.duty * 100.0,
            r.snr,
            r.ffa_mean(),
            r.ffa_min(),
            r.ffa_max(),
            fft(false),
            fft(true)
        );
    }
    let _ = writeln!(
        o,
        "\nInjected S/N at which the mean reaches the FFA's candidate threshold (S/N {FFA_THRESHOLD}) \
         and the FFT's fold threshold (sigma {DEFAULT_TO_PREPFOLD_SIGMA}); FFT sigma at injected S/N {QUOTE_SNR}:"
    );
    let _ = writeln!(
        o,
        "{:>5} {:>5} | {:>8} | {:>10} {:>10} | {:>12} {:>12}",
        "P/s", "duty%", "FFA→7", "PALFA→6", "lowflo→6", "PALFA σ@12", "lowflo σ@12"
    );
    let iq = SNRS.iter().position(|&s| s == QUOTE_SNR).unwrap_or(0);
    for chunk in rows.chunks(SNRS.len()) {
        let ffa: Vec<f64> = chunk.iter().map(Row::ffa_mean).collect();
        let pal: Vec<f64> = chunk.iter().map(|r| r.fft_mean(false)).collect();
        let low: Vec<f64> = chunk.iter().map(|r| r.fft_mean(true)).collect();
        let _ = writeln!(
            o,
            "{:>5} {:>5.1} | {:>8} | {:>10} {:>10} | {:>12.1} {:>12.1}",
            chunk[0].period_s,
            chunk[0].duty * 100.0,
            fmt_crossing(crossing(&ffa, FFA_THRESHOLD)),
            fmt_crossing(crossing(&pal, DEFAULT_TO_PREPFOLD_SIGMA)),
            fmt_crossing(crossing(&low, DEFAULT_TO_PREPFOLD_SIGMA)),
            pal[iq],
            low[iq]
        );
    }
}

/// Colour of each duty cycle's lines.
const COLOURS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
];

fn plot(path: &Path, rows: &[Row], seeds: usize) -> Res<()> {
    init_fonts();
    let err = |e: &dyn std::fmt::Display| format!("plotting {}: {e}", path.display());
    let (cols, nrows) = (3usize, PERIODS.len().div_ceil(3));
    let root = BitMapBackend::new(path, (600 * cols as u32, 480 * nrows as u32 + 60)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let body = root
        .titled(
            &format!(
                "Recovered vs injected S/N: FFA S/N (solid, bars: min-max) and FFT 16-harmonic sigma, \
                 flo {LOW_FLO_HZ} Hz (dashed); {N} × {} ms, mean of {seeds}",
                DT * 1e3
            ),
            (FONT, 24),
        )
        .map_err(|e| err(&e))?;
    let ymax = rows
        .iter()
        .flat_map(|r| [r.ffa_mean(), r.fft_mean(true)])
        .fold(SNRS[SNRS.len() - 1], f64::max)
        * 1.08;
    let xmax = SNRS[SNRS.len() - 1] + 1.0;
    for (p, panel) in body.split_evenly((nrows, cols)).iter().enumerate().take(PERIODS.len()) {
        let period_s = PERIODS[p];
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("P = {period_s} s"), (FONT, 22))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..xmax, 0.0..ymax)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("injected S/N")
            .y_desc("recovered S/N or sigma")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (xmax, xmax)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(|e| err(&e))?
            .label("y = x")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
        chart
            .draw_series(DashedLineSeries::new(
                [(0.0, FFA_THRESHOLD), (xmax, FFA_THRESHOLD)],
                3,
                5,
                BLACK.mix(0.3).stroke_width(1),
            ))
            .map_err(|e| err(&e))?;
        for (d, &duty) in DUTIES.iter().enumerate() {
            let colour = COLOURS[d];
            let sel: Vec<&Row> = rows
                .iter()
                .filter(|r| r.period_s == period_s && r.duty == duty)
                .collect();
            let ffa: Vec<(f64, f64)> = sel.iter().map(|r| (r.snr, r.ffa_mean())).collect();
            let fft: Vec<(f64, f64)> = sel.iter().map(|r| (r.snr, r.fft_mean(true))).collect();
            chart
                .draw_series(LineSeries::new(ffa.clone(), colour.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(format!("FFA, duty {} %", duty * 100.0))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
            chart
                .draw_series(ffa.iter().map(|&pt| Circle::new(pt, 3, colour.filled())))
                .map_err(|e| err(&e))?;
            // The FFA's range over the noise realisations.
            chart
                .draw_series(sel.iter().map(|r| {
                    PathElement::new(
                        [(r.snr, r.ffa_min()), (r.snr, r.ffa_max())],
                        colour.mix(0.6).stroke_width(1),
                    )
                }))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(DashedLineSeries::new(fft.clone(), 6, 4, colour.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(format!("FFT, duty {} %", duty * 100.0))
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 7, y)], colour.stroke_width(2)));
            chart
                .draw_series(fft.iter().map(|&pt| TriangleMarker::new(pt, 4, colour.filled())))
                .map_err(|e| err(&e))?;
        }
        if p == 0 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 13))
                .draw()
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
