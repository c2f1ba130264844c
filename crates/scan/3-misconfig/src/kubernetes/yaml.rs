//! A YAML document tree with line numbers, built from yaml-rust2's event stream without
//! recursion. Aliases share the anchored node (`Rc`), so a "billion laughs" document costs
//! nothing to build; alias count, tree height and entries copied by merge keys are capped so
//! neither building, traversal nor drop can blow up.
//!
//! Mappings read as Kubernetes' YAML reader (go-yaml v2) reads them: a key's last occurrence
//! wins, and merge keys (`<<: *base`, `<<: [*a, *b]`) are applied where they stand.

use std::collections::HashMap;
use std::rc::Rc;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Most aliases in one file; real manifests use a handful.
pub const MAX_ALIASES: usize = 10_000;
/// Deepest nesting (counting aliased subtrees); Kubernetes objects are about 15 levels deep.
pub const MAX_HEIGHT: usize = 128;
/// Most mapping entries merge keys may copy in one file; real manifests merge a few dozen.
pub const MAX_MERGED_ENTRIES: usize = 100_000;

type Entry = (Rc<Node>, Rc<Node>);

#[derive(Debug)]
pub struct Node {
    pub value: Value,
    /// 1-based line where the node starts.
    pub line: usize,
    /// Last line of the node's content (its start line for scalars).
    pub end_line: usize,
    height: usize,
}

#[derive(Debug)]
pub enum Value {
    /// `plain` is false for quoted and block scalars, so `"true"` is a string, `true` a bool.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Rc<Node>>),
    /// Entries in document order, merge keys already replaced by the merged entries.
    Map(Vec<Entry>),
}

impl Node {
    /// The entry of `key` in a mapping: its last occurrence, as Kubernetes reads duplicates
    /// and merged keys.
    fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v.as_ref())
    }

    /// The line of `key` itself in a mapping (where a reader looks for the setting).
    pub fn key_line(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|(k, _)| k.line)
    }

    /// A plain `<<` key: YAML's merge key.
    fn is_merge_key(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if text == "<<")
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Rc<Node>] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// YAML 1.1 booleans as Kubernetes' YAML decoder reads them (`true`, `yes`, `on`...).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar { text, plain: true } => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" => Some(true),
                "false" | "no" | "off" | "n" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar { text, plain: true } => text.parse().ok(),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
}

/// One document of a stream.
#[derive(Debug)]
pub struct Document {
    pub root: Rc<Node>,
    /// Line of the document's first content (after `---` and comments).
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    #[error("invalid YAML at line {line}, column {column}: {message}{hint}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
        /// Set when the file looks like an unrendered template.
        hint: &'static str,
    },
    #[error("line {line}: more than {MAX_ALIASES} YAML aliases (refusing a possible YAML bomb)")]
    TooManyAliases { line: usize },
    #[error("line {line}: YAML nested more than {MAX_HEIGHT} levels deep")]
    TooDeep { line: usize },
    #[error("line {line}: alias to an undefined or enclosing anchor")]
    BadAlias { line: usize },
    #[error("line {line}: a merge key (`<<`) needs a mapping or a list of mappings")]
    BadMerge { line: usize },
    #[error(
        "line {line}: merge keys copy more than {MAX_MERGED_ENTRIES} entries (refusing a possible YAML bomb)"
    )]
    TooManyMerged { line: usize },
}

enum Frame {
    Seq {
        items: Vec<Rc<Node>>,
        anchor: usize,
        line: usize,
    },
    Map {
        entries: Vec<Entry>,
        key: Option<Rc<Node>>,
        anchor: usize,
        line: usize,
    },
}

