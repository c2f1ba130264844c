//! PEP 440 versions (PyPI): `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, parsed with the
//! spelling variants pypa/packaging accepts (case-insensitive, `alpha`/`beta`/`c`/`pre`/
//! `preview`, `-`/`_`/`.` separators, implicit numbers, `1.0-1` post releases, leading `v`).
//!
//! Ordering is packaging's `_cmpkey`: epoch, release with trailing zeros ignored, then
//! dev-only releases < pre-releases < the release < post-releases, dev before its parent,
//! and a local label sorts after the public version (numeric segments after alphabetic).

use std::cmp::Ordering;

use crate::num::{cmp_digits, digit_run, is_zero, strip_zeros};
use crate::{Scheme, VersionError};

/// A parsed version. Digit strings borrow from the input; pre-release kind is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pep440Version<'a> {
    /// Digits; empty means epoch 0.
    pub epoch: &'a str,
    /// `N(.N)*` as written (dots only).
    pub release: &'a str,
    /// `(kind, number)`; kind 0 = a, 1 = b, 2 = rc. Number is digits, empty meaning 0.
    pub pre: Option<(u8, &'a str)>,
    pub post: Option<&'a str>,
    pub dev: Option<&'a str>,
    /// Local label without `+`, separators as written.
    pub local: Option<&'a str>,
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.pos..]
    }

    fn digits(&mut self) -> &'a str {
        let len = digit_run(self.rest());
        let digits = &self.text[self.pos..self.pos + len];
        self.pos += len;
        digits
    }

    fn separator(&mut self) -> bool {
        if matches!(self.rest().first(), Some(b'-' | b'_' | b'.')) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes the first of `words` (case-insensitive) found here.
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let rest = self.rest();
        let index = words.iter().position(|w| {
            rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes())
        })?;
        self.pos += words[index].len();
        Some(index)
    }

    /// `[sep] word [sep] [digits]`, restoring the position when `word` is absent.
    fn labelled_number(&mut self, words: &[&str]) -> Option<(usize, &'a str)> {
        let start = self.pos;
        self.separator();
        let Some(index) = self.word(words) else {
            self.pos = start;
            return None;
        };
        let before_number = self.pos;
        self.separator();
        let digits = self.digits();
        if digits.is_empty() {
            self.pos = before_number;
        }
        Some((index, digits))
    }
}

/// Longest spellings first so that `alpha` is not read as `a` + `lpha`.
const PRE_WORDS: [&str; 8] = ["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"];
const PRE_KIND: [u8; 8] = [0, 1, 2, 2, 2, 0, 1, 2];

pub fn parse(version: &str) -> Result<Pep440Version<'_>, VersionError> {
    let err = |reason: &str| VersionError::new(Scheme::Pep440, version, reason);
    let text = version.trim();
    let mut cur = Cursor { text, pos: 0 };
    if matches!(cur.rest().first(), Some(b'v' | b'V')) {
        cur.pos += 1;
    }
    let mut epoch = "";
    let release_start = cur.pos;
    let first = cur.digits();
    if first.is_empty() {
        return Err(err("release number expected"));
    }
    let release_start = if cur.rest().first() == Some(&b'!') {
        epoch = first;
        cur.pos += 1;
        let start = cur.pos;
        if cur.digits().is_empty() {
            return Err(err("release number expected after epoch"));
        }
        start
    } else {
        release_start
    };
    while cur.rest().first() == Some(&b'.') && cur.rest().get(1).is_some_and(u8::is_ascii_digit) {
        cur.pos += 1;
        cur.digits();
    }
    let release = &text[release_start..cur.pos];
    let pre = cur
        .labelled_number(&PRE_WORDS)
        .map(|(index, digits)| (PRE_KIND[index], digits));
    let post =
        if cur.rest().first() == Some(&b'-') && cur.rest().get(1).is_some_and(u8::is_ascii_digit) {
            cur.pos += 1;
            Some(cur.digits())
        } else {
            cur.labelled_number(&["post", "rev", "r"]).map(|(_, n)| n)
        };
    let dev = cur.labelled_number(&["dev"]).map(|(_, n)| n);
    let local = if cur.rest().first() == Some(&b'+') {
        let label = &text[cur.pos + 1..];
        let valid = label
            .split(['.', '-', '_'])
            .all(|seg| !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !valid {
            return Err(err("invalid local version label"));
        }
        cur.pos = text.len();
        Some(label)
    } else {
        None
    };
    if cur.pos != text.len() {
        return Err(err("unexpected trailing text"));
    }
    Ok(Pep440Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

fn cmp_release(a: &str, b: &str) -> Ordering {
    let (mut ia, mut ib) = (a.split('.'), b.split('.'));
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (x, y) => {
                let ord = cmp_digits(x.unwrap_or("0").as_bytes(), y.unwrap_or("0").as_bytes());
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// packaging's pre-release key: dev-only releases first, releases without pre last.
fn pre_key<'a>(v: &Pep440Version<'a>) -> (u8, u8, &'a str) {
    match v.pre {
        Some((kind, n)) => (1, kind, n),
        None if v.post.is_none() && v.dev.is_some() => (0, 0, ""),
        None => (2, 0, ""),
    }
}

fn cmp_option_digits(a: Option<&str>, b: Option<&str>, none_first: bool) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) if none_first => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) if none_first => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => cmp_digits(x.as_bytes(), y.as_bytes()),
    }
}

