//! RubyGems requirements: comma-separated `op version` clauses, `~>` being the pessimistic
//! operator (`~> 1.2.3` = `>= 1.2.3, < 1.3`). RubyGems checks `~>`'s upper end on the
//! candidate's release part, so it also rejects pre-releases of the bump (`1.3.a`); no finite
//! bound sorts right below every `1.3` pre-release, so the interval keeps plain order there.

use super::{Builder, Interval, RequirementError};

fn clause(b: &Builder<'_>, op: &str, version: &str) -> Result<Vec<Interval>, RequirementError> {
    if op == "~>" {
        let lower = b.checked(version)?;
        let upper = crate::rubygems::bump(version).map_err(|e| b.version_error(e))?;
        return Ok(vec![Interval::half_open(lower, upper)]);
    }
    b.simple_comparator(op, version)
}

pub(super) fn parse(b: &mut Builder<'_>) -> Result<Vec<Interval>, RequirementError> {
    let text = b.text;
    b.comparator_alternatives(text, |b, op, version| clause(b, op, version))
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use crate::requirement::{Interval, RangeSyntax, parse_requirement};

    fn req(text: &str) -> crate::requirement::Requirement {
        parse_requirement(Scheme::RubyGems, RangeSyntax::RubyGems, text).expect("valid requirement")
    }

    #[test]
    fn pessimistic_operator() {
        assert_eq!(
            req("~> 1.2.3").intervals,
            vec![Interval::half_open("1.2.3", "1.3")]
        );
        assert_eq!(
            req("~> 1.2").intervals,
            vec![Interval::half_open("1.2", "2")]
        );
        let r = req(">= 2.0, < 2.5, != 2.1");
        assert_eq!(r.contains("2.1"), Ok(false));
        assert_eq!(r.contains("2.4.9"), Ok(true));
        assert_eq!(r.contains("2.5.0"), Ok(false));
        assert!(parse_requirement(Scheme::RubyGems, RangeSyntax::RubyGems, "~> x").is_err());
    }
}
