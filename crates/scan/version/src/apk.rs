//! Alpine apk-tools versions: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}`.
//!
//! Ordering follows apk-tools 3's tokenizer: numeric components compare numerically unless a
//! non-initial one has a leading zero (then as strings, like Gentoo); a single letter may
//! follow the digits; pre-release suffixes (`_alpha` < `_beta` < `_pre` < `_rc`) sort before
//! the bare version and post suffixes (`_cvs` < `_svn` < `_git` < `_hg` < `_p`) after it;
//! `-rN` is the package revision. Like apk, comparison never fails: it stops at the first
//! token that does not fit the grammar (see [`validate`] for the strict check).

use std::cmp::Ordering;

use crate::num::{cmp_digits, digit_run};
use crate::{Scheme, VersionError};

/// Token kinds in grammar order (the order matters: it decides which token may follow which).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffix ranks; `NONE` stands for "no suffix" and splits pre- from post-release suffixes.
const PRE_SUFFIXES: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
const POST_SUFFIXES: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];
const SUFFIX_NONE: usize = PRE_SUFFIXES.len();

fn suffix_rank(name: &[u8]) -> Option<usize> {
    if let Some(i) = PRE_SUFFIXES.iter().position(|s| *s == name) {
        return Some(i);
    }
    POST_SUFFIXES
        .iter()
        .position(|s| *s == name)
        .map(|i| SUFFIX_NONE + 1 + i)
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    value: &'a [u8],
    suffix: usize,
}

struct Tokens<'a> {
    rest: &'a [u8],
    current: Token<'a>,
}

impl<'a> Tokens<'a> {
    fn new(version: &'a [u8]) -> Self {
        let len = digit_run(version);
        let kind = if len == 0 {
            Kind::Invalid
        } else {
            Kind::InitialDigit
        };
        Tokens {
            rest: &version[len..],
            current: Token {
                kind,
                value: &version[..len],
                suffix: 0,
            },
        }
    }

    fn take_digits(&mut self) -> &'a [u8] {
        let len = digit_run(self.rest);
        let (digits, rest) = self.rest.split_at(len);
        self.rest = rest;
        digits
    }

    fn advance(&mut self) {
        let previous = self.current.kind;
        let Some(&first) = self.rest.first() else {
            self.current.kind = Kind::End;
            return;
        };
        let (kind, value, suffix) = match first {
            b'a'..=b'z' if previous <= Kind::Digit => {
                let value = &self.rest[..1];
                self.rest = &self.rest[1..];
                (Kind::Letter, value, 0)
            }
            b'.' if previous <= Kind::Digit => {
                self.rest = &self.rest[1..];
                let digits = self.take_digits();
                let kind = if digits.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::Digit
                };
                (kind, digits, 0)
            }
            b'_' if previous <= Kind::SuffixNo => {
                self.rest = &self.rest[1..];
                let len = self
                    .rest
                    .iter()
                    .position(|c| !c.is_ascii_lowercase())
                    .unwrap_or(self.rest.len());
                let (name, rest) = self.rest.split_at(len);
                self.rest = rest;
                match suffix_rank(name) {
                    Some(rank) => (Kind::Suffix, name, rank),
                    None => (Kind::Invalid, name, 0),
                }
            }
            b'0'..=b'9' if previous == Kind::Suffix => (Kind::SuffixNo, self.take_digits(), 0),
            b'~' if previous < Kind::CommitHash => {
                self.rest = &self.rest[1..];
                let len = self
                    .rest
                    .iter()
                    .position(|c| !c.is_ascii_hexdigit())
                    .unwrap_or(self.rest.len());
                let (hash, rest) = self.rest.split_at(len);
                self.rest = rest;
                let kind = if hash.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::CommitHash
                };
                (kind, hash, 0)
            }
            b'-' if previous < Kind::RevisionNo && self.rest.starts_with(b"-r") => {
                self.rest = &self.rest[2..];
                let digits = self.take_digits();
                let kind = if digits.is_empty() {
                    Kind::Invalid
                } else {
                    Kind::RevisionNo
                };
                (kind, digits, 0)
            }
            _ => (Kind::Invalid, &[][..], 0),
        };
        self.current = Token {
            kind,
            value,
            suffix,
        };
    }
}

