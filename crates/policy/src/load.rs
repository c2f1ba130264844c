//! Reading policy and acknowledgement files (YAML or JSON) into typed values, with every
//! error pinned to its file, line and field.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny};

use crate::PolicyError;
use crate::matchers::FieldError;

/// Reads a policy or acknowledgement file, refusing one past [`kabuto_yaml::MAX_CONFIG_SIZE`].
pub(crate) fn read(path: &Path) -> Result<String, PolicyError> {
    kabuto_yaml::read_config(path).map_err(|source| PolicyError::Read {
        file: path.display().to_string(),
        source,
    })
}

/// Where and why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based line, when the parser could tell.
    pub line: Option<usize>,
    /// 1-based column, when the parser could tell.
    pub column: Option<usize>,
    /// Dotted path of the offending field (`policies[1].cvss_severity`); empty for the
    /// document as a whole.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": field `{}`: {}", self.field, self.message)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    Yaml,
    Json,
}

impl Syntax {
    /// JSON when the text starts like a JSON document; YAML otherwise (YAML also reads
    /// most JSON, but JSON's own parser reports JSON errors better).
    pub fn detect(text: &str) -> Syntax {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('{' | '[') => Syntax::Json,
            _ => Syntax::Yaml,
        }
    }
}

/// The top-level shape of a document, read before the typed pass.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    Sequence,
    /// A mapping that has this key.
    MappingWith(bool),
    Other,
}

/// Parses `text` as untyped data to learn its shape (whether a mapping has `key`).
pub(crate) fn shape(text: &str, file: &str, key: &str) -> Result<Shape, Diagnostic> {
    Ok(shape_of(&untyped(text, file)?, key))
}

fn shape_of(document: &serde_yaml::Value, key: &str) -> Shape {
    match document {
        serde_yaml::Value::Sequence(_) => Shape::Sequence,
        serde_yaml::Value::Mapping(map) => Shape::MappingWith(map.contains_key(key)),
        _ => Shape::Other,
    }
}

/// `text` as untyped data; JSON is read by JSON's parser, for its error messages.
fn untyped(text: &str, file: &str) -> Result<serde_yaml::Value, Diagnostic> {
    match Syntax::detect(text) {
        Syntax::Json => {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                let mut d = json_diagnostic(text, file, String::new(), &e);
                d.message = format!("not valid JSON: {}", d.message);
                d
            })?;
            serde_yaml::to_value(value).map_err(|e| yaml_diagnostic(text, file, String::new(), &e))
        }
        Syntax::Yaml => {
            refuse_deep_yaml(text, file)?;
            serde_yaml::from_str(text).map_err(|e| {
                let mut d = yaml_diagnostic(text, file, String::new(), &e);
                d.message = format!("not valid YAML: {}", d.message);
                d
            })
        }
    }
}

/// Deserializes `text` into `T`, reporting the first problem with its location.
pub(crate) fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, Diagnostic> {
    match Syntax::detect(text) {
        Syntax::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = serde_path_to_error::deserialize(&mut de)
                .map_err(|e| json_diagnostic(text, file, path_text(e.path()), e.inner()))?;
            de.end()
                .map_err(|e| json_diagnostic(text, file, String::new(), &e))?;
            Ok(value)
        }
        Syntax::Yaml => {
            refuse_deep_yaml(text, file)?;
            let de = serde_yaml::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de)
                .map_err(|e| yaml_diagnostic(text, file, path_text(e.path()), e.inner()))
        }
    }
}

/// A file holding several policies: `policies: [...]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyList<T> {
    #[serde(rename = "$schema", default)]
    _schema: Option<IgnoredAny>,
    policies: Vec<T>,
}

/// Every policy of a document: one policy (a mapping), a list, or `policies: [...]`.
pub fn parse_policies<T: DeserializeOwned>(text: &str, file: &str) -> Result<Vec<T>, Diagnostic> {
    Ok(match shape(text, file, "policies")? {
        Shape::Sequence => parse(text, file)?,
        Shape::MappingWith(true) => parse::<PolicyList<T>>(text, file)?.policies,
        Shape::MappingWith(false) | Shape::Other => vec![parse(text, file)?],
    })
}

/// Deserializes `text` with `seed`, reporting the first problem with its location.
pub(crate) fn parse_seed<T>(
    text: &str,
    file: &str,
    seed: impl for<'de> DeserializeSeed<'de, Value = T>,
) -> Result<T, Diagnostic> {
    let mut track = serde_path_to_error::Track::new();
    match Syntax::detect(text) {
        Syntax::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = seed
                .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
                .map_err(|e| json_diagnostic(text, file, path_text(&track.path()), &e))?;
            de.end()
                .map_err(|e| json_diagnostic(text, file, String::new(), &e))?;
            Ok(value)
        }
        Syntax::Yaml => {
            refuse_deep_yaml(text, file)?;
            let de = serde_yaml::Deserializer::from_str(text);
            seed.deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
                .map_err(|e| yaml_diagnostic(text, file, path_text(&track.path()), &e))
        }
    }
}

