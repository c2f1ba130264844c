//! The content scanners a scan runs beside the package analyzers, adapted to the walk's
//! `FileScanner` contract, and the image-level checks that need the whole image.

use std::path::{Path, PathBuf};

use kabuto_catalog::FileMeta;
use kabuto_inventory::{FileFinding, FileScanner};
use kabuto_malware::{MalwareConfig, MalwareScanner};
use kabuto_secrets::{SecretConfig, SecretScanner};
use kabuto_types::{Digest, FileEntry, ImageMetadata, MisconfigFinding, SecretFinding};

use crate::EngineError;

pub(crate) struct Secrets(SecretScanner);

impl Secrets {
    /// The built-in rules, or a Trivy-shaped secret config file.
    pub(crate) fn load(config: Option<&Path>) -> Result<Self, EngineError> {
        let config = match config {
            Some(path) => {
                SecretConfig::from_yaml_file(path).map_err(|source| EngineError::SecretConfig {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => SecretConfig::default(),
        };
        Ok(Secrets(SecretScanner::new(config)?))
    }

    /// Secrets in the image config: environment variables and build history.
    pub(crate) fn scan_image_config(&self, image: &ImageMetadata) -> Vec<SecretFinding> {
        let env = image
            .env
            .iter()
            .enumerate()
            .flat_map(|(i, e)| self.0.scan_text_field(&format!("config:Env[{i}]"), e));
        let history = image.history.iter().enumerate().flat_map(|(i, h)| {
            h.created_by
                .as_deref()
                .map(|c| {
                    self.0
                        .scan_text_field(&format!("config:history[{i}].created_by"), c)
                })
                .unwrap_or_default()
        });
        env.chain(history).collect()
    }
}

impl FileScanner for Secrets {
    fn name(&self) -> &'static str {
        "secret"
    }
    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        self.0.wants(path, meta.size)
    }
    fn scan(
        &self,
        path: &str,
        content: &[u8],
        layer: Option<&Digest>,
    ) -> Result<Vec<FileFinding>, String> {
        Ok(self
            .0
            .scan(path, content)
            .into_iter()
            .map(|mut f| {
                f.layer_diff_id = layer.cloned();
                FileFinding::Secret(f)
            })
            .collect())
    }
}

pub(crate) struct Malware(MalwareScanner);

impl Malware {
    /// The bundled YARA rules and blocklist plus the user's rule directories and hash lists.
    pub(crate) fn load(rule_dirs: &[PathBuf], hash_lists: &[PathBuf]) -> Result<Self, EngineError> {
        let config = MalwareConfig {
            rule_dirs: rule_dirs.to_vec(),
            hash_lists: hash_lists.to_vec(),
            ..MalwareConfig::default()
        };
        Ok(Malware(MalwareScanner::new(&config)?))
    }
}

impl FileScanner for Malware {
    fn name(&self) -> &'static str {
        "malware"
    }
    fn wants(&self, path: &str, meta: &FileMeta) -> bool {
        self.0.wants(path, meta.size, meta.mode)
    }
    // Extension-less, non-executable scripts and the EICAR file are found by their first bytes.
    fn head_len(&self, _path: &str, meta: &FileMeta) -> usize {
        self.0.head_len(meta.size)
    }
    fn wants_head(&self, _path: &str, meta: &FileMeta, head: &[u8]) -> bool {
        self.0.wants_head(meta.size, head)
    }
    fn scan(
        &self,
        path: &str,
        content: &[u8],
        layer: Option<&Digest>,
    ) -> Result<Vec<FileFinding>, String> {
        let found = self.0.scan(path, content).map_err(|e| e.to_string())?;
        Ok(found
            .into_iter()
            .map(|mut f| {
                f.layer_diff_id = layer.cloned();
                FileFinding::Malware(f)
            })
            .collect())
    }
}

/// Dockerfiles and Kubernetes manifests found among the scanned files.
pub(crate) struct Misconfigs;

impl FileScanner for Misconfigs {
    fn name(&self) -> &'static str {
        "misconfig"
    }
    fn wants(&self, path: &str, _meta: &FileMeta) -> bool {
        kabuto_misconfig::wants(Path::new(path)).is_some()
    }
    fn scan(
        &self,
        path: &str,
        content: &[u8],
        layer: Option<&Digest>,
    ) -> Result<Vec<FileFinding>, String> {
        match kabuto_misconfig::scan_file(Path::new(path), content) {
            None => Ok(Vec::new()),
            Some(Err(e)) => Err(e.to_string()),
            Some(Ok(found)) => Ok(found
                .into_iter()
                .map(|mut f| {
                    f.layer_diff_id = layer.cloned();
                    FileFinding::Misconfig(f)
                })
                .collect()),
        }
    }
}

/// The image config checks (root user, secrets in ENV, exposed SSH, setuid binaries, ...).
pub(crate) fn image_config_checks(
    image: &ImageMetadata,
    special: &[FileEntry],
) -> Vec<MisconfigFinding> {
    kabuto_misconfig::scan_image_config(image, special)
}
