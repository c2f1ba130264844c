//! Hand-built inventories shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use kabuto_report::{
    AckState, Acknowledgement, FailedControl, OffsetDateTime, PolicyOutcome, PolicySummary,
    RenderOptions, Report, Uuid, VexJustification,
};
use kabuto_types::{
    Artifact, ArtifactKind, Cvss, Digest, Ecosystem, Explanation, Finding, FixStatus, HistoryEntry,
    ImageMetadata, Inventory, LayerInfo, LineRange, Location, MalwareFinding, MalwareRuleId,
    MalwareSource, MisconfigCheckId, MisconfigFinding, OsFamily, OsInfo, Package, Purl,
    SecretFinding, SecretRuleId, Severity, SourcePackage, VulnId, Warning, WarningCode,
};

pub fn fixed_options() -> RenderOptions {
    RenderOptions::fixed(
        OffsetDateTime::from_unix_timestamp(1_735_787_045).expect("valid timestamp"),
        Uuid::from_u128(0x6b1f_5a9e_2c3d_4e5f_8a9b_0c1d_2e3f_4a5b),
    )
}

pub fn layer(n: u8) -> Digest {
    Digest::sha256_of(&[b'l', b'a', b'y', b'e', b'r', n])
}

fn at(path: &str, layer_index: u8) -> Location {
    Location {
        path: path.to_owned(),
        layer: Some(layer(layer_index)),
    }
}

fn deb(
    name: &str,
    version: &str,
    arch: &str,
    source: Option<(&str, &str)>,
    licenses: &[&str],
    layer_index: u8,
) -> Package {
    let mut p = Package::new(Ecosystem::Deb, name, version, "var/lib/dpkg/status", "dpkg");
    p.purl = Purl::for_package(Ecosystem::Deb, name, version)
        .with_namespace("debian")
        .with_qualifier("arch", arch)
        .with_qualifier("distro", "debian-12.15");
    p.arch = Some(arch.to_owned());
    p.source = source.map(|(name, version)| SourcePackage {
        name: name.to_owned(),
        version: version.to_owned(),
    });
    p.licenses = licenses.iter().map(|l| l.to_string()).collect();
    p.locations = vec![at("var/lib/dpkg/status", layer_index)];
    p
}

fn lang(
    ecosystem: Ecosystem,
    name: &str,
    version: &str,
    path: &str,
    found_by: &str,
    licenses: &[&str],
) -> Package {
    let mut p = Package::new(ecosystem, name, version, path, found_by);
    p.licenses = licenses.iter().map(|l| l.to_string()).collect();
    p.locations = vec![at(path, 2)];
    p
}

const SITE: &str = "app/venv/lib/python3.11/site-packages";

