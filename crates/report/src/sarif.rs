//! SARIF 2.1.0 (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html>), the format
//! code-scanning dashboards (GitHub, GitLab, Azure DevOps) import.
//!
//! One run; the tool driver is `kabuto` with one rule per vulnerability id, secret rule,
//! misconfiguration check and malware rule (YARA rule or blocklist entry name), and one result
//! per finding:
//!
//! - Rule ids are the ids themselves (`CVE-2018-18074`, `aws-access-key-id`, `KBD005`,
//!   `eicar-test-file`); the id spaces do not overlap in practice, and `properties.tags` says
//!   which kind it is.
//! - `properties.security-severity` is the number GitHub buckets into critical (>= 9.0), high
//!   (>= 7.0), medium (>= 4.0) and low: a finding's CVSS v3/v4 base score when that score
//!   rates the same as the reported severity, otherwise a fixed score inside the severity's
//!   bucket (9.5, 8.0, 5.5, 2.0, 0.0; Trivy uses the same ones).
//! - `level`: `error` for critical and high, `warning` for medium and unknown, `note` for low,
//!   `none` for "nothing to fix".
//! - Locations: `artifactLocation.uri` is the file path inside the image or directory (for a
//!   package, its first location: the package database, lockfile or metadata file), as a
//!   relative URI reference with everything but unreserved characters and `/` percent-encoded
//!   (so `config:Env`, the origin of a secret found in the image config, stays a relative
//!   reference instead of reading as a URI scheme). Secrets and misconfigurations have a
//!   `region` with their lines; package findings and image-config checks have no line to
//!   point at and get line 1
//!   (GitHub requires `region.startLine`; Trivy does the same).
//!   Malware results point at line 1 of the file too, and carry the file's `sha256` and the
//!   `layerDiffId` it came from (images) in the result's `properties`.
//!   Vulnerability results carry `epssScore`, `epssPercentile` and `kevDateAdded` there when
//!   the database knows them.
//! - `partialFingerprints["kabuto/v1"]` identifies a result across scans (rule, purl and file
//!   for packages; rule, file and line for secrets; check, file and resource for
//!   misconfigurations; rule, file and hash for malware), since GitHub can only compute
//!   fingerprints from source files.
//! - Acknowledged findings stay results, with an external `suppressions` entry (`accepted`, or
//!   `underReview` for "in triage") whose justification is the recorded reason.
//!
//! Policy verdicts are not findings in one file and are left to the JSON and JUnit formats.

use std::collections::BTreeMap;

use kabuto_types::{Finding, MalwareFinding, MisconfigFinding, SecretFinding, Severity};
use serde::Serialize;

use crate::findings::{malware_source_label, severity_label, status_label, web_url};
use crate::{AckState, Acknowledgement, Report, TOOL_NAME, TOOL_VERSION};

pub const SARIF_VERSION: &str = "2.1.0";
const SCHEMA_URL: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Debug, Serialize)]
pub(crate) struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Debug, Serialize)]
struct Run {
    tool: Tool,
    results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Debug, Serialize)]
struct Text {
    text: String,
}

#[derive(Debug, Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Debug, Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Debug, Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: String,
    precision: &'static str,
    tags: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<ResultLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Debug, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
}

impl Region {
    /// Line 1, standing for the whole file (or the image config): GitHub rejects results
    /// without a region.
    fn whole_file() -> Self {
        Region {
            start_line: 1,
            end_line: None,
        }
    }
}

#[derive(Debug, Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
}

/// Rules in order of first use, so `ruleIndex` is stable.
#[derive(Default)]
struct Rules {
    rules: Vec<Rule>,
    index: BTreeMap<String, usize>,
}

impl Rules {
    fn index_of(&mut self, id: &str, make: impl FnOnce() -> Rule) -> usize {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        self.rules.push(make());
        self.index.insert(id.to_owned(), self.rules.len() - 1);
        self.rules.len() - 1
    }
}

