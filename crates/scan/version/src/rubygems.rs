//! RubyGems versions (`Gem::Version`): dot-separated segments, each a run of digits or of
//! letters (`1.0.0.pre1` has segments 1, 0, 0, "pre", 1). A letter segment makes the version
//! a pre-release: it sorts before numbers. `-` is read as `.pre.` as RubyGems does. Trailing
//! zeros of the release part and of the pre-release part are ignored (`1.0` == `1`).

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_zero};
use crate::{Scheme, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment<'a> {
    Number(&'a [u8]),
    Text(&'a [u8]),
}

impl Segment<'_> {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(d) if is_zero(d))
    }
}

const PRE: &[u8] = b"pre";

fn validate_text(version: &str) -> Result<&str, VersionError> {
    let text = version.trim();
    let err = |reason| Err(VersionError::new(Scheme::RubyGems, version, reason));
    // Gem::Version::ANCHORED_VERSION_PATTERN: [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
    let (release, pre) = text.split_once('-').unwrap_or((text, ""));
    let mut parts = release.split('.');
    match parts.next() {
        Some(first) if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) => {}
        _ => return err("must start with a number"),
    }
    if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
        return err("invalid segment");
    }
    if text.contains('-')
        && !pre
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return err("invalid pre-release segment");
    }
    Ok(text)
}

/// Canonical segments: release part and pre-release part, each without trailing zeros.
fn canonical_segments(text: &str) -> Vec<Segment<'_>> {
    let bytes = text.as_bytes();
    let mut segments = Vec::with_capacity(8);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' {
            segments.push(Segment::Text(PRE));
            i += 1;
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let digit = c.is_ascii_digit();
        let len = bytes[i..]
            .iter()
            .position(|b| b.is_ascii_digit() != digit || !b.is_ascii_alphanumeric())
            .unwrap_or(bytes.len() - i);
        let run = &bytes[i..i + len];
        segments.push(if digit {
            Segment::Number(run)
        } else {
            Segment::Text(run)
        });
        i += len;
    }
    let first_text = segments
        .iter()
        .position(|s| matches!(s, Segment::Text(_)))
        .unwrap_or(segments.len());
    let mut release_end = first_text;
    while release_end > 0 && segments[release_end - 1].is_zero() {
        release_end -= 1;
    }
    segments.drain(release_end..first_text);
    while segments.last().is_some_and(Segment::is_zero) {
        segments.pop();
    }
    segments
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (validate_text(a)?, validate_text(b)?);
    let (sa, sb) = (canonical_segments(a), canonical_segments(b));
    let zero = Segment::Number(b"0");
    for i in 0..sa.len().max(sb.len()) {
        let (x, y) = (sa.get(i).unwrap_or(&zero), sb.get(i).unwrap_or(&zero));
        let ord = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => cmp_digits(x, y),
            (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

pub fn validate(version: &str) -> Result<(), VersionError> {
    validate_text(version).map(|_| ())
}

/// The `~>` upper bound (`Gem::Version#bump`): drop pre-release segments and the last
/// release segment, then increment the new last one (`1.2.3` -> `1.3`, `1` -> `2`).
pub fn bump(version: &str) -> Result<String, VersionError> {
    let text = validate_text(version)?;
    let segments = canonical_segments_raw(text);
    let mut numbers: Vec<&[u8]> = segments
        .iter()
        .take_while(|s| matches!(s, Segment::Number(_)))
        .map(|s| match s {
            Segment::Number(d) | Segment::Text(d) => *d,
        })
        .collect();
    if numbers.len() > 1 {
        numbers.pop();
    }
    let mut out = String::new();
    for (i, digits) in numbers.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if i + 1 == numbers.len() {
            out.push_str(&crate::num::increment_digits(digits));
        } else {
            out.extend(digits.iter().map(|&b| char::from(b)));
        }
    }
    Ok(out)
}

/// Segments without trailing-zero trimming (`bump` works on the version as written).
fn canonical_segments_raw(text: &str) -> Vec<Segment<'_>> {
    text.split(['.', '-'])
        .flat_map(|part| {
            let bytes = part.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                let digit = bytes[i].is_ascii_digit();
                let len = bytes[i..]
                    .iter()
                    .position(|b| b.is_ascii_digit() != digit)
                    .unwrap_or(bytes.len() - i);
                let run = &bytes[i..i + len];
                out.push(if digit {
                    Segment::Number(run)
                } else {
                    Segment::Text(run)
                });
                i += len;
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid gem versions")
    }

    #[test]
    fn prerelease_letters_sort_first() {
        let ascending = [
            "1.0.a", "1.0.a.1", "1.0.b1", "1.0.rc1", "1.0", "1.0.1", "1.1",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(cmp("1.0.0-rc1", "1.0.0.pre.rc1"), Ordering::Equal);
        assert_eq!(cmp("1.0.0-rc1", "1.0.0"), Ordering::Less);
    }

    #[test]
    fn trailing_zeros_ignored() {
        assert_eq!(cmp("1.0", "1"), Ordering::Equal);
        assert_eq!(cmp("1.0.a", "1.a"), Ordering::Equal);
        assert_eq!(cmp("1.a.0", "1.a"), Ordering::Equal);
        assert_eq!(cmp("1.10", "1.9"), Ordering::Greater);
    }

    #[test]
    fn bump_and_validation() {
        assert_eq!(bump("1.2.3").as_deref(), Ok("1.3"));
        assert_eq!(bump("1.2").as_deref(), Ok("2"));
        assert_eq!(bump("1").as_deref(), Ok("2"));
        assert_eq!(bump("1.9.rc1").as_deref(), Ok("2"));
        assert!(validate("junk").is_err());
        assert!(validate("1..2").is_err());
    }
}
