//! `kabuto scan sbom FILE`: the packages of an SBOM (CycloneDX, SPDX, Kabuto's JSON report)
//! matched against the database without the image. On the real debian-app fixture image,
//! Kabuto's own SBOMs give exactly the findings of `kabuto scan image`, and Trivy's and
//! Syft's SBOMs the same vulnerable packages apart from the documented inventory
//! differences. Skips with a note when the images, the corpus or the peers are absent.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{Run, feeds_db, kabuto, kabuto_at, path_arg};

/// The vulnerability findings of a JSON report, as written.
fn vulnerabilities(run: &Run) -> Vec<serde_json::Value> {
    run.expect_code(0);
    run.json()["vulnerabilities"]
        .as_array()
        .expect("vulnerabilities")
        .clone()
}

/// (ecosystem, package, version, id) of each finding.
type Vulnerable = BTreeSet<(String, String, String, String)>;

fn vulnerable(findings: &[serde_json::Value]) -> Vulnerable {
    let field = |f: &serde_json::Value, name: &str| f[name].as_str().unwrap_or_default().to_owned();
    findings
        .iter()
        .map(|f| {
            (
                field(f, "ecosystem"),
                field(f, "package_name"),
                field(f, "installed_version"),
                field(f, "id"),
            )
        })
        .collect()
}

#[test]
fn a_trivy_shaped_cyclonedx_sbom_is_matched() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "container", "name": "registry.example.invalid/app:1"}},
        "components": [
            {"type": "library", "name": "requests", "version": "2.19.1",
             "purl": "pkg:pypi/requests@2.19.1",
             "properties": [
                 {"name": "aquasecurity:trivy:FilePath",
                  "value": "app/venv/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA"},
                 {"name": "aquasecurity:trivy:PkgType", "value": "python-pkg"}
             ]},
            {"type": "library", "name": "lodash", "version": "4.17.4", "purl": "pkg:npm/lodash@4.17.4"},
            {"type": "library", "name": "zlib", "version": "1.3", "purl": "pkg:conan/zlib@1.3"},
            {"type": "library", "name": "no-purl", "version": "1"}
        ]
    });
    std::fs::write(dir.path().join("app.cdx.json"), sbom.to_string()).unwrap();
    let run = kabuto_at(
        dir.path(),
        &[
            "scan",
            "sbom",
            "app.cdx.json",
            "--db",
            path_arg(feeds_db()),
            "--format",
            "json",
        ],
    );
    let found = vulnerable(&vulnerabilities(&run));
    let ids: BTreeSet<&str> = found.iter().map(|(_, _, _, id)| id.as_str()).collect();
    assert_eq!(
        ids,
        BTreeSet::from(["CVE-2018-18074", "CVE-2018-3721", "CVE-2018-16487"]),
        "{found:?}"
    );
    let report = run.json();
    assert_eq!(report["artifact"]["name"], "registry.example.invalid/app:1");
    // Trivy's FilePath property gives the target; a package without a file is grouped by
    // its ecosystem.
    let target_of = |id: &str| {
        report["vulnerabilities"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["id"] == id)
            .map(|v| v["target"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        target_of("CVE-2018-18074").as_deref(),
        Some("app/venv/lib/python3.11/site-packages"),
        "{report:#}"
    );
    assert_eq!(
        target_of("CVE-2018-3721").as_deref(),
        Some("npm packages"),
        "{report:#}"
    );
    // The skipped components are told, not hidden.
    assert!(
        run.stderr.contains("1 components without a purl")
            && run
                .stderr
                .contains("purl type no advisory feed covers: conan"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_broken_sbom_is_refused_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"{"bomFormat": "CycloneDX", "components": [{"purl": 7}]}"#,
            "components[0].purl",
        ),
        (
            r#"{"spdxVersion": "SPDX-2.3", "packages": [{"externalRefs": {}}]}"#,
            "packages[0].externalRefs",
        ),
        (
            r#"{"schema_version": 99, "packages": []}"#,
            "schema_version 99",
        ),
        ("{\"hello\": ", "not valid JSON"),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join("bad.json"), text).unwrap();
        let run = kabuto_at(
            dir.path(),
            &["scan", "sbom", "bad.json", "--scanners", "none"],
        );
        run.expect_code(1);
        assert!(
            run.stderr.contains("bad.json: ") && run.stderr.contains(expected),
            "{text}: {}",
            run.stderr
        );
    }
}

