//! `pnpm-lock.yaml`: lockfile v5 (`/name/1.0.0_peer@2`), v6 (`/name@1.0.0(peer@2)`) and
//! v9 (`name@1.0.0` in `packages`, peer variants in `snapshots`, dev-ness only through
//! `importers`).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::node::{Dedup, Origin, resolved_package, split_at_version};
use crate::lang::{refuse_deep_yaml, utf8, yaml_error};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct PnpmLockAnalyzer;

#[derive(Deserialize, Default)]
struct PnpmLock {
    #[serde(default, rename = "lockfileVersion")]
    lockfile_version: Option<Value>,
    #[serde(default)]
    packages: Mapping,
    #[serde(default)]
    snapshots: Mapping,
    #[serde(default)]
    importers: Mapping,
}

/// The lockfile's major version: 5 and earlier use `/name/version` keys.
fn major(version: Option<&Value>) -> u32 {
    let text = match version {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return 5,
    };
    text.split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(5)
}

/// Name and version from a package key, without peer suffixes.
fn parse_key(key: &str, major: u32) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if major >= 6 {
        let key = key.split('(').next()?;
        return split_at_version(key);
    }
    let key = key.split('_').next()?;
    let (name, version) = key.rsplit_once('/')?;
    Some((name, version))
}

/// The snapshot key an importer dependency refers to (`version` may be a link or URL).
fn importer_targets(importer: &Value, section: &str) -> Vec<String> {
    let Some(deps) = importer.get(section).and_then(Value::as_mapping) else {
        return Vec::new();
    };
    deps.iter()
        .filter_map(|(name, spec)| {
            let name = name.as_str()?;
            let version = spec
                .get("version")
                .and_then(Value::as_str)
                .or_else(|| spec.as_str())?;
            Some(format!("{name}@{version}"))
        })
        .collect()
}

/// v9: snapshot keys reachable from the importers' production dependencies.
fn production_v9(lock: &PnpmLock) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = lock
        .importers
        .values()
        .flat_map(|imp| {
            let mut t = importer_targets(imp, "dependencies");
            t.extend(importer_targets(imp, "optionalDependencies"));
            t
        })
        .collect();
    while let Some(key) = todo.pop() {
        if !seen.insert(key.clone()) {
            continue;
        }
        let Some(snapshot) = lock.snapshots.get(key.as_str()) else {
            continue;
        };
        for section in ["dependencies", "optionalDependencies"] {
            if let Some(deps) = snapshot.get(section).and_then(Value::as_mapping) {
                for (name, version) in deps {
                    if let (Some(n), Some(v)) = (name.as_str(), version.as_str()) {
                        todo.push(format!("{n}@{v}"));
                    }
                }
            }
        }
    }
    seen.into_iter()
        .map(|k| k.split('(').next().unwrap_or_default().to_owned())
        .collect()
}

fn analyze_lock(
    lock: &PnpmLock,
    file: &FileInput<'_>,
    found_by: &str,
    out: &mut Dedup,
) -> Vec<String> {
    let major = major(lock.lockfile_version.as_ref());
    let production = (major >= 9).then(|| production_v9(lock));
    let mut warnings = Vec::new();
    for (key, entry) in &lock.packages {
        let key = key.as_str().unwrap_or_default();
        // Tarball, git and directory packages are keyed by their source (`x@file:../x`,
        // `@github.com/u/r/tarball/1.0`); the entry names the version when it knows it.
        let from_key = parse_key(key, major);
        let name = entry.get("name").and_then(Value::as_str);
        let key_version = from_key
            .map(|(_, v)| v)
            .filter(|v| Origin::of(v) == Some(Origin::Registry));
        let version = entry.get("version").and_then(Value::as_str).or(key_version);
        let origin = origin_of(entry);
        let Some(name) = name.or(from_key.map(|(n, _)| n)) else {
            warnings.push(format!("package key {key:?} names no package"));
            continue;
        };
        if version.is_none() && origin == Origin::Registry {
            warnings.push(format!("package key {key:?} names no version"));
            continue;
        }
        let dev = match &production {
            Some(prod) => {
                !prod.contains(&format!("{name}@{}", version.unwrap_or_default()))
                    && !prod.contains(key)
            }
            None => entry.get("dev").and_then(Value::as_bool).unwrap_or(false),
        };
        let mut package = resolved_package(name, version, &origin, file.path, found_by);
        package.dev = dev;
        out.add(package);
    }
    warnings
}

