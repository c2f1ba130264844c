//! PEP 440 version specifiers (`~=`, `==`, `!=`, `<=`, `>=`, `<`, `>`, `===`, `.*`
//! wildcards), with clauses separated by commas (or whitespace) and `||` alternatives.
//!
//! `<V` follows PEP 440: when `V` is not itself a pre-release it also excludes V's
//! pre-releases, so its upper bound is `V.dev0`. `>V` should likewise exclude V's
//! post-releases, which no finite bound expresses; the interval keeps plain order there.

use super::{Builder, Interval, RequirementError};
use crate::num::increment_digits;
use crate::pep440::{Pep440Version, normalize, parse as parse_version};

fn parsed<'a>(b: &Builder<'_>, version: &'a str) -> Result<Pep440Version<'a>, RequirementError> {
    parse_version(version).map_err(|e| b.version_error(e))
}

fn normalized(b: &Builder<'_>, version: &str) -> Result<String, RequirementError> {
    normalize(version).map_err(|e| b.version_error(e))
}

fn epoch_prefix(v: &Pep440Version<'_>) -> String {
    if crate::num::is_zero(v.epoch.as_bytes()) {
        String::new()
    } else {
        format!("{}!", v.epoch)
    }
}

/// `release` with its `keep` first components, the last of them incremented.
fn bumped_release(release: &str, keep: usize) -> String {
    let parts: Vec<&str> = release.split('.').take(keep).collect();
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if i + 1 == parts.len() {
            out.push_str(&increment_digits(part.as_bytes()));
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `[lower, upper)` holding exactly the versions whose prefix is `prefix` (`==prefix.*`).
fn wildcard(b: &Builder<'_>, prefix: &str) -> Result<(String, String), RequirementError> {
    let v = parsed(b, prefix)?;
    if v.dev.is_some() || v.local.is_some() {
        return Err(b.syntax_error("`.*` cannot follow a dev or local version"));
    }
    let lower = format!("{}.dev0", normalized(b, prefix)?);
    let epoch = epoch_prefix(&v);
    let release = v.release;
    let upper = match (v.pre, v.post) {
        (_, Some(post)) => {
            let head = normalized(b, &format!("{epoch}{release}{}", pre_text(v.pre)))?;
            format!("{head}.post{}.dev0", increment_digits(post.as_bytes()))
        }
        (Some((kind, n)), None) => format!(
            "{}{}{}{}.dev0",
            epoch,
            release,
            ["a", "b", "rc"][usize::from(kind)],
            increment_digits(n.as_bytes())
        ),
        (None, None) => format!(
            "{epoch}{}.dev0",
            bumped_release(release, release.split('.').count())
        ),
    };
    Ok((lower, upper))
}

fn pre_text(pre: Option<(u8, &str)>) -> String {
    pre.map(|(kind, n)| {
        format!(
            "{}{}",
            ["a", "b", "rc"][usize::from(kind)],
            if n.is_empty() { "0" } else { n }
        )
    })
    .unwrap_or_default()
}

fn specifier(b: &Builder<'_>, op: &str, version: &str) -> Result<Vec<Interval>, RequirementError> {
    if version == "*" && op.is_empty() {
        return Ok(vec![Interval::all()]);
    }
    if let Some(prefix) = version.strip_suffix(".*") {
        let (lower, upper) = wildcard(b, prefix)?;
        return match op {
            "==" | "=" | "" => Ok(vec![Interval::half_open(lower, upper)]),
            "!=" => Ok(vec![
                Interval::from_upper(lower, false),
                Interval::from_lower(upper, true),
            ]),
            _ => Err(b.syntax_error(format!("`.*` is only allowed with == and !=, not `{op}`"))),
        };
    }
    let v = parsed(b, version)?;
    if v.local.is_some() && !matches!(op, "" | "=" | "==" | "!=" | "===") {
        return Err(b.syntax_error("local versions are only allowed with == and !="));
    }
    let owned = version.to_owned();
    Ok(match op {
        "" | "=" | "==" | "===" => vec![Interval::exactly(owned)],
        "!=" => vec![
            Interval::from_upper(owned.clone(), false),
            Interval::from_lower(owned, false),
        ],
        "<=" => vec![Interval::from_upper(owned, true)],
        ">=" => vec![Interval::from_lower(owned, true)],
        ">" => vec![Interval::from_lower(owned, false)],
        "<" if !v.is_prerelease() && v.post.is_none() => {
            vec![Interval::from_upper(
                format!("{}.dev0", normalized(b, version)?),
                false,
            )]
        }
        "<" => vec![Interval::from_upper(owned, false)],
        "~=" => {
            let parts = v.release.split('.').count();
            if parts < 2 {
                return Err(b.syntax_error("`~=` needs at least two release components"));
            }
            let upper = format!(
                "{}{}.dev0",
                epoch_prefix(&v),
                bumped_release(v.release, parts - 1)
            );
            vec![Interval::half_open(owned, upper)]
        }
        other => return Err(b.syntax_error(format!("unknown operator `{other}`"))),
    })
}

pub(super) fn parse(b: &mut Builder<'_>) -> Result<Vec<Interval>, RequirementError> {
    let text = b.text;
    b.comparator_alternatives(text, |b, op, version| specifier(b, op, version))
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use crate::requirement::{Interval, RangeSyntax, parse_requirement};

    fn intervals(text: &str) -> Vec<Interval> {
        parse_requirement(Scheme::Pep440, RangeSyntax::Pep440, text)
            .expect("valid specifier")
            .intervals
    }

    #[test]
    fn compatible_release_and_wildcards() {
        assert_eq!(
            intervals("~=1.4.5"),
            vec![Interval::half_open("1.4.5", "1.5.dev0")]
        );
        assert_eq!(
            intervals("~=2.2"),
            vec![Interval::half_open("2.2", "3.dev0")]
        );
        assert_eq!(
            intervals("==1.3.*"),
            vec![Interval::half_open("1.3.dev0", "1.4.dev0")]
        );
        assert_eq!(
            intervals("==2!1.*"),
            vec![Interval::half_open("2!1.dev0", "2!2.dev0")]
        );
        assert_eq!(
            intervals(">=1.0,!=1.3.*,<2"),
            vec![
                Interval::half_open("1.0", "1.3.dev0"),
                Interval::half_open("1.4.dev0", "2.dev0")
            ]
        );
    }

    #[test]
    fn local_labels_and_prereleases() {
        let r = parse_requirement(Scheme::Pep440, RangeSyntax::Pep440, "==1.0").expect("valid");
        assert_eq!(r.contains("1.0+ubuntu1"), Ok(true));
        let r = parse_requirement(Scheme::Pep440, RangeSyntax::Pep440, "<2.0").expect("valid");
        assert_eq!(r.contains("2.0rc1"), Ok(false));
        assert_eq!(r.contains("1.9"), Ok(true));
        assert!(parse_requirement(Scheme::Pep440, RangeSyntax::Pep440, "~=1").is_err());
        assert!(parse_requirement(Scheme::Pep440, RangeSyntax::Pep440, ">=1.0+local").is_err());
    }
}
