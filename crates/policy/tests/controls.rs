//! Every control, driven to pass and to fail on a scan built in code.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod common;

use common::{Scan, file, secret};
use kabuto_policy::{
    ControlOutcome, EvaluationOutcome, GateOutcome, Item, MalwareHit, MisconfigHit,
};
use kabuto_types::{Ecosystem, Severity};

struct Case {
    name: &'static str,
    /// Policy fields after `name:`.
    policy: &'static str,
    /// Changes to the base scan.
    scan: fn(&mut Scan),
    want: ControlOutcome,
    /// How many offending items the control lists.
    items: usize,
}

fn unchanged(_: &mut Scan) {}

fn run(cases: &[Case]) {
    for case in cases {
        let mut scan = Scan::base();
        (case.scan)(&mut scan);
        let verdict = scan.judge(&format!("name: t\n{}", case.policy));
        let policy = &verdict.policies[0];
        assert_eq!(
            policy.controls.len(),
            1,
            "{}: one control expected",
            case.name
        );
        let control = &policy.controls[0];
        assert_eq!(
            control.outcome, case.want,
            "{}: {}",
            case.name, control.message
        );
        assert_eq!(
            control.items.len(),
            case.items,
            "{}: {:?}",
            case.name,
            control.items
        );
        let want_policy = if case.want == ControlOutcome::Pass {
            EvaluationOutcome::Pass
        } else {
            EvaluationOutcome::Fail
        };
        assert_eq!(policy.outcome, want_policy, "{}", case.name);
    }
}

use ControlOutcome::{Fail, Pass, Unknown};

