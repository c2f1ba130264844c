//! The rule engine: the policies in scope for a container, and an event judged against them
//! into a [`Verdict`] that names every policy and control it violates.

use std::fmt;

use time::OffsetDateTime;

use crate::control::Control;
use crate::event::{
    Container, Entry, Event, FileOp, FileOrigin, NetworkOp, Process, StartConfig, Syscall,
};
use crate::policy::{RuntimePolicy, any_matches};

/// What happens to an event. Ordered: a verdict's action is its strongest hit's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Allow,
    /// Recorded (audit mode, or a detect-only control).
    Detect,
    /// Stopped (enforce mode).
    Block,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "allow",
            Action::Detect => "detect",
            Action::Block => "block",
        })
    }
}

/// One control of one policy that an event violates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit<'p> {
    pub policy: &'p str,
    pub control: Control,
    /// [`Action::Detect`] or [`Action::Block`].
    pub action: Action,
    /// What violated the control, for the audit event's evidence.
    pub reason: String,
}

/// Every violation of an event, in policy order; empty: allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict<'p> {
    pub hits: Vec<Hit<'p>>,
}

impl<'p> Verdict<'p> {
    pub fn action(&self) -> Action {
        self.hits
            .iter()
            .map(|h| h.action)
            .max()
            .unwrap_or(Action::Allow)
    }

    /// The hit that decides the verdict: the first blocking one, else the first.
    pub fn decisive(&self) -> Option<&Hit<'p>> {
        self.hits
            .iter()
            .find(|h| h.action == Action::Block)
            .or_else(|| self.hits.first())
    }
}

/// The enabled policies whose scope holds for one container and whose bypass scope does not.
/// Computed once per container; judging an event then looks only at these.
#[derive(Debug, Clone)]
pub struct ContainerPolicies<'p> {
    policies: Vec<&'p RuntimePolicy>,
}

