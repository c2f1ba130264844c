//! One SBOM component -> one package: what every SBOM reader shares. The purl decides the
//! ecosystem and the name; the tool's own fields (Kabuto's, Trivy's and Syft's properties or
//! annotations) add the source package, the files and layers it was found in.

use std::collections::BTreeMap;

use kabuto_types::{Digest, Ecosystem, Location, OsFamily, OsInfo, Package, Purl, SourcePackage};

use super::Skipped;

/// What a reader found about one component besides its purl, normalised across tools.
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// The name as the SBOM writes it (kept for ecosystems whose purl name is normalised).
    pub name: String,
    pub version: Option<String>,
    pub licenses: Vec<String>,
    pub found_by: Option<String>,
    /// (index, path) and (index, layer) as Kabuto and Syft number them; Trivy's single
    /// `FilePath`/`LayerDiffID` is index 0.
    pub paths: BTreeMap<usize, String>,
    pub layers: BTreeMap<usize, String>,
    pub source_name: Option<String>,
    pub source_version: Option<String>,
    pub source_release: Option<String>,
    pub source_epoch: Option<String>,
    pub ecosystem: Option<String>,
    pub dev: bool,
}

impl Facts {
    /// Takes one `name`/`value` pair of a tool's namespace (CycloneDX properties; SPDX
    /// annotations written `Key: value`). Unknown names are ignored.
    pub fn property(&mut self, name: &str, value: &str) {
        let value = value.to_owned();
        match name {
            "kabuto:package:ecosystem" => self.ecosystem = Some(value),
            "kabuto:package:foundBy" | "syft:package:foundBy" => self.found_by = Some(value),
            "aquasecurity:trivy:PkgType" => {
                self.found_by.get_or_insert(value);
            }
            "kabuto:package:sourceName" | "aquasecurity:trivy:SrcName" => {
                self.source_name = Some(value);
            }
            "kabuto:package:sourceVersion" | "aquasecurity:trivy:SrcVersion" => {
                self.source_version = Some(value);
            }
            "aquasecurity:trivy:SrcRelease" => self.source_release = Some(value),
            "aquasecurity:trivy:SrcEpoch" => self.source_epoch = Some(value),
            "kabuto:package:dev" => self.dev = value == "true",
            "aquasecurity:trivy:FilePath" => {
                self.paths.insert(0, value);
            }
            "aquasecurity:trivy:LayerDiffID" => {
                self.layers.insert(0, value);
            }
            _ => self.indexed(name, value),
        }
    }

    /// `kabuto:location:N:path`, `kabuto:location:N:layerDiffId`, `syft:location:N:path`,
    /// `syft:location:N:layerID`.
    fn indexed(&mut self, name: &str, value: String) {
        let Some(rest) = name
            .strip_prefix("kabuto:location:")
            .or_else(|| name.strip_prefix("syft:location:"))
        else {
            return;
        };
        let Some((index, field)) = rest.split_once(':') else {
            return;
        };
        let Ok(index) = index.parse::<usize>() else {
            return;
        };
        match field {
            "path" => {
                self.paths.insert(index, value);
            }
            "layerDiffId" | "layerID" => {
                self.layers.insert(index, value);
            }
            _ => {}
        }
    }
}

/// The package a component describes, or `None` (counted in `skipped`) when it has no purl,
/// an invalid one, or a type no advisory feed covers.
pub(super) fn package(purl: Option<&str>, facts: Facts, skipped: &mut Skipped) -> Option<Package> {
    let Some(text) = purl.filter(|p| !p.is_empty()) else {
        skipped.without_purl += 1;
        return None;
    };
    let purl: Purl = match text.parse() {
        Ok(purl) => purl,
        Err(e) => {
            skipped.bad_purls.push(format!("`{text}`: {e}"));
            return None;
        }
    };
    let ecosystem = match facts
        .ecosystem
        .as_deref()
        .unwrap_or(purl.ty())
        .parse::<Ecosystem>()
    {
        Ok(ecosystem) => ecosystem,
        Err(_) => {
            skipped.unknown_types.insert(purl.ty().to_owned());
            return None;
        }
    };
    let name = package_name(ecosystem, &purl, &facts.name);
    let version = with_epoch(
        facts
            .version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| purl.version().map(str::to_owned))
            .unwrap_or_default(),
        purl.qualifiers().get("epoch").map(String::as_str),
    );
    let source = source_package(ecosystem, &purl, &facts, &version);
    Some(Package {
        name,
        version,
        ecosystem,
        source,
        arch: purl.qualifiers().get("arch").cloned(),
        licenses: facts.licenses,
        locations: locations(&facts.paths, &facts.layers),
        found_by: facts.found_by.unwrap_or_else(|| "sbom".to_owned()),
        dev: facts.dev,
        purl,
    })
}

/// Package names as Kabuto's analyzers write them: npm scopes, Go module paths and Composer
/// vendors joined with `/`, Maven `group:artifact`; PyPI and the rest keep the SBOM's name
/// (the purl's is normalised).
fn package_name(ecosystem: Ecosystem, purl: &Purl, given: &str) -> String {
    match (ecosystem, purl.namespace()) {
        (Ecosystem::Npm | Ecosystem::Go | Ecosystem::Composer, Some(ns)) => {
            format!("{ns}/{}", purl.name())
        }
        (Ecosystem::Maven, Some(group)) => format!("{group}:{}", purl.name()),
        (Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm, _) => purl.name().to_owned(),
        _ if !given.is_empty() => given.to_owned(),
        _ => purl.name().to_owned(),
    }
}

