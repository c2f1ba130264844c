//! `yarn.lock`: classic (v1, yarn's own indented format) and berry (v2+, YAML with
//! `__metadata`). Packages from a registry, git, a tarball URL or a project directory are
//! reported, each with its [`Origin`]; workspace members (the project's own code) and
//! patched copies of an entry (reported through that entry) are not.

use serde_yaml::{Mapping, Value};

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::lang::node::{Dedup, Origin, resolved_package, split_at_version};
use crate::lang::{refuse_deep_yaml, utf8, yaml_error};
use crate::{AnalysisOutput, AnalyzeError, Analyzer, Evidence, FileInput};

pub struct YarnLockAnalyzer;

/// The package a classic descriptor (`name@range`, `alias@npm:real@range`) resolves to and
/// where from: a git range by what yarn `resolved` it to when that pins it (a commit, or a
/// tarball of one from the git host), or `None` for a workspace member or a protocol we do
/// not know.
fn classic_source<'a>(descriptor: &'a str, resolved: Option<&str>) -> Option<(&'a str, Origin)> {
    let (name, range) = split_at_version(descriptor)?;
    if let Some(aliased) = range.strip_prefix("npm:") {
        let real = split_at_version(aliased).map_or(name, |(real, _)| real);
        return Some((real, Origin::Registry));
    }
    let origin = match Origin::of(range)? {
        Origin::Git(asked) => match resolved.and_then(Origin::of_resolved) {
            Some(pinned @ (Origin::Git(_) | Origin::Tarball(_))) => pinned,
            _ => Origin::Git(asked),
        },
        asked => asked,
    };
    Some((name, origin))
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

/// One classic entry: its first descriptor and its `version` and `resolved` fields, with
/// the header line.
struct ClassicEntry<'a> {
    line: usize,
    descriptor: &'a str,
    version: Option<&'a str>,
    resolved: Option<&'a str>,
}

fn parse_classic(text: &str) -> Result<Vec<ClassicEntry<'_>>, AnalyzeError> {
    let mut entries: Vec<ClassicEntry<'_>> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(header) = line.strip_suffix(':') else {
                return Err(AnalyzeError::at_line(
                    index + 1,
                    "entry header does not end with `:`",
                ));
            };
            let first = header.split(", ").next().map(unquote).unwrap_or_default();
            entries.push(ClassicEntry {
                line: index + 1,
                descriptor: first,
                version: None,
                resolved: None,
            });
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            return Err(AnalyzeError::at_line(
                index + 1,
                "indented line before any entry",
            ));
        };
        // Only the entry's own fields (two spaces); deeper lines list its dependencies.
        // npm's yarn.lock converter quotes field names too: `"version" "3.6.0"`.
        let own_field = line.strip_prefix("  ").filter(|f| !f.starts_with(' '));
        if let Some((key, value)) = own_field.and_then(|f| f.split_once(' ')) {
            match unquote(key) {
                "version" => entry.version = Some(unquote(value)),
                "resolved" => entry.resolved = Some(unquote(value)),
                _ => {}
            }
        }
    }
    Ok(entries)
}

fn analyze_classic(
    file: &FileInput<'_>,
    text: &str,
    found_by: &str,
) -> Result<AnalysisOutput, AnalyzeError> {
    let mut out = Dedup::default();
    let mut warnings = Vec::new();
    for entry in parse_classic(text)? {
        let Some((name, origin)) = classic_source(entry.descriptor, entry.resolved) else {
            continue;
        };
        if entry.version.is_none() && origin == Origin::Registry {
            warnings.push(format!("line {}: entry {name} has no version", entry.line));
            continue;
        }
        out.add(resolved_package(
            name,
            entry.version,
            &origin,
            file.path,
            found_by,
        ));
    }
    Ok(AnalysisOutput {
        packages: out.into_packages(),
        warnings,
        ..AnalysisOutput::default()
    })
}

