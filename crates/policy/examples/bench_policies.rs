//! Times evaluating 50 policies against a scan with 5,000 findings and 5,000 packages.
//! Target: under 10 ms per evaluation.
//!
//! `cargo run --release -p kabuto-policy --example bench_policies`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kabuto_policy::{Acknowledgements, MalwareHit, MisconfigHit, PolicyInput, PolicySet, evaluate};
use kabuto_types::{
    Artifact, ArtifactKind, Cvss, Ecosystem, FileEntry, FileKind, Finding, FixStatus,
    ImageMetadata, Inventory, Location, Package, Purl, Severity, VulnId,
};
use time::macros::datetime;

const POLICIES: usize = 50;
const FINDINGS: usize = 5_000;
const PACKAGES: usize = 5_000;
const ROUNDS: usize = 30;

fn policies() -> String {
    let mut text = String::from("policies:\n");
    for i in 0..POLICIES {
        let severity = ["critical", "high", "medium", "low"][i % 4];
        text.push_str(&format!(
            "  - name: policy-{i}
    scope:
      expression: v1 || v2
      variables:
        - {{attribute: image.registry, value: 'registry.example.invalid'}}
        - {{attribute: image.label, name: team, value: 'team-{i}*'}}
    cvss_severity_enabled: true
    cvss_severity: {severity}
    cvss_severity_exclude_no_fix: {exclude}
    maximum_score_enabled: true
    maximum_score: {score}
    ignore_recently_published_vln: true
    ignore_recently_published_vln_period: 30
    cves_white_list_enabled: true
    cves_white_list: [CVE-2024-{i:05}, CVE-2023-{i:05}]
    cves_black_list_enabled: true
    cves_black_list: [CVE-2021-44228, CVE-2022-{i:05}]
    packages_black_list_enabled: true
    packages_black_list:
      - {{format: npm, name: 'pkg-{i}*', version_range: '>= 1.0.0, < 1.5.0'}}
      - {{format: deb, name: openssl, version_range: '< 3.0.0'}}
    blacklisted_licenses_enabled: true
    blacklisted_licenses: [AGPL-3.0-only, SSPL-1.0]
    disallow_malware: true
    scan_sensitive_data: true
    only_none_root_users: true
    blacklist_permissions_enabled: true
    blacklist_permissions: [setuid]
    required_labels_enabled: true
    required_labels: [{{key: team}}]
    misconfiguration_checks_enabled: true
    misconfiguration_checks: ['DS00*']
",
            exclude = i % 2 == 0,
            score = 5.0 + (i % 5) as f64,
        ));
    }
    text
}

fn scan() -> (Inventory, Vec<Finding>) {
    let licenses = [
        "MIT",
        "Apache-2.0",
        "GPL-2.0-only OR MIT",
        "BSD-3-Clause",
        "AGPL-3.0-only",
    ];
    let packages: Vec<Package> = (0..PACKAGES)
        .map(|i| {
            let ecosystem = if i % 3 == 0 {
                Ecosystem::Deb
            } else {
                Ecosystem::Npm
            };
            let version = format!("1.{}.{}", i % 10, i % 7);
            let mut package =
                Package::new(ecosystem, format!("pkg-{i}"), version, "lockfile", "bench");
            package.licenses = vec![licenses[i % licenses.len()].to_owned()];
            package
        })
        .collect();
    let severities = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];
    let findings = (0..FINDINGS)
        .map(|i| {
            let package = &packages[i % PACKAGES];
            let id = VulnId::new(format!("CVE-2024-{i:05}")).expect("valid id");
            Finding {
                id: id.clone(),
                aliases: vec![VulnId::new(format!("GHSA-bench-{i:04}")).expect("valid id")],
                related: Vec::new(),
                package_name: package.name.clone(),
                package_purl: Purl::for_package(package.ecosystem, &package.name, &package.version),
                ecosystem: package.ecosystem,
                installed_version: package.version.clone(),
                fixed_versions: vec!["9.9.9".to_owned()],
                status: if i % 4 == 0 {
                    FixStatus::NoFix
                } else {
                    FixStatus::Fixed
                },
                severity: severities[i % 4],
                severity_source: None,
                cvss: Arc::from([Cvss {
                    version: "3.1".to_owned(),
                    vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".to_owned(),
                    score: Some((i % 100) as f64 / 10.0),
                    source: id,
                }]),
                title: None,
                description: None,
                references: Vec::new().into(),
                published: format!("2025-{:02}-{:02}T00:00:00Z", 1 + i % 12, 1 + i % 28)
                    .parse()
                    .ok(),
                modified: None,
                locations: vec![Location {
                    path: "lockfile".to_owned(),
                    layer: None,
                }],
                explanations: Vec::new().into(),
                vendor_severity: Default::default(),
                epss: None,
                kev: None,
            }
        })
        .collect();
    let image = ImageMetadata {
        repo_tags: vec!["registry.example.invalid/team/app:1.0".to_owned()],
        user: Some("app".to_owned()),
        labels: BTreeMap::from([("team".to_owned(), "team-7".to_owned())]),
        ..ImageMetadata::default()
    };
    let inventory = Inventory {
        artifact: Artifact {
            name: "registry.example.invalid/team/app:1.0".to_owned(),
            kind: ArtifactKind::ContainerImage,
        },
        image: Some(image),
        os: None,
        packages,
        warnings: Vec::new(),
    };
    (inventory, findings)
}

fn main() {
    let text = policies();
    let load_start = Instant::now();
    let set = PolicySet::parse(&text, "bench.yaml").expect("bench policies load");
    let load = load_start.elapsed();
    let (inventory, findings) = scan();
    let malware: Vec<MalwareHit> = Vec::new();
    let misconfigurations = vec![MisconfigHit {
        check_id: "DS002".to_owned(),
        severity: Severity::High,
    }];
    let files = vec![FileEntry {
        path: "usr/bin/su".to_owned(),
        kind: FileKind::File,
        mode: 0o4755,
        uid: 0,
        gid: 0,
        layer: None,
    }];
    let secrets = Vec::new();
    let input = PolicyInput {
        malware: Some(&malware),
        misconfigurations: Some(&misconfigurations),
        file_permissions: Some(&files),
        secrets: Some(&secrets),
        ..PolicyInput::new(&inventory, &findings, datetime!(2026-06-01 00:00 UTC))
    };
    let acks = Acknowledgements::default();
    let mut times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            let verdict = evaluate(&set, &acks, &input);
            let elapsed = start.elapsed();
            assert_eq!(verdict.policies.len(), POLICIES);
            elapsed
        })
        .collect();
    times.sort();
    let median = times[ROUNDS / 2];
    println!(
        "loaded {POLICIES} policies in {:.2} ms; evaluated against {FINDINGS} findings and {PACKAGES} packages: median {:.2} ms, min {:.2} ms over {ROUNDS} rounds (target < 10 ms)",
        load.as_secs_f64() * 1e3,
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
    );
}
