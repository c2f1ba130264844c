//! Node.js: installed `package.json` files and project lockfiles (`package-lock.json`,
//! `yarn.lock` classic and berry, `pnpm-lock.yaml`).

pub mod package_json;
pub mod package_lock;
pub mod pnpm_lock;
pub mod yarn_lock;

use std::collections::BTreeMap;

use kabuto_types::{Ecosystem, Package, Qualifiers};
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

/// Collects packages keyed by (name, version, purl qualifiers: the source when not a
/// registry): the same package reached as a dev and as a production dependency is a
/// production dependency.
#[derive(Default)]
pub(crate) struct Dedup {
    seen: BTreeMap<(String, String, Qualifiers), Package>,
}

impl Dedup {
    pub(crate) fn add(&mut self, package: Package) {
        let key = (
            package.name.clone(),
            package.version.clone(),
            package.purl.qualifiers().clone(),
        );
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

/// Where a lockfile resolved a package from. Packages from git or from a tarball URL carry
/// their source in the purl (`vcs_url`, `download_url`), as the purl specification
/// defines those qualifiers, so an SBOM lists them with where they really came from.
/// Packages from a project directory (`file:`, `link:`, `portal:`) keep a plain purl: a
/// path relative to the project means nothing to a reader of the SBOM, and the package's
/// location already names the lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Registry,
    /// The repository URL, `#` and the commit or ref when the lockfile pins one.
    Git(String),
    /// The tarball URL, without the checksum fragment yarn appends.
    Tarball(String),
    Local,
}

impl Origin {
    /// Where a resolved URL (package-lock `resolved`, yarn `resolved`, pnpm `tarball`)
    /// points: one in the layout every npm registry serves (`…/<name>/-/<file>.tgz`) is
    /// a registry package, anything else as [`Origin::of`] reads it.
    pub(crate) fn of_resolved(url: &str) -> Option<Origin> {
        let without_fragment = url.split('#').next().unwrap_or(url);
        if without_fragment.contains("/-/") && without_fragment.starts_with("http") {
            return Some(Origin::Registry);
        }
        Origin::of(url)
    }

    /// What a version spec or descriptor range says about the source:
    /// `git+https://…#sha`, `github:user/repo#sha`, `https://host/x.tgz`, `file:../x`...
    /// `None` for a protocol that is not a package source of its own (`workspace:`,
    /// `patch:`, `exec:`) or that we do not know.
    pub(crate) fn of(spec: &str) -> Option<Origin> {
        let spec = spec.trim();
        let without_fragment = spec.split('#').next().unwrap_or(spec);
        if let Some(url) = hosted_git_url(spec) {
            return Some(Origin::Git(url));
        }
        if ["git+", "git://", "git@"]
            .iter()
            .any(|p| spec.starts_with(p))
        {
            return Some(Origin::Git(spec.to_owned()));
        }
        if spec.starts_with("https://") || spec.starts_with("http://") {
            return Some(if without_fragment.ends_with(".git") {
                // yarn berry pins a commit as `#commit=<sha>`.
                Origin::Git(format!("git+{}", spec.replacen("#commit=", "#", 1)))
            } else {
                Origin::Tarball(without_fragment.to_owned())
            });
        }
        let local_path = ["./", "../", "/", "~/"].iter().any(|p| spec.starts_with(p));
        if local_path
            || ["file:", "link:", "portal:"]
                .iter()
                .any(|p| spec.starts_with(p))
        {
            return Some(Origin::Local);
        }
        if spec.contains('/') && !spec.contains(':') {
            // npm reads `owner/repo#ref` as a GitHub repository.
            return hosted_git_url(&format!("github:{spec}")).map(Origin::Git);
        }
        (spec.starts_with("npm:") || !spec.contains(':')).then_some(Origin::Registry)
    }

    /// The version to report when the lockfile records none: a git source's pinned ref.
    pub(crate) fn pinned_ref(&self) -> &str {
        match self {
            Origin::Git(url) => url.rsplit_once('#').map_or("", |(_, r)| r),
            _ => "",
        }
    }

