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

/// Whether `text` ends with `suffix`, ignoring ASCII case (`Foo.EGG`, `x.DIST-INFO`).
pub(crate) fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.is_char_boundary(text.len() - suffix.len())
        && text[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

/// A JSON document (after one leading byte order mark) as `T`; a syntax or shape error
/// names the line serde_json reports.
pub(crate) fn json<T: serde::de::DeserializeOwned>(content: &[u8]) -> Result<T, AnalyzeError> {
    serde_json::from_slice(crate::strip_bom(content))
        .map_err(|e| AnalyzeError::at_line(e.line(), format!("invalid JSON: {e}")))
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

/// File content as UTF-8 text, without one leading byte order mark; a file that is not
/// UTF-8 is not a lockfile we read.
pub(crate) fn utf8(content: &[u8]) -> Result<&str, AnalyzeError> {
    let content = crate::strip_bom(content);
    std::str::from_utf8(content).map_err(|e| {
        let line = content[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        AnalyzeError::at_line(line, "file is not valid UTF-8")
    })
}

/// The 1-based line of byte `offset` in `text` (the last line past the end).
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    LineCursor::new(text).line_at(offset)
}

/// Lines of increasing byte offsets in one text, counting each newline once: asking for
/// every element's line costs one pass over the text, not one pass per element.
pub(crate) struct LineCursor<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCursor<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCursor {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line of `offset`; an offset before the previous one answers the previous line.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        if end > self.offset {
            self.line += self.text[self.offset..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.offset = end;
        }
        self.line
    }
}