/// An image with three layers, Debian packages (with and without source packages, one with an
/// epoch and a source version without it), Python and npm packages (scoped, duplicated purl,
/// a dev dependency from a lockfile), a Maven jar, SPDX ids, an expression and free-text
/// licences, and a warning. Packages are deliberately out of order.
pub fn image_inventory() -> Inventory {
    let manifest = Digest::sha256_of(b"manifest");
    let mut typescript = lang(
        Ecosystem::Npm,
        "typescript",
        "5.4.5",
        "app/web/package-lock.json",
        "npm-lockfile",
        &["Apache-2.0"],
    );
    typescript.dev = true;
    Inventory {
        artifact: Artifact {
            name: "registry.example.invalid/acme/shop:1.4".into(),
            kind: ArtifactKind::ContainerImage,
        },
        image: Some(ImageMetadata {
            manifest_digest: Some(manifest.clone()),
            config_digest: Some(Digest::sha256_of(b"config")),
            repo_tags: vec!["registry.example.invalid/acme/shop:1.4".into()],
            repo_digests: vec![format!("registry.example.invalid/acme/shop@{manifest}")],
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
            created: "2025-01-01T00:00:00Z".parse().ok(),
            user: Some("app".into()),
            cmd: vec!["python".into(), "-m".into(), "shop".into()],
            labels: [(
                "org.opencontainers.image.title".to_owned(),
                "shop".to_owned(),
            )]
            .into(),
            history: vec![HistoryEntry {
                created: "2025-01-01T00:00:00Z".parse().ok(),
                created_by: Some("COPY app /app".into()),
                comment: None,
                empty_layer: false,
            }],
            layers: (0..3)
                .map(|n| LayerInfo {
                    diff_id: layer(n),
                    digest: None,
                    size: Some(1000 * (u64::from(n) + 1)),
                    media_type: None,
                    created_by: None,
                })
                .collect(),
            ..ImageMetadata::default()
        }),
        os: Some(OsInfo {
            family: OsFamily::Debian,
            version: "12.15".into(),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            codename: Some("bookworm".into()),
        }),
        packages: vec![
            lang(
                Ecosystem::Maven,
                "org.apache.commons:commons-lang3",
                "3.12.0",
                "app/lib/commons-lang3-3.12.0.jar",
                "java-archive",
                &["Apache License, Version 2.0"],
            ),
            lang(
                Ecosystem::PyPi,
                "requests",
                "2.19.1",
                &format!("{SITE}/requests-2.19.1.dist-info/METADATA"),
                "python-dist-info",
                &["Apache-2.0"],
            ),
            lang(
                Ecosystem::PyPi,
                "chardet",
                "3.0.4",
                &format!("{SITE}/chardet-3.0.4.dist-info/METADATA"),
                "python-dist-info",
                &["LGPL"],
            ),
            lang(
                Ecosystem::PyPi,
                "cryptography",
                "42.0.5",
                &format!("{SITE}/cryptography-42.0.5.dist-info/METADATA"),
                "python-dist-info",
                &["Apache-2.0 OR BSD-3-Clause"],
            ),
            lang(
                Ecosystem::Npm,
                "@babel/core",
                "7.24.0",
                "app/web/node_modules/@babel/core/package.json",
                "npm-package-json",
                &["MIT"],
            ),
            lang(
                Ecosystem::Npm,
                "lodash",
                "4.17.4",
                "app/web/node_modules/lodash/package.json",
                "npm-package-json",
                &["MIT"],
            ),
            lang(
                Ecosystem::Npm,
                "lodash",
                "4.17.4",
                "app/admin/node_modules/lodash/package.json",
                "npm-package-json",
                &["MIT"],
            ),
            lang(
                Ecosystem::Npm,
                "shop-web",
                "1.0.0",
                "app/web/package.json",
                "npm-package-json",
                &[],
            ),
            typescript,
            deb(
                "tzdata",
                "2025b-0+deb12u1",
                "all",
                None,
                &["public-domain"],
                1,
            ),
            deb(
                "bsdutils",
                "1:2.38.1-5+deb12u3",
                "amd64",
                Some(("util-linux", "2.38.1-5+deb12u3")),
                &["BSD-3-Clause", "GPL-2.0-or-later", "public-domain"],
                0,
            ),
            deb(
                "libc6",
                "2.36-9+deb12u10",
                "amd64",
                Some(("glibc", "2.36-9+deb12u10")),
                &["GPL-2.0-only", "LGPL-2.1-or-later"],
                0,
            ),
            deb(
                "libssl3",
                "3.0.15-1~deb12u1",
                "amd64",
                Some(("openssl", "3.0.15-1~deb12u1")),
                &["Apache-2.0"],
                0,
            ),
        ],
        warnings: vec![Warning {
            code: WarningCode::FileUnparsable,
            location: format!(
                "layer {} file {SITE}/broken-1.0.dist-info/METADATA",
                layer(2)
            ),
            message: "no Version field".into(),
        }],
    }
}

/// A project directory in which nothing was found.
pub fn empty_inventory() -> Inventory {
    Inventory {
        artifact: Artifact {
            name: "./empty-project".into(),
            kind: ArtifactKind::Filesystem,
        },
        image: None,
        os: None,
        packages: vec![],
        warnings: vec![],
    }
}

