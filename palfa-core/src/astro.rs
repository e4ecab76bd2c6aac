//! Small astronomical helpers: dispersion delays and sky coordinates.

/// The dispersion constant \[s MHz² cm³ pc⁻¹\] used by PRESTO and SIGPROC.
pub const DM_CONST: f64 = 4.148808e3;

/// Speed of light \[m/s\].
pub const SPEED_OF_LIGHT: f64 = 299_792_458.0;

/// Seconds in a day.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// Dispersion delay \[s\] of a signal at `freq_mhz` relative to infinite
/// frequency, for dispersion measure `dm` \[pc cm⁻³\].
///
/// ```
/// let d = palfa_core::astro::dispersion_delay_s(100.0, 1400.0);
/// assert!((d - 0.2116738).abs() < 1e-6);
/// ```
pub fn dispersion_delay_s(dm: f64, freq_mhz: f64) -> f64 {
    DM_CONST * dm / (freq_mhz * freq_mhz)
}

/// Delay \[s\] at `freq_mhz` relative to `ref_mhz` (positive when `freq_mhz` is lower).
pub fn relative_delay_s(dm: f64, freq_mhz: f64, ref_mhz: f64) -> f64 {
    dispersion_delay_s(dm, freq_mhz) - dispersion_delay_s(dm, ref_mhz)
}

/// Dispersive smearing \[s\] across one channel of width `chan_bw_mhz` centred at `freq_mhz`.
pub fn channel_smearing_s(dm: f64, freq_mhz: f64, chan_bw_mhz: f64) -> f64 {
    2.0 * DM_CONST * dm * chan_bw_mhz.abs() / freq_mhz.powi(3)
}

/// Parses a sexagesimal string `[+-]dd:mm:ss.s` (or `hh:mm:ss.s`) into a number of
/// degrees (or hours). Missing fields count as zero. Returns `None` if it is not a number.
///
/// ```
/// use palfa_core::astro::parse_sexagesimal;
/// assert_eq!(parse_sexagesimal("-08:30:00"), Some(-8.5));
/// assert_eq!(parse_sexagesimal("12:30"), Some(12.5));
/// ```
pub fn parse_sexagesimal(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mut value = 0.0;
    let mut scale = 1.0;
    let mut fields = 0;
    for part in body.split(':') {
        let v: f64 = part.trim().parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        value += v / scale;
        scale *= 60.0;
        fields += 1;
        if fields > 3 {
            return None;
        }
    }
    Some(if neg { -value } else { value })
}

/// Formats a value in degrees or hours as `[-]dd:mm:ss.ssss` (`ndigits` fraction digits).
///
/// ```
/// assert_eq!(palfa_core::astro::format_sexagesimal(-8.5, 2, false), "-08:30:00.00");
/// ```
pub fn format_sexagesimal(value: f64, ndigits: usize, force_sign: bool) -> String {
    let neg = value < 0.0;
    let scale = 10f64.powi(ndigits as i32);
    // Round once, in units of the last printed digit, so 59.99999 s never prints as 60.
    let total = (value.abs() * 3600.0 * scale).round();
    let units_per_min = 60.0 * scale;
    let units_per_deg = 3600.0 * scale;
    let deg = (total / units_per_deg).floor();
    let rem = total - deg * units_per_deg;
    let min = (rem / units_per_min).floor();
    let sec = (rem - min * units_per_min) / scale;
    let sign = if neg {
        "-"
    } else if force_sign {
        "+"
    } else {
        ""
    };
    let width = if ndigits > 0 { ndigits + 3 } else { 2 };
    format!(
        "{sign}{:02}:{:02}:{:0width$.ndigits$}",
        deg as i64,
        min as i64,
        sec,
        width = width,
        ndigits = ndigits
    )
}

/// Converts SIGPROC's packed `hhmmss.s` / `ddmmss.s` doubles into hours or degrees.
///
/// ```
/// let h = palfa_core::astro::sigproc_angle_to_value(122637.6361);
/// assert!((h - (12.0 + 26.0 / 60.0 + 37.6361 / 3600.0)).abs() < 1e-9);
/// ```
pub fn sigproc_angle_to_value(packed: f64) -> f64 {
    let neg = packed < 0.0;
    let a = packed.abs();
    let dd = (a / 10_000.0).floor();
    let mm = ((a - dd * 10_000.0) / 100.0).floor();
    let ss = a - dd * 10_000.0 - mm * 100.0;
    let v = dd + mm / 60.0 + ss / 3600.0;
    if neg {
        -v
    } else {
        v
    }
}

