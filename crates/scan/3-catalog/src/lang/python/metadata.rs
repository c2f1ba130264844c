//! Core metadata of installed distributions: the RFC 822-style header block of
//! `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `EGG-INFO/PKG-INFO` and `*.egg-info` files.

use kabuto_types::{Ecosystem, Package};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::{ends_with_ignore_case, file_name, parent_name};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

/// Installed Python distributions, from their core metadata file.
pub struct PythonMetadataAnalyzer;

/// The header fields of a core metadata file, in file order. Repeated fields
/// (`Classifier`) appear once per occurrence.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub headers: Vec<(String, String)>,
}

impl CoreMetadata {
    /// The first value of `field` (case-insensitive, as in email headers).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v.as_str())
    }

    /// Declared licences, in the order Trivy picks them: `License-Expression` (PEP 639),
    /// then a one-line `License`, then the `License ::` trove classifiers.
    pub fn licenses(&self) -> Vec<String> {
        let non_empty = |v: &&str| !v.trim().is_empty();
        if let Some(expr) = self.get("License-Expression").filter(non_empty) {
            return vec![expr.trim().to_owned()];
        }
        // Many packages paste the whole licence text into `License`, and setuptools writes
        // `UNKNOWN` when none was given: neither names a licence.
        if let Some(license) = self
            .get("License")
            .filter(non_empty)
            .filter(|v| !v.trim().contains('\n') && !v.trim().eq_ignore_ascii_case("UNKNOWN"))
        {
            return vec![license.trim().to_owned()];
        }
        self.all("Classifier")
            .filter_map(|c| c.strip_prefix("License :: "))
            .filter_map(|c| c.rsplit(" :: ").next())
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    }
}

