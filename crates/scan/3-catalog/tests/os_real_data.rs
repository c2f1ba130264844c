//! Real data: our OS analyzers must report exactly what Trivy 0.59.1 reported for the same
//! inputs (`tests/fixtures/os/trivy-real/*.json`, made with `trivy rootfs --format cyclonedx`;
//! see the README there). Inputs live outside the repository and the tests skip when absent.
//!
//! Compared: the OS (family and version) and per package name, version, purl, source name and
//! version. Licences are compared for rpm. Not for apk: Trivy rewrites `L:` values to SPDX ids
//! (`GPL-2.0` -> `GPL-2.0-only`), which is licence normalisation, not package detection, so we
//! only check both sides have one. Not for deb: Trivy reads them from
//! `usr/share/doc/*/copyright`, which we do not yet (see os_conformance.rs).

mod os_support;

use std::collections::BTreeMap;
use std::path::Path;

use kabuto_catalog::os::dpkg::DpkgAnalyzer;
use kabuto_catalog::os::qualify_os_packages;
use kabuto_catalog::{Analyzer, FileInput};
use kabuto_types::{OsFamily, OsInfo, Package};
use serde::Deserialize;

#[derive(Deserialize)]
struct TrivyReport {
    os: TrivyOs,
    packages: Vec<TrivyPackage>,
}

#[derive(Deserialize)]
struct TrivyOs {
    family: String,
    version: String,
}

#[derive(Deserialize, Debug, PartialEq)]
struct TrivyPackage {
    name: String,
    version: String,
    purl: String,
    source_name: String,
    source_version: String,
    licenses: Vec<String>,
}

fn expected(name: &str) -> TrivyReport {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/os/trivy-real")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("expected report");
    serde_json::from_str(&text).expect("valid expected report")
}

/// Our packages in the expected report's shape, keyed on (name, version).
fn ours(packages: &[Package], with_licenses: bool) -> BTreeMap<(String, String), TrivyPackage> {
    packages
        .iter()
        .map(|p| {
            let source = p
                .source
                .as_ref()
                .expect("OS packages have a source package");
            let key = (p.name.clone(), p.version.clone());
            let value = TrivyPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                purl: p.purl.to_string(),
                source_name: source.name.clone(),
                source_version: source.version.clone(),
                licenses: if with_licenses {
                    p.licenses.clone()
                } else {
                    vec![]
                },
            };
            (key, value)
        })
        .collect()
}

fn theirs(report: TrivyReport, with_licenses: bool) -> BTreeMap<(String, String), TrivyPackage> {
    report
        .packages
        .into_iter()
        .map(|mut p| {
            if !with_licenses {
                p.licenses.clear();
            }
            ((p.name.clone(), p.version.clone()), p)
        })
        .collect()
}

fn assert_same(
    ours: &BTreeMap<(String, String), TrivyPackage>,
    theirs: &BTreeMap<(String, String), TrivyPackage>,
) {
    let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).collect();
    let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (key, want) in theirs {
        assert_eq!(&ours[key], want, "{key:?}");
    }
}

#[test]
fn debian12_status_matches_trivy() {
    let Some(path) = os_support::shared_path(
        "/work/shared/vulndata/debian12-changelog-derived/fixture-dpkg-status",
    ) else {
        return;
    };
    let report = expected("debian12-dpkg-status");
    let content = std::fs::read(path).expect("status file");
    let out = DpkgAnalyzer
        .analyze(FileInput {
            path: "var/lib/dpkg/status",
            content: &content,
        })
        .expect("parses");
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let mut packages = out.packages;
    // Trivy saw this status file next to a debian_version of 12.11.
    assert_eq!(
        (report.os.family.as_str(), report.os.version.as_str()),
        ("debian", "12.11")
    );
    let os = OsInfo {
        family: OsFamily::Debian,
        version: report.os.version.clone(),
        pretty_name: None,
        codename: None,
    };
    qualify_os_packages(&os, &mut packages);
    println!("debian12 status: {} packages", packages.len());
    assert_same(&ours(&packages, false), &theirs(report, false));
}

fn check_rootfs(name: &str, with_licenses: bool) -> Option<Vec<Package>> {
    let root = os_support::shared_path(&format!("/root/.cache/kabuto-fixtures/out/rootfs/{name}"))?;
    let report = expected(name);
    let (os, packages, warnings) = os_support::scan_tree(&root);
    assert!(warnings.is_empty(), "{warnings:?}");
    let os = os.expect("an OS");
    assert_eq!(
        (os.family.as_str(), os.version.as_str()),
        (report.os.family.as_str(), report.os.version.as_str())
    );
    println!(
        "{name}: {} {} and {} packages",
        os.family,
        os.version,
        packages.len()
    );
    let expected_licenses: BTreeMap<String, Vec<String>> = report
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.licenses.clone()))
        .collect();
    assert_same(
        &ours(&packages, with_licenses),
        &theirs(report, with_licenses),
    );
    if name == "alpine-like" {
        // Trivy rewrote the declared `L:` values to SPDX ids; ours are the declared ones.
        for p in &packages {
            assert!(!p.licenses.is_empty(), "{} has no licence", p.name);
            assert!(
                !expected_licenses[&p.name].is_empty(),
                "{} had a licence",
                p.name
            );
        }
    }
    Some(packages)
}

/// A real debootstrapped Debian 12 image: os-release, debian_version and a dpkg status of 128
/// packages. Trivy also reads licences from `usr/share/doc/*/copyright`, which we do not yet
/// (see os_conformance.rs), so licences are not compared here.
#[test]
fn debian_app_rootfs_matches_trivy() {
    if let Some(packages) = check_rootfs("debian-app", false) {
        assert_eq!(packages.len(), 128);
    }
}

#[test]
fn rocky_like_rpmdb_matches_trivy() {
    if let Some(packages) = check_rootfs("rocky-like", true) {
        assert_eq!(packages.len(), 8);
    }
}

#[test]
fn alpine_like_apk_db_matches_trivy() {
    if let Some(packages) = check_rootfs("alpine-like", false) {
        assert_eq!(packages.len(), 13);
    }
}