fn analyze_berry(
    file: &FileInput<'_>,
    text: &str,
    found_by: &str,
) -> Result<AnalysisOutput, AnalyzeError> {
    refuse_deep_yaml(file.path, text)?;
    let lock: Mapping = serde_yaml::from_str(text).map_err(|e| yaml_error(&e))?;
    let mut out = Dedup::default();
    let mut warnings = Vec::new();
    for (key, entry) in &lock {
        let key = key.as_str().unwrap_or_default();
        if key == "__metadata" {
            continue;
        }
        // `resolution` names the package actually installed, also for aliases; a
        // `::locator=` suffix names the workspace that asked for a relative path.
        let resolution = entry.get("resolution").and_then(Value::as_str);
        let Some((name, locator)) = resolution.and_then(split_at_version) else {
            warnings.push(format!("entry {key:?} has no resolution"));
            continue;
        };
        let locator = locator.split("::").next().unwrap_or(locator);
        let Some(origin) = Origin::of(locator) else {
            continue;
        };
        let version = match entry.get("version") {
            Some(Value::String(v)) => v.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                warnings.push(format!("entry {key:?} has no version"));
                continue;
            }
        };
        // Yarn's placeholder for a linked directory whose version it never reads.
        let version = Some(version.as_str()).filter(|v| *v != "0.0.0-use.local");
        out.add(resolved_package(
            name, version, &origin, file.path, found_by,
        ));
    }
    Ok(AnalysisOutput {
        packages: out.into_packages(),
        warnings,
        ..AnalysisOutput::default()
    })
}

impl FileAnalyzer for YarnLockAnalyzer {
    const SPEC: Spec = Spec {
        name: "yarn-lock",
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["yarn.lock"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let text = utf8(file.content)?;
        if text.lines().any(|l| l.starts_with("__metadata:")) {
            analyze_berry(&file, text, self.name())
        } else {
            analyze_classic(&file, text, self.name())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Vec<(String, String)>, AnalyzeError> {
        let out = YarnLockAnalyzer.analyze(FileInput {
            path: "yarn.lock",
            content: text.as_bytes(),
        })?;
        Ok(out
            .packages
            .into_iter()
            .map(|p| (p.name, p.version))
            .collect())
    }

    fn pkg(name: &str, version: &str) -> (String, String) {
        (name.into(), version.into())
    }

    #[test]
    fn classic_entries_aliases_local_and_unknown_protocols() {
        let text = "# yarn lockfile v1\n\n\
            \"@babel/helper-regex@^7.0.0\", \"@babel/helper-regex@^7.4.4\":\n  version \"7.4.4\"\n  dependencies:\n    lodash \"^4.17.11\"\n\n\
            lodash@^4.17.11:\n  version \"4.17.11\"\n\n\
            sw-cjs@npm:string-width@^4.2.0:\n  version \"4.2.3\"\n\n\
            local@file:../local:\n  version \"0.0.1\"\n\n\
            \"jquery@^3.6.0\":\n  \"version\" \"3.6.0\"\n\n\
            asap@unsupported:~2.0.6:\n  version \"2.0.6\"\n";
        assert_eq!(
            run(text).unwrap(),
            [
                pkg("@babel/helper-regex", "7.4.4"),
                pkg("jquery", "3.6.0"),
                pkg("local", "0.0.1"),
                pkg("lodash", "4.17.11"),
                pkg("string-width", "4.2.3")
            ]
        );
    }

    #[test]
    fn berry_entries_skip_workspaces_and_patches() {
        let text = "__metadata:\n  version: 6\n  cacheKey: 8\n\n\
            \"@types/node@npm:^18\":\n  version: 18.0.0\n  resolution: \"@types/node@npm:18.0.0\"\n\n\
            \"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n\n\
            \"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>\":\n  version: 1.22.1\n  resolution: \"resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1\"\n\n\
            \"alias@npm:real@^1\":\n  version: 1.0.0\n  resolution: \"real@npm:1.0.0\"\n";
        assert_eq!(
            run(text).unwrap(),
            [pkg("@types/node", "18.0.0"), pkg("real", "1.0.0")]
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        assert_eq!(
            run("# c\n  version \"1\"\n"),
            Err(AnalyzeError::at_line(2, "indented line before any entry"))
        );
        assert_eq!(
            run("lodash@^4\n  version \"1\"\n"),
            Err(AnalyzeError::at_line(
                1,
                "entry header does not end with `:`"
            ))
        );
        let err = run("__metadata:\n  version: 6\nx: [\n").unwrap_err();
        assert!(
            matches!(err, AnalyzeError::Malformed { line: Some(_), .. }),
            "{err:?}"
        );
    }
}
