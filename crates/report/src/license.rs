//! Sorting declared licence strings into what the SBOM standards can carry.
//!
//! Analyzers report licences as the package states them: an SPDX id (`MIT`), an SPDX
//! expression (`MIT OR Apache-2.0`), or free text (`BSD-style`, `Apache 2.0`). CycloneDX puts
//! these in three different fields and SPDX needs a valid expression, so each string is
//! classified once here. Matching is exact and case-sensitive, as the SPDX list defines ids:
//! guessing that `Apache 2.0` means `Apache-2.0` is the analyzers' business, not the writer's.

use ::spdx::{Expression, ParseMode};

/// One declared licence string, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LicenseTerm {
    /// Exactly one id from the SPDX licence list (deprecated ids included: they stay valid).
    Id(String),
    /// A valid SPDX expression that is more than a bare id: operators, `WITH`, `+`, or
    /// `LicenseRef-`.
    Expression(String),
    /// Anything else, kept as written.
    Name(String),
}

/// The SPDX specification's rules, except that deprecated ids (`GPL-2.0`) are accepted: they
/// are still on the list and both schemas accept them.
const SPDX_MODE: ParseMode = ParseMode {
    allow_slash_as_or_operator: false,
    allow_imprecise_license_names: false,
    allow_postfix_plus_on_gpl: false,
    allow_deprecated: true,
    allow_unknown: false,
};

impl LicenseTerm {
    pub(crate) fn classify(raw: &str) -> Option<LicenseTerm> {
        let text = raw.trim();
        if text.is_empty() {
            return None;
        }
        if ::spdx::license_id(text).is_some_and(|id| id.name == text) {
            return Some(LicenseTerm::Id(text.to_owned()));
        }
        Some(match Expression::parse_mode(text, SPDX_MODE) {
            Ok(_) => LicenseTerm::Expression(text.to_owned()),
            Err(_) => LicenseTerm::Name(text.to_owned()),
        })
    }

    /// The term as an operand of a larger expression; free text becomes the `LicenseRef-`
    /// that `license_ref` returns for it.
    pub(crate) fn as_operand(&self, license_ref: &mut impl FnMut(&str) -> String) -> String {
        match self {
            LicenseTerm::Id(id) => id.clone(),
            LicenseTerm::Expression(expr) if expr.contains(' ') => format!("({expr})"),
            LicenseTerm::Expression(expr) => expr.clone(),
            LicenseTerm::Name(name) => license_ref(name),
        }
    }
}

/// Classifies every declared licence of a package, dropping blanks and repeats.
pub(crate) fn classify_all(licenses: &[String]) -> Vec<LicenseTerm> {
    let mut terms: Vec<LicenseTerm> = Vec::new();
    for term in licenses.iter().filter_map(|l| LicenseTerm::classify(l)) {
        if !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// `terms` joined with `AND` into one expression (each declared licence applies).
pub(crate) fn conjunction(
    terms: &[LicenseTerm],
    mut license_ref: impl FnMut(&str) -> String,
) -> Option<String> {
    match terms {
        [] => None,
        // A lone compound expression needs no parentheses.
        [LicenseTerm::Expression(expr)] => Some(expr.clone()),
        _ => Some(
            terms
                .iter()
                .map(|t| t.as_operand(&mut license_ref))
                .collect::<Vec<_>>()
                .join(" AND "),
        ),
    }
}

/// The idstring of a `LicenseRef-` for free text: SPDX allows only `[A-Za-z0-9.-]`.
pub(crate) fn license_ref_id(text: &str) -> String {
    let sanitized = sanitize_id(text);
    format!("LicenseRef-{sanitized}")
}

/// Replaces every character outside `[A-Za-z0-9.-]` with `-`, collapsing runs; never empty.
pub(crate) fn sanitize_id(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "unknown".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_ids_expressions_and_free_text() {
        let cases = [
            ("MIT", LicenseTerm::Id("MIT".into())),
            (" GPL-2.0-only ", LicenseTerm::Id("GPL-2.0-only".into())),
            ("GPL-2.0", LicenseTerm::Id("GPL-2.0".into())),
            (
                "MIT OR Apache-2.0",
                LicenseTerm::Expression("MIT OR Apache-2.0".into()),
            ),
            (
                "GPL-2.0-or-later WITH Classpath-exception-2.0",
                LicenseTerm::Expression("GPL-2.0-or-later WITH Classpath-exception-2.0".into()),
            ),
            ("Apache-1.1+", LicenseTerm::Expression("Apache-1.1+".into())),
            (
                "LicenseRef-Proprietary",
                LicenseTerm::Expression("LicenseRef-Proprietary".into()),
            ),
            ("mit", LicenseTerm::Name("mit".into())),
            ("Apache 2.0", LicenseTerm::Name("Apache 2.0".into())),
            ("BSD-style", LicenseTerm::Name("BSD-style".into())),
            ("MIT/X11", LicenseTerm::Name("MIT/X11".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(LicenseTerm::classify(raw), Some(want), "{raw}");
        }
        assert_eq!(LicenseTerm::classify("  "), None);
    }

    #[test]
    fn conjunction_parenthesises_compounds_and_refs_free_text() {
        let terms = classify_all(&[
            "MIT OR Apache-2.0".into(),
            "Zlib".into(),
            "Public Domain (see COPYING)".into(),
            "Zlib".into(),
        ]);
        assert_eq!(
            conjunction(&terms, license_ref_id).as_deref(),
            Some("(MIT OR Apache-2.0) AND Zlib AND LicenseRef-Public-Domain-see-COPYING")
        );
        assert_eq!(conjunction(&[], license_ref_id), None);
        let single = classify_all(&["MIT OR Apache-2.0".into()]);
        assert_eq!(
            conjunction(&single, license_ref_id).as_deref(),
            Some("MIT OR Apache-2.0")
        );
    }

    #[test]
    fn sanitized_ids_stay_in_the_spdx_alphabet() {
        assert_eq!(sanitize_id("GPL/2 + ©"), "GPL-2");
        assert_eq!(sanitize_id("@scope/pkg_name@1.0"), "scope-pkg-name-1.0");
        assert_eq!(sanitize_id("©©"), "unknown");
    }
}
