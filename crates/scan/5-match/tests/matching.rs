//! Matching on real advisory records: the attributed fixtures of kabuto-vulndb, OS records built
//! in code, and (when present) the full corpus in /work/shared/vulndata.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns; a panic is a test failure

mod common;

use std::path::{Path, PathBuf};

use kabuto_match::{match_inventory, match_inventory_detailed};
use kabuto_types::{
    Ecosystem, FixStatus, Inventory, OsFamily, OsInfo, Package, Severity, SourcePackage,
};
use kabuto_vulndb::{Database, build};

use common::inventory;

fn vulndb_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vulndb/tests/fixtures/feeds")
}

fn pkg(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package::new(ecosystem, name, version, "test", "test")
}

fn deb(name: &str, source: &str, version: &str) -> Package {
    let mut p = pkg(Ecosystem::Deb, name, version);
    p.source = Some(SourcePackage {
        name: source.into(),
        version: version.into(),
    });
    p
}

fn os(family: OsFamily, version: &str) -> Option<OsInfo> {
    Some(OsInfo {
        family,
        version: version.into(),
        pretty_name: None,
        codename: None,
    })
}

/// A database of the fixtures plus OS records written here (Debian, Alpine).
fn fixture_db(dir: &Path) -> Database {
    let os_feeds = dir.join("os");
    std::fs::create_dir_all(&os_feeds).unwrap();
    std::fs::write(
        os_feeds.join("DEBCL-CVE-2026-34180.json"),
        r#"{"id":"DEBCL-CVE-2026-34180","modified":"2026-11-23T00:00:00Z","aliases":["CVE-2026-34180"],
        "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.20-1~deb12u2"}]}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        os_feeds.join("main.yaml"),
        "distroversion: v3.18\nreponame: main\npackages:\n  - pkg:\n      name: zlib\n      secfixes:\n        1.2.12-r2:\n          - CVE-2022-37434\n        0:\n          - CVE-2000-1\n",
    )
    .unwrap();
    let out = dir.join("db.kdb");
    let report = build::build(&[vulndb_fixtures(), os_feeds], &out).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    Database::open(&out).unwrap()
}

fn ids_for(db: &Database, inv: &Inventory) -> Vec<String> {
    let mut ids: Vec<String> = match_inventory(db, inv)
        .iter()
        .map(|f| f.id.to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn pypi_requests_and_urllib3() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let inv = inventory(None, vec![pkg(Ecosystem::PyPi, "requests", "2.19.1")]);
    let findings = match_inventory(&db, &inv);
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.id.as_str(), "CVE-2018-18074");
    let aliases: Vec<&str> = f.aliases.iter().map(|a| a.as_str()).collect();
    assert_eq!(aliases, ["GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"]);
    assert_eq!(f.fixed_versions, ["2.20.0"]);
    assert_eq!(f.status, FixStatus::Fixed);
    assert_eq!(f.explanations[0].advisory.as_str(), "PYSEC-2018-28");
    assert_eq!(f.explanations[0].ecosystem_key, "PyPI");

    // Just outside: the fixed version itself is not affected.
    let fixed = inventory(None, vec![pkg(Ecosystem::PyPi, "Requests", "2.20.0")]);
    assert!(ids_for(&db, &fixed).is_empty());

    // urllib3 1.23 is past the CVE-2018-20060 fix (1.23) but before 1.24.2.
    let inv = inventory(None, vec![pkg(Ecosystem::PyPi, "urllib3", "1.23")]);
    assert_eq!(ids_for(&db, &inv), ["CVE-2018-25091", "CVE-2019-11324"]);
    let inv = inventory(None, vec![pkg(Ecosystem::PyPi, "urllib3", "1.22")]);
    assert_eq!(
        ids_for(&db, &inv),
        ["CVE-2018-20060", "CVE-2018-25091", "CVE-2019-11324"]
    );
    let inv = inventory(None, vec![pkg(Ecosystem::PyPi, "urllib3", "1.24.2")]);
    assert!(ids_for(&db, &inv).is_empty());
}

