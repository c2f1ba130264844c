//! RPM versions, `[epoch:]version[-release]`, ordered like rpm's `rpmvercmp` applied to
//! epoch, version and release in turn (rpmdev-vercmp / labelCompare). Separators only split
//! segments; `~` sorts before anything (pre-releases) and `^` after the base but before any
//! further segment (post-release snapshots).

use std::cmp::Ordering;

use crate::num::cmp_digits;
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpmVersion<'a> {
    /// Digits; empty when absent (epoch 0).
    pub epoch: &'a str,
    pub version: &'a str,
    /// Empty when absent.
    pub release: &'a str,
}

/// Splits `[epoch:]version[-release]`; the epoch must be numeric.
pub fn parse(evr: &str) -> Result<RpmVersion<'_>, VersionError> {
    let trimmed = evr.trim();
    let (epoch, rest) = match trimmed.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => (epoch, rest),
        Some(_) => {
            return Err(VersionError::new(Scheme::Rpm, evr, "epoch is not a number"));
        }
        None => ("", trimmed),
    };
    let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
    Ok(RpmVersion {
        epoch,
        version,
        release,
    })
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(a.epoch.as_bytes(), b.epoch.as_bytes())
        .then_with(|| rpmvercmp(a.version.as_bytes(), b.version.as_bytes()))
        .then_with(|| rpmvercmp(a.release.as_bytes(), b.release.as_bytes())))
}

/// rpm's `rpmvercmp` on one field (no epoch/release split).
pub fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let is_separator = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    let (mut one, mut two) = (a, b);
    while !one.is_empty() || !two.is_empty() {
        while one.first().is_some_and(|&c| is_separator(c)) {
            one = &one[1..];
        }
        while two.first().is_some_and(|&c| is_separator(c)) {
            two = &two[1..];
        }
        let (c1, c2) = (one.first().copied(), two.first().copied());
        if c1 == Some(b'~') || c2 == Some(b'~') {
            if c1 != Some(b'~') {
                return Ordering::Greater;
            }
            if c2 != Some(b'~') {
                return Ordering::Less;
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        if c1 == Some(b'^') || c2 == Some(b'^') {
            match (c1, c2) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            one = &one[1..];
            two = &two[1..];
            continue;
        }
        let (Some(first), Some(_)) = (c1, c2) else {
            break;
        };
        let numeric = first.is_ascii_digit();
        let segment_len = |s: &[u8]| {
            s.iter()
                .position(|c| {
                    if numeric {
                        !c.is_ascii_digit()
                    } else {
                        !c.is_ascii_alphabetic()
                    }
                })
                .unwrap_or(s.len())
        };
        let (len1, len2) = (segment_len(one), segment_len(two));
        if len2 == 0 {
            // Different segment types: numeric is newer than alphabetic.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (seg1, seg2) = (&one[..len1], &two[..len2]);
        let ord = if numeric {
            cmp_digits(seg1, seg2)
        } else {
            seg1.cmp(seg2)
        };
        if ord != Ordering::Equal {
            return ord;
        }
        one = &one[len1..];
        two = &two[len2..];
    }
    match (one.is_empty(), two.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vercmp(a: &str, b: &str) -> Ordering {
        rpmvercmp(a.as_bytes(), b.as_bytes())
    }

    #[test]
    fn segments_and_separators() {
        assert_eq!(vercmp("1.0010", "1.9"), Ordering::Greater);
        assert_eq!(vercmp("1.05", "1.5"), Ordering::Equal);
        assert_eq!(vercmp("2.0.1a", "2.0.1"), Ordering::Greater);
        assert_eq!(vercmp("5.5p1", "5.5p10"), Ordering::Less);
        assert_eq!(vercmp("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(vercmp("a+", "a_"), Ordering::Equal);
        assert_eq!(vercmp("10b2", "10a1"), Ordering::Greater);
    }

    #[test]
    fn tilde_and_caret() {
        assert_eq!(vercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(vercmp("1.0~rc1", "1.0~rc2"), Ordering::Less);
        assert_eq!(vercmp("1.0^", "1.0"), Ordering::Greater);
        assert_eq!(vercmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(vercmp("1.0^git1~pre", "1.0^git1"), Ordering::Less);
    }

    #[test]
    fn epoch_and_release() {
        assert_eq!(compare("1:1.0-1", "2.0-1"), Ok(Ordering::Greater));
        assert_eq!(compare("1.0-2.el8", "1.0-10.el8"), Ok(Ordering::Less));
        assert_eq!(compare("0:1.0-1", "1.0-1"), Ok(Ordering::Equal));
        assert!(compare("x:1.0", "1.0").is_err());
    }
}
