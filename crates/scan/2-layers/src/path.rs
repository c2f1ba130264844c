//! Normalising tar member paths into image-relative paths.

/// Writes `raw` into `out` as an image-relative path: `/`-separated, no leading `/`, no
/// empty, `.` or `..` components. A `..` at the root stays at the root (as the kernel
/// resolves `/..`), so no path can name anything outside the image.
///
/// Returns true when such a `..` had to be clamped, i.e. the member tried to escape.
pub(crate) fn normalize_into(raw: &str, out: &mut String) -> bool {
    out.clear();
    let mut clamped = false;
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => match out.rfind('/') {
                Some(cut) => out.truncate(cut),
                None if out.is_empty() => clamped = true,
                None => out.clear(),
            },
            name => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(name);
            }
        }
    }
    clamped
}

/// The parent directory of a normalized path (`""` for top-level names and the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |cut| &path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> (String, bool) {
        let mut out = String::new();
        let clamped = normalize_into(raw, &mut out);
        (out, clamped)
    }

    #[test]
    fn strips_dots_slashes_and_leading_root() {
        assert_eq!(norm("./usr//lib/./x"), ("usr/lib/x".into(), false));
        assert_eq!(norm("/etc/passwd"), ("etc/passwd".into(), false));
        assert_eq!(norm("usr/lib/"), ("usr/lib".into(), false));
        assert_eq!(norm("./"), (String::new(), false));
        assert_eq!(norm("a/b/../c"), ("a/c".into(), false));
    }

    #[test]
    fn clamps_escapes_at_the_root() {
        assert_eq!(norm("../../etc/shadow"), ("etc/shadow".into(), true));
        assert_eq!(norm("a/../../b"), ("b".into(), true));
        assert_eq!(norm("/.."), (String::new(), true));
    }

    #[test]
    fn parent_of_paths() {
        assert_eq!(parent("a/b/c"), "a/b");
        assert_eq!(parent("a"), "");
    }
}
