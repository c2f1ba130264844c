//! Content controls: what the image's files hold (malware, secrets, misconfigurations) and
//! blocked file permissions. Each needs its scanner's results; without them it is unknown.

use kabuto_types::{FileEntry, FileKind, SecretFinding};

use super::{Control, judged, not_scanned, required_list};
use crate::Needs;
use crate::facts::Prepared;
use crate::input::{MalwareHit, MisconfigHit};
use crate::matchers::{FieldError, Pattern, PermissionKind};
use crate::raw::RawPolicy;
use crate::verdict::{ControlResult, FileItem, Item, SecretItem};

#[derive(Debug, Clone)]
pub(crate) enum ContentControl {
    Malware,
    SensitiveData { ignored_paths: Vec<Pattern> },
    BlacklistPermissions(Vec<PermissionKind>),
    MisconfigurationChecks(Vec<Pattern>),
}

pub(super) fn malware(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    Ok(raw
        .disallow_malware
        .then_some(Control::Content(ContentControl::Malware)))
}

pub(super) fn sensitive_data(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.scan_sensitive_data {
        return Ok(None);
    }
    let ignored_paths = raw.ignored_sensitive_resources.take().unwrap_or_default();
    Ok(Some(Control::Content(ContentControl::SensitiveData {
        ignored_paths,
    })))
}

pub(super) fn blacklist_permissions(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.blacklist_permissions_enabled {
        return Ok(None);
    }
    let kinds = required_list(
        "blacklist_permissions_enabled",
        raw.blacklist_permissions.take(),
    )?;
    Ok(Some(Control::Content(
        ContentControl::BlacklistPermissions(kinds),
    )))
}

pub(super) fn misconfiguration_checks(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.misconfiguration_checks_enabled {
        return Ok(None);
    }
    let checks = required_list(
        "misconfiguration_checks_enabled",
        raw.misconfiguration_checks.take(),
    )?;
    Ok(Some(Control::Content(
        ContentControl::MisconfigurationChecks(checks),
    )))
}

impl ContentControl {
    pub fn id(&self) -> &'static str {
        match self {
            ContentControl::Malware => "disallow_malware",
            ContentControl::SensitiveData { .. } => "scan_sensitive_data",
            ContentControl::BlacklistPermissions(_) => "blacklist_permissions",
            ContentControl::MisconfigurationChecks(_) => "misconfiguration_checks",
        }
    }

    pub fn add_needs(&self, needs: &mut Needs) {
        match self {
            ContentControl::Malware => needs.malware = true,
            ContentControl::SensitiveData { .. } => needs.secrets = true,
            ContentControl::BlacklistPermissions(_) => needs.file_permissions = true,
            ContentControl::MisconfigurationChecks(_) => needs.misconfigurations = true,
        }
    }

    pub fn evaluate(&self, prepared: &Prepared<'_>) -> ControlResult {
        let id = self.id();
        let input = prepared.input;
        match self {
            ContentControl::Malware => match input.malware {
                None => not_scanned(id, "malware scan results"),
                Some(hits) => malware_found(id, hits),
            },
            ContentControl::SensitiveData { ignored_paths } => match input.secrets {
                None => not_scanned(id, "secret scan results"),
                Some(secrets) => secrets_found(id, secrets, ignored_paths),
            },
            ContentControl::BlacklistPermissions(kinds) => match input.file_permissions {
                None => not_scanned(id, "file permissions"),
                Some(files) => blocked_permissions(id, files, kinds),
            },
            ContentControl::MisconfigurationChecks(checks) => match input.misconfigurations {
                None => not_scanned(id, "misconfiguration results"),
                Some(hits) => failed_checks(id, hits, checks),
            },
        }
    }
}

fn malware_found(id: &'static str, hits: &[MalwareHit]) -> ControlResult {
    let items = hits
        .iter()
        .map(|h| Item::Malware(Box::new(h.clone())))
        .collect();
    judged(id, items, "no malware found", |n| {
        format!("{n} malware detections")
    })
}

fn secrets_found(
    id: &'static str,
    secrets: &[SecretFinding],
    ignored_paths: &[Pattern],
) -> ControlResult {
    let items = secrets
        .iter()
        .filter(|s| !ignored_paths.iter().any(|p| p.is_match(&s.path)))
        .map(|s| {
            Item::Secret(Box::new(SecretItem {
                rule_id: s.rule_id.to_string(),
                path: s.path.clone(),
                line: s.line,
            }))
        })
        .collect();
    judged(id, items, "no secrets found", |n| {
        format!("{n} secrets found")
    })
}

fn blocked_permissions(
    id: &'static str,
    entries: &[FileEntry],
    kinds: &[PermissionKind],
) -> ControlResult {
    let items = entries
        .iter()
        .filter(|f| f.kind == FileKind::File)
        .filter(|f| kinds.iter().any(|k| has_permission(*k, f.mode, f.uid)))
        .map(|f| {
            Item::File(Box::new(FileItem {
                path: f.absolute_path(),
                mode: format!("{:o}", f.permission_bits()),
                uid: f.uid,
            }))
        })
        .collect();
    judged(id, items, "no file has a blocked permission", |n| {
        format!("{n} files have blocked permissions")
    })
}

fn failed_checks(id: &'static str, hits: &[MisconfigHit], checks: &[Pattern]) -> ControlResult {
    let items = hits
        .iter()
        .filter(|h| checks.iter().any(|p| p.is_match(&h.check_id)))
        .map(|h| Item::Misconfiguration(Box::new(h.clone())))
        .collect();
    judged(id, items, "no listed check failed", |n| {
        format!("{n} listed checks failed")
    })
}

fn has_permission(kind: PermissionKind, mode: u32, uid: u64) -> bool {
    match kind {
        PermissionKind::Setuid => mode & 0o4000 != 0,
        PermissionKind::Setgid => mode & 0o2000 != 0,
        PermissionKind::SuperuserOnly => uid == 0 && mode & 0o100 != 0 && mode & 0o011 == 0,
    }
}
