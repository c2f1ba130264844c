//! Inventories shared by the tests and the `bench_match` example (which includes this file by
//! path): a dpkg status reader and the 10,000-package "realistic image" used to time matching.
#![allow(dead_code)] // each test binary uses a different part

use kabuto_types::{
    Artifact, ArtifactKind, Ecosystem, Inventory, OsFamily, OsInfo, Package, SourcePackage,
};

/// The changelog-derived Debian 12 corpus: its OSV records and a real dpkg status file.
pub const DEBIAN12_CORPUS: &str = "/work/shared/vulndata/debian12-changelog-derived";
/// The whole advisory corpus the benchmark database is built from.
pub const CORPUS: &str = "/work/shared/vulndata";

pub fn inventory(os: Option<OsInfo>, packages: Vec<Package>) -> Inventory {
    Inventory {
        artifact: Artifact {
            name: "test".into(),
            kind: ArtifactKind::Rootfs,
        },
        image: None,
        os,
        packages,
        warnings: Vec::new(),
    }
}

pub fn debian12() -> Option<OsInfo> {
    Some(OsInfo {
        family: OsFamily::Debian,
        version: "12.7".into(),
        pretty_name: None,
        codename: None,
    })
}

/// The installed packages of a dpkg status file, with their source package and version
/// (`Source: name (version)` when the source version differs from the binary's).
pub fn dpkg_status_packages(status: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    for stanza in status.split("\n\n") {
        let field = |k: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(k).map(str::trim).map(str::to_owned))
        };
        let (Some(name), Some(version)) = (field("Package:"), field("Version:")) else {
            continue;
        };
        if !field("Status:").is_some_and(|s| s.ends_with(" installed")) {
            continue;
        }
        let (src, src_version) = match field("Source:") {
            Some(s) => match s.split_once(' ') {
                Some((n, v)) => (n.to_owned(), v.trim_matches(['(', ')']).to_owned()),
                None => (s, version.clone()),
            },
            None => (name.clone(), version.clone()),
        };
        let mut p = Package::new(
            Ecosystem::Deb,
            &name,
            &version,
            "var/lib/dpkg/status",
            "dpkg",
        );
        p.source = Some(SourcePackage {
            name: src,
            version: src_version,
        });
        packages.push(p);
    }
    packages
}

/// How one ecosystem is represented in the realistic image.
struct Share {
    ecosystem: Ecosystem,
    /// Percent of the language packages.
    percent: usize,
    /// Copies of each distinct name@version at different paths (nested node_modules, the same
    /// module in several Go binaries, a wheel in two virtualenvs).
    copies: usize,
    /// Real packages at versions found in images, old and current; the rest of the
    /// ecosystem's share are names without advisories, as most packages of an image are.
    real: &'static [(&'static str, &'static str)],
}

const SHARES: [Share; 7] = [
    Share {
        ecosystem: Ecosystem::Npm,
        percent: 60,
        copies: 4,
        real: &[
            ("lodash", "4.17.4"),
            ("lodash", "4.17.21"),
            ("handlebars", "4.0.5"),
            ("marked", "0.3.5"),
            ("jquery", "2.2.4"),
            ("ws", "1.1.0"),
            ("qs", "6.0.2"),
            ("send", "0.10.0"),
            ("uglify-js", "2.4.23"),
            ("validator", "3.40.0"),
            ("sequelize", "3.30.0"),
            ("mysql", "2.0.0"),
            ("jsonwebtoken", "4.2.1"),
            ("socket.io", "0.9.6"),
            ("http-proxy", "0.10.0"),
            ("backbone", "0.9.10"),
            ("is-my-json-valid", "2.12.0"),
            ("sanitize-html", "1.4.2"),
            ("https-proxy-agent", "1.0.0"),
            ("express", "4.19.2"),
            ("react", "18.2.0"),
        ],
    },
    Share {
        ecosystem: Ecosystem::PyPi,
        percent: 13,
        copies: 2,
        real: &[
            ("Django", "2.2.0"),
            ("requests", "2.19.1"),
            ("urllib3", "1.24.1"),
            ("Jinja2", "2.10"),
            ("PyYAML", "5.3"),
            ("Pillow", "8.0.0"),
            ("Flask", "0.12"),
            ("cryptography", "3.2"),
            ("Werkzeug", "0.15.0"),
            ("numpy", "1.16.0"),
            ("lxml", "4.6.2"),
            ("paramiko", "2.4.1"),
            ("SQLAlchemy", "1.2.0"),
            ("Twisted", "19.2.0"),
            ("tornado", "6.0"),
            ("setuptools", "65.0.0"),
            ("requests", "2.32.3"),
        ],
    },
    Share {
        ecosystem: Ecosystem::Go,
        percent: 10,
        copies: 2,
        real: &[
            ("golang.org/x/net", "v0.7.0"),
            ("golang.org/x/crypto", "v0.0.0-20200622213623-75b288015ac9"),
            ("golang.org/x/text", "v0.3.5"),
            ("google.golang.org/grpc", "v1.50.0"),
            ("github.com/gin-gonic/gin", "v1.7.0"),
            ("gopkg.in/yaml.v2", "v2.2.2"),
            ("github.com/docker/docker", "v20.10.0+incompatible"),
            ("stdlib", "v1.20.0"),
            ("github.com/prometheus/client_golang", "v1.11.0"),
            ("github.com/opencontainers/runc", "v1.0.0"),
        ],
    },
    Share {
        ecosystem: Ecosystem::Maven,
        percent: 9,
        copies: 1,
        real: &[
            ("org.apache.logging.log4j:log4j-core", "2.14.1"),
            ("com.fasterxml.jackson.core:jackson-databind", "2.9.8"),
            ("org.springframework:spring-core", "5.3.0"),
        ],
    },
    Share {
        ecosystem: Ecosystem::Gem,
        percent: 4,
        copies: 1,
        real: &[
            ("rack", "2.0.1"),
            ("actionpack", "5.2.0"),
            ("activerecord", "5.2.0"),
            ("nokogiri", "1.10.0"),
            ("puma", "4.3.0"),
            ("rexml", "3.2.4"),
            ("loofah", "2.2.0"),
            ("sinatra", "2.0.0"),
            ("devise", "4.6.0"),
            ("rubyzip", "1.2.1"),
        ],
    },
    Share {
        ecosystem: Ecosystem::Composer,
        percent: 2,
        copies: 1,
        real: &[
            ("symfony/symfony", "4.4.0"),
            ("laravel/framework", "8.0.0"),
            ("guzzlehttp/guzzle", "6.5.0"),
            ("twig/twig", "2.0.0"),
            ("phpmailer/phpmailer", "6.0.0"),
            ("monolog/monolog", "1.0.0"),
        ],
    },
    Share {
        ecosystem: Ecosystem::Cargo,
        percent: 2,
        copies: 1,
        real: &[
            ("smallvec", "0.6.0"),
            ("hyper", "0.14.0"),
            ("tokio", "1.8.0"),
            ("time", "0.1.43"),
            ("regex", "1.5.4"),
            ("openssl", "0.10.40"),
            ("chrono", "0.4.19"),
            ("h2", "0.3.10"),
        ],
    },
];

