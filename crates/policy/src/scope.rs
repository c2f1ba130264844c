//! Which images or workloads a policy applies to: Aqua's `scope` (variables combined by an
//! expression such as `v1 && (v2 || v3)`) and its `registries`, `images` and `labels` lists.

use std::collections::BTreeMap;

use kabuto_types::ImageReference;
use serde::Deserialize;

use crate::matchers::{FieldError, ImageMatch, LabelMatcher, Pattern};

#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub expression: Option<ScopeExpression>,
    pub registries: Vec<Pattern>,
    pub images: Vec<Pattern>,
    pub labels: Vec<LabelMatcher>,
}

/// What the scope looks at: the image's names and its config labels, and where it runs
/// when a workload is judged.
pub(crate) struct ScopeSubject<'a> {
    pub names: &'a [ImageReference],
    pub labels: &'a BTreeMap<String, String>,
    /// `None` when an image is judged on its own: `kubernetes.*` conditions then hold.
    pub placement: Option<Placement<'a>>,
}

/// Where a workload is submitted: the `kubernetes.*` scope attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement<'a> {
    pub cluster: &'a str,
    pub namespace: &'a str,
    /// The pod template's labels.
    pub labels: &'a BTreeMap<String, String>,
}

impl Scope {
    /// Every non-empty part must hold; an empty scope matches every image.
    pub fn matches(&self, subject: &ScopeSubject<'_>) -> bool {
        let any_name = |f: &dyn Fn(&ImageReference) -> bool| subject.names.iter().any(f);
        if !self.registries.is_empty()
            && !any_name(&|image| self.registries.iter().any(|p| image.registry_matches(p)))
        {
            return false;
        }
        if !self.images.is_empty()
            && !any_name(&|image| self.images.iter().any(|p| image.name_matches(p)))
        {
            return false;
        }
        if !self.labels.is_empty() && !self.labels.iter().any(|l| l.matches(subject.labels)) {
            return false;
        }
        self.expression
            .as_ref()
            .is_none_or(|scope| scope.matches(subject))
    }
}

/// Aqua's `scope`: variables and the expression combining them.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawScope")]
pub(crate) struct ScopeExpression {
    expr: Option<Expr>,
    conditions: Vec<Condition>,
}

/// `scope` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    expression: Option<String>,
    #[serde(default)]
    variables: Option<Vec<Condition>>,
}

/// One `scope.variables` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    attribute: String,
    /// For `image.label`: the label key.
    #[serde(default)]
    name: Option<String>,
    value: Pattern,
}

impl ScopeExpression {
    fn matches(&self, subject: &ScopeSubject<'_>) -> bool {
        match &self.expr {
            Some(expr) => expr.eval(&|index| {
                self.conditions
                    .get(index)
                    .is_some_and(|condition| condition.holds(subject))
            }),
            None => true,
        }
    }

    /// Attributes that hold without being checked: Aqua's runtime attributes always, and
    /// the `kubernetes.*` ones too when no workload is judged (`with_placement` false).
    pub fn unchecked_attributes(&self, with_placement: bool) -> impl Iterator<Item = &str> {
        self.conditions.iter().filter_map(move |c| match c {
            Condition::Unsupported(attribute) => Some(attribute.as_str()),
            Condition::Cluster(_) if !with_placement => Some(CLUSTER),
            Condition::Namespace(_) if !with_placement => Some(NAMESPACE),
            Condition::WorkloadLabel(_) if !with_placement => Some(WORKLOAD_LABEL),
            _ => None,
        })
    }

    /// Whether a variable reads the image's config labels (`image.label`).
    pub fn reads_image_labels(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| matches!(c, Condition::Label(_)))
    }
}

impl TryFrom<RawScope> for ScopeExpression {
    type Error = FieldError;
    fn try_from(raw: RawScope) -> Result<Self, FieldError> {
        let conditions = raw.variables.unwrap_or_default();
        let expr = Expr::of_scope(raw.expression.as_deref(), conditions.len())?;
        Ok(ScopeExpression { expr, conditions })
    }
}

/// One scope variable.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawVariable")]
enum Condition {
    Registry(Pattern),
    Repository(Pattern),
    Tag(Pattern),
    Name(Pattern),
    Label(LabelMatcher),
    /// `kubernetes.cluster`: the cluster name the enforcer is configured with.
    Cluster(Pattern),
    /// `kubernetes.namespace`.
    Namespace(Pattern),
    /// `kubernetes.label`: a label of the pod template (`name` is the key).
    WorkloadLabel(LabelMatcher),
    /// An Aqua attribute about other runtime objects (hosts, services): always holds.
    Unsupported(String),
}

