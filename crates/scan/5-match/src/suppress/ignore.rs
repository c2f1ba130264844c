//! Ignore files in the two formats Trivy users already write.
//!
//! Plain (`.trivyignore`): one id per line, `#` starts a comment, an optional `exp:YYYY-MM-DD`
//! after the id ends the entry on that date.
//!
//! YAML (`.trivyignore.yaml`): `vulnerabilities: [{id, paths?, purls?, statement?, expired_at?}]`;
//! the other sections Trivy reads (`misconfigurations`, `secrets`, `licenses`) are accepted
//! and not used here.

use std::path::Path;

use globset::{Glob, GlobMatcher};
use kabuto_types::{Finding, VulnId};
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use super::{FieldError, PurlPattern, SuppressError, deserialize, names_finding, vuln_id};

/// A validated ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    /// Where it was read from, for reasons and messages.
    pub file: String,
    pub entries: Vec<IgnoreEntry>,
}

/// One ignore rule. With neither `paths` nor `purls` it covers the vulnerability everywhere.
#[derive(Debug, Clone)]
pub struct IgnoreEntry {
    pub id: VulnId,
    /// Glob patterns over the finding's package locations.
    pub paths: Vec<GlobMatcher>,
    pub purls: Vec<PurlPattern>,
    pub statement: Option<String>,
    /// The last day the entry suppresses.
    pub expires: Option<Date>,
}

impl IgnoreEntry {
    /// Expired once `today` is past `expires` (the expiry day itself still suppresses).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| today > d)
    }

    pub fn matches(&self, finding: &Finding) -> bool {
        names_finding(&self.id, finding)
            && (self.paths.is_empty()
                || finding
                    .locations
                    .iter()
                    .any(|l| self.paths.iter().any(|g| g.is_match(&l.path))))
            && (self.purls.is_empty()
                || self.purls.iter().any(|p| p.matches(&finding.package_purl)))
    }
}

fn date(text: &str, field: &str) -> Result<Date, FieldError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|e| FieldError::new(field, format!("`{text}` is not a YYYY-MM-DD date: {e}")))
}

impl IgnoreFile {
    /// Reads `path`: YAML when it ends in `.yaml`/`.yml`, the plain format otherwise.
    pub fn load(path: &Path) -> Result<IgnoreFile, SuppressError> {
        let text = std::fs::read_to_string(path).map_err(|source| SuppressError::Read {
            path: path.to_owned(),
            source,
        })?;
        let file = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => IgnoreFile::from_yaml(&text, &file),
            _ => IgnoreFile::from_plain(&text, &file),
        }
    }

    /// The plain format. Errors name the line.
    pub fn from_plain(text: &str, file: &str) -> Result<IgnoreFile, SuppressError> {
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let field = format!("line {}", n + 1);
            let line = line.split('#').next().unwrap_or_default().trim();
            let mut words = line.split_whitespace();
            let Some(id) = words.next() else {
                continue;
            };
            let mut expires = None;
            for word in words {
                match word.strip_prefix("exp:") {
                    Some(d) => expires = Some(date(d, &field).map_err(|e| e.in_file(file))?),
                    None => {
                        return Err(FieldError::new(
                            field,
                            format!("unexpected `{word}` after the id (only `exp:YYYY-MM-DD` may follow)"),
                        )
                        .in_file(file));
                    }
                }
            }
            entries.push(IgnoreEntry {
                id: vuln_id(id, &field).map_err(|e| e.in_file(file))?,
                paths: Vec::new(),
                purls: Vec::new(),
                statement: None,
                expires,
            });
        }
        Ok(IgnoreFile {
            file: file.to_owned(),
            entries,
        })
    }

    /// The YAML format. Errors name the field (`vulnerabilities[1].expired_at`).
    pub fn from_yaml(text: &str, file: &str) -> Result<IgnoreFile, SuppressError> {
        if text.trim().is_empty() {
            return Ok(IgnoreFile {
                file: file.to_owned(),
                entries: Vec::new(),
            });
        }
        let raw: RawIgnoreFile =
            deserialize(serde_yaml::Deserializer::from_str(text), file, "YAML")?;
        let entries = raw
            .vulnerabilities
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, e)| IgnoreEntry::try_from((i, e)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.in_file(file))?;
        Ok(IgnoreFile {
            file: file.to_owned(),
            entries,
        })
    }
}

#[derive(Deserialize)]
struct RawIgnoreFile {
    vulnerabilities: Option<Vec<RawIgnoreEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnoreEntry {
    id: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    purls: Vec<String>,
    statement: Option<String>,
    expired_at: Option<serde_yaml::Value>,
}

impl TryFrom<(usize, RawIgnoreEntry)> for IgnoreEntry {
    type Error = FieldError;
    fn try_from((i, raw): (usize, RawIgnoreEntry)) -> Result<Self, FieldError> {
        let at = |f: &str| format!("vulnerabilities[{i}].{f}");
        let id = raw.id.ok_or_else(|| FieldError::new(at("id"), "missing"))?;
        let paths = raw
            .paths
            .iter()
            .enumerate()
            .map(|(j, p)| {
                Glob::new(p)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| FieldError::new(at(&format!("paths[{j}]")), e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        let purls = raw
            .purls
            .iter()
            .enumerate()
            .map(|(j, p)| PurlPattern::parse(p, &at(&format!("purls[{j}]"))))
            .collect::<Result<_, _>>()?;
        // YAML may read an unquoted date as a string or, in some writers, a number-like scalar.
        let expires = match raw.expired_at {
            None | Some(serde_yaml::Value::Null) => None,
            Some(serde_yaml::Value::String(s)) => Some(date(&s, &at("expired_at"))?),
            Some(other) => {
                return Err(FieldError::new(
                    at("expired_at"),
                    format!("expected a YYYY-MM-DD date, found {other:?}"),
                ));
            }
        };
        Ok(IgnoreEntry {
            id: vuln_id(&id, &at("id"))?,
            paths,
            purls,
            statement: raw.statement.filter(|s| !s.trim().is_empty()),
            expires,
        })
    }
}