/// Parses the header block (everything before the first blank line; the body is the
/// long description). Continuation lines start with whitespace.
pub fn parse_core_metadata(text: &str) -> Result<CoreMetadata, AnalyzeError> {
    let mut meta = CoreMetadata::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, value)) = meta.headers.last_mut() else {
                return Err(AnalyzeError::at_line(
                    index + 1,
                    "continuation line before any header field",
                ));
            };
            value.push('\n');
            value.push_str(line.trim());
            continue;
        }
        let field = line
            .split_once(':')
            .filter(|(key, _)| !key.is_empty() && !key.contains(char::is_whitespace));
        match field {
            Some((key, value)) => meta.headers.push((key.to_owned(), value.trim().to_owned())),
            // Some generators start the description without the blank line: once headers
            // were read, a line that is not a field is the start of the body.
            None if !meta.headers.is_empty() => break,
            None => {
                return Err(AnalyzeError::at_line(
                    index + 1,
                    format!("expected `Field: value`, found {:?}", truncate(line)),
                ));
            }
        }
    }
    Ok(meta)
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` and a `*.egg-info` file.
fn is_metadata_file(path: &str, _meta: &FileMeta) -> bool {
    let name = file_name(path);
    let dir_ends =
        |suffix: &str| parent_name(path).is_some_and(|p| ends_with_ignore_case(p, suffix));
    (name == "METADATA" && dir_ends("dist-info"))
        || (name == "PKG-INFO" && dir_ends("egg-info"))
        || name.ends_with(".egg-info")
}

impl FileAnalyzer for PythonMetadataAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-metadata",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(is_metadata_file),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let package = core_metadata_package(file.content, file.path, self.name())?;
        Ok(AnalysisOutput {
            packages: vec![package],
            ..AnalysisOutput::default()
        })
    }
}

/// The distribution a core metadata file describes, reported at `location` (the metadata
/// file, or the `.egg` archive holding it).
pub(crate) fn core_metadata_package(
    content: &[u8],
    location: &str,
    found_by: &'static str,
) -> Result<Package, AnalyzeError> {
    // Descriptions are free text and some old PKG-INFO files are Latin-1: only the
    // headers matter, so decode lossily rather than reject the file.
    let text = String::from_utf8_lossy(crate::strip_bom(content));
    let meta = parse_core_metadata(&text)?;
    let name = meta.get("Name").filter(|n| !n.is_empty());
    let version = meta.get("Version").filter(|v| !v.is_empty());
    let (Some(name), Some(version)) = (name, version) else {
        return Err(AnalyzeError::malformed(
            "core metadata has no `Name` or no `Version` field",
        ));
    };
    let mut package = Package::new(Ecosystem::PyPi, name, version, location, found_by);
    package.licenses = meta.licenses();
    Ok(package)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(path: &str, text: &str) -> Result<AnalysisOutput, AnalyzeError> {
        PythonMetadataAnalyzer.analyze(FileInput {
            path,
            content: text.as_bytes(),
        })
    }

    #[test]
    fn wants_metadata_files_only() {
        let meta = FileMeta {
            size: 1,
            mode: 0o644,
        };
        let a = PythonMetadataAnalyzer;
        assert!(a.wants(
            "usr/lib/python3/site-packages/requests-2.19.1.dist-info/METADATA",
            &meta
        ));
        assert!(a.wants("site-packages/x.egg-info/PKG-INFO", &meta));
        assert!(a.wants("site-packages/egg/EGG-INFO/PKG-INFO", &meta));
        assert!(a.wants("site-packages/distlib-0.3.1-py3.9.egg-info", &meta));
        assert!(!a.wants("site-packages/x.dist-info/RECORD", &meta));
        assert!(!a.wants("METADATA", &meta));
    }

    #[test]
    fn reads_name_version_and_license_precedence() {
        let out = analyze(
            "a.dist-info/METADATA",
            "Metadata-Version: 2.4\nName: iniconfig\nVersion: 2.0.0\nLicense: MIT License\n\
             License-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nbody: x\n",
        )
        .unwrap();
        let p = &out.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("iniconfig", "2.0.0")
        );
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(p.purl.to_string(), "pkg:pypi/iniconfig@2.0.0");
        assert_eq!(p.locations[0].path, "a.dist-info/METADATA");
    }

    #[test]
    fn falls_back_to_classifiers_when_license_is_empty_or_full_text() {
        let out = analyze(
            "a.dist-info/METADATA",
            "Name: Zipp_Pkg\nVersion: 3.12.1\nLicense: \nClassifier: License :: OSI Approved :: MIT License\n\
             Classifier: Programming Language :: Python\n",
        )
        .unwrap();
        assert_eq!(out.packages[0].licenses, ["MIT License"]);
        assert_eq!(out.packages[0].purl.to_string(), "pkg:pypi/zipp-pkg@3.12.1");
        let out = analyze(
            "a.dist-info/METADATA",
            "Name: x\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby granted\n\
             Classifier: License :: OSI Approved :: BSD License\n",
        )
        .unwrap();
        assert_eq!(out.packages[0].licenses, ["BSD License"]);
    }

    #[test]
    fn missing_fields_and_garbage_are_errors_naming_the_line() {
        assert_eq!(
            analyze("x.egg-info", "{}\n"),
            Err(AnalyzeError::at_line(
                1,
                "expected `Field: value`, found \"{}\""
            ))
        );
        assert!(matches!(
            analyze("x.egg-info", "Name: x\n"),
            Err(AnalyzeError::Malformed { line: None, .. })
        ));
        assert!(analyze("x.egg-info", "").is_err());
        assert!(matches!(
            analyze("x.egg-info", " leading continuation\n"),
            Err(AnalyzeError::Malformed { line: Some(1), .. })
        ));
    }

    #[test]
    fn body_without_blank_line_ends_the_headers() {
        let out = analyze(
            "x.egg-info/PKG-INFO",
            "Name: setuptools\nVersion: 51.3.3\n.. image:: https://example.invalid/x.svg\nLicense: not-a-header\n",
        )
        .unwrap();
        assert_eq!(out.packages[0].version, "51.3.3");
        assert!(out.packages[0].licenses.is_empty());
    }

    #[test]
    fn latin1_description_does_not_stop_parsing() {
        let mut bytes = b"Name: Unidecode\nVersion: 0.4.1\n\nDescription \xe9\xff\n".to_vec();
        bytes.extend_from_slice(&[0xfe; 4]);
        let out = PythonMetadataAnalyzer
            .analyze(FileInput {
                path: "x.egg-info",
                content: &bytes,
            })
            .unwrap();
        assert_eq!(out.packages[0].version, "0.4.1");
    }
}
