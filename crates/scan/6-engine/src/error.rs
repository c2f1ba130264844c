//! Why a scan or a re-evaluation could not produce a result.

use std::path::PathBuf;

/// Everything that stops a scan. A problem with one file inside the artifact is not an
/// error: it is a warning in the result's inventory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The caller's [`crate::Cancel`] flag was set before the scan finished.
    #[error("the scan was cancelled")]
    Cancelled,
    /// An image could not be opened (archive, layout, registry).
    #[error(transparent)]
    Source(#[from] kabuto_source::SourceError),
    /// The artifact could not be walked (a layer is corrupt, a directory is unreadable).
    #[error(transparent)]
    Inventory(kabuto_inventory::InventoryError),
    /// A local path that does not exist (and cannot be a registry reference).
    #[error("{0}: no such file or directory")]
    NoSuchPath(String),
    /// `rootfs:` or `dir:` given where an image is expected.
    #[error("{0}: is a directory, not an image (use `kabuto scan rootfs` or `fs`)")]
    NotAnImage(String),
    #[error("{0}: --offline: refusing to pull from a registry; scan a local archive or layout")]
    Offline(String),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `kabuto config FILE` on a file that is neither a Dockerfile nor a Kubernetes manifest.
    #[error("{}: not a Dockerfile or Kubernetes manifest (by its name)", .0.display())]
    NotAConfigFile(PathBuf),
    #[error(transparent)]
    Misconfig(#[from] kabuto_misconfig::MisconfigError),
    #[error("secret config {}", .path.display())]
    SecretConfig {
        path: PathBuf,
        #[source]
        source: kabuto_secrets::SecretError,
    },
    #[error(transparent)]
    Secrets(#[from] kabuto_secrets::SecretError),
    #[error(transparent)]
    Malware(#[from] kabuto_malware::MalwareError),
    #[error(transparent)]
    Policy(#[from] kabuto_policy::PolicyError),
    #[error("acknowledgements {}", .path.display())]
    Acknowledgements {
        path: PathBuf,
        #[source]
        source: kabuto_policy::PolicyError,
    },
    #[error(transparent)]
    Suppression(#[from] kabuto_match::suppress::SuppressError),
    /// A package database could not be read whole (over the size limit, cut short, over the
    /// package cap) and the plan does not accept partial results: a gate must not pass on
    /// an inventory that may be missing packages.
    #[error(
        "incomplete package database ({code}): {files}; packages it lists may be missing from \
         this scan. Pass --allow-incomplete to report what was read",
        code = kabuto_types::WarningCode::IncompletePackageDatabase,
        files = .0.join(", ")
    )]
    IncompletePackageDatabase(Vec<String>),
    /// A stored inventory or SBOM could not be read.
    #[error(transparent)]
    Stored(#[from] crate::StoredError),
    /// The plan asks for a scanner the engine was not built with (see [`crate::Engine::new`]).
    #[error("the scan engine was built without {0}")]
    NotLoaded(&'static str),
}

impl From<kabuto_inventory::InventoryError> for EngineError {
    fn from(error: kabuto_inventory::InventoryError) -> Self {
        match error {
            kabuto_inventory::InventoryError::Cancelled => EngineError::Cancelled,
            other => EngineError::Inventory(other),
        }
    }
}
