//! File names: strings from data files and servers made safe to name things
//! on disk, and PRESTO's naming of a series' files.
//!
//! A header field (PSRFITS `PROJID`, `SRC_NAME`, a SIGPROC `source_name`) or
//! a name a server sends is data, not a path: `../` in it must not reach a
//! file outside the directory it is joined to. [`path_component`] turns any
//! string into one plain file-name component.
//!
//! PRESTO names the files of one series by appending to a base name that has
//! dots of its own (`beam_DM12.30` → `beam_DM12.30.dat`, `.inf`, `.fft`,
//! `.singlepulse`, `_ACCEL_50`, `.pfd.png`), so `Path::with_extension` would
//! cut the DM: [`with_suffix`] appends, [`presto_base`] removes a known final
//! extension.

use std::path::{Path, PathBuf};

/// Extensions of a PRESTO series' own files, which [`presto_base`] removes.
pub const PRESTO_SERIES_EXTENSIONS: &[&str] = &[".dat", ".inf", ".fft", ".singlepulse"];

/// `base` with `suffix` appended as it is; nothing of `base` is replaced.
/// The suffix carries its own dot: `".inf"`, `"_ACCEL_50"`, `".pfd.png"`.
///
/// ```
/// use std::path::Path;
/// use palfa_core::names::with_suffix;
/// assert_eq!(with_suffix(Path::new("/d/beam_DM12.30"), ".inf"), Path::new("/d/beam_DM12.30.inf"));
/// assert_eq!(with_suffix(Path::new("x_DM1.00"), "_ACCEL_50.cand"), Path::new("x_DM1.00_ACCEL_50.cand"));
/// ```
pub fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The base name of a PRESTO series file: `path` without a final `.dat`,
/// `.inf`, `.fft` or `.singlepulse` ([`PRESTO_SERIES_EXTENSIONS`]); any
/// other path, a base name included, is returned as it is (DM decimals
/// survive).
///
/// ```
/// use std::path::Path;
/// use palfa_core::names::presto_base;
/// assert_eq!(presto_base(Path::new("/d/beam_DM12.30.dat")), Path::new("/d/beam_DM12.30"));
/// assert_eq!(presto_base(Path::new("beam_DM12.30")), Path::new("beam_DM12.30"));
/// ```
pub fn presto_base(path: &Path) -> PathBuf {
    let s = path.as_os_str().to_string_lossy();
    PRESTO_SERIES_EXTENSIONS
        .iter()
        .find_map(|ext| s.strip_suffix(ext))
        .map(PathBuf::from)
        .unwrap_or_else(|| path.to_path_buf())
}

/// Longest component made \[bytes\] (file systems allow 255).
pub const MAX_COMPONENT_BYTES: usize = 200;

/// `s` as a single, plain file-name component: every character other than an
/// ASCII letter, digit, `.`, `_`, `+` or `-` becomes `_`, a leading `.` (hidden
/// files, `.` and `..`) becomes `_`, and the result is cut to
/// [`MAX_COMPONENT_BYTES`]. An empty string gives `_`. Names that are already
/// plain are returned unchanged.
///
/// ```
/// use palfa_core::names::path_component;
/// assert_eq!(path_component("p2030"), "p2030");
/// assert_eq!(path_component("../../etc/passwd"), "_._.._etc_passwd");
/// assert_eq!(path_component(".."), "_.");
/// assert_eq!(path_component("a b/c\0"), "a_b_c_");
/// assert_eq!(path_component(""), "_");
/// ```
pub fn path_component(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_COMPONENT_BYTES)
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Whether `s` is already a plain component ([`path_component`] leaves it as it is).
pub fn is_plain_component(s: &str) -> bool {
    path_component(s) == s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_stay_one_component() {
        for s in [
            "../x",
            "/etc/passwd",
            "a/../../b",
            "..",
            ".",
            "\\..\\x",
            "x\0y",
            "\n",
            "...",
        ] {
            let c = path_component(s);
            assert!(
                !c.contains('/') && !c.contains('\\') && !c.starts_with('.'),
                "{s:?} -> {c:?}"
            );
            assert_eq!(std::path::Path::new(&c).components().count(), 1, "{s:?} -> {c:?}");
            assert!(matches!(
                std::path::Path::new(&c).components().next(),
                Some(std::path::Component::Normal(_))
            ));
        }
        assert_eq!(path_component(&"x".repeat(1000)).len(), MAX_COMPONENT_BYTES);
        assert!(is_plain_component("p2030.20260101.G45.07+00.11.b3.00100.fits"));
        assert!(!is_plain_component("../p2030"));
    }
}
