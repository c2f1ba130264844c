//! Ignore files and VEX documents applied to findings.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use std::path::{Path, PathBuf};

use kabuto_match::suppress::{
    IgnoreFile, SuppressError, SuppressionKind, VexDocument, apply_ignores, apply_vex, suppress,
};
use kabuto_types::{Ecosystem, Finding, FixStatus, Location, Purl, Severity, VulnId};
use time::macros::date;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/suppress")
        .join(name)
}

fn finding(id: &str, aliases: &[&str], purl: &str, path: &str) -> Finding {
    let purl: Purl = purl.parse().unwrap();
    Finding {
        id: VulnId::new(id).unwrap(),
        aliases: aliases.iter().map(|a| VulnId::new(*a).unwrap()).collect(),
        related: Vec::new(),
        package_name: purl.name().to_owned(),
        installed_version: purl.version().unwrap_or_default().to_owned(),
        package_purl: purl,
        ecosystem: Ecosystem::Npm,
        fixed_versions: Vec::new(),
        status: FixStatus::NoFix,
        severity: Severity::High,
        severity_source: None,
        cvss: Vec::new().into(),
        title: None,
        description: None,
        references: Vec::new().into(),
        published: None,
        modified: None,
        locations: vec![Location {
            path: path.into(),
            layer: None,
        }],
        explanations: Vec::new().into(),
        vendor_severity: Default::default(),
        epss: None,
        kev: None,
    }
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn plain_ignore_file_with_expiry_and_aliases() {
    let ignores = IgnoreFile::load(&fixture("trivyignore")).unwrap();
    assert_eq!(ignores.entries.len(), 4);
    let findings = vec![
        finding(
            "CVE-2018-14618",
            &[],
            "pkg:deb/debian/curl@7.52.1",
            "var/lib/dpkg/status",
        ),
        finding(
            "CVE-2019-14697",
            &[],
            "pkg:apk/alpine/musl@1.1.20",
            "lib/apk/db/installed",
        ),
        finding(
            "CVE-2026-34180",
            &[],
            "pkg:deb/debian/openssl@3.0.19",
            "var/lib/dpkg/status",
        ),
        // Ignored through its GHSA alias.
        finding(
            "CVE-2018-18074",
            &["GHSA-x84v-xcm2-53pg"],
            "pkg:pypi/requests@2.19.1",
            "app",
        ),
        finding("CVE-2024-0001", &[], "pkg:npm/left-pad@1.0.0", "app"),
    ];
    let out = apply_ignores(findings, &ignores, date!(2026 - 11 - 25));
    assert_eq!(ids(&out.kept), ["CVE-2019-14697", "CVE-2024-0001"]);
    let suppressed: Vec<&str> = out
        .suppressed
        .iter()
        .map(|s| s.finding.id.as_str())
        .collect();
    assert_eq!(
        suppressed,
        ["CVE-2018-14618", "CVE-2026-34180", "CVE-2018-18074"]
    );
    assert_eq!(out.suppressed[0].reason.kind, SuppressionKind::IgnoreFile);
    assert!(
        out.suppressed[0]
            .reason
            .to_string()
            .starts_with("ignored by ")
    );
    // The expired entry is reported, with its date.
    assert_eq!(out.expired.len(), 1);
    assert_eq!(out.expired[0].id.as_str(), "CVE-2019-14697");
    assert!(out.expired[0].to_string().contains("expired on 2023-01-01"));

    // Before its expiry (and on the day itself) the entry still suppresses.
    let musl = vec![finding(
        "CVE-2019-14697",
        &[],
        "pkg:apk/alpine/musl@1.1.20",
        "x",
    )];
    let out = apply_ignores(musl, &ignores, date!(2023 - 01 - 01));
    assert!(out.kept.is_empty() && out.expired.is_empty());
}

#[test]
fn yaml_ignore_file_scopes_by_path_and_purl() {
    let ignores = IgnoreFile::load(&fixture("trivyignore.yaml")).unwrap();
    let setuptools = "usr/local/lib/python3.9/site-packages/setuptools-58.1.0.dist-info/METADATA";
    let findings = vec![
        finding(
            "CVE-2022-40897",
            &[],
            "pkg:pypi/setuptools@58.1.0",
            setuptools,
        ),
        // Same CVE at another path: not covered.
        finding(
            "CVE-2022-40897",
            &[],
            "pkg:pypi/setuptools@58.1.0",
            "opt/venv/setuptools",
        ),
        finding(
            "CVE-2023-2650",
            &[],
            "pkg:deb/debian/openssl@3.0.9",
            "var/lib/dpkg/status",
        ),
        // Expired in 2023.
        finding(
            "CVE-2023-3446",
            &[],
            "pkg:deb/debian/openssl@3.0.9",
            "var/lib/dpkg/status",
        ),
        finding(
            "CVE-2018-3721",
            &[],
            "pkg:npm/lodash@4.17.4",
            "app/node_modules/lodash",
        ),
        // The purl names 4.17.4 only.
        finding(
            "CVE-2018-3721",
            &[],
            "pkg:npm/lodash@4.17.3",
            "app/node_modules/x/lodash",
        ),
    ];
    let out = apply_ignores(findings, &ignores, date!(2026 - 11 - 25));
    let kept: Vec<(&str, &str)> = out
        .kept
        .iter()
        .map(|f| (f.id.as_str(), f.locations[0].path.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("CVE-2022-40897", "opt/venv/setuptools"),
            ("CVE-2023-3446", "var/lib/dpkg/status"),
            ("CVE-2018-3721", "app/node_modules/x/lodash"),
        ]
    );
    assert_eq!(out.suppressed.len(), 3);
    assert_eq!(
        out.suppressed[0].reason.statement.as_deref(),
        Some("Accept the risk")
    );
    assert_eq!(out.expired.len(), 1);
}

#[test]
fn openvex_statements_suppress_by_status_and_purl() {
    let vex = VexDocument::load(&fixture("openvex.json")).unwrap();
    assert_eq!(vex.kind, SuppressionKind::OpenVex);
    let findings = vec![
        // Subcomponent of the image product; the statement's purl has a qualifier.
        finding(
            "CVE-2023-1255",
            &[],
            "pkg:apk/wolfi/openssl@3.1.0-r1?arch=x86_64",
            "a",
        ),
        finding(
            "CVE-2023-1255",
            &[],
            "pkg:apk/wolfi/openssl@3.1.0-r1?arch=aarch64",
            "b",
        ),
        // Named by an alias the statement lists.
        finding(
            "GHSA-xxxx-1255",
            &[],
            "pkg:apk/wolfi/openssl@3.1.0-r1?arch=x86_64",
            "c",
        ),
        // A versionless product covers every version.
        finding("CVE-2014-123456", &[], "pkg:npm/lodash@1.0.0", "d"),
        // under_investigation keeps.
        finding("CVE-2023-2650", &[], "pkg:npm/lodash@4.17.4", "e"),
        // The later `affected` statement revises the earlier `not_affected`.
        finding("CVE-2018-16487", &[], "pkg:npm/lodash@4.17.4", "f"),
    ];
    let out = apply_vex(findings, &vex);
    let kept: Vec<&str> = out
        .kept
        .iter()
        .map(|f| f.locations[0].path.as_str())
        .collect();
    assert_eq!(kept, ["b", "e", "f"]);
    let first = &out.suppressed[0].reason;
    assert_eq!(first.status.as_deref(), Some("not_affected"));
    assert_eq!(
        first.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert!(first.to_string().contains("VEX not_affected"), "{first}");
    assert_eq!(out.suppressed[2].reason.status.as_deref(), Some("fixed"));
}

#[test]
fn cyclonedx_vex_resolves_bom_refs() {
    let vex = VexDocument::load(&fixture("cyclonedx-vex.json")).unwrap();
    assert_eq!(vex.kind, SuppressionKind::CycloneDxVex);
    // The vulnerability without an analysis makes no statement.
    assert_eq!(vex.statements.len(), 3);
    let jackson = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8";
    let findings = vec![
        finding("CVE-2020-25649", &[], jackson, "a"),
        finding("CVE-2019-12384", &[], jackson, "b"),
        finding("CVE-2019-14379", &[], jackson, "c"),
        finding("CVE-2019-14540", &[], jackson, "d"),
        // Same CVE, another version of the package.
        finding(
            "CVE-2020-25649",
            &[],
            "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.9",
            "e",
        ),
        // Named through the GHSA reference.
        finding("GHSA-288c-cq4h-88gq", &[], jackson, "f"),
    ];
    let out = apply_vex(findings, &vex);
    let kept: Vec<&str> = out
        .kept
        .iter()
        .map(|f| f.locations[0].path.as_str())
        .collect();
    assert_eq!(kept, ["b", "d", "e"]);
    let states: Vec<&str> = out
        .suppressed
        .iter()
        .map(|s| s.reason.status.as_deref().unwrap())
        .collect();
    assert_eq!(states, ["not_affected", "resolved", "not_affected"]);
    assert_eq!(
        out.suppressed[0].reason.justification.as_deref(),
        Some("code_not_reachable")
    );
}

#[test]
fn suppress_chains_ignore_files_then_vex() {
    let ignores = IgnoreFile::from_plain("CVE-2020-25649\n", "ignore").unwrap();
    let vex = VexDocument::load(&fixture("cyclonedx-vex.json")).unwrap();
    let jackson = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.8";
    let findings = vec![
        finding("CVE-2020-25649", &[], jackson, "a"),
        finding("CVE-2019-14379", &[], jackson, "b"),
        finding("CVE-2019-12384", &[], jackson, "c"),
    ];
    let out = suppress(findings, &[ignores], &[vex], date!(2026 - 11 - 25));
    assert_eq!(ids(&out.kept), ["CVE-2019-12384"]);
    let kinds: Vec<SuppressionKind> = out.suppressed.iter().map(|s| s.reason.kind).collect();
    assert_eq!(
        kinds,
        [SuppressionKind::IgnoreFile, SuppressionKind::CycloneDxVex]
    );
}

fn field_error(result: Result<impl std::fmt::Debug, SuppressError>) -> (String, String) {
    match result.unwrap_err() {
        SuppressError::Field { file, field, .. } => (file, field),
        other => panic!("expected a field error, got {other}"),
    }
}

#[test]
fn malformed_files_name_file_and_field() {
    assert_eq!(
        field_error(IgnoreFile::from_plain(
            "CVE-1\nCVE-2 exp:2023-13-45\n",
            ".trivyignore"
        )),
        (".trivyignore".into(), "line 2".into())
    );
    assert_eq!(
        field_error(IgnoreFile::from_plain("CVE-1 because\n", "f")).1,
        "line 1"
    );
    let yaml = "vulnerabilities:\n  - id: CVE-1\n  - id: CVE-2\n    expired_at: soon\n";
    assert_eq!(
        field_error(IgnoreFile::from_yaml(yaml, "i.yaml")),
        ("i.yaml".into(), "vulnerabilities[1].expired_at".into())
    );
    let yaml = "vulnerabilities:\n  - statement: no id\n";
    assert_eq!(
        field_error(IgnoreFile::from_yaml(yaml, "i.yaml")).1,
        "vulnerabilities[0].id"
    );
    let yaml = "vulnerabilities:\n  - id: CVE-1\n    purls: [lodash]\n";
    assert_eq!(
        field_error(IgnoreFile::from_yaml(yaml, "i.yaml")).1,
        "vulnerabilities[0].purls[0]"
    );
    let yaml = "vulnerabilities:\n  - id: CVE-1\n    paths: 3\n";
    assert_eq!(
        field_error(IgnoreFile::from_yaml(yaml, "i.yaml")).1,
        "vulnerabilities[0].paths"
    );

    let openvex = |statement: &str| format!(r#"{{"statements":[{statement}]}}"#);
    let cases = [
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"maybe"}"#,
            "statements[0].status",
        ),
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected"}"#,
            "statements[0].justification",
        ),
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/a"}],"status":"not_affected","justification":"trust me"}"#,
            "statements[0].justification",
        ),
        (
            r#"{"products":[{"@id":"pkg:npm/a"}],"status":"fixed"}"#,
            "statements[0].vulnerability",
        ),
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"https://example.invalid/x"}],"status":"fixed"}"#,
            "statements[0].products",
        ),
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:"}],"status":"fixed"}"#,
            "statements[0].products[0].@id",
        ),
        (
            r#"{"vulnerability":{"name":"CVE-1"},"products":7,"status":"fixed"}"#,
            "statements[0].products",
        ),
    ];
    for (statement, field) in cases {
        let doc = openvex(statement);
        assert_eq!(
            field_error(VexDocument::from_json(doc.as_bytes(), "v.json")),
            ("v.json".into(), field.into()),
            "{statement}"
        );
    }

    let cdx = |vuln: &str| {
        format!(
            r#"{{"bomFormat":"CycloneDX","components":[{{"bom-ref":"a","purl":"pkg:npm/a@1"}}],"vulnerabilities":[{vuln}]}}"#
        )
    };
    let cases = [
        (
            r#"{"id":"CVE-1","analysis":{"state":"fine"},"affects":[{"ref":"a"}]}"#,
            "vulnerabilities[0].analysis.state",
        ),
        (
            r#"{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{"ref":"b"}]}"#,
            "vulnerabilities[0].affects[0].ref",
        ),
        (
            r#"{"analysis":{"state":"resolved"},"affects":[{"ref":"a"}]}"#,
            "vulnerabilities[0].id",
        ),
        (
            r#"{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[]}"#,
            "vulnerabilities[0].affects",
        ),
    ];
    for (vuln, field) in cases {
        let doc = cdx(vuln);
        assert_eq!(
            field_error(VexDocument::from_json(doc.as_bytes(), "c.json")).1,
            field,
            "{vuln}"
        );
    }
    assert!(matches!(
        VexDocument::from_json(b"{\"hello\":1}", "x.json"),
        Err(SuppressError::Syntax { .. })
    ));
    assert!(matches!(
        VexDocument::from_json(b"not json", "x.json"),
        Err(SuppressError::Syntax { .. })
    ));
    let missing = IgnoreFile::load(Path::new("/nonexistent/.trivyignore")).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/.trivyignore"));
}