/// A Debian 12 image of `total` packages: the given dpkg packages, then language packages in
/// the proportions of a typical application image (mostly npm, then PyPI, Go, Java...), each
/// distinct package present at one or more paths. Deterministic.
pub fn realistic_inventory(debs: Vec<Package>, total: usize) -> Inventory {
    let languages = total.saturating_sub(debs.len());
    let mut packages = debs;
    for share in &SHARES {
        let entries = languages * share.percent / 100;
        let distinct = entries / share.copies;
        let ty = share.ecosystem.purl_type();
        for n in 0..distinct {
            let (name, version) = match share.real.get(n) {
                Some(&(name, version)) => (name.to_owned(), version.to_owned()),
                None => synthetic(share.ecosystem, n),
            };
            for copy in 0..share.copies {
                let path = format!("app/{ty}/{copy}/{name}");
                packages.push(Package::new(
                    share.ecosystem,
                    &name,
                    &version,
                    path,
                    "bench",
                ));
            }
        }
    }
    // Rounding leftovers: more npm packages.
    let mut n = 0;
    while packages.len() < total {
        let (name, version) = synthetic(Ecosystem::Npm, 100_000 + n);
        packages.push(Package::new(
            Ecosystem::Npm,
            name,
            version,
            "app/npm/extra",
            "bench",
        ));
        n += 1;
    }
    inventory(debian12(), packages)
}

/// A well-formed name no advisory feed knows, with a plausible version.
fn synthetic(ecosystem: Ecosystem, n: usize) -> (String, String) {
    let version = format!("{}.{}.{}", 1 + n % 5, n % 17, n % 7);
    let name = match ecosystem {
        Ecosystem::Go => format!("github.com/example-org/module-{n}"),
        Ecosystem::Maven => format!("com.example.lib{}:artifact-{n}", n % 13),
        Ecosystem::Composer => format!("example-vendor/package-{n}"),
        _ => format!("kabuto-bench-dep-{n}"),
    };
    let version = if ecosystem == Ecosystem::Go {
        format!("v{version}")
    } else {
        version
    };
    (name, version)
}

/// The stress inventory: half real package names at versions old enough to be affected, half names not in the
/// database; Debian source packages mostly newer than every fix (compared, not reported).
pub fn stress_inventory(total: usize) -> Inventory {
    let known = [
        (Ecosystem::PyPi, "requests", "2.19.1"),
        (Ecosystem::PyPi, "urllib3", "1.22"),
        (Ecosystem::PyPi, "django", "1.11.0"),
        (Ecosystem::Npm, "lodash", "4.17.4"),
        (Ecosystem::Go, "golang.org/x/net", "v0.1.0"),
        (Ecosystem::Cargo, "smallvec", "0.6.0"),
        (Ecosystem::Gem, "rack", "1.3.7"),
        (Ecosystem::Composer, "symfony/symfony", "2.0.1"),
    ];
    let debian = [
        "openssl",
        "glibc",
        "curl",
        "expat",
        "python3.11",
        "openjdk-17",
        "postgresql-15",
    ];
    let mut packages = Vec::with_capacity(total);
    for i in 0..total {
        let p = match i % 4 {
            0 => {
                let (eco, name, version) = known[i / 4 % known.len()];
                Package::new(eco, name, version, "bench", "bench")
            }
            1 => {
                let source = debian[i / 4 % debian.len()];
                // One in 50 is outdated.
                let version = if i % 200 == 1 { "1.0-1" } else { "9999.0-1" };
                let mut p = Package::new(
                    Ecosystem::Deb,
                    format!("lib{source}-{i}"),
                    version,
                    "bench",
                    "bench",
                );
                p.source = Some(SourcePackage {
                    name: source.into(),
                    version: version.into(),
                });
                p
            }
            2 => Package::new(
                Ecosystem::Npm,
                format!("no-such-package-{i}"),
                "1.0.0",
                "bench",
                "bench",
            ),
            _ => Package::new(
                Ecosystem::PyPi,
                format!("no-such-dist-{i}"),
                "1.0",
                "bench",
                "bench",
            ),
        };
        packages.push(p);
    }
    inventory(debian12(), packages)
}
