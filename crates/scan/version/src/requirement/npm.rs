//! node-semver ranges, desugared the way node-semver 7 does (upper bounds of partial and
//! caret/tilde ranges get `-0` so that pre-releases of the next version stay outside).

use super::{Builder, Interval, RequirementError, split_clauses};
use crate::num::{increment_digits, is_zero};

/// A possibly partial version: `None` components are `x`, `*` or missing.
struct Partial<'a> {
    major: Option<&'a str>,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    /// Pre-release and build as written (`-beta.1+b`), only on full versions.
    tail: &'a str,
}

fn parse_partial<'a>(b: &Builder<'_>, text: &'a str) -> Result<Partial<'a>, RequirementError> {
    let text = text.trim_start_matches(['v', 'V', '=']);
    let tail_at = text.find(['-', '+']).unwrap_or(text.len());
    let (core, tail) = text.split_at(tail_at);
    let mut parts = [None; 3];
    let mut wildcard = false;
    for (i, part) in core.split('.').enumerate() {
        if i == 3 {
            return Err(b.syntax_error(format!("too many components in `{text}`")));
        }
        if matches!(part, "x" | "X" | "*") {
            wildcard = true;
        } else if !part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()) {
            // node-semver reads `1.x.3` as `1.x.x`.
            if !wildcard {
                parts[i] = Some(part);
            }
        } else {
            return Err(b.syntax_error(format!("bad version `{text}`")));
        }
    }
    if !tail.is_empty() && parts.iter().any(Option::is_none) {
        return Err(b.syntax_error(format!("pre-release on a partial version `{text}`")));
    }
    Ok(Partial {
        major: parts[0],
        minor: parts[1],
        patch: parts[2],
        tail,
    })
}

fn inc(digits: &str) -> String {
    increment_digits(digits.as_bytes())
}

impl Partial<'_> {
    fn full(&self) -> String {
        format!(
            "{}.{}.{}{}",
            self.major.unwrap_or("0"),
            self.minor.unwrap_or("0"),
            self.patch.unwrap_or("0"),
            self.tail
        )
    }
}

fn caret(p: &Partial<'_>) -> Vec<Interval> {
    let Some(major) = p.major else {
        return vec![Interval::all()];
    };
    let upper = match (p.minor, p.patch) {
        (Some(minor), patch) if is_zero(major.as_bytes()) => match patch {
            Some(patch) if is_zero(minor.as_bytes()) => {
                format!("{major}.{minor}.{}-0", inc(patch))
            }
            _ => format!("{major}.{}.0-0", inc(minor)),
        },
        _ => format!("{}.0.0-0", inc(major)),
    };
    vec![Interval::half_open(p.full(), upper)]
}

fn tilde(p: &Partial<'_>) -> Vec<Interval> {
    let Some(major) = p.major else {
        return vec![Interval::all()];
    };
    let upper = match p.minor {
        None => format!("{}.0.0-0", inc(major)),
        Some(minor) => format!("{major}.{}.0-0", inc(minor)),
    };
    vec![Interval::half_open(p.full(), upper)]
}

/// The version right after every version matching partial `p` (`1.2` -> `1.3.0-0`).
fn after_partial(p: &Partial<'_>) -> Option<String> {
    match (p.major, p.minor, p.patch) {
        (Some(major), None, _) => Some(format!("{}.0.0-0", inc(major))),
        (Some(major), Some(minor), None) => Some(format!("{major}.{}.0-0", inc(minor))),
        _ => None,
    }
}

fn comparator(b: &Builder<'_>, op: &str, version: &str) -> Result<Vec<Interval>, RequirementError> {
    let p = parse_partial(b, version)?;
    let nothing = || vec![Interval::from_upper("0.0.0-0", false)];
    let partial = p.patch.is_none();
    Ok(match op {
        "^" => caret(&p),
        "~" | "~>" => tilde(&p),
        "" | "=" | "==" => match after_partial(&p) {
            Some(upper) => vec![Interval::half_open(p.full(), upper)],
            None if p.major.is_none() => vec![Interval::all()],
            None => vec![Interval::exactly(p.full())],
        },
        ">" => match (p.major, p.minor) {
            (None, _) => nothing(),
            (Some(major), None) => vec![Interval::from_lower(format!("{}.0.0", inc(major)), true)],
            (Some(major), Some(minor)) if partial => {
                vec![Interval::from_lower(
                    format!("{major}.{}.0", inc(minor)),
                    true,
                )]
            }
            _ => vec![Interval::from_lower(p.full(), false)],
        },
        ">=" => match p.major {
            None => vec![Interval::all()],
            Some(_) => vec![Interval::from_lower(p.full(), true)],
        },
        "<" => match (p.major, p.minor) {
            (None, _) => nothing(),
            (Some(_), _) if partial => vec![Interval::from_upper(format!("{}-0", p.full()), false)],
            _ => vec![Interval::from_upper(p.full(), false)],
        },
        "<=" => match (p.major, after_partial(&p)) {
            (None, _) => vec![Interval::all()],
            (Some(_), Some(upper)) => vec![Interval::from_upper(upper, false)],
            (Some(_), None) => vec![Interval::from_upper(p.full(), true)],
        },
        other => return Err(b.syntax_error(format!("unknown operator `{other}`"))),
    })
}

