//! Whole-tree OS detection without shared data: a distroless-shaped tree is Debian with the
//! most specific version, and its status.d packages get Debian purls.

mod os_support;

use std::path::Path;

use kabuto_types::OsFamily;

#[test]
fn distroless_tree_is_debian_with_status_d_packages() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/os/distroless");
    let (os, packages, warnings) = os_support::scan_tree(&root);
    assert!(warnings.is_empty(), "{warnings:?}");
    let os = os.expect("an OS");
    assert_eq!(os.family, OsFamily::Debian);
    assert_eq!(os.version, "12.5");
    assert_eq!(os.pretty_name.as_deref(), Some("Distroless"));
    let mut purls: Vec<String> = packages.iter().map(|p| p.purl.to_string()).collect();
    purls.sort();
    assert_eq!(
        purls,
        vec![
            "pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12.5",
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5",
        ]
    );
    let libssl = packages
        .iter()
        .find(|p| p.name == "libssl3")
        .expect("libssl3");
    let source = libssl.source.as_ref().expect("source");
    assert_eq!(
        (source.name.as_str(), source.version.as_str()),
        ("openssl", "3.0.11-1~deb12u2")
    );
}