#[test]
fn npm_lodash_from_nodejs_security_wg() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let inv = inventory(None, vec![pkg(Ecosystem::Npm, "lodash", "4.17.4")]);
    let findings = match_inventory(&db, &inv);
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["CVE-2018-3721", "CVE-2018-16487"]);
    assert_eq!(findings[0].fixed_versions, ["4.17.5"]);
    assert_eq!(findings[0].explanations[0].affected_range, "< 4.17.5");
    assert_eq!(
        findings[0].explanations[0].comparison,
        "4.17.4 < 4.17.5 (fixed)"
    );
    // CVSS:3.0 vector of record 368, scored here.
    assert!(
        findings[0]
            .severity_source
            .as_deref()
            .unwrap()
            .starts_with("CVSS:3.0 base score")
    );

    // 4.17.15 is in the third record's `>=4.17.15 <4.17.19` range only; 4.17.19 in none.
    let inv = inventory(None, vec![pkg(Ecosystem::Npm, "lodash", "4.17.15")]);
    assert_eq!(ids_for(&db, &inv), ["NSWG-ECO-516"]);
    let inv = inventory(None, vec![pkg(Ecosystem::Npm, "lodash", "4.17.19")]);
    assert!(ids_for(&db, &inv).is_empty());
}

#[test]
fn rubygems_patched_requirements() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let cases = [
        ("1.3.7", true),
        ("1.3.8", false),
        ("1.4.2", true),
        ("1.4.3", false),
        ("1.2.0", true),
    ];
    for (version, affected) in cases {
        let inv = inventory(None, vec![pkg(Ecosystem::Gem, "rack", version)]);
        let findings = match_inventory(&db, &inv);
        assert_eq!(!findings.is_empty(), affected, "rack {version}");
        if let Some(f) = findings.first() {
            assert_eq!(f.id.as_str(), "CVE-2013-0183");
            // cvss_v2 5.0 given as a bare score.
            assert_eq!(f.severity, Severity::Medium);
        }
    }
    let inv = inventory(None, vec![pkg(Ecosystem::Gem, "rack", "1.3.7")]);
    assert_eq!(
        match_inventory(&db, &inv)[0].fixed_versions,
        ["1.3.8", "1.4.3"]
    );
}

#[test]
fn debian_and_alpine_by_source_package_and_release() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let debian = |version: &str| {
        inventory(
            os(OsFamily::Debian, "12.7"),
            vec![deb("libssl3", "openssl", version)],
        )
    };
    let findings = match_inventory(&db, &debian("3.0.19-1~deb12u2"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id.as_str(), "CVE-2026-34180");
    assert_eq!(findings[0].package_name, "libssl3");
    assert_eq!(findings[0].explanations[0].ecosystem_key, "Debian:12");
    assert!(ids_for(&db, &debian("3.0.20-1~deb12u2")).is_empty());
    // Another Debian release does not see bookworm records.
    let buster = inventory(
        os(OsFamily::Debian, "10.13"),
        vec![deb("libssl3", "openssl", "1.0")],
    );
    assert!(ids_for(&db, &buster).is_empty());

    let alpine = |version: &str| {
        inventory(
            os(OsFamily::Alpine, "3.18.4"),
            vec![pkg(Ecosystem::Apk, "zlib", version)],
        )
    };
    assert_eq!(ids_for(&db, &alpine("1.2.12-r1")), ["CVE-2022-37434"]);
    assert!(ids_for(&db, &alpine("1.2.12-r2")).is_empty());
}

#[test]
fn almalinux_errata_by_binary_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let alma = |version: &str| {
        inventory(
            os(OsFamily::Alma, "9.0"),
            vec![pkg(Ecosystem::Rpm, "openssl-libs", version)],
        )
    };
    let findings = match_inventory(&db, &alma("1:3.0.1-38.el9_0"));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id.as_str(), "ALSA-2022:6224");
    assert!(!findings[0].related.is_empty());
    assert!(ids_for(&db, &alma("1:3.0.1-41.el9_0")).is_empty());
}

