//! The helpers every format shares to order, count and label findings, and to find the
//! acknowledgement marks (`kabuto_types::Acknowledgement`) that cover a finding.

use std::cmp::Reverse;

use crate::VulnerabilityOrder;

use kabuto_types::{
    AckState, Acknowledgement, Finding, FixStatus, MalwareSource, MisconfigFinding, Purl,
    SecretFinding, Severity,
};

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

/// Package, then most severe first, then id; or, by risk, the most urgent first.
pub(crate) fn sorted_vulnerabilities(
    findings: &[Finding],
    order: VulnerabilityOrder,
) -> Vec<Finding> {
    let mut sorted = findings.to_vec();
    if order == VulnerabilityOrder::Risk {
        sorted.sort_by(|a, b| {
            risk(b)
                .partial_cmp(&risk(a))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.id.cmp(&b.id))
                .then_with(|| a.package_name.cmp(&b.package_name))
                .then_with(|| a.package_purl.to_string().cmp(&b.package_purl.to_string()))
        });
        return sorted;
    }
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

/// What `--sort-by risk` compares, most urgent greatest: KEV, EPSS, CVSS, severity.
fn risk(f: &Finding) -> (bool, f64, f64, Severity) {
    let cvss = f
        .cvss
        .iter()
        .filter_map(|c| c.score)
        .fold(0.0_f64, f64::max);
    (
        f.kev.is_some(),
        f.epss.map_or(0.0, |e| e.score),
        cvss,
        f.severity,
    )
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
    use kabuto_types::{Ecosystem, VulnId};

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
            vendor_severity: Default::default(),
            epss: None,
            kev: None,
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
