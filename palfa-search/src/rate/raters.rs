//! The raters. Each is a function of the fold's views; `docs/ratings.md`
//! gives the formulas and what pulsars, RFI and noise give.

use palfa_core::astro::DM_CONST;
use palfa_core::formats::presto::Pfd;

use super::gauss::{fit_many, fit_one, GaussFit};
use super::views::{FoldViews, Profile};
use super::{RateConfig, RaterInfo, Rating};
use crate::ffa::{boxcar_widths, BoxcarSnr};
use crate::known::{parse_dec, parse_ra, BeamPointing, KnownMatcher};
use palfa_core::formats::results::KnownPosition;

/// Every rater, in the order [`rate_pfd`](super::rate_pfd) returns them.
pub const RATERS: &[RaterInfo] = &[
    RaterInfo {
        name: "dm0_peak_ratio",
        version: 1,
        meaning: "peak (max − median) of the profile with the subbands not dedispersed over the peak at the best \
                  DM: about 1 for signals at DM 0 (terrestrial RFI), below 1 for dispersed pulsars",
    },
    RaterInfo {
        name: "dm0_std_ratio",
        version: 1,
        meaning: "standard deviation of the DM-0 profile over that of the best profile (as dm0_peak_ratio)",
    },
    RaterInfo {
        name: "dm0_chi2_ratio",
        version: 1,
        meaning: "χ² of the DM-0 profile over χ² of the best profile (as dm0_peak_ratio)",
    },
    RaterInfo {
        name: "duty_cycle",
        version: 1,
        meaning: "fraction of the profile's bins above halfway between its median and its maximum: small for \
                  pulsars, 0.3-0.5 for sinusoids and noise",
    },
    RaterInfo {
        name: "peak_over_rms",
        version: 1,
        meaning: "(max − median) of the profile over its standard deviation (all bins): large for narrow pulses, \
                  about 1.4 for a sinusoid, 2.5-3 for noise",
    },
    RaterInfo {
        name: "gaussian_amplitude",
        version: 1,
        meaning: "peak height of the best single-Gaussian fit [noise σ of one bin]",
    },
    RaterInfo {
        name: "gaussian_fwhm",
        version: 1,
        meaning: "full width at half maximum of the single-Gaussian fit [turns]",
    },
    RaterInfo {
        name: "gaussian_goodness",
        version: 1,
        meaning: "χ²/dof of the single-Gaussian fit: about 1 when one Gaussian describes the profile",
    },
    RaterInfo {
        name: "multigauss_number",
        version: 1,
        meaning: "Gaussian components the profile needs (0-5, each kept at a false-alarm probability of 1 % \
                  over the bins): 0 for noise",
    },
    RaterInfo {
        name: "multigauss_goodness",
        version: 1,
        meaning: "χ²/dof of the multi-Gaussian fit",
    },
    RaterInfo {
        name: "pulse_width_floor",
        version: 1,
        meaning: "the narrowest width the data allow (channel DM smearing and sampling; sampling alone for a \
                  fold of one channel) over the narrowest component's FWHM: below 1 for real pulses, above 1 for \
                  a pulse narrower than possible",
    },
    RaterInfo {
        name: "good_subbands_fraction",
        version: 1,
        meaning: "fraction of subbands whose on-pulse S/N reaches half their share of a broadband signal: near \
                  1 for pulsars, small for narrowband RFI",
    },
    RaterInfo {
        name: "subbands_snr_scatter",
        version: 1,
        meaning: "standard deviation of the subbands' on-pulse S/N: about 1 for broadband signals and noise, \
                  large when a few subbands hold the signal",
    },
    RaterInfo {
        name: "good_subints_fraction",
        version: 1,
        meaning: "fraction of sub-integrations whose on-pulse S/N reaches half their share of a steady signal: \
                  near 1 for pulsars, small for bursts",
    },
    RaterInfo {
        name: "subints_snr_scatter",
        version: 1,
        meaning: "standard deviation of the sub-integrations' on-pulse S/N: about 1 for steady signals and \
                  noise, large when a few sub-integrations hold the signal",
    },
    RaterInfo {
        name: "profile_snr",
        version: 1,
        meaning: "matched-filter S/N of the best profile: the best boxcar (widths 1 bin to half the profile, \
                  steps of 1.5) against the zero-mean unit-norm template, noise from the data's variance \
                  (DOF-corrected); the FFA's statistic, more sensitive than χ² to narrow pulses",
    },
    RaterInfo {
        name: "mains_closeness",
        version: 1,
        meaning: "2^(−d/0.001), d the fractional distance of the fold frequency from the nearest mains ratio \
                  mains·a/b (a + b ≤ 9): 1 on a mains harmonic, 0.5 at 0.1 % off",
    },
    RaterInfo {
        name: "known_pulsar",
        version: 1,
        meaning: "1 when the fold is a catalogued pulsar in the beam or a rational harmonic n/m of one \
                  (docs/known-pulsars.md), 0.5 for a bright pulsar in a far sidelobe, 0 otherwise",
    },
];