#[test]
fn vulnerability_controls() {
    run(&[
        Case {
            name: "high and above",
            policy: "cvss_severity_enabled: true\ncvss_severity: high\n",
            scan: unchanged,
            want: Fail,
            items: 2,
        },
        Case {
            name: "critical only",
            policy: "cvss_severity_enabled: true\ncvss_severity: CRITICAL\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "no findings",
            policy: "cvss_severity_enabled: true\ncvss_severity: low\n",
            scan: |s| s.findings.clear(),
            want: Pass,
            items: 0,
        },
        Case {
            name: "fixable only skips no-fix",
            policy: "cvss_severity_enabled: true\ncvss_severity: low\ncvss_severity_exclude_no_fix: true\n",
            scan: unchanged,
            want: Fail,
            items: 3,
        },
        Case {
            name: "global no-fix exception",
            policy: "cvss_severity_enabled: true\ncvss_severity: low\ncontrol_exclude_no_fix: true\n",
            scan: |s| s.findings.retain(|f| f.package_name == "bash"),
            want: Pass,
            items: 0,
        },
        Case {
            name: "recently published ignored",
            policy: "cvss_severity_enabled: true\ncvss_severity: critical\nignore_recently_published_vln: true\nignore_recently_published_vln_period: 30\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "published long ago counts",
            policy: "cvss_severity_enabled: true\ncvss_severity: critical\nignore_recently_published_vln: true\nignore_recently_published_vln_period: 5\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "white-listed id ignored",
            policy: "cvss_severity_enabled: true\ncvss_severity: critical\ncves_white_list_enabled: true\ncves_white_list: [cve-2026-0002]\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "score above 9.0",
            policy: "maximum_score_enabled: true\nmaximum_score: 9.0\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "score above 7.0",
            policy: "maximum_score_enabled: true\nmaximum_score: 7\n",
            scan: unchanged,
            want: Fail,
            items: 2,
        },
        Case {
            name: "score limit 9.8 is not exceeded",
            policy: "maximum_score_enabled: true\nmaximum_score: 9.8\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "score, fixable only",
            policy: "maximum_score_enabled: true\nmaximum_score: 3.0\nmaximum_score_exclude_no_fix: true\n",
            scan: unchanged,
            want: Fail,
            items: 3,
        },
        Case {
            name: "blocked id by alias",
            policy: "cves_black_list_enabled: true\ncves_black_list: [CVE-2018-18074]\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked id absent",
            policy: "cves_black_list_enabled: true\ncves_black_list: [CVE-1999-0001]\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "no EPSS scores: nothing above the threshold",
            policy: "epss_score_enabled: true\nepss_score: 0.1\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "EPSS above 0.1",
            policy: "epss_score_enabled: true\nepss_score: 0.1\n",
            scan: with_exploitation,
            want: Fail,
            items: 1,
        },
        Case {
            name: "EPSS above 0.01",
            policy: "epss_score_enabled: true\nepss_score: 0.01\n",
            scan: with_exploitation,
            want: Fail,
            items: 2,
        },
        Case {
            name: "known exploited",
            policy: "kev_enabled: true\n",
            scan: with_exploitation,
            want: Fail,
            items: 1,
        },
        Case {
            name: "known exploited but white-listed",
            policy: "kev_enabled: true\ncves_white_list_enabled: true\ncves_white_list: [CVE-2024-0001]\n",
            scan: with_exploitation,
            want: Pass,
            items: 0,
        },
        Case {
            name: "nothing known exploited",
            policy: "kev_enabled: true\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
    ]);
}

/// EPSS scores on the first two findings (0.5 and 0.05) and the first one in KEV.
fn with_exploitation(scan: &mut Scan) {
    for (finding, score) in scan.findings.iter_mut().zip([0.5, 0.05]) {
        finding.epss = Some(kabuto_types::Epss {
            score,
            percentile: 0.9,
        });
    }
    scan.findings[0].kev = Some(kabuto_types::KnownExploited {
        date_added: "2026-01-12".to_owned(),
        due_date: None,
        ransomware: false,
    });
}

#[test]
fn package_and_license_controls() {
    run(&[
        Case {
            name: "blocked range hit",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - {format: npm, name: lodash, version_range: '< 4.17.21'}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked range miss",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - {format: npm, name: lodash, version_range: '>= 4.17.21'}\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "blocked dpkg range",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - {format: deb, name: openssl, version_range: '>= 3.0.0, < 3.0.11-1~deb12u3'}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked name glob",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - name: 'open*'\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked exact version",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - {format: python, name: requests, version: '2.19.1'}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked other ecosystem",
            policy: "packages_black_list_enabled: true\npackages_black_list:\n  - {format: rpm, name: bash}\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "allowed list complete",
            policy: "packages_white_list_enabled: true\npackages_white_list:\n  - {format: deb, name: '*'}\n  - {name: lodash}\n  - {name: requests}\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "allowed list misses one",
            policy: "packages_white_list_enabled: true\npackages_white_list:\n  - {name: openssl}\n  - {name: lodash}\n  - {name: requests}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked licence",
            policy: "blacklisted_licenses_enabled: true\nblacklisted_licenses: [GPL-3.0-or-later]\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "blocked licence absent",
            policy: "blacklisted_licenses_enabled: true\nblacklisted_licenses: [AGPL-3.0-only]\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "blocked licence avoidable by OR",
            policy: "blacklisted_licenses_enabled: true\nblacklisted_licenses: [GPL-3.0-or-later]\n",
            scan: |s| s.inventory.packages[0].licenses = vec!["MIT OR GPL-3.0-or-later".to_owned()],
            want: Pass,
            items: 0,
        },
        Case {
            name: "blocked licence in AND",
            policy: "blacklisted_licenses_enabled: true\nblacklisted_licenses: [GPL-3.0-or-later]\n",
            scan: |s| {
                s.inventory.packages[0].licenses = vec!["MIT AND GPL-3.0-or-later".to_owned()]
            },
            want: Fail,
            items: 1,
        },
        Case {
            name: "allowed licences",
            policy: "whitelisted_licenses_enabled: true\nwhitelisted_licenses: [MIT, Apache-2.0, GPL-3.0-or-later]\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "licence outside allowed list",
            policy: "whitelisted_licenses_enabled: true\nwhitelisted_licenses: [MIT, apache-2.0]\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "non-SPDX licence text",
            policy: "whitelisted_licenses_enabled: true\nwhitelisted_licenses: [MIT, Apache-2.0, GPL-3.0-or-later]\n",
            scan: |s| s.inventory.packages[2].licenses = vec!["see LICENSE file".to_owned()],
            want: Fail,
            items: 1,
        },
    ]);
}

#[test]
fn content_controls() {
    run(&[
        Case {
            name: "no malware",
            policy: "disallow_malware: true\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "malware",
            policy: "disallow_malware: true\n",
            scan: |s| {
                s.malware = Some(vec![MalwareHit {
                    rule: "EICAR-Test-File".into(),
                    path: "tmp/eicar.com".into(),
                    sha256: "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
                        .into(),
                }])
            },
            want: Fail,
            items: 1,
        },
        Case {
            name: "malware not scanned",
            policy: "disallow_malware: true\n",
            scan: |s| s.malware = None,
            want: Unknown,
            items: 0,
        },
        Case {
            name: "no secrets",
            policy: "scan_sensitive_data: true\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "secret",
            policy: "scan_sensitive_data: true\n",
            scan: |s| s.secrets = Some(vec![secret("app/config.env")]),
            want: Fail,
            items: 1,
        },
        Case {
            name: "secret in ignored path",
            policy: "scan_sensitive_data: true\nignored_sensitive_resources: ['usr/share/doc/**']\n",
            scan: |s| s.secrets = Some(vec![secret("usr/share/doc/x/example.pem")]),
            want: Pass,
            items: 0,
        },
        Case {
            name: "secrets not scanned",
            policy: "scan_sensitive_data: true\n",
            scan: |s| s.secrets = None,
            want: Unknown,
            items: 0,
        },
        Case {
            name: "setuid binary",
            policy: "blacklist_permissions_enabled: true\nblacklist_permissions: [setuid]\n",
            scan: |s| s.files = Some(vec![file("usr/bin/su", 0o104755, 0)]),
            want: Fail,
            items: 1,
        },
        Case {
            name: "setgid not blocked",
            policy: "blacklist_permissions_enabled: true\nblacklist_permissions: [setuid]\n",
            scan: |s| s.files = Some(vec![file("usr/bin/wall", 0o2755, 0)]),
            want: Pass,
            items: 0,
        },
        Case {
            name: "superuser-only binary",
            policy: "blacklist_permissions_enabled: true\nblacklist_permissions: [superuser_only, setgid]\n",
            scan: |s| {
                s.files = Some(vec![
                    file("usr/sbin/tool", 0o700, 0),
                    file("usr/bin/ls", 0o755, 0),
                ])
            },
            want: Fail,
            items: 1,
        },
        Case {
            name: "permissions not scanned",
            policy: "blacklist_permissions_enabled: true\nblacklist_permissions: [setuid]\n",
            scan: |s| s.files = None,
            want: Unknown,
            items: 0,
        },
        Case {
            name: "misconfiguration listed",
            policy: "misconfiguration_checks_enabled: true\nmisconfiguration_checks: ['DS00*']\n",
            scan: |s| {
                s.misconfigurations = Some(vec![MisconfigHit {
                    check_id: "DS002".into(),
                    severity: Severity::High,
                }])
            },
            want: Fail,
            items: 1,
        },
        Case {
            name: "misconfiguration not listed",
            policy: "misconfiguration_checks_enabled: true\nmisconfiguration_checks: [DS026]\n",
            scan: |s| {
                s.misconfigurations = Some(vec![MisconfigHit {
                    check_id: "DS002".into(),
                    severity: Severity::High,
                }])
            },
            want: Pass,
            items: 0,
        },
    ]);
}

#[test]
fn image_controls() {
    run(&[
        Case {
            name: "non-root user",
            policy: "only_none_root_users: true\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "no USER",
            policy: "only_none_root_users: true\n",
            scan: |s| s.image().user = None,
            want: Fail,
            items: 0,
        },
        Case {
            name: "USER 0:0",
            policy: "only_none_root_users: true\n",
            scan: |s| s.image().user = Some("0:0".into()),
            want: Fail,
            items: 0,
        },
        Case {
            name: "USER root",
            policy: "only_none_root_users: true\n",
            scan: |s| s.image().user = Some("root".into()),
            want: Fail,
            items: 0,
        },
        Case {
            name: "required label with value",
            policy: "required_labels_enabled: true\nrequired_labels:\n  - {key: team, value: pay*}\n  - key: org.opencontainers.image.source\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "required label wrong value and missing",
            policy: "required_labels_enabled: true\nrequired_labels:\n  - {key: team, value: web}\n  - key: maintainer\n",
            scan: unchanged,
            want: Fail,
            items: 2,
        },
        Case {
            name: "forbidden label absent",
            policy: "forbidden_labels_enabled: true\nforbidden_labels:\n  - key: debug\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "forbidden label present",
            policy: "forbidden_labels_enabled: true\nforbidden_labels:\n  - {key: team, value: ''}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "trusted base",
            policy: "trusted_base_images_enabled: true\ntrusted_base_images:\n  - {registry: Docker Hub, imagename: 'debian:*'}\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "untrusted base",
            policy: "trusted_base_images_enabled: true\ntrusted_base_images:\n  - {registry: docker.io, imagename: 'alpine*'}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "unknown base",
            policy: "trusted_base_images_enabled: true\ntrusted_base_images:\n  - {imagename: 'debian*'}\n",
            scan: |s| {
                s.image()
                    .labels
                    .remove("org.opencontainers.image.base.name");
            },
            want: Unknown,
            items: 0,
        },
        Case {
            name: "forbidden base",
            policy: "forbidden_base_images_enabled: true\nforbidden_base_images:\n  - {imagename: 'library/debian'}\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "base not forbidden",
            policy: "forbidden_base_images_enabled: true\nforbidden_base_images:\n  - {imagename: 'centos*'}\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "allowed registry",
            policy: "allowed_registries_enabled: true\nallowed_registries: ['*.example.invalid']\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "registry not allowed",
            policy: "allowed_registries_enabled: true\nallowed_registries: [docker.io]\n",
            scan: unchanged,
            want: Fail,
            items: 1,
        },
        Case {
            name: "young image",
            policy: "image_max_age_days_enabled: true\nimage_max_age_days: 60\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "old image",
            policy: "image_max_age_days_enabled: true\nimage_max_age_days: 30\n",
            scan: unchanged,
            want: Fail,
            items: 0,
        },
        Case {
            name: "no creation time",
            policy: "image_max_age_days_enabled: true\nimage_max_age_days: 30\n",
            scan: |s| s.image().created = None,
            want: Unknown,
            items: 0,
        },
        Case {
            name: "small image",
            policy: "max_image_size_enabled: true\nmax_image_size_mb: 25\n",
            scan: unchanged,
            want: Pass,
            items: 0,
        },
        Case {
            name: "big image",
            policy: "max_image_size_enabled: true\nmax_image_size_mb: 15\n",
            scan: unchanged,
            want: Fail,
            items: 0,
        },
    ]);
}

#[test]
fn offending_vulnerabilities_name_id_and_package() {
    let verdict =
        Scan::base().judge("name: t\ncvss_severity_enabled: true\ncvss_severity: critical\n");
    let control = &verdict.policies[0].controls[0];
    assert_eq!(control.control, "cvss_severity");
    let Item::Vulnerability(vuln) = &control.items[0] else {
        panic!("{:?}", control.items)
    };
    assert_eq!(
        (vuln.id.as_str(), vuln.package.as_str(), vuln.score),
        ("CVE-2026-0002", "lodash", Some(9.8))
    );
    assert!(
        control
            .message
            .contains("1 vulnerabilities of severity critical"),
        "{}",
        control.message
    );
}

/// Regression: the engine converted the inventory's 64-bit owner ids to 32 bits with
/// `unwrap_or(u32::MAX)`; one file-entry type now carries the id as recorded, and
/// directories among the entries are not files with permissions.
#[test]
fn offending_files_keep_their_owner_and_absolute_path() {
    let wide_uid = u64::from(u32::MAX) + 7;
    let mut scan = Scan::base();
    let mut setuid_dir = file("usr/lib/suid-dir", 0o4755, 0);
    setuid_dir.kind = kabuto_types::FileKind::Dir;
    scan.files = Some(vec![file("usr/bin/odd", 0o4755, wide_uid), setuid_dir]);
    let verdict = scan
        .judge("name: t\nblacklist_permissions_enabled: true\nblacklist_permissions: [setuid]\n");
    let control = &verdict.policies[0].controls[0];
    assert_eq!(control.items.len(), 1, "{:?}", control.items);
    let Item::File(entry) = &control.items[0] else {
        panic!("{:?}", control.items)
    };
    assert_eq!(
        (entry.path.as_str(), entry.mode.as_str(), entry.uid),
        ("/usr/bin/odd", "4755", wide_uid)
    );
}

#[test]
fn scopes_select_images() {
    let cases = [
        (
            "scope:\n  expression: v1 && v2\n  variables:\n    - {attribute: aqua.registry, value: registry.example.invalid}\n    - {attribute: image.repo, value: team/*}\n",
            true,
        ),
        (
            "scope:\n  expression: v1\n  variables:\n    - {attribute: image.registry, value: docker.io}\n",
            false,
        ),
        (
            "scope:\n  expression: v1 || v2\n  variables:\n    - {attribute: image.registry, value: docker.io}\n    - {attribute: image.tag, value: '1.*'}\n",
            true,
        ),
        (
            "scope:\n  expression: '!v1'\n  variables:\n    - {attribute: image.label, name: team, value: payments}\n",
            false,
        ),
        (
            "scope:\n  expression: v1\n  variables:\n    - {attribute: kubernetes.cluster, value: prod}\n",
            true,
        ),
        ("scope: {expression: '', variables: []}\n", true),
        ("images: ['registry.example.invalid/team/*']\n", true),
        ("images: ['debian*']\n", false),
        ("registries: [registry.example.invalid]\n", true),
        ("labels: ['team=pay*']\n", true),
        ("labels: [owner]\n", false),
    ];
    for (scope, applies) in cases {
        let verdict = Scan::base().judge(&format!("name: t\ndisallow_malware: true\n{scope}"));
        let outcome = verdict.policies[0].outcome;
        let want = if applies {
            EvaluationOutcome::Pass
        } else {
            EvaluationOutcome::Skipped
        };
        assert_eq!(outcome, want, "{scope}");
    }
}

#[test]
fn gate_outcomes_follow_actions() {
    let failing = "cvss_severity_enabled: true\ncvss_severity: critical\n";
    let passing = "disallow_malware: true\n";
    let cases = [
        (format!("name: a\n{failing}"), GateOutcome::Fail, 4),
        (
            format!("name: a\nfail_cicd: false\n{failing}"),
            GateOutcome::AuditOnly,
            0,
        ),
        (
            format!("name: a\nfail_cicd: false\naudit_on_failure: false\n{failing}"),
            GateOutcome::AuditOnly,
            0,
        ),
        (format!("name: a\n{passing}"), GateOutcome::Pass, 0),
        (
            format!("name: a\nenabled: false\n{failing}"),
            GateOutcome::Pass,
            0,
        ),
        (
            format!(
                "policies:\n  - name: a\n    fail_cicd: false\n    {}\n  - name: b\n    {passing}",
                failing.replace('\n', "\n    ")
            ),
            GateOutcome::AuditOnly,
            0,
        ),
        (
            format!(
                "- name: a\n  {}\n- name: b\n  fail_cicd: false\n  {passing}",
                failing.replace('\n', "\n  ")
            ),
            GateOutcome::Fail,
            4,
        ),
    ];
    for (policies, gate, code) in cases {
        let verdict = Scan::base().judge(&policies);
        assert_eq!(verdict.gate, gate, "{policies}");
        assert_eq!(verdict.exit_code(), code, "{policies}");
    }
}

#[test]
fn several_policies_report_each_result() {
    let verdict = Scan::base().judge(
        "policies:\n  - name: vulns\n    cvss_severity_enabled: true\n    cvss_severity: high\n  - name: root\n    only_none_root_users: true\n  - name: other-team\n    labels: ['team=web']\n    disallow_malware: true\n",
    );
    let outcomes: Vec<_> = verdict
        .policies
        .iter()
        .map(|p| (p.policy.as_str(), p.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("vulns", EvaluationOutcome::Fail),
            ("root", EvaluationOutcome::Pass),
            ("other-team", EvaluationOutcome::Skipped)
        ]
    );
    assert_eq!(verdict.failed_policies().count(), 1);
    assert_eq!(verdict.image, "registry.example.invalid/team/app:1.0");
}

#[test]
fn needs_tell_which_scanners_to_run() {
    let set = kabuto_policy::PolicySet::parse(
        "- name: a\n  scan_sensitive_data: true\n  disallow_malware: true\n- name: b\n  enabled: false\n  blacklist_permissions_enabled: true\n  blacklist_permissions: [setuid]\n",
        "t.yaml",
    )
    .unwrap();
    let needs = set.needs();
    assert!(needs.secrets && needs.malware);
    assert!(!needs.file_permissions && !needs.misconfigurations && !needs.vulnerabilities);
    let _ = Ecosystem::Deb;
}
