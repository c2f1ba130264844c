//! Python project lockfiles: `poetry.lock`, `Pipfile.lock` and `uv.lock`.

use std::collections::{BTreeMap, HashSet};

use kabuto_types::{Ecosystem, Package};
use serde::Deserialize;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::{json, toml_error, utf8};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct PoetryLockAnalyzer;
pub struct PipenvLockAnalyzer;
pub struct UvLockAnalyzer;

fn output(packages: Vec<Package>) -> AnalysisOutput {
    AnalysisOutput {
        packages,
        ..AnalysisOutput::default()
    }
}

#[derive(Deserialize)]
struct PoetryLock {
    #[serde(default)]
    package: Vec<PoetryPackage>,
}

#[derive(Deserialize)]
struct PoetryPackage {
    name: String,
    version: String,
    /// Poetry 1.x: `main` or `dev`.
    #[serde(default)]
    category: Option<String>,
    /// Poetry 2.x: the dependency groups that pull the package in.
    #[serde(default)]
    groups: Option<Vec<String>>,
}

impl PoetryPackage {
    fn is_dev(&self) -> bool {
        match &self.groups {
            Some(groups) => !groups.is_empty() && !groups.iter().any(|g| g == "main"),
            None => self.category.as_deref() == Some("dev"),
        }
    }
}

impl FileAnalyzer for PoetryLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-poetry-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["poetry.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let lock: PoetryLock = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let packages = lock
            .package
            .into_iter()
            .map(|p| {
                let dev = p.is_dev();
                let mut package =
                    Package::new(Ecosystem::PyPi, p.name, p.version, file.path, self.name());
                package.dev = dev;
                package
            })
            .collect();
        Ok(output(packages))
    }
}

#[derive(Deserialize)]
struct PipenvLock {
    #[serde(default)]
    default: BTreeMap<String, PipenvEntry>,
    #[serde(default)]
    develop: BTreeMap<String, PipenvEntry>,
}

#[derive(Deserialize)]
struct PipenvEntry {
    /// `==1.2.3`; absent for VCS and path requirements, which pin no version.
    #[serde(default)]
    version: Option<String>,
}

impl FileAnalyzer for PipenvLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-pipenv-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["Pipfile.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let lock: PipenvLock = json(file.content)?;
        let sections = [(lock.default, false), (lock.develop, true)];
        let mut packages = Vec::new();
        for (section, dev) in sections {
            for (name, entry) in section {
                let Some(version) = entry.version else {
                    continue;
                };
                let version = version.trim_start_matches('=');
                let mut package =
                    Package::new(Ecosystem::PyPi, name, version, file.path, self.name());
                package.dev = dev;
                packages.push(package);
            }
        }
        Ok(output(packages))
    }
}

#[derive(Deserialize)]
struct UvLock {
    #[serde(default)]
    package: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    /// Absent for dynamic-version workspace members.
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    #[serde(default, rename = "optional-dependencies")]
    optional_dependencies: BTreeMap<String, Vec<UvDependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev_dependencies: BTreeMap<String, Vec<UvDependency>>,
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
}

impl UvPackage {
    /// The project itself: an editable or virtual install of the lockfile's directory.
    fn is_root(&self) -> bool {
        ["editable", "virtual"]
            .iter()
            .any(|k| self.source.get(*k).and_then(toml::Value::as_str) == Some("."))
    }
}

/// Names reachable from `start` along `dependencies` and `optional-dependencies`.
fn reachable<'a>(
    by_name: &BTreeMap<&'a str, &'a UvPackage>,
    start: impl IntoIterator<Item = &'a str>,
) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    let mut todo: Vec<&str> = start.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(p) = by_name.get(name) {
            let optional = p.optional_dependencies.values().flatten();
            todo.extend(
                p.dependencies
                    .iter()
                    .chain(optional)
                    .map(|d| d.name.as_str()),
            );
        }
    }
    seen
}

