//! Suppression after matching: ignore files (`.trivyignore`, `.trivyignore.yaml`) and VEX
//! documents (OpenVEX, CycloneDX VEX). Nothing is dropped silently: every suppressed finding
//! keeps the rule that suppressed it, and ignore rules past their expiry are reported.
//!
//! ```text
//! let ignores = IgnoreFile::load(Path::new(".trivyignore"))?;
//! let vex = VexDocument::load(Path::new("app.vex.json"))?;
//! let outcome = suppress(findings, &[ignores], &[vex], today);
//! ```

pub mod cyclonedx;
pub mod ignore;
pub mod openvex;

use std::fmt;
use std::path::PathBuf;

use kabuto_types::{Finding, MisconfigFinding, Purl, VulnId};
use serde::Serialize;

pub use ignore::{IgnoreEntry, IgnoreFile, MisconfigIgnore};

/// A file that could not be used as an ignore file or VEX document.
#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not valid {format}: {reason}")]
    Syntax {
        file: String,
        format: &'static str,
        reason: String,
    },
    /// YAML nested too deep or not tokenizable, refused before parsing.
    #[error(transparent)]
    Refused(#[from] kabuto_yaml::Refused),
    /// A field with a wrong or missing value; `field` is a path such as `statements[2].status`
    /// or `line 4`.
    #[error("{file}: {field}: {reason}")]
    Field {
        file: String,
        field: String,
        reason: String,
    },
}

/// A field-level problem found while validating a parsed document; the loader adds the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    fn in_file(self, file: &str) -> SuppressError {
        SuppressError::Field {
            file: file.to_owned(),
            field: self.field,
            reason: self.reason,
        }
    }
}

/// Parses JSON or YAML into `T`, naming the field path of a type error.
fn deserialize<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    de: D,
    file: &str,
    format: &'static str,
) -> Result<T, SuppressError>
where
    D::Error: fmt::Display,
{
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        if path == "." {
            SuppressError::Syntax {
                file: file.to_owned(),
                format,
                reason,
            }
        } else {
            SuppressError::Field {
                file: file.to_owned(),
                field: path,
                reason,
            }
        }
    })
}

fn vuln_id(text: &str, field: &str) -> Result<VulnId, FieldError> {
    VulnId::new(text.trim()).map_err(|e| FieldError::new(field, e.to_string()))
}

/// A package pattern written as a purl. OpenVEX matching rules: type, namespace and name
/// must be equal; a version or qualifier the pattern states must be equal too, one it
/// leaves out matches anything (`pkg:npm/lodash` covers every lodash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlPattern(Purl);

impl PurlPattern {
    pub fn parse(text: &str, field: &str) -> Result<PurlPattern, FieldError> {
        text.trim()
            .parse()
            .map(PurlPattern)
            .map_err(|e: kabuto_types::PurlError| FieldError::new(field, e.to_string()))
    }

    pub fn matches(&self, purl: &Purl) -> bool {
        let p = &self.0;
        p.ty().eq_ignore_ascii_case(purl.ty())
            && p.namespace() == purl.namespace()
            && p.name() == purl.name()
            && p.version().is_none_or(|v| Some(v) == purl.version())
            && p.qualifiers()
                .iter()
                .all(|(k, v)| purl.qualifiers().get(k) == Some(v))
    }
}

impl fmt::Display for PurlPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// True when `id` names the finding: its preferred id or one of its aliases.
fn names_finding(id: &VulnId, finding: &Finding) -> bool {
    std::iter::once(&finding.id)
        .chain(&finding.aliases)
        .any(|f| f.as_str().eq_ignore_ascii_case(id.as_str()))
}

/// Why a finding was suppressed, for `--show-suppressed` style output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionReason {
    /// The ignore file or VEX document the rule is in.
    pub file: String,
    pub kind: SuppressionKind,
    /// The VEX status as written (`not_affected`, `fixed`, `false_positive`, `resolved`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The ignore entry's `statement` or the VEX impact statement / analysis detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionKind {
    IgnoreFile,
    OpenVex,
    CycloneDxVex,
}

