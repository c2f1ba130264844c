//! Policy files that may hold both kinds of policy (`kabuto kube-enforcer --policy FILE`):
//! each policy goes to its set by its `assurance_type` (absent or `image`: an image
//! policy; `kubernetes`: a Kubernetes policy), read in one typed pass so errors keep their
//! file, line and field.

use std::fmt;
use std::path::Path;

use serde::Deserializer;
use serde::de::{Deserialize, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::compile::{CheckedPolicy, Policy};
use crate::kubernetes::{ASSURANCE_TYPE, CheckedKubernetesPolicy, KubernetesPolicy};
use crate::load::Shape;
use crate::{KubernetesPolicySet, PolicyError, PolicySet, load};

/// Image and Kubernetes policies read from the same files.
#[derive(Debug, Clone, Default)]
pub struct PolicyFiles {
    pub image: PolicySet,
    pub kubernetes: KubernetesPolicySet,
}

impl PolicyFiles {
    /// Reads every file; policy names must be unique across all of them and both kinds.
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<PolicyFiles, PolicyError> {
        let mut files = PolicyFiles::default();
        for path in paths {
            let path = path.as_ref();
            let file = path.display().to_string();
            files.merge(PolicyFiles::parse(&load::read(path)?, &file)?, &file)?;
        }
        Ok(files)
    }

    /// Parses one file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<PolicyFiles, PolicyError> {
        let (shape, types) = load::assurance_types(text, file)?;
        let kinds: Vec<Kind> = types.iter().map(|kind| Kind::of(kind.as_deref())).collect();
        let seed = DocumentSeed {
            shape,
            kinds: &kinds,
        };
        let mut files = PolicyFiles::default();
        for policy in load::parse_seed(text, file, seed)? {
            match policy {
                AnyPolicy::Image(policy) => files.image.extend([policy], file)?,
                AnyPolicy::Kubernetes(policy) => files.kubernetes.extend([policy], file)?,
            }
            files.refuse_shared_names(file)?;
        }
        if files.image.policies().is_empty() && files.kubernetes.is_empty() {
            return Err(PolicyError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(files)
    }

    /// Adds the policies of another file; names must stay unique.
    pub fn merge(&mut self, other: PolicyFiles, file: &str) -> Result<(), PolicyError> {
        self.image.merge(other.image, file)?;
        self.kubernetes.merge(other.kubernetes, file)?;
        self.refuse_shared_names(file)
    }

    /// Verdicts and audit events name policies: an image and a Kubernetes policy may not
    /// share a name.
    fn refuse_shared_names(&self, file: &str) -> Result<(), PolicyError> {
        let shared = self.kubernetes.policies().iter().find(|k| {
            self.image
                .policies()
                .iter()
                .any(|image| image.name == k.name)
        });
        match shared {
            Some(policy) => Err(PolicyError::DuplicateName {
                file: file.to_owned(),
                name: policy.name.clone(),
            }),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Image,
    Kubernetes,
}

impl Kind {
    fn of(assurance_type: Option<&str>) -> Kind {
        match assurance_type {
            Some(kind) if kind.trim().eq_ignore_ascii_case(ASSURANCE_TYPE) => Kind::Kubernetes,
            // Other kinds are refused by the image policy's own check, at their line.
            _ => Kind::Image,
        }
    }
}

enum AnyPolicy {
    Image(Policy),
    Kubernetes(KubernetesPolicy),
}

/// One policy of a known kind.
struct PolicySeed(Kind);

impl<'de> DeserializeSeed<'de> for PolicySeed {
    type Value = AnyPolicy;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<AnyPolicy, D::Error> {
        Ok(match self.0 {
            Kind::Image => AnyPolicy::Image(CheckedPolicy::deserialize(deserializer)?.0),
            Kind::Kubernetes => {
                AnyPolicy::Kubernetes(CheckedKubernetesPolicy::deserialize(deserializer)?.0)
            }
        })
    }
}

/// A list of policies whose kinds are known in order.
struct ListSeed<'k>(&'k [Kind]);

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<AnyPolicy>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<AnyPolicy>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of policies")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut policies = Vec::new();
        loop {
            let kind = self.0.get(policies.len()).copied().unwrap_or(Kind::Image);
            match seq.next_element_seed(PolicySeed(kind))? {
                Some(policy) => policies.push(policy),
                None => return Ok(policies),
            }
        }
    }
}

/// A document: one policy, a list, or `policies: [...]` (with an optional `$schema`).
struct DocumentSeed<'k> {
    shape: Shape,
    kinds: &'k [Kind],
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = Vec<AnyPolicy>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        match self.shape {
            Shape::Sequence => ListSeed(self.kinds).deserialize(deserializer),
            Shape::MappingWith(true) => deserializer.deserialize_map(PolicyListVisitor(self.kinds)),
            Shape::MappingWith(false) | Shape::Other => {
                let kind = self.kinds.first().copied().unwrap_or(Kind::Image);
                Ok(vec![PolicySeed(kind).deserialize(deserializer)?])
            }
        }
    }
}

/// `policies: [...]`, as [`load::parse_policies`] reads it for one kind.
struct PolicyListVisitor<'k>(&'k [Kind]);

impl<'de> Visitor<'de> for PolicyListVisitor<'_> {
    type Value = Vec<AnyPolicy>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`policies: [...]`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        const FIELDS: &[&str] = &["$schema", "policies"];
        let mut policies = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "policies" if policies.is_none() => {
                    policies = Some(map.next_value_seed(ListSeed(self.0))?);
                }
                "policies" => return Err(serde::de::Error::duplicate_field("policies")),
                "$schema" => {
                    map.next_value::<IgnoredAny>()?;
                }
                other => return Err(serde::de::Error::unknown_field(other, FIELDS)),
            }
        }
        policies.ok_or_else(|| serde::de::Error::missing_field("policies"))
    }
}
