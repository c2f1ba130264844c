//! Scanners that look at file contents for something other than packages (secrets, malware),
//! run in the same pass over the layers as the analyzers, and the notable file permissions
//! (setuid, setgid, world-writable) image checks and policies need.

use kabuto_catalog::FileMeta;
use kabuto_types::{
    Digest, FileEntry, Inventory, MalwareFinding, MisconfigFinding, SecretFinding, Warning,
    WarningCode,
};

/// Something a [`FileScanner`] found in one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileFinding {
    Secret(SecretFinding),
    Malware(MalwareFinding),
    /// A configuration file (Dockerfile, Kubernetes manifest) with a failed check.
    Misconfig(MisconfigFinding),
}

/// A content scanner run on every file it wants, in every layer: unlike packages, a secret
/// or a malicious file deleted by a later layer is still in the image's bytes, so findings
/// are not filtered by the squashed tree.
pub trait FileScanner: Sync {
    /// For warnings: `secret`, `malware`.
    fn name(&self) -> &'static str;
    fn wants(&self, path: &str, meta: &FileMeta) -> bool;
    /// For a file no analyzer or scanner wanted by name and mode: how many of its first
    /// bytes this scanner needs to see to decide (0, the default: none). Lets a scanner find
    /// content it cares about under any name, such as a script without an extension.
    fn head_len(&self, _path: &str, _meta: &FileMeta) -> usize {
        0
    }
    /// Whether a file declined by [`FileScanner::wants`] is wanted after all, from its first
    /// bytes `head` (at most [`FileScanner::head_len`] of them; fewer if the file is shorter).
    fn wants_head(&self, _path: &str, _meta: &FileMeta, _head: &[u8]) -> bool {
        false
    }
    /// `layer` is the diff ID of the layer the file came from (images only).
    fn scan(
        &self,
        path: &str,
        content: &[u8],
        layer: Option<&Digest>,
    ) -> Result<Vec<FileFinding>, String>;
}

/// Setuid, setgid or world-writable: the entries image checks and policies look at.
/// Everything else is not recorded, so an image of 100,000 files costs nothing here.
pub(crate) fn is_special(mode: u32) -> bool {
    mode & 0o6000 != 0 || mode & 0o002 != 0
}

/// Everything one pass over an artifact produced.
#[derive(Debug, Clone)]
pub struct ScanOutput {
    pub inventory: Inventory,
    /// Content-scanner findings, sorted by path then kind, duplicates (the same finding in
    /// several layers' copies of a file) removed.
    pub findings: Vec<FileFinding>,
    /// Setuid/setgid/world-writable entries visible in the final filesystem.
    pub special_files: Vec<FileEntry>,
    /// Regular files with an execute bit visible in the final filesystem, as image-relative
    /// paths (`usr/bin/ls`), sorted: what the runtime enforcer's `image_lockdown` lets run.
    pub executables: Vec<String>,
}

/// Whether a regular file's mode lets anyone execute it.
pub(crate) fn is_executable(mode: u32) -> bool {
    mode & 0o111 != 0
}

/// Runs the scanners that want a file and returns their findings; a scanner error becomes
/// a warning naming the file.
pub(crate) fn scan_content(
    scanners: &[&dyn FileScanner],
    which: &[usize],
    path: &str,
    content: &[u8],
    layer: Option<&Digest>,
    origin: &str,
) -> (Vec<FileFinding>, Vec<Warning>) {
    let mut findings = Vec::new();
    let mut warnings = Vec::new();
    for &i in which {
        match scanners[i].scan(path, content, layer) {
            Ok(found) => findings.extend(found),
            Err(message) => warnings.push(Warning::new(
                WarningCode::ScannerFailed,
                format!("{origin}{path}"),
                format!("{}: {message}", scanners[i].name()),
            )),
        }
    }
    (findings, warnings)
}

/// Indexes of the scanners that want a file.
pub(crate) fn wanting(scanners: &[&dyn FileScanner], path: &str, meta: &FileMeta) -> Vec<usize> {
    scanners
        .iter()
        .enumerate()
        .filter(|(_, s)| s.wants(path, meta))
        .map(|(i, _)| i)
        .collect()
}

/// How many leading bytes of a file nobody wanted by name the scanners would peek at (the
/// largest [`FileScanner::head_len`]; 0 when none would).
pub(crate) fn head_len(scanners: &[&dyn FileScanner], path: &str, meta: &FileMeta) -> usize {
    scanners
        .iter()
        .map(|s| s.head_len(path, meta))
        .max()
        .unwrap_or(0)
}

/// Indexes of the scanners that want a file after peeking at its first bytes.
pub(crate) fn wanting_head(
    scanners: &[&dyn FileScanner],
    path: &str,
    meta: &FileMeta,
    head: &[u8],
) -> Vec<usize> {
    scanners
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            let len = s.head_len(path, meta);
            len > 0 && s.wants_head(path, meta, &head[..head.len().min(len)])
        })
        .map(|(i, _)| i)
        .collect()
}

/// Sorts findings for stable reports and drops the copies a file leaves in several layers.
pub(crate) fn sort_and_dedup(findings: &mut Vec<FileFinding>) {
    // (path, line, column, what): a secret's column tells apart equal matches on one line.
    fn key(f: &FileFinding) -> (String, usize, usize, String) {
        match f {
            FileFinding::Secret(s) => (
                s.path.clone(),
                s.line,
                s.column,
                format!("secret {} {}", s.rule_id, s.redacted_match),
            ),
            FileFinding::Malware(m) => (
                m.path.clone(),
                0,
                0,
                format!("malware {} {}", m.rule, m.sha256),
            ),
            FileFinding::Misconfig(m) => (
                m.path.clone(),
                m.lines.map_or(0, |l| l.start),
                0,
                format!(
                    "misconfig {} {} {}",
                    m.check_id,
                    m.resource.as_deref().unwrap_or_default(),
                    m.message
                ),
            ),
        }
    }
    findings.sort_by_cached_key(key);
    findings.dedup_by(|a, b| key(a) == key(b));
}