/// Parses every document of a YAML stream.
pub fn parse_stream(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut anchors: HashMap<usize, Rc<Node>> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Rc<Node>> = None;
    let mut aliases = 0usize;
    let mut merged = 0usize;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| YamlError::Syntax {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: e.info().to_owned(),
            hint: if text.contains("{{") {
                " (the file looks like an unrendered template; scan the rendered output)"
            } else {
                ""
            },
        })?;
        let line = mark.line();
        let completed = match event {
            Event::StreamEnd => break,
            Event::Nothing | Event::StreamStart => None,
            Event::DocumentStart => {
                anchors.clear();
                None
            }
            Event::DocumentEnd => {
                // Empty documents (`---` twice, Helm templates that render nothing) are dropped.
                if let Some(node) = root.take().filter(|n| !n.is_null()) {
                    documents.push(Document {
                        line: node.line,
                        root: node,
                    });
                }
                None
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Rc::new(Node {
                    value: Value::Scalar {
                        text,
                        plain: style == TScalarStyle::Plain,
                    },
                    line,
                    end_line: line,
                    height: 1,
                });
                Some((node, anchor))
            }
            Event::Alias(id) => {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    return Err(YamlError::TooManyAliases { line });
                }
                let node = anchors
                    .get(&id)
                    .cloned()
                    .ok_or(YamlError::BadAlias { line })?;
                Some((node, 0))
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    line,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    anchor,
                    line,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    anchor,
                    line,
                }) => {
                    let (end_line, height) = extent(line, items.iter())?;
                    let value = Value::Seq(items);
                    Some((
                        Rc::new(Node {
                            value,
                            line,
                            end_line,
                            height,
                        }),
                        anchor,
                    ))
                }
                Some(Frame::Map {
                    entries,
                    anchor,
                    line,
                    ..
                }) => {
                    let (end_line, height) =
                        extent(line, entries.iter().flat_map(|(k, v)| [k, v]))?;
                    let value = Value::Map(apply_merge_keys(entries, &mut merged)?);
                    Some((
                        Rc::new(Node {
                            value,
                            line,
                            end_line,
                            height,
                        }),
                        anchor,
                    ))
                }
                None => None,
            },
        };
        if let Some((node, anchor)) = completed {
            if anchor > 0 {
                anchors.insert(anchor, Rc::clone(&node));
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    Ok(documents)
}

/// Replaces each merge key by the merged mappings' entries, as go-yaml v2 does: with lookups
/// taking a key's last occurrence, a key written after `<<` overrides the merged one and one
/// written before is overridden; in `<<: [*a, *b]` earlier mappings win, so they go last.
/// `merged` counts copied entries across the file, capped at [`MAX_MERGED_ENTRIES`].
fn apply_merge_keys(entries: Vec<Entry>, merged: &mut usize) -> Result<Vec<Entry>, YamlError> {
    if !entries.iter().any(|(k, _)| k.is_merge_key()) {
        return Ok(entries);
    }
    let mut out = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        if !key.is_merge_key() {
            out.push((key, value));
            continue;
        }
        let sources: Vec<&Rc<Node>> = match &value.value {
            Value::Seq(items) => items.iter().rev().collect(),
            _ => vec![&value],
        };
        for source in sources {
            let Value::Map(source_entries) = &source.value else {
                return Err(YamlError::BadMerge { line: source.line });
            };
            *merged += source_entries.len();
            if *merged > MAX_MERGED_ENTRIES {
                return Err(YamlError::TooManyMerged { line: key.line });
            }
            out.extend(source_entries.iter().cloned());
        }
    }
    Ok(out)
}