/// Rates one fold: one rating per entry of [`RATERS`].
pub(crate) fn rate(pfd: &Pfd, v: &FoldViews, cfg: &RateConfig) -> Vec<Rating> {
    let dof_corr = v.summary.dof_corr;
    let scaled = v.best.scaled(dof_corr);
    let one = scaled.as_deref().and_then(fit_one);
    let many = scaled.as_deref().and_then(fit_many);
    let window = many.as_ref().and_then(|m| on_pulse(m, pfd.proflen));
    let dm0 = v.dm0.as_ref();
    let ratio = |f: fn(&[f64]) -> f64| {
        dm0.and_then(|d| {
            let b = f(&v.best.values);
            (b > 0.0).then(|| f(&d.values) / b)
        })
    };
    let chi2_ratio = dm0.and_then(|d| {
        let b = v.best.chi2();
        (b > 0.0).then(|| d.chi2() / b)
    });
    let (sub_frac, sub_scatter) = rows(&v.subbands, window.as_deref(), dof_corr);
    let (int_frac, int_scatter) = rows(&v.subints, window.as_deref(), dof_corr);
    let values = [
        ratio(peak),
        ratio(std_dev),
        chi2_ratio,
        duty_cycle(&v.best.values),
        peak_over_rms(&v.best.values),
        one.as_ref().map(|f| f.components[0].amp),
        one.as_ref().map(|f| f.components[0].fwhm),
        one.as_ref().map(GaussFit::reduced_chi2),
        many.as_ref().map(|f| f.components.len() as f64),
        many.as_ref().map(GaussFit::reduced_chi2),
        many.as_ref().and_then(|f| width_floor(pfd, v, f)),
        sub_frac,
        sub_scatter,
        int_frac,
        int_scatter,
        scaled.as_deref().map(profile_snr),
        mains_closeness(1.0 / v.summary.period_s, cfg.mains_hz),
        known_pulsar(pfd, v, cfg),
    ];
    RATERS
        .iter()
        .zip(values)
        .map(|(r, value)| Rating {
            name: r.name.to_string(),
            version: r.version,
            value: value.filter(|x| x.is_finite()),
        })
        .collect()
}

/// The best boxcar S/N of a profile scaled to unit noise per bin.
fn profile_snr(scaled: &[f64]) -> f64 {
    let n = scaled.len();
    if n < 2 {
        return 0.0;
    }
    let prof: Vec<f32> = scaled.iter().map(|&x| x as f32).collect();
    let widths = boxcar_widths(n, 0.5, 1.5);
    let mut snr = vec![0.0f32; widths.len()];
    BoxcarSnr::new(widths).snr(&prof, 1.0, &mut snr);
    f64::from(snr.iter().copied().fold(f32::NEG_INFINITY, f32::max))
}

fn median(x: &[f64]) -> f64 {
    let mut s = x.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

fn max(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

fn std_dev(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt()
}

fn peak(x: &[f64]) -> f64 {
    max(x) - median(x)
}

fn duty_cycle(x: &[f64]) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    let thr = 0.5 * (max(x) + median(x));
    Some(x.iter().filter(|&&v| v > thr).count() as f64 / x.len() as f64)
}

fn peak_over_rms(x: &[f64]) -> Option<f64> {
    let sd = std_dev(x);
    (sd > 0.0).then(|| peak(x) / sd)
}

/// Smearing floor over the narrowest fitted width.
fn width_floor(pfd: &Pfd, v: &FoldViews, fit: &GaussFit) -> Option<f64> {
    let fwhm = fit.min_fwhm()?;
    if v.summary.period_s <= 0.0 {
        return None;
    }
    let fctr = 0.5 * (pfd.lofreq + pfd.hifreq());
    // Dispersion smearing across one channel [s]: 2·K·DM·Δν/f³. A fold of a
    // dedispersed series (one channel) does not record the channels it was
    // made from: sampling alone.
    let t_dm = if pfd.numchan > 1 && fctr > 0.0 {
        2.0 * DM_CONST * v.summary.dm.abs() * pfd.chan_wid.abs() / fctr.powi(3)
    } else {
        0.0
    };
    let w_min = (t_dm * t_dm + pfd.dt * pfd.dt).sqrt() / v.summary.period_s;
    Some(w_min / fwhm)
}

/// The on-pulse bins: where the multi-Gaussian model rises above a tenth of
/// its peak over the offset, at most half the bins (the highest of the
/// model): a window covering every bin would hold no S/N at all, since each
/// row is measured from its own mean.
fn on_pulse(fit: &GaussFit, n: usize) -> Option<Vec<bool>> {
    if fit.components.is_empty() {
        return None;
    }
    let excess: Vec<f64> = fit.model(n).iter().map(|m| m - fit.offset).collect();
    let peak = excess.iter().copied().fold(0.0, f64::max);
    if peak <= 0.0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).filter(|&i| excess[i] >= 0.1 * peak).collect();
    order.sort_by(|&a, &b| excess[b].total_cmp(&excess[a]));
    order.truncate((n / 2).max(1));
    let mut on = vec![false; n];
    for i in order {
        on[i] = true;
    }
    Some(on)
}