/// The document's shape and the `assurance_type` of every policy in it, in order (absent:
/// `None`); a policy that is not a mapping counts as absent, and its own parse reports it.
pub(crate) fn assurance_types(
    text: &str,
    file: &str,
) -> Result<(Shape, Vec<Option<String>>), Diagnostic> {
    let document = untyped(text, file)?;
    let shape = shape_of(&document, "policies");
    let policies = match &document {
        serde_yaml::Value::Sequence(items) => items.as_slice(),
        serde_yaml::Value::Mapping(map) => match map.get("policies") {
            Some(serde_yaml::Value::Sequence(items)) => items.as_slice(),
            Some(_) => &[],
            None => std::slice::from_ref(&document),
        },
        _ => std::slice::from_ref(&document),
    };
    let types = policies
        .iter()
        .map(|policy| {
            policy
                .get("assurance_type")
                .and_then(serde_yaml::Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    Ok((shape, types))
}

/// Runs the shared depth guard before serde_yaml, which is quadratic on deep flow nesting.
fn refuse_deep_yaml(text: &str, file: &str) -> Result<(), Diagnostic> {
    kabuto_yaml::check(file, text).map_err(|refused| Diagnostic {
        file: file.to_owned(),
        line: Some(refused.line),
        column: Some(refused.column),
        field: String::new(),
        message: match refused.problem {
            kabuto_yaml::Problem::Syntax(message) => format!("not valid YAML: {message}"),
            too_deep => too_deep.to_string(),
        },
    })
}

fn path_text(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

fn json_diagnostic(text: &str, file: &str, path: String, error: &serde_json::Error) -> Diagnostic {
    let position = (error.line() > 0).then(|| (error.line(), error.column()));
    build(text, file, path, &error.to_string(), position)
}

fn yaml_diagnostic(text: &str, file: &str, path: String, error: &serde_yaml::Error) -> Diagnostic {
    let position = error.location().map(|l| (l.line(), l.column()));
    build(text, file, path, &error.to_string(), position)
}

fn join(path: &str, field: &str) -> String {
    match (path.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (_, true) => path.to_owned(),
        _ => format!("{path}.{field}"),
    }
}

fn build(
    text: &str,
    file: &str,
    path: String,
    message: &str,
    parser_position: Option<(usize, usize)>,
) -> Diagnostic {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    let (field, message) = if let Some((field, inner)) = FieldError::decode(message) {
        (join(&path, field), inner.to_owned())
    } else {
        let message = strip_path_prefix(message);
        if let Some(unknown) = quoted_after(message, "unknown field `") {
            let field = if path.rsplit('.').next() == Some(unknown) {
                path.clone()
            } else {
                join(&path, unknown)
            };
            let expected = expected_names(message);
            let mut text = format!("unknown field `{unknown}`");
            if let Some(near) = closest(unknown, &expected) {
                text.push_str(&format!(" (did you mean `{near}`?)"));
            } else if !expected.is_empty() && expected.len() <= 12 {
                text.push_str(&format!(", expected one of: {}", expected.join(", ")));
            }
            (field, text)
        } else if let Some(missing) = quoted_after(message, "missing field `") {
            (join(&path, missing), "is required".to_owned())
        } else {
            (path, message.to_owned())
        }
    };
    // Parsers place errors found after a whole mapping was read at its start or end;
    // the field's own key is where a reader looks.
    let position = if field.is_empty() {
        parser_position
    } else {
        field_position(text, &field).or(parser_position)
    };
    Diagnostic {
        file: file.to_owned(),
        line: position.map(|p| p.0),
        column: position.map(|p| p.1),
        field,
        message,
    }
}

/// The position of `field` (or of its nearest enclosing node present in the text).
fn field_position(text: &str, field: &str) -> Option<(usize, usize)> {
    let index = PositionIndex::build(text)?;
    let mut path = field;
    loop {
        if let Some(position) = index.positions.get(path) {
            return Some(*position);
        }
        if path.is_empty() {
            return None;
        }
        path = match path.rfind(['.', '[']) {
            Some(cut) => &path[..cut],
            None => "",
        };
    }
}

/// Source positions of every key and sequence item, by dotted path, from the YAML event
/// stream (JSON documents are YAML too).
#[derive(Default)]
struct PositionIndex {
    positions: HashMap<String, (usize, usize)>,
    stack: Vec<Frame>,
}

enum Frame {
    Map { path: String, key: Option<String> },
    Seq { path: String, next: usize },
}

impl PositionIndex {
    fn build(text: &str) -> Option<PositionIndex> {
        let mut index = PositionIndex::default();
        let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
        parser.load(&mut index, false).ok()?;
        Some(index)
    }

    /// The path of the node starting now, advancing the enclosing container.
    /// Mappings record their position at their first key instead (`record` false): the
    /// parser's mark for a block mapping's start is not where a reader sees it.
    fn node_path(&mut self, mark: (usize, usize), record: bool) -> Option<String> {
        let path = match self.stack.last_mut() {
            None => String::new(),
            Some(Frame::Seq { path, next }) => {
                let item = format!("{path}[{next}]");
                *next += 1;
                if record {
                    self.positions.entry(item.clone()).or_insert(mark);
                }
                item
            }
            Some(Frame::Map { path, key }) => match key.take() {
                Some(key) => join(path, &key),
                // A key position: keys that are not scalars have no path.
                None => return None,
            },
        };
        Some(path)
    }
}

impl yaml_rust2::parser::MarkedEventReceiver for PositionIndex {
    fn on_event(&mut self, event: yaml_rust2::Event, marker: yaml_rust2::scanner::Marker) {
        use yaml_rust2::Event;
        let mark = (marker.line(), marker.col() + 1);
        match event {
            Event::Scalar(value, ..) => {
                if let Some(Frame::Map { path, key }) = self.stack.last_mut()
                    && key.is_none()
                {
                    self.positions.entry(path.clone()).or_insert(mark);
                    let key_path = join(path, &value);
                    self.positions.entry(key_path).or_insert(mark);
                    *key = Some(value);
                } else {
                    self.node_path(mark, true);
                }
            }
            Event::Alias(_) => {
                self.node_path(mark, true);
            }
            Event::MappingStart(..) => {
                let path = self.node_path(mark, false).unwrap_or_default();
                self.stack.push(Frame::Map { path, key: None });
            }
            Event::SequenceStart(..) => {
                let path = self.node_path(mark, true).unwrap_or_default();
                self.stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// serde_yaml prefixes messages with its own path (`policies[0].name: ...`); the
/// diagnostic carries the path separately.
fn strip_path_prefix(message: &str) -> &str {
    match message.split_once(": ") {
        Some((prefix, rest)) if !prefix.is_empty() && !prefix.contains(char::is_whitespace) => rest,
        _ => message,
    }
}

fn quoted_after<'m>(message: &'m str, lead: &str) -> Option<&'m str> {
    let rest = &message[message.find(lead)? + lead.len()..];
    rest.split_once('`').map(|(name, _)| name)
}

/// The field names serde lists: "expected one of `a`, `b`, `c`", or for one or two fields
/// "expected `a`" and "expected `a` or `b`".
fn expected_names(message: &str) -> Vec<&str> {
    let (list, separator) = match message.split_once("expected one of ") {
        Some((_, list)) => (list, ", "),
        None => match message.split_once("expected `") {
            Some((before, _)) => (&message[before.len() + "expected ".len()..], " or "),
            None => return Vec::new(),
        },
    };
    list.split(separator)
        .map(|name| name.trim_matches('`'))
        .filter(|name| !name.is_empty())
        .collect()
}

/// The expected name nearest to a misspelt one, when it is close enough to be a typo.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, _)| *distance <= (name.len() / 4).max(1))
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_names_in_every_serde_form() {
        let names = |m| expected_names(m);
        assert_eq!(
            names("unknown field `x`, expected one of `a`, `b`, `c`"),
            ["a", "b", "c"]
        );
        assert_eq!(names("unknown field `x`, expected `a` or `b`"), ["a", "b"]);
        assert_eq!(names("unknown field `x`, expected `a`"), ["a"]);
        assert!(names("unknown field `x`, there are no fields").is_empty());
    }

    #[test]
    fn suggestions_for_typos() {
        let names = ["cvss_severity", "cvss_severity_enabled", "maximum_score"];
        assert_eq!(closest("cvss_severty", &names), Some("cvss_severity"));
        assert_eq!(closest("maximum_scor", &names), Some("maximum_score"));
        assert_eq!(closest("colour", &names), None);
    }

    #[test]
    fn positions_of_keys_and_items() {
        let text = "a: 1\nlist:\n  - name: x\n  - name: y\n    deep: {k: v}\n";
        let find = |f| field_position(text, f);
        assert_eq!(find("a"), Some((1, 1)));
        assert_eq!(find("list[1].name"), Some((4, 5)));
        assert_eq!(find("list[1].deep.k"), Some((5, 12)));
        assert_eq!(
            find("list[1].missing"),
            Some((4, 5)),
            "falls back to the item"
        );
        let json = "{\n  \"x\": 1,\n  \"name\" : \"n\"\n}";
        assert_eq!(field_position(json, "name"), Some((3, 3)));
    }
}
