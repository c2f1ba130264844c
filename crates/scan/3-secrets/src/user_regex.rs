//! Limits on the regexes of a user's secret config, checked when the config is loaded.
//!
//! The regex engine searches with a lazy DFA (constant work per byte) and falls back to
//! simulating the automaton (work per byte in proportion to its live states) when the DFA's
//! cache keeps overflowing. Either way the work per byte is bounded by the automaton's size, so
//! a regex within these limits scans in time linear in the input:
//! - positions: character positions once counted repetitions are expanded
//!   (`(?:[a-z]{100}){100}` has 10,000). Every position can hold a live state at once, and the
//!   DFA states built for N positions grow as N^2 (2,000 fit the DFA cache below, 5,000 do not);
//! - compiled size: Unicode classes compile to many states (`\w{80}` is about 4 MB) that the
//!   lazy DFA needs room for;
//! - DFA cache: the lazy DFA's memory, per regex and scanning thread.

use regex::bytes::{Regex, RegexBuilder};
use regex_syntax::hir::{Hir, HirKind};

use crate::config::SecretError;

/// Most character positions a user regex may expand to.
pub const USER_REGEX_MAX_POSITIONS: u64 = 2_000;
/// Compiled size limit of a user regex, in bytes.
pub const USER_REGEX_SIZE_LIMIT: usize = 4 << 20;
/// Lazy DFA cache of a user regex, in bytes per scanning thread.
pub const USER_REGEX_DFA_LIMIT: usize = 8 << 20;

/// Compiles a regex of the user's config (or a built-in path or allow-rule regex) within the
/// limits. Errors name the config, the rule and the field.
pub(crate) fn compile(
    pattern: &str,
    origin: &str,
    rule: &str,
    field: &'static str,
) -> Result<Regex, SecretError> {
    // The parser the regex crate uses for byte regexes; a pattern it rejects gets the regex
    // crate's own message from `build` below.
    let parsed = regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern);
    if let Ok(hir) = parsed {
        let positions = positions(&hir);
        if positions > USER_REGEX_MAX_POSITIONS {
            return Err(SecretError::RegexTooManyPositions {
                origin: origin.to_string(),
                rule: rule.to_string(),
                field,
                positions,
                limit: USER_REGEX_MAX_POSITIONS,
            });
        }
    }
    RegexBuilder::new(pattern)
        .size_limit(USER_REGEX_SIZE_LIMIT)
        .dfa_size_limit(USER_REGEX_DFA_LIMIT)
        .build()
        .map_err(|source| match source {
            regex::Error::CompiledTooBig(limit) => SecretError::RegexTooBig {
                origin: origin.to_string(),
                rule: rule.to_string(),
                field,
                limit,
            },
            source => SecretError::BadRegex {
                origin: origin.to_string(),
                rule: rule.to_string(),
                field,
                source,
            },
        })
}

/// Character positions of `hir` with counted repetitions expanded, as the compiler copies them:
/// `x{2,5}` is five copies of `x`, `x{3,}` three (the last one loops), `x*` one.
fn positions(hir: &Hir) -> u64 {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(literal) => literal.0.len() as u64,
        HirKind::Class(_) => 1,
        HirKind::Repetition(repetition) => {
            let copies = repetition.max.unwrap_or(repetition.min.max(1));
            positions(&repetition.sub).saturating_mul(u64::from(copies))
        }
        HirKind::Capture(capture) => positions(&capture.sub),
        HirKind::Concat(all) | HirKind::Alternation(all) => {
            all.iter().map(positions).fold(0, u64::saturating_add)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(pattern: &str) -> u64 {
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(pattern)
            .expect("valid pattern");
        positions(&hir)
    }

    #[test]
    fn counted_repetitions_multiply_positions() {
        assert_eq!(count("(?:[a-z]{100}){100}"), 10_000);
        assert_eq!(count("acme_[0-9a-f]{32}"), 5 + 32);
        assert_eq!(count("x{3,}"), 3);
        assert_eq!(count("x*y+z?"), 3);
        assert_eq!(count(r"^\bab|cd$"), 4);
        assert_eq!(
            count("(?:(?:(?:a{1000}){1000}){1000}){1000}"),
            10u64.pow(12)
        );
    }
}