/// A database from the shared corpus's PyPI, npm and Debian advisories (as
/// `cli_fixture_images` builds it), once per test binary; `None` without the corpus.
fn corpus_db() -> Option<&'static Path> {
    static DB: OnceLock<Option<PathBuf>> = OnceLock::new();
    DB.get_or_init(|| {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/vulndata");
        if !corpus.join("pypa").is_dir() {
            eprintln!("SKIP: {} absent", corpus.display());
            return None;
        }
        let db = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sbom-scan-corpus.db");
        let mut build = vec!["db", "build", "--output", path_arg(&db)];
        let sources: Vec<PathBuf> = ["pypa", "nodejs-security-wg", "debian12-changelog-derived"]
            .iter()
            .map(|d| corpus.join(d))
            .collect();
        for source in &sources {
            build.extend(["--source", path_arg(source)]);
        }
        kabuto(&build).expect_code(0);
        Some(db)
    })
    .as_deref()
}

fn debian_app() -> Option<PathBuf> {
    let image = common::fixture_images()?.join("docker/debian-app.tar");
    if !image.exists() {
        eprintln!("SKIP: {} missing", image.display());
        return None;
    }
    Some(image)
}

fn scan_sbom(sbom: &Path, db: &Path) -> Run {
    kabuto(&[
        "scan",
        "sbom",
        path_arg(sbom),
        "--db",
        path_arg(db),
        "--scanners",
        "vuln",
        "--format",
        "json",
    ])
}

#[test]
fn our_own_sboms_give_the_findings_of_the_image_scan() {
    let (Some(image), Some(db)) = (debian_app(), corpus_db()) else {
        eprintln!("SKIP: needs the debian-app fixture image and the shared corpus");
        return;
    };
    let direct = vulnerabilities(&kabuto(&[
        "scan",
        "image",
        path_arg(&image),
        "--db",
        path_arg(db),
        "--scanners",
        "vuln",
        "--format",
        "json",
    ]));
    assert!(
        direct.len() > 20,
        "debian-app has findings: {}",
        direct.len()
    );
    let dir = tempfile::tempdir().unwrap();
    for format in ["cyclonedx", "spdx-json", "json"] {
        let sbom = dir.path().join(format!("debian-app.{format}"));
        kabuto(&[
            "sbom",
            path_arg(&image),
            "--format",
            format,
            "-o",
            path_arg(&sbom),
        ])
        .expect_code(0);
        let run = scan_sbom(&sbom, db);
        assert_eq!(run.stderr, "", "{format}: nothing skipped");
        assert_eq!(vulnerabilities(&run), direct, "{format}");
    }
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn peer_sbom(tool: &str, format: &str, image: &Path, out: &Path) {
    let mut command = Command::new(tool);
    match tool {
        "trivy-peer" => command.args([
            "image",
            "--quiet",
            "--cache-backend",
            "memory",
            "--format",
            format,
            "--output",
        ]),
        _ => command.env("SYFT_CHECK_FOR_APP_UPDATE", "false").args([
            "scan",
            "-q",
            "-o",
            &format!("{format}={}", out.display()),
        ]),
    };
    if tool == "trivy-peer" {
        command.arg(out).arg("--input").arg(image);
    } else {
        command.arg(format!("docker-archive:{}", image.display()));
    }
    let status = command.status().expect("peer runs");
    assert!(status.success(), "{command:?}");
}

/// Findings in Kabuto's image scan that a peer's SBOM cannot give, because the peer's
/// inventory lacks the package: (peer, package, why).
const PEER_INVENTORY_GAPS: &[(&str, &str, &str)] = &[];

#[test]
fn trivy_and_syft_sboms_give_the_same_vulnerable_packages() {
    let (Some(image), Some(db)) = (debian_app(), corpus_db()) else {
        eprintln!("SKIP: needs the debian-app fixture image and the shared corpus");
        return;
    };
    if !have("trivy-peer") || !have("syft-peer") {
        eprintln!("SKIP: trivy-peer/syft-peer not installed (../shared/peers/install-peers.sh)");
        return;
    }
    let direct = vulnerable(&vulnerabilities(&kabuto(&[
        "scan",
        "image",
        path_arg(&image),
        "--db",
        path_arg(db),
        "--scanners",
        "vuln",
        "--format",
        "json",
    ])));
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (tool, format) in [
        ("trivy-peer", "cyclonedx"),
        ("trivy-peer", "spdx-json"),
        ("syft-peer", "cyclonedx-json"),
        ("syft-peer", "spdx-json"),
    ] {
        let sbom = dir.path().join(format!("{tool}.{format}"));
        peer_sbom(tool, format, &image, &sbom);
        let found = vulnerable(&vulnerabilities(&scan_sbom(&sbom, db)));
        let missing: Vec<_> = direct
            .difference(&found)
            .filter(|(_, package, _, _)| {
                !PEER_INVENTORY_GAPS
                    .iter()
                    .any(|(peer, p, _)| tool.starts_with(peer) && p == package)
            })
            .collect();
        let extra: Vec<_> = found.difference(&direct).collect();
        eprintln!(
            "{tool} {format}: {} findings, {} in the image scan; missing {}, extra {}",
            found.len(),
            direct.len(),
            missing.len(),
            extra.len()
        );
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!(
                "{tool} {format}: missing {missing:?}; extra {extra:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