const CLUSTER: &str = "kubernetes.cluster";
const NAMESPACE: &str = "kubernetes.namespace";
const WORKLOAD_LABEL: &str = "kubernetes.label";

/// Attribute namespaces of Aqua scopes that describe runtime objects, not images.
const RUNTIME_NAMESPACES: [&str; 7] = [
    "aqua.",
    "kubernetes.",
    "os.",
    "function.",
    "cf.",
    "container.",
    "host.",
];

impl TryFrom<RawVariable> for Condition {
    type Error = FieldError;
    fn try_from(variable: RawVariable) -> Result<Self, FieldError> {
        Condition::from_variable(variable)
    }
}

impl Condition {
    fn from_variable(variable: RawVariable) -> Result<Condition, FieldError> {
        let value = variable.value;
        Ok(match variable.attribute.trim() {
            "aqua.registry" | "image.registry" => Condition::Registry(value),
            "image.repo" | "image.repository" => Condition::Repository(value),
            "image.tag" => Condition::Tag(value),
            "image.name" | "image" => Condition::Name(value),
            "image.label" => Condition::Label(label_matcher(variable.name, value, "image.label")?),
            CLUSTER => Condition::Cluster(value),
            NAMESPACE => Condition::Namespace(value),
            WORKLOAD_LABEL => {
                Condition::WorkloadLabel(label_matcher(variable.name, value, WORKLOAD_LABEL)?)
            }
            other if RUNTIME_NAMESPACES.iter().any(|ns| other.starts_with(ns)) => {
                Condition::Unsupported(other.to_owned())
            }
            other => {
                return Err(FieldError::new(
                    "attribute",
                    format!(
                        "unknown scope attribute `{other}`: expected image.registry \
                         (aqua.registry), image.repo, image.tag, image.name or image.label"
                    ),
                ));
            }
        })
    }

    fn holds(&self, subject: &ScopeSubject<'_>) -> bool {
        let any = |f: &dyn Fn(&ImageReference) -> bool| subject.names.iter().any(f);
        match self {
            Condition::Registry(p) => any(&|image| image.registry_matches(p)),
            Condition::Repository(p) => any(&|image| {
                p.is_match(image.repository()) || p.is_match(image.familiar_repository())
            }),
            Condition::Tag(p) => any(&|image| image.tag().is_some_and(|t| p.is_match(t))),
            Condition::Name(p) => any(&|image| image.name_matches(p)),
            Condition::Label(label) => label.matches(subject.labels),
            Condition::Cluster(p) => subject.placement.is_none_or(|at| p.is_match(at.cluster)),
            Condition::Namespace(p) => subject.placement.is_none_or(|at| p.is_match(at.namespace)),
            Condition::WorkloadLabel(label) => {
                subject.placement.is_none_or(|at| label.matches(at.labels))
            }
            Condition::Unsupported(_) => true,
        }
    }
}

/// A label variable: `name` is the key, `value` the value pattern.
fn label_matcher(
    name: Option<String>,
    value: Pattern,
    attribute: &str,
) -> Result<LabelMatcher, FieldError> {
    let key = name
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            FieldError::new(
                "attribute",
                format!("`{attribute}` needs `name`: the label key"),
            )
        })?;
    Ok(LabelMatcher {
        key: key.to_owned(),
        value: Some(value),
    })
}

/// A boolean expression over scope variables `v1`, `v2`, ... (1-based).
#[derive(Debug, Clone)]
pub enum Expr {
    Var(usize),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Var(usize),
    And,
    Or,
    Not,
    Open,
    Close,
}

impl Expr {
    /// A scope's `expression` over its `variables` (`conditions` of them): none when both
    /// are empty (Aqua exports write an empty scope for "everything"), an error naming the
    /// field otherwise. Image and runtime policies read their scopes with it.
    pub fn of_scope(
        expression: Option<&str>,
        conditions: usize,
    ) -> Result<Option<Expr>, FieldError> {
        match expression.map(str::trim).filter(|e| !e.is_empty()) {
            Some(text) => Expr::parse(text, conditions)
                .map(Some)
                .map_err(|e| FieldError::new("expression", e)),
            None if conditions == 0 => Ok(None),
            None => Err(FieldError::new(
                "variables",
                "are set but `expression` does not combine them (write e.g. `v1 && v2`)",
            )),
        }
    }