/// A collection's last line and height from its children; fails past [`MAX_HEIGHT`].
fn extent<'a>(
    line: usize,
    children: impl Iterator<Item = &'a Rc<Node>>,
) -> Result<(usize, usize), YamlError> {
    let (end_line, child_height) = children.fold((line, 0), |(end, height), c| {
        (end.max(c.end_line), height.max(c.height))
    });
    if child_height + 1 > MAX_HEIGHT {
        return Err(YamlError::TooDeep { line });
    }
    Ok((end_line, child_height + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_multiple_documents() {
        let docs = parse_stream("# c\na: 1\nb:\n  - x\n  - y: [1, 2]\n---\n---\nc: yes\n")
            .expect("parses");
        assert_eq!(docs.len(), 2);
        let root = &docs[0].root;
        assert_eq!((root.line, root.end_line), (2, 5));
        assert_eq!(root.key_line("b"), Some(3));
        assert_eq!(root.path(&["b"]).map(|b| b.items().len()), Some(2));
        assert_eq!(docs[1].root.get("c").and_then(Node::as_bool), Some(true));
    }

    #[test]
    fn quoted_scalars_are_not_booleans() {
        let docs = parse_stream("a: \"true\"\nb: 0\n").expect("parses");
        assert_eq!(docs[0].root.get("a").and_then(Node::as_bool), None);
        assert_eq!(docs[0].root.get("b").and_then(Node::as_i64), Some(0));
    }

    #[test]
    fn billion_laughs_is_cheap_or_refused() {
        let mut bomb = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let mut previous = 'a';
        for name in 'b'..='z' {
            bomb.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
            previous = name;
        }
        // 25 levels of 9 aliases: 225 alias events, shared, so this builds instantly.
        let docs = parse_stream(&bomb).expect("shared aliases are fine");
        assert_eq!(docs.len(), 1);
        let many = format!("a: &a x\nb: [{}]\n", vec!["*a"; MAX_ALIASES + 1].join(","));
        assert_eq!(
            parse_stream(&many).expect_err("too many"),
            YamlError::TooManyAliases { line: 2 }
        );
    }

    #[test]
    fn height_is_bounded_through_aliases() {
        let mut text = String::from("a0: &a0 [x]\n");
        for i in 1..=MAX_HEIGHT + 2 {
            text.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        assert!(matches!(
            parse_stream(&text),
            Err(YamlError::TooDeep { .. })
        ));
    }

    #[test]
    fn merge_keys_apply_in_place_and_later_keys_win() {
        let text = "base: &base {a: 1, b: 1}\nextra: &extra {b: 2, c: 2}\n\
                    after: {<<: *base, b: 3}\n\
                    before: {b: 3, <<: *base}\n\
                    list: {<<: [*base, *extra]}\n\
                    dup: {x: 1, x: 2}\n";
        let docs = parse_stream(text).expect("parses");
        let value = |map: &str, key: &str| docs[0].root.path(&[map, key]).and_then(Node::as_i64);
        assert_eq!(value("after", "a"), Some(1));
        assert_eq!(value("after", "b"), Some(3), "a key after `<<` wins");
        assert_eq!(
            value("before", "b"),
            Some(1),
            "go-yaml v2: `<<` overrides keys before it"
        );
        assert_eq!(value("list", "b"), Some(1), "earlier merged mappings win");
        assert_eq!(value("list", "c"), Some(2));
        assert_eq!(value("dup", "x"), Some(2), "duplicates: the last one wins");
        assert_eq!(
            docs[0].root.path(&["after"]).map(|n| n.key_line("a")),
            Some(Some(1))
        );
    }

    #[test]
    fn merge_keys_are_checked_and_bounded() {
        assert_eq!(
            parse_stream("a: {<<: 1}\n").expect_err("scalar"),
            YamlError::BadMerge { line: 1 }
        );
        assert!(
            parse_stream("a: {\"<<\": 1}\n").is_ok(),
            "a quoted `<<` is a plain key"
        );
        // Each level merges the previous one twice: entries double per level.
        let mut text = String::from("l0: &l0 {k0: 0, k1: 1}\n");
        for level in 1..=20 {
            let previous = level - 1;
            text.push_str(&format!(
                "l{level}: &l{level} {{<<: [*l{previous}, *l{previous}]}}\n"
            ));
        }
        assert!(matches!(
            parse_stream(&text),
            Err(YamlError::TooManyMerged { .. })
        ));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = parse_stream("a: 1\nb: [\n").expect_err("invalid");
        assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
        let err = parse_stream("a: {{ .Values.x }}\n  b: c: d\n").expect_err("template");
        assert!(err.to_string().contains("unrendered template"), "{err}");
    }
}
