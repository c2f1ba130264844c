//! Misconfiguration checks for Dockerfiles, Kubernetes manifests and image configs.
//!
//! Entry points: [`wants`] picks the files worth reading, [`scan_file`] dispatches on it, and
//! [`scan_dockerfile`], [`scan_kubernetes`] and [`scan_image_config`] run one family of checks.
//! Every check is documented in [`registry::CHECKS`] (and `docs/misconfig-checks.md`).
//!
//! Inputs are untrusted: sizes are capped, YAML aliases and nesting are bounded, invalid UTF-8
//! and syntax errors are reported as [`MisconfigError`] naming the file and line.

mod credentials;
pub mod dockerfile;
mod image;
pub mod kubernetes;
pub mod registry;

use std::path::Path;

use kabuto_types::MisconfigFinding;

pub use image::scan_image_config;

/// Largest Dockerfile read; real ones are a few kilobytes.
pub const MAX_DOCKERFILE_BYTES: usize = 1 << 20;
/// Largest manifest file read; rendered Helm charts with CRDs reach a few megabytes.
pub const MAX_MANIFEST_BYTES: usize = 16 << 20;

/// The kinds of file this crate checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Dockerfile,
    /// YAML or JSON that may hold Kubernetes manifests (decided by content).
    Kubernetes,
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FileKind::Dockerfile => "Dockerfile",
            FileKind::Kubernetes => "Kubernetes manifest",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MisconfigError {
    #[error("{path}: {size} bytes is more than the {limit} bytes read for a {kind}")]
    TooLarge {
        path: String,
        kind: FileKind,
        size: usize,
        limit: usize,
    },
    #[error("{path}: not valid UTF-8 (line {line})")]
    InvalidUtf8 { path: String, line: usize },
    #[error("{path}: invalid Dockerfile: {source}")]
    Dockerfile {
        path: String,
        #[source]
        source: dockerfile::ParseError,
    },
    #[error("{path}: {source}")]
    Yaml {
        path: String,
        #[source]
        source: kubernetes::YamlError,
    },
}

/// Which checks apply to `path`, judged by its name: `Dockerfile`, `Containerfile`,
/// `Dockerfile.prod`, `app.dockerfile`; `*.yaml`, `*.yml`, `*.json` for Kubernetes.
pub fn wants(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let dockerfile_names = ["dockerfile", "containerfile"];
    if dockerfile_names.iter().any(|d| {
        name == *d
            || name
                .strip_prefix(d)
                .is_some_and(|rest| rest.starts_with('.'))
            || name.strip_suffix(d).is_some_and(|rest| rest.ends_with('.'))
    }) {
        return Some(FileKind::Dockerfile);
    }
    let extension = name.rsplit_once('.')?.1;
    matches!(extension, "yaml" | "yml" | "json").then_some(FileKind::Kubernetes)
}

/// Runs the checks [`wants`] picks for `path`; `None` when no check applies to the file.
pub fn scan_file(
    path: &Path,
    content: &[u8],
) -> Option<Result<Vec<MisconfigFinding>, MisconfigError>> {
    let shown = path.to_string_lossy();
    Some(match wants(path)? {
        FileKind::Dockerfile => scan_dockerfile(&shown, content),
        FileKind::Kubernetes => scan_kubernetes(&shown, content),
    })
}

/// Checks one Dockerfile; `path` is only used to label findings and errors.
pub fn scan_dockerfile(
    path: &str,
    content: &[u8],
) -> Result<Vec<MisconfigFinding>, MisconfigError> {
    let text = decode(path, content, FileKind::Dockerfile, MAX_DOCKERFILE_BYTES)?;
    let instructions = dockerfile::parse(text).map_err(|source| MisconfigError::Dockerfile {
        path: path.to_owned(),
        source,
    })?;
    Ok(dockerfile::check(path, &instructions))
}

/// Checks every Kubernetes workload in a YAML (multi-document, Helm-rendered, `List`) or JSON
/// file. Documents that are not Kubernetes objects are skipped; a file with none gives no
/// findings and a debug log.
pub fn scan_kubernetes(
    path: &str,
    content: &[u8],
) -> Result<Vec<MisconfigFinding>, MisconfigError> {
    let text = decode(path, content, FileKind::Kubernetes, MAX_MANIFEST_BYTES)?;
    kubernetes::scan(path, text).map_err(|source| MisconfigError::Yaml {
        path: path.to_owned(),
        source,
    })
}

fn decode<'a>(
    path: &str,
    content: &'a [u8],
    kind: FileKind,
    limit: usize,
) -> Result<&'a str, MisconfigError> {
    if content.len() > limit {
        return Err(MisconfigError::TooLarge {
            path: path.to_owned(),
            kind,
            size: content.len(),
            limit,
        });
    }
    let text = std::str::from_utf8(content).map_err(|e| MisconfigError::InvalidUtf8 {
        path: path.to_owned(),
        line: 1 + content[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_by_name() {
        for (name, kind) in [
            ("Dockerfile", Some(FileKind::Dockerfile)),
            ("src/Containerfile", Some(FileKind::Dockerfile)),
            ("Dockerfile.prod", Some(FileKind::Dockerfile)),
            ("api.dockerfile", Some(FileKind::Dockerfile)),
            ("k8s/deploy.yaml", Some(FileKind::Kubernetes)),
            ("chart.YML", Some(FileKind::Kubernetes)),
            ("pod.json", Some(FileKind::Kubernetes)),
            ("Dockerfiles", None),
            ("README.md", None),
            ("yaml", None),
        ] {
            assert_eq!(wants(Path::new(name)), kind, "{name}");
        }
    }

    #[test]
    fn invalid_utf8_and_size_are_errors_naming_the_file() {
        let err = scan_dockerfile("x/Dockerfile", b"FROM a\nRUN \xff\n").expect_err("bad utf8");
        assert_eq!(err.to_string(), "x/Dockerfile: not valid UTF-8 (line 2)");
        let big = vec![b'#'; MAX_DOCKERFILE_BYTES + 1];
        let err = scan_dockerfile("big/Dockerfile", &big).expect_err("too large");
        assert!(err.to_string().starts_with("big/Dockerfile: "), "{err}");
    }
}
