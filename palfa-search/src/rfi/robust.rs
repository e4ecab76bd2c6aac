//! Robust summaries of the cell statistics: medians and trimmed means, as
//! PRESTO's `calc_avgmedstd` (`src/mask.c`) computes them.

/// Mean, median and standard deviation of a set of values, the mean and
/// standard deviation taken over its central part only.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct AvgMedStd {
    /// Mean of the central `fraction` of the sorted values.
    pub avg: f64,
    /// Median: element `n / 2` of the sorted values (PRESTO's choice).
    pub med: f64,
    /// Sample standard deviation of the central `fraction`.
    pub std: f64,
}

impl AvgMedStd {
    /// All NaN: the summary of no values.
    pub const NAN: Self = Self {
        avg: f64::NAN,
        med: f64::NAN,
        std: f64::NAN,
    };
}

/// PRESTO's `calc_avgmedstd`: sorts the finite values (in place), takes the
/// median as element `n / 2`, and the mean and standard deviation of the central
/// `round(n · fraction)` values. NaN summaries for no values.
pub fn avg_med_std(values: &mut Vec<f32>, fraction: f64) -> AvgMedStd {
    values.retain(|v| v.is_finite());
    let n = values.len();
    if n == 0 {
        return AvgMedStd::NAN;
    }
    values.sort_unstable_by(f32::total_cmp);
    let len = ((n as f64 * fraction + 0.5) as usize).clamp(1, n);
    let start = (n - len) / 2;
    let (avg, var) = mean_var(&values[start..start + len]);
    AvgMedStd {
        avg,
        med: values[n / 2] as f64,
        std: var.sqrt(),
    }
}

/// Median (element `n / 2` after sorting) of the finite values, reordering them; NaN if none.
pub fn median(values: &mut Vec<f32>) -> f64 {
    values.retain(|v| v.is_finite());
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    let (_, m, _) = values.select_nth_unstable_by(n / 2, f32::total_cmp);
    *m as f64
}

/// Mean and sample variance (`n − 1` in the denominator, 0 for one value).
pub fn mean_var(x: &[f32]) -> (f64, f64) {
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    if x.len() == 1 {
        return (mean, 0.0);
    }
    let ss: f64 = x.iter().map(|&v| (v as f64 - mean).powi(2)).sum();
    (mean, ss / (n - 1.0))
}

/// Mean of the central `fraction` of the values (sorted in place); NaN if none.
pub fn trimmed_mean(values: &mut [f32], fraction: f64) -> f64 {
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    values.sort_unstable_by(f32::total_cmp);
    let len = ((n as f64 * fraction + 0.5) as usize).clamp(1, n);
    let start = (n - len) / 2;
    mean_var(&values[start..start + len]).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_fraction_ignores_outliers() {
        let mut v: Vec<f32> = (0..100).map(|i| i as f32).collect();
        v.push(1e9);
        v.push(f32::NAN);
        let s = avg_med_std(&mut v, 0.8);
        assert_eq!(s.med, 50.0);
        // Central 81 of 101 values: 10..=90.
        assert!((s.avg - 50.0).abs() < 1e-9, "{s:?}");
        assert!(s.std < 30.0);
        assert!(avg_med_std(&mut vec![f32::NAN], 0.5).med.is_nan());
    }

    #[test]
    fn medians_and_trimmed_means() {
        assert_eq!(median(&mut vec![3.0, 1.0, 2.0, f32::INFINITY]), 2.0);
        assert!((trimmed_mean(&mut [1.0, 2.0, 3.0, 4.0, 1000.0], 0.6) - 3.0).abs() < 1e-12);
        let (m, v) = mean_var(&[1.0, 2.0, 3.0]);
        assert_eq!((m, v), (2.0, 1.0));
    }
}