impl FileAnalyzer for UvLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "python-uv-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["uv.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let lock: UvLock = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        let by_name: BTreeMap<&str, &UvPackage> =
            lock.package.iter().map(|p| (p.name.as_str(), p)).collect();
        // Dev-only: reachable from a root's dev groups but not from what the root needs.
        let roots: Vec<&UvPackage> = lock.package.iter().filter(|p| p.is_root()).collect();
        let prod = reachable(&by_name, roots.iter().map(|r| r.name.as_str()));
        let dev_start = roots
            .iter()
            .flat_map(|r| r.dev_dependencies.values().flatten())
            .map(|d| d.name.as_str());
        let dev = reachable(&by_name, dev_start);
        let mut packages = Vec::new();
        let mut warnings = Vec::new();
        for p in &lock.package {
            let Some(version) = &p.version else {
                warnings.push(format!("package {} has no version", p.name));
                continue;
            };
            let mut package =
                Package::new(Ecosystem::PyPi, &p.name, version, file.path, self.name());
            package.dev = dev.contains(p.name.as_str()) && !prod.contains(p.name.as_str());
            packages.push(package);
        }
        Ok(AnalysisOutput {
            packages,
            warnings,
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        a: &dyn Analyzer,
        path: &str,
        text: &str,
    ) -> Result<Vec<(String, String, bool)>, AnalyzeError> {
        let out = a.analyze(FileInput {
            path,
            content: text.as_bytes(),
        })?;
        Ok(out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version, p.dev))
            .collect())
    }

    fn pkg(name: &str, version: &str, dev: bool) -> (String, String, bool) {
        (name.to_owned(), version.to_owned(), dev)
    }

    #[test]
    fn poetry_lock_with_categories() {
        let text = "[[package]]\nname = \"flask\"\nversion = \"2.0.0\"\ncategory = \"main\"\n\n\
                    [[package]]\nname = \"pytest\"\nversion = \"7.0.0\"\ncategory = \"dev\"\n\n\
                    [[package]]\nname = \"ruff\"\nversion = \"0.8.3\"\ngroups = [\"lint\"]\n\n\
                    [[package]]\nname = \"click\"\nversion = \"8.1.8\"\ngroups = [\"main\", \"lint\"]\n\n\
                    [metadata]\nlock-version = \"1.1\"\n";
        assert_eq!(
            run(&PoetryLockAnalyzer, "poetry.lock", text).unwrap(),
            [
                pkg("flask", "2.0.0", false),
                pkg("pytest", "7.0.0", true),
                pkg("ruff", "0.8.3", true),
                pkg("click", "8.1.8", false)
            ]
        );
    }

    #[test]
    fn broken_poetry_lock_names_the_line() {
        let err = run(
            &PoetryLockAnalyzer,
            "poetry.lock",
            "[[package]]\nname = \"x\"\nversion = \n",
        )
        .unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(3), .. }),
            "{err:?}"
        );
        let err = run(
            &PoetryLockAnalyzer,
            "poetry.lock",
            "[[package]]\nname = \"x\"\n",
        )
        .unwrap_err();
        assert!(matches!(err, AnalyzeError::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn pipfile_lock_default_and_develop() {
        let text = r#"{"_meta": {}, "default": {"requests": {"version": "==2.21.0"},
            "mylib": {"git": "https://example.invalid/x.git"}},
            "develop": {"pytest": {"version": "==7.0.0"}}}"#;
        assert_eq!(
            run(&PipenvLockAnalyzer, "Pipfile.lock", text).unwrap(),
            [
                pkg("requests", "2.21.0", false),
                pkg("pytest", "7.0.0", true)
            ]
        );
        let err = run(&PipenvLockAnalyzer, "Pipfile.lock", "{\n\"default\": [\n").unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(2), .. }),
            "{err:?}"
        );
    }

    #[test]
    fn uv_lock_marks_dev_only_packages() {
        let text = r#"version = 1
[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]
[package.dev-dependencies]
dev = [{ name = "pytest" }, { name = "httpx" }]

[[package]]
name = "httpx"
version = "0.28.1"
source = { registry = "https://registry.example.invalid/simple" }

[[package]]
name = "pytest"
version = "8.3.4"
source = { registry = "https://registry.example.invalid/simple" }
dependencies = [{ name = "iniconfig" }]

[[package]]
name = "iniconfig"
version = "2.0.0"
source = { registry = "https://registry.example.invalid/simple" }
"#;
        assert_eq!(
            run(&UvLockAnalyzer, "uv.lock", text).unwrap(),
            [
                pkg("app", "0.1.0", false),
                pkg("httpx", "0.28.1", false),
                pkg("pytest", "8.3.4", true),
                pkg("iniconfig", "2.0.0", true)
            ]
        );
    }
}