#[test]
fn deeply_nested_yaml_ignore_files_are_refused_with_file_and_line() {
    let yaml = format!(
        "vulnerabilities:\n  - id: CVE-1\n    paths: {}\n",
        "[".repeat(200_000)
    );
    let error = IgnoreFile::from_yaml(&yaml, "deep.yaml").unwrap_err();
    let SuppressError::Refused(refused) = &error else {
        panic!("expected a depth refusal, got {error}");
    };
    assert_eq!((refused.file.as_str(), refused.line), ("deep.yaml", 3));
    assert!(
        error.to_string().starts_with("deep.yaml:3:")
            && error.to_string().contains("more than 128 levels"),
        "{error}"
    );
}

/// 200k globs (11 MB) used to compile one regex each: 3.3 GB and 37 s. Such a file is now
/// refused for its size before it is read.
#[test]
fn ignore_files_past_the_size_limit_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".kabutoignore.yaml");
    let mut yaml = String::from("vulnerabilities:\n");
    for i in 0..200_000 {
        yaml.push_str(&format!(
            "  - id: CVE-2020-{}\n    paths: ['a/**/b/**/c/**/d{i}']\n",
            i + 1000
        ));
    }
    std::fs::write(&path, yaml).unwrap();
    let error = IgnoreFile::load(&path).unwrap_err();
    assert!(
        matches!(&error, SuppressError::Read { source, .. } if source.kind() == std::io::ErrorKind::FileTooLarge),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains(".kabutoignore.yaml") && message.contains("4 MiB"),
        "{message}"
    );
}

