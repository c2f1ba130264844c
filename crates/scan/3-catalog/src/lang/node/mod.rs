//! Node.js: installed `package.json` files and project lockfiles (`package-lock.json`,
//! `yarn.lock` classic and berry, `pnpm-lock.yaml`).

pub mod package_json;
pub mod package_lock;
pub mod pnpm_lock;
pub mod yarn_lock;

use std::collections::BTreeMap;

use kabuto_types::{Ecosystem, Package};
use serde_json::Value;

use crate::Analyzer;

pub use package_json::PackageJsonAnalyzer;
pub use package_lock::PackageLockAnalyzer;
pub use pnpm_lock::PnpmLockAnalyzer;
pub use yarn_lock::YarnLockAnalyzer;

pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(PackageJsonAnalyzer),
        Box::new(PackageLockAnalyzer),
        Box::new(YarnLockAnalyzer),
        Box::new(PnpmLockAnalyzer),
    ]
}

/// Splits `name@rest` where a scoped name itself starts with `@` (`@types/node@^1`).
pub(crate) fn split_at_version(descriptor: &str) -> Option<(&str, &str)> {
    let from = usize::from(descriptor.starts_with('@'));
    let at = descriptor.get(from..)?.find('@')? + from;
    Some((&descriptor[..at], &descriptor[at + 1..]))
}

/// Licences as npm metadata spells them: `"MIT"`, `{"type": "MIT"}`, or the legacy
/// `licenses: [...]` list of either.
pub(crate) fn licenses_of(license: Option<&Value>, legacy: Option<&Value>) -> Vec<String> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Value::Object(o) => o.get("type").and_then(one),
            _ => None,
        }
    }
    match (license, legacy) {
        (Some(Value::Array(list)), _) | (None, Some(Value::Array(list))) => {
            list.iter().filter_map(one).collect()
        }
        (Some(v), _) => one(v).into_iter().collect(),
        (None, Some(v)) => one(v).into_iter().collect(),
        (None, None) => Vec::new(),
    }
}

/// Collects packages keyed by (name, version): the same package reached as a dev and as a
/// production dependency is a production dependency.
#[derive(Default)]
pub(crate) struct Dedup {
    seen: BTreeMap<(String, String), Package>,
}

impl Dedup {
    pub(crate) fn add(&mut self, package: Package) {
        let key = (package.name.clone(), package.version.clone());
        match self.seen.get_mut(&key) {
            Some(existing) => {
                existing.dev &= package.dev;
                if existing.licenses.is_empty() {
                    existing.licenses = package.licenses;
                }
            }
            None => {
                self.seen.insert(key, package);
            }
        }
    }

    pub(crate) fn into_packages(self) -> Vec<Package> {
        self.seen.into_values().collect()
    }
}

/// An npm package found in `path` by analyzer `found_by`.
pub(crate) fn npm_package(
    name: &str,
    version: &str,
    path: &str,
    found_by: &str,
    dev: bool,
) -> Package {
    let mut package = Package::new(Ecosystem::Npm, name, version, path, found_by);
    package.dev = dev;
    package
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_scoped_and_plain_descriptors() {
        assert_eq!(
            split_at_version("@types/node@^18"),
            Some(("@types/node", "^18"))
        );
        assert_eq!(
            split_at_version("lodash@npm:4.17.4"),
            Some(("lodash", "npm:4.17.4"))
        );
        assert_eq!(split_at_version("lodash"), None);
        assert_eq!(split_at_version("@"), None);
    }

    #[test]
    fn reads_every_licence_spelling() {
        assert_eq!(licenses_of(Some(&json!("MIT")), None), ["MIT"]);
        assert_eq!(
            licenses_of(Some(&json!({"type": "ISC", "url": "x"})), None),
            ["ISC"]
        );
        assert_eq!(
            licenses_of(None, Some(&json!([{"type": "MIT"}, "Apache-2.0"]))),
            ["MIT", "Apache-2.0"]
        );
        assert!(licenses_of(Some(&json!(7)), None).is_empty());
    }
}
