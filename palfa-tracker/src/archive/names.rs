//! Checks on names that come from the archive, before they touch the disk.

/// Why a name from the archive was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused remote name {shown}: {why}")]
pub struct BadName {
    /// The name as received, with control characters escaped.
    pub shown: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Longest name accepted \[bytes\] (most file systems allow 255).
pub const MAX_NAME_BYTES: usize = 255;

/// Checks that `name` is a single, ordinary path component: not empty, at
/// most [`MAX_NAME_BYTES`] bytes, no `/`, `\`, NUL or other control
/// character, no `..`, and no leading `.` (which also refuses `.` and `..`
/// and hidden files, and keeps `<name>.part` distinct from every real name).
///
/// ```
/// use palfa_tracker::archive::check_remote_name;
/// assert!(check_remote_name("p2030.20120101.G1.b0s0g0.00000.fits").is_ok());
/// for bad in ["../escape.fits", "a/b", "a\\b", ".hidden", "..", "", "x\0y", "x\ny"] {
///     assert!(check_remote_name(bad).is_err(), "{bad:?}");
/// }
/// ```
pub fn check_remote_name(name: &str) -> Result<(), BadName> {
    let bad = |why| {
        Err(BadName {
            shown: shown(name),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return bad("longer than 255 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("contains a path separator");
    }
    if name.contains("..") {
        return bad("contains `..`");
    }
    if name.starts_with('.') {
        return bad("starts with `.`");
    }
    if name.chars().any(|c| c == '\0') {
        return bad("contains a NUL");
    }
    if name.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if name.ends_with(".part") {
        return bad("ends with `.part` (the downloader's partial-file suffix)");
    }
    Ok(())
}

/// A name as it can be logged: quoted, with control characters escaped.
pub fn shown(name: &str) -> String {
    format!("{:?}", truncate(name, 300))
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_shapes() {
        for bad in [
            "../escape.fits",
            "..",
            ".",
            "/etc/passwd",
            "a/../b",
            "dir\\file",
            "nul\0byte",
            "bell\x07",
            "tab\tname",
            ".bashrc",
            "x.fits.part",
        ] {
            let e = check_remote_name(bad).unwrap_err();
            assert!(!e.to_string().contains('\0'), "{e}");
        }
        check_remote_name(&"a".repeat(255)).unwrap();
        assert!(check_remote_name(&"a".repeat(256)).is_err());
        check_remote_name("4bit-p2030.20120101.G1.b0s0g0.00000.fits").unwrap();
        check_remote_name("beam with space.fits").unwrap();
    }
}