impl<'p> ContainerPolicies<'p> {
    pub(crate) fn new(all: &'p [RuntimePolicy], container: &Container) -> ContainerPolicies<'p> {
        let policies = all
            .iter()
            .filter(|p| p.enabled)
            .filter(|p| p.scope.as_ref().is_none_or(|s| s.matches(container)))
            .filter(|p| !p.bypass.as_ref().is_some_and(|s| s.matches(container)))
            .collect();
        ContainerPolicies { policies }
    }

    /// The policies that apply, in file order.
    pub fn policies(&self) -> &[&'p RuntimePolicy] {
        &self.policies
    }

    /// Judges one event at `now` (which decides whether a grace period is over).
    pub fn judge(&self, event: &Event<'_>, now: OffsetDateTime) -> Verdict<'p> {
        let mut verdict = Verdict::default();
        for policy in &self.policies {
            let action = if policy.enforced_at(now) {
                Action::Block
            } else {
                Action::Detect
            };
            let mut hit = |control: Control, reason: String| {
                let action = if matches!(control, Control::FileIntegrity | Control::Auditing) {
                    Action::Detect
                } else {
                    action
                };
                verdict.hits.push(Hit {
                    policy: &policy.name,
                    control,
                    action,
                    reason,
                });
            };
            judge_policy(policy, event, &mut hit);
        }
        verdict
    }
}

const SHELLS: [&str; 10] = [
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "ash",
];

fn is_shell(process: &Process<'_>) -> bool {
    SHELLS.contains(&process.basename()) || SHELLS.contains(&process.comm)
}

fn judge_policy(policy: &RuntimePolicy, event: &Event<'_>, hit: &mut impl FnMut(Control, String)) {
    let c = &policy.controls;
    match event {
        Event::Exec {
            process,
            entry,
            origin,
            in_image,
        } => {
            if *entry == Entry::RuntimeExec
                && let Some(allowed) = &c.container_exec
                && !any_matches(allowed, process)
            {
                hit(
                    Control::ContainerExec,
                    format!(
                        "`{}` was executed in the running container through the runtime",
                        process.path
                    ),
                );
            }
            if let Some(list) = &c.blacklist
                && let Some(entry) = list.iter().find(|e| e.matches(process))
            {
                hit(
                    Control::ExecutableBlacklist,
                    format!(
                        "`{}` matches the blocked executable `{}`",
                        process.path,
                        entry.as_str()
                    ),
                );
            }
            if let Some(allowed) = &c.allowed {
                let permitted = if allowed.separate && process.uid == 0 {
                    any_matches(&allowed.root_executables, process)
                } else if allowed.separate {
                    any_matches(&allowed.executables, process)
                } else {
                    any_matches(&allowed.executables, process)
                        || any_matches(&allowed.root_executables, process)
                };
                if !permitted {
                    hit(
                        Control::AllowedExecutables,
                        format!(
                            "`{}` (uid {}) is not an allowed executable",
                            process.path, process.uid
                        ),
                    );
                }
            }
            if *origin == FileOrigin::ChangedAfterStart
                && let Some(allowed) = &c.drift
                && !any_matches(allowed, process)
            {
                hit(
                    Control::Drift,
                    format!(
                        "`{}` was created or modified after the container started",
                        process.path
                    ),
                );
            }
            if *in_image == Some(false)
                && let Some(allowed) = &c.image_lockdown
                && !any_matches(allowed, process)
            {
                hit(
                    Control::Drift,
                    format!(
                        "`{}` is not one of the image's executables (image_lockdown)",
                        process.path
                    ),
                );
            }
            if c.auditing.is_some_and(|a| a.processes) {
                hit(
                    Control::Auditing,
                    format!("`{}` was executed (uid {})", process.path, process.uid),
                );
            }
        }
        Event::Syscall {
            process,
            call,
            detail,
        } => judge_syscall(c, process, *call, detail, hit),
        Event::Network {
            process,
            op,
            address,
        } => {
            if c.auditing.is_some_and(|a| a.network) {
                let what = match op {
                    NetworkOp::Bind => "bound a socket to",
                    NetworkOp::Listen => "listens on",
                    NetworkOp::Accept => "accepted a connection from",
                };
                let at = address.map_or_else(|| "a socket".to_owned(), |a| a.to_string());
                hit(Control::Auditing, format!("`{}` {what} {at}", process.path));
            }
        }
        Event::StdioSocket { process, remote } => {
            if let Some(shell) = &c.reverse_shell
                && is_shell(process)
                && !any_matches(&shell.allowed_processes, process)
                && !remote.is_some_and(|ip| shell.allowed_networks.iter().any(|n| n.contains(ip)))
            {
                let peer =
                    remote.map_or_else(|| "a socket".to_owned(), |ip| format!("a socket to {ip}"));
                hit(
                    Control::ReverseShell,
                    format!(
                        "the shell `{}` (pid {}) reads or writes its terminal through {peer}",
                        process.path, process.pid
                    ),
                );
            }
        }
        Event::Connect { process, remote } => {
            if let Some(range) = c.blocked_ports.iter().find(|r| r.contains(remote.port())) {
                let ports = if range.first == range.last {
                    range.first.to_string()
                } else {
                    format!("{}-{}", range.first, range.last)
                };
                hit(
                    Control::PortBlock,
                    format!(
                        "`{}` connected to {remote}: outbound port {ports} is blocked",
                        process.path
                    ),
                );
            }
            if c.auditing.is_some_and(|a| a.network) {
                hit(
                    Control::Auditing,
                    format!("`{}` connected to {remote}", process.path),
                );
            }
        }
        Event::File { process, path, op } => {
            // A read changes nothing: read-only paths are only about changes.
            if *op != FileOp::Read
                && let Some(rule) = &c.readonly
                && rule.covers(path, process)
            {
                hit(
                    Control::ReadonlyFiles,
                    format!("`{}` changed the read-only `{path}` ({op:?})", process.path),
                );
            }
            if let Some(fim) = &c.integrity
                && fim.watches(*op)
                && fim.rule.covers(path, process)
            {
                let did = if *op == FileOp::Read {
                    "read"
                } else {
                    "changed"
                };
                hit(
                    Control::FileIntegrity,
                    format!("`{}` {did} the monitored `{path}` ({op:?})", process.path),
                );
            }
        }
        Event::Start(config) => judge_start(policy, config, hit),
        Event::ProcessCount(count) => {
            if let Some(limit) = c.fork_limit
                && *count > limit
            {
                hit(
                    Control::ForkGuard,
                    format!("{count} processes run in the container; the limit is {limit}"),
                );
            }
        }
    }
}

fn judge_syscall(
    c: &crate::policy::Controls,
    process: &Process<'_>,
    call: Syscall,
    detail: &str,
    hit: &mut impl FnMut(Control, String),
) {
    if call.gains_privilege() {
        if c.new_privileges {
            hit(
                Control::NewPrivileges,
                format!(
                    "`{}` (uid {}) asked for {detail}",
                    process.path, process.uid
                ),
            );
        }
        return;
    }
    if let Some(allowed) = &c.escape
        && !any_matches(allowed, process)
    {
        let what = match call {
            Syscall::Ptrace => "traced another process",
            Syscall::Mount => "mounted",
            Syscall::ModuleLoad => "loaded a kernel module",
            Syscall::Setns => "joined another namespace",
            Syscall::Unshare => "created new namespaces",
            Syscall::GainRoot | Syscall::GainCapabilities => "gained privileges",
        };
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        hit(
            Control::ContainerEscape,
            format!("`{}` {what}{detail}", process.path),
        );
    }
}

fn judge_start(
    policy: &RuntimePolicy,
    config: &StartConfig,
    hit: &mut impl FnMut(Control, String),
) {
    let c = &policy.controls;
    if let Some(p) = &c.privileges {
        let found: Vec<&str> = [
            (p.privileged && config.privileged, "privileged"),
            (
                p.host_network && config.host_network,
                "on the host's network namespace",
            ),
            (p.host_pid && config.host_pid, "on the host's PID namespace"),
            (p.host_ipc && config.host_ipc, "on the host's IPC namespace"),
            (p.host_uts && config.host_uts, "on the host's UTS namespace"),
            (p.root_user && config.root_user, "as root"),
        ]
        .into_iter()
        .filter_map(|(on, what)| on.then_some(what))
        .collect();
        if !found.is_empty() {
            hit(
                Control::ContainerPrivileges,
                format!("the container started {}", found.join(", ")),
            );
        }
    }
    if c.no_new_privileges && !config.no_new_privileges {
        hit(
            Control::NoNewPrivileges,
            "the container started without no_new_privileges".to_owned(),
        );
    }
    let held: Vec<&str> = c
        .removed_capabilities
        .iter()
        .filter(|cap| {
            config
                .capabilities
                .iter()
                .any(|have| have.eq_ignore_ascii_case(cap))
        })
        .map(String::as_str)
        .collect();
    if !held.is_empty() {
        hit(
            Control::Capabilities,
            format!("the container holds {}", held.join(", ")),
        );
    }
}