impl fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SuppressionKind::IgnoreFile => write!(f, "ignored by {}", self.file)?,
            SuppressionKind::OpenVex | SuppressionKind::CycloneDxVex => write!(
                f,
                "VEX {} in {}",
                self.status.as_deref().unwrap_or("?"),
                self.file
            )?,
        }
        if let Some(j) = &self.justification {
            write!(f, " ({j})")?;
        }
        if let Some(s) = &self.statement {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

/// A finding with the rule that suppressed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppressed<F = Finding> {
    pub finding: F,
    pub reason: SuppressionReason,
}

/// An ignore entry whose expiry date has passed: it suppresses nothing any more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiredIgnore {
    /// The vulnerability or misconfiguration check id, as the entry names it.
    pub id: String,
    pub file: String,
    /// Written as `YYYY-MM-DD`.
    #[serde(serialize_with = "as_text")]
    pub expired_at: time::Date,
}

impl ExpiredIgnore {
    /// The entry for `id` in `file`, past its `expires` date (`today` when it has none).
    fn of(
        id: &impl fmt::Display,
        file: &str,
        expires: Option<time::Date>,
        today: time::Date,
    ) -> Self {
        ExpiredIgnore {
            id: id.to_string(),
            file: file.to_owned(),
            expired_at: expires.unwrap_or(today),
        }
    }
}

fn as_text<S: serde::Serializer>(date: &time::Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

impl fmt::Display for ExpiredIgnore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the ignore entry for {} expired on {}; it no longer suppresses findings",
            self.file, self.id, self.expired_at
        )
    }
}

/// What suppression kept and removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Suppression {
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub expired: Vec<ExpiredIgnore>,
}

/// One VEX statement in the common form both VEX formats are read into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability and its aliases as the statement names them.
    pub ids: Vec<VulnId>,
    /// The packages it covers.
    pub products: Vec<PurlPattern>,
    /// True for statuses that clear a finding (OpenVEX `not_affected`/`fixed`, CycloneDX
    /// `not_affected`/`false_positive`/`resolved`).
    pub suppresses: bool,
    /// The status or analysis state as written.
    pub status: String,
    pub justification: Option<String>,
    pub statement: Option<String>,
}

/// A validated VEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    pub file: String,
    pub kind: SuppressionKind,
    pub statements: Vec<VexStatement>,
}

impl VexDocument {
    /// Reads an OpenVEX or CycloneDX VEX JSON file, telling them apart by content.
    pub fn load(path: &std::path::Path) -> Result<VexDocument, SuppressError> {
        let bytes = std::fs::read(path).map_err(|source| SuppressError::Read {
            path: path.to_owned(),
            source,
        })?;
        VexDocument::from_json(&bytes, &path.display().to_string())
    }

    /// OpenVEX when the document has `statements`, CycloneDX when it has `bomFormat`.
    pub fn from_json(bytes: &[u8], file: &str) -> Result<VexDocument, SuppressError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| SuppressError::Syntax {
                file: file.to_owned(),
                format: "JSON",
                reason: e.to_string(),
            })?;
        if value.get("bomFormat").is_some() {
            cyclonedx::parse(bytes, file)
        } else if value.get("statements").is_some() {
            openvex::parse(bytes, file)
        } else {
            Err(SuppressError::Syntax {
                file: file.to_owned(),
                format: "VEX",
                reason: "neither OpenVEX (`statements`) nor CycloneDX (`bomFormat`)".into(),
            })
        }
    }

    /// The last statement about the finding's vulnerability and package: later statements
    /// revise earlier ones.
    fn statement_for(&self, finding: &Finding) -> Option<&VexStatement> {
        self.statements.iter().rev().find(|s| {
            s.ids.iter().any(|id| names_finding(id, finding))
                && s.products.iter().any(|p| p.matches(&finding.package_purl))
        })
    }
}

/// Applies one ignore file. Entries whose `expired_at`/`exp:` date is before `today` do not
/// suppress and are listed in [`Suppression::expired`].
pub fn apply_ignores(
    findings: Vec<Finding>,
    ignores: &IgnoreFile,
    today: time::Date,
) -> Suppression {
    let mut out = Suppression {
        expired: ignores
            .entries
            .iter()
            .filter(|e| e.is_expired(today))
            .map(|e| ExpiredIgnore::of(&e.id, &ignores.file, e.expires, today))
            .collect(),
        ..Suppression::default()
    };
    for finding in findings {
        match ignores.entry_for(&finding, today) {
            Some(e) => out.suppressed.push(Suppressed {
                finding,
                reason: ignored_by(ignores, e.statement.as_ref()),
            }),
            None => out.kept.push(finding),
        }
    }
    out
}

