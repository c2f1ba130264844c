//! Debian package versions, `[epoch:]upstream[-revision]`, ordered as dpkg's `verrevcmp`
//! (deb-version(7)): letters sort before non-letters, `~` before everything (even the end of
//! the string), and digit runs compare numerically.

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

/// A version split into its three parts (borrowed from the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpkgVersion<'a> {
    /// Digits only; empty when absent (epoch 0).
    pub epoch: &'a str,
    pub upstream: &'a str,
    /// Empty when absent; dpkg orders an absent revision like `0`.
    pub revision: &'a str,
}

fn error(version: &str, reason: &str) -> VersionError {
    VersionError::new(Scheme::Dpkg, version, reason)
}

/// Splits a version the way dpkg does. Only what dpkg itself rejects outright is an error
/// (empty string, whitespace, non-numeric epoch); [`validate`] applies the full policy.
pub fn parse(version: &str) -> Result<DpkgVersion<'_>, VersionError> {
    let trimmed = version.trim();
    if trimmed.is_empty() {
        return Err(error(version, "empty version"));
    }
    if trimmed.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(error(version, "embedded whitespace"));
    }
    let (epoch, rest) = match trimmed.split_once(':') {
        Some((epoch, rest)) => {
            if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error(version, "epoch is not a non-negative number"));
            }
            (epoch, rest)
        }
        None => ("", trimmed),
    };
    // Like apt, a `-` in the first position does not start a revision.
    let (upstream, revision) = match rest.rfind('-') {
        Some(i) if i > 0 => (&rest[..i], &rest[i + 1..]),
        _ => (rest, ""),
    };
    Ok(DpkgVersion {
        epoch,
        upstream,
        revision,
    })
}

/// Checks a version against deb-version(7): upstream starts with a digit and uses only
/// alphanumerics and `.+~-`; the revision uses alphanumerics and `.+~_` (dpkg only warns about
/// `_`, which RPM-style revisions such as `4.el6.x86_64` contain).
pub fn validate(version: &str) -> Result<(), VersionError> {
    let parsed = parse(version)?;
    if parsed.upstream.is_empty() {
        return Err(error(version, "empty upstream version"));
    }
    if !parsed.upstream.as_bytes()[0].is_ascii_digit() {
        return Err(error(
            version,
            "upstream version does not start with a digit",
        ));
    }
    if !parsed
        .upstream
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+~-".contains(&b))
    {
        return Err(error(version, "invalid character in upstream version"));
    }
    if version.trim().ends_with('-') {
        return Err(error(version, "empty revision"));
    }
    if !parsed
        .revision
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+~_".contains(&b))
    {
        return Err(error(version, "invalid character in revision"));
    }
    Ok(())
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(a.epoch.as_bytes(), b.epoch.as_bytes())
        .then_with(|| verrevcmp(a.upstream.as_bytes(), b.upstream.as_bytes()))
        .then_with(|| verrevcmp(a.revision.as_bytes(), b.revision.as_bytes())))
}

/// Sort weight of one character in a non-digit run; `None` is the end of the string.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
pub(crate) fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let non_digit = |s: &[u8], k: usize| s.get(k).is_some_and(|c| !c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while non_digit(a, i) || non_digit(b, j) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let a_end = i + crate::num::digit_run(&a[i.min(a.len())..]);
        let b_end = j + crate::num::digit_run(&b[j.min(b.len())..]);
        let ord = cmp_digits(&a[i.min(a.len())..a_end], &b[j.min(b.len())..b_end]);
        if ord != Ordering::Equal {
            return ord;
        }
        i = a_end;
        j = b_end;
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid dpkg versions")
    }

    #[test]
    fn epoch_wins_over_everything() {
        assert_eq!(cmp("1:0.1", "9.9-9"), Ordering::Greater);
        assert_eq!(cmp("0:1.0", "1.0"), Ordering::Equal);
    }

    #[test]
    fn tilde_sorts_before_end_and_letters_before_symbols() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(cmp("1.0~~", "1.0~"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0+"), Ordering::Less);
        assert_eq!(cmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(cmp("1.0.1", "1.0a"), Ordering::Greater);
    }

    #[test]
    fn digits_numeric_and_revision_last_dash() {
        assert_eq!(cmp("1.10", "1.9"), Ordering::Greater);
        assert_eq!(cmp("1.0-1ubuntu1", "1.0-1"), Ordering::Greater);
        assert_eq!(cmp("1.0-a-1", "1.0-a-2"), Ordering::Less);
        assert_eq!(cmp("1.0", "1.0-0"), Ordering::Equal);
    }

    #[test]
    fn invalid_versions_are_errors() {
        assert!(compare("", "1").is_err());
        assert!(compare("a:1", "1").is_err());
        assert!(validate("2:A7.4").is_err());
        assert!(validate("1.0-").is_err());
        assert!(validate("7.4.052-!1").is_err());
        assert!(validate("2:7.4.052-1ubuntu3.1").is_ok());
    }
}
