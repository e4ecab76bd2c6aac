//! Timestamps as stored in the database: UTC, ISO 8601, millisecond precision
//! (`2026-01-01T12:00:00.000Z`). They sort as text and SQLite's date functions
//! read them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current time as a database timestamp.
pub fn now() -> String {
    format_time(SystemTime::now())
}

/// Formats a time as a database timestamp (times before 1970 are clamped to it).
pub fn format_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, dd) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Reads a database timestamp back (`None` if it is not one).
pub fn parse_time(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b.len() >= 23 && b[19] == b'.' {
        num(20..23)?
    } else {
        0
    };
    let days = days_from_civil(y as i64, mo as u32, d as u32);
    let secs = days.checked_mul(86_400)? + (h * 3600 + mi * 60 + se) as i64;
    let secs = u64::try_from(secs).ok()?;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(ms))
}

/// Seconds from `stamp` to now (0 if it is in the future or unreadable).
pub fn age_s(stamp: &str) -> f64 {
    parse_time(stamp)
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Year, month, day of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_709_210_096_789); // 2024-02-29 12:34:56.789
        assert_eq!(format_time(t), "2024-02-29T12:34:56.789Z");
        assert_eq!(parse_time("2024-02-29T12:34:56.789Z"), Some(t));
        assert_eq!(parse_time("garbage"), None);
    }

    #[test]
    fn round_trip_now() {
        let s = now();
        let back = format_time(parse_time(&s).unwrap());
        assert_eq!(s, back);
        assert!(age_s(&s) < 5.0);
    }
}