fn cmp_local(a: &str, b: &str) -> Ordering {
    let (mut ia, mut ib) = (a.split(['.', '-', '_']), b.split(['.', '-', '_']));
    loop {
        let (x, y) = match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        let ord = match (numeric(x), numeric(y)) {
            (true, true) => cmp_digits(x.as_bytes(), y.as_bytes()),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(y.bytes().map(|c| c.to_ascii_lowercase())),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
}

/// Orders the public parts (everything but the local label).
pub(crate) fn cmp_public(a: &Pep440Version<'_>, b: &Pep440Version<'_>) -> Ordering {
    cmp_digits(a.epoch.as_bytes(), b.epoch.as_bytes())
        .then_with(|| cmp_release(a.release, b.release))
        .then_with(|| {
            let (ka, kb) = (pre_key(a), pre_key(b));
            ka.0.cmp(&kb.0)
                .then(ka.1.cmp(&kb.1))
                .then_with(|| cmp_digits(ka.2.as_bytes(), kb.2.as_bytes()))
        })
        .then_with(|| cmp_option_digits(a.post, b.post, true))
        .then_with(|| cmp_option_digits(a.dev, b.dev, false))
}

pub(crate) fn cmp_versions(a: &Pep440Version<'_>, b: &Pep440Version<'_>) -> Ordering {
    cmp_public(a, b).then_with(|| match (a.local, b.local) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => cmp_local(x, y),
    })
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_versions(&parse(a)?, &parse(b)?))
}

fn push_number(out: &mut String, digits: &str) {
    let stripped = strip_zeros(digits.as_bytes());
    if stripped.is_empty() {
        out.push('0');
    } else {
        out.extend(stripped.iter().map(|&b| char::from(b)));
    }
}

/// The canonical spelling packaging prints (`1.0-Alpha_1` -> `1.0a1`, `1.0-dev` -> `1.0.dev0`).
pub fn normalize(version: &str) -> Result<String, VersionError> {
    let v = parse(version)?;
    let mut out = String::with_capacity(version.len() + 4);
    if !is_zero(v.epoch.as_bytes()) {
        push_number(&mut out, v.epoch);
        out.push('!');
    }
    for (i, part) in v.release.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_number(&mut out, part);
    }
    if let Some((kind, n)) = v.pre {
        out.push_str(["a", "b", "rc"][usize::from(kind)]);
        push_number(&mut out, n);
    }
    if let Some(n) = v.post {
        out.push_str(".post");
        push_number(&mut out, n);
    }
    if let Some(n) = v.dev {
        out.push_str(".dev");
        push_number(&mut out, n);
    }
    if let Some(local) = v.local {
        out.push('+');
        out.extend(local.chars().map(|c| match c {
            '-' | '_' => '.',
            c => c.to_ascii_lowercase(),
        }));
    }
    Ok(out)
}

impl Pep440Version<'_> {
    /// A pre-release or development release.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid pep 440")
    }

    #[test]
    fn packaging_order() {
        let ascending = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.1.dev1",
            "1!0.1",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn spelling_variants_are_equal() {
        assert_eq!(cmp("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(cmp("1.0alpha1", "1.0a1"), Ordering::Equal);
        assert_eq!(cmp("1.0c1", "1.0rc1"), Ordering::Equal);
        assert_eq!(cmp("1.0-1", "1.0.post1"), Ordering::Equal);
        assert_eq!(cmp("v1.0", "1.0"), Ordering::Equal);
        assert_eq!(cmp("1.0+ABC", "1.0+abc"), Ordering::Equal);
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("1.0-Alpha_1").as_deref(), Ok("1.0a1"));
        assert_eq!(normalize("1.0-dev").as_deref(), Ok("1.0.dev0"));
        assert_eq!(normalize("0!01.02.post").as_deref(), Ok("1.2.post0"));
        assert_eq!(normalize("1.0+Ubuntu-1").as_deref(), Ok("1.0+ubuntu.1"));
    }

    #[test]
    fn invalid_versions() {
        for bad in [
            "french toast",
            "1.0+",
            "1.0++",
            "1.0+_x",
            "1.0+a&b",
            "1.0+1+1",
            "1!",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
