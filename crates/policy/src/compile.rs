//! Raw policy documents into checked, ready-to-evaluate [`Policy`] values: patterns and
//! version ranges compiled, cross-field rules checked, unsupported Aqua controls noted.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use kabuto_types::{Ecosystem, Severity};
use kabuto_version::{RangeSyntax, Requirement, Scheme, parse_requirement};
use serde::{Deserialize, Serialize};

use crate::pattern::Pattern;
use crate::raw::{RawBaseImage, RawLabel, RawPackage, RawPolicy};
use crate::scope::{LabelMatcher, Scope};

/// One image assurance policy, checked and compiled.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// Action `fail_cicd`: a failure of this policy fails the CI gate (exit code 4).
    pub fail_cicd: bool,
    /// Action `audit_on_failure`: a failure is reported only.
    pub audit_on_failure: bool,
    pub(crate) scope: Scope,
    pub(crate) controls: Vec<Control>,
    pub(crate) exceptions: VulnExceptions,
    pub(crate) notes: Vec<NotEvaluated>,
}

impl Policy {
    /// Fields that are set but that Kabuto does not evaluate (Aqua-only controls, runtime
    /// settings): `policy check` prints them, and verdicts carry them.
    pub fn notes(&self) -> &[NotEvaluated] {
        &self.notes
    }

    /// Ids of the controls this policy evaluates, in evaluation order.
    pub fn control_ids(&self) -> Vec<&'static str> {
        self.controls.iter().map(Control::id).collect()
    }
}

/// A field Kabuto accepts but does not act on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotEvaluated {
    pub field: &'static str,
    pub reason: String,
}

/// Exceptions that narrow which vulnerabilities the severity and score controls count.
#[derive(Debug, Clone, Default)]
pub(crate) struct VulnExceptions {
    /// `control_exclude_no_fix`: only fixable vulnerabilities count.
    pub exclude_no_fix: bool,
    /// `cves_white_list`: ids (upper case) never counted.
    pub ignored_ids: HashSet<String>,
    /// `ignore_recently_published_vln_period`: vulnerabilities younger than this many days
    /// do not count yet.
    pub ignore_published_within_days: Option<u32>,
}

#[derive(Debug, Clone)]
pub(crate) enum Control {
    Severity {
        at_least: Severity,
        exclude_no_fix: bool,
    },
    MaximumScore {
        above: f64,
        exclude_no_fix: bool,
    },
    CvesBlackList(HashSet<String>),
    PackagesBlackList(Vec<PackageMatcher>),
    PackagesWhiteList(Vec<PackageMatcher>),
    BlacklistedLicenses(Vec<String>),
    WhitelistedLicenses(Vec<String>),
    Malware,
    SensitiveData {
        ignored_paths: Vec<Pattern>,
    },
    NonRootUser,
    BlacklistPermissions(Vec<PermissionKind>),
    RequiredLabels(Vec<LabelMatcher>),
    ForbiddenLabels(Vec<LabelMatcher>),
    TrustedBaseImages(Vec<BaseImageMatcher>),
    ForbiddenBaseImages(Vec<BaseImageMatcher>),
    AllowedRegistries(Vec<Pattern>),
    ImageMaxAge {
        days: u32,
    },
    MaxImageSize {
        megabytes: u64,
    },
    MisconfigurationChecks(Vec<Pattern>),
}

