//! The runtime policy as written: Aqua's container runtime policy vocabulary (the JSON of its
//! `/api/v2/runtime_policies` API, which its Terraform provider also sends). Every field is
//! listed, so an unknown one is refused with a suggestion; Aqua's bookkeeping fields are
//! accepted and have no effect. Controls Kabuto cannot evaluate are refused when switched on,
//! never silently ignored.

use kabuto_policy::Pattern;
use kabuto_policy::document::Timestamp;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::scope::{Condition, RawScope};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(
    dead_code,
    reason = "Aqua's bookkeeping fields are read only to be accepted"
)]
pub(crate) struct RawRuntimePolicy {
    #[serde(rename = "$schema", default)]
    pub _schema: Option<IgnoredAny>,

    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,

    // Mode.
    #[serde(default)]
    pub enforce: bool,
    #[serde(default)]
    pub enforce_after_days: Option<u32>,
    #[serde(default)]
    pub lastupdate: Option<Timestamp>,

    // Scope: Aqua's API nests it in `scope`; its Terraform provider writes
    // `scope_expression` and `scope_variables`.
    #[serde(default)]
    pub scope: Option<RawScope>,
    #[serde(default)]
    pub scope_expression: Option<String>,
    #[serde(default)]
    pub scope_variables: Option<Vec<Condition>>,
    #[serde(default)]
    pub bypass_scope: Option<RawBypassScope>,
    #[serde(default)]
    pub application_scopes: Option<IgnoredAny>,

    // Controls.
    #[serde(default)]
    pub container_exec: Option<RawContainerExec>,
    #[serde(default)]
    pub executable_blacklist: Option<RawExecutableBlacklist>,
    #[serde(default)]
    pub allowed_executables: Option<RawAllowedExecutables>,
    #[serde(default)]
    pub drift_prevention: Option<RawDriftPrevention>,
    #[serde(default)]
    pub reverse_shell: Option<RawReverseShell>,
    #[serde(default)]
    pub readonly_files: Option<RawReadonlyFiles>,
    #[serde(default)]
    pub file_integrity_monitoring: Option<RawFileIntegrity>,
    #[serde(default)]
    pub limit_container_privileges: Option<RawContainerPrivileges>,
    #[serde(default)]
    pub no_new_privileges: bool,
    #[serde(default)]
    pub linux_capabilities: Option<RawCapabilities>,
    #[serde(default)]
    pub enable_fork_guard: bool,
    #[serde(default)]
    pub fork_guard_process_limit: Option<u32>,
    #[serde(default)]
    pub port_block: Option<RawPortBlock>,
    #[serde(default)]
    pub limit_new_privileges: bool,
    #[serde(default)]
    pub container_escape: Option<RawContainerEscape>,
    #[serde(default)]
    pub auditing: Option<RawAuditing>,

    // Aqua's bookkeeping.
    #[serde(default)]
    pub id: Option<IgnoredAny>,
    #[serde(default)]
    pub author: Option<IgnoredAny>,
    #[serde(default)]
    pub created: Option<IgnoredAny>,
    #[serde(default)]
    pub updated: Option<IgnoredAny>,
    #[serde(default)]
    pub domain: Option<IgnoredAny>,
    #[serde(default)]
    pub domain_name: Option<IgnoredAny>,
    #[serde(default)]
    pub permission: Option<IgnoredAny>,
    #[serde(default)]
    pub runtime_type: Option<IgnoredAny>,
    #[serde(rename = "type", default)]
    pub kind: Option<IgnoredAny>,
    #[serde(default)]
    pub version: Option<IgnoredAny>,
    #[serde(default)]
    pub is_auto_generated: Option<IgnoredAny>,
    #[serde(default)]
    pub is_audit_checked: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBypassScope {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub scope: Option<RawScope>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContainerExec {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub block_container_exec: bool,
    #[serde(default)]
    pub container_exec_proc_white_list: Vec<Pattern>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExecutableBlacklist {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub executables: Vec<Pattern>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAllowedExecutables {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub allow_executables: Vec<Pattern>,
    /// Executables that may run as root; with `separate_executables`, only these may.
    #[serde(default)]
    pub allow_root_executables: Vec<Pattern>,
    #[serde(default)]
    pub separate_executables: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDriftPrevention {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub exec_lockdown: bool,
    #[serde(default)]
    pub image_lockdown: bool,
    #[serde(default)]
    pub prevent_privileged: bool,
    #[serde(default)]
    pub exec_lockdown_white_list: Vec<Pattern>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReverseShell {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub block_reverse_shell: bool,
    #[serde(default)]
    pub reverse_shell_proc_white_list: Vec<Pattern>,
    #[serde(default)]
    pub reverse_shell_ip_white_list: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReadonlyFiles {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub readonly_files: Vec<Pattern>,
    #[serde(default)]
    pub exceptional_readonly_files: Vec<Pattern>,
    #[serde(default)]
    pub readonly_files_processes: Vec<Pattern>,
    #[serde(default)]
    pub exceptional_readonly_files_processes: Vec<Pattern>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFileIntegrity {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub monitored_files: Vec<Pattern>,
    #[serde(default)]
    pub exceptional_monitored_files: Vec<Pattern>,
    #[serde(default)]
    pub monitored_files_processes: Vec<Pattern>,
    #[serde(default)]
    pub exceptional_monitored_files_processes: Vec<Pattern>,
    #[serde(default)]
    pub monitored_files_users: Vec<String>,
    #[serde(default)]
    pub exceptional_monitored_files_users: Vec<String>,
    #[serde(default)]
    pub monitored_files_create: bool,
    #[serde(default)]
    pub monitored_files_read: bool,
    #[serde(default)]
    pub monitored_files_modify: bool,
    #[serde(default)]
    pub monitored_files_delete: bool,
    #[serde(default)]
    pub monitored_files_attributes: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContainerPrivileges {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub netmode: bool,
    #[serde(default)]
    pub pidmode: bool,
    #[serde(default)]
    pub utsmode: bool,
    #[serde(default)]
    pub ipcmode: bool,
    #[serde(default)]
    pub prevent_root_user: bool,
    #[serde(default)]
    pub usermode: bool,
    #[serde(default)]
    pub prevent_low_port_binding: bool,
    #[serde(default)]
    pub block_add_capabilities: bool,
    #[serde(default)]
    pub use_host_user: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCapabilities {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub remove_linux_capabilities: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPortBlock {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub block_inbound_ports: Vec<String>,
    #[serde(default)]
    pub block_outbound_ports: Vec<String>,
}

/// Kabuto's own control (Aqua has none): escape primitives in a container.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContainerEscape {
    #[serde(default)]
    pub enabled: bool,
    /// Processes allowed to use them (a debugger, an init that mounts).
    #[serde(default)]
    pub allowed_processes: Vec<Pattern>,
}

/// Aqua's `auditing` section; the host-only fields are refused when switched on.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuditing {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub audit_all_processes: bool,
    #[serde(default)]
    pub audit_process_cmdline: bool,
    #[serde(default)]
    pub audit_all_network: bool,
    #[serde(default)]
    pub audit_os_user_activity: bool,
    #[serde(default)]
    pub audit_success_login: bool,
    #[serde(default)]
    pub audit_failed_login: bool,
    #[serde(default)]
    pub audit_user_account_management: bool,
}