#[test]
fn each_entry_matches_only_through_its_own_path_globs() {
    let yaml = "vulnerabilities:
  - id: CVE-2020-0001
    paths: ['a/**']
    statement: first
  - id: CVE-2020-0002
    paths: ['b/**']
  - id: CVE-2020-0002
    paths: ['c/**', 'd/*.jar']
    statement: third
";
    let ignores = IgnoreFile::from_yaml(yaml, "i.yaml").unwrap();
    let npm = "pkg:npm/x@1.0.0";
    let findings = vec![
        // `a/**` belongs to the CVE-2020-0001 entry: no cover for CVE-2020-0002.
        finding("CVE-2020-0002", &[], npm, "a/x"),
        finding("CVE-2020-0002", &[], npm, "d/lib.jar"),
        finding("CVE-2020-0001", &[], npm, "a/y"),
    ];
    let out = apply_ignores(findings, &ignores, date!(2026 - 01 - 01));
    assert_eq!(ids(&out.kept), ["CVE-2020-0002"]);
    let statements: Vec<_> = out
        .suppressed
        .iter()
        .map(|s| (s.finding.id.as_str(), s.reason.statement.as_deref()))
        .collect();
    assert_eq!(
        statements,
        [
            ("CVE-2020-0002", Some("third")),
            ("CVE-2020-0001", Some("first"))
        ]
    );
}
