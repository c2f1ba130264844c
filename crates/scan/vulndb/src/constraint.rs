//! Requirement strings of the non-OSV feeds (gem requirements, Composer constraint lists, npm
//! semver ranges) turned into [`Interval`]s at ingestion time, so matching only ever compares
//! versions against bounds.

use crate::advisory::{Bound, Interval};

/// A requirement string this module cannot express as intervals.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cannot read requirement `{text}`: {reason}")]
pub struct ConstraintError {
    pub text: String,
    pub reason: String,
}

fn error(text: &str, reason: &str) -> ConstraintError {
    ConstraintError {
        text: text.to_owned(),
        reason: reason.to_owned(),
    }
}

/// An interval under construction: bounds implied by `~>`/`^`/`~` give way to explicit ones.
#[derive(Default)]
struct Builder {
    lower: Option<(Bound, bool)>,
    upper: Option<(Bound, bool)>,
}

impl Builder {
    fn set(
        slot: &mut Option<(Bound, bool)>,
        bound: Bound,
        implied: bool,
        text: &str,
    ) -> Result<(), ConstraintError> {
        match slot.as_ref().map(|(_, was_implied)| *was_implied) {
            None | Some(true) if !implied || slot.is_none() => *slot = Some((bound, implied)),
            Some(false) if implied => {}
            _ => return Err(error(text, "two bounds on the same side")),
        }
        Ok(())
    }

    fn finish(self) -> Interval {
        Interval {
            lower: self.lower.map(|(b, _)| b),
            upper: self.upper.map(|(b, _)| b),
            upper_is_fix: false,
        }
    }
}

/// The next version after dropping the last component: `1.2.3` -> `1.3`, `1.2` -> `2`
/// (the upper end of a `~>` requirement). Pre-release parts (`.rc1`, `.beta`) are dropped first.
fn pessimistic_upper(version: &str) -> Option<String> {
    let mut parts: Vec<&str> = version
        .split('.')
        .take_while(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
        .collect();
    if parts.len() > 1 {
        parts.pop();
    }
    let last: u64 = parts.last()?.parse().ok()?;
    let bumped = (last + 1).to_string();
    let n = parts.len();
    let mut out: Vec<&str> = parts[..n - 1].to_vec();
    out.push(&bumped);
    Some(out.join("."))
}

/// Applies one `op version` comparator.
fn apply(b: &mut Builder, op: &str, version: &str, text: &str) -> Result<(), ConstraintError> {
    if version.is_empty() {
        return Err(error(text, "operator without a version"));
    }
    if let Some(prefix) = x_range_prefix(version) {
        return apply_x_range(b, op, prefix, text);
    }
    let v = || version.to_owned();
    match op {
        ">=" => Builder::set(&mut b.lower, Bound::inclusive(v()), false, text),
        ">" => Builder::set(&mut b.lower, Bound::exclusive(v()), false, text),
        "<=" => Builder::set(&mut b.upper, Bound::inclusive(v()), false, text),
        "<" => Builder::set(&mut b.upper, Bound::exclusive(v()), false, text),
        "=" | "==" | "" => {
            Builder::set(&mut b.lower, Bound::inclusive(v()), false, text)?;
            Builder::set(&mut b.upper, Bound::inclusive(v()), false, text)
        }
        "~>" => {
            let upper =
                pessimistic_upper(version).ok_or_else(|| error(text, "bad `~>` version"))?;
            Builder::set(&mut b.lower, Bound::inclusive(v()), true, text)?;
            Builder::set(&mut b.upper, Bound::exclusive(upper), true, text)
        }
        "^" | "~" => {
            let nums: Vec<u64> = version
                .split(['.', '-', '+'])
                .map_while(|p| p.parse().ok())
                .collect();
            let upper = match (op, nums.as_slice()) {
                ("^", [0, 0, p, ..]) => format!("0.0.{}", p + 1),
                ("^", [0, m, ..]) => format!("0.{}.0", m + 1),
                ("^", [major, ..]) => format!("{}.0.0", major + 1),
                ("~", [major, minor, ..]) => format!("{major}.{}.0", minor + 1),
                ("~", [major]) => format!("{}.0.0", major + 1),
                _ => return Err(error(text, "bad `^`/`~` version")),
            };
            Builder::set(&mut b.lower, Bound::inclusive(v()), true, text)?;
            Builder::set(&mut b.upper, Bound::exclusive(upper), true, text)
        }
        "!=" => Err(error(text, "`!=` excludes a point, not a range")),
        other => Err(error(text, &format!("unknown operator `{other}`"))),
    }
}

/// `1.2.x`, `1.x`, `1.2.*` -> `1.2`, `1`.
fn x_range_prefix(version: &str) -> Option<&str> {
    version
        .strip_suffix(".x")
        .or_else(|| version.strip_suffix(".X"))
        .or_else(|| version.strip_suffix(".*"))
}

/// An npm x-range: `1.2.x` is `>= 1.2.0, < 1.3.0`; with `>=`/`<` only one end applies.
fn apply_x_range(
    b: &mut Builder,
    op: &str,
    prefix: &str,
    text: &str,
) -> Result<(), ConstraintError> {
    let mut parts: Vec<u64> = prefix
        .split('.')
        .map(|p| p.parse().map_err(|_| error(text, "bad x-range")))
        .collect::<Result<_, _>>()?;
    let floor = format!(
        "{}{}",
        prefix,
        ".0".repeat(3usize.saturating_sub(parts.len()))
    );
    if let Some(last) = parts.last_mut() {
        *last += 1;
    }
    let bumped: Vec<String> = parts.iter().map(u64::to_string).collect();
    let ceiling = format!(
        "{}{}",
        bumped.join("."),
        ".0".repeat(3usize.saturating_sub(parts.len()))
    );
    match op {
        ">=" => apply(b, ">=", &floor, text),
        "<" => apply(b, "<", &floor, text),
        ">" | "<=" => apply(b, if op == ">" { ">=" } else { "<" }, &ceiling, text),
        "" | "=" => {
            apply(b, ">=", &floor, text)?;
            apply(b, "<", &ceiling, text)
        }
        other => Err(error(text, &format!("operator `{other}` with an x-range"))),
    }
}

/// Splits `>=1.0`, `>= 1.0`, `~>1.2` into operator and version.
fn split_op(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !matches!(c, '<' | '>' | '=' | '~' | '^' | '!'))
        .unwrap_or(s.len());
    (&s[..end], s[end..].trim())
}

