//! The inventory of a layered image reflects the squashed filesystem: a package database
//! rewritten by a later layer replaces the earlier one, a deleted one is gone, and every
//! package names the layer its file came from. Images are built here, layer by layer.

#![allow(clippy::unwrap_used)] // test helpers build fixtures; a failure there is a test bug

mod common;

use common::{Item, image};
use kabuto_catalog::FileMeta;
use kabuto_inventory::{
    FileFinding, FileScanner, NoProgress, ScanOptions, scan_directory, scan_image, scan_image_with,
};
use kabuto_types::{ArtifactKind, Digest, Ecosystem};

const OS_RELEASE: &str = "ID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n";
const APK_TWO: &str =
    "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\no:busybox\n\n";
const APK_UPGRADED: &str =
    "P:musl\nV:1.2.4-r3\nA:x86_64\no:musl\n\nP:busybox\nV:1.36.1-r5\nA:x86_64\no:busybox\n\n";
const METADATA: &str =
    "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\nLicense: Apache 2.0\n";

#[test]
fn later_layers_replace_and_delete_package_databases() {
    let img = image(&[
        &[
            Item::File("etc/os-release", OS_RELEASE),
            Item::File("lib/apk/db/installed", APK_TWO),
            Item::File(
                "usr/lib/python3.11/site-packages/requests-2.19.1.dist-info/METADATA",
                METADATA,
            ),
        ],
        &[Item::File("lib/apk/db/installed", APK_UPGRADED)],
        &[Item::Whiteout(
            "usr/lib/python3.11/site-packages/requests-2.19.1.dist-info",
        )],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();

    let os = inventory.os.as_ref().expect("alpine detected");
    assert_eq!(os.version, "3.18.4");
    let found: Vec<_> = inventory
        .packages
        .iter()
        .map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Ecosystem::Apk, "busybox", "1.36.1-r5"),
            (Ecosystem::Apk, "musl", "1.2.4-r3")
        ]
    );
    let busybox = &inventory.packages[0];
    let musl = &inventory.packages[1];
    assert_eq!(
        busybox.locations[0].layer.as_ref(),
        Some(&img.metadata.layers[0].diff_id),
        "unchanged by the rewrite: credited to the layer that installed it"
    );
    assert_eq!(
        musl.locations[0].layer.as_ref(),
        Some(&img.metadata.layers[1].diff_id),
        "upgraded by the rewrite: credited to the rewriting layer"
    );
    assert!(
        musl.purl
            .to_string()
            .starts_with("pkg:apk/alpine/musl@1.2.4-r3"),
        "{}",
        musl.purl
    );
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[test]
fn corrupt_layer_is_an_error_naming_image_and_layer() {
    let mut img = image(&[&[Item::File("etc/os-release", OS_RELEASE)]]);
    let blob = &mut img.blobs[0];
    blob.truncate(blob.len() / 2);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let err = scan_image(&img, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("memory-image") && err.contains("layer 1"),
        "{err}"
    );
}