fn ignored_by(ignores: &IgnoreFile, statement: Option<&String>) -> SuppressionReason {
    SuppressionReason {
        file: ignores.file.clone(),
        kind: SuppressionKind::IgnoreFile,
        status: None,
        justification: None,
        statement: statement.cloned(),
    }
}

/// What misconfiguration suppression kept and removed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MisconfigSuppression {
    pub kept: Vec<MisconfigFinding>,
    pub suppressed: Vec<Suppressed<MisconfigFinding>>,
    pub expired: Vec<ExpiredIgnore>,
}

/// Applies the ignore files' `misconfigurations` rules (a check id, optionally limited to
/// files by path globs). Expired rules suppress nothing and are listed.
pub fn suppress_misconfigs(
    findings: Vec<MisconfigFinding>,
    ignores: &[IgnoreFile],
    today: time::Date,
) -> MisconfigSuppression {
    let mut out = MisconfigSuppression::default();
    for file in ignores {
        out.expired.extend(
            file.misconfigs
                .iter()
                .filter(|m| m.is_expired(today))
                .map(|m| ExpiredIgnore::of(&m.id, &file.file, m.expires, today)),
        );
    }
    for finding in findings {
        let rule = ignores
            .iter()
            .find_map(|file| Some((file, file.misconfig_entry_for(&finding, today)?)));
        match rule {
            Some((file, m)) => out.suppressed.push(Suppressed {
                finding,
                reason: ignored_by(file, m.statement.as_ref()),
            }),
            None => out.kept.push(finding),
        }
    }
    out
}

/// Applies one VEX document: a finding is suppressed when the last statement about its
/// vulnerability and package has a suppressing status.
pub fn apply_vex(findings: Vec<Finding>, vex: &VexDocument) -> Suppression {
    let mut out = Suppression::default();
    for finding in findings {
        match vex.statement_for(&finding).filter(|s| s.suppresses) {
            Some(s) => out.suppressed.push(Suppressed {
                finding,
                reason: SuppressionReason {
                    file: vex.file.clone(),
                    kind: vex.kind,
                    status: Some(s.status.clone()),
                    justification: s.justification.clone(),
                    statement: s.statement.clone(),
                },
            }),
            None => out.kept.push(finding),
        }
    }
    out
}

/// Every ignore file, then every VEX document, in turn: what the CLI calls after matching.
pub fn suppress(
    findings: Vec<Finding>,
    ignores: &[IgnoreFile],
    vex: &[VexDocument],
    today: time::Date,
) -> Suppression {
    let mut total = Suppression {
        kept: findings,
        ..Suppression::default()
    };
    for i in ignores {
        total.then(|f| apply_ignores(f, i, today));
    }
    for v in vex {
        total.then(|f| apply_vex(f, v));
    }
    total
}

impl Suppression {
    /// Runs `step` on the findings kept so far and adds what it removed.
    fn then(&mut self, step: impl FnOnce(Vec<Finding>) -> Suppression) {
        let next = step(std::mem::take(&mut self.kept));
        self.kept = next.kept;
        self.suppressed.extend(next.suppressed);
        self.expired.extend(next.expired);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl(s: &str) -> Purl {
        s.parse().expect("valid purl")
    }

    #[test]
    fn purl_patterns_follow_openvex_matching() {
        let p = |s: &str| PurlPattern::parse(s, "p").expect("valid");
        let installed = purl("pkg:npm/lodash@4.17.4?arch=x86_64");
        assert!(p("pkg:npm/lodash").matches(&installed));
        assert!(p("pkg:npm/lodash@4.17.4").matches(&installed));
        assert!(p("pkg:npm/lodash@4.17.4?arch=x86_64").matches(&installed));
        assert!(!p("pkg:npm/lodash@4.17.5").matches(&installed));
        assert!(!p("pkg:npm/lodash?arch=arm64").matches(&installed));
        assert!(!p("pkg:npm/lodash-es").matches(&installed));
        assert!(!p("pkg:pypi/lodash").matches(&installed));
        assert!(PurlPattern::parse("lodash", "products[0]").is_err());
    }
}
