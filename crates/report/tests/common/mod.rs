//! Hand-built inventories shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use kabuto_report::{OffsetDateTime, RenderOptions, Uuid};
use kabuto_types::{
    Artifact, ArtifactKind, Digest, Ecosystem, HistoryEntry, ImageMetadata, Inventory, LayerInfo,
    Location, OsFamily, OsInfo, Package, Purl, SourcePackage, Warning,
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
            created: Some("2025-01-01T00:00:00Z".into()),
            user: Some("app".into()),
            cmd: vec!["python".into(), "-m".into(), "shop".into()],
            labels: [(
                "org.opencontainers.image.title".to_owned(),
                "shop".to_owned(),
            )]
            .into(),
            history: vec![HistoryEntry {
                created: Some("2025-01-01T00:00:00Z".into()),
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
            location: "etc/os-release".into(),
            message: "unknown ID `\u{7}beep`".into(),
        }],
    }
}