/// `A - B` hyphen range.
fn hyphen(b: &Builder<'_>, from: &str, to: &str) -> Result<Vec<Interval>, RequirementError> {
    let (from, to) = (parse_partial(b, from)?, parse_partial(b, to)?);
    let lower = from.major.map(|_| super::Bound {
        version: from.full(),
        inclusive: true,
    });
    let upper = match (to.major, after_partial(&to)) {
        (None, _) => None,
        (Some(_), Some(next)) => Some(super::Bound {
            version: next,
            inclusive: false,
        }),
        (Some(_), None) => Some(super::Bound {
            version: to.full(),
            inclusive: true,
        }),
    };
    Ok(vec![Interval { lower, upper }])
}

pub(super) fn parse(b: &mut Builder<'_>) -> Result<Vec<Interval>, RequirementError> {
    let text = b.text;
    let mut out = Vec::new();
    for alternative in text.split("||") {
        let words: Vec<&str> = alternative.split_whitespace().collect();
        let unions = if words.len() == 3 && words[1] == "-" {
            vec![hyphen(b, words[0], words[2])?]
        } else {
            let clauses = split_clauses(alternative).map_err(|r| b.syntax_error(r))?;
            if clauses.is_empty() {
                vec![vec![Interval::all()]]
            } else {
                clauses
                    .into_iter()
                    .map(|(op, v)| comparator(b, op, v))
                    .collect::<Result<_, _>>()?
            }
        };
        for union in &unions {
            for interval in union {
                for bound in [&interval.lower, &interval.upper].into_iter().flatten() {
                    b.checked(&bound.version)?;
                }
            }
        }
        out.extend(b.conjunction(unions)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use crate::requirement::{Interval, RangeSyntax, parse_requirement};

    fn intervals(text: &str) -> Vec<Interval> {
        parse_requirement(Scheme::Semver, RangeSyntax::Npm, text)
            .expect("valid range")
            .intervals
    }

    #[test]
    fn desugaring_matches_node_semver() {
        assert_eq!(
            intervals("^1.2.3"),
            vec![Interval::half_open("1.2.3", "2.0.0-0")]
        );
        assert_eq!(
            intervals("^0.2.3"),
            vec![Interval::half_open("0.2.3", "0.3.0-0")]
        );
        assert_eq!(
            intervals("^0.0.3"),
            vec![Interval::half_open("0.0.3", "0.0.4-0")]
        );
        assert_eq!(
            intervals("~1.2"),
            vec![Interval::half_open("1.2.0", "1.3.0-0")]
        );
        assert_eq!(
            intervals("1.x"),
            vec![Interval::half_open("1.0.0", "2.0.0-0")]
        );
        assert_eq!(
            intervals("1.2 - 2.3"),
            vec![Interval::half_open("1.2.0", "2.4.0-0")]
        );
        assert_eq!(intervals(">1.1"), vec![Interval::from_lower("1.2.0", true)]);
        assert_eq!(
            intervals("<=1.1"),
            vec![Interval::from_upper("1.2.0-0", false)]
        );
        assert_eq!(intervals("*"), vec![Interval::all()]);
        assert_eq!(intervals(""), vec![Interval::all()]);
        assert_eq!(
            intervals(">=1.2.3 <2.0.0 || ^3.0.0"),
            vec![
                Interval::half_open("1.2.3", "2.0.0"),
                Interval::half_open("3.0.0", "4.0.0-0")
            ]
        );
    }

    #[test]
    fn prerelease_rule_and_errors() {
        let r =
            parse_requirement(Scheme::Semver, RangeSyntax::Npm, "^1.2.3-beta.2").expect("valid");
        assert_eq!(r.contains("1.2.3-beta.4"), Ok(true));
        assert_eq!(r.contains("1.2.4-beta.1"), Ok(false));
        assert_eq!(r.contains("1.2.4"), Ok(true));
        assert!(parse_requirement(Scheme::Semver, RangeSyntax::Npm, "<0-z").is_err());
        assert!(parse_requirement(Scheme::Semver, RangeSyntax::Npm, ">=1.2.3.4").is_err());
    }
}
