//! Composer / Packagist versions. A version is first normalised like composer/semver's
//! `VersionParser::normalize` (`v1.2` -> `1.2.0.0`, `1.0RC1` -> `1.0.0.0-RC1`,
//! `2.1-beta.2` -> `2.1.0.0-beta2`, `1.0-p1` -> `1.0.0.0-patch1`, `1.0.x-dev`-like
//! `1.0-dev` -> `1.0.0.0-dev`) and then ordered like PHP's `version_compare`, which gives
//! `dev` < `alpha` < `beta` < `RC` < release < `patch`/`pl`/`p`.
//!
//! Branch versions (`dev-main`) have no order and are rejected, as are date versions.

use std::cmp::Ordering;

use crate::num::{cmp_digits, digit_run};
use crate::{Scheme, VersionError};

fn error(version: &str, reason: &str) -> VersionError {
    VersionError::new(Scheme::Composer, version, reason)
}

/// composer/semver's stability spellings, longest first, with their normalised names.
const STABILITIES: [(&str, &str); 9] = [
    ("stable", ""),
    ("alpha", "alpha"),
    ("beta", "beta"),
    ("patch", "patch"),
    ("pl", "patch"),
    ("rc", "RC"),
    ("a", "alpha"),
    ("b", "beta"),
    ("p", "patch"),
];

/// Normalises to Composer's `M.m.p.b[-stabilityN][-dev]` form.
pub fn normalize(version: &str) -> Result<String, VersionError> {
    let mut text = version.trim();
    if let Some((main, _alias)) = text.split_once(" as ") {
        text = main.trim();
    }
    if let Some(at) = text.rfind('@') {
        text = &text[..at];
    }
    if text
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"dev-"))
    {
        return Err(error(version, "branch versions have no order"));
    }
    if let Some((main, _build)) = text.split_once('+') {
        text = main;
    }
    let bytes = text.as_bytes();
    let mut pos = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
    let mut parts: Vec<&str> = Vec::with_capacity(4);
    loop {
        let len = digit_run(&bytes[pos..]);
        if len == 0 || parts.len() == 4 {
            break;
        }
        parts.push(&text[pos..pos + len]);
        pos += len;
        if bytes.get(pos) == Some(&b'.') && bytes.get(pos + 1).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        } else {
            break;
        }
    }
    if parts.is_empty() || parts[0].len() > 5 {
        return Err(error(
            version,
            "not a Composer version (M[.m[.p[.b]]][-stability])",
        ));
    }
    let mut out = String::with_capacity(text.len() + 8);
    for i in 0..4 {
        if i > 0 {
            out.push('.');
        }
        out.push_str(parts.get(i).copied().unwrap_or("0"));
    }
    // modifier: [._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?([.-]?dev)?
    let rest = &text[pos..];
    let lower = rest.to_ascii_lowercase();
    let mut m = lower.as_str();
    let with_sep = m.strip_prefix(['.', '_', '-']).unwrap_or(m);
    if let Some((spelling, name)) = STABILITIES.iter().find(|(s, _)| with_sep.starts_with(s)) {
        m = &with_sep[spelling.len()..];
        let mut number = String::new();
        loop {
            let after_sep = m.strip_prefix(['.', '-']).unwrap_or(m);
            let len = digit_run(after_sep.as_bytes());
            if len == 0 {
                break;
            }
            number.push_str(&after_sep[..len]);
            m = &after_sep[len..];
        }
        if name.is_empty() {
            // Composer returns `stable` versions as they are, dropping any `-dev`.
            let dev = m.strip_prefix(['.', '-']).unwrap_or(m);
            return if m.is_empty() || dev == "dev" {
                Ok(out)
            } else {
                Err(error(version, "unexpected text after stability"))
            };
        }
        out.push('-');
        out.push_str(name);
        out.push_str(&number);
    }
    let dev_rest = m.strip_prefix(['.', '-']).unwrap_or(m);
    if dev_rest == "dev" || m == "dev" {
        out.push_str("-dev");
        m = "";
    }
    if !m.is_empty() {
        return Err(error(version, "unexpected text after version"));
    }
    Ok(out)
}

/// PHP's `version_compare` special forms; unknown words sort first.
fn special_form_order(part: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| part.starts_with(name))
        .map_or(-6, |(_, order)| *order)
}

/// Splits like PHP's canonicalisation: `-_+` and other symbols become `.`, and a `.` is
/// inserted between digit and non-digit runs.
fn php_parts(version: &str) -> impl Iterator<Item = &str> {
    let bytes = version.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() && !bytes[pos].is_ascii_alphanumeric() {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let digit = bytes[pos].is_ascii_digit();
        let start = pos;
        while pos < bytes.len()
            && bytes[pos].is_ascii_alphanumeric()
            && bytes[pos].is_ascii_digit() == digit
        {
            pos += 1;
        }
        Some(&version[start..pos])
    })
}

fn is_number(part: &str) -> bool {
    part.bytes().all(|b| b.is_ascii_digit())
}

fn cmp_part(a: &str, b: &str) -> Ordering {
    match (is_number(a), is_number(b)) {
        (true, true) => cmp_digits(a.as_bytes(), b.as_bytes()),
        (false, false) => special_form_order(a).cmp(&special_form_order(b)),
        (true, false) => special_form_order("#").cmp(&special_form_order(b)),
        (false, true) => special_form_order(a).cmp(&special_form_order("#")),
    }
}

/// PHP `version_compare` on two (already normalised) version strings.
fn php_version_compare(a: &str, b: &str) -> Ordering {
    let (mut ia, mut ib) = (php_parts(a), php_parts(b));
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (Some(x), Some(y)) => {
                let ord = cmp_part(x, y);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), None) if is_number(x) => return Ordering::Greater,
            (Some(x), None) => return cmp_part(x, "#"),
            (None, Some(y)) if is_number(y) => return Ordering::Less,
            (None, Some(y)) => return cmp_part("#", y),
        }
    }
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(php_version_compare(&normalize(a)?, &normalize(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid composer versions")
    }

    #[test]
    fn normalisation_matches_composer() {
        for (input, expected) in [
            ("1.0.0", "1.0.0.0"),
            ("v1.2", "1.2.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("1.0.0RC1", "1.0.0.0-RC1"),
            ("1.0.0-rc.1", "1.0.0.0-RC1"),
            ("2.1-beta.2", "2.1.0.0-beta2"),
            ("1.0.0-pl3", "1.0.0.0-patch3"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("1.0.0-beta1-dev", "1.0.0.0-beta1-dev"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0+build.1", "1.0.0.0"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
        assert!(normalize("dev-main").is_err());
        assert!(normalize("1.0.0-foo").is_err());
    }

    #[test]
    fn stability_order() {
        let ascending = [
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-beta1",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.1",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("v1.0", "1.0.0.0"), Ordering::Equal);
    }
}
