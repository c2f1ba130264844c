//! .NET: `*.deps.json` next to a built application (installed), `packages.lock.json` and
//! `packages.config` (build records: Trivy reads them in images too, see `docs/evidence.md`).

use std::collections::{BTreeMap, BTreeSet};

use kabuto_types::{Ecosystem, Package};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use serde::Deserialize;
use serde_json::Value;

use super::{LineCursor, json, line_of, utf8};
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

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

impl FileAnalyzer for DepsJsonAnalyzer {
    const SPEC: Spec = Spec {
        name: DEPS_JSON,
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::NameEndsWith(".deps.json"),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let deps: DepsJson = json(file.content)?;
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

impl FileAnalyzer for PackagesLockAnalyzer {
    const SPEC: Spec = Spec {
        name: PACKAGES_LOCK,
        version: 1,
        evidence: Evidence::BuildRecord,
        wants: Wants::Named(&["packages.lock.json"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let lock: PackagesLock = json(file.content)?;
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

/// Reads the legacy `packages.config`: the `<package id=".." version=".." />` children of
/// the root `<packages>` element, in one pass over the XML. Packages marked
/// `developmentDependency="true"` are reported with `dev` set.
pub struct PackagesConfigAnalyzer;

const PACKAGES_CONFIG: &str = "nuget-packages-config";

impl FileAnalyzer for PackagesConfigAnalyzer {
    const SPEC: Spec = Spec {
        name: PACKAGES_CONFIG,
        version: 2,
        evidence: Evidence::BuildRecord,
        wants: Wants::Named(&["packages.config"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        let mut reader = quick_xml::Reader::from_str(text);
        let mut lines = LineCursor::new(text);
        let mut output = AnalysisOutput::default();
        // Open elements: 0 before the root, 1 inside `<packages>`.
        let mut depth = 0usize;
        let mut root_seen = false;
        loop {
            let at = reader.buffer_position();
            let event = reader.read_event().map_err(|e| {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                AnalyzeError::at_line(line_of(text, at), format!("invalid XML: {e}"))
            })?;
            let (element, opens) = match &event {
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(_) => {
                    depth = depth.saturating_sub(1);
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            if depth == 0 {
                if element.local_name().as_ref() != "packages" {
                    return Err(AnalyzeError::malformed(
                        "the root element is not <packages>",
                    ));
                }
                root_seen = true;
            } else if depth == 1 && element.local_name().as_ref() == "package" {
                let line = lines.line_at(usize::try_from(at).unwrap_or(usize::MAX));
                match config_package(element, file.path) {
                    Some(package) => output.packages.push(package),
                    None => output
                        .warnings
                        .push(format!("line {line}: <package> without id or version")),
                }
            }
            depth += usize::from(opens);
        }
        if !root_seen {
            return Err(AnalyzeError::malformed("no <packages> element"));
        }
        if depth > 0 {
            return Err(AnalyzeError::malformed("<packages> element is not closed"));
        }
        Ok(output)
    }
}

/// The package one `<package>` element names, if it has an id and a version.
fn config_package(element: &BytesStart<'_>, path: &str) -> Option<Package> {
    let (mut id, mut version, mut dev) = (None, None, false);
    for attribute in element.attributes().flatten() {
        let Ok(value) = attribute.normalized_value(XmlVersion::Implicit1_0) else {
            continue;
        };
        match attribute.key.local_name().as_ref() {
            "id" => id = Some(value),
            "version" => version = Some(value),
            "developmentDependency" => dev = value == "true",
            _ => {}
        }
    }
    let mut package = nuget(&id?, &version?, path, PACKAGES_CONFIG);
    package.dev = dev;
    Some(package)
}
