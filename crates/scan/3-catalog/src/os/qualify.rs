//! Package URLs for OS packages: the distribution namespace and the `arch`, `distro` and
//! `epoch` qualifiers, once the OS is known.
//!
//! We follow Trivy, whose purls vulnerability databases and SBOM consumers see most:
//! - namespace: the OS family (`debian`, `ubuntu`, `alpine`, `redhat`, `rocky`, `amazon`, ...),
//!   except SUSE (`suse` for SLES and SLE Micro, `opensuse` for Leap and Tumbleweed);
//! - `distro`: `<family>-<version>` (`debian-12.15`, `rocky-9.0`), but only the version for
//!   apk (`distro=3.10.0`);
//! - `epoch`: for deb and rpm, when non-zero, and then left out of the purl version
//!   (`pkg:rpm/rocky/openssl-libs@3.0.1-41.el9_0?arch=x86_64&distro=rocky-9.0&epoch=1`), as
//!   the purl spec's rpm type says. [`Package::version`] keeps the epoch.
//!
//! Syft differs (`distro=debian-12` from os-release, the deb epoch inside the version, an
//! `upstream` qualifier); matching both is impossible, so we match Trivy.

use kabuto_types::{Ecosystem, OsFamily, OsInfo, Package, Purl};

/// Sets namespace and qualifiers on the purl of every OS package (deb, apk, rpm) in
/// `packages`; other packages are left alone.
pub fn qualify_os_packages(os: &OsInfo, packages: &mut [Package]) {
    for package in packages.iter_mut().filter(|p| p.ecosystem.is_os()) {
        let (epoch, bare_version) = match package.ecosystem {
            Ecosystem::Deb | Ecosystem::Rpm => split_epoch(&package.version),
            _ => (None, package.version.as_str()),
        };
        let distro = match package.ecosystem {
            Ecosystem::Apk => os.version.clone(),
            _ => format!("{}-{}", os.family.as_str(), os.version),
        };
        let mut purl = Purl::for_package(package.ecosystem, &package.name, bare_version)
            .with_namespace(purl_namespace(os.family))
            .with_qualifier("distro", &distro);
        if let Some(arch) = &package.arch {
            purl = purl.with_qualifier("arch", arch);
        }
        if let Some(epoch) = epoch {
            purl = purl.with_qualifier("epoch", epoch);
        }
        for (key, value) in package.purl.qualifiers() {
            if !purl.qualifiers().contains_key(key) {
                purl = purl.with_qualifier(key, value);
            }
        }
        package.purl = purl;
    }
}

fn purl_namespace(family: OsFamily) -> &'static str {
    match family {
        OsFamily::Sles | OsFamily::SleMicro | OsFamily::Suse => "suse",
        OsFamily::OpensuseLeap | OsFamily::OpensuseTumbleweed | OsFamily::Opensuse => "opensuse",
        // Distroless images carry Debian packages.
        OsFamily::Distroless => "debian",
        other => other.as_str(),
    }
}

/// `"1:2.38-5"` -> `(Some("1"), "2.38-5")`; a zero or absent epoch is `None`.
fn split_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => (
            Some(epoch).filter(|e| !e.trim_start_matches('0').is_empty()),
            rest,
        ),
        _ => (None, version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(family: OsFamily, version: &str) -> OsInfo {
        OsInfo {
            family,
            version: version.into(),
            pretty_name: None,
            codename: None,
        }
    }

    fn qualified(
        os: &OsInfo,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        arch: &str,
    ) -> String {
        let mut p = vec![Package::new(ecosystem, name, version, "x", "test")];
        p[0].arch = Some(arch.into());
        qualify_os_packages(os, &mut p);
        p[0].purl.to_string()
    }

    #[test]
    fn purls_match_trivy() {
        assert_eq!(
            qualified(
                &os(OsFamily::Rocky, "9.0"),
                Ecosystem::Rpm,
                "openssl-libs",
                "1:3.0.1-41.el9_0",
                "x86_64"
            ),
            "pkg:rpm/rocky/openssl-libs@3.0.1-41.el9_0?arch=x86_64&distro=rocky-9.0&epoch=1"
        );
        assert_eq!(
            qualified(
                &os(OsFamily::Debian, "12.11"),
                Ecosystem::Deb,
                "bsdutils",
                "1:2.38.1-5+deb12u3",
                "amd64"
            ),
            "pkg:deb/debian/bsdutils@2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12.11&epoch=1"
        );
        assert_eq!(
            qualified(
                &os(OsFamily::Alpine, "3.10.0"),
                Ecosystem::Apk,
                "musl",
                "1.1.22-r2",
                "x86_64"
            ),
            "pkg:apk/alpine/musl@1.1.22-r2?arch=x86_64&distro=3.10.0"
        );
        assert_eq!(
            qualified(
                &os(OsFamily::OpensuseLeap, "15.1"),
                Ecosystem::Rpm,
                "libopenssl1_1",
                "1.1.0i-lp151.8.3.1",
                "x86_64"
            ),
            "pkg:rpm/opensuse/libopenssl1_1@1.1.0i-lp151.8.3.1?arch=x86_64&distro=opensuse-leap-15.1"
        );
        assert_eq!(
            qualified(
                &os(OsFamily::Amazon, "2 (Karoo)"),
                Ecosystem::Rpm,
                "curl",
                "7.61.1-9.amzn2.0.1",
                "x86_64"
            ),
            "pkg:rpm/amazon/curl@7.61.1-9.amzn2.0.1?arch=x86_64&distro=amazon-2%20%28Karoo%29"
        );
    }

    #[test]
    fn zero_epoch_and_other_ecosystems() {
        assert_eq!(split_epoch("0:1.0-1"), (None, "1.0-1"));
        assert_eq!(split_epoch("1.0:beta"), (None, "1.0:beta"));
        let mut p = vec![Package::new(
            Ecosystem::Npm,
            "left-pad",
            "1.0.0",
            "x",
            "npm",
        )];
        let before = p[0].purl.clone();
        qualify_os_packages(&os(OsFamily::Debian, "12"), &mut p);
        assert_eq!(p[0].purl, before);
    }
}
