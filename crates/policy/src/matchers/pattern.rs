//! Name patterns used across policy files: globs by default, regular expressions with a
//! `regex:` prefix. Both are compiled once, when the policy is loaded.

use std::fmt;

use globset::{Glob, GlobMatcher};
use regex::Regex;
use serde::{Deserialize, Deserializer};

/// A glob (`registry.example.invalid/team/*`, `*` also crosses `/`) or, written
/// `regex:<expr>`, a regular expression that must match the whole text.
#[derive(Clone)]
pub struct Pattern {
    text: String,
    matcher: Matcher,
}

#[derive(Clone)]
enum Matcher {
    /// No glob syntax: plain comparison (the common case, and much faster).
    Literal,
    /// `text*` with no other glob syntax.
    Prefix(String),
    Glob(GlobMatcher),
    Regex(Regex),
}

const GLOB_SYNTAX: [char; 7] = ['*', '?', '[', ']', '{', '}', '\\'];

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        let matcher = match text.strip_prefix("regex:") {
            Some(expr) => Matcher::Regex(
                Regex::new(&format!("^(?:{expr})$"))
                    .map_err(|e| format!("invalid regular expression `{expr}`: {e}"))?,
            ),
            None if text.is_empty() => return Err("empty pattern".to_owned()),
            None if !text.contains(GLOB_SYNTAX) => Matcher::Literal,
            None if text
                .strip_suffix('*')
                .is_some_and(|prefix| !prefix.contains(GLOB_SYNTAX)) =>
            {
                Matcher::Prefix(text[..text.len() - 1].to_owned())
            }
            None => Matcher::Glob(
                Glob::new(text)
                    .map_err(|e| format!("invalid glob `{text}`: {}", e.kind()))?
                    .compile_matcher(),
            ),
        };
        Ok(Pattern {
            text: text.to_owned(),
            matcher,
        })
    }

    pub fn is_match(&self, candidate: &str) -> bool {
        match &self.matcher {
            Matcher::Literal => self.text == candidate,
            Matcher::Prefix(prefix) => candidate.starts_with(prefix.as_str()),
            Matcher::Glob(glob) => glob.is_match(candidate),
            Matcher::Regex(regex) => regex.is_match(candidate),
        }
    }

    /// For patterns that are a plain name or `name*`: the text every match starts with,
    /// and whether it must be the whole match. Lets callers use a sorted index.
    pub fn fixed_prefix(&self) -> Option<(&str, bool)> {
        match &self.matcher {
            Matcher::Literal => Some((&self.text, true)),
            Matcher::Prefix(prefix) => Some((prefix, false)),
            Matcher::Glob(_) | Matcher::Regex(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.text)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Pattern::new(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_regexes() {
        let glob = Pattern::new("registry.example.invalid/*").unwrap();
        assert!(glob.is_match("registry.example.invalid/team/app"));
        assert!(!glob.is_match("docker.io/library/debian"));
        let regex = Pattern::new("regex:CVE-2021-4[0-9]+").unwrap();
        assert!(regex.is_match("CVE-2021-44228"));
        assert!(!regex.is_match("xCVE-2021-44228"), "regex is anchored");
        assert!(Pattern::new("regex:(").is_err());
        assert!(Pattern::new("a[").is_err());
        assert!(Pattern::new("").is_err());
        let literal = Pattern::new("openssl").unwrap();
        assert!(literal.is_match("openssl") && !literal.is_match("openssl-dev"));
        let prefix = Pattern::new("lib*").unwrap();
        assert!(prefix.is_match("libc6") && prefix.is_match("lib") && !prefix.is_match("glibc"));
        let glob = Pattern::new("lib*-dev").unwrap();
        assert!(glob.is_match("libssl-dev") && !glob.is_match("libssl"));
    }
}
