//! The checked pieces a policy is built from: name patterns, package, label and base-image
//! entries, permission kinds, vulnerability ids, image-name matching, and [`FieldError`],
//! the error they report. Each entry is read from its own written form (the `Raw*` structs
//! here), so a bad entry is refused at its own line. This module uses nothing else of the
//! crate: the policy document (`raw`), scopes and controls build on it.

mod image;
mod pattern;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use kabuto_types::Ecosystem;
use kabuto_version::{RangeSyntax, Requirement, Scheme, parse_requirement};
use serde::{Deserialize, Deserializer, Serialize};

pub(crate) use image::{ImageMatch, image_names};
pub use pattern::Pattern;

/// A field-level problem found after the field was read (needs other fields to judge).
/// It travels through serde as a message; the loader decodes it to name the field.
#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

const FIELD_ERROR_MARK: char = '\u{1}';

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Splits a message produced by this type's `Display` back into field and message.
    pub fn decode(message: &str) -> Option<(&str, &str)> {
        let rest = message.split_once(FIELD_ERROR_MARK)?.1;
        rest.split_once(FIELD_ERROR_MARK)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{FIELD_ERROR_MARK}{}{FIELD_ERROR_MARK}{}",
            self.field, self.message
        )
    }
}

/// One `packages_black_list` / `packages_white_list` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawPackage")]
pub(crate) struct PackageMatcher {
    pub ecosystem: Option<Ecosystem>,
    pub name: Pattern,
    /// Exact version (`[epoch:]version[-release]`).
    pub version: Option<String>,
    pub range: Option<Requirement>,
    pub arch: Option<String>,
    pub license: Option<String>,
}

/// Aqua's package entry. `version_range` uses comparator lists (`>= 1.0, < 2.0 || = 3.1`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code, reason = "`display` is Aqua's UI text, accepted and unused")]
struct RawPackage {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    name: Option<Pattern>,
    #[serde(default)]
    epoch: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    version_range: Option<String>,
    #[serde(default)]
    release: Option<String>,
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    license: Option<String>,
    #[serde(default)]
    display: Option<String>,
}

/// What `blacklist_permissions` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionKind {
    /// Set-user-ID files (mode bit 04000).
    Setuid,
    /// Set-group-ID files (mode bit 02000).
    Setgid,
    /// Executables owned by root that only root may run (owner execute bit, none for
    /// group and others).
    SuperuserOnly,
}

impl FromStr for PermissionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "setuid" | "suid" => Ok(PermissionKind::Setuid),
            "setgid" | "sgid" => Ok(PermissionKind::Setgid),
            "superuser_only" => Ok(PermissionKind::SuperuserOnly),
            _ => Err(format!(
                "unknown permission `{s}`: expected setuid, setgid or superuser_only"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for PermissionKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A `trusted_base_images` / `forbidden_base_images` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawBaseImage")]
pub(crate) struct BaseImageMatcher {
    pub registry: Option<Pattern>,
    pub imagename: Pattern,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseImage {
    #[serde(default)]
    registry: Option<String>,
    imagename: Pattern,
}

/// A config label `key` with an optional value pattern (absent: any value).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawLabel")]
pub(crate) struct LabelMatcher {
    pub key: String,
    pub value: Option<Pattern>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    key: String,
    /// Empty or absent: any value.
    #[serde(default)]
    value: Option<String>,
}

impl LabelMatcher {
    /// `key` or `key=value-pattern`, the form of Aqua's `labels` list.
    pub fn parse_key_value(text: &str) -> Result<LabelMatcher, String> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key.trim(), Some(Pattern::new(value.trim())?)),
            None => (text.trim(), None),
        };
        if key.is_empty() {
            return Err(format!("`{text}` has no label key"));
        }
        Ok(LabelMatcher {
            key: key.to_owned(),
            value,
        })
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        labels
            .get(&self.key)
            .is_some_and(|value| self.value.as_ref().is_none_or(|p| p.is_match(value)))
    }
}

/// An entry of Aqua's `labels` list: `key` or `key=value-pattern`.
#[derive(Debug, Clone)]
pub(crate) struct KeyValueLabel(pub LabelMatcher);

impl<'de> Deserialize<'de> for KeyValueLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        LabelMatcher::parse_key_value(&text)
            .map(KeyValueLabel)
            .map_err(serde::de::Error::custom)
    }
}

