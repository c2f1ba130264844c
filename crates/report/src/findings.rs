//! Views the caller fills for the report (acknowledgements, policy verdicts) and the helpers
//! every format shares to order, count and label findings.

use std::cmp::Reverse;
use std::fmt;

use kabuto_types::{
    Finding, FixStatus, MalwareSource, MisconfigFinding, Purl, SecretFinding, Severity, VulnId,
};
use serde::{Deserialize, Serialize};

/// A decision someone made about a vulnerability: an accepted risk ("acknowledge" in the
/// console or a policy's acknowledgement file) or a VEX statement. It marks findings; it never
/// hides them. Matching here is deliberately simple (id or alias, optional purl): a caller
/// whose rules are richer (package names, image patterns, expiry dates, as kabuto-policy's
/// are) resolves them itself and passes one acknowledgement per covered finding, with that
/// finding's purl.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Acknowledgement {
    /// The vulnerability, by its id or any alias.
    pub vulnerability: VulnId,
    /// Limits the decision to one package; qualifiers (`arch`, `distro`) are ignored when
    /// comparing. `None` covers every package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_purl: Option<Purl>,
    pub state: AckState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<VexJustification>,
    /// Free text: why, and who decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What was decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AckState {
    /// The risk is known and accepted; no fix planned.
    Acknowledged,
    /// The vulnerable code cannot be reached or is not present (VEX `not_affected`).
    NotAffected,
    /// The match is wrong.
    FalsePositive,
    /// Being investigated.
    InTriage,
}

impl AckState {
    pub fn as_str(self) -> &'static str {
        match self {
            AckState::Acknowledged => "acknowledged",
            AckState::NotAffected => "not affected",
            AckState::FalsePositive => "false positive",
            AckState::InTriage => "in triage",
        }
    }
}

impl fmt::Display for AckState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a package is not affected, in CycloneDX's `analysis.justification` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VexJustification {
    CodeNotPresent,
    CodeNotReachable,
    RequiresConfiguration,
    RequiresDependency,
    RequiresEnvironment,
    ProtectedByCompiler,
    ProtectedAtRuntime,
    ProtectedAtPerimeter,
    ProtectedByMitigatingControl,
}

impl VexJustification {
    /// The CycloneDX 1.6 `analysis.justification` value.
    pub fn as_str(self) -> &'static str {
        match self {
            VexJustification::CodeNotPresent => "code_not_present",
            VexJustification::CodeNotReachable => "code_not_reachable",
            VexJustification::RequiresConfiguration => "requires_configuration",
            VexJustification::RequiresDependency => "requires_dependency",
            VexJustification::RequiresEnvironment => "requires_environment",
            VexJustification::ProtectedByCompiler => "protected_by_compiler",
            VexJustification::ProtectedAtRuntime => "protected_at_runtime",
            VexJustification::ProtectedAtPerimeter => "protected_at_perimeter",
            VexJustification::ProtectedByMitigatingControl => "protected_by_mitigating_control",
        }
    }
}

/// One assurance policy's verdict, as the report shows it. The caller fills it from the
/// policy engine's result, so this crate does not depend on the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySummary {
    pub name: String,
    pub outcome: PolicyOutcome,
    /// Controls that failed, in the policy's order.
    #[serde(default)]
    pub failed: Vec<FailedControl>,
    /// Ids of the controls that passed (JUnit lists them as passing test cases).
    #[serde(default)]
    pub passed: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyOutcome {
    Passed,
    /// At least one control failed and the policy enforces (CI exit code 4).
    Failed,
    /// Controls failed but the policy only audits.
    Audit,
}

impl PolicyOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOutcome::Passed => "passed",
            PolicyOutcome::Failed => "failed",
            PolicyOutcome::Audit => "audit",
        }
    }
}

