//! Composer constraints (composer/semver `VersionParser::parseConstraints`): `|`/`||`
//! alternatives, comma- or space-separated AND, `^`, `~`, `.*` wildcards, hyphen ranges.
//! As in Composer, `>=V` and `<V` without a stability suffix compare against `V-dev`, so
//! `<1.5.2` excludes `1.5.2-beta1`; bounds are stored in Composer's normalised form.

use super::{Bound, Builder, Interval, RequirementError, split_clauses};
use crate::composer::normalize;
use crate::num::increment_digits;

/// Numeric components as written (`1.2` -> ["1", "2"]) and whether a stability is given.
fn components<'a>(
    b: &Builder<'_>,
    version: &'a str,
) -> Result<(Vec<&'a str>, bool), RequirementError> {
    let v = version.trim_start_matches(['v', 'V']);
    let end = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let parts: Vec<&str> = v[..end].split('.').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return Err(b.syntax_error(format!("version expected, found `{version}`")));
    }
    Ok((parts, end < v.len()))
}

fn norm(b: &Builder<'_>, version: &str) -> Result<String, RequirementError> {
    normalize(version).map_err(|e| b.version_error(e))
}

/// `parts` truncated to `keep` components with the last one incremented, as a `-dev` bound.
fn bumped(parts: &[&str], keep: usize) -> String {
    let mut out: Vec<String> = parts.iter().take(keep).map(|p| (*p).to_owned()).collect();
    if let Some(last) = out.last_mut() {
        *last = increment_digits(last.as_bytes());
    }
    while out.len() < 4 {
        out.push("0".to_owned());
    }
    format!("{}-dev", out.join("."))
}

fn lower_dev(b: &Builder<'_>, version: &str) -> Result<String, RequirementError> {
    let (_, has_stability) = components(b, version)?;
    let normalized = norm(b, version)?;
    Ok(if has_stability {
        normalized
    } else {
        format!("{normalized}-dev")
    })
}

fn clause(b: &Builder<'_>, op: &str, version: &str) -> Result<Vec<Interval>, RequirementError> {
    let version = version.split('@').next().unwrap_or(version);
    if matches!(version, "*" | "x" | "X") && op.is_empty() {
        return Ok(vec![Interval::all()]);
    }
    if let Some(prefix) = version
        .strip_suffix(".*")
        .or_else(|| version.strip_suffix(".x"))
        .or_else(|| version.strip_suffix(".X"))
    {
        let (parts, _) = components(b, prefix)?;
        return Ok(vec![Interval::half_open(
            format!("{}-dev", norm(b, prefix)?),
            bumped(&parts, parts.len()),
        )]);
    }
    match op {
        "~" => {
            let (parts, _) = components(b, version)?;
            let keep = if parts.len() > 1 { parts.len() - 1 } else { 1 };
            Ok(vec![Interval::half_open(
                lower_dev(b, version)?,
                bumped(&parts, keep),
            )])
        }
        "^" => {
            let (parts, _) = components(b, version)?;
            let keep = parts
                .iter()
                .position(|p| !crate::num::is_zero(p.as_bytes()))
                .map_or(parts.len(), |i| i + 1);
            Ok(vec![Interval::half_open(
                lower_dev(b, version)?,
                bumped(&parts, keep),
            )])
        }
        ">=" => Ok(vec![Interval::from_lower(lower_dev(b, version)?, true)]),
        "<" => Ok(vec![Interval::from_upper(lower_dev(b, version)?, false)]),
        "" | "=" | "==" | "!=" | "<>" | "<=" | ">" => b.simple_comparator(op, &norm(b, version)?),
        other => Err(b.syntax_error(format!("unknown operator `{other}`"))),
    }
}

/// `A - B`: an upper bound with fewer than three components covers that whole series.
fn hyphen(b: &Builder<'_>, from: &str, to: &str) -> Result<Vec<Interval>, RequirementError> {
    let (to_parts, to_stability) = components(b, to)?;
    let upper = if to_parts.len() < 3 && !to_stability {
        Bound {
            version: bumped(&to_parts, to_parts.len()),
            inclusive: false,
        }
    } else {
        Bound {
            version: norm(b, to)?,
            inclusive: true,
        }
    };
    Ok(vec![Interval {
        lower: Some(Bound {
            version: lower_dev(b, from)?,
            inclusive: true,
        }),
        upper: Some(upper),
    }])
}

pub(super) fn parse(b: &mut Builder<'_>) -> Result<Vec<Interval>, RequirementError> {
    let text = b.text;
    let mut out = Vec::new();
    for alternative in text.split('|').filter(|a| !a.is_empty()) {
        let words: Vec<&str> = alternative.split_whitespace().collect();
        let unions = if words.len() == 3 && words[1] == "-" {
            vec![hyphen(b, words[0], words[2])?]
        } else {
            split_clauses(alternative)
                .map_err(|r| b.syntax_error(r))?
                .into_iter()
                .map(|(op, v)| clause(b, op, v))
                .collect::<Result<Vec<_>, _>>()?
        };
        if unions.is_empty() {
            return Err(b.syntax_error("empty constraint"));
        }
        out.extend(b.conjunction(unions)?);
    }
    if out.is_empty() && text.trim().is_empty() {
        return Err(b.syntax_error("empty constraint"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use crate::requirement::{Interval, RangeSyntax, parse_requirement};

    fn intervals(text: &str) -> Vec<Interval> {
        parse_requirement(Scheme::Composer, RangeSyntax::Composer, text)
            .expect("valid constraint")
            .intervals
    }

    #[test]
    fn composer_desugaring() {
        assert_eq!(
            intervals(">=1.0,<1.5.2|>=2.0"),
            vec![
                Interval::half_open("1.0.0.0-dev", "1.5.2.0-dev"),
                Interval::from_lower("2.0.0.0-dev", true)
            ]
        );
        assert_eq!(
            intervals("^1.2.3"),
            vec![Interval::half_open("1.2.3.0-dev", "2.0.0.0-dev")]
        );
        assert_eq!(
            intervals("^0.3"),
            vec![Interval::half_open("0.3.0.0-dev", "0.4.0.0-dev")]
        );
        assert_eq!(
            intervals("~1.2"),
            vec![Interval::half_open("1.2.0.0-dev", "2.0.0.0-dev")]
        );
        assert_eq!(
            intervals("~1.2.3"),
            vec![Interval::half_open("1.2.3.0-dev", "1.3.0.0-dev")]
        );
        assert_eq!(
            intervals("1.0.*"),
            vec![Interval::half_open("1.0.0.0-dev", "1.1.0.0-dev")]
        );
        assert_eq!(
            intervals("1.0 - 2.0"),
            vec![Interval::half_open("1.0.0.0-dev", "2.1.0.0-dev")]
        );
    }

    #[test]
    fn stability_bounds() {
        let r =
            parse_requirement(Scheme::Composer, RangeSyntax::Composer, "<1.5.2").expect("valid");
        assert_eq!(r.contains("1.5.2-beta1"), Ok(false));
        assert_eq!(r.contains("1.5.1"), Ok(true));
        let r =
            parse_requirement(Scheme::Composer, RangeSyntax::Composer, "<=1.5.2").expect("valid");
        assert_eq!(r.contains("1.5.2-p1"), Ok(false));
        assert!(parse_requirement(Scheme::Composer, RangeSyntax::Composer, "").is_err());
    }
}