/// The inverse of [`sigproc_angle_to_value`].
pub fn value_to_sigproc_angle(value: f64) -> f64 {
    let neg = value < 0.0;
    let a = value.abs();
    let dd = a.floor();
    let mm = ((a - dd) * 60.0).floor();
    let ss = (a - dd - mm / 60.0) * 3600.0;
    let packed = dd * 10_000.0 + mm * 100.0 + ss;
    if neg {
        -packed
    } else {
        packed
    }
}

/// Galactic longitude and latitude \[deg\] of a J2000 position \[deg\].
///
/// ```
/// // The Galactic centre: RA 266.405, Dec -28.936 → (l, b) ≈ (0, 0).
/// let (l, b) = palfa_core::astro::galactic(266.40499, -28.93617);
/// assert!((l.min(360.0 - l)).abs() < 0.01 && b.abs() < 0.01);
/// ```
pub fn galactic(ra_deg: f64, dec_deg: f64) -> (f64, f64) {
    let (ra_gp, dec_gp, l_ncp) = (192.859_48f64.to_radians(), 27.128_25f64.to_radians(), 122.931_92f64);
    let (ra, dec) = (ra_deg.to_radians(), dec_deg.to_radians());
    let sin_b = dec.sin() * dec_gp.sin() + dec.cos() * dec_gp.cos() * (ra - ra_gp).cos();
    let b = sin_b.clamp(-1.0, 1.0).asin();
    let y = dec.cos() * (ra - ra_gp).sin();
    let x = dec.sin() * dec_gp.cos() - dec.cos() * dec_gp.sin() * (ra - ra_gp).cos();
    let l = (l_ncp - y.atan2(x).to_degrees()).rem_euclid(360.0);
    (l, b.to_degrees())
}

/// Gregorian calendar date `(year, month, day)` of the UTC day holding `mjd`.
///
/// ```
/// assert_eq!(palfa_core::astro::mjd_to_date(60000.7), (2023, 2, 25));
/// assert_eq!(palfa_core::astro::mjd_to_date(51544.0), (2000, 1, 1));
/// ```
pub fn mjd_to_date(mjd: f64) -> (i64, u32, u32) {
    // Fliegel & Van Flandern (1968), on the Julian day number.
    let jdn = mjd.floor() as i64 + 2_400_001;
    let mut l = jdn + 68_569;
    let n = 4 * l / 146_097;
    l -= (146_097 * n + 3) / 4;
    let i = 4000 * (l + 1) / 1_461_001;
    l = l - 1461 * i / 4 + 31;
    let j = 80 * l / 2447;
    let day = l - 2447 * j / 80;
    l = j / 11;
    let month = j + 2 - 12 * l;
    let year = 100 * (n - 49) + i + l;
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sexagesimal_round_trip() {
        for v in [0.0, 12.345678, -0.5, -89.99999, 359.9] {
            let s = format_sexagesimal(v, 4, true);
            let back = parse_sexagesimal(&s).unwrap();
            assert!((back - v).abs() < 1e-7, "{v} -> {s} -> {back}");
        }
        assert_eq!(parse_sexagesimal("ab:cd"), None);
        assert_eq!(parse_sexagesimal(""), None);
        assert_eq!(format_sexagesimal(0.999999999, 2, false), "01:00:00.00");
    }

    #[test]
    fn sigproc_angles_round_trip() {
        for v in [12.443787, -8.795485, 0.0, 23.999] {
            let p = value_to_sigproc_angle(v);
            assert!((sigproc_angle_to_value(p) - v).abs() < 1e-9);
        }
    }

    #[test]
    fn delays() {
        // A DM of 1 delays 1 GHz by 4.148808 ms.
        assert!((dispersion_delay_s(1.0, 1000.0) - 4.148808e-3).abs() < 1e-12);
        assert!(relative_delay_s(10.0, 1200.0, 1500.0) > 0.0);
    }
}
