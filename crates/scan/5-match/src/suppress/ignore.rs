//! Ignore files in the two formats Trivy users already write.
//!
//! Plain (`.trivyignore`): one id per line, `#` starts a comment, an optional `exp:YYYY-MM-DD`
//! after the id ends the entry on that date.
//!
//! YAML (`.trivyignore.yaml`): `vulnerabilities: [{id, paths?, purls?, statement?, expired_at?}]`
//! and `misconfigurations: [{id, paths?, statement?, expired_at?}]` (a check id such as
//! `KBK001`; `paths` are globs over the scanned file's path; Trivy's own check ids, as in a
//! file shared with Trivy, cover nothing here); the other sections Trivy reads
//! (`secrets`, `licenses`) are accepted and not used here. In the plain format a line whose id
//! is a check id (uppercase letters and digits) ignores that misconfiguration check.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use kabuto_types::{Finding, MisconfigCheckId, MisconfigFinding, VulnId};
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use super::{FieldError, PurlPattern, SuppressError, deserialize, names_finding, vuln_id};

/// Most `paths` globs one ignore file may have. Compiling globs costs time and memory even
/// as one set (5,000 `a/**/b` globs take seconds, 200k took gigabytes); real files have tens.
pub const MAX_PATH_GLOBS: usize = 1_000;

/// A validated ignore file.
#[derive(Debug, Clone)]
pub struct IgnoreFile {
    /// Where it was read from, for reasons and messages.
    pub file: String,
    pub entries: Vec<IgnoreEntry>,
    /// Every entry's `paths`, compiled together once: one automaton instead of one regex per
    /// glob (200k globs used to take 3.3 GB).
    path_globs: GlobSet,
    /// The entry each glob of `path_globs` belongs to, by glob index.
    glob_entry: Vec<usize>,
    /// Misconfiguration checks to ignore.
    pub misconfigs: Vec<MisconfigIgnore>,
}

/// One misconfiguration ignore rule. Without `paths` it covers the check in every file.
#[derive(Debug, Clone)]
pub struct MisconfigIgnore {
    pub id: MisconfigCheckId,
    /// Glob patterns over the finding's file path.
    pub paths: Vec<Glob>,
    path_globs: GlobSet,
    pub statement: Option<String>,
    /// The last day the entry suppresses.
    pub expires: Option<Date>,
}

impl MisconfigIgnore {
    /// Expired once `today` is past `expires` (the expiry day itself still suppresses).
    pub fn is_expired(&self, today: Date) -> bool {
        expired(self.expires, today)
    }

    /// True when the rule covers `finding` and has not expired by `today`.
    pub fn covers(&self, finding: &MisconfigFinding, today: Date) -> bool {
        !self.is_expired(today)
            && self.id == finding.check_id
            && (self.paths.is_empty() || self.path_globs.is_match(&finding.path))
    }
}

/// One ignore rule. With neither `paths` nor `purls` it covers the vulnerability everywhere.
#[derive(Debug, Clone)]
pub struct IgnoreEntry {
    pub id: VulnId,
    /// Glob patterns over the finding's package locations (matched through the file's set).
    pub paths: Vec<Glob>,
    pub purls: Vec<PurlPattern>,
    pub statement: Option<String>,
    /// The last day the entry suppresses.
    pub expires: Option<Date>,
}

impl IgnoreEntry {
    /// Expired once `today` is past `expires` (the expiry day itself still suppresses).
    pub fn is_expired(&self, today: Date) -> bool {
        expired(self.expires, today)
    }
}

fn expired(expires: Option<Date>, today: Date) -> bool {
    expires.is_some_and(|d| today > d)
}

fn date(text: &str, field: &str) -> Result<Date, FieldError> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|e| FieldError::new(field, format!("`{text}` is not a YYYY-MM-DD date: {e}")))
}

impl IgnoreFile {
    /// Compiles every vulnerability entry's path globs into one set.
    fn new(
        file: &str,
        entries: Vec<IgnoreEntry>,
        misconfigs: Vec<MisconfigIgnore>,
    ) -> Result<IgnoreFile, SuppressError> {
        let globs: usize = entries.iter().map(|e| e.paths.len()).sum();
        let mut builder = GlobSetBuilder::new();
        let mut glob_entry = Vec::with_capacity(globs);
        for (index, entry) in entries.iter().enumerate() {
            for glob in &entry.paths {
                builder.add(glob.clone());
                glob_entry.push(index);
            }
        }
        let path_globs = builder.build().map_err(|e| {
            FieldError::new(
                "vulnerabilities[*].paths",
                format!("cannot compile the {} path globs: {e}", glob_entry.len()),
            )
            .in_file(file)
        })?;
        Ok(IgnoreFile {
            file: file.to_owned(),
            entries,
            path_globs,
            glob_entry,
            misconfigs,
        })
    }

