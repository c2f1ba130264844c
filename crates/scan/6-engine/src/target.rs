//! What to scan, as a front end names it, and how that name becomes something to read.

use std::path::{Path, PathBuf};

use kabuto_source::ImageSource;
use kabuto_source::registry::RegistryOptions;
use kabuto_types::ArtifactKind;

use crate::EngineError;

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A container image: an existing archive or OCI layout (`path:tag` picks a tag), or
    /// else a registry reference.
    Image(String),
    /// A root filesystem directory (a host's `/`, an unpacked image).
    Rootfs(PathBuf),
    /// A project directory: lockfiles and manifests as well as installed packages.
    Project(PathBuf),
    /// An image as in [`Target::Image`] (also `docker-archive:`, `oci-archive:`, `oci-dir:`
    /// or `registry:` prefixed), or a directory: `rootfs:` and `dir:` prefixes, and a
    /// directory without an `oci-layout` file is a project (what `kabuto sbom` accepts).
    Any(String),
    /// Dockerfiles and Kubernetes manifests: one file, or a directory holding them. Only the
    /// misconfiguration scanner runs.
    ConfigFiles(PathBuf),
}

/// How to reach registries, for targets that name one.
#[derive(Debug, Clone, Default)]
pub struct RegistryAccess {
    pub options: RegistryOptions,
    /// Never use the network: a registry reference is an error.
    pub offline: bool,
}

/// A target ready to be read.
pub(crate) enum Opened {
    Image(Box<dyn ImageSource>),
    Directory(PathBuf, ArtifactKind),
    ConfigFiles(PathBuf),
}

#[derive(Clone, Copy)]
enum Kind {
    Local,
    Registry,
    Dir(ArtifactKind),
}

const PREFIXES: [(&str, Kind); 7] = [
    ("docker-archive:", Kind::Local),
    ("oci-archive:", Kind::Local),
    ("oci-dir:", Kind::Local),
    ("registry:", Kind::Registry),
    ("docker://", Kind::Registry),
    ("rootfs:", Kind::Dir(ArtifactKind::Rootfs)),
    ("dir:", Kind::Dir(ArtifactKind::Filesystem)),
];

impl Target {
    /// Opens the target: reads an image's metadata (from the archive, or the registry), or
    /// checks nothing yet for directories (their walk names what is missing).
    pub(crate) fn open(&self, registry: &RegistryAccess) -> Result<Opened, EngineError> {
        match self {
            Target::Image(text) => match split_prefix(text) {
                Some((_, Kind::Dir(_))) => Err(EngineError::NotAnImage(text.clone())),
                Some((rest, kind)) => open(rest, kind, registry),
                None => open(text, image_kind(text)?, registry),
            },
            Target::Any(text) => match split_prefix(text) {
                Some((rest, kind)) => open(rest, kind, registry),
                None => open(text, any_kind(text), registry),
            },
            Target::Rootfs(path) => Ok(Opened::Directory(path.clone(), ArtifactKind::Rootfs)),
            Target::Project(path) => Ok(Opened::Directory(path.clone(), ArtifactKind::Filesystem)),
            Target::ConfigFiles(path) => Ok(Opened::ConfigFiles(path.clone())),
        }
    }
}

fn split_prefix(text: &str) -> Option<(&str, Kind)> {
    PREFIXES
        .iter()
        .find_map(|(prefix, kind)| Some((text.strip_prefix(prefix)?, *kind)))
}

/// An unprefixed image: local when the path (or `path:tag`) exists; a missing path that
/// cannot be a reference is an error rather than a confusing registry failure.
fn image_kind(text: &str) -> Result<Kind, EngineError> {
    let local = Path::new(text).exists() || local_with_selector(text).is_some();
    if !local && looks_like_a_path(text) {
        return Err(EngineError::NoSuchPath(text.to_owned()));
    }
    Ok(if local { Kind::Local } else { Kind::Registry })
}

/// An unprefixed `kabuto sbom` target: a plain directory is a project.
fn any_kind(text: &str) -> Kind {
    let path = Path::new(text);
    if path.is_dir() && !path.join("oci-layout").exists() {
        Kind::Dir(ArtifactKind::Filesystem)
    } else if path.exists() || local_with_selector(text).is_some() || looks_like_a_path(text) {
        Kind::Local
    } else {
        Kind::Registry
    }
}

/// Registry references never start with `/` or `.`, and never end in an archive suffix.
fn looks_like_a_path(target: &str) -> bool {
    target.starts_with(['/', '.'])
        || [".tar", ".tar.gz", ".tgz", ".tar.zst"]
            .iter()
            .any(|suffix| target.ends_with(suffix))
}

/// `layout-dir:tag` or `archive.tar:tag`: an existing path followed by an image selector.
fn local_with_selector(target: &str) -> Option<(&str, &str)> {
    let (path, selector) = target.rsplit_once(':')?;
    (Path::new(path).exists() && !selector.contains('/')).then_some((path, selector))
}

fn open(target: &str, kind: Kind, registry: &RegistryAccess) -> Result<Opened, EngineError> {
    Ok(match kind {
        Kind::Dir(kind) => Opened::Directory(PathBuf::from(target), kind),
        Kind::Local => {
            let (path, selector) = if Path::new(target).exists() {
                (target, None)
            } else {
                local_with_selector(target).map_or((target, None), |(p, s)| (p, Some(s)))
            };
            Opened::Image(kabuto_source::open_local(Path::new(path), selector)?)
        }
        Kind::Registry => {
            if registry.offline {
                return Err(EngineError::Offline(target.to_owned()));
            }
            Opened::Image(kabuto_source::registry::open_registry(
                target,
                &registry.options,
            )?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline() -> RegistryAccess {
        RegistryAccess {
            offline: true,
            ..RegistryAccess::default()
        }
    }

    #[test]
    fn unprefixed_targets_keep_their_kinds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().display().to_string();
        assert!(matches!(
            Target::Any(path).open(&offline()),
            Ok(Opened::Directory(_, ArtifactKind::Filesystem))
        ));
        let missing = format!("{}/none.tar", dir.path().display());
        assert!(matches!(
            Target::Image(missing).open(&offline()),
            Err(EngineError::NoSuchPath(_))
        ));
        assert!(matches!(
            Target::Image("example.invalid/app:1".into()).open(&offline()),
            Err(EngineError::Offline(_))
        ));
    }
}