impl fmt::Display for PolicyOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A control that failed: its id, what it says, and the items that broke it (vulnerability
/// ids, package names, files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FailedControl {
    pub id: String,
    pub message: String,
    #[serde(default)]
    pub items: Vec<String>,
}

pub(crate) fn covers(ack: &Acknowledgement, finding: &Finding) -> bool {
    let names_it = ack.vulnerability == finding.id || finding.aliases.contains(&ack.vulnerability);
    names_it
        && ack
            .package_purl
            .as_ref()
            .is_none_or(|purl| same_package(purl, &finding.package_purl))
}

fn same_package(a: &Purl, b: &Purl) -> bool {
    a.ty() == b.ty()
        && a.namespace() == b.namespace()
        && a.name() == b.name()
        && a.version() == b.version()
}

/// Package, then most severe first, then id.
pub(crate) fn sorted_vulnerabilities(findings: &[Finding]) -> Vec<Finding> {
    let mut sorted = findings.to_vec();
    sorted.sort_by_cached_key(|f| {
        (
            f.package_name.clone(),
            f.installed_version.clone(),
            f.package_purl.to_string(),
            f.locations.first().map(|l| l.path.clone()),
            Reverse(f.severity),
            f.id.clone(),
        )
    });
    sorted
}

pub(crate) fn sorted_secrets(findings: &[SecretFinding]) -> Vec<SecretFinding> {
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
    });
    sorted
}

pub(crate) fn sorted_misconfigs(findings: &[MisconfigFinding]) -> Vec<MisconfigFinding> {
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| {
        (&a.path, a.lines, &a.check_id, &a.resource).cmp(&(
            &b.path,
            b.lines,
            &b.check_id,
            &b.resource,
        ))
    });
    sorted
}

/// `reference` when it is a plain `http(s)` URL that every consumer accepts as a URI: ASCII,
/// no spaces, quotes, angle brackets or other characters RFC 3986 never allows. Advisory
/// feeds carry free text in their reference lists too; that is kept out of link fields.
pub(crate) fn web_url(reference: &str) -> Option<&str> {
    let rest = reference
        .strip_prefix("https://")
        .or_else(|| reference.strip_prefix("http://"))?;
    let allowed = |c: char| c.is_ascii_graphic() && !"<>\"{}|\\^`".contains(c);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!host.is_empty() && rest.chars().all(allowed)).then_some(reference)
}

/// How many findings there are of each severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SeverityCounts {
    counts: [usize; 6],
}

impl SeverityCounts {
    /// Least to most severe, as [`Severity`] orders them.
    pub(crate) const ORDER: [Severity; 6] = [
        Severity::Unknown,
        Severity::None,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub(crate) fn of(severities: impl IntoIterator<Item = Severity>) -> Self {
        let mut counts = SeverityCounts::default();
        for severity in severities {
            counts.counts[Self::index(severity)] += 1;
        }
        counts
    }

    fn index(severity: Severity) -> usize {
        Self::ORDER.iter().position(|s| *s == severity).unwrap_or(0)
    }

    pub(crate) fn get(&self, severity: Severity) -> usize {
        self.counts[Self::index(severity)]
    }

    pub(crate) fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// `Total: 7 (UNKNOWN: 0, LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 1)` as Trivy writes it;
    /// Trivy has no `NONE`, so it is added only when some finding has it.
    pub(crate) fn total_line(&self) -> String {
        let shown = Self::ORDER
            .iter()
            .filter(|s| **s != Severity::None || self.get(Severity::None) > 0)
            .map(|s| format!("{}: {}", severity_label(*s), self.get(*s)))
            .collect::<Vec<_>>()
            .join(", ");
        format!("Total: {} ({shown})", self.total())
    }
}

/// `CRITICAL`, `HIGH`, ... as scanners print severities.
/// Where a malware rule or hash comes from, for machine formats that name a rule's source.
pub(crate) fn malware_source_label(source: &MalwareSource) -> String {
    match source {
        MalwareSource::Builtin => "Kabuto bundled YARA rules".to_owned(),
        MalwareSource::UserRules(file) => format!("YARA rules {file}"),
        MalwareSource::Sha256Blocklist(list) if list == "builtin" => {
            "Kabuto bundled SHA-256 blocklist".to_owned()
        }
        MalwareSource::Sha256Blocklist(list) => format!("SHA-256 blocklist {list}"),
    }
}

pub(crate) fn severity_label(severity: Severity) -> String {
    severity.as_str().to_ascii_uppercase()
}

/// Trivy's status words: `fixed`, `affected`, `will_not_fix`.
pub(crate) fn status_label(status: FixStatus) -> &'static str {
    match status {
        FixStatus::Fixed => "fixed",
        FixStatus::NoFix => "affected",
        FixStatus::WontFix => "will_not_fix",
    }
}