/// Strings a hostile or sloppy image can put in package metadata: escape sequences, newlines,
/// empty versions, non-ASCII, and licence text that sanitises to nothing.
pub fn odd_inventory() -> Inventory {
    let mut weird = Package::new(
        Ecosystem::PyPi,
        "evil\u{1b}[2J name",
        "",
        "site-packages/evil.dist-info/METADATA",
        "python-dist-info",
    );
    weird.licenses = vec!["©©©".into(), "Lizenz: frei\nfür alle".into(), " ".into()];
    let mut same_purl = weird.clone();
    same_purl.locations[0].path = "other/site-packages/evil.dist-info/METADATA".into();
    let mut scoped = Package::new(
        Ecosystem::Npm,
        "@scope/ünï",
        "1.0.0-beta+exp.sha.5114f85",
        "node_modules/@scope/ünï/package.json",
        "npm-package-json",
    );
    scoped.licenses = vec!["(MIT OR Apache-2.0) AND BSD-2-Clause".into(), "MIT".into()];
    Inventory {
        artifact: Artifact {
            name: "/".into(),
            kind: ArtifactKind::Rootfs,
        },
        image: None,
        os: None,
        packages: vec![weird, same_purl, scoped],
        warnings: vec![Warning {
            code: WarningCode::EntrySkipped,
            location: "etc/os-release".into(),
            message: "unknown ID `\u{7}beep`".into(),
        }],
    }
}

/// Everything found in [`image_inventory`], to attach to a [`Report`].
pub struct Findings {
    pub vulnerabilities: Vec<Finding>,
    pub secrets: Vec<SecretFinding>,
    pub misconfigs: Vec<MisconfigFinding>,
    pub policies: Vec<PolicySummary>,
    pub acknowledgements: Vec<Acknowledgement>,
}

impl Findings {
    pub fn report<'a>(&'a self, inventory: &'a Inventory) -> Report<'a> {
        Report::new(inventory)
            .with_vulnerabilities(&self.vulnerabilities)
            .with_secrets(&self.secrets)
            .with_misconfigs(&self.misconfigs)
            .with_policies(&self.policies)
            .with_acknowledgements(&self.acknowledgements)
            .list_packages(false)
    }
}

fn id(id: &str) -> VulnId {
    VulnId::new(id).expect("valid vulnerability id")
}

fn cvss(version: &str, vector: &str, score: f64, source: &str) -> Cvss {
    Cvss {
        version: version.into(),
        vector: vector.into(),
        score: Some(score),
        source: id(source),
    }
}

/// A finding as the matcher makes it, for the package of `inventory` named `name` at `path`.
fn vulnerability(package: &Package, vuln: &str, severity: Severity, status: FixStatus) -> Finding {
    Finding {
        id: id(vuln),
        aliases: vec![],
        related: vec![],
        package_name: package.name.clone(),
        package_purl: package.purl.clone(),
        ecosystem: package.ecosystem,
        installed_version: package
            .source
            .as_ref()
            .map_or(package.version.clone(), |s| s.version.clone()),
        fixed_versions: vec![],
        status,
        severity,
        severity_source: None,
        cvss: vec![].into(),
        title: None,
        description: None,
        references: vec![].into(),
        published: None,
        modified: None,
        locations: package.locations.clone(),
        explanations: vec![].into(),
        vendor_severity: Default::default(),
        epss: None,
        kev: None,
    }
}

fn explanation(advisory: &str, key: &str, range: &str, comparison: &str) -> Explanation {
    Explanation {
        advisory: id(advisory),
        ecosystem_key: key.into(),
        affected_range: range.into(),
        comparison: comparison.into(),
    }
}

