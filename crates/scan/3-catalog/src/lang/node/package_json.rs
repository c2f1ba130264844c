//! Installed packages: every `package.json` that names a package and a version (under
//! `node_modules`, or an application's own manifest), as Trivy and Syft report them.

use serde_json::Value;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::json;
use crate::lang::node::{licenses_of, npm_package};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct PackageJsonAnalyzer;

impl FileAnalyzer for PackageJsonAnalyzer {
    const SPEC: Spec = Spec {
        name: "node-package-json",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Named(&["package.json"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let manifest: Value = json(file.content)?;
        let text = |key: &str| {
            manifest
                .get(key)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        // Test fixtures, build configs and workspace roots are `package.json` files too:
        // only a name and a version make one a package.
        let (Some(name), Some(version)) = (text("name"), text("version")) else {
            return Ok(AnalysisOutput::default());
        };
        let mut package = npm_package(name, version, file.path, self.name(), false);
        package.licenses = licenses_of(manifest.get("license"), manifest.get("licenses"));
        Ok(AnalysisOutput {
            packages: vec![package],
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyze(text: &str) -> Result<AnalysisOutput, AnalyzeError> {
        PackageJsonAnalyzer.analyze(FileInput {
            path: "app/node_modules/@scope/pkg/package.json",
            content: text.as_bytes(),
        })
    }

    #[test]
    fn reports_named_versioned_manifests_with_licences() {
        let out =
            analyze(r#"{"name": "@scope/pkg", "version": "1.2.3", "license": "MIT"}"#).unwrap();
        let p = &out.packages[0];
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@scope/pkg", "1.2.3")
        );
        assert_eq!(p.purl.to_string(), "pkg:npm/%40scope/pkg@1.2.3");
        assert_eq!(p.licenses, ["MIT"]);
        assert_eq!(
            p.locations[0].path,
            "app/node_modules/@scope/pkg/package.json"
        );
    }

    #[test]
    fn skips_manifests_that_are_not_packages() {
        assert!(analyze(r#"{"name": "x"}"#).unwrap().packages.is_empty());
        assert!(
            analyze(r#"{"version": "1.0.0"}"#)
                .unwrap()
                .packages
                .is_empty()
        );
        assert!(analyze(r#"[1, 2]"#).unwrap().packages.is_empty());
    }

    #[test]
    fn broken_json_names_the_line() {
        let err = analyze("{\n\"name\": \"x\",\n\"version\": }\n").unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
            "{err:?}"
        );
        assert!(analyze("").is_err());
    }
}