/// A conjunction of comparators (`>= 1.0, < 2.0`, `['>=2.0.0', '<2.0.99']`). Each element may
/// itself be comma- or space-separated.
pub fn conjunction<S: AsRef<str>>(parts: &[S]) -> Result<Interval, ConstraintError> {
    let text = parts
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    let mut b = Builder::default();
    let mut pending_op: Option<&str> = None;
    for part in parts {
        for token in part.as_ref().split([',', ' ']).filter(|t| !t.is_empty()) {
            let (op, version) = split_op(token);
            let op = match pending_op.take() {
                Some(prev) if op.is_empty() => prev,
                Some(_) => return Err(error(&text, "operator without a version")),
                None => op,
            };
            if version.is_empty() {
                pending_op = Some(op);
                continue;
            }
            if matches!(version, "*" | "x" | "X") && op.is_empty() {
                continue;
            }
            apply(&mut b, op, version, &text)?;
        }
    }
    if pending_op.is_some() {
        return Err(error(&text, "operator without a version"));
    }
    Ok(b.finish())
}

/// An npm semver range: `||`-separated conjunctions, hyphen ranges `1.0.0 - 2.0.0`.
pub fn npm_range(text: &str) -> Result<Vec<Interval>, ConstraintError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(error(text, "empty range"));
    }
    text.split("||")
        .map(|alt| {
            let alt = alt.trim();
            match alt.split_once(" - ") {
                Some((lo, hi)) => {
                    conjunction(&[format!(">={}", lo.trim()), format!("<={}", hi.trim())])
                }
                None => conjunction(&[alt]),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(i: &Interval) -> String {
        i.to_string()
    }

    #[test]
    fn gem_requirements() {
        assert_eq!(show(&conjunction(&[">= 2.2.1"]).unwrap()), ">= 2.2.1");
        assert_eq!(
            show(&conjunction(&["~> 1.2.3"]).unwrap()),
            ">= 1.2.3, < 1.3"
        );
        assert_eq!(show(&conjunction(&["~> 4.2"]).unwrap()), ">= 4.2, < 5");
        assert_eq!(
            show(&conjunction(&["~> 5.2.4, >= 5.2.4.3"]).unwrap()),
            ">= 5.2.4.3, < 5.3"
        );
        assert_eq!(show(&conjunction(&["= 1.0"]).unwrap()), ">= 1.0, <= 1.0");
        assert!(conjunction(&["!= 1.0"]).is_err());
        assert!(conjunction(&[">= 1", ">= 2"]).is_err());
    }

    #[test]
    fn composer_lists() {
        assert_eq!(
            show(&conjunction(&[">=2.0.0", "<2.0.99"]).unwrap()),
            ">= 2.0.0, < 2.0.99"
        );
        assert_eq!(show(&conjunction(&["<1.4"]).unwrap()), "< 1.4");
    }

    #[test]
    fn npm_ranges() {
        let r = npm_range("<1.6.5 || >=1.7.0 <1.7.2").unwrap();
        assert_eq!(
            r.iter().map(show).collect::<Vec<_>>(),
            ["< 1.6.5", ">= 1.7.0, < 1.7.2"]
        );
        let r = npm_range("< 2.2.4 > 2.0.0").unwrap();
        assert_eq!(show(&r[0]), "> 2.0.0, < 2.2.4");
        assert_eq!(show(&npm_range("^0.2.3").unwrap()[0]), ">= 0.2.3, < 0.3.0");
        assert_eq!(show(&npm_range("~1.2.3").unwrap()[0]), ">= 1.2.3, < 1.3.0");
        assert_eq!(show(&npm_range("*").unwrap()[0]), "all versions");
        assert_eq!(
            show(&npm_range("1.0.0 - 1.2.0").unwrap()[0]),
            ">= 1.0.0, <= 1.2.0"
        );
        assert!(npm_range(">=").is_err());
        let r = npm_range("2.0.x || 2.1.x").unwrap();
        assert_eq!(
            r.iter().map(show).collect::<Vec<_>>(),
            [">= 2.0.0, < 2.1.0", ">= 2.1.0, < 2.2.0"]
        );
        assert_eq!(show(&npm_range(">= 2.2.x").unwrap()[0]), ">= 2.2.0");
    }
}
