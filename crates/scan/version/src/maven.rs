//! Maven versions ordered like Apache Maven's `ComparableVersion` (3.x).
//!
//! A version is a list of items: `.` separates items, `-` and digit/letter transitions open a
//! nested list. Integers compare numerically; qualifiers order `alpha` < `beta` < `milestone` <
//! `rc` = `cr` < `snapshot` < release (`""`, `ga`, `final`, `release`) < `sp`, unknown
//! qualifiers after all known ones alphabetically (case-insensitive); `a1`/`b1`/`m1` mean
//! alpha/beta/milestone. Trailing "null" items (0, release qualifiers, empty lists) are
//! dropped, so `1.0.0` == `1` and `1-ga` == `1`.

use std::cmp::Ordering;

use crate::num::{cmp_digits, is_zero};
use crate::{Scheme, VersionError};

/// Items borrow from the version string, so parsing allocates only the lists.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item<'a> {
    /// Digits with leading zeros stripped.
    Int(&'a str),
    /// Index into [`QUALIFIERS`] for known qualifiers.
    Known(u8),
    /// Any other qualifier, as written (compared case-insensitively).
    Other(&'a str),
    List(Vec<Item<'a>>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Position of the release qualifier `""`.
const RELEASE: u8 = 5;

/// Spellings (lower-case) that mean a known qualifier; single letters only before a digit.
const ALIASES: [(&str, &str, bool); 7] = [
    ("a", "alpha", true),
    ("b", "beta", true),
    ("m", "milestone", true),
    ("ga", "", false),
    ("final", "", false),
    ("release", "", false),
    ("cr", "rc", false),
];

fn qualifier(text: &str, followed_by_digit: bool) -> Item<'_> {
    let canonical = ALIASES
        .iter()
        .find(|(alias, _, needs_digit)| {
            text.eq_ignore_ascii_case(alias) && (followed_by_digit || !needs_digit)
        })
        .map_or(text, |(_, canonical, _)| canonical);
    match QUALIFIERS
        .iter()
        .position(|q| q.eq_ignore_ascii_case(canonical))
    {
        Some(i) => Item::Known(i as u8),
        None => Item::Other(text),
    }
}

fn parse_item(text: &str, followed_by_digit: bool) -> Item<'_> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let start = text.bytes().position(|b| b != b'0').unwrap_or(text.len());
        Item::Int(&text[start..])
    } else {
        qualifier(text, followed_by_digit)
    }
}

impl Item<'_> {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(digits) => is_zero(digits.as_bytes()),
            Item::Known(q) => *q == RELEASE,
            Item::Other(_) => false,
            Item::List(items) => items.is_empty(),
        }
    }

    /// `ComparableVersion`'s `compareTo`; `None` stands for a missing item.
    fn cmp_to(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if is_zero(d.as_bytes()) {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a.as_bytes(), b.as_bytes()),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Known(q), None) => q.cmp(&RELEASE),
            (Item::Other(_), None) => Ordering::Greater,
            (Item::Known(_) | Item::Other(_), Some(Item::Int(_) | Item::List(_))) => Ordering::Less,
            (Item::Known(a), Some(Item::Known(b))) => a.cmp(b),
            (Item::Known(_), Some(Item::Other(_))) => Ordering::Less,
            (Item::Other(_), Some(Item::Known(_))) => Ordering::Greater,
            (Item::Other(a), Some(Item::Other(b))) => a
                .bytes()
                .map(|c| c.to_ascii_lowercase())
                .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
            // Every item counts, not just the first (MNG-6964): `1-0.3` > `1`.
            (Item::List(items), None) => items
                .iter()
                .map(|item| item.cmp_to(None))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Known(_) | Item::Other(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item<'_>], b: &[Item<'_>]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let ord = match (a.get(i), b.get(i)) {
            (Some(x), y) => x.cmp_to(y),
            (None, Some(y)) => y.cmp_to(None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// Drops trailing null items, skipping over non-null nested lists (Maven's `normalize`).
fn normalize(items: &mut Vec<Item<'_>>) {
    let mut i = items.len();
    while i > 0 {
        i -= 1;
        if items[i].is_null() {
            items.remove(i);
        } else if !matches!(items[i], Item::List(_)) {
            break;
        }
    }
}

/// Appends to the innermost open list.
fn push<'a>(stack: &mut [Vec<Item<'a>>], item: Item<'a>) {
    if let Some(top) = stack.last_mut() {
        top.push(item);
    }
}

