//! `package-lock.json` (and `npm-shrinkwrap.json`): lockfile v1 (`dependencies` tree) and
//! v2/v3 (`packages` keyed by install path). Packages resolved from git, a tarball URL or a
//! directory are listed with their [`Origin`].

use serde_json::{Map, Value};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::node::{Dedup, Origin, licenses_of, resolved_package, split_at_version};
use crate::lang::{file_name, json};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct PackageLockAnalyzer;

/// An aliased dependency (`"string-width-cjs": "npm:string-width@4.2.3"`) is the real
/// package under another directory name.
fn resolve_alias<'a>(name: &'a str, version: &'a str) -> (&'a str, &'a str) {
    version
        .strip_prefix("npm:")
        .and_then(split_at_version)
        .unwrap_or((name, version))
}

fn flag(entry: &Value, key: &str) -> bool {
    entry.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// v1: a tree of `dependencies`, each possibly with its own nested `dependencies`. Git,
/// tarball and directory dependencies have their spec where the version would be.
fn walk_v1(deps: &Map<String, Value>, file: &FileInput<'_>, found_by: &str, out: &mut Dedup) {
    for (name, entry) in deps {
        let Some(version) = entry.get("version").and_then(Value::as_str) else {
            continue;
        };
        let (name, version) = resolve_alias(name, version);
        if let Some(origin) = Origin::of(version) {
            let version = (origin == Origin::Registry).then_some(version);
            let mut package = resolved_package(name, version, &origin, file.path, found_by);
            package.dev = flag(entry, "dev");
            out.add(package);
        }
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            walk_v1(nested, file, found_by, out);
        }
    }
}

/// v2/v3: `packages` keyed by path; `node_modules/a/node_modules/b` is `b`, other keys are
/// workspace members. Links point at a workspace member reported under its own key.
fn walk_packages(
    packages: &Map<String, Value>,
    file: &FileInput<'_>,
    found_by: &str,
    out: &mut Dedup,
) {
    for (path, entry) in packages {
        if path.is_empty() || flag(entry, "link") {
            continue;
        }
        let dir_name = match path.rfind("node_modules/") {
            Some(at) => &path[at + "node_modules/".len()..],
            None => file_name(path),
        };
        // An alias is installed under its alias directory; `name` holds the real one.
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(dir_name);
        let Some(version) = entry
            .get("version")
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let (name, version) = resolve_alias(name, version);
        let origin = entry
            .get("resolved")
            .and_then(Value::as_str)
            .and_then(Origin::of_resolved)
            .unwrap_or(Origin::Registry);
        let mut package = resolved_package(name, Some(version), &origin, file.path, found_by);
        package.dev = flag(entry, "dev") || flag(entry, "devOptional");
        package.licenses = licenses_of(entry.get("license"), entry.get("licenses"));
        out.add(package);
    }
}

impl FileAnalyzer for PackageLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "npm-package-lock",
        version: 1,
        evidence: Evidence::Declared,
        // npm also writes `node_modules/.package-lock.json`: a copy of what is installed,
        // already reported through the installed package.json files.
        wants: Wants::Named(&["package-lock.json", "npm-shrinkwrap.json"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let lock: Value = json(file.content)?;
        let Some(lock) = lock.as_object() else {
            return Err(AnalyzeError::malformed(
                "package-lock.json is not a JSON object",
            ));
        };
        let mut out = Dedup::default();
        if let Some(packages) = lock.get("packages").and_then(Value::as_object) {
            walk_packages(packages, &file, self.name(), &mut out);
        } else if let Some(deps) = lock.get("dependencies").and_then(Value::as_object) {
            walk_v1(deps, &file, self.name(), &mut out);
        }
        Ok(AnalysisOutput {
            packages: out.into_packages(),
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (String, String, bool, Vec<String>);

    fn run(text: &str) -> Result<Vec<Row>, AnalyzeError> {
        let out = PackageLockAnalyzer.analyze(FileInput {
            path: "package-lock.json",
            content: text.as_bytes(),
        })?;
        Ok(out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version, p.dev, p.licenses))
            .collect())
    }

    fn pkg(
        name: &str,
        version: &str,
        dev: bool,
        lic: &[&str],
    ) -> (String, String, bool, Vec<String>) {
        (
            name.into(),
            version.into(),
            dev,
            lic.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn v1_nested_dependencies_dev_and_aliases() {
        let text = r#"{"lockfileVersion": 1, "dependencies": {
            "debug": {"version": "2.6.9", "dependencies": {"ms": {"version": "2.0.0"}}},
            "jest": {"version": "26.0.0", "dev": true},
            "sw-cjs": {"version": "npm:string-width@4.2.3"},
            "local": {"version": "file:../local"}
        }}"#;
        assert_eq!(
            run(text).unwrap(),
            [
                pkg("debug", "2.6.9", false, &[]),
                pkg("jest", "26.0.0", true, &[]),
                pkg("local", "", false, &[]),
                pkg("ms", "2.0.0", false, &[]),
                pkg("string-width", "4.2.3", false, &[]),
            ]
        );
    }

    #[test]
    fn v3_paths_links_workspaces_and_dev_merge() {
        let text = r#"{"lockfileVersion": 3, "packages": {
            "": {"name": "root", "version": "1.0.0"},
            "node_modules/func1": {"resolved": "functions/func1", "link": true},
            "functions/func1": {"name": "func1", "version": "0.1.0", "license": "ISC"},
            "node_modules/debug": {"version": "2.6.9", "license": "MIT"},
            "node_modules/a/node_modules/@scope/b": {"version": "1.0.0", "dev": true},
            "node_modules/@scope/b": {"version": "1.0.0"},
            "node_modules/sw-cjs": {"name": "string-width", "version": "4.2.3"},
            "node_modules/legacy": {"version": "1.0.0", "licenses": [{"type": "BSD"}]}
        }}"#;
        assert_eq!(
            run(text).unwrap(),
            [
                pkg("@scope/b", "1.0.0", false, &[]),
                pkg("debug", "2.6.9", false, &["MIT"]),
                pkg("func1", "0.1.0", false, &["ISC"]),
                pkg("legacy", "1.0.0", false, &["BSD"]),
                pkg("string-width", "4.2.3", false, &[]),
            ]
        );
    }

    #[test]
    fn broken_and_wrong_shape_are_errors() {
        let err = run("{\n  \"packages\": {\n    \"x\": \n").unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(4), .. }),
            "{err:?}"
        );
        assert!(run("[]").is_err());
    }
}
