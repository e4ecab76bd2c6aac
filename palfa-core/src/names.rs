//! Strings from data files and servers made safe to name things on disk.
//!
//! A header field (PSRFITS `PROJID`, `SRC_NAME`, a SIGPROC `source_name`) or
//! a name a server sends is data, not a path: `../` in it must not reach a
//! file outside the directory it is joined to. [`path_component`] turns any
//! string into one plain file-name component.

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