/// Nesting limit: real versions nest a handful of lists; thousands would exhaust the stack
/// when compared or dropped.
const MAX_DEPTH: usize = 64;

fn open_list(stack: &mut Vec<Vec<Item<'_>>>, version: &str) -> Result<(), VersionError> {
    if stack.len() >= MAX_DEPTH {
        return Err(VersionError::new(
            Scheme::Maven,
            version,
            "too many `-` separators or digit/letter transitions",
        ));
    }
    stack.push(Vec::new());
    Ok(())
}

/// The parsed item tree of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MavenVersion<'a> {
    items: Vec<Item<'a>>,
}

/// Builds the nested lists with an explicit stack of open lists; a list is attached to its
/// parent when closed so that it is normalised before the parent looks at it.
pub fn parse(version: &str) -> Result<MavenVersion<'_>, VersionError> {
    let text = version.trim();
    if text.is_empty() {
        return Err(VersionError::new(Scheme::Maven, version, "empty version"));
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Vec<Item<'_>>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if c == b'.' || c == b'-' {
            let item = if i == start {
                Item::Int("")
            } else {
                parse_item(&text[start..i], false)
            };
            push(&mut stack, item);
            start = i + 1;
            if c == b'-' {
                open_list(&mut stack, version)?;
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                push(&mut stack, qualifier(&text[start..i], true));
                start = i;
                open_list(&mut stack, version)?;
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, parse_item(&text[start..i], false));
                start = i;
                open_list(&mut stack, version)?;
            }
            is_digit = false;
        }
    }
    if bytes.len() > start {
        push(&mut stack, parse_item(&text[start..], false));
    }
    while stack.len() > 1 {
        let mut list = stack.pop().unwrap_or_default();
        normalize(&mut list);
        push(&mut stack, Item::List(list));
    }
    let mut items = stack.pop().unwrap_or_default();
    normalize(&mut items);
    Ok(MavenVersion { items })
}

impl Ord for MavenVersion<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl PartialOrd for MavenVersion<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare(a, b).expect("valid maven versions")
    }

    #[test]
    fn qualifier_order() {
        let ascending = [
            "1-alpha-1",
            "1-beta-1",
            "1-milestone-1",
            "1-rc-1",
            "1-snapshot",
            "1",
            "1-sp-1",
            "1-abc",
            "1-1",
        ];
        for pair in ascending.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Ordering::Less, "{pair:?}");
        }
    }

    #[test]
    fn aliases_and_null_trimming() {
        assert_eq!(cmp("1.0.0", "1"), Ordering::Equal);
        assert_eq!(cmp("1-ga", "1"), Ordering::Equal);
        assert_eq!(cmp("1.0.0.FINAL", "1.RELEASE"), Ordering::Equal);
        assert_eq!(cmp("1-cr1", "1-rc-1"), Ordering::Equal);
        assert_eq!(
            cmp("1.2.3-a1b1-m1", "1.2.3-alpha-1-beta-1-milestone-1"),
            Ordering::Equal
        );
        assert_eq!(cmp("1--1", "1-0-1"), Ordering::Equal);
    }

    #[test]
    fn separators_matter() {
        assert_eq!(cmp("1.foo", "1-foo"), Ordering::Less);
        assert_eq!(cmp("1-1", "1.1"), Ordering::Less);
        assert_eq!(cmp("2.0.a", "2.0"), Ordering::Greater);
        assert_eq!(cmp("1.alpha", "1"), Ordering::Less);
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let deep = "1-".repeat(10_000);
        assert!(compare(&deep, "1").is_err());
        assert!(compare("1-a1-b2-c3", "1").is_ok());
    }
}
