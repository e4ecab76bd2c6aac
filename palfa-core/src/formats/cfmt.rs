//! C's `printf` number formats, for the text files whose layout PRESTO's C
//! code defines (`.bestprof`, `.inf`, `.zaplist`).

/// C's `%.<prec>g`: `prec` significant digits (0 counts as 1), in fixed
/// notation when the decimal exponent `X` of the rounded value satisfies
/// `-4 <= X < prec`, else in exponent notation with a sign and at least two
/// exponent digits; trailing zeros (and a trailing `.`) removed. Ties round
/// to even on the exact binary value, as glibc does. Non-finite values are
/// `nan`, `-nan`, `inf` and `-inf`.
///
/// ```
/// use palfa_core::formats::cfmt::g;
/// assert_eq!(g(1234567.0, 6), "1.23457e+06");
/// assert_eq!(g(0.0001, 6), "0.0001");
/// assert_eq!(g(1e-5, 6), "1e-05");
/// assert_eq!(g(9.9999995, 6), "10");
/// ```
pub fn g(v: f64, prec: usize) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let p = prec.max(1);
    // The exponent C would print after rounding to p significant digits.
    let e_form = format!("{:.*e}", p - 1, v);
    let (mant, exp) = e_form.split_once('e').unwrap_or((&e_form, "0"));
    let x: i32 = exp.parse().unwrap_or(0);
    if x < -4 || x >= p as i32 {
        let sign = if x < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", strip_zeros(mant), x.unsigned_abs())
    } else {
        let decimals = (p as i32 - 1 - x).max(0) as usize;
        strip_zeros(&format!("{v:.decimals$}")).to_string()
    }
}

/// `%.15g` when that reads back as exactly `v`, else `%.17g` (which always
/// does): C's form, without losing a bit when the file is read again.
///
/// ```
/// use palfa_core::formats::cfmt::g_lossless;
/// assert_eq!(g_lossless(6.5476e-5), "6.5476e-05");
/// assert_eq!(g_lossless(0.1 + 0.2), "0.30000000000000004");
/// ```
pub fn g_lossless(v: f64) -> String {
    let short = g(v, 15);
    if !v.is_finite() || short.parse::<f64>().ok() == Some(v) {
        short
    } else {
        g(v, 17)
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What glibc's `printf("%.*g", prec, v)` prints (checked with a C program).
    const C_PRINTS: &[(f64, usize, &str)] = &[
        (0.0, 6, "0"),
        (-0.0, 6, "-0"),
        (0.0, 15, "0"),
        (-1.5, 6, "-1.5"),
        (-1.5, 0, "-2"),
        (1e-5, 6, "1e-05"),
        (1e-5, 15, "1e-05"),
        (1e-5, 17, "1.0000000000000001e-05"),
        (9.9999999e-5, 6, "0.0001"),
        (9.9999999e-5, 15, "9.9999999e-05"),
        (123456.0, 6, "123456"),
        (123456.0, 3, "1.23e+05"),
        (1234567.0, 6, "1.23457e+06"),
        (1234567.0, 7, "1234567"),
        (0.0001, 6, "0.0001"),
        (0.0001, 1, "0.0001"),
        (0.00001234, 3, "1.23e-05"),
        (1e21, 6, "1e+21"),
        (1e21, 17, "1e+21"),
        (1e15, 15, "1e+15"),
        (1e16, 17, "10000000000000000"),
        (100000.0, 6, "100000"),
        (9.9999995, 6, "10"),
        (9.9999995, 7, "9.999999"),
        (9.9999995, 8, "9.9999995"),
        (9.9999994, 7, "9.999999"),
        (0.125, 2, "0.12"),
        (2.5, 1, "2"),
        (999999.5, 6, "1e+06"),
        (999999.5, 7, "999999.5"),
        (45.8040951775624, 15, "45.8040951775624"),
        (8.192e-05, 6, "8.192e-05"),
        (-6.89966517686707e-11, 15, "-6.89966517686707e-11"),
        (123456789.0, 3, "1.23e+08"),
        (0.1, 17, "0.10000000000000001"),
        (1.0 / 3.0, 6, "0.333333"),
        // The values of PRESTO .bestprof files.
        (4.77237e-05, 6, "4.77237e-05"),
        (7551407.22919222, 15, "7551407.22919222"),
        (2.9e-25, 3, "2.9e-25"),
        (0.0, 3, "0"),
        (24.99999, 7, "24.99999"),
        (33.0, 7, "33"),
        (7548330.0, 7, "7548330"),
        (1.61883098211825e-18, 15, "1.61883098211825e-18"),
        (0.0001, 3, "0.0001"),
    ];

    #[test]
    fn matches_c_printf() {
        for &(v, prec, want) in C_PRINTS {
            assert_eq!(g(v, prec), want, "%.{prec}g of {v:e}");
        }
    }

    #[test]
    fn non_finite_values_as_c() {
        for prec in [0, 6, 15] {
            assert_eq!(g(f64::NAN, prec), "nan");
            assert_eq!(g(-f64::NAN, prec), "-nan");
            assert_eq!(g(f64::INFINITY, prec), "inf");
            assert_eq!(g(f64::NEG_INFINITY, prec), "-inf");
        }
    }

    #[test]
    fn lossless_reads_back_exactly() {
        for v in [
            6.5476e-5,
            0.1 + 0.2,
            2.097152,
            1e-7,
            1e21,
            1.0 / 3.0,
            -430.123_456_789_012_3,
        ] {
            assert_eq!(g_lossless(v).parse::<f64>().unwrap(), v, "{v}");
        }
        assert_eq!(g_lossless(1e-7), "1e-07");
        assert_eq!(g_lossless(2.097152), "2.097152");
    }
}
