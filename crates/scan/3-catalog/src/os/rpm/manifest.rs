//! CBL-Mariner / Azure Linux distroless images have no rpm database, only
//! `var/lib/rpmmanifest/container-manifest-2`: one line per package, the output of
//! `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t
//! %{EPOCH}\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}\n'`.
//!
//! The epoch column is kept in the version (`2:9.0-1.cm2`), as Syft does: rpm orders by
//! epoch first. Trivy drops it.

use kabuto_types::{Ecosystem, Package};

use super::{RpmHeader, source_package};
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

const MANIFEST: &str = "var/lib/rpmmanifest/container-manifest-2";

pub struct RpmManifestAnalyzer;

impl FileAnalyzer for RpmManifestAnalyzer {
    const SPEC: Spec = Spec {
        name: "rpm-manifest",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Paths(&[MANIFEST]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let (packages, warnings) = parse_manifest(file.content, file.path, self.name());
        Ok(AnalysisOutput {
            os: None,
            packages,
            warnings,
            ..AnalysisOutput::default()
        })
    }
}

/// Packages of a container manifest, with a warning per line that does not have the ten
/// tab-separated columns or a `version-release`.
pub fn parse_manifest(content: &[u8], path: &str, found_by: &str) -> (Vec<Package>, Vec<String>) {
    let text = String::from_utf8_lossy(content);
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let parsed = match columns.as_slice() {
            [
                name,
                version_release,
                _,
                _,
                vendor,
                epoch,
                _,
                arch,
                _,
                source_rpm,
            ] => version_release
                .rsplit_once('-')
                .map(|(version, release)| RpmHeader {
                    name: (*name).to_owned(),
                    epoch: epoch.parse().ok(),
                    version: version.to_owned(),
                    release: release.to_owned(),
                    arch: Some((*arch).to_owned()),
                    source_rpm: Some((*source_rpm).to_owned()),
                    license: None,
                    vendor: Some((*vendor).to_owned()),
                }),
            _ => None,
        };
        match parsed {
            Some(h) if !h.name.is_empty() && !h.version.is_empty() => {
                let mut package = Package::new(Ecosystem::Rpm, &h.name, h.evr(), path, found_by);
                package.arch = h.arch.clone().filter(|a| !a.is_empty());
                package.source = source_package(&h);
                packages.push(package);
            }
            _ => warnings.push(format!(
                "{path}: line {}: expected 10 tab-separated columns with a version-release",
                index + 1
            )),
        }
    }
    (packages, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_with_epoch_and_source() {
        let text = "vim\t9.0-1.cm2\t1\t2\tMicrosoft Corporation\t2\t45000\tx86_64\t2\tvim-9.0-1.cm2.src.rpm\n\
                    openssl-libs\t1.1.1k-15.cm2\t1\t2\tMicrosoft Corporation\t(none)\t4\tx86_64\t0\topenssl-1.1.1k-15.cm2.src.rpm\n\
                    broken line\n";
        let (packages, warnings) = parse_manifest(text.as_bytes(), MANIFEST, "rpm-manifest");
        let got: Vec<(&str, &str, &str, &str)> = packages
            .iter()
            .map(|p| {
                let s = p.source.as_ref().expect("source");
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    s.name.as_str(),
                    s.version.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("vim", "2:9.0-1.cm2", "vim", "2:9.0-1.cm2"),
                ("openssl-libs", "1.1.1k-15.cm2", "openssl", "1.1.1k-15.cm2"),
            ]
        );
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("line 3"));
    }
}
