//! A small scan built in code: one image with four packages, four findings and
//! configurable extra results, so each control can be driven to pass and to fail.
#![allow(dead_code, reason = "each test binary uses part of the helpers")]

use std::collections::BTreeMap;

use kabuto_policy::{
    Acknowledgements, MalwareHit, MisconfigHit, PolicyInput, PolicySet, Verdict, evaluate,
};
use kabuto_types::{
    Artifact, ArtifactKind, Cvss, Digest, Ecosystem, FileEntry, FileKind, Finding, FixStatus,
    ImageMetadata, Inventory, LayerInfo, Location, Package, Purl, SecretFinding, SecretRuleId,
    Severity, VulnId,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// The evaluation time of every test.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

pub struct Scan {
    pub inventory: Inventory,
    pub findings: Vec<Finding>,
    pub secrets: Option<Vec<SecretFinding>>,
    pub malware: Option<Vec<MalwareHit>>,
    pub misconfigurations: Option<Vec<MisconfigHit>>,
    pub files: Option<Vec<FileEntry>>,
}

pub fn package(ecosystem: Ecosystem, name: &str, version: &str, license: &str) -> Package {
    let mut package = Package::new(ecosystem, name, version, "var/lib/dpkg/status", "test");
    package.licenses = vec![license.to_owned()];
    package
}

pub fn finding(
    id: &str,
    package: &str,
    ecosystem: Ecosystem,
    severity: Severity,
    score: f64,
    status: FixStatus,
    published: &str,
) -> Finding {
    Finding {
        id: VulnId::new(id).unwrap(),
        aliases: Vec::new(),
        related: Vec::new(),
        package_name: package.to_owned(),
        package_purl: Purl::for_package(ecosystem, package, "1"),
        ecosystem,
        installed_version: "1".to_owned(),
        fixed_versions: if status == FixStatus::Fixed {
            vec!["2".to_owned()]
        } else {
            Vec::new()
        },
        status,
        severity,
        severity_source: None,
        cvss: vec![Cvss {
            version: "3.1".to_owned(),
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
            score: Some(score),
            source: VulnId::new(id).unwrap(),
        }]
        .into(),
        title: None,
        description: None,
        references: Vec::new().into(),
        published: published.parse().ok(),
        modified: None,
        locations: vec![Location {
            path: "var/lib/dpkg/status".to_owned(),
            layer: None,
        }],
        explanations: Vec::new().into(),
        vendor_severity: Default::default(),
        epss: None,
        kev: None,
    }
}

/// A regular file as the inventory records it (path without the leading `/`).
pub fn file(path: &str, mode: u32, uid: u64) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        kind: FileKind::File,
        mode,
        uid,
        gid: 0,
        layer: None,
    }
}

pub fn secret(path: &str) -> SecretFinding {
    SecretFinding {
        rule_id: SecretRuleId::new("aws-access-key-id").unwrap(),
        category: "AWS".to_owned(),
        severity: Severity::Critical,
        title: "AWS Access Key ID".to_owned(),
        path: path.to_owned(),
        line: 3,
        column: 1,
        redacted_match: "AKIA****".to_owned(),
        redacted_line: "key=AKIA****".to_owned(),
        layer_diff_id: None,
    }
}

fn layer(seed: u8, size: u64) -> LayerInfo {
    LayerInfo {
        diff_id: Digest::sha256_of(&[seed]),
        digest: None,
        size: Some(size),
        media_type: None,
        created_by: None,
    }
}

impl Scan {
    /// `registry.example.invalid/team/app:1.0`, built on debian:12 on 2026-05-01, 20 MB,
    /// running as `app`, with openssl/bash (deb), lodash (npm) and requests (PyPI).
    pub fn base() -> Scan {
        let labels = BTreeMap::from([
            (
                "org.opencontainers.image.source".to_owned(),
                "https://example.invalid/app".to_owned(),
            ),
            (
                "org.opencontainers.image.base.name".to_owned(),
                "docker.io/library/debian:12".to_owned(),
            ),
            ("team".to_owned(), "payments".to_owned()),
        ]);
        let image = ImageMetadata {
            repo_tags: vec!["registry.example.invalid/team/app:1.0".to_owned()],
            created: "2026-05-01T00:00:00Z".parse().ok(),
            user: Some("app".to_owned()),
            labels,
            layers: vec![layer(1, 12_000_000), layer(2, 8_000_000)],
            ..ImageMetadata::default()
        };
        let inventory = Inventory {
            artifact: Artifact {
                name: "registry.example.invalid/team/app:1.0".to_owned(),
                kind: ArtifactKind::ContainerImage,
            },
            image: Some(image),
            os: None,
            packages: vec![
                package(Ecosystem::Deb, "bash", "5.2.15-2+b2", "GPL-3.0-or-later"),
                package(Ecosystem::Deb, "openssl", "3.0.11-1~deb12u2", "Apache-2.0"),
                package(Ecosystem::Npm, "lodash", "4.17.20", "MIT"),
                package(Ecosystem::PyPi, "requests", "2.19.1", "Apache-2.0"),
            ],
            warnings: Vec::new(),
        };
        let mut requests = finding(
            "GHSA-x84v-xcm2-53pg",
            "requests",
            Ecosystem::PyPi,
            Severity::Medium,
            6.1,
            FixStatus::Fixed,
            "2018-10-29T00:00:00Z",
        );
        requests.aliases = vec![VulnId::new("CVE-2018-18074").unwrap()];
        let findings = vec![
            finding(
                "CVE-2024-0001",
                "openssl",
                Ecosystem::Deb,
                Severity::High,
                7.5,
                FixStatus::Fixed,
                "2024-01-10T00:00:00Z",
            ),
            finding(
                "CVE-2026-0002",
                "lodash",
                Ecosystem::Npm,
                Severity::Critical,
                9.8,
                FixStatus::Fixed,
                "2026-05-25T00:00:00Z",
            ),
            finding(
                "CVE-2023-0003",
                "bash",
                Ecosystem::Deb,
                Severity::Low,
                3.1,
                FixStatus::NoFix,
                "2023-03-01T00:00:00Z",
            ),
            requests,
        ];
        Scan {
            inventory,
            findings,
            secrets: Some(Vec::new()),
            malware: Some(Vec::new()),
            misconfigurations: Some(Vec::new()),
            files: Some(Vec::new()),
        }
    }

    pub fn image(&mut self) -> &mut ImageMetadata {
        self.inventory.image.as_mut().unwrap()
    }

    pub fn input(&self) -> PolicyInput<'_> {
        PolicyInput {
            secrets: self.secrets.as_deref(),
            malware: self.malware.as_deref(),
            misconfigurations: self.misconfigurations.as_deref(),
            file_permissions: self.files.as_deref(),
            ..PolicyInput::new(&self.inventory, &self.findings, NOW)
        }
    }

    pub fn judge(&self, policies: &str) -> Verdict {
        self.judge_with(policies, &Acknowledgements::default())
    }

    pub fn judge_with(&self, policies: &str, acks: &Acknowledgements) -> Verdict {
        let set = PolicySet::parse(policies, "test.yaml").unwrap_or_else(|e| panic!("{e}"));
        evaluate(&set, acks, &self.input())
    }
}
