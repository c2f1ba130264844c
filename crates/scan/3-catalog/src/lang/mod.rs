//! Language-ecosystem analyzers: installed package metadata and project lockfiles.

pub mod dotnet;
pub mod golang;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;

use crate::{AnalyzeError, Analyzer};

/// Every lang analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    let mut list: Vec<Box<dyn Analyzer>> = vec![];
    list.extend(python::analyzers());
    list.extend(node::analyzers());
    list.extend(ruby::analyzers());
    list.extend(php::analyzers());
    list.push(Box::new(golang::GoModAnalyzer));
    list.push(Box::new(rust::CargoLockAnalyzer));
    list.push(Box::new(dotnet::DepsJsonAnalyzer));
    list.push(Box::new(dotnet::PackagesLockAnalyzer));
    list.push(Box::new(dotnet::PackagesConfigAnalyzer));
    list
}

/// The last component of a `/`-separated path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory component just above the file, if any.
pub(crate) fn parent_name(path: &str) -> Option<&str> {
    let mut parts = path.rsplit('/');
    parts.next();
    parts.next()
}

/// A JSON syntax or shape error, with the line serde_json reports.
pub(crate) fn json_error(e: &serde_json::Error) -> AnalyzeError {
    AnalyzeError::at_line(e.line(), format!("invalid JSON: {e}"))
}

/// The shared YAML guard, run before serde_yaml (quadratic on deep flow nesting): a refused
/// lockfile becomes a warning at the offending line.
pub(crate) fn refuse_deep_yaml(path: &str, text: &str) -> Result<(), AnalyzeError> {
    kabuto_yaml::check(path, text)
        .map_err(|refused| AnalyzeError::at_line(refused.line, refused.problem.to_string()))
}

/// A YAML syntax or shape error, with its line when serde_yaml knows it.
pub(crate) fn yaml_error(e: &serde_yaml::Error) -> AnalyzeError {
    match e.location() {
        Some(at) => AnalyzeError::at_line(at.line(), format!("invalid YAML: {e}")),
        None => AnalyzeError::malformed(format!("invalid YAML: {e}")),
    }
}

/// A TOML syntax or shape error, with the line of the span the toml crate reports.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> AnalyzeError {
    let message = format!("invalid TOML: {}", e.message());
    match e.span() {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map_or(0, |before| before.matches('\n').count())
                + 1;
            AnalyzeError::at_line(line, message)
        }
        None => AnalyzeError::malformed(message),
    }
}

/// File content as UTF-8 text; a file that is not UTF-8 is not a lockfile we read.
pub(crate) fn utf8(content: &[u8]) -> Result<&str, AnalyzeError> {
    std::str::from_utf8(content).map_err(|e| {
        let line = content[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        AnalyzeError::at_line(line, "file is not valid UTF-8")
    })
}