pub(crate) fn document(report: &Report<'_>) -> Log {
    let mut rules = Rules::default();
    let mut results = Vec::new();
    for finding in report.vulnerabilities.unwrap_or_default() {
        let rule_index = rules.index_of(finding.id.as_str(), || vulnerability_rule(finding));
        results.push(vulnerability_result(
            finding,
            rule_index,
            report.acknowledgement_for(finding),
        ));
    }
    for secret in report.secrets.unwrap_or_default() {
        let rule_index = rules.index_of(secret.rule_id.as_str(), || secret_rule(secret));
        results.push(secret_result(secret, rule_index));
    }
    for misconfig in report.misconfigs.unwrap_or_default() {
        let rule_index = rules.index_of(misconfig.check_id.as_str(), || misconfig_rule(misconfig));
        results.push(misconfig_result(misconfig, rule_index));
    }
    for malware in report.malware.unwrap_or_default() {
        let rule_index = rules.index_of(malware.rule.as_str(), || malware_rule(malware));
        results.push(malware_result(malware, rule_index));
    }
    Log {
        schema: SCHEMA_URL,
        version: SARIF_VERSION,
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version: TOOL_VERSION,
                    semantic_version: TOOL_VERSION,
                    rules: rules.rules,
                },
            },
            results,
        }],
    }
}

fn vulnerability_rule(finding: &Finding) -> Rule {
    let title = finding
        .title
        .as_deref()
        .map_or_else(|| finding.id.to_string(), str::to_owned);
    let description = finding
        .description
        .as_deref()
        .map_or_else(|| title.clone(), str::to_owned);
    let mut text = format!("{title}\n");
    let mut markdown = format!("**{}**\n", markdown_escape(&title));
    if description != title {
        text.push_str(&format!("\n{description}\n"));
        markdown.push_str(&format!("\n{}\n", markdown_escape(&description)));
    }
    if !finding.aliases.is_empty() {
        let aliases: Vec<&str> = finding.aliases.iter().map(|a| a.as_str()).collect();
        text.push_str(&format!("\nAliases: {}\n", aliases.join(", ")));
        markdown.push_str(&format!(
            "\nAliases: {}\n",
            markdown_escape(&aliases.join(", "))
        ));
    }
    if !finding.references.is_empty() {
        text.push_str("\nReferences:\n");
        markdown.push_str("\nReferences:\n");
        for reference in finding.references.iter() {
            text.push_str(&format!("- {reference}\n"));
            markdown.push_str(&format!("- <{}>\n", reference.replace(['<', '>'], "")));
        }
    }
    Rule {
        id: finding.id.to_string(),
        short_description: Text { text: title },
        full_description: Text { text: description },
        help_uri: finding
            .references
            .iter()
            .find_map(|r| web_url(r))
            .map(str::to_owned),
        help: Help { text, markdown },
        default_configuration: Configuration {
            level: level(finding.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(finding.severity, cvss_scores(finding)),
            precision: "very-high",
            tags: vec![
                "vulnerability".into(),
                "security".into(),
                severity_label(finding.severity),
            ],
        },
    }
}

/// CVSS v3.x and v4 base scores; v2 scores use other bands than GitHub's.
fn cvss_scores(finding: &Finding) -> impl Iterator<Item = f64> + '_ {
    finding
        .cvss
        .iter()
        .filter(|c| !c.version.starts_with('2'))
        .filter_map(|c| c.score)
}

fn vulnerability_result(
    finding: &Finding,
    rule_index: usize,
    acknowledgement: Option<&Acknowledgement>,
) -> SarifResult {
    let mut message = format!(
        "Package: {} {}\nVulnerability: {}\nSeverity: {}\nStatus: {}\n",
        finding.package_name,
        finding.installed_version,
        finding.id,
        severity_label(finding.severity),
        status_label(finding.status),
    );
    if !finding.fixed_versions.is_empty() {
        message.push_str(&format!(
            "Fixed Version: {}\n",
            finding.fixed_versions.join(", ")
        ));
    }
    if let Some(title) = &finding.title {
        message.push_str(&format!("Title: {title}\n"));
    }
    message.push_str(&format!("Purl: {}", finding.package_purl));
    SarifResult {
        rule_id: finding.id.to_string(),
        rule_index,
        level: level(finding.severity),
        message: Text { text: message },
        locations: finding
            .locations
            .first()
            .map(|l| location(&l.path, Region::whole_file()))
            .into_iter()
            .collect(),
        suppressions: acknowledgement.map(suppression).into_iter().collect(),
        partial_fingerprints: fingerprint(&[
            finding.id.as_str(),
            &finding.package_purl.to_string(),
            finding.locations.first().map_or("", |l| l.path.as_str()),
        ]),
        properties: exploitation(finding),
    }
}

