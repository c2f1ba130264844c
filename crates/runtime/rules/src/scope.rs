//! Which containers a runtime policy applies to: Aqua's scope (variables combined by an
//! expression such as `v1 && (v2 || v3)`) over container attributes. The expression grammar
//! is the image policies' ([`kabuto_policy::document::Expr`]).

use kabuto_policy::Pattern;
use kabuto_policy::document::{Expr, FieldError};
use kabuto_types::ImageReference;
use serde::Deserialize;

use crate::event::Container;

/// A scope: variables and the expression combining them. An empty scope holds for every
/// container.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawScope")]
pub struct ContainerScope {
    expr: Option<Expr>,
    conditions: Vec<Condition>,
}

/// `scope` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScope {
    #[serde(default)]
    pub expression: Option<String>,
    #[serde(default)]
    pub variables: Option<Vec<Condition>>,
}

/// One `variables` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    attribute: String,
    /// For label attributes: the label key.
    #[serde(default)]
    name: Option<String>,
    value: Pattern,
}

impl TryFrom<RawScope> for ContainerScope {
    type Error = FieldError;
    fn try_from(raw: RawScope) -> Result<Self, FieldError> {
        let conditions = raw.variables.unwrap_or_default();
        let expr = Expr::of_scope(raw.expression.as_deref(), conditions.len())?;
        Ok(ContainerScope { expr, conditions })
    }
}

impl ContainerScope {
    /// Whether the scope holds for `container`.
    pub fn matches(&self, container: &Container) -> bool {
        let image = ImageReference::parse(&container.image).ok();
        match &self.expr {
            Some(expr) => expr.eval(&|index| {
                self.conditions
                    .get(index)
                    .is_some_and(|c| c.holds(container, image.as_ref()))
            }),
            None => true,
        }
    }
}

/// One scope variable over a container attribute.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawVariable")]
pub(crate) enum Condition {
    ContainerName(Pattern),
    /// `container.label`, `kubernetes.label`: a label or annotation of the container.
    Label {
        key: String,
        value: Pattern,
    },
    ImageName(Pattern),
    ImageRegistry(Pattern),
    ImageRepository(Pattern),
    ImageTag(Pattern),
    Namespace(Pattern),
    Pod(Pattern),
    Host(Pattern),
}

const ATTRIBUTES: &str = "container.name, container.label, image.name, image.registry, \
                          image.repo, image.tag, kubernetes.namespace, kubernetes.pod, \
                          kubernetes.label, host.name";

impl TryFrom<RawVariable> for Condition {
    type Error = FieldError;
    fn try_from(variable: RawVariable) -> Result<Self, FieldError> {
        let value = variable.value;
        let attribute = variable.attribute.trim();
        Ok(match attribute {
            "container.name" => Condition::ContainerName(value),
            "container.label" | "kubernetes.label" => {
                let key = variable
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .ok_or_else(|| {
                        FieldError::new(
                            "name",
                            format!("`{attribute}` needs `name`: the label key"),
                        )
                    })?;
                Condition::Label {
                    key: key.to_owned(),
                    value,
                }
            }
            "image.name" | "image" => Condition::ImageName(value),
            "image.registry" | "aqua.registry" => Condition::ImageRegistry(value),
            "image.repo" | "image.repository" => Condition::ImageRepository(value),
            "image.tag" => Condition::ImageTag(value),
            "kubernetes.namespace" => Condition::Namespace(value),
            "kubernetes.pod" => Condition::Pod(value),
            "host.name" | "aqua.host" => Condition::Host(value),
            other => {
                return Err(FieldError::new(
                    "attribute",
                    format!("unknown scope attribute `{other}`: expected one of {ATTRIBUTES}"),
                ));
            }
        })
    }
}

impl Condition {
    fn holds(&self, container: &Container, image: Option<&ImageReference>) -> bool {
        match self {
            Condition::ContainerName(p) => p.is_match(&container.name),
            Condition::Label { key, value } => container
                .labels
                .get(key)
                .is_some_and(|found| value.is_match(found)),
            Condition::ImageName(p) => {
                p.is_match(&container.image)
                    || image
                        .is_some_and(|i| p.is_match(&i.name()) || p.is_match(&i.familiar_name()))
            }
            Condition::ImageRegistry(p) => image.is_some_and(|i| p.is_match(i.registry())),
            Condition::ImageRepository(p) => image
                .is_some_and(|i| p.is_match(i.repository()) || p.is_match(i.familiar_repository())),
            Condition::ImageTag(p) => image
                .and_then(ImageReference::tag)
                .is_some_and(|t| p.is_match(t)),
            Condition::Namespace(p) => container
                .namespace
                .as_deref()
                .is_some_and(|n| p.is_match(n)),
            Condition::Pod(p) => container.pod.as_deref().is_some_and(|n| p.is_match(n)),
            Condition::Host(p) => p.is_match(&container.host),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn scope(yaml: &str) -> ContainerScope {
        let value: serde_json::Value = serde_json::from_str(yaml).expect("json");
        serde_json::from_value(value).expect("scope")
    }

    #[test]
    fn conditions_over_container_attributes() {
        let container = Container {
            id: "c1".into(),
            name: "web".into(),
            image: "registry.example.invalid/team/app:1.2".into(),
            pod: Some("web-7f9".into()),
            namespace: Some("prod".into()),
            labels: BTreeMap::from([("app".to_owned(), "payments".to_owned())]),
            host: "node-1".into(),
        };
        let holds = |expression: &str, variables: &str| {
            scope(&format!(
                r#"{{"expression": "{expression}", "variables": {variables}}}"#
            ))
            .matches(&container)
        };
        let vars = r#"[{"attribute": "kubernetes.namespace", "value": "prod"},
                       {"attribute": "container.label", "name": "app", "value": "pay*"},
                       {"attribute": "image.registry", "value": "registry.example.invalid"},
                       {"attribute": "image.tag", "value": "2.*"},
                       {"attribute": "image.repo", "value": "team/app"},
                       {"attribute": "container.name", "value": "web"},
                       {"attribute": "kubernetes.pod", "value": "web-*"},
                       {"attribute": "host.name", "value": "node-2"}]"#;
        assert!(holds("v1 && v2 && v3 && v5 && v6 && v7", vars));
        assert!(!holds("v4", vars), "tag 1.2 is not 2.*");
        assert!(!holds("v8", vars), "host is node-1");
        assert!(holds("v4 || v1", vars));
        assert!(holds("!v8", vars));
        assert!(scope("{}").matches(&container), "an empty scope holds");
        let host_container = Container::default();
        assert!(
            !scope(&format!(
                r#"{{"expression": "v1 || v2 || v3 || v7", "variables": {vars}}}"#
            ))
            .matches(&host_container),
            "a container without pod, labels or image matches none of them"
        );
    }
}