/// A vulnerability id in a policy list, upper-cased for case-insensitive matching.
#[derive(Debug, Clone)]
pub(crate) struct VulnIdText(pub String);

impl<'de> Deserialize<'de> for VulnIdText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        let trimmed = id.trim();
        if trimmed.is_empty() || trimmed.contains(char::is_whitespace) {
            return Err(serde::de::Error::custom(format!(
                "`{id}` is not a vulnerability id"
            )));
        }
        Ok(VulnIdText(trimmed.to_ascii_uppercase()))
    }
}

/// Aqua's package `format` names, and Kabuto's ecosystem names.
fn ecosystem_for_format(format: &str) -> Option<Ecosystem> {
    let format = format.trim().to_ascii_lowercase();
    if let Ok(ecosystem) = Ecosystem::from_str(&format) {
        return Some(ecosystem);
    }
    Some(match format.as_str() {
        "dpkg" | "debian" => Ecosystem::Deb,
        "python" | "pip" => Ecosystem::PyPi,
        "node" | "nodejs" | "javascript" => Ecosystem::Npm,
        "jar" | "java" => Ecosystem::Maven,
        "ruby" | "rubygems" => Ecosystem::Gem,
        "dotnet" => Ecosystem::NuGet,
        "golang" | "gobinary" => Ecosystem::Go,
        "rust" | "crates" => Ecosystem::Cargo,
        "php" | "packagist" => Ecosystem::Composer,
        _ => return None,
    })
}

fn non_empty(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A pattern from optional text: absent or blank is `None`; `field` names it in errors.
fn optional_pattern(field: &str, text: Option<String>) -> Result<Option<Pattern>, FieldError> {
    non_empty(text)
        .map(|text| Pattern::new(&text).map_err(|e| FieldError::new(field, e)))
        .transpose()
}

impl TryFrom<RawPackage> for PackageMatcher {
    type Error = FieldError;
    fn try_from(entry: RawPackage) -> Result<Self, FieldError> {
        let ecosystem = match non_empty(entry.format) {
            Some(format) => Some(ecosystem_for_format(&format).ok_or_else(|| {
                FieldError::new("format", format!("unknown package format `{format}`"))
            })?),
            None => None,
        };
        let name = entry
            .name
            .ok_or_else(|| FieldError::new("name", "is required in a package entry"))?;
        let range = match non_empty(entry.version_range) {
            Some(text) => Some(version_range(ecosystem, &text)?),
            None => None,
        };
        let version = non_empty(entry.version).map(|version| {
            let mut full = match non_empty(entry.epoch) {
                Some(epoch) if epoch != "0" => format!("{epoch}:{version}"),
                _ => version,
            };
            if let Some(release) = non_empty(entry.release) {
                full = format!("{full}-{release}");
            }
            full
        });
        Ok(PackageMatcher {
            ecosystem,
            name,
            version,
            range,
            arch: non_empty(entry.arch),
            license: non_empty(entry.license).map(|l| l.to_ascii_lowercase()),
        })
    }
}

/// A `version_range`, ordered by the scheme of the entry's `format`.
fn version_range(ecosystem: Option<Ecosystem>, text: &str) -> Result<Requirement, FieldError> {
    let Some(ecosystem) = ecosystem else {
        return Err(FieldError::new(
            "version_range",
            "needs `format` to know how to order versions",
        ));
    };
    let scheme = Scheme::for_ecosystem(ecosystem);
    parse_requirement(scheme, RangeSyntax::Comparators, text)
        .map_err(|e| FieldError::new("version_range", e.to_string()))
}

impl TryFrom<RawLabel> for LabelMatcher {
    type Error = FieldError;
    fn try_from(label: RawLabel) -> Result<Self, FieldError> {
        if label.key.trim().is_empty() {
            return Err(FieldError::new("key", "must not be empty"));
        }
        Ok(LabelMatcher {
            key: label.key,
            value: optional_pattern("value", label.value)?,
        })
    }
}

impl TryFrom<RawBaseImage> for BaseImageMatcher {
    type Error = FieldError;
    fn try_from(image: RawBaseImage) -> Result<Self, FieldError> {
        Ok(BaseImageMatcher {
            registry: optional_pattern("registry", image.registry)?,
            imagename: image.imagename,
        })
    }
}