    /// The first misconfiguration rule that covers `finding` and has not expired by `today`.
    pub fn misconfig_entry_for(
        &self,
        finding: &MisconfigFinding,
        today: Date,
    ) -> Option<&MisconfigIgnore> {
        self.misconfigs.iter().find(|m| m.covers(finding, today))
    }

    /// The first entry that covers `finding` and has not expired by `today`.
    pub fn entry_for(&self, finding: &Finding, today: Date) -> Option<&IgnoreEntry> {
        let mut matched_globs: Option<Vec<usize>> = None;
        self.entries
            .iter()
            .enumerate()
            .find(|(index, entry)| {
                !entry.is_expired(today)
                    && names_finding(&entry.id, finding)
                    && (entry.purls.is_empty()
                        || entry.purls.iter().any(|p| p.matches(&finding.package_purl)))
                    && (entry.paths.is_empty()
                        || matched_globs
                            .get_or_insert_with(|| self.globs_matching(finding))
                            .iter()
                            .any(|glob| self.glob_entry[*glob] == *index))
            })
            .map(|(_, entry)| entry)
    }

    /// Indices of the globs that match one of the finding's locations.
    fn globs_matching(&self, finding: &Finding) -> Vec<usize> {
        let mut all = Vec::new();
        let mut one = Vec::new();
        for location in &finding.locations {
            self.path_globs.matches_into(&location.path, &mut one);
            all.append(&mut one);
        }
        all
    }

    /// Reads `path`: YAML when it ends in `.yaml`/`.yml`, the plain format otherwise. Files
    /// past [`kabuto_yaml::MAX_CONFIG_SIZE`] are refused.
    pub fn load(path: &Path) -> Result<IgnoreFile, SuppressError> {
        let text = kabuto_yaml::read_config(path).map_err(|source| SuppressError::Read {
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
        let mut misconfigs = Vec::new();
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
            if let Ok(check) = MisconfigCheckId::new(id) {
                misconfigs.push(
                    MisconfigIgnore::new(check, &[], None, expires, &field)
                        .map_err(|e| e.in_file(file))?,
                );
                continue;
            }
            entries.push(IgnoreEntry {
                id: vuln_id(id, &field).map_err(|e| e.in_file(file))?,
                paths: Vec::new(),
                purls: Vec::new(),
                statement: None,
                expires,
            });
        }
        IgnoreFile::new(file, entries, misconfigs)
    }

    /// The YAML format. Errors name the field (`vulnerabilities[1].expired_at`).
    pub fn from_yaml(text: &str, file: &str) -> Result<IgnoreFile, SuppressError> {
        if text.trim().is_empty() {
            return IgnoreFile::new(file, Vec::new(), Vec::new());
        }
        kabuto_yaml::check(file, text)?;
        let raw: RawIgnoreFile =
            deserialize(serde_yaml::Deserializer::from_str(text), file, "YAML")?;
        // Checked before any glob is compiled: compiling costs time and memory per glob.
        let globs: usize = raw
            .vulnerabilities
            .iter()
            .flatten()
            .map(|e| e.paths.len())
            .sum::<usize>()
            + raw
                .misconfigurations
                .iter()
                .flatten()
                .map(|e| e.paths.len())
                .sum::<usize>();
        if globs > MAX_PATH_GLOBS {
            return Err(FieldError::new(
                "paths",
                format!(
                    "{globs} path globs, more than the {MAX_PATH_GLOBS} an ignore file may have"
                ),
            )
            .in_file(file));
        }
        let entries = raw
            .vulnerabilities
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, e)| IgnoreEntry::try_from((i, e)))
            .collect::<Result<_, _>>()
            .map_err(|e| e.in_file(file))?;
        let misconfigs = raw
            .misconfigurations
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, e)| e.validate(i).transpose())
            .collect::<Result<_, _>>()
            .map_err(|e| e.in_file(file))?;
        IgnoreFile::new(file, entries, misconfigs)
    }
}