/// Trivy writes an OS package's epoch as a purl qualifier and leaves it out of the version.
fn with_epoch(version: String, epoch: Option<&str>) -> String {
    match epoch {
        Some(epoch) if epoch != "0" && !version.contains(':') && !version.is_empty() => {
            format!("{epoch}:{version}")
        }
        _ => version,
    }
}

/// The source package: Kabuto's and Trivy's fields, else Syft's `upstream` qualifier
/// (`glibc` or `glibc@2.36-9`) for deb and apk.
fn source_package(
    ecosystem: Ecosystem,
    purl: &Purl,
    facts: &Facts,
    version: &str,
) -> Option<SourcePackage> {
    if let Some(name) = &facts.source_name {
        let upstream = facts
            .source_version
            .clone()
            .unwrap_or_else(|| version.to_owned());
        let with_release = match &facts.source_release {
            Some(release) if !release.is_empty() => format!("{upstream}-{release}"),
            _ => upstream,
        };
        return Some(SourcePackage {
            name: name.clone(),
            version: with_epoch(with_release, facts.source_epoch.as_deref()),
        });
    }
    if !matches!(ecosystem, Ecosystem::Deb | Ecosystem::Apk) {
        return None;
    }
    let upstream = purl.qualifiers().get("upstream")?;
    let (name, source_version) = match upstream.split_once('@') {
        Some((name, v)) => (name, v),
        None => (upstream.as_str(), version),
    };
    Some(SourcePackage {
        name: name.to_owned(),
        version: source_version.to_owned(),
    })
}

/// Paths with the layer of the same index; a layer that is not a valid digest is dropped.
fn locations(paths: &BTreeMap<usize, String>, layers: &BTreeMap<usize, String>) -> Vec<Location> {
    paths
        .iter()
        .map(|(index, path)| Location {
            path: path.trim_start_matches('/').to_owned(),
            layer: layers.get(index).and_then(|l| l.parse::<Digest>().ok()),
        })
        .collect()
}

/// The operating system an SBOM names: family from its name (`debian`, `alpine`, Kabuto's
/// `redhat`, os-release ids such as `rhel`), version as written.
pub(super) fn os_info(name: &str, version: &str, pretty_name: Option<String>) -> Option<OsInfo> {
    let name = name.to_ascii_lowercase();
    let family = OsFamily::from_name(&name)
        .or_else(|| kabuto_catalog::os::release::family_from_id(&name))?;
    Some(OsInfo {
        family,
        version: version.to_owned(),
        pretty_name,
        codename: None,
    })
}

/// The OS from the `distro` qualifier of OS packages (`debian-12`, `alpine-3.18.4`), as
/// Syft writes it when its SBOM has no operating-system component.
pub(super) fn os_from_purls(packages: &[Package]) -> Option<OsInfo> {
    packages
        .iter()
        .filter(|p| p.ecosystem.is_os())
        .find_map(|p| {
            let distro = p.purl.qualifiers().get("distro")?;
            let (name, version) = distro.rsplit_once('-')?;
            os_info(name, version, None)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(purl: &str, props: &[(&str, &str)]) -> Option<Package> {
        let mut facts = Facts::default();
        for (name, value) in props {
            facts.property(name, value);
        }
        package(Some(purl), facts, &mut Skipped::default())
    }

    #[test]
    fn trivy_epochs_and_sources_become_kabuto_versions() {
        let p = read(
            "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&distro=debian-12.5&epoch=1",
            &[
                ("aquasecurity:trivy:SrcName", "zlib"),
                ("aquasecurity:trivy:SrcVersion", "1.2.13.dfsg"),
                ("aquasecurity:trivy:SrcRelease", "1"),
                ("aquasecurity:trivy:SrcEpoch", "1"),
            ],
        )
        .expect("package");
        assert_eq!(p.version, "1:1.2.13.dfsg-1");
        assert_eq!(p.arch.as_deref(), Some("amd64"));
        let source = p.source.expect("source");
        assert_eq!(
            (source.name.as_str(), source.version.as_str()),
            ("zlib", "1:1.2.13.dfsg-1")
        );
    }

    #[test]
    fn syft_upstream_and_locations() {
        let p = read(
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12",
            &[
                ("syft:package:foundBy", "dpkg-db-cataloger"),
                ("syft:location:0:path", "/var/lib/dpkg/status"),
                (
                    "syft:location:0:layerID",
                    "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                ),
            ],
        )
        .expect("package");
        assert_eq!(p.version, "2.36-9+deb12u4");
        assert_eq!(p.source.as_ref().map(|s| s.name.as_str()), Some("glibc"));
        assert_eq!(p.locations[0].path, "var/lib/dpkg/status");
        assert!(p.locations[0].layer.is_some());
        let os = os_from_purls(&[p]).expect("os");
        assert_eq!((os.family, os.version.as_str()), (OsFamily::Debian, "12"));
    }

    #[test]
    fn names_follow_kabuto_analyzers() {
        let npm = read("pkg:npm/%40babel/core@7.0.0", &[]).expect("npm");
        assert_eq!(npm.name, "@babel/core");
        let maven =
            read("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", &[]).expect("maven");
        assert_eq!(maven.name, "org.apache.logging.log4j:log4j-core");
        let mut skipped = Skipped::default();
        assert!(package(Some("pkg:conan/zlib@1.3"), Facts::default(), &mut skipped).is_none());
        assert!(package(None, Facts::default(), &mut skipped).is_none());
        assert!(package(Some("zlib"), Facts::default(), &mut skipped).is_none());
        assert_eq!(skipped.messages().len(), 3);
    }
}