/// Findings for [`image_inventory`]: a fixed HIGH with aliases and CVSS (requests), an
/// acknowledged MEDIUM in the same package, one CRITICAL in both lodash copies, an unfixed
/// LOW in OpenSSL covered by a VEX "not affected", a Debian "unimportant" (NONE) won't-fix in
/// glibc, two secrets, two misconfigurations and two policies (one failing, one audit).
pub fn image_findings(inventory: &Inventory) -> Findings {
    let package = |name: &str, path_part: &str| {
        inventory
            .packages
            .iter()
            .find(|p| p.name == name && p.locations.iter().any(|l| l.path.contains(path_part)))
            .unwrap_or_else(|| panic!("fixture has {name} at {path_part}"))
    };
    let requests = package("requests", "site-packages");

    let mut credentials =
        vulnerability(requests, "CVE-2018-18074", Severity::High, FixStatus::Fixed);
    credentials.aliases = vec![id("GHSA-x84v-xcm2-53pg"), id("PYSEC-2018-28")];
    credentials.fixed_versions = vec!["2.20.0".into()];
    credentials.cvss = vec![
        cvss(
            "3.1",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            7.5,
            "GHSA-x84v-xcm2-53pg",
        ),
        cvss("2.0", "AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0, "PYSEC-2018-28"),
    ]
    .into();
    credentials.severity_source = Some("CVSS:3.1 base score 7.5 (GHSA-x84v-xcm2-53pg)".into());
    credentials.title = Some("Insufficiently Protected Credentials in Requests".into());
    credentials.description = Some(
        "The Requests package before 2.20.0 for Python sends an HTTP Authorization header to \
         an http URI upon receiving a same-hostname https-to-http redirect."
            .into(),
    );
    credentials.references = vec![
        "https://nvd.nist.gov/vuln/detail/CVE-2018-18074".into(),
        "https://github.com/psf/requests/pull/4718".into(),
    ]
    .into();
    credentials.published = "2018-10-29T19:35:52Z".parse().ok();
    credentials.modified = "2024-11-18T17:01:34Z".parse().ok();
    credentials.explanations = vec![
        explanation(
            "GHSA-x84v-xcm2-53pg",
            "PyPI",
            ">= 0, < 2.20.0",
            "2.19.1 < 2.20.0 (fixed)",
        ),
        explanation(
            "PYSEC-2018-28",
            "PyPI",
            ">= 0, < 2.20.0",
            "2.19.1 < 2.20.0 (fixed)",
        ),
    ]
    .into();

    let mut proxy = vulnerability(
        requests,
        "CVE-2023-32681",
        Severity::Medium,
        FixStatus::Fixed,
    );
    proxy.aliases = vec![id("GHSA-j8r2-6x86-q33q")];
    proxy.fixed_versions = vec!["2.31.0".into()];
    proxy.cvss = vec![cvss(
        "3.1",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
        6.1,
        "GHSA-j8r2-6x86-q33q",
    )]
    .into();
    proxy.title = Some("Unintended leak of Proxy-Authorization header in requests".into());
    proxy.explanations = vec![explanation(
        "GHSA-j8r2-6x86-q33q",
        "PyPI",
        ">= 2.3.0, < 2.31.0",
        "2.19.1 >= 2.3.0 and 2.19.1 < 2.31.0 (fixed)",
    )]
    .into();

    let lodash = |path_part: &str| {
        let mut f = vulnerability(
            package("lodash", path_part),
            "CVE-2019-10744",
            Severity::Critical,
            FixStatus::Fixed,
        );
        f.aliases = vec![id("GHSA-jf85-cpcp-j695")];
        f.fixed_versions = vec!["4.17.12".into()];
        f.cvss = vec![cvss(
            "3.1",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H",
            9.1,
            "GHSA-jf85-cpcp-j695",
        )]
        .into();
        f.title = Some("Prototype Pollution in lodash".into());
        f.explanations = vec![explanation(
            "GHSA-jf85-cpcp-j695",
            "npm",
            ">= 0, < 4.17.12",
            "4.17.4 < 4.17.12 (fixed)",
        )]
        .into();
        f
    };

    let mut timing = vulnerability(
        package("libssl3", "dpkg"),
        "CVE-2024-13176",
        Severity::Low,
        FixStatus::NoFix,
    );
    timing.title = Some("openssl: Timing side-channel in ECDSA signature computation".into());
    timing.explanations = vec![explanation(
        "DEBIAN-CVE-2024-13176",
        "Debian:12",
        "every version (no fix yet)",
        "3.0.15-1~deb12u1: every version is affected",
    )]
    .into();

    let mut glibc = vulnerability(
        package("libc6", "dpkg"),
        "CVE-2010-4756",
        Severity::None,
        FixStatus::WontFix,
    );
    glibc.title =
        Some("glibc: glob implementation can cause excessive CPU and memory consumption".into());
    glibc.severity_source = Some("Debian urgency unimportant".into());
    glibc.explanations = vec![explanation(
        "DEBIAN-CVE-2010-4756",
        "Debian:12",
        "every version (unimportant)",
        "2.36-9+deb12u10: every version is affected",
    )]
    .into();

    let secrets = vec![
        SecretFinding {
            rule_id: SecretRuleId::new("aws-access-key-id").expect("rule id"),
            category: "AWS".into(),
            severity: Severity::Critical,
            title: "AWS Access Key ID".into(),
            path: "app/config/settings.py".into(),
            line: 12,
            column: 15,
            redacted_match: "AKIA****************".into(),
            redacted_line: "AWS_KEY = \"AKIA****************\"".into(),
            layer_diff_id: Some(layer(2)),
        },
        SecretFinding {
            rule_id: SecretRuleId::new("github-pat").expect("rule id"),
            category: "GitHub".into(),
            severity: Severity::High,
            title: "GitHub Personal Access Token".into(),
            path: "config:Env".into(),
            line: 3,
            column: 14,
            redacted_match: "ghp_************************************".into(),
            redacted_line: "GITHUB_TOKEN=ghp_************************************".into(),
            layer_diff_id: None,
        },
    ];

    let misconfigs = vec![
        MisconfigFinding {
            check_id: MisconfigCheckId::new("KBI003").expect("check id"),
            title: "No HEALTHCHECK defined".into(),
            severity: Severity::Low,
            description: "Without a health check the runtime cannot tell a hung container \
                          from a working one."
                .into(),
            remediation: "Add a HEALTHCHECK instruction to the Dockerfile.".into(),
            references: vec!["CIS Docker 4.6".into()],
            path: "image config".into(),
            lines: None,
            resource: None,
            message: "The image config has no Healthcheck".into(),
            layer_diff_id: None,
        },
        MisconfigFinding {
            check_id: MisconfigCheckId::new("KBD005").expect("check id"),
            title: "apt-get install without --no-install-recommends".into(),
            severity: Severity::Medium,
            description: "Recommended packages add attack surface nobody asked for.".into(),
            remediation: "Use `apt-get install --no-install-recommends`.".into(),
            references: vec![],
            path: "app/Dockerfile".into(),
            lines: Some(LineRange { start: 4, end: 6 }),
            resource: Some("stage 1 (FROM debian:12)".into()),
            message: "RUN apt-get install -y curl installs recommended packages".into(),
            layer_diff_id: Some(layer(2)),
        },
    ];

    let policies = vec![
        PolicySummary {
            name: "default-assurance".into(),
            outcome: PolicyOutcome::Failed,
            failed: vec![
                FailedControl {
                    id: "max-severity".into(),
                    message: "2 vulnerabilities are above the HIGH limit".into(),
                    items: vec![
                        "CVE-2019-10744 in lodash 4.17.4 (app/admin)".into(),
                        "CVE-2019-10744 in lodash 4.17.4 (app/web)".into(),
                    ],
                },
                FailedControl {
                    id: "no-secrets".into(),
                    message: "2 secrets found".into(),
                    items: vec!["app/config/settings.py:12".into(), "config:Env:3".into()],
                },
            ],
            passed: vec!["no-root-user".into(), "max-image-age".into()],
        },
        PolicySummary {
            name: "licence-audit".into(),
            outcome: PolicyOutcome::Audit,
            failed: vec![FailedControl {
                id: "forbidden-licences".into(),
                message: "copyleft licence in an application dependency".into(),
                items: vec!["chardet 3.0.4 (LGPL)".into()],
            }],
            passed: vec![],
        },
    ];

    let acknowledgements = vec![
        Acknowledgement {
            vulnerability: id("GHSA-j8r2-6x86-q33q"),
            package_purl: None,
            state: AckState::Acknowledged,
            justification: None,
            reason: Some("no proxies in production; accepted by security until 2025-06-30".into()),
        },
        Acknowledgement {
            vulnerability: id("CVE-2024-13176"),
            package_purl: Some(
                "pkg:deb/debian/libssl3@3.0.15-1~deb12u1"
                    .parse()
                    .expect("purl"),
            ),
            state: AckState::NotAffected,
            justification: Some(VexJustification::CodeNotReachable),
            reason: Some("the service never signs with ECDSA".into()),
        },
    ];

    Findings {
        vulnerabilities: vec![
            glibc,
            lodash("app/web"),
            timing,
            credentials,
            lodash("app/admin"),
            proxy,
        ],
        secrets,
        misconfigs,
        policies,
        acknowledgements,
    }
}

/// Findings whose every string is hostile: markup, quotes, escape sequences, XML-invalid
/// control characters, for [`odd_inventory`].
pub fn hostile_findings(inventory: &Inventory) -> Findings {
    const EVIL: &str = "<script>alert(\"x&y\")</script>'\u{1b}[2J\u{0}]]>-->";
    let package = &inventory.packages[0];
    let mut finding = vulnerability(
        package,
        "CVE-2099-0001",
        Severity::Unknown,
        FixStatus::NoFix,
    );
    finding.title = Some(EVIL.into());
    finding.description = Some(EVIL.into());
    finding.references = vec![format!("https://example.invalid/{EVIL}")].into();
    // A bare date: no date-time for CycloneDX.
    finding.published = "2099-01-01".parse().ok();
    finding.explanations = vec![explanation("CVE-2099-0001", EVIL, EVIL, EVIL)].into();
    let secret = SecretFinding {
        rule_id: SecretRuleId::new("generic<rule>").expect("rule id"),
        category: EVIL.into(),
        severity: Severity::Medium,
        title: EVIL.into(),
        path: format!("dir with space/{EVIL}"),
        line: 1,
        column: 1,
        redacted_match: EVIL.into(),
        redacted_line: EVIL.into(),
        layer_diff_id: None,
    };
    let misconfig = MisconfigFinding {
        check_id: MisconfigCheckId::new("KBK999").expect("check id"),
        title: EVIL.into(),
        severity: Severity::High,
        description: EVIL.into(),
        remediation: EVIL.into(),
        references: vec![EVIL.into()],
        path: EVIL.into(),
        lines: Some(LineRange { start: 2, end: 2 }),
        resource: Some(EVIL.into()),
        message: EVIL.into(),
        layer_diff_id: None,
    };
    Findings {
        vulnerabilities: vec![finding],
        secrets: vec![secret],
        misconfigs: vec![misconfig],
        policies: vec![PolicySummary {
            name: EVIL.into(),
            outcome: PolicyOutcome::Failed,
            failed: vec![FailedControl {
                id: EVIL.into(),
                message: EVIL.into(),
                items: vec![EVIL.into()],
            }],
            passed: vec![EVIL.into()],
        }],
        acknowledgements: vec![Acknowledgement {
            vulnerability: id("CVE-2099-0001"),
            package_purl: None,
            state: AckState::FalsePositive,
            justification: None,
            reason: Some(EVIL.into()),
        }],
    }
}

/// What kabuto-match finds in `inventory` with a database built from kabuto-vulndb's
/// committed advisory fixtures (real PyPA, Node.js security WG, ... records).
pub fn matched_findings(inventory: &Inventory) -> Vec<Finding> {
    let feeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../scan/vulndb/tests/fixtures/feeds");
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_path = dir.path().join("fixtures.kdb");
    kabuto_vulndb::build::build(&[feeds], &db_path).expect("fixture database builds");
    let db = kabuto_vulndb::Database::open(&db_path).expect("fixture database opens");
    kabuto_match::match_inventory(&db, inventory)
}

/// Malware in [`image_inventory`]'s layers: the EICAR file added in layer 2 and copied again
/// in layer 3, and a reverse shell in layer 3 that a YARA rule and a user blocklist both flag.
pub fn malware_findings() -> Vec<MalwareFinding> {
    let finding =
        |rule: &str, source: MalwareSource, severity, path: &str, layer_index| MalwareFinding {
            rule: MalwareRuleId::new(rule).expect("rule id"),
            source,
            description: format!("{rule} sample"),
            severity,
            path: path.to_owned(),
            sha256: Digest::sha256_of(path.as_bytes()),
            layer_diff_id: Some(layer(layer_index)),
            matched_strings: 1,
        };
    let mut eicar = finding(
        "eicar-test-file",
        MalwareSource::Builtin,
        Severity::Low,
        "tmp/eicar.com",
        2,
    );
    eicar.description = "EICAR anti-malware test file".into();
    let mut eicar_copy = eicar.clone();
    eicar_copy.layer_diff_id = Some(layer(3));
    let mut blocklisted = finding(
        "acme-dropper",
        MalwareSource::Sha256Blocklist("/etc/kabuto/bad-hashes.txt".into()),
        Severity::High,
        "opt/agent/keepalive",
        3,
    );
    blocklisted.matched_strings = 0;
    vec![
        finding(
            "reverse-shell-bash",
            MalwareSource::Builtin,
            Severity::Critical,
            "opt/agent/keepalive",
            3,
        ),
        eicar,
        blocklisted,
        eicar_copy,
    ]
}
