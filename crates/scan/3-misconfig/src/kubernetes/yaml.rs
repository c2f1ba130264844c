//! A YAML document tree with line numbers, built from yaml-rust2's event stream without
//! recursion. Aliases share the anchored node (`Rc`), so a "billion laughs" document costs
//! nothing to build; alias count and tree height are capped so neither traversal nor drop can
//! blow up.

use std::collections::HashMap;
use std::rc::Rc;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// Most aliases in one file; real manifests use a handful.
pub const MAX_ALIASES: usize = 10_000;
/// Deepest nesting (counting aliased subtrees); Kubernetes objects are about 15 levels deep.
pub const MAX_HEIGHT: usize = 128;

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
    Map(Vec<(Rc<Node>, Rc<Node>)>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v.as_ref()),
            _ => None,
        }
    }

    /// The line of `key` itself in a mapping (where a reader looks for the setting).
    pub fn key_line(&self, key: &str) -> Option<usize> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k.line),
            _ => None,
        }
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
}

enum Frame {
    Seq {
        items: Vec<Rc<Node>>,
        anchor: usize,
        line: usize,
    },
    Map {
        entries: Vec<(Rc<Node>, Rc<Node>)>,
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
                    let value = Value::Map(entries);
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
    fn syntax_errors_name_the_line() {
        let err = parse_stream("a: 1\nb: [\n").expect_err("invalid");
        assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
        let err = parse_stream("a: {{ .Values.x }}\n  b: c: d\n").expect_err("template");
        assert!(err.to_string().contains("unrendered template"), "{err}");
    }
}
