//! The controls of a runtime policy, each with a stable code that audit events, verdicts and
//! the documentation name. Codes never change meaning; a retired control keeps its code
//! unused.

use std::fmt;

/// One runtime control. [`Control::ALL`] lists them in code order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Control {
    /// `container_exec`: a process entered a running container through the runtime
    /// (`runc exec`, `docker exec`, `kubectl exec`).
    ContainerExec,
    /// `executable_blacklist`: an executable on the deny list ran.
    ExecutableBlacklist,
    /// `allowed_executables`: an executable off the allow list ran.
    AllowedExecutables,
    /// `drift_prevention`: an executable created or modified after the container started ran.
    Drift,
    /// `reverse_shell`: a shell's standard input or output is a network socket.
    ReverseShell,
    /// `readonly_files`: a write to a path the policy makes read-only.
    ReadonlyFiles,
    /// `file_integrity_monitoring`: a monitored file was changed (always detect only).
    FileIntegrity,
    /// `limit_container_privileges`: the container started privileged or on the host's
    /// namespaces, or as root.
    ContainerPrivileges,
    /// `no_new_privileges`: the container started without the no-new-privileges flag.
    NoNewPrivileges,
    /// `linux_capabilities`: the container started holding a capability the policy removes.
    Capabilities,
    /// `enable_fork_guard`: the container runs more processes than `fork_guard_process_limit`.
    ForkGuard,
    /// `port_block`: an outbound connection to a blocked port.
    PortBlock,
    /// `limit_new_privileges`: a process not running as root asked for root or for
    /// capabilities at run time (setuid family, capset).
    NewPrivileges,
    /// `container_escape`: an escape primitive (ptrace of another process, mount, kernel
    /// module load, setns, unshare of namespaces).
    ContainerEscape,
    /// `auditing`: every exec and every network operation recorded (always detect only).
    Auditing,
}

impl Control {
    /// Every control, in code order.
    pub const ALL: [Control; 15] = [
        Control::ContainerExec,
        Control::ExecutableBlacklist,
        Control::AllowedExecutables,
        Control::Drift,
        Control::ReverseShell,
        Control::ReadonlyFiles,
        Control::FileIntegrity,
        Control::ContainerPrivileges,
        Control::NoNewPrivileges,
        Control::Capabilities,
        Control::ForkGuard,
        Control::PortBlock,
        Control::NewPrivileges,
        Control::ContainerEscape,
        Control::Auditing,
    ];

    /// The stable code (`KRT001`...).
    pub fn code(self) -> &'static str {
        match self {
            Control::ContainerExec => "KRT001",
            Control::ExecutableBlacklist => "KRT002",
            Control::AllowedExecutables => "KRT003",
            Control::Drift => "KRT004",
            Control::ReverseShell => "KRT005",
            Control::ReadonlyFiles => "KRT006",
            Control::FileIntegrity => "KRT007",
            Control::ContainerPrivileges => "KRT008",
            Control::NoNewPrivileges => "KRT009",
            Control::Capabilities => "KRT010",
            Control::ForkGuard => "KRT011",
            Control::PortBlock => "KRT012",
            Control::NewPrivileges => "KRT013",
            Control::ContainerEscape => "KRT014",
            Control::Auditing => "KRT015",
        }
    }

    /// The policy field (Aqua's name) that switches the control on.
    pub fn field(self) -> &'static str {
        match self {
            Control::ContainerExec => "container_exec",
            Control::ExecutableBlacklist => "executable_blacklist",
            Control::AllowedExecutables => "allowed_executables",
            Control::Drift => "drift_prevention",
            Control::ReverseShell => "reverse_shell",
            Control::ReadonlyFiles => "readonly_files",
            Control::FileIntegrity => "file_integrity_monitoring",
            Control::ContainerPrivileges => "limit_container_privileges",
            Control::NoNewPrivileges => "no_new_privileges",
            Control::Capabilities => "linux_capabilities",
            Control::ForkGuard => "enable_fork_guard",
            Control::PortBlock => "port_block",
            Control::NewPrivileges => "limit_new_privileges",
            Control::ContainerEscape => "container_escape",
            Control::Auditing => "auditing",
        }
    }

    /// A short human title.
    pub fn title(self) -> &'static str {
        match self {
            Control::ContainerExec => "Block container exec",
            Control::ExecutableBlacklist => "Blocked executable",
            Control::AllowedExecutables => "Executable not allowed",
            Control::Drift => "Drift prevention",
            Control::ReverseShell => "Reverse shell",
            Control::ReadonlyFiles => "Read-only file written",
            Control::FileIntegrity => "File integrity monitoring",
            Control::ContainerPrivileges => "Container privileges",
            Control::NoNewPrivileges => "No new privileges",
            Control::Capabilities => "Blocked capability",
            Control::ForkGuard => "Fork guard",
            Control::PortBlock => "Blocked outbound port",
            Control::NewPrivileges => "Privileges gained at run time",
            Control::ContainerEscape => "Container escape primitive",
            Control::Auditing => "Activity audit",
        }
    }

    /// The control with this code.
    pub fn from_code(code: &str) -> Option<Control> {
        Control::ALL.into_iter().find(|c| c.code() == code)
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.field())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_fields_and_titles_are_unique_and_stable() {
        let codes: BTreeSet<&str> = Control::ALL.iter().map(|c| c.code()).collect();
        let fields: BTreeSet<&str> = Control::ALL.iter().map(|c| c.field()).collect();
        let titles: BTreeSet<&str> = Control::ALL.iter().map(|c| c.title()).collect();
        assert_eq!(codes.len(), Control::ALL.len());
        assert_eq!(fields.len(), Control::ALL.len());
        assert_eq!(titles.len(), Control::ALL.len());
        // Codes are numbered in ALL's order with no gap: a new control takes the next one.
        for (index, control) in Control::ALL.iter().enumerate() {
            assert_eq!(control.code(), format!("KRT{:03}", index + 1));
            assert_eq!(Control::from_code(control.code()), Some(*control));
        }
        assert_eq!(Control::from_code("KRT999"), None);
    }

    #[test]
    fn the_documentation_lists_every_code() {
        let doc = include_str!("../README.md");
        for control in Control::ALL {
            let row = format!("| `{}` | `{}` |", control.code(), control.field());
            assert!(doc.contains(&row), "README.md lacks the row {row}");
        }
    }
}
