//! Turning what the user typed into something to scan.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kabuto_source::ImageSource;
use kabuto_types::ArtifactKind;

use crate::cli::RegistryArgs;

/// A resolved scan target.
pub enum Target {
    Image(Box<dyn ImageSource>),
    Directory(PathBuf, ArtifactKind),
}

/// The prefixes that force a target's kind.
const PREFIXES: [(&str, Kind); 7] = [
    ("docker-archive:", Kind::Local),
    ("oci-archive:", Kind::Local),
    ("oci-dir:", Kind::Local),
    ("registry:", Kind::Registry),
    ("docker://", Kind::Registry),
    ("rootfs:", Kind::Dir(ArtifactKind::Rootfs)),
    ("dir:", Kind::Dir(ArtifactKind::Filesystem)),
];

/// The target without its kind prefix, and that kind; `None` without a prefix.
fn prefixed(target: &str) -> Option<(&str, Kind)> {
    PREFIXES
        .iter()
        .find_map(|&(prefix, kind)| Some((target.strip_prefix(prefix)?, kind)))
}

/// Resolves a `kabuto sbom` target, honouring an explicit kind prefix.
pub fn resolve(target: &str, registry: &RegistryArgs) -> Result<Target> {
    if let Some((rest, kind)) = prefixed(target) {
        return open(rest, kind, registry);
    }
    let path = Path::new(target);
    let kind = if path.is_dir() && !path.join("oci-layout").exists() {
        Kind::Dir(ArtifactKind::Filesystem)
    } else if path.exists() || local_with_selector(target).is_some() || looks_like_a_path(target) {
        Kind::Local
    } else {
        Kind::Registry
    };
    open(target, kind, registry)
}

/// Resolves a `kabuto scan image` target: a local archive or layout, or a reference, with
/// the same kind prefixes as `kabuto sbom` (a directory prefix is refused).
pub fn resolve_image(target: &str, registry: &RegistryArgs) -> Result<Box<dyn ImageSource>> {
    let (path, kind) = match prefixed(target) {
        Some((_, Kind::Dir(_))) => return unreachable_directory(target),
        Some(found) => found,
        None => {
            let local = Path::new(target).exists() || local_with_selector(target).is_some();
            if !local && looks_like_a_path(target) {
                anyhow::bail!("{target}: no such file or directory");
            }
            (target, if local { Kind::Local } else { Kind::Registry })
        }
    };
    match open(path, kind, registry)? {
        Target::Image(image) => Ok(image),
        Target::Directory(..) => unreachable_directory(target),
    }
}

fn unreachable_directory(target: &str) -> Result<Box<dyn ImageSource>> {
    anyhow::bail!("{target}: is a directory, not an image (use `kabuto scan rootfs` or `fs`)")
}

/// Registry references never start with `/` or `.`, and never end in an archive suffix.
fn looks_like_a_path(target: &str) -> bool {
    target.starts_with(['/', '.'])
        || [".tar", ".tar.gz", ".tgz", ".tar.zst"]
            .iter()
            .any(|suffix| target.ends_with(suffix))
}

#[derive(Clone, Copy)]
enum Kind {
    Local,
    Registry,
    Dir(ArtifactKind),
}

/// `layout-dir:tag` or `archive.tar:tag`: an existing path followed by an image selector.
fn local_with_selector(target: &str) -> Option<(&str, &str)> {
    let (path, selector) = target.rsplit_once(':')?;
    (Path::new(path).exists() && !selector.contains('/')).then_some((path, selector))
}

fn open(target: &str, kind: Kind, registry: &RegistryArgs) -> Result<Target> {
    Ok(match kind {
        Kind::Dir(kind) => Target::Directory(PathBuf::from(target), kind),
        Kind::Local => {
            let (path, selector) = if Path::new(target).exists() {
                (target, None)
            } else {
                local_with_selector(target).map_or((target, None), |(p, s)| (p, Some(s)))
            };
            // Source errors start with the image's name already.
            Target::Image(kabuto_source::open_local(Path::new(path), selector)?)
        }
        Kind::Registry => {
            if registry.offline {
                anyhow::bail!(
                    "{target}: --offline: refusing to pull from a registry; scan a local archive or layout"
                );
            }
            let mut options = kabuto_source::registry::RegistryOptions::from_env();
            if let (Some(user), Some(password)) = (&registry.username, &registry.password) {
                options.credentials = Some(kabuto_source::registry::Credentials::new(
                    user.clone(),
                    password.clone(),
                ));
            }
            options.platform = registry
                .platform
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--platform: {e}"))?;
            options.insecure = registry.insecure;
            options.ca_file.clone_from(&registry.registry_ca);
            Target::Image(kabuto_source::registry::open_registry(target, &options)?)
        }
    })
}