/// An acknowledgement as a status word, in the style of [`status_label`].
pub(crate) fn ack_status_label(state: AckState) -> &'static str {
    match state {
        AckState::Acknowledged => "acknowledged",
        AckState::NotAffected => "not_affected",
        AckState::FalsePositive => "false_positive",
        AckState::InTriage => "in_triage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kabuto_types::Ecosystem;

    fn finding(id: &str, aliases: &[&str], purl: &str) -> Finding {
        Finding {
            id: VulnId::new(id).unwrap(),
            aliases: aliases.iter().map(|a| VulnId::new(*a).unwrap()).collect(),
            related: vec![],
            package_name: "requests".into(),
            package_purl: purl.parse().unwrap(),
            ecosystem: Ecosystem::PyPi,
            installed_version: "2.19.1".into(),
            fixed_versions: vec![],
            status: FixStatus::NoFix,
            severity: Severity::High,
            severity_source: None,
            cvss: vec![].into(),
            title: None,
            description: None,
            references: vec![].into(),
            published: None,
            modified: None,
            locations: vec![],
            explanations: vec![].into(),
        }
    }

    fn ack(id: &str, purl: Option<&str>) -> Acknowledgement {
        Acknowledgement {
            vulnerability: VulnId::new(id).unwrap(),
            package_purl: purl.map(|p| p.parse().unwrap()),
            state: AckState::Acknowledged,
            justification: None,
            reason: None,
        }
    }

    #[test]
    fn acknowledgements_match_ids_aliases_and_packages_without_qualifiers() {
        let f = finding(
            "CVE-2018-18074",
            &["GHSA-x84v-xcm2-53pg"],
            "pkg:pypi/requests@2.19.1?arch=x",
        );
        assert!(covers(&ack("CVE-2018-18074", None), &f));
        assert!(covers(&ack("GHSA-x84v-xcm2-53pg", None), &f));
        assert!(covers(
            &ack("CVE-2018-18074", Some("pkg:pypi/requests@2.19.1")),
            &f
        ));
        assert!(!covers(
            &ack("CVE-2018-18074", Some("pkg:pypi/requests@2.20.0")),
            &f
        ));
        assert!(!covers(&ack("CVE-2018-18075", None), &f));
    }

    #[test]
    fn only_plain_web_urls_are_links() {
        assert_eq!(
            web_url("https://example.invalid/a?b=c#d"),
            Some("https://example.invalid/a?b=c#d")
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://x/<script>",
            "https://x/a b",
            "see https://x",
            "https://x/ü",
        ] {
            assert_eq!(web_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn total_line_follows_trivy_and_shows_none_only_when_present() {
        let counts = SeverityCounts::of([Severity::High, Severity::High, Severity::Low]);
        assert_eq!(
            counts.total_line(),
            "Total: 3 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 2, CRITICAL: 0)"
        );
        let counts = SeverityCounts::of([Severity::None]);
        assert_eq!(
            counts.total_line(),
            "Total: 1 (UNKNOWN: 0, NONE: 1, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0)"
        );
    }
}
