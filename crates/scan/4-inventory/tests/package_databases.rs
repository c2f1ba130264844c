//! A package database over the per-file limit is not skipped: its first bytes are read, the
//! packages listed there are kept, and the inventory says the database is incomplete, so a
//! padded database cannot make an image look empty. The limit is set small here; the
//! command-line tests use the real one.

#![allow(clippy::unwrap_used)] // test helpers build fixtures; a failure there is a test bug

mod common;

use common::{Item, image};
use kabuto_inventory::{NoProgress, ScanOptions, scan_directory, scan_image};
use kabuto_types::{ArtifactKind, Inventory, WarningCode};

const LIMIT: u64 = 4096;
const DEBIAN_RELEASE: &str = "ID=debian\nVERSION_ID=\"12\"\n";
const STATUS: &str = "var/lib/dpkg/status";

/// A vulnerable stanza, then continuation lines past `LIMIT`, then a stanza the cut hides.
fn padded_status() -> String {
    let mut status =
        String::from("Package: openssl\nStatus: install ok installed\nVersion: 3.0.11-1\n");
    status.push_str("Description: padded\n");
    status.push_str(&" padding\n".repeat(LIMIT as usize / 9 + 1));
    status.push_str("\nPackage: hidden\nVersion: 1.0\n");
    status
}

fn options(kind: ArtifactKind) -> ScanOptions {
    ScanOptions {
        max_file_size: LIMIT,
        ..ScanOptions::for_kind(kind)
    }
}

fn names(inventory: &Inventory) -> Vec<&str> {
    inventory.packages.iter().map(|p| p.name.as_str()).collect()
}

/// The one warning, which says the database at `path` is incomplete and why.
#[track_caller]
fn assert_incomplete(inventory: &Inventory, path: &str) {
    let incomplete: Vec<_> = inventory.incomplete_databases().collect();
    assert_eq!(incomplete.len(), 1, "{:?}", inventory.warnings);
    assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    let warning = incomplete[0];
    assert!(warning.location.ends_with(path), "{warning:?}");
    assert!(
        warning.message.contains(&format!("first {LIMIT} bytes")),
        "{warning:?}"
    );
}

#[test]
fn oversized_dpkg_status_in_an_image_keeps_what_was_read() {
    let status = padded_status();
    let img = image(&[&[
        Item::File("etc/os-release", DEBIAN_RELEASE),
        Item::File(STATUS, &status),
    ]]);
    let inventory = scan_image(&img, &options(ArtifactKind::ContainerImage), &NoProgress).unwrap();
    assert_eq!(names(&inventory), ["openssl"]);
    assert_incomplete(&inventory, STATUS);
    assert!(inventory.warnings[0].location.contains("layer 1"));
}

#[test]
fn oversized_database_replaced_by_a_later_layer_is_not_incomplete() {
    let status = padded_status();
    let img = image(&[
        &[
            Item::File("etc/os-release", DEBIAN_RELEASE),
            Item::File(STATUS, &status),
        ],
        &[Item::File(STATUS, "Package: zlib1g\nVersion: 1:1.2.13-1\n")],
    ]);
    let inventory = scan_image(&img, &options(ArtifactKind::ContainerImage), &NoProgress).unwrap();
    assert_eq!(names(&inventory), ["zlib1g"]);
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[test]
fn oversized_apk_database_behind_a_hard_link_keeps_what_was_read() {
    let mut installed = String::from("P:musl\nV:1.2.4-r2\nA:x86_64\n");
    installed.push_str(&"F:x\n".repeat(LIMIT as usize / 4 + 1));
    installed.push_str("\nP:hidden\nV:1-r0\n");
    let img = image(&[&[
        Item::File("etc/os-release", "ID=alpine\nVERSION_ID=3.18.4\n"),
        Item::File("var/backups/apk-installed", &installed),
        Item::Hardlink("lib/apk/db/installed", "var/backups/apk-installed"),
    ]]);
    let inventory = scan_image(&img, &options(ArtifactKind::ContainerImage), &NoProgress).unwrap();
    assert_eq!(names(&inventory), ["musl"]);
    assert_incomplete(&inventory, "lib/apk/db/installed");
}

#[test]
fn oversized_dpkg_status_in_a_root_filesystem_keeps_what_was_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("etc/os-release"), DEBIAN_RELEASE).unwrap();
    std::fs::write(root.join(STATUS), padded_status()).unwrap();
    let inventory = scan_directory(
        root,
        ArtifactKind::Rootfs,
        &options(ArtifactKind::Rootfs),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(names(&inventory), ["openssl"]);
    assert_incomplete(&inventory, STATUS);
}

#[test]
fn other_oversized_files_are_still_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("app/package-lock.json");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, " ".repeat(LIMIT as usize + 1)).unwrap();
    let inventory = scan_directory(
        dir.path(),
        ArtifactKind::Filesystem,
        &options(ArtifactKind::Filesystem),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    assert_eq!(inventory.warnings[0].code, WarningCode::FileTooLarge);
    assert_eq!(inventory.incomplete_databases().count(), 0);
}

/// The package cap is hit structurally: one more package than the cap makes the database
/// incomplete, and exactly the cap are kept.
#[test]
fn a_database_over_the_package_cap_is_incomplete() {
    let cap = kabuto_catalog::MAX_PACKAGES_PER_DATABASE;
    let status: String = (0..=cap)
        .map(|i| format!("Package: p{i}\nVersion: 1.{i}\n\n"))
        .collect();
    let img = image(&[&[
        Item::File("etc/os-release", DEBIAN_RELEASE),
        Item::File(STATUS, &status),
    ]]);
    let options = ScanOptions::for_kind(ArtifactKind::ContainerImage);
    let inventory = scan_image(&img, &options, &NoProgress).unwrap();
    assert_eq!(inventory.packages.len(), cap);
    let incomplete: Vec<_> = inventory.incomplete_databases().collect();
    assert_eq!(incomplete.len(), 1, "{:?}", inventory.warnings);
    assert!(
        incomplete[0]
            .message
            .contains(&format!("more than {cap} packages")),
        "{:?}",
        incomplete[0]
    );
}