/// EPSS and KEV, which SARIF has no fields for.
fn exploitation(finding: &Finding) -> BTreeMap<&'static str, String> {
    let mut properties = BTreeMap::new();
    if let Some(epss) = finding.epss {
        properties.insert("epssScore", epss.score.to_string());
        properties.insert("epssPercentile", epss.percentile.to_string());
    }
    if let Some(kev) = &finding.kev {
        properties.insert("kevDateAdded", kev.date_added.clone());
    }
    properties
}

fn suppression(ack: &Acknowledgement) -> Suppression {
    let status = match ack.state {
        AckState::InTriage => "underReview",
        AckState::Acknowledged | AckState::NotAffected | AckState::FalsePositive => "accepted",
    };
    let mut justification = ack.state.to_string();
    if let Some(j) = ack.justification {
        justification.push_str(&format!(" ({})", j.as_str()));
    }
    if let Some(reason) = &ack.reason {
        justification.push_str(&format!(": {reason}"));
    }
    Suppression {
        kind: "external",
        status,
        justification: Some(justification),
    }
}

fn secret_rule(secret: &SecretFinding) -> Rule {
    let text = format!(
        "{} ({} secret). Remove it from the image and rotate it: anyone who can pull the \
         image can read it.",
        secret.title, secret.category
    );
    content_rule(
        secret.rule_id.to_string(),
        secret.title.clone(),
        text,
        secret.severity,
        "secret",
    )
}

/// A rule for findings in file contents (secrets, malware): always precise, tagged by kind.
fn content_rule(id: String, title: String, text: String, severity: Severity, kind: &str) -> Rule {
    Rule {
        id,
        short_description: Text { text: title },
        full_description: Text { text: text.clone() },
        help_uri: None,
        help: Help {
            markdown: markdown_escape(&text),
            text,
        },
        default_configuration: Configuration {
            level: level(severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(severity, None),
            precision: "high",
            tags: vec![kind.into(), "security".into(), severity_label(severity)],
        },
    }
}

fn secret_result(secret: &SecretFinding, rule_index: usize) -> SarifResult {
    SarifResult {
        rule_id: secret.rule_id.to_string(),
        rule_index,
        level: level(secret.severity),
        message: Text {
            text: format!(
                "{} ({}): {}\nMatch: {}",
                secret.title,
                severity_label(secret.severity),
                secret.redacted_line,
                secret.redacted_match
            ),
        },
        locations: vec![location(
            &secret.path,
            Region {
                start_line: secret.line.max(1),
                end_line: None,
            },
        )],
        suppressions: Vec::new(),
        partial_fingerprints: fingerprint(&[
            secret.rule_id.as_str(),
            &secret.path,
            &secret.line.to_string(),
        ]),
        properties: BTreeMap::new(),
    }
}

fn misconfig_rule(misconfig: &MisconfigFinding) -> Rule {
    let mut text = format!(
        "{}\n\n{}\n\nRemediation: {}\n",
        misconfig.title, misconfig.description, misconfig.remediation
    );
    let mut markdown = format!(
        "**{}**\n\n{}\n\nRemediation: {}\n",
        markdown_escape(&misconfig.title),
        markdown_escape(&misconfig.description),
        markdown_escape(&misconfig.remediation)
    );
    if !misconfig.references.is_empty() {
        text.push_str(&format!(
            "\nReferences: {}\n",
            misconfig.references.join("; ")
        ));
        markdown.push_str(&format!(
            "\nReferences: {}\n",
            markdown_escape(&misconfig.references.join("; "))
        ));
    }
    Rule {
        id: misconfig.check_id.to_string(),
        short_description: Text {
            text: misconfig.title.clone(),
        },
        full_description: Text {
            text: misconfig.description.clone(),
        },
        help_uri: None,
        help: Help { text, markdown },
        default_configuration: Configuration {
            level: level(misconfig.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(misconfig.severity, None),
            precision: "very-high",
            tags: vec![
                "misconfiguration".into(),
                "security".into(),
                severity_label(misconfig.severity),
            ],
        },
    }
}

fn misconfig_result(misconfig: &MisconfigFinding, rule_index: usize) -> SarifResult {
    let mut message = format!("{}: {}", misconfig.title, misconfig.message);
    if let Some(resource) = &misconfig.resource {
        message.push_str(&format!("\nResource: {resource}"));
    }
    SarifResult {
        rule_id: misconfig.check_id.to_string(),
        rule_index,
        level: level(misconfig.severity),
        message: Text { text: message },
        locations: vec![location(
            &misconfig.path,
            misconfig.lines.map_or_else(Region::whole_file, |l| Region {
                start_line: l.start.max(1),
                end_line: Some(l.end.max(l.start).max(1)),
            }),
        )],
        suppressions: Vec::new(),
        partial_fingerprints: fingerprint(&[
            misconfig.check_id.as_str(),
            &misconfig.path,
            misconfig.resource.as_deref().unwrap_or_default(),
        ]),
        properties: BTreeMap::new(),
    }
}

fn malware_rule(malware: &MalwareFinding) -> Rule {
    let text = format!(
        "{} ({}). The file is known or built to be malicious: remove it, find out how it got \
         into the image, and rebuild from trusted sources.",
        malware.description,
        malware_source_label(&malware.source)
    );
    content_rule(
        malware.rule.to_string(),
        malware.description.clone(),
        text,
        malware.severity,
        "malware",
    )
}

fn malware_result(malware: &MalwareFinding, rule_index: usize) -> SarifResult {
    let mut properties = BTreeMap::from([("sha256", malware.sha256.to_string())]);
    if let Some(layer) = &malware.layer_diff_id {
        properties.insert("layerDiffId", layer.to_string());
    }
    SarifResult {
        rule_id: malware.rule.to_string(),
        rule_index,
        level: level(malware.severity),
        message: Text {
            text: format!(
                "{} ({}): {}\nSHA-256: {}",
                malware.description,
                severity_label(malware.severity),
                malware.path,
                malware.sha256.hex()
            ),
        },
        locations: vec![location(&malware.path, Region::whole_file())],
        suppressions: Vec::new(),
        partial_fingerprints: fingerprint(&[
            malware.rule.as_str(),
            &malware.path,
            malware.sha256.as_str(),
        ]),
        properties,
    }
}

fn location(path: &str, region: Region) -> ResultLocation {
    ResultLocation {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_reference(path),
            },
            region,
        },
    }
}

