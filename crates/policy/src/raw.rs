//! The policy file as written: Aqua's image assurance policy vocabulary (the field names of
//! its Terraform provider and API), plus Kabuto's own fields for controls Aqua lacks.
//! Every field is listed, so an unknown one is refused; fields Aqua uses for things outside
//! a CI gate (admission control, scheduling, runtime) are accepted and have no effect.
//! Entries of lists are read into their checked form ([`crate::matchers`], [`crate::scope`])
//! as the file is read, so a bad entry is refused at its own line; [`crate::compile`] turns
//! the whole document into a checked [`crate::Policy`].

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::matchers::{
    BaseImageMatcher, KeyValueLabel, LabelMatcher, PackageMatcher, Pattern, PermissionKind,
    VulnIdText,
};
use crate::scope::ScopeExpression;
use crate::values::{Probability, Score, SeverityName};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "Aqua's bookkeeping and runtime fields are read only to be accepted"
)]
pub(crate) struct RawPolicy {
    #[serde(rename = "$schema", default)]
    pub _schema: Option<IgnoredAny>,

    // Identity.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub assurance_type: Option<String>,

    // Scope.
    #[serde(default)]
    pub application_scopes: Option<Vec<String>>,
    #[serde(default)]
    pub exclude_application_scopes: Option<Vec<String>>,
    #[serde(default)]
    pub scope: Option<ScopeExpression>,
    #[serde(default)]
    pub registries: Option<Vec<Pattern>>,
    #[serde(default)]
    pub images: Option<Vec<Pattern>>,
    #[serde(default)]
    pub labels: Option<Vec<KeyValueLabel>>,

    // Actions.
    #[serde(default)]
    pub fail_cicd: Option<bool>,
    #[serde(default)]
    pub audit_on_failure: Option<bool>,

    // Vulnerability controls and their exceptions.
    #[serde(default)]
    pub cvss_severity_enabled: bool,
    #[serde(default)]
    pub cvss_severity: SeverityName,
    #[serde(default)]
    pub cvss_severity_exclude_no_fix: bool,
    #[serde(default)]
    pub maximum_score_enabled: bool,
    #[serde(default)]
    pub maximum_score: Option<Score>,
    #[serde(default)]
    pub maximum_score_exclude_no_fix: bool,
    #[serde(default)]
    pub control_exclude_no_fix: bool,
    /// Kabuto extension: fail on vulnerabilities whose EPSS score is above `epss_score`.
    #[serde(default)]
    pub epss_score_enabled: bool,
    #[serde(default)]
    pub epss_score: Option<Probability>,
    /// Kabuto extension: fail on vulnerabilities in CISA's KEV catalog.
    #[serde(default)]
    pub kev_enabled: bool,
    #[serde(default)]
    pub cves_black_list_enabled: bool,
    #[serde(default)]
    pub cves_black_list: Option<Vec<VulnIdText>>,
    #[serde(default)]
    pub cves_white_list_enabled: bool,
    #[serde(default)]
    pub cves_white_list: Option<Vec<VulnIdText>>,
    #[serde(default)]
    pub ignore_recently_published_vln: bool,
    #[serde(default)]
    pub ignore_recently_published_vln_period: Option<u32>,

    // Packages and licences.
    #[serde(default)]
    pub packages_black_list_enabled: bool,
    #[serde(default)]
    pub packages_black_list: Option<Vec<PackageMatcher>>,
    #[serde(default)]
    pub packages_white_list_enabled: bool,
    #[serde(default)]
    pub packages_white_list: Option<Vec<PackageMatcher>>,
    #[serde(default)]
    pub blacklisted_licenses_enabled: bool,
    #[serde(default)]
    pub blacklisted_licenses: Option<Vec<String>>,
    #[serde(default)]
    pub whitelisted_licenses_enabled: bool,
    #[serde(default)]
    pub whitelisted_licenses: Option<Vec<String>>,

    // Content and configuration.
    #[serde(default)]
    pub disallow_malware: bool,
    #[serde(default)]
    pub scan_sensitive_data: bool,
    #[serde(default)]
    pub ignored_sensitive_resources: Option<Vec<Pattern>>,
    #[serde(default)]
    pub only_none_root_users: bool,
    #[serde(default)]
    pub blacklist_permissions_enabled: bool,
    #[serde(default)]
    pub blacklist_permissions: Option<Vec<PermissionKind>>,
    #[serde(default)]
    pub required_labels_enabled: bool,
    #[serde(default)]
    pub required_labels: Option<Vec<LabelMatcher>>,
    #[serde(default)]
    pub forbidden_labels_enabled: bool,
    #[serde(default)]
    pub forbidden_labels: Option<Vec<LabelMatcher>>,
    #[serde(default)]
    pub trusted_base_images_enabled: bool,
    #[serde(default)]
    pub trusted_base_images: Option<Vec<BaseImageMatcher>>,