impl Control {
    /// The stable control id: the policy field that configures it.
    pub fn id(&self) -> &'static str {
        match self {
            Control::Severity { .. } => "cvss_severity",
            Control::MaximumScore { .. } => "maximum_score",
            Control::CvesBlackList(_) => "cves_black_list",
            Control::PackagesBlackList(_) => "packages_black_list",
            Control::PackagesWhiteList(_) => "packages_white_list",
            Control::BlacklistedLicenses(_) => "blacklisted_licenses",
            Control::WhitelistedLicenses(_) => "whitelisted_licenses",
            Control::Malware => "disallow_malware",
            Control::SensitiveData { .. } => "scan_sensitive_data",
            Control::NonRootUser => "only_none_root_users",
            Control::BlacklistPermissions(_) => "blacklist_permissions",
            Control::RequiredLabels(_) => "required_labels",
            Control::ForbiddenLabels(_) => "forbidden_labels",
            Control::TrustedBaseImages(_) => "trusted_base_images",
            Control::ForbiddenBaseImages(_) => "forbidden_base_images",
            Control::AllowedRegistries(_) => "allowed_registries",
            Control::ImageMaxAge { .. } => "image_max_age_days",
            Control::MaxImageSize { .. } => "max_image_size_mb",
            Control::MisconfigurationChecks(_) => "misconfiguration_checks",
        }
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

/// A `trusted_base_images` / `forbidden_base_images` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawBaseImage")]
pub(crate) struct BaseImageMatcher {
    pub registry: Option<Pattern>,
    pub imagename: Pattern,
}

/// A field-level problem found after the field was read (needs other fields to judge).
/// It travels through serde as a message; the loader decodes it to name the field.
#[derive(Debug)]
pub(crate) struct FieldError {
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

/// A policy whose cross-field rules hold; the unit policy files deserialize into.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawPolicy")]
pub(crate) struct CheckedPolicy(pub Policy);

impl TryFrom<RawPolicy> for CheckedPolicy {
    type Error = FieldError;
    fn try_from(raw: RawPolicy) -> Result<Self, FieldError> {
        compile(raw).map(CheckedPolicy)
    }
}

/// The list behind an `X_enabled: true` switch: it must be present and non-empty.
fn required_list<T>(enabled_field: &str, list: Option<Vec<T>>) -> Result<Vec<T>, FieldError> {
    match list {
        Some(items) if !items.is_empty() => Ok(items),
        _ => {
            let list_field = enabled_field.trim_end_matches("_enabled");
            Err(FieldError::new(
                enabled_field,
                format!("is true but `{list_field}` is empty or missing"),
            ))
        }
    }
}

fn required_value<T>(
    enabled_field: &str,
    value_field: &str,
    value: Option<T>,
) -> Result<T, FieldError> {
    value.ok_or_else(|| {
        FieldError::new(
            enabled_field,
            format!("is true but `{value_field}` is empty or missing"),
        )
    })
}

fn compile(raw: RawPolicy) -> Result<Policy, FieldError> {
    if raw.name.trim().is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    if let Some(kind) = &raw.assurance_type
        && !kind.eq_ignore_ascii_case("image")
    {
        return Err(FieldError::new(
            "assurance_type",
            format!("`{kind}` policies are not image policies: Kabuto evaluates only `image`"),
        ));
    }
    let mut notes = Vec::new();
    let scope = compile_scope(&raw, &mut notes);
    note_unsupported(&raw, &mut notes);
    let mut controls = Vec::new();

    if raw.cvss_severity_enabled {
        controls.push(Control::Severity {
            at_least: required_value(
                "cvss_severity_enabled",
                "cvss_severity",
                raw.cvss_severity.0,
            )?,
            exclude_no_fix: raw.cvss_severity_exclude_no_fix,
        });
    }
    if raw.maximum_score_enabled {
        let score = required_value("maximum_score_enabled", "maximum_score", raw.maximum_score)?;
        controls.push(Control::MaximumScore {
            above: score.0,
            exclude_no_fix: raw.maximum_score_exclude_no_fix,
        });
    }
    if raw.cves_black_list_enabled {
        let ids = required_list("cves_black_list_enabled", raw.cves_black_list)?;
        controls.push(Control::CvesBlackList(
            ids.into_iter().map(|id| id.0).collect(),
        ));
    }
    if raw.packages_black_list_enabled {
        let entries = required_list("packages_black_list_enabled", raw.packages_black_list)?;
        controls.push(Control::PackagesBlackList(entries));
    }
    if raw.packages_white_list_enabled {
        let entries = required_list("packages_white_list_enabled", raw.packages_white_list)?;
        controls.push(Control::PackagesWhiteList(entries));
    }
    if raw.blacklisted_licenses_enabled {
        let list = required_list("blacklisted_licenses_enabled", raw.blacklisted_licenses)?;
        controls.push(Control::BlacklistedLicenses(lowercase(list)));
    }
    if raw.whitelisted_licenses_enabled {
        let list = required_list("whitelisted_licenses_enabled", raw.whitelisted_licenses)?;
        controls.push(Control::WhitelistedLicenses(lowercase(list)));
    }
    if raw.disallow_malware {
        controls.push(Control::Malware);
    }
    if raw.scan_sensitive_data {
        controls.push(Control::SensitiveData {
            ignored_paths: raw.ignored_sensitive_resources.unwrap_or_default(),
        });
    }
    if raw.only_none_root_users {
        controls.push(Control::NonRootUser);
    }
    if raw.blacklist_permissions_enabled {
        let kinds = required_list("blacklist_permissions_enabled", raw.blacklist_permissions)?;
        controls.push(Control::BlacklistPermissions(kinds));
    }
    if raw.required_labels_enabled {
        let labels = required_list("required_labels_enabled", raw.required_labels)?;
        controls.push(Control::RequiredLabels(labels));
    }
    if raw.forbidden_labels_enabled {
        let labels = required_list("forbidden_labels_enabled", raw.forbidden_labels)?;
        controls.push(Control::ForbiddenLabels(labels));
    }
    if raw.trusted_base_images_enabled {
        let images = required_list("trusted_base_images_enabled", raw.trusted_base_images)?;
        controls.push(Control::TrustedBaseImages(images));
    }
    if raw.forbidden_base_images_enabled {
        let images = required_list("forbidden_base_images_enabled", raw.forbidden_base_images)?;
        controls.push(Control::ForbiddenBaseImages(images));
    }
    if raw.allowed_registries_enabled {
        let registries = required_list("allowed_registries_enabled", raw.allowed_registries)?;
        controls.push(Control::AllowedRegistries(registries));
    }
    if raw.image_max_age_days_enabled {
        let days = required_value(
            "image_max_age_days_enabled",
            "image_max_age_days",
            raw.image_max_age_days,
        )?;
        controls.push(Control::ImageMaxAge { days });
    }
    if raw.max_image_size_enabled {
        let megabytes = required_value(
            "max_image_size_enabled",
            "max_image_size_mb",
            raw.max_image_size_mb,
        )?;
        controls.push(Control::MaxImageSize { megabytes });
    }
    if raw.misconfiguration_checks_enabled {
        let checks = required_list(
            "misconfiguration_checks_enabled",
            raw.misconfiguration_checks,
        )?;
        controls.push(Control::MisconfigurationChecks(checks));
    }

    let ignore_published_within_days = if raw.ignore_recently_published_vln {
        let days = raw
            .ignore_recently_published_vln_period
            .filter(|days| *days > 0);
        Some(required_value(
            "ignore_recently_published_vln",
            "ignore_recently_published_vln_period",
            days,
        )?)
    } else {
        None
    };
    let ignored_ids = if raw.cves_white_list_enabled {
        let ids = required_list("cves_white_list_enabled", raw.cves_white_list)?;
        ids.into_iter().map(|id| id.0).collect()
    } else {
        HashSet::new()
    };

    Ok(Policy {
        name: raw.name,
        description: raw.description.unwrap_or_default(),
        enabled: raw.enabled.unwrap_or(true),
        // Aqua's defaults for both actions are on.
        fail_cicd: raw.fail_cicd.unwrap_or(true),
        audit_on_failure: raw.audit_on_failure.unwrap_or(true),
        scope,
        controls,
        exceptions: VulnExceptions {
            exclude_no_fix: raw.control_exclude_no_fix,
            ignored_ids,
            ignore_published_within_days,
        },
        notes,
    })
}

fn lowercase(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

/// A vulnerability id in a policy list, upper-cased for case-insensitive matching.
#[derive(Debug, Clone)]
pub(crate) struct VulnIdText(pub String);

impl<'de> Deserialize<'de> for VulnIdText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
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

impl<'de> Deserialize<'de> for PermissionKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
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
            Some(text) => {
                let Some(ecosystem) = ecosystem else {
                    return Err(FieldError::new(
                        "version_range",
                        "needs `format` to know how to order versions",
                    ));
                };
                let scheme = Scheme::for_ecosystem(ecosystem);
                Some(
                    parse_requirement(scheme, RangeSyntax::Comparators, &text)
                        .map_err(|e| FieldError::new("version_range", e.to_string()))?,
                )
            }
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

impl TryFrom<RawLabel> for LabelMatcher {
    type Error = FieldError;
    fn try_from(label: RawLabel) -> Result<Self, FieldError> {
        if label.key.trim().is_empty() {
            return Err(FieldError::new("key", "must not be empty"));
        }
        let value = match non_empty(label.value) {
            Some(text) => Some(Pattern::new(&text).map_err(|e| FieldError::new("value", e))?),
            None => None,
        };
        Ok(LabelMatcher {
            key: label.key,
            value,
        })
    }
}

impl TryFrom<RawBaseImage> for BaseImageMatcher {
    type Error = FieldError;
    fn try_from(image: RawBaseImage) -> Result<Self, FieldError> {
        let registry = match non_empty(image.registry) {
            Some(text) => Some(Pattern::new(&text).map_err(|e| FieldError::new("registry", e))?),
            None => None,
        };
        Ok(BaseImageMatcher {
            registry,
            imagename: image.imagename,
        })
    }
}

fn compile_scope(raw: &RawPolicy, notes: &mut Vec<NotEvaluated>) -> Scope {
    let application_scopes = raw.application_scopes.as_deref().unwrap_or_default();
    let excluded_scopes = raw
        .exclude_application_scopes
        .as_deref()
        .unwrap_or_default();
    if !excluded_scopes.is_empty()
        || application_scopes
            .iter()
            .any(|s| !s.eq_ignore_ascii_case("global"))
    {
        notes.push(NotEvaluated {
            field: "application_scopes",
            reason: "Aqua application scopes other than Global are not known to Kabuto; \
                     the policy is scoped by `scope`, `images`, `registries` and `labels` only"
                .to_owned(),
        });
    }
    let expression = raw.scope.clone();
    if let Some(scope) = &expression {
        for attribute in scope.unsupported_attributes() {
            notes.push(NotEvaluated {
                field: "scope",
                reason: format!(
                    "scope attribute `{attribute}` describes a runtime or Aqua object, not an \
                     image; Kabuto treats it as matching"
                ),
            });
        }
    }
    Scope {
        expression,
        registries: raw.registries.clone().unwrap_or_default(),
        images: raw.images.clone().unwrap_or_default(),
        labels: raw
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.0)
            .collect(),
    }
}

fn note_unsupported(raw: &RawPolicy, notes: &mut Vec<NotEvaluated>) {
    let switches = [
        (
            "custom_checks_enabled",
            raw.custom_checks_enabled,
            "custom check scripts run inside Aqua",
        ),
        (
            "custom_severity_enabled",
            raw.custom_severity_enabled,
            "Aqua custom severities are not in Kabuto's findings",
        ),
        (
            "scap_enabled",
            raw.scap_enabled,
            "SCAP content is not evaluated",
        ),
        (
            "docker_cis_enabled",
            raw.docker_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "kube_cis_enabled",
            raw.kube_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "linux_cis_enabled",
            raw.linux_cis_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "openshift_hardening_enabled",
            raw.openshift_hardening_enabled,
            "host benchmarks are not image checks",
        ),
        (
            "dta_enabled",
            raw.dta_enabled,
            "dynamic threat analysis runs the image; Kabuto does not",
        ),
        (
            "function_integrity_enabled",
            raw.function_integrity_enabled,
            "applies to serverless functions",
        ),
        (
            "enforce_excessive_permissions",
            raw.enforce_excessive_permissions,
            "applies to serverless functions",
        ),
        (
            "vulnerability_exploitability",
            raw.vulnerability_exploitability,
            "Kabuto's findings carry no exploit data",
        ),
        (
            "ignore_base_image_vln",
            raw.ignore_base_image_vln,
            "Kabuto does not know which layers came from the base image",
        ),
    ];
    for (field, value, reason) in switches {
        if value == Some(true) {
            notes.push(NotEvaluated {
                field,
                reason: reason.to_owned(),
            });
        }
    }
    let lists = [
        (
            "custom_checks",
            raw.custom_checks.as_ref().map_or(0, Vec::len),
        ),
        ("scap_files", raw.scap_files.as_ref().map_or(0, Vec::len)),
        (
            "disallow_exploit_types",
            raw.disallow_exploit_types.as_ref().map_or(0, Vec::len),
        ),
        (
            "vulnerability_score_range",
            raw.vulnerability_score_range.as_ref().map_or(0, Vec::len),
        ),
    ];
    for (field, len) in lists {
        if len > 0 {
            notes.push(NotEvaluated {
                field,
                reason: "set, but Kabuto does not evaluate it".to_owned(),
            });
        }
    }
    if raw.enforce_after_days.is_some_and(|days| days > 0) {
        notes.push(NotEvaluated {
            field: "enforce_after_days",
            reason: "a grace period needs scan history; Kabuto fails from the first scan"
                .to_owned(),
        });
    }
}