#[test]
fn unparseable_file_is_a_warning_and_the_rest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("lib/apk/db")).unwrap();
    std::fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    std::fs::write(root.join("lib/apk/db/installed"), APK_TWO).unwrap();
    let lock = root.join("app/package-lock.json");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "{ not json").unwrap();

    let rootfs = scan_directory(
        root,
        ArtifactKind::Rootfs,
        &ScanOptions::for_kind(ArtifactKind::Rootfs),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(rootfs.packages.len(), 2);
    assert!(
        rootfs.warnings.is_empty(),
        "lockfiles are not read in rootfs scans"
    );

    let project = scan_directory(
        root,
        ArtifactKind::Filesystem,
        &ScanOptions::for_kind(ArtifactKind::Filesystem),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(project.packages.len(), 2);
    assert_eq!(project.warnings.len(), 1, "{:?}", project.warnings);
    assert!(
        project.warnings[0]
            .location
            .contains("app/package-lock.json")
    );
}

const DEBIAN_RELEASE: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const DPKG_STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n\
Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n\n\
Package: adduser\nStatus: install ok installed\nVersion: 3.134\n";

#[test]
fn copyright_licences_attach_to_surviving_deb_packages() {
    let img = image(&[
        &[
            Item::File("etc/os-release", DEBIAN_RELEASE),
            Item::File("var/lib/dpkg/status", DPKG_STATUS),
            Item::File(
                "usr/share/doc/zlib1g/copyright",
                "Files: *\nLicense: Zlib\n\nFiles: debian/*\nLicense: Zlib, and GPL-2+\n",
            ),
            Item::File("usr/share/doc/tzdata/copyright", "License: public-domain\n"),
            Item::File(
                "usr/share/doc/adduser/copyright",
                "See /usr/share/common-licenses/GPL-2.\n",
            ),
        ],
        // Slimmed images delete documentation: the deleted file declares nothing.
        &[Item::Whiteout("usr/share/doc/tzdata/copyright")],
        // A later copy replaces the earlier one.
        &[Item::File(
            "usr/share/doc/adduser/copyright",
            "License: GPL-3\n",
        )],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    let licenses: Vec<_> = inventory
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.licenses.clone()))
        .collect();
    assert_eq!(
        licenses,
        [
            ("adduser", vec!["GPL-3.0-only".to_owned()]),
            ("tzdata", vec![]),
            (
                "zlib1g",
                vec!["Zlib".to_owned(), "GPL-2.0-or-later".to_owned()]
            ),
        ]
    );
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

/// Reports every file containing `TOKEN=` as a secret, the way a real secret scanner would
/// report a match, so the pipeline's handling of content findings can be checked alone.
struct TokenScanner;

impl FileScanner for TokenScanner {
    fn name(&self) -> &'static str {
        "token"
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        path.ends_with(".env")
    }
    fn scan(
        &self,
        path: &str,
        content: &[u8],
        layer: Option<&Digest>,
    ) -> Result<Vec<FileFinding>, String> {
        if !content.windows(6).any(|w| w == b"TOKEN=") {
            return Ok(Vec::new());
        }
        Ok(vec![FileFinding::Secret(kabuto_types::SecretFinding {
            rule_id: kabuto_types::SecretRuleId::new("test-token").unwrap(),
            category: "Test".into(),
            severity: kabuto_types::Severity::High,
            title: "test token".into(),
            path: path.into(),
            line: 1,
            column: 1,
            redacted_match: "TOKEN=****".into(),
            redacted_line: "TOKEN=****".into(),
            layer_diff_id: layer.cloned(),
        })])
    }
}

#[test]
fn deleted_secrets_are_still_reported_and_only_visible_permissions_count() {
    let img = image(&[
        &[
            Item::File("etc/os-release", OS_RELEASE),
            Item::File("root/app.env", "TOKEN=abc\n"),
            Item::Mode("usr/bin/su", 0o4755),
            Item::Mode("etc/writable", 0o666),
        ],
        &[
            Item::Whiteout("root/app.env"),
            Item::Whiteout("etc/writable"),
        ],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let out = scan_image_with(&img, &options, &[&TokenScanner], &NoProgress).unwrap();
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    let FileFinding::Secret(secret) = &out.findings[0] else {
        panic!("expected a secret: {:?}", out.findings[0]);
    };
    assert_eq!(secret.path, "root/app.env");
    assert_eq!(
        secret.layer_diff_id.as_ref(),
        Some(&img.metadata.layers[0].diff_id)
    );
    let special: Vec<_> = out
        .special_files
        .iter()
        .map(|f| (f.path.as_str(), f.mode))
        .collect();
    assert_eq!(special, [("usr/bin/su", 0o4755)]);
}

/// (name, version, path, layer diff ID) of every package, sorted.
fn packages_with_layers(
    inventory: &kabuto_types::Inventory,
) -> Vec<(String, String, String, Digest)> {
    let mut found: Vec<_> = inventory
        .packages
        .iter()
        .map(|p| {
            let location = &p.locations[0];
            (
                p.name.clone(),
                p.version.clone(),
                location.path.clone(),
                location.layer.clone().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn package_database_hard_linked_in_the_same_layer_is_analyzed() {
    // The first copy of the inode is written under another path; the database is the link.
    let img = image(&[&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::File("var/backups/apk-installed", APK_TWO),
        Item::Hardlink("lib/apk/db/installed", "var/backups/apk-installed"),
    ]]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    let base = img.metadata.layers[0].diff_id.clone();
    assert_eq!(
        packages_with_layers(&inventory),
        [
            (
                "busybox".into(),
                "1.36.1-r5".into(),
                "lib/apk/db/installed".into(),
                base.clone()
            ),
            (
                "musl".into(),
                "1.2.4-r2".into(),
                "lib/apk/db/installed".into(),
                base
            ),
        ]
    );
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[test]
fn hard_link_to_an_earlier_layer_reads_that_layers_file() {
    // Layer 1 links to layer 0's file, then layer 2 deletes the target: the link keeps the bytes.
    let img = image(&[
        &[
            Item::File("etc/os-release", OS_RELEASE),
            Item::File("opt/snapshot/installed", APK_UPGRADED),
        ],
        &[Item::Hardlink(
            "lib/apk/db/installed",
            "opt/snapshot/installed",
        )],
        &[Item::Whiteout("opt/snapshot/installed")],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    let second = img.metadata.layers[1].diff_id.clone();
    assert_eq!(
        packages_with_layers(&inventory),
        [
            (
                "busybox".into(),
                "1.36.1-r5".into(),
                "lib/apk/db/installed".into(),
                second.clone()
            ),
            (
                "musl".into(),
                "1.2.4-r3".into(),
                "lib/apk/db/installed".into(),
                second
            ),
        ]
    );
}

#[test]
fn dangling_and_deleted_hard_links_report_nothing() {
    let img = image(&[
        &[
            Item::File("etc/os-release", OS_RELEASE),
            Item::Hardlink("lib/apk/db/installed", "does/not/exist"),
        ],
        &[
            Item::File("var/backups/apk-installed", APK_TWO),
            Item::Hardlink("var/lib/dpkg/status", "var/backups/apk-installed"),
        ],
        &[Item::Whiteout("var/lib/dpkg/status")],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    assert!(inventory.packages.is_empty(), "{:?}", inventory.packages);
    assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    let warning = &inventory.warnings[0];
    assert!(
        warning.location.contains("layer 1") && warning.location.ends_with("lib/apk/db/installed"),
        "{warning:?}"
    );
    assert!(warning.message.contains("does/not/exist"), "{warning:?}");
}

/// (name, path, layer) of the dpkg packages zlib1g, tzdata, adduser at `path`.
fn dpkg_packages_at(path: &str, layer: &Digest) -> Vec<(String, String, String, Digest)> {
    let mut found: Vec<_> = [
        ("adduser", "3.134"),
        ("tzdata", "2024a-0+deb12u1"),
        ("zlib1g", "1:1.2.13.dfsg-1"),
    ]
    .into_iter()
    .map(|(name, version)| (name.into(), version.into(), path.into(), layer.clone()))
    .collect();
    found.sort();
    found
}

#[test]
fn packages_behind_a_symlinked_database_directory_are_found() {
    let cases: [&[&[Item<'_>]]; 4] = [
        // Relative link, as in issue 9.
        &[&[
            Item::File("etc/os-release", DEBIAN_RELEASE),
            Item::File("opt/dpkg/status", DPKG_STATUS),
            Item::Symlink("var/lib/dpkg", "../../opt/dpkg"),
        ]],
        // Absolute target: the image's own /opt.
        &[&[
            Item::File("etc/os-release", DEBIAN_RELEASE),
            Item::File("opt/dpkg/status", DPKG_STATUS),
            Item::Symlink("var/lib/dpkg", "/opt/dpkg"),
        ]],
        // A chain of links.
        &[&[
            Item::File("etc/os-release", DEBIAN_RELEASE),
            Item::File("opt/dpkg/status", DPKG_STATUS),
            Item::Symlink("var/lib/dpkg", "/srv/a"),
            Item::Symlink("srv/a", "b"),
            Item::Symlink("srv/b", "../opt/dpkg"),
        ]],
        // The link in an earlier layer, the database in a later one.
        &[
            &[
                Item::File("etc/os-release", DEBIAN_RELEASE),
                Item::Symlink("var/lib/dpkg", "../../opt/dpkg"),
            ],
            &[Item::File("opt/dpkg/status", DPKG_STATUS)],
        ],
    ];
    for (case, layers) in cases.iter().enumerate() {
        let img = image(layers);
        let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
        let inventory = scan_image(&img, &options, &NoProgress).unwrap();
        let database_layer = &img.metadata.layers[layers.len() - 1].diff_id;
        assert_eq!(
            packages_with_layers(&inventory),
            dpkg_packages_at("var/lib/dpkg/status", database_layer),
            "case {case}"
        );
        assert!(
            inventory.packages[0]
                .purl
                .to_string()
                .contains("distro=debian-12"),
            "{}",
            inventory.packages[0].purl
        );
        assert!(
            inventory.warnings.is_empty(),
            "case {case}: {:?}",
            inventory.warnings
        );
    }
}

#[test]
fn a_symlink_loop_in_an_image_is_a_warning_and_the_scan_goes_on() {
    let img = image(&[&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::File("lib/apk/db/installed", APK_TWO),
        Item::Symlink("var/lib/dpkg", "../../opt/dpkg"),
        Item::Symlink("opt/dpkg", "../var/lib/dpkg"),
    ]]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    assert_eq!(inventory.packages.len(), 2, "{:?}", inventory.packages);
    let mut warned: Vec<_> = inventory
        .warnings
        .iter()
        .map(|w| {
            (
                w.location.rsplit(' ').next().unwrap(),
                w.message.contains("loop"),
            )
        })
        .collect();
    warned.sort();
    assert_eq!(warned, [("opt/dpkg", true), ("var/lib/dpkg", true)]);
    assert!(inventory.warnings[0].location.starts_with("layer 1 ("));
}

#[test]
fn usual_aliases_add_nothing_and_a_deleted_link_hides_nothing() {
    // `etc/os-release -> ../usr/lib/os-release` is wanted under both names by the same
    // analyzer: read once. A later layer replaces the link with a directory of its own.
    let img = image(&[
        &[
            Item::File("usr/lib/os-release", DEBIAN_RELEASE),
            Item::Symlink("etc/os-release", "../usr/lib/os-release"),
            Item::File("opt/dpkg/status", DPKG_STATUS),
            Item::Symlink("var/lib/dpkg", "../../opt/dpkg"),
        ],
        &[Item::Whiteout("var/lib/dpkg")],
    ]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    assert!(inventory.packages.is_empty(), "{:?}", inventory.packages);
    assert_eq!(
        inventory.os.as_ref().map(|os| os.version.as_str()),
        Some("12")
    );
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

/// Cancels the scan as soon as the walk announces its work, before any layer is read.
struct CancelOnStart(kabuto_inventory::Cancel);

impl kabuto_inventory::Progress for CancelOnStart {
    fn start(&self, _total: u64) {
        self.0.cancel();
    }
    fn advance(&self, _done: u64) {}
}

#[test]
fn a_cancelled_scan_stops_with_cancelled() {
    let img = image(&[&[
        Item::File("etc/os-release", OS_RELEASE),
        Item::File("lib/apk/db/installed", APK_TWO),
    ]]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let progress = CancelOnStart(options.cancel.clone());
    let result = scan_image(&img, &options, &progress);
    assert!(
        matches!(result, Err(kabuto_inventory::InventoryError::Cancelled)),
        "{result:?}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("lib/apk/db")).unwrap();
    std::fs::write(dir.path().join("lib/apk/db/installed"), APK_TWO).unwrap();
    let options = ScanOptions::for_kind(ArtifactKind::Rootfs);
    options.cancel.cancel();
    let result = scan_directory(dir.path(), ArtifactKind::Rootfs, &options, &NoProgress);
    assert!(
        matches!(result, Err(kabuto_inventory::InventoryError::Cancelled)),
        "{result:?}"
    );
}