    /// Adds this origin's qualifier to the package's purl.
    pub(crate) fn qualify(&self, package: &mut Package) {
        let (key, url) = match self {
            Origin::Git(url) => ("vcs_url", url),
            Origin::Tarball(url) => ("download_url", url),
            Origin::Registry | Origin::Local => return,
        };
        package.purl = package.purl.clone().with_qualifier(key, url);
    }
}

/// `github:user/repo#ref` (and `gitlab:`, `bitbucket:`) as the git URL npm clones.
fn hosted_git_url(spec: &str) -> Option<String> {
    let (host, rest) = [
        ("github:", "github.com"),
        ("gitlab:", "gitlab.com"),
        ("bitbucket:", "bitbucket.org"),
    ]
    .iter()
    .find_map(|(prefix, host)| Some((*host, spec.strip_prefix(prefix)?)))?;
    let (repo, fragment) = match rest.split_once('#') {
        Some((repo, r)) => (repo, format!("#{r}")),
        None => (rest, String::new()),
    };
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    Some(format!("git+https://{host}/{repo}.git{fragment}"))
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

/// An npm package a lockfile resolved from `origin`; without a recorded version, a git
/// source's pinned ref stands in (tarballs and directories then have none).
pub(crate) fn resolved_package(
    name: &str,
    version: Option<&str>,
    origin: &Origin,
    path: &str,
    found_by: &str,
) -> Package {
    let version = version.unwrap_or_else(|| origin.pinned_ref());
    let mut package = npm_package(name, version, path, found_by, false);
    origin.qualify(&mut package);
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
    fn origins_of_specs_and_resolved_urls() {
        let git = |u: &str| Some(Origin::Git(u.to_owned()));
        let tarball = |u: &str| Some(Origin::Tarball(u.to_owned()));
        assert_eq!(Origin::of("^4.17.1"), Some(Origin::Registry));
        assert_eq!(Origin::of("npm:string-width@4.2.3"), Some(Origin::Registry));
        assert_eq!(
            Origin::of_resolved("https://registry.yarnpkg.com/asap/-/asap-2.0.6.tgz#e503"),
            Some(Origin::Registry)
        );
        assert_eq!(
            Origin::of("https://registry.yarnpkg.com/asap/-/asap-2.0.6.tgz"),
            tarball("https://registry.yarnpkg.com/asap/-/asap-2.0.6.tgz")
        );
        assert_eq!(
            Origin::of_resolved("git+https://h/r.git#0a1b"),
            git("git+https://h/r.git#0a1b")
        );
        assert_eq!(
            Origin::of("git+ssh://git@github.com/u/r.git#0a1b"),
            git("git+ssh://git@github.com/u/r.git#0a1b")
        );
        assert_eq!(
            Origin::of("github:u/r#0a1b"),
            git("git+https://github.com/u/r.git#0a1b")
        );
        assert_eq!(
            Origin::of("https://github.com/u/r.git#commit=0a1b"),
            git("git+https://github.com/u/r.git#0a1b")
        );
        assert_eq!(
            Origin::of("https://example.invalid/x-1.0.0.tgz#sha1"),
            tarball("https://example.invalid/x-1.0.0.tgz")
        );
        assert_eq!(
            Origin::of("u/r#v2"),
            git("git+https://github.com/u/r.git#v2")
        );
        assert_eq!(Origin::of("../x"), Some(Origin::Local));
        assert_eq!(Origin::of("file:../x"), Some(Origin::Local));
        assert_eq!(Origin::of("link:../x"), Some(Origin::Local));
        assert_eq!(Origin::of("workspace:."), None);
        assert_eq!(Origin::of("unsupported:~2.0.6"), None);
        assert_eq!(git("git+https://h/r.git#v1").unwrap().pinned_ref(), "v1");
        assert_eq!(Origin::Local.pinned_ref(), "");
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