/// The fraction of rows whose on-pulse S/N reaches half their share of the
/// summed S/N, and the standard deviation of the rows' S/N. Rows without
/// noise (masked) are left out.
fn rows(rows: &[Profile], window: Option<&[bool]>, dof_corr: f64) -> (Option<f64>, Option<f64>) {
    let Some(on) = window else { return (None, None) };
    let n_on = on.iter().filter(|&&o| o).count() as f64;
    let snr = |z: &[f64]| z.iter().zip(on).filter(|(_, &o)| o).map(|(v, _)| v).sum::<f64>() / n_on.sqrt();
    let snrs: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.scaled(dof_corr))
        .map(|z| snr(&z))
        .collect();
    if snrs.len() < 2 {
        return (None, None);
    }
    let k = snrs.len() as f64;
    // The summed profile's S/N is Σ snr_i/√k: a signal shared equally gives each row total/√k.
    let total = snrs.iter().sum::<f64>() / k.sqrt();
    let share = total / k.sqrt();
    let good = snrs.iter().filter(|&&s| s >= 0.5 * share).count() as f64 / k;
    (Some(good), Some(std_dev(&snrs)))
}

/// 1 (main beam), 0.5 (far sidelobe) or 0 (no catalogued pulsar) for the
/// fold's frequency and DM at the position and epoch in its header; `None`
/// when the header has no position or epoch, or no catalogue is configured.
fn known_pulsar(pfd: &Pfd, v: &FoldViews, cfg: &RateConfig) -> Option<f64> {
    let (params, cat) = cfg.known.as_ref()?;
    let beam = BeamPointing {
        ra_deg: parse_ra(&pfd.rastr)?,
        dec_deg: parse_dec(&pfd.decstr)?,
        // Topocentric epoch, else (a barycentred series) the barycentric one.
        mjd: [pfd.tepoch, pfd.bepoch].into_iter().find(|&t| t > 0.0)?,
        duration_s: v.summary.data_folded * pfd.dt,
    };
    let tag = KnownMatcher::new(cat, params, beam).match_candidate(1.0 / v.summary.period_s, v.summary.dm);
    Some(match tag.map(|t| t.position) {
        Some(KnownPosition::Main) => 1.0,
        Some(KnownPosition::FarSidelobe) => 0.5,
        None => 0.0,
    })
}

/// 2^(−d/0.001), d = min over a + b ≤ 9 of 2|f − r|/(f + r), r = mains·a/b.
fn mains_closeness(f: f64, mains: f64) -> Option<f64> {
    if !(f > 0.0 && mains > 0.0) {
        return None;
    }
    let mut d = f64::INFINITY;
    for a in 1..=8 {
        for b in 1..=(9 - a) {
            let r = mains * a as f64 / b as f64;
            d = d.min(2.0 * (f - r).abs() / (f + r));
        }
    }
    Some((-d / 1e-3).exp2())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mains_closeness_is_one_on_a_ratio_and_half_at_a_tenth_of_a_percent() {
        assert_eq!(mains_closeness(60.0, 60.0), Some(1.0));
        assert_eq!(mains_closeness(20.0, 60.0), Some(1.0));
        let f = 120.0 * (1.0 + 1e-3);
        let v = mains_closeness(f, 60.0).unwrap();
        assert!((v - 0.5).abs() < 0.01, "{v}");
        // 196 Hz: 7 % from 180 and 210 Hz.
        assert!(mains_closeness(196.08, 60.0).unwrap() < 1e-6);
        // An MSP at 240.5 Hz is 0.2 % from 4 × 60 Hz.
        assert!((0.1..0.3).contains(&mains_closeness(1.0 / 0.0041573, 60.0).unwrap()));
    }

    #[test]
    fn simple_shapes() {
        let n = 64;
        let sine: Vec<f64> = (0..n)
            .map(|i| (std::f64::consts::TAU * i as f64 / n as f64).sin())
            .collect();
        let por = peak_over_rms(&sine).unwrap();
        assert!((por - 2f64.sqrt()).abs() < 0.05, "{por}");
        let dc = duty_cycle(&sine).unwrap();
        assert!((0.3..0.4).contains(&dc), "{dc}");
        let mut spike = vec![0.0; n];
        spike[10] = 1.0;
        assert_eq!(duty_cycle(&spike), Some(1.0 / n as f64));
    }
}
