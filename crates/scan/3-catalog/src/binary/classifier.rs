//! Recognising well-known programs from their own bytes, for static binaries that no package
//! database describes (busybox copied into a distroless or synthetic image).
//!
//! Each [`Classifier`] names the files it looks at and a version banner pattern, as Syft's
//! binary classifiers do. The pipeline drops a classified binary when an OS package of the
//! same name is installed, because the package database already reports it (Syft does the
//! same through file ownership).

use std::sync::LazyLock;

use kabuto_types::{Ecosystem, Package};
use regex::bytes::Regex;

use super::executable::has_executable_magic;
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::file_name;
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

/// One program the classifier recognises.
struct Classifier {
    /// Package name reported (purl `pkg:generic/<name>`).
    name: &'static str,
    /// File names (last path component) that are worth reading.
    file_names: &'static [&'static str],
    /// The banner; its `version` group is the version.
    banner: &'static str,
}

const CLASSIFIERS: &[Classifier] = &[Classifier {
    name: "busybox",
    file_names: &["busybox"],
    banner: r"BusyBox v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)",
}];

static BANNERS: LazyLock<Vec<Option<Regex>>> = LazyLock::new(|| {
    CLASSIFIERS
        .iter()
        .map(|c| Regex::new(c.banner).ok())
        .collect()
});

/// Reports programs recognised by [`CLASSIFIERS`].
pub struct BinaryClassifierAnalyzer;

impl FileAnalyzer for BinaryClassifierAnalyzer {
    const SPEC: Spec = Spec {
        name: "binary-classifier",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, meta| {
            let name = file_name(path);
            meta.is_executable() && CLASSIFIERS.iter().any(|c| c.file_names.contains(&name))
        }),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let mut output = AnalysisOutput::default();
        if !has_executable_magic(file.content) {
            return Ok(output);
        }
        let name = file_name(file.path);
        for (classifier, banner) in CLASSIFIERS.iter().zip(BANNERS.iter()) {
            let Some(banner) = banner else { continue };
            if !classifier.file_names.contains(&name) {
                continue;
            }
            let version = banner
                .captures(file.content)
                .and_then(|c| c.name("version"))
                .and_then(|m| std::str::from_utf8(m.as_bytes()).ok());
            if let Some(version) = version {
                output.packages.push(Package::new(
                    Ecosystem::Binary,
                    classifier.name,
                    version,
                    file.path,
                    self.name(),
                ));
            }
        }
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileMeta;

    fn elf_with(text: &[u8]) -> Vec<u8> {
        let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
        bytes.extend_from_slice(&[0; 64]);
        bytes.extend_from_slice(text);
        bytes
    }

    #[test]
    fn every_banner_compiles() {
        assert!(BANNERS.iter().all(Option::is_some));
    }

    #[test]
    fn reads_the_busybox_banner() {
        let content = elf_with(b"\0BusyBox v1.35.0 (Debian 1:1.35.0-4+b3) multi-call binary.\0");
        let meta = FileMeta {
            size: content.len() as u64,
            mode: 0o755,
        };
        let analyzer = BinaryClassifierAnalyzer;
        assert!(analyzer.wants("bin/busybox", &meta));
        assert!(!analyzer.wants(
            "bin/busybox",
            &FileMeta {
                mode: 0o644,
                ..meta
            }
        ));
        assert!(!analyzer.wants("bin/sh", &meta));
        let out = analyzer
            .analyze(FileInput {
                path: "bin/busybox",
                content: &content,
            })
            .unwrap();
        assert_eq!(out.packages.len(), 1);
        assert_eq!(
            out.packages[0].purl.to_string(),
            "pkg:generic/busybox@1.35.0"
        );
    }

    #[test]
    fn ignores_scripts_and_binaries_without_a_banner() {
        let analyzer = BinaryClassifierAnalyzer;
        for content in [
            b"#!/bin/sh\necho BusyBox v1.2.3\n".to_vec(),
            elf_with(b"nothing"),
        ] {
            let out = analyzer
                .analyze(FileInput {
                    path: "bin/busybox",
                    content: &content,
                })
                .unwrap();
            assert!(out.packages.is_empty());
        }
    }
}
