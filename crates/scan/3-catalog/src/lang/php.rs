//! PHP Composer: declared packages in `composer.lock` and installed packages in
//! `vendor/composer/installed.json` (Composer 1: a list; Composer 2: `{packages: [...]}`).

use std::collections::HashSet;

use kabuto_types::{Ecosystem, Package};
use serde::Deserialize;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::json;
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(ComposerLockAnalyzer),
        Box::new(ComposerInstalledAnalyzer),
    ]
}

pub struct ComposerLockAnalyzer;
pub struct ComposerInstalledAnalyzer;

#[derive(Deserialize)]
struct ComposerPackage {
    name: String,
    #[serde(default)]
    version: Option<String>,
    /// A list of SPDX ids, or (in hand-written files) a single string.
    #[serde(default)]
    license: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ComposerLock {
    #[serde(default)]
    packages: Vec<ComposerPackage>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<ComposerPackage>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V1(Vec<ComposerPackage>),
    V2 {
        packages: Vec<ComposerPackage>,
        #[serde(default, rename = "dev-package-names")]
        dev_package_names: Vec<String>,
    },
}

fn to_package(p: ComposerPackage, dev: bool, path: &str, found_by: &str) -> Option<Package> {
    let version = p.version.filter(|v| !v.is_empty())?;
    let mut package = Package::new(Ecosystem::Composer, p.name, version, path, found_by);
    package.licenses = match p.license {
        Some(serde_json::Value::String(one)) => vec![one],
        Some(serde_json::Value::Array(list)) => list
            .into_iter()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    package.dev = dev;
    Some(package)
}

impl FileAnalyzer for ComposerLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "php-composer-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["composer.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let lock: ComposerLock = json(file.content)?;
        let prod = lock.packages.into_iter().map(|p| (p, false));
        let dev = lock.packages_dev.into_iter().map(|p| (p, true));
        let packages = prod
            .chain(dev)
            .filter_map(|(p, dev)| to_package(p, dev, file.path, self.name()))
            .collect();
        Ok(AnalysisOutput {
            packages,
            ..AnalysisOutput::default()
        })
    }
}

impl FileAnalyzer for ComposerInstalledAnalyzer {
    const SPEC: Spec = Spec {
        name: "php-composer-installed",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Named(&["composer/installed.json"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let installed: Installed = json(file.content)?;
        let (list, dev_names) = match installed {
            Installed::V1(list) => (list, Vec::new()),
            Installed::V2 {
                packages,
                dev_package_names,
            } => (packages, dev_package_names),
        };
        let dev_names: HashSet<String> = dev_names.into_iter().collect();
        let packages = list
            .into_iter()
            .filter_map(|p| {
                let dev = dev_names.contains(&p.name);
                to_package(p, dev, file.path, self.name())
            })
            .collect();
        Ok(AnalysisOutput {
            packages,
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (String, String, bool, Vec<String>);

    fn run(a: &dyn Analyzer, path: &str, text: &str) -> Result<Vec<Row>, AnalyzeError> {
        let out = a.analyze(FileInput {
            path,
            content: text.as_bytes(),
        })?;
        Ok(out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version, p.dev, p.licenses))
            .collect())
    }

    #[test]
    fn composer_lock_prod_and_dev() {
        let text = r#"{"packages": [{"name": "guzzlehttp/guzzle", "version": "7.4.5", "license": ["MIT"]}],
            "packages-dev": [{"name": "phpunit/phpunit", "version": "9.5.0"}]}"#;
        let got = run(&ComposerLockAnalyzer, "composer.lock", text).unwrap();
        assert_eq!(
            got[0],
            (
                "guzzlehttp/guzzle".into(),
                "7.4.5".into(),
                false,
                vec!["MIT".into()]
            )
        );
        assert!(got[1].2);
        let out = ComposerLockAnalyzer
            .analyze(FileInput {
                path: "composer.lock",
                content: text.as_bytes(),
            })
            .unwrap();
        assert_eq!(
            out.packages[0].purl.to_string(),
            "pkg:composer/guzzlehttp/guzzle@7.4.5"
        );
    }

    #[test]
    fn installed_json_v1_and_v2() {
        let v1 = r#"[{"name": "a/b", "version": "1.0.0", "license": "BSD-3-Clause"}]"#;
        let got = run(
            &ComposerInstalledAnalyzer,
            "vendor/composer/installed.json",
            v1,
        )
        .unwrap();
        assert_eq!(got[0].3, ["BSD-3-Clause"]);
        let v2 = r#"{"packages": [{"name": "a/b", "version": "1.0.0"}, {"name": "c/d", "version": "2.0.0"}],
            "dev": true, "dev-package-names": ["c/d"]}"#;
        let got = run(
            &ComposerInstalledAnalyzer,
            "vendor/composer/installed.json",
            v2,
        )
        .unwrap();
        assert_eq!((got[0].2, got[1].2), (false, true));
    }

    #[test]
    fn broken_files_name_the_line() {
        let err = run(
            &ComposerLockAnalyzer,
            "composer.lock",
            "{\n\"packages\": [\n{\"name\": 1}]}",
        )
        .unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
            "{err:?}"
        );
        assert!(
            run(
                &ComposerInstalledAnalyzer,
                "vendor/composer/installed.json",
                "7"
            )
            .is_err()
        );
    }
}