    // Kabuto's own controls (Aqua has no field for these).
    #[serde(default)]
    pub allowed_registries_enabled: bool,
    #[serde(default)]
    pub allowed_registries: Option<Vec<Pattern>>,
    #[serde(default)]
    pub forbidden_base_images_enabled: bool,
    #[serde(default)]
    pub forbidden_base_images: Option<Vec<BaseImageMatcher>>,
    #[serde(default)]
    pub image_max_age_days_enabled: bool,
    #[serde(default)]
    pub image_max_age_days: Option<u32>,
    #[serde(default)]
    pub max_image_size_enabled: bool,
    #[serde(default)]
    pub max_image_size_mb: Option<u64>,
    #[serde(default)]
    pub misconfiguration_checks_enabled: bool,
    #[serde(default)]
    pub misconfiguration_checks: Option<Vec<Pattern>>,

    // Aqua controls Kabuto cannot evaluate: accepted, reported as not evaluated when on.
    #[serde(default)]
    pub custom_checks_enabled: Option<bool>,
    #[serde(default)]
    pub custom_checks: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub custom_severity_enabled: Option<bool>,
    #[serde(default)]
    pub custom_severity: Option<String>,
    #[serde(default)]
    pub scap_enabled: Option<bool>,
    #[serde(default)]
    pub scap_files: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub docker_cis_enabled: Option<bool>,
    #[serde(default)]
    pub kube_cis_enabled: Option<bool>,
    #[serde(default)]
    pub linux_cis_enabled: Option<bool>,
    #[serde(default)]
    pub openshift_hardening_enabled: Option<bool>,
    #[serde(default)]
    pub dta_enabled: Option<bool>,
    #[serde(default)]
    pub dta_severity: Option<String>,
    #[serde(default)]
    pub function_integrity_enabled: Option<bool>,
    #[serde(default)]
    pub enforce_excessive_permissions: Option<bool>,
    #[serde(default)]
    pub vulnerability_exploitability: Option<bool>,
    #[serde(default)]
    pub disallow_exploit_types: Option<Vec<String>>,
    #[serde(default)]
    pub ignore_base_image_vln: Option<bool>,
    #[serde(default)]
    pub vulnerability_score_range: Option<Vec<f64>>,
    #[serde(default)]
    pub enforce_after_days: Option<u32>,

    // Aqua fields for admission control, scheduling and bookkeeping: no effect in a CI gate.
    #[serde(default)]
    pub id: Option<IgnoredAny>,
    #[serde(default)]
    pub author: Option<IgnoredAny>,
    #[serde(default)]
    pub lastupdate: Option<IgnoredAny>,
    #[serde(default)]
    pub registry: Option<IgnoredAny>,
    #[serde(default)]
    pub domain: Option<IgnoredAny>,
    #[serde(default)]
    pub domain_name: Option<IgnoredAny>,
    #[serde(default)]
    pub permission: Option<IgnoredAny>,
    #[serde(default)]
    pub read_only: Option<IgnoredAny>,
    #[serde(default)]
    pub block_failed: Option<bool>,
    #[serde(default)]
    pub enforce: Option<bool>,
    #[serde(default)]
    pub force_microenforcer: Option<IgnoredAny>,
    #[serde(default)]
    pub auto_scan_enabled: Option<IgnoredAny>,
    #[serde(default)]
    pub auto_scan_configured: Option<IgnoredAny>,
    #[serde(default)]
    pub auto_scan_time: Option<IgnoredAny>,
    #[serde(default)]
    pub monitored_malware_paths: Option<IgnoredAny>,
    #[serde(default)]
    pub exceptional_monitored_malware_paths: Option<IgnoredAny>,
    #[serde(default)]
    pub malware_action: Option<IgnoredAny>,
    #[serde(default)]
    pub scan_nfs_mounts: Option<IgnoredAny>,
    #[serde(default)]
    pub scan_malware_in_archives: Option<IgnoredAny>,
    #[serde(default)]
    pub scan_windows_registry: Option<IgnoredAny>,
    #[serde(default)]
    pub scan_process_memory: Option<IgnoredAny>,
    #[serde(default)]
    pub partial_results_image_fail: Option<IgnoredAny>,
    #[serde(default)]
    pub policy_settings: Option<IgnoredAny>,
    #[serde(default)]
    pub allowed_images: Option<IgnoredAny>,
    #[serde(default)]
    pub ignore_risk_resources_enabled: Option<IgnoredAny>,
    #[serde(default)]
    pub ignored_risk_resources: Option<IgnoredAny>,
    #[serde(default)]
    pub aggregated_vulnerability: Option<IgnoredAny>,
    #[serde(default)]
    pub kubernetes_controls: Option<IgnoredAny>,
    #[serde(default)]
    pub kubernetes_controls_names: Option<IgnoredAny>,
    #[serde(default)]
    pub kubernetes_controls_avd_ids: Option<IgnoredAny>,
}

/// The field names a policy may use, read from the deserializer's own list.
pub(crate) fn policy_field_names() -> &'static [&'static str] {
    FieldNames::of::<RawPolicy>()
}

/// A deserializer that only records the field list serde hands to `deserialize_struct`.
struct FieldNames(Option<&'static [&'static str]>);

impl FieldNames {
    fn of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
        let mut names = FieldNames(None);
        // The deserializer always fails once it has the list; only the list matters.
        let _ = T::deserialize(&mut names);
        names.0.unwrap_or_default()
    }
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl serde::de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> serde::Deserializer<'de> for &mut FieldNames {
    type Error = Stop;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0 = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