#[test]
fn unreadable_versions_are_warnings_not_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = fixture_db(dir.path());
    let inv = inventory(None, vec![pkg(Ecosystem::Npm, "lodash", "not a version!")]);
    let outcome = match_inventory_detailed(&db, &inv);
    assert!(outcome.findings.is_empty());
    assert!(!outcome.warnings.is_empty());
    assert!(
        outcome.warnings[0]
            .package
            .starts_with("lodash@not a version!")
    );
}

/// The real Debian 12 dpkg status of the changelog-derived set against its own records.
#[test]
fn debian12_fixture_status_on_the_shared_corpus() {
    let base = Path::new(common::DEBIAN12_CORPUS);
    if !base.exists() {
        eprintln!("skipped: {} is absent", base.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("deb.kdb");
    build::build(&[base.join("osv")], &out).unwrap();
    let db = Database::open(&out).unwrap();
    let status = std::fs::read_to_string(base.join("fixture-dpkg-status")).unwrap();
    let packages = common::dpkg_status_packages(&status);
    let inv = inventory(os(OsFamily::Debian, "12.7"), packages);
    let outcome = match_inventory_detailed(&db, &inv);
    let mut pairs: Vec<(String, String)> = outcome
        .findings
        .iter()
        .map(|f| (f.explanations[0].advisory.to_string(), f.id.to_string()))
        .collect();
    pairs.sort();
    eprintln!(
        "{} findings over {} binary packages",
        pairs.len(),
        inv.packages.len()
    );
    assert!(
        outcome.warnings.is_empty(),
        "{:?}",
        &outcome.warnings[..3.min(outcome.warnings.len())]
    );
    // The openssl CVE fixed after the installed 3.0.19-1~deb12u2 is reported, the one fixed
    // in exactly that version is not.
    let openssl: Vec<&str> = outcome
        .findings
        .iter()
        .filter(|f| f.package_name == "libssl3")
        .map(|f| f.id.as_str())
        .collect();
    assert!(openssl.contains(&"CVE-2026-34180"), "{openssl:?}");
    assert!(!openssl.contains(&"CVE-2026-28387"), "{openssl:?}");
}

/// RHEL and CentOS images read Red Hat's records under `Red Hat:<major>`; epochs follow
/// rpm: a version without one has epoch 0, and the whole EVR is compared.
#[test]
fn red_hat_records_and_rpm_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("rh");
    std::fs::create_dir_all(&feeds).unwrap();
    let record = |id: &str, fixed: &str| {
        format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssl-libs"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    };
    std::fs::write(
        feeds.join("a.json"),
        record("RHSA-2024:1", "1:3.0.7-27.el9"),
    )
    .unwrap();
    std::fs::write(feeds.join("b.json"), record("RHSA-2024:2", "3.0.7-27.el9")).unwrap();
    let out = dir.path().join("db.kdb");
    build::build(&[feeds], &out).unwrap();
    let db = Database::open(&out).unwrap();
    let rhel = |family: OsFamily, version: &str| {
        inventory(
            os(family, "9.4"),
            vec![pkg(Ecosystem::Rpm, "openssl-libs", version)],
        )
    };
    // Epoch 1 installed: older than the epoch-1 fix, newer than the epoch-0 one.
    assert_eq!(
        ids_for(&db, &rhel(OsFamily::Rhel, "1:3.0.7-24.el9")),
        ["RHSA-2024:1"]
    );
    // No epoch and `0:` are the same: below both fixes.
    let both = ["RHSA-2024:1", "RHSA-2024:2"];
    assert_eq!(ids_for(&db, &rhel(OsFamily::Rhel, "3.0.7-24.el9")), both);
    assert_eq!(
        ids_for(&db, &rhel(OsFamily::Centos, "0:3.0.7-24.el9")),
        both
    );
    assert!(ids_for(&db, &rhel(OsFamily::Rhel, "1:3.0.7-27.el9")).is_empty());
    let f = &match_inventory(&db, &rhel(OsFamily::Rhel, "1:3.0.7-24.el9"))[0];
    assert_eq!(f.explanations[0].ecosystem_key, "Red Hat:9");
    // Other rpm distributions do not read Red Hat's records.
    assert!(ids_for(&db, &rhel(OsFamily::Alma, "3.0.7-24.el9")).is_empty());
}

/// Ubuntu records are keyed `Ubuntu:<release>:LTS` for LTS releases and `Ubuntu:<release>`
/// otherwise (the shapes of Ubuntu's OSV feed); Ubuntu Pro (ESM) records need a Pro
/// subscription and do not apply to a plain image.
#[test]
fn ubuntu_records_by_release_key() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("ubuntu");
    std::fs::create_dir_all(&feeds).unwrap();
    for (id, ecosystem) in [
        ("UBUNTU-CVE-2024-1", "Ubuntu:22.04:LTS"),
        ("UBUNTU-CVE-2024-2", "Ubuntu:25.10"),
        ("UBUNTU-CVE-2024-3", "Ubuntu:Pro:22.04:LTS"),
    ] {
        let record = format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"openssl"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"3.0.2-0ubuntu1.18"}}]}}]}}]}}"#
        );
        std::fs::write(feeds.join(format!("{id}.json")), record).unwrap();
    }
    let out = dir.path().join("db.kdb");
    build::build(&[feeds], &out).unwrap();
    let db = Database::open(&out).unwrap();
    let ubuntu = |release: &str| {
        inventory(
            os(OsFamily::Ubuntu, release),
            vec![deb("libssl3", "openssl", "3.0.2-0ubuntu1.15")],
        )
    };
    assert_eq!(ids_for(&db, &ubuntu("22.04")), ["UBUNTU-CVE-2024-1"]);
    assert_eq!(ids_for(&db, &ubuntu("25.10")), ["UBUNTU-CVE-2024-2"]);
    assert!(ids_for(&db, &ubuntu("24.04")).is_empty());
}

