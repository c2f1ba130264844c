//! Maven (and NuGet) interval notation: `[a,b)`, `(,b]`, `[a,)`, `[v]` and comma-separated
//! unions of them. A bare version is Maven's soft requirement (any version) and NuGet's
//! minimum version (`>= v`); text with comparison operators is read as a comparator list.

use super::{Bound, Builder, Interval, RangeSyntax, RequirementError};

fn bound(b: &Builder<'_>, text: &str, inclusive: bool) -> Result<Option<Bound>, RequirementError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(Bound {
        version: b.checked(text)?,
        inclusive,
    }))
}

fn bracket_sets(b: &Builder<'_>, text: &str) -> Result<Vec<Interval>, RequirementError> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let open = rest.as_bytes()[0];
        if open != b'[' && open != b'(' {
            return Err(b.syntax_error("expected `[` or `(`"));
        }
        let close_at = rest
            .find([']', ')'])
            .ok_or_else(|| b.syntax_error("unclosed range"))?;
        let inner = &rest[1..close_at];
        let close = rest.as_bytes()[close_at];
        let interval = match inner.split_once(',') {
            // `[1.0]` is exact; `(1.0)` is not valid Maven but read the same way.
            None => Interval::exactly(b.checked(inner.trim())?),
            Some((lower, upper)) => {
                if upper.contains(',') {
                    return Err(b.syntax_error("more than two bounds in one range"));
                }
                Interval {
                    lower: bound(b, lower, open == b'[')?,
                    upper: bound(b, upper, close == b']')?,
                }
            }
        };
        out.push(interval);
        rest = rest[close_at + 1..].trim_start();
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = after_comma.trim_start();
            if rest.is_empty() {
                return Err(b.syntax_error("trailing comma"));
            }
        }
    }
    Ok(out)
}

pub(super) fn parse(b: &mut Builder<'_>) -> Result<Vec<Interval>, RequirementError> {
    let text = b.text.trim();
    if text.starts_with(['[', '(']) {
        return bracket_sets(b, text);
    }
    if text.contains(['<', '>', '=', '!', '|', ',', ' ']) {
        return b.comparator_alternatives(text, |b, op, version| b.simple_comparator(op, version));
    }
    let version = b.checked(text)?;
    Ok(vec![match b.syntax {
        RangeSyntax::NuGet => Interval::from_lower(version, true),
        _ => Interval::all(),
    }])
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use crate::requirement::{Interval, RangeSyntax, parse_requirement};

    fn intervals(syntax: RangeSyntax, text: &str) -> Vec<Interval> {
        parse_requirement(Scheme::Maven, syntax, text)
            .expect("valid range")
            .intervals
    }

    #[test]
    fn bracket_notation() {
        assert_eq!(
            intervals(RangeSyntax::Maven, "[1.0,2.0)"),
            vec![Interval::half_open("1.0", "2.0")]
        );
        assert_eq!(
            intervals(RangeSyntax::Maven, "(,1.0],[1.2,)"),
            vec![
                Interval::from_upper("1.0", true),
                Interval::from_lower("1.2", true)
            ]
        );
        assert_eq!(
            intervals(RangeSyntax::Maven, "[1.0]"),
            vec![Interval::exactly("1.0")]
        );
        assert_eq!(intervals(RangeSyntax::Maven, "1.0"), vec![Interval::all()]);
        assert_eq!(
            intervals(RangeSyntax::NuGet, "1.0"),
            vec![Interval::from_lower("1.0", true)]
        );
        assert!(parse_requirement(Scheme::Maven, RangeSyntax::Maven, "[1.0,2.0").is_err());
        assert!(parse_requirement(Scheme::Maven, RangeSyntax::Maven, "[1.0,2.0),").is_err());
    }
}
