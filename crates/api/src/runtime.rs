//! The runtime enforcer's audit event: one record per policy violation seen in a container
//! (or on the host), written as a JSON line to the enforcer's spool and event file and sent to
//! the server's `POST /api/v1/audit/events` as the event's `detail`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::server::EnforcerEvent;

/// Version of [`RuntimeAuditEvent`]'s layout.
pub const RUNTIME_AUDIT_EVENT_VERSION: u32 = 1;

/// A runtime policy violation: where (host, container, image, pod), who (the process and
/// its ancestors), what (the policy and control), the outcome (Detect or Block) and the
/// evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeAuditEvent {
    pub schema_version: u32,
    /// Unique on its host: the enforcer's start time and a sequence number.
    pub id: String,
    /// When the kernel saw it (RFC 3339, UTC).
    pub time: String,
    /// The node's host name.
    pub host: String,
    /// The container; absent for a process of the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<AuditContainer>,
    /// The image reference the runtime recorded; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The image's content digest (`sha256:<hex>`, its id) as the runtime recorded it:
    /// Docker's image id, CRI-O's image ref; absent where the runtime keeps none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<AuditPod>,
    /// The process the event is about.
    pub process: AuditProcess,
    /// Its ancestors, parent first, as far as the enforcer saw them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<AuditProcess>,
    /// What happened: `exec`, `connect`, `stdio_socket`, `file`, `start`, `process_count`.
    pub kind: String,
    /// The runtime policy violated.
    pub policy: String,
    /// The control's stable code (`KRT001`) and its policy field (`container_exec`).
    pub control: String,
    pub control_field: String,
    pub result: AuditResult,
    pub evidence: AuditEvidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditContainer {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The kernel's cgroup id of the container's cgroup (v2).
    pub cgroup_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditPod {
    pub name: String,
    pub namespace: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditProcess {
    /// The pid on the host.
    pub pid: u32,
    /// The pid inside the container's PID namespace, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ns_pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    /// The kernel's short name (`comm`).
    pub comm: String,
    /// The executable's path as the container sees it; empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// An exec's arguments (`argv`, its first 255 bytes); empty for other events.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// An exec's working directory as the process saw it: read in the kernel at the exec, or
    /// from /proc when the kernel could not (deeper than 32 components, longer than 255 bytes)
    /// and the process still ran as the agent looked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
}

/// The outcome, in Aqua's audit vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AuditResult {
    /// Recorded only (audit mode, or a detect-only control).
    Detect,
    /// Stopped.
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEvidence {
    /// Why the control was violated, in words.
    pub message: String,
    /// How a block was carried out (`killed with SIGKILL before it ran`, `connect refused
    /// with EPERM`), or why it could not be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<String>,
    /// The file involved (executed or changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The network peer (`192.0.2.1:443`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

impl RuntimeAuditEvent {
    /// The event in the server's audit log shape: action `Runtime.<Control field>.<Detect or
    /// Block>`, target the container (or the host), the whole event as detail.
    pub fn to_enforcer_event(&self) -> EnforcerEvent {
        let result = match self.result {
            AuditResult::Detect => "detected",
            AuditResult::Block => "blocked",
        };
        let target = match &self.container {
            Some(container) => format!("container {}", container.id),
            None => format!("host {}", self.host),
        };
        EnforcerEvent {
            time: self.time.clone(),
            action: format!("Runtime.{}.{:?}", self.control_field, self.result),
            target,
            result: result.to_owned(),
            detail: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_sees_action_target_result_and_the_whole_event() {
        let event = RuntimeAuditEvent {
            schema_version: RUNTIME_AUDIT_EVENT_VERSION,
            id: "1-1".into(),
            time: "2026-12-07T12:00:00Z".into(),
            host: "node".into(),
            container: Some(AuditContainer {
                id: "web".into(),
                name: String::new(),
                cgroup_id: 42,
            }),
            image: Some("debian:12".into()),
            image_digest: None,
            pod: None,
            process: AuditProcess {
                pid: 7,
                ns_pid: Some(3),
                uid: Some(0),
                comm: "bash".into(),
                path: "/bin/bash".into(),
                args: Vec::new(),
                cwd: None,
            },
            lineage: Vec::new(),
            kind: "exec".into(),
            policy: "p".into(),
            control: "KRT001".into(),
            control_field: "container_exec".into(),
            result: AuditResult::Detect,
            evidence: AuditEvidence {
                message: "entered".into(),
                enforcement: None,
                file: None,
                remote: None,
            },
        };
        let sent = event.to_enforcer_event();
        assert_eq!(sent.action, "Runtime.container_exec.Detect");
        assert_eq!(
            (sent.target.as_str(), sent.result.as_str()),
            ("container web", "detected")
        );
        let back: RuntimeAuditEvent = serde_json::from_value(sent.detail).expect("detail");
        assert_eq!(back, event);
    }
}