    /// Parses `v1 && (v2 || !v3)`; `and`, `or`, `not` are accepted as words too.
    pub fn parse(text: &str, variables: usize) -> Result<Expr, String> {
        let tokens = tokenize(text, variables)?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.or()?;
        if parser.at != parser.tokens.len() {
            return Err(format!(
                "unexpected text after position {} in `{text}`",
                parser.at
            ));
        }
        Ok(expr)
    }

    pub fn eval(&self, var: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Expr::Var(index) => var(*index),
            Expr::Not(inner) => !inner.eval(var),
            Expr::And(parts) => parts.iter().all(|p| p.eval(var)),
            Expr::Or(parts) => parts.iter().any(|p| p.eval(var)),
        }
    }
}

fn tokenize(text: &str, variables: usize) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start();
    while let Some(c) = rest.chars().next() {
        let (token, len) = match c {
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '!' => (Token::Not, 1),
            '&' if rest.starts_with("&&") => (Token::And, 2),
            '|' if rest.starts_with("||") => (Token::Or, 2),
            c if c.is_ascii_alphanumeric() => {
                let len = rest
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(rest.len());
                let word = &rest[..len];
                let token = match word.to_ascii_lowercase().as_str() {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "not" => Token::Not,
                    lower => {
                        let index = lower
                            .strip_prefix('v')
                            .and_then(|n| n.parse::<usize>().ok())
                            .ok_or_else(|| format!("unknown word `{word}` in `{text}`"))?;
                        if index == 0 || index > variables {
                            return Err(format!(
                                "`{word}` names no variable: the scope has {variables}"
                            ));
                        }
                        Token::Var(index - 1)
                    }
                };
                (token, len)
            }
            other => return Err(format!("unexpected `{other}` in `{text}`")),
        };
        tokens.push(token);
        rest = rest[len..].trim_start();
    }
    if tokens.is_empty() {
        return Err("empty expression".to_owned());
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let token = self.peek().cloned();
        self.at += 1;
        match token {
            Some(Token::Not) => Ok(Expr::Not(Box::new(self.unary()?))),
            Some(Token::Var(index)) => Ok(Expr::Var(index)),
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("missing `)`".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(other) => Err(format!("expected a variable, found {other:?}")),
            None => Err("expression ends too early".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_parse_and_evaluate() {
        let values = [true, false, true];
        let var = |i: usize| values[i];
        let cases = [
            ("v1", true),
            ("v2", false),
            ("v1 && v2", false),
            ("v1 || v2", true),
            ("v2 || v1 && v3", true),
            ("!(v1 && v3)", false),
            ("v1 and not v2", true),
        ];
        for (text, want) in cases {
            assert_eq!(Expr::parse(text, 3).unwrap().eval(&var), want, "{text}");
        }
        for bad in ["", "v4", "v0", "v1 &&", "(v1", "v1 v2", "v1 & v2", "x1"] {
            assert!(Expr::parse(bad, 3).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn kubernetes_conditions_hold_for_images_and_are_checked_for_workloads() {
        let scope: ScopeExpression = serde_yaml::from_str(
            "expression: v1 && v2 && v3\nvariables:\n\
             - {attribute: kubernetes.cluster, value: 'gke-*'}\n\
             - {attribute: kubernetes.namespace, value: prod}\n\
             - {attribute: kubernetes.label, name: team, value: pay*}\n",
        )
        .unwrap();
        let labels = BTreeMap::from([("team".to_owned(), "payments".to_owned())]);
        let none = BTreeMap::new();
        let subject = |placement| ScopeSubject {
            names: &[],
            labels: &none,
            placement,
        };
        let at = |cluster, namespace, labels| {
            Some(Placement {
                cluster,
                namespace,
                labels,
            })
        };
        assert!(scope.matches(&subject(None)), "an image alone: they hold");
        assert!(scope.matches(&subject(at("gke-eu", "prod", &labels))));
        assert!(!scope.matches(&subject(at("eks", "prod", &labels))));
        assert!(!scope.matches(&subject(at("gke-eu", "dev", &labels))));
        assert!(!scope.matches(&subject(at("gke-eu", "prod", &none))));
        let unchecked: Vec<&str> = scope.unchecked_attributes(false).collect();
        assert_eq!(
            unchecked,
            [
                "kubernetes.cluster",
                "kubernetes.namespace",
                "kubernetes.label"
            ]
        );
        assert_eq!(scope.unchecked_attributes(true).count(), 0);
    }
}
