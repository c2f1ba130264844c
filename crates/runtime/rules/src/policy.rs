//! Raw runtime policies into checked [`RuntimePolicy`] values: cross-field rules checked,
//! lists compiled, controls Kabuto cannot evaluate refused when switched on.

use std::net::IpAddr;

use kabuto_policy::Pattern;
use kabuto_policy::document::{FieldError, Timestamp};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::control::Control;
use crate::event::{FileOp, Process, basename};
use crate::raw::{RawAuditing, RawFileIntegrity, RawRuntimePolicy};
use crate::scope::{ContainerScope, RawScope};

/// One runtime policy, checked and compiled.
#[derive(Debug, Clone)]
pub struct RuntimePolicy {
    pub name: String,
    pub description: String,
    pub enabled: bool,
    /// `enforce: true`: a violation is blocked (once `enforce_from` has passed); otherwise
    /// it is detected (audit mode).
    pub enforce: bool,
    /// The end of the grace period (`lastupdate` + `enforce_after_days`): detect before it,
    /// block from it. `None`: no grace period.
    pub enforce_from: Option<OffsetDateTime>,
    pub(crate) scope: Option<ContainerScope>,
    /// Containers the policy does not apply to (`bypass_scope`, when enabled).
    pub(crate) bypass: Option<ContainerScope>,
    pub(crate) controls: Controls,
}

impl RuntimePolicy {
    /// Whether a violation is blocked at `now` (enforce mode, grace period over).
    pub fn enforced_at(&self, now: OffsetDateTime) -> bool {
        self.enforce && self.enforce_from.is_none_or(|from| now >= from)
    }

    /// The controls this policy switches on, in code order.
    pub fn controls(&self) -> Vec<Control> {
        let c = &self.controls;
        let on = [
            (Control::ContainerExec, c.container_exec.is_some()),
            (Control::ExecutableBlacklist, c.blacklist.is_some()),
            (Control::AllowedExecutables, c.allowed.is_some()),
            (
                Control::Drift,
                c.drift.is_some() || c.image_lockdown.is_some(),
            ),
            (Control::ReverseShell, c.reverse_shell.is_some()),
            (Control::ReadonlyFiles, c.readonly.is_some()),
            (Control::FileIntegrity, c.integrity.is_some()),
            (Control::ContainerPrivileges, c.privileges.is_some()),
            (Control::NoNewPrivileges, c.no_new_privileges),
            (Control::Capabilities, !c.removed_capabilities.is_empty()),
            (Control::ForkGuard, c.fork_limit.is_some()),
            (Control::PortBlock, !c.blocked_ports.is_empty()),
            (Control::NewPrivileges, c.new_privileges),
            (Control::ContainerEscape, c.escape.is_some()),
            (Control::Auditing, c.auditing.is_some()),
        ];
        on.into_iter()
            .filter_map(|(c, on)| on.then_some(c))
            .collect()
    }

    /// The executables `executable_blacklist` names: the sensor may deny them in the kernel.
    pub fn blacklisted_executables(&self) -> &[Executable] {
        self.controls.blacklist.as_deref().unwrap_or_default()
    }

    /// The outbound ports `port_block` blocks: the sensor may deny them in the kernel.
    pub fn blocked_ports(&self) -> &[PortRange] {
        &self.controls.blocked_ports
    }

    /// `container_exec`'s allowed processes; `None` when the control is off.
    pub fn container_exec_allowed(&self) -> Option<&[Executable]> {
        self.controls.container_exec.as_deref()
    }

    /// `drift_prevention`'s allowed executables; `None` when the control is off.
    pub fn drift_allowed(&self) -> Option<&[Executable]> {
        self.controls.drift.as_deref()
    }

    /// Whether `reverse_shell` is on without allowed processes or networks: then every
    /// shell with a socket on its stdio violates it, which the kernel can judge alone.
    pub fn reverse_shell_without_exceptions(&self) -> bool {
        self.controls.reverse_shell.as_ref().is_some_and(|shell| {
            shell.allowed_processes.is_empty() && shell.allowed_networks.is_empty()
        })
    }