/// Orders two tokens of the same kind.
fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.first() == Some(&b'0') || b.value.first() == Some(&b'0') => {
            a.value.cmp(b.value)
        }
        Kind::InitialDigit | Kind::Digit | Kind::SuffixNo | Kind::RevisionNo => {
            cmp_digits(a.value, b.value)
        }
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.value.cmp(b.value),
    }
}

/// apk's comparison; with `fuzzy`, `a` matches when `b` is a prefix of it (`~` operator).
fn compare_tokens(a: &str, b: &str, fuzzy: bool) -> Ordering {
    let (mut ta, mut tb) = (Tokens::new(a.as_bytes()), Tokens::new(b.as_bytes()));
    while ta.current.kind == tb.current.kind && ta.current.kind < Kind::End {
        let ord = token_cmp(&ta.current, &tb.current);
        if ord != Ordering::Equal {
            return ord;
        }
        ta.advance();
        tb.advance();
    }
    let (ka, kb) = (ta.current.kind, tb.current.kind);
    if ka == kb || (fuzzy && kb == Kind::End) {
        return Ordering::Equal;
    }
    // Equal so far: the longer version is newer unless it continues with a pre-release suffix.
    if ka == Kind::Suffix && ta.current.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if kb == Kind::Suffix && tb.current.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    kb.cmp(&ka)
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(compare_tokens(a.trim(), b.trim(), false))
}

/// apk's fuzzy match (`~` dependency operator): `version` equals `prefix` on every token
/// `prefix` has, e.g. `3.6.9` ~ `3.6`.
pub fn fuzzy_match(version: &str, prefix: &str) -> bool {
    compare_tokens(version.trim(), prefix.trim(), true) == Ordering::Equal
}

/// Strict check against apk-tools' version grammar.
pub fn validate(version: &str) -> Result<(), VersionError> {
    let mut tokens = Tokens::new(version.as_bytes());
    while tokens.current.kind < Kind::End {
        tokens.advance();
    }
    if tokens.current.kind == Kind::End {
        Ok(())
    } else {
        Err(VersionError::new(
            Scheme::Apk,
            version,
            "does not match digit{.digit}[letter]{_suffix[N]}[~hash][-rN]",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("apk compare is total")
    }

    #[test]
    fn suffixes_order_around_the_release() {
        let ascending = [
            "1.0_alpha",
            "1.0_alpha2",
            "1.0_beta",
            "1.0_pre1",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git20240101",
            "1.0_hg",
            "1.0_p1",
            "1.0a",
            "1.0.1",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
            assert_eq!(cmp(pair[1], pair[0]), Ordering::Greater, "{pair:?}");
        }
    }

    #[test]
    fn revisions_letters_and_leading_zeros() {
        assert_eq!(cmp("1.2.3-r10", "1.2.3-r9"), Ordering::Greater);
        assert_eq!(cmp("1.2b", "1.2a"), Ordering::Greater);
        assert_eq!(cmp("1.01", "1.1"), Ordering::Less);
        assert_eq!(cmp("1.10", "1.9"), Ordering::Greater);
        assert_eq!(cmp("1.0", "1.0bc"), Ordering::Less);
    }

    #[test]
    fn validation_and_fuzzy_matching() {
        assert!(validate("0.1_pre2~1234abcd-r3").is_ok());
        assert!(validate("0.1_foobar").is_err());
        assert!(validate("0.1-r2_pre1").is_err());
        assert!(validate("").is_err());
        assert!(fuzzy_match("3.6.9", "3.6"));
        assert!(!fuzzy_match("3.8.0", "3.8.1"));
    }
}
