//! .NET: `*.deps.json` next to a built application (installed), `packages.lock.json` and
//! `packages.config` in projects (declared).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use kabuto_types::{Ecosystem, Package};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use super::{file_name, json_error, utf8};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput, FileMeta};

fn nuget(name: &str, version: &str, path: &str, found_by: &str) -> Package {
    Package::new(Ecosystem::NuGet, name, version, path, found_by)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DepsJson {
    #[serde(default)]
    runtime_target: Option<RuntimeTarget>,
    /// Target framework -> `Name/Version` -> assets.
    #[serde(default)]
    targets: BTreeMap<String, BTreeMap<String, Value>>,
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Debug, Deserialize)]
struct RuntimeTarget {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Library {
    #[serde(rename = "type")]
    kind: String,
}

/// Reads `*.deps.json`: the NuGet packages (and bundled runtime packs) an application runs
/// with. Project references (`"type": "project"`) are the application's own code, not
/// packages anyone publishes, so they are not reported.
pub struct DepsJsonAnalyzer;

const DEPS_JSON: &str = "dotnet-deps";

impl Analyzer for DepsJsonAnalyzer {
    fn name(&self) -> &'static str {
        DEPS_JSON
    }
    fn version(&self) -> u32 {
        1
    }
    fn evidence(&self) -> Evidence {
        Evidence::Installed
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        file_name(path).ends_with(".deps.json")
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let deps: DepsJson = serde_json::from_slice(file.content).map_err(|e| json_error(&e))?;
        // Packages listed for the runtime target with no runtime, native or resource assets
        // are compile-time only (reference packs, meta-packages): nothing of them ships.
        let runtime_assets = deps
            .runtime_target
            .as_ref()
            .and_then(|t| deps.targets.get(&t.name));
        let mut output = AnalysisOutput::default();
        for (key, library) in &deps.libraries {
            let name_prefix = match library.kind.as_str() {
                "package" => "",
                "runtimepack" => "runtimepack.",
                _ => continue,
            };
            let Some((name, version)) = key.split_once('/') else {
                output
                    .warnings
                    .push(format!("library `{key}` is not `name/version`"));
                continue;
            };
            if runtime_assets.is_some_and(|assets| !assets.get(key).is_some_and(ships_assets)) {
                continue;
            }
            let name = name.strip_prefix(name_prefix).unwrap_or(name);
            output
                .packages
                .push(nuget(name, version, file.path, DEPS_JSON));
        }
        Ok(output)
    }
}

fn ships_assets(target_entry: &Value) -> bool {
    ["runtime", "runtimeTargets", "native", "resources"]
        .iter()
        .any(|k| {
            target_entry
                .get(k)
                .and_then(Value::as_object)
                .is_some_and(|o| !o.is_empty())
        })
}

#[derive(Debug, Deserialize)]
struct PackagesLock {
    /// Target framework -> package name -> entry.
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, LockedDependency>>,
}

#[derive(Debug, Deserialize)]
struct LockedDependency {
    #[serde(rename = "type")]
    kind: String,
    resolved: Option<String>,
}

/// Reads NuGet `packages.lock.json`; a package resolved for several target frameworks
/// at one version is reported once.
pub struct PackagesLockAnalyzer;

const PACKAGES_LOCK: &str = "nuget-lock";

impl Analyzer for PackagesLockAnalyzer {
    fn name(&self) -> &'static str {
        PACKAGES_LOCK
    }
    fn version(&self) -> u32 {
        1
    }
    fn evidence(&self) -> Evidence {
        Evidence::Declared
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        file_name(path) == "packages.lock.json"
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let lock: PackagesLock =
            serde_json::from_slice(file.content).map_err(|e| json_error(&e))?;
        let mut seen = BTreeSet::new();
        let mut output = AnalysisOutput::default();
        for (framework, packages) in &lock.dependencies {
            for (name, dependency) in packages {
                if dependency.kind == "Project" {
                    continue;
                }
                let Some(version) = &dependency.resolved else {
                    output
                        .warnings
                        .push(format!("{framework}: `{name}` has no resolved version"));
                    continue;
                };
                if seen.insert((name.as_str(), version.as_str())) {
                    output
                        .packages
                        .push(nuget(name, version, file.path, PACKAGES_LOCK));
                }
            }
        }
        Ok(output)
    }
}

/// Reads the legacy `packages.config` (`<package id=".." version=".." />` elements).
/// Packages marked `developmentDependency="true"` are reported with `dev` set.
pub struct PackagesConfigAnalyzer;

const PACKAGES_CONFIG: &str = "nuget-packages-config";

impl Analyzer for PackagesConfigAnalyzer {
    fn name(&self) -> &'static str {
        PACKAGES_CONFIG
    }
    fn version(&self) -> u32 {
        1
    }
    fn evidence(&self) -> Evidence {
        Evidence::Declared
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        file_name(path) == "packages.config"
    }
    fn analyze(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        static ELEMENT: LazyLock<Regex> = LazyLock::new(|| {
            #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
            Regex::new(r"<package\s([^>]*?)/?>").unwrap()
        });
        static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
            #[allow(clippy::unwrap_used)] // a constant pattern, covered by tests
            Regex::new(r#"([A-Za-z]+)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).unwrap()
        });
        let text = utf8(file.content)?;
        if !text.contains("<packages") {
            return Err(AnalyzeError::malformed("no <packages> element"));
        }
        if !text.contains("</packages>") && !text.contains("<packages/>") {
            return Err(AnalyzeError::malformed("<packages> element is not closed"));
        }
        let mut output = AnalysisOutput::default();
        for element in ELEMENT.captures_iter(text) {
            let line = text[..element.get(0).map_or(0, |m| m.start())]
                .matches('\n')
                .count()
                + 1;
            let attributes: BTreeMap<&str, &str> = ATTRIBUTE
                .captures_iter(&element[1])
                .filter_map(|a| Some((a.get(1)?.as_str(), a.get(2).or(a.get(3))?.as_str())))
                .collect();
            let (Some(id), Some(version)) = (attributes.get("id"), attributes.get("version"))
            else {
                output
                    .warnings
                    .push(format!("line {line}: <package> without id or version"));
                continue;
            };
            let mut package = nuget(id, version, file.path, PACKAGES_CONFIG);
            package.dev = attributes.get("developmentDependency") == Some(&"true");
            output.packages.push(package);
        }
        Ok(output)
    }
}