    /// Whether the policy judges file changes (`readonly_files`,
    /// `file_integrity_monitoring`).
    pub fn watches_files(&self) -> bool {
        self.controls.readonly.is_some() || self.controls.integrity.is_some()
    }

    /// Whether the policy needs the container's opens for reading
    /// (`file_integrity_monitoring.monitored_files_read`).
    pub fn watches_reads(&self) -> bool {
        self.controls.integrity.as_ref().is_some_and(|fim| fim.read)
    }

    /// `readonly_files` as paths the kernel can judge alone: `/a/file` names a file, `/a/dir/`
    /// (written `/a/dir/*`) a whole tree. `None` when the control is off, has exceptions or
    /// process filters, or a pattern of another shape.
    pub fn readonly_prefixes(&self) -> Option<Vec<String>> {
        let rule = self.controls.readonly.as_ref()?;
        if !rule.exceptions.is_empty()
            || !rule.processes.is_empty()
            || !rule.exempt_processes.is_empty()
        {
            return None;
        }
        rule.paths
            .iter()
            .map(|pattern| match pattern.fixed_prefix() {
                Some((text, true)) if text.starts_with('/') => Some(text.to_owned()),
                Some((text, false)) if text.starts_with('/') && text.ends_with('/') => {
                    Some(text.to_owned())
                }
                _ => None,
            })
            .collect()
    }

    /// Whether `drift_prevention.image_lockdown` is on: execs are judged against the image's
    /// executables.
    pub fn image_lockdown(&self) -> bool {
        self.controls.image_lockdown.is_some()
    }

    /// Whether the policy judges privilege gains or escape primitives.
    pub fn watches_syscalls(&self) -> bool {
        self.controls.new_privileges || self.controls.escape.is_some()
    }

    /// Whether `limit_new_privileges` is on: the kernel may kill a gain alone.
    pub fn limits_new_privileges(&self) -> bool {
        self.controls.new_privileges
    }

    /// Whether `container_escape` is on without allowed processes: the kernel may kill
    /// every escape primitive alone.
    pub fn escape_without_exceptions(&self) -> bool {
        self.controls.escape.as_ref().is_some_and(Vec::is_empty)
    }

    /// Whether `auditing` records network operations.
    pub fn audits_network(&self) -> bool {
        self.controls.auditing.is_some_and(|a| a.network)
    }

    /// `enable_fork_guard`'s process limit.
    pub fn fork_limit(&self) -> Option<u32> {
        self.controls.fork_limit
    }
}

/// The controls a policy switches on (`None` or empty: off).
#[derive(Debug, Clone, Default)]
pub(crate) struct Controls {
    /// Processes allowed to enter through the runtime.
    pub container_exec: Option<Vec<Executable>>,
    pub blacklist: Option<Vec<Executable>>,
    pub allowed: Option<Allowed>,
    /// Executables allowed to run although changed after start.
    pub drift: Option<Vec<Executable>>,
    /// Executables allowed to run although not among the image's own.
    pub image_lockdown: Option<Vec<Executable>>,
    pub reverse_shell: Option<ReverseShell>,
    pub readonly: Option<PathRule>,
    pub integrity: Option<Integrity>,
    pub privileges: Option<Privileges>,
    pub no_new_privileges: bool,
    /// Upper-case names with the `CAP_` prefix.
    pub removed_capabilities: Vec<String>,
    pub fork_limit: Option<u32>,
    pub blocked_ports: Vec<PortRange>,
    pub new_privileges: bool,
    /// Processes allowed to use escape primitives.
    pub escape: Option<Vec<Executable>>,
    pub auditing: Option<Auditing>,
}

/// What `auditing` records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Auditing {
    pub processes: bool,
    pub network: bool,
}

/// An executable named in a policy: a pattern with a `/` matches the whole path, one without
/// matches the file name (`bash` matches `/usr/bin/bash`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Pattern")]
pub struct Executable {
    pattern: Pattern,
    by_path: bool,
}

impl From<Pattern> for Executable {
    fn from(pattern: Pattern) -> Self {
        let by_path = pattern.as_str().contains('/');
        Executable { pattern, by_path }
    }
}

impl Executable {
    pub fn matches(&self, process: &Process<'_>) -> bool {
        self.matches_path(process.path)
    }