#[derive(Deserialize)]
struct RawIgnoreFile {
    vulnerabilities: Option<Vec<RawIgnoreEntry>>,
    misconfigurations: Option<Vec<RawMisconfigEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMisconfigEntry {
    id: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    statement: Option<String>,
    expired_at: Option<serde_yaml::Value>,
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
        let purls = raw
            .purls
            .iter()
            .enumerate()
            .map(|(j, p)| PurlPattern::parse(p, &at(&format!("purls[{j}]"))))
            .collect::<Result<_, _>>()?;
        Ok(IgnoreEntry {
            id: vuln_id(&id, &at("id"))?,
            paths: globs(&raw.paths, &at("paths"))?,
            purls,
            statement: raw.statement.filter(|s| !s.trim().is_empty()),
            expires: expiry(raw.expired_at, &at("expired_at"))?,
        })
    }
}

impl RawMisconfigEntry {
    /// `None` for an id that is not a Kabuto check id: a file shared with Trivy names its
    /// checks (`AVD-DS-0001`), which cover none of Kabuto's.
    fn validate(self, i: usize) -> Result<Option<MisconfigIgnore>, FieldError> {
        let raw = self;
        let at = |f: &str| format!("misconfigurations[{i}].{f}");
        let id = raw.id.ok_or_else(|| FieldError::new(at("id"), "missing"))?;
        let paths = globs(&raw.paths, &at("paths"))?;
        let expires = expiry(raw.expired_at, &at("expired_at"))?;
        let Ok(id) = MisconfigCheckId::new(id.trim().to_ascii_uppercase()) else {
            return Ok(None);
        };
        MisconfigIgnore::new(id, &paths, raw.statement, expires, &at("paths")).map(Some)
    }
}

impl MisconfigIgnore {
    fn new(
        id: MisconfigCheckId,
        paths: &[Glob],
        statement: Option<String>,
        expires: Option<Date>,
        field: &str,
    ) -> Result<Self, FieldError> {
        let mut builder = GlobSetBuilder::new();
        for glob in paths {
            builder.add(glob.clone());
        }
        let path_globs = builder
            .build()
            .map_err(|e| FieldError::new(field, format!("cannot compile the path globs: {e}")))?;
        Ok(MisconfigIgnore {
            id,
            paths: paths.to_vec(),
            path_globs,
            statement: statement.filter(|s| !s.trim().is_empty()),
            expires,
        })
    }
}

/// Path globs; an error names the glob (`vulnerabilities[0].paths[2]`).
fn globs(paths: &[String], field: &str) -> Result<Vec<Glob>, FieldError> {
    paths
        .iter()
        .enumerate()
        .map(|(j, p)| {
            Glob::new(p).map_err(|e| FieldError::new(format!("{field}[{j}]"), e.to_string()))
        })
        .collect()
}

/// `expired_at`: YAML may read an unquoted date as a string or, in some writers, a
/// number-like scalar.
fn expiry(value: Option<serde_yaml::Value>, field: &str) -> Result<Option<Date>, FieldError> {
    match value {
        None | Some(serde_yaml::Value::Null) => Ok(None),
        Some(serde_yaml::Value::String(s)) => date(&s, field).map(Some),
        Some(other) => Err(FieldError::new(
            field,
            format!("expected a YYYY-MM-DD date, found {other:?}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every entry's globs go into the one set built per file, each mapped to its entry.
    #[test]
    fn all_path_globs_compile_into_one_set() {
        let mut yaml = String::from("vulnerabilities:\n");
        for i in 0..MAX_PATH_GLOBS / 2 {
            yaml.push_str(&format!(
                "  - id: CVE-2020-{}\n    paths: ['app{i}/**/*.jar', 'lib{i}/**']\n",
                i + 1000
            ));
        }
        let file = IgnoreFile::from_yaml(&yaml, "i.yaml").expect("valid");
        assert_eq!(file.path_globs.len(), MAX_PATH_GLOBS);
        assert_eq!(file.glob_entry.len(), MAX_PATH_GLOBS);
        let last = MAX_PATH_GLOBS - 1;
        assert_eq!((file.glob_entry[0], file.glob_entry[last]), (0, last / 2));
        assert!(file.entries.iter().all(|e| e.paths.len() == 2));

        yaml.push_str("  - id: CVE-2020-9999\n    paths: [one/too/many]\n");
        let error = IgnoreFile::from_yaml(&yaml, "i.yaml").expect_err("over the limit");
        assert!(
            error
                .to_string()
                .contains("1001 path globs, more than the 1000"),
            "{error}"
        );
    }
}