/// A record rated only by a CVSS v4.0 vector (that of Bitnami's BIT-minio-2025-27414, which
/// labels it Medium) gets its severity from the v4.0 score: 8.2 for the base metrics, lowered to
/// 4.6 by the threat metric E:U (no known exploit).
#[test]
fn cvss_v4_only_records_are_rated_by_their_score() {
    let dir = tempfile::tempdir().unwrap();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir_all(&feeds).unwrap();
    std::fs::write(
        feeds.join("GHSA-v4-only.json"),
        r#"{"id":"GHSA-wc79-7x8x-2p58","modified":"2025-05-20T10:02:07Z","aliases":["CVE-2025-27414"],
        "affected":[{"package":{"ecosystem":"Go","name":"github.com/minio/minio"},
        "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N/E:U"}],
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.0.0-20250228000000-91e1487de457"}]}]}]}"#,
    )
    .unwrap();
    let out = dir.path().join("db.kdb");
    build::build(&[feeds], &out).unwrap();
    let db = Database::open(&out).unwrap();
    let inv = inventory(
        None,
        vec![pkg(
            Ecosystem::Go,
            "github.com/minio/minio",
            "v0.0.0-20240606000000-aaaaaaaaaaaa",
        )],
    );
    let findings = match_inventory(&db, &inv);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let finding = &findings[0];
    assert_eq!(finding.cvss[0].score, Some(4.6));
    assert_eq!(finding.severity, Severity::Medium);
    assert!(
        finding
            .severity_source
            .as_deref()
            .is_some_and(|s| s.starts_with("CVSS:4.0 base score 4.6")),
        "{:?}",
        finding.severity_source
    );
}