    pub fn matches_path(&self, path: &str) -> bool {
        if self.by_path {
            self.pattern.is_match(path)
        } else {
            self.pattern.is_match(basename(path))
        }
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        self.pattern.as_str()
    }

    /// For an entry that names one file by its absolute path (no glob): that path.
    pub fn exact_path(&self) -> Option<&str> {
        let (text, whole) = self.pattern.fixed_prefix()?;
        (whole && self.by_path && text.starts_with('/')).then_some(text)
    }

    /// Whether the entry matches by file name (no `/` in it).
    pub fn by_name(&self) -> bool {
        !self.by_path
    }
}

pub(crate) fn any_matches(list: &[Executable], process: &Process<'_>) -> bool {
    list.iter().any(|e| e.matches(process))
}

#[derive(Debug, Clone)]
pub(crate) struct Allowed {
    pub executables: Vec<Executable>,
    pub root_executables: Vec<Executable>,
    /// Root may run only `root_executables`, others only `executables`.
    pub separate: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ReverseShell {
    pub allowed_processes: Vec<Executable>,
    pub allowed_networks: Vec<Network>,
}

#[derive(Debug, Clone)]
pub(crate) struct PathRule {
    pub paths: Vec<Pattern>,
    pub exceptions: Vec<Pattern>,
    /// Only these processes are judged (empty: all).
    pub processes: Vec<Executable>,
    pub exempt_processes: Vec<Executable>,
}

impl PathRule {
    pub fn covers(&self, path: &str, process: &Process<'_>) -> bool {
        self.paths.iter().any(|p| p.is_match(path))
            && !self.exceptions.iter().any(|p| p.is_match(path))
            && (self.processes.is_empty() || any_matches(&self.processes, process))
            && !any_matches(&self.exempt_processes, process)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Integrity {
    pub rule: PathRule,
    /// The changes watched (none written: all).
    pub create: bool,
    pub modify: bool,
    pub delete: bool,
    pub attributes: bool,
    /// Reads are watched only when asked for: every open for reading is an event.
    pub read: bool,
}

impl Integrity {
    pub fn watches(&self, op: FileOp) -> bool {
        let changes = [self.create, self.modify, self.delete, self.attributes];
        match op {
            FileOp::Read => self.read,
            _ if !changes.contains(&true) => true,
            FileOp::Create => self.create,
            FileOp::Modify => self.modify,
            FileOp::Delete => self.delete,
            FileOp::Attributes => self.attributes,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Privileges {
    pub privileged: bool,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_uts: bool,
    pub host_ipc: bool,
    pub root_user: bool,
}

/// An IP address or a CIDR block (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> Result<Network, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an IP address or CIDR block"))?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Network { address, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A port or an inclusive range (`8080`, `1000-2000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let port = |p: &str| {
            p.trim()
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{text}` is not a port (1-65535) or a range `a-b`"))
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(text)?, port(text)?),
        };
        if first > last {
            return Err(format!("`{text}`: the range ends before it starts"));
        }
        Ok(PortRange { first, last })
    }

    pub fn contains(&self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }
}

/// A policy whose cross-field rules hold; the unit policy files deserialize into.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawRuntimePolicy")]
pub(crate) struct CheckedPolicy(pub RuntimePolicy);

impl TryFrom<RawRuntimePolicy> for CheckedPolicy {
    type Error = FieldError;
    fn try_from(raw: RawRuntimePolicy) -> Result<Self, FieldError> {
        compile(raw).map(CheckedPolicy)
    }
}

fn compile(mut raw: RawRuntimePolicy) -> Result<RuntimePolicy, FieldError> {
    if raw.name.trim().is_empty() {
        return Err(FieldError::new("name", "must not be empty"));
    }
    let controls = controls(&raw)?;
    let enforce_from = enforce_from(raw.enforce, raw.enforce_after_days, raw.lastupdate)?;
    let scope = scope(
        raw.scope.take(),
        raw.scope_expression.take(),
        raw.scope_variables.take(),
    )?;
    let bypass = match raw.bypass_scope.take() {
        Some(bypass) if bypass.enabled => Some(
            bypass
                .scope
                .map(ContainerScope::try_from)
                .transpose()
                .map_err(|e| nested("bypass_scope.scope", e))?
                .ok_or_else(|| {
                    FieldError::new("bypass_scope.scope", "is required when `enabled` is true")
                })?,
        ),
        _ => None,
    };
    Ok(RuntimePolicy {
        name: raw.name.trim().to_owned(),
        description: raw.description.unwrap_or_default(),
        enabled: raw.enabled.unwrap_or(true),
        enforce: raw.enforce,
        enforce_from,
        scope,
        bypass,
        controls,
    })
}

fn nested(prefix: &str, error: FieldError) -> FieldError {
    FieldError::new(format!("{prefix}.{}", error.field), error.message)
}

fn scope(
    nested_scope: Option<RawScope>,
    expression: Option<String>,
    variables: Option<Vec<crate::scope::Condition>>,
) -> Result<Option<ContainerScope>, FieldError> {
    let flat = expression.is_some() || variables.is_some();
    match (nested_scope, flat) {
        (Some(_), true) => Err(FieldError::new(
            "scope_expression",
            "and `scope` say the same thing: write one of them",
        )),
        (Some(raw), false) => ContainerScope::try_from(raw)
            .map(Some)
            .map_err(|e| nested("scope", e)),
        (None, true) => ContainerScope::try_from(RawScope {
            expression,
            variables,
        })
        .map(Some)
        .map_err(|e| {
            let field = if e.field == "expression" {
                "scope_expression"
            } else {
                "scope_variables"
            };
            FieldError::new(field, e.message)
        }),
        (None, false) => Ok(None),
    }
}

/// The start of enforcement: `lastupdate` plus `enforce_after_days`.
fn enforce_from(
    enforce: bool,
    days: Option<u32>,
    lastupdate: Option<Timestamp>,
) -> Result<Option<OffsetDateTime>, FieldError> {
    let Some(days) = days.filter(|days| *days > 0) else {
        return Ok(None);
    };
    if !enforce {
        return Err(FieldError::new(
            "enforce_after_days",
            "switches a policy from audit to enforce after a grace period: it needs \
             `enforce: true`",
        ));
    }
    let Some(Timestamp(start)) = lastupdate else {
        return Err(FieldError::new(
            "enforce_after_days",
            "needs `lastupdate` (unix seconds or a date): the grace period starts there",
        ));
    };
    start
        .checked_add(Duration::days(i64::from(days)))
        .map(Some)
        .ok_or_else(|| FieldError::new("enforce_after_days", "ends past the year 9999"))
}

fn not_supported(field: &str, why: &str) -> FieldError {
    FieldError::new(
        field,
        format!("is not supported by Kabuto's enforcer yet ({why}): set it to false"),
    )
}

fn executables(list: &[Pattern]) -> Vec<Executable> {
    list.iter().cloned().map(Executable::from).collect()
}

fn controls(raw: &RawRuntimePolicy) -> Result<Controls, FieldError> {
    let mut c = Controls::default();
    if let Some(exec) = &raw.container_exec
        && (exec.enabled || exec.block_container_exec)
    {
        c.container_exec = Some(executables(&exec.container_exec_proc_white_list));
    }
    if let Some(list) = &raw.executable_blacklist
        && list.enabled
    {
        if list.executables.is_empty() {
            return Err(FieldError::new(
                "executable_blacklist.executables",
                "is empty: name the executables to block, or set `enabled: false`",
            ));
        }
        c.blacklist = Some(executables(&list.executables));
    }
    if let Some(allowed) = &raw.allowed_executables
        && allowed.enabled
    {
        if allowed.allow_executables.is_empty() && allowed.allow_root_executables.is_empty() {
            return Err(FieldError::new(
                "allowed_executables.allow_executables",
                "is empty: every executable would be refused",
            ));
        }
        c.allowed = Some(Allowed {
            executables: executables(&allowed.allow_executables),
            root_executables: executables(&allowed.allow_root_executables),
            separate: allowed.separate_executables,
        });
    }
    if let Some(drift) = &raw.drift_prevention {
        // `enabled` alone means exec lockdown, as before image lockdown existed.
        if drift.exec_lockdown || (drift.enabled && !drift.image_lockdown) {
            c.drift = Some(executables(&drift.exec_lockdown_white_list));
        }
        if drift.image_lockdown {
            c.image_lockdown = Some(executables(&drift.exec_lockdown_white_list));
        }
        if drift.prevent_privileged {
            c.privileges
                .get_or_insert_with(Privileges::default)
                .privileged = true;
        }
    }
    if let Some(shell) = &raw.reverse_shell
        && (shell.enabled || shell.block_reverse_shell)
    {
        let allowed_networks = shell
            .reverse_shell_ip_white_list
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Network::parse(text).map_err(|e| {
                    FieldError::new(format!("reverse_shell.reverse_shell_ip_white_list[{i}]"), e)
                })
            })
            .collect::<Result<_, _>>()?;
        c.reverse_shell = Some(ReverseShell {
            allowed_processes: executables(&shell.reverse_shell_proc_white_list),
            allowed_networks,
        });
    }
    if let Some(files) = &raw.readonly_files
        && files.enabled
    {
        if files.readonly_files.is_empty() {
            return Err(FieldError::new(
                "readonly_files.readonly_files",
                "is empty: name the paths to protect, or set `enabled: false`",
            ));
        }
        c.readonly = Some(PathRule {
            paths: files.readonly_files.clone(),
            exceptions: files.exceptional_readonly_files.clone(),
            processes: executables(&files.readonly_files_processes),
            exempt_processes: executables(&files.exceptional_readonly_files_processes),
        });
    }
    if let Some(fim) = &raw.file_integrity_monitoring
        && fim.enabled
    {
        c.integrity = Some(integrity(fim)?);
    }
    if let Some(p) = &raw.limit_container_privileges
        && p.enabled
    {
        for (on, field) in [
            (p.usermode, "usermode"),
            (p.prevent_low_port_binding, "prevent_low_port_binding"),
            (p.block_add_capabilities, "block_add_capabilities"),
            (p.use_host_user, "use_host_user"),
        ] {
            if on {
                return Err(not_supported(
                    &format!("limit_container_privileges.{field}"),
                    "not read from the runtime's configuration",
                ));
            }
        }
        let privileges = c.privileges.get_or_insert_with(Privileges::default);
        privileges.privileged |= p.privileged;
        privileges.host_network = p.netmode;
        privileges.host_pid = p.pidmode;
        privileges.host_uts = p.utsmode;
        privileges.host_ipc = p.ipcmode;
        privileges.root_user = p.prevent_root_user;
    }
    c.no_new_privileges = raw.no_new_privileges;
    if let Some(caps) = &raw.linux_capabilities
        && caps.enabled
    {
        c.removed_capabilities = caps
            .remove_linux_capabilities
            .iter()
            .enumerate()
            .map(|(i, name)| {
                capability(name).map_err(|e| {
                    FieldError::new(
                        format!("linux_capabilities.remove_linux_capabilities[{i}]"),
                        e,
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if raw.enable_fork_guard {
        let limit = raw
            .fork_guard_process_limit
            .filter(|l| *l > 0)
            .ok_or_else(|| {
                FieldError::new(
                    "fork_guard_process_limit",
                    "is required (a number above 0) when `enable_fork_guard` is true",
                )
            })?;
        c.fork_limit = Some(limit);
    }
    if let Some(ports) = &raw.port_block
        && ports.enabled
    {
        if !ports.block_inbound_ports.is_empty() {
            return Err(not_supported(
                "port_block.block_inbound_ports",
                "only outbound connections are judged",
            ));
        }
        c.blocked_ports = ports
            .block_outbound_ports
            .iter()
            .enumerate()
            .map(|(i, text)| {
                PortRange::parse(text).map_err(|e| {
                    FieldError::new(format!("port_block.block_outbound_ports[{i}]"), e)
                })
            })
            .collect::<Result<_, _>>()?;
    }
    c.new_privileges = raw.limit_new_privileges;
    if let Some(escape) = &raw.container_escape
        && escape.enabled
    {
        c.escape = Some(executables(&escape.allowed_processes));
    }
    if let Some(audit) = &raw.auditing
        && audit.enabled
    {
        c.auditing = Some(auditing(audit)?);
    }
    Ok(c)
}

fn auditing(audit: &RawAuditing) -> Result<Auditing, FieldError> {
    for (on, field, why) in [
        (
            audit.audit_process_cmdline,
            "audit_process_cmdline",
            "the sensor reports the executable, not its arguments",
        ),
        (
            audit.audit_os_user_activity,
            "audit_os_user_activity",
            "a host control",
        ),
        (
            audit.audit_success_login,
            "audit_success_login",
            "a host control",
        ),
        (
            audit.audit_failed_login,
            "audit_failed_login",
            "a host control",
        ),
        (
            audit.audit_user_account_management,
            "audit_user_account_management",
            "a host control",
        ),
    ] {
        if on {
            return Err(not_supported(&format!("auditing.{field}"), why));
        }
    }
    if !audit.audit_all_processes && !audit.audit_all_network {
        return Err(FieldError::new(
            "auditing",
            "is enabled but records nothing: set `audit_all_processes` or `audit_all_network`",
        ));
    }
    Ok(Auditing {
        processes: audit.audit_all_processes,
        network: audit.audit_all_network,
    })
}

fn integrity(fim: &RawFileIntegrity) -> Result<Integrity, FieldError> {
    if fim.monitored_files.is_empty() {
        return Err(FieldError::new(
            "file_integrity_monitoring.monitored_files",
            "is empty: name the paths to monitor, or set `enabled: false`",
        ));
    }
    if !fim.monitored_files_users.is_empty() || !fim.exceptional_monitored_files_users.is_empty() {
        return Err(not_supported(
            "file_integrity_monitoring.monitored_files_users",
            "users are not resolved inside containers",
        ));
    }
    Ok(Integrity {
        rule: PathRule {
            paths: fim.monitored_files.clone(),
            exceptions: fim.exceptional_monitored_files.clone(),
            processes: executables(&fim.monitored_files_processes),
            exempt_processes: executables(&fim.exceptional_monitored_files_processes),
        },
        create: fim.monitored_files_create,
        modify: fim.monitored_files_modify,
        delete: fim.monitored_files_delete,
        attributes: fim.monitored_files_attributes,
        read: fim.monitored_files_read,
    })
}

/// The Linux capabilities by name (`CAP_` optional, any case).
const CAPABILITIES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

fn capability(name: &str) -> Result<String, String> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    if CAPABILITIES.contains(&bare) {
        Ok(format!("CAP_{bare}"))
    } else {
        Err(format!(
            "`{name}` is not a Linux capability (e.g. CAP_NET_RAW, SYS_ADMIN)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_ports() {
        let net = Network::parse("10.1.0.0/16").unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(!net.contains("::1".parse().unwrap()));
        let one = Network::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(
            Network::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "host", "10.0.0/8", "::/129"] {
            assert!(Network::parse(bad).is_err(), "{bad}");
        }
        let range = PortRange::parse("1000-2000").unwrap();
        assert!(range.contains(1000) && range.contains(2000) && !range.contains(2001));
        assert_eq!(
            PortRange::parse("22").unwrap(),
            PortRange {
                first: 22,
                last: 22
            }
        );
        for bad in ["0", "70000", "20-10", "http", ""] {
            assert!(PortRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn executables_by_name_or_path() {
        let process = |path| Process {
            pid: 1,
            path,
            comm: "x",
            uid: 0,
        };
        let by_name = Executable::from(Pattern::new("nc*").unwrap());
        assert!(by_name.matches(&process("/usr/bin/ncat")));
        assert!(!by_name.matches(&process("/usr/bin/banc")));
        let by_path = Executable::from(Pattern::new("/tmp/*").unwrap());
        assert!(by_path.matches(&process("/tmp/x/evil")));
        assert!(!by_path.matches(&process("/usr/bin/tmp")));
    }

    #[test]
    fn capabilities_are_normalised() {
        assert_eq!(capability("net_raw").unwrap(), "CAP_NET_RAW");
        assert_eq!(capability("CAP_SYS_ADMIN").unwrap(), "CAP_SYS_ADMIN");
        assert!(capability("CAP_FLY").is_err());
    }
}
