//! Runtime policies for Kabuto's enforcer: files in the vocabulary of Aqua's container
//! runtime policies (JSON or YAML, checked with `file:line:column` diagnostics by the same
//! reader as the image assurance policies), scoped to containers by their attributes, and a
//! rule engine that judges a runtime event into allow / detect / block, naming the policy and
//! the [`Control`] (stable codes `KRT001`...). See this crate's README for the fields.
//!
//! ```no_run
//! # fn demo() -> Result<(), kabuto_runtime_policy::RuntimePolicyError> {
//! use kabuto_runtime_policy::{Container, Entry, Event, FileOrigin, Process, RuntimePolicies};
//! let policies = RuntimePolicies::load(&["runtime.yaml"])?;
//! let container = Container { id: "c1".into(), image: "debian:12".into(), ..Container::default() };
//! let scoped = policies.for_container(&container);
//! let process = Process { pid: 42, path: "/usr/bin/nc", comm: "nc", uid: 0 };
//! let event = Event::Exec { process, entry: Entry::Init, origin: FileOrigin::Original };
//! let verdict = scoped.judge(&event, time::OffsetDateTime::now_utc());
//! println!("{}", verdict.action());
//! # Ok(()) }
//! ```

mod control;
mod engine;
mod event;
mod policy;
mod raw;
mod scope;

use std::path::Path;

pub use control::Control;
pub use engine::{Action, ContainerPolicies, Hit, Verdict};
pub use event::{
    Container, Entry, Event, FileOp, FileOrigin, NetworkOp, Process, StartConfig, Syscall,
};
pub use kabuto_policy::Diagnostic;
pub use policy::{Executable, Network, PortRange, RuntimePolicy};

use policy::CheckedPolicy;

/// Why a runtime policy file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimePolicyError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not a valid runtime policy: the diagnostic names file, line, column and field.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
    #[error("{file}: two runtime policies are named `{name}`")]
    DuplicateName { file: String, name: String },
    #[error("{file}: no runtime policies in the file")]
    Empty { file: String },
}

impl From<Diagnostic> for RuntimePolicyError {
    fn from(diagnostic: Diagnostic) -> Self {
        RuntimePolicyError::Invalid(Box::new(diagnostic))
    }
}

/// The runtime policies of one or more files; names are unique across them.
#[derive(Debug, Clone, Default)]
pub struct RuntimePolicies {
    policies: Vec<RuntimePolicy>,
}

impl RuntimePolicies {
    /// Reads every file (YAML or JSON: one policy, a list, or `policies: [...]`).
    pub fn load(paths: &[impl AsRef<Path>]) -> Result<RuntimePolicies, RuntimePolicyError> {
        let mut all = RuntimePolicies::default();
        for path in paths {
            let path = path.as_ref();
            let file = path.display().to_string();
            let text =
                kabuto_yaml::read_config(path).map_err(|source| RuntimePolicyError::Read {
                    file: file.clone(),
                    source,
                })?;
            all.extend(RuntimePolicies::parse(&text, &file)?.policies, &file)?;
        }
        Ok(all)
    }

    /// Parses one file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<RuntimePolicies, RuntimePolicyError> {
        let checked: Vec<CheckedPolicy> = kabuto_policy::document::parse_policies(text, file)?;
        let mut set = RuntimePolicies::default();
        set.extend(checked.into_iter().map(|c| c.0), file)?;
        if set.policies.is_empty() {
            return Err(RuntimePolicyError::Empty {
                file: file.to_owned(),
            });
        }
        Ok(set)
    }

    /// This set with `other`'s policies after its own (an enforcer's files and the server's);
    /// `origin` names `other` when a name is in both.
    pub fn merge(
        mut self,
        other: RuntimePolicies,
        origin: &str,
    ) -> Result<RuntimePolicies, RuntimePolicyError> {
        self.extend(other.policies, origin)?;
        Ok(self)
    }

    fn extend(
        &mut self,
        policies: impl IntoIterator<Item = RuntimePolicy>,
        file: &str,
    ) -> Result<(), RuntimePolicyError> {
        for policy in policies {
            if self.policies.iter().any(|p| p.name == policy.name) {
                return Err(RuntimePolicyError::DuplicateName {
                    file: file.to_owned(),
                    name: policy.name,
                });
            }
            self.policies.push(policy);
        }
        Ok(())
    }

    pub fn policies(&self) -> &[RuntimePolicy] {
        &self.policies
    }

    /// The policies that apply to `container` (enabled, in scope, not bypassed).
    pub fn for_container(&self, container: &Container) -> ContainerPolicies<'_> {
        ContainerPolicies::new(&self.policies, container)
    }
}
