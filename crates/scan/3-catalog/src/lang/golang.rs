//! `go.mod`: the main module, `require` lines (direct and `// indirect` alike) after applying
//! `replace` and `exclude` directives, and `stdlib` at the `toolchain` the module asks for.
//!
//! Replacements follow the Go rules Trivy applies: `old => new vX` swaps in the new module
//! and version, `old vY => ...` applies only to version `vY`, and a replacement by a local
//! directory (`=> ./fork`) drops the module (its code is in the project, not a release).

use kabuto_types::{Ecosystem, Package};

use super::utf8;
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

/// Reads `go.mod` files.
pub struct GoModAnalyzer;

const NAME: &str = "go-mod";

/// One side of a `replace` directive.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModuleRef {
    path: String,
    /// Empty when the directive names no version (all versions, or a local directory).
    version: String,
}

#[derive(Debug, Default)]
struct GoMod {
    module: Option<String>,
    go: Option<String>,
    toolchain: Option<String>,
    requires: Vec<ModuleRef>,
    replaces: Vec<(ModuleRef, ModuleRef)>,
    /// `exclude path version`: that version is never used.
    excludes: Vec<ModuleRef>,
}

impl FileAnalyzer for GoModAnalyzer {
    const SPEC: Spec = Spec {
        name: NAME,
        version: 1,
        evidence: Evidence::Declared,
        wants: Wants::Named(&["go.mod"]),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let go_mod = parse(utf8(file.content)?)?;
        let package =
            |name: &str, version: &str| Package::new(Ecosystem::Go, name, version, file.path, NAME);
        let mut packages = Vec::new();
        if let Some(module) = &go_mod.module {
            packages.push(package(module, ""));
        }
        if let Some(version) = go_mod.stdlib_version() {
            packages.push(package("stdlib", &version));
        }
        for required in &go_mod.requires {
            if let Some(module) = go_mod.resolve(required) {
                packages.push(package(&module.path, &module.version));
            }
        }
        Ok(AnalysisOutput {
            packages,
            ..AnalysisOutput::default()
        })
    }
}

impl GoMod {
    /// The module actually used for a requirement, `None` when replaced by a local directory.
    fn resolve<'a>(&'a self, required: &'a ModuleRef) -> Option<&'a ModuleRef> {
        if self.excludes.contains(required) {
            return None;
        }
        let replacement = self.replaces.iter().find(|(old, _)| {
            old.path == required.path && (old.version.is_empty() || old.version == required.version)
        });
        match replacement {
            None => Some(required),
            Some((_, new)) if is_local_path(&new.path) => None,
            Some((_, new)) => Some(new),
        }
    }

    /// `toolchain go1.22.5` -> `v1.22.5`. The `go` line alone says nothing reliable: it is
    /// the oldest toolchain allowed, and reporting it would flag fixed stdlib bugs (Trivy
    /// also reads it only on request).
    fn stdlib_version(&self) -> Option<String> {
        let release = self.toolchain.as_deref()?.strip_prefix("go")?;
        Some(format!("v{}", release.split('-').next().unwrap_or(release)))
    }
}

fn is_local_path(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path == "."
        || path == ".."
}

/// Parses the directives we need; others (`retract`, `godebug`, `tool`...)
/// are skipped as the go command would keep them.
fn parse(text: &str) -> Result<GoMod, AnalyzeError> {
    let mut go_mod = GoMod::default();
    let mut block: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        // `// indirect` marks transitive requirements; both kinds are in the build.
        let code = raw.split_once("//").map_or(raw, |(code, _)| code).trim();
        if code.is_empty() {
            continue;
        }
        let (verb, args) = match &block {
            Some(_) if code == ")" => {
                block = None;
                continue;
            }
            Some(verb) => (verb.clone(), code),
            None => {
                let (verb, rest) = code.split_once(char::is_whitespace).unwrap_or((code, ""));
                let rest = rest.trim();
                if rest == "(" {
                    block = Some(verb.to_owned());
                    continue;
                }
                (verb.to_owned(), rest)
            }
        };
        let fields: Vec<String> = args.split_whitespace().map(unquote).collect();
        let missing =
            |what: &str| AnalyzeError::at_line(line_no, format!("`{verb}` without {what}"));
        match verb.as_str() {
            "module" => {
                go_mod.module = Some(
                    fields
                        .first()
                        .ok_or_else(|| missing("a module path"))?
                        .clone(),
                )
            }
            "go" => go_mod.go = fields.first().cloned(),
            "toolchain" => go_mod.toolchain = fields.first().cloned(),
            "require" | "exclude" => {
                let [path, version] = fields.as_slice() else {
                    return Err(missing("`path version`"));
                };
                let module = ModuleRef {
                    path: path.clone(),
                    version: version.clone(),
                };
                if verb == "require" {
                    go_mod.requires.push(module);
                } else {
                    go_mod.excludes.push(module);
                }
            }
            "replace" => {
                let arrow = fields
                    .iter()
                    .position(|f| f == "=>")
                    .ok_or_else(|| missing("`=>`"))?;
                let side = |s: &[String]| match s {
                    [path] => Some(ModuleRef {
                        path: path.clone(),
                        version: String::new(),
                    }),
                    [path, version] => Some(ModuleRef {
                        path: path.clone(),
                        version: version.clone(),
                    }),
                    _ => None,
                };
                let (Some(old), Some(new)) = (side(&fields[..arrow]), side(&fields[arrow + 1..]))
                else {
                    return Err(missing("`old [version] => new [version]`"));
                };
                go_mod.replaces.push((old, new));
            }
            _ => {}
        }
    }
    if block.is_some() {
        return Err(AnalyzeError::malformed(
            "unterminated `(` block at end of file",
        ));
    }
    Ok(go_mod)
}

/// Module paths may be written as Go string literals.
fn unquote(field: &str) -> String {
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .or_else(|| field.strip_prefix('`').and_then(|f| f.strip_suffix('`')))
        .unwrap_or(field)
        .to_owned()
}