/// Where a `packages` entry came from, by its `resolution`: `{repo, commit}` (git),
/// `{tarball}` (a URL, or `file:` for a tarball in the project) or `{directory}`.
fn origin_of(entry: &Value) -> Origin {
    let Some(resolution) = entry.get("resolution") else {
        return Origin::Registry;
    };
    let text = |key: &str| resolution.get(key).and_then(Value::as_str);
    if let Some(repo) = text("repo") {
        let repo = if repo.starts_with("git") {
            repo.to_owned()
        } else {
            format!("git+{repo}")
        };
        return Origin::Git(match text("commit") {
            Some(commit) => format!("{repo}#{commit}"),
            None => repo,
        });
    }
    if text("directory").is_some() {
        return Origin::Local;
    }
    text("tarball")
        .and_then(Origin::of_resolved)
        .unwrap_or(Origin::Registry)
}

impl FileAnalyzer for PnpmLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "pnpm-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["pnpm-lock.yaml"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        refuse_deep_yaml(file.path, text)?;
        let mut out = Dedup::default();
        let mut warnings = Vec::new();
        // pnpm may prepend a document for its own environment: read every document.
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = Value::deserialize(document).map_err(|e| yaml_error(&e))?;
            if value.is_null() {
                continue;
            }
            let lock: PnpmLock = serde_yaml::from_value(value).map_err(|e| yaml_error(&e))?;
            warnings.extend(analyze_lock(&lock, &file, self.name(), &mut out));
        }
        Ok(AnalysisOutput {
            packages: out.into_packages(),
            warnings,
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Vec<(String, String, bool)>, AnalyzeError> {
        let out = PnpmLockAnalyzer.analyze(FileInput {
            path: "pnpm-lock.yaml",
            content: text.as_bytes(),
        })?;
        Ok(out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version, p.dev))
            .collect())
    }

    fn pkg(name: &str, version: &str, dev: bool) -> (String, String, bool) {
        (name.into(), version.into(), dev)
    }

    #[test]
    fn v5_keys_with_peer_suffix_and_dev() {
        let text = "lockfileVersion: 5.4\npackages:\n  /@babel/core/7.0.0_react@18.0.0:\n    dev: true\n  /lodash/4.17.21:\n    dev: false\n";
        assert_eq!(
            run(text).unwrap(),
            [
                pkg("@babel/core", "7.0.0", true),
                pkg("lodash", "4.17.21", false)
            ]
        );
    }

    #[test]
    fn v6_keys_with_peer_parentheses() {
        let text = "lockfileVersion: '6.0'\npackages:\n  /@scope/a@1.0.0(react@18.0.0):\n    dev: false\n  /b@2.0.0:\n    dev: true\n";
        assert_eq!(
            run(text).unwrap(),
            [pkg("@scope/a", "1.0.0", false), pkg("b", "2.0.0", true)]
        );
    }

    #[test]
    fn v9_dev_through_importers_and_snapshots() {
        let text = "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1\n        version: 1.0.0(c@3.0.0)\n    devDependencies:\n      b:\n        specifier: ^2\n        version: 2.0.0\n\
            packages:\n  a@1.0.0:\n    resolution: {integrity: x}\n  b@2.0.0:\n    resolution: {integrity: y}\n  c@3.0.0:\n    resolution: {integrity: z}\n  tar@https://example.invalid/t.tgz:\n    resolution: {tarball: https://example.invalid/t.tgz}\n    name: tarpkg\n    version: 0.1.0\n\
            snapshots:\n  a@1.0.0(c@3.0.0):\n    dependencies:\n      c: 3.0.0\n  b@2.0.0: {}\n  c@3.0.0: {}\n  tar@https://example.invalid/t.tgz: {}\n";
        assert_eq!(
            run(text).unwrap(),
            [
                pkg("a", "1.0.0", false),
                pkg("b", "2.0.0", true),
                pkg("c", "3.0.0", false),
                pkg("tarpkg", "0.1.0", true)
            ]
        );
    }

    #[test]
    fn broken_yaml_names_the_line() {
        let err = run("lockfileVersion: '9.0'\npackages:\n  a@1: [\n").unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(_), .. }),
            "{err:?}"
        );
        assert!(run("packages: 7\n").is_err());
    }

    /// serde_yaml took 21 s on 200 KB of `[` before its own recursion limit.
    #[test]
    fn deep_nesting_is_refused_before_parsing_at_its_line() {
        let text = format!(
            "lockfileVersion: '6.0'\npackages: {}\n",
            "[".repeat(200_000)
        );
        let err = run(&text).unwrap_err();
        match err {
            AnalyzeError::Malformed { line, message } => {
                assert_eq!(line, Some(2));
                assert!(message.contains("more than 128 levels"), "{message}");
            }
            other => panic!("expected a malformed-file error, got {other:?}"),
        }
    }
}