/// What makes a result the same one in the next scan, for dashboards that track alerts
/// across uploads (GitHub cannot compute its own without the source files).
fn fingerprint(parts: &[&str]) -> BTreeMap<&'static str, String> {
    BTreeMap::from([("kabuto/v1", parts.join("|"))])
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Unknown => "warning",
        Severity::Low => "note",
        Severity::None => "none",
    }
}

/// See the module docs: a CVSS score that agrees with `severity`, else the bucket's score.
fn security_severity(severity: Severity, scores: impl IntoIterator<Item = f64>) -> String {
    let agreeing = scores
        .into_iter()
        .filter(|s| Severity::from_cvss_score(*s) == severity)
        .reduce(f64::max);
    let score = agreeing.unwrap_or(match severity {
        Severity::Critical => 9.5,
        Severity::High => 8.0,
        Severity::Medium => 5.5,
        Severity::Low => 2.0,
        Severity::None | Severity::Unknown => 0.0,
    });
    format!("{score:.1}")
}

/// `path` as a relative URI reference: unreserved characters and `/` stay, the rest (UTF-8
/// bytes) is percent-encoded.
fn uri_reference(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for byte in path.trim_start_matches('/').bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// Escapes Markdown so advisory text cannot inject links, images or HTML into a dashboard.
fn markdown_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\`*_[]<>|~&".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(uri_reference("app/a b/ü.txt"), "app/a%20b/%C3%BC.txt");
        assert_eq!(uri_reference("config:Env"), "config%3AEnv");
        assert_eq!(uri_reference("/etc/passwd"), "etc/passwd");
    }

    #[test]
    fn security_severity_agrees_with_the_reported_severity() {
        assert_eq!(security_severity(Severity::High, [7.5, 9.8]), "7.5");
        assert_eq!(security_severity(Severity::Low, [7.5]), "2.0");
        assert_eq!(security_severity(Severity::Critical, None), "9.5");
    }
}
