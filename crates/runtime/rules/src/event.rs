//! What the rule engine judges: an event seen in a container, described by plain borrowed
//! values so the sensor can judge without copying (the engine allocates only for a hit).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The identity of a container, as the sensor resolved it from its cgroup and the container
/// runtime's metadata. Scopes are matched against it once, when the container is first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    /// The runtime's container id.
    pub id: String,
    /// The container's name (the runtime's, or Kubernetes' container name).
    pub name: String,
    /// The image reference as the runtime recorded it (`docker.io/library/debian:12`);
    /// empty when unknown.
    pub image: String,
    /// Kubernetes pod and namespace, when the container belongs to a pod.
    pub pod: Option<String>,
    pub namespace: Option<String>,
    /// Container labels and the runtime's annotations (Kubernetes pod labels among them).
    pub labels: BTreeMap<String, String>,
    /// The node's host name.
    pub host: String,
}

/// The process an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process<'a> {
    pub pid: u32,
    /// The executable's path as the container sees it.
    pub path: &'a str,
    /// The kernel's short name of the process (`comm`).
    pub comm: &'a str,
    pub uid: u32,
}

impl Process<'_> {
    /// The last component of [`Process::path`].
    pub fn basename(&self) -> &str {
        basename(self.path)
    }
}

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// How an executed process came to be in the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The container's first process or a descendant of it.
    Init,
    /// A process the runtime started in the running container (`runc exec`), not a
    /// descendant of its first process.
    RuntimeExec,
}

/// Whether the executed file is as the container started with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOrigin {
    /// The file existed, unchanged, when the container started.
    Original,
    /// The file was created or modified after the container started (its inode changed
    /// after the start time).
    ChangedAfterStart,
    /// The sensor could not tell.
    Unknown,
}

/// What a file operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOp {
    Create,
    Modify,
    Delete,
    Attributes,
    /// An open for reading.
    Read,
}

/// One event in a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A program was executed (after `execve` succeeded).
    Exec {
        process: Process<'a>,
        entry: Entry,
        origin: FileOrigin,
        /// Whether the executable is one of the image's own (`None`: not known, or not
        /// asked for).
        in_image: Option<bool>,
    },
    /// A process connected out.
    Connect {
        process: Process<'a>,
        remote: SocketAddr,
    },
    /// A process made a socket its standard input, output or error (`dup2(sock, 0)`, or
    /// started with one): the shape of a reverse shell when the process is a shell.
    StdioSocket {
        process: Process<'a>,
        /// The socket's peer, when the sensor knows it.
        remote: Option<IpAddr>,
    },
    /// A file was changed.
    File {
        process: Process<'a>,
        path: &'a str,
        op: FileOp,
    },
    /// A process asked for more privilege or for an escape primitive (at the syscall's
    /// entry); `detail` says what it asked (`uid 0`, the mount point, the namespaces).
    Syscall {
        process: Process<'a>,
        call: Syscall,
        detail: &'a str,
    },
    /// A socket was bound, listened on or accepted (for `auditing`).
    Network {
        process: Process<'a>,
        op: NetworkOp,
        address: Option<SocketAddr>,
    },
    /// The container started (judged once, from the runtime's configuration).
    Start(&'a StartConfig),
    /// The container now runs this many processes.
    ProcessCount(u32),
}

/// A system call the rules judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syscall {
    /// A process not running as root asked for uid or gid 0 (setuid family).
    GainRoot,
    /// A process not running as root asked for capabilities (capset).
    GainCapabilities,
    /// ptrace attach, seize or poke of another process.
    Ptrace,
    /// A mount.
    Mount,
    /// A kernel module load.
    ModuleLoad,
    /// Joining another namespace (setns).
    Setns,
    /// New namespaces (unshare).
    Unshare,
}

impl Syscall {
    /// Privilege gains (`limit_new_privileges`); the others are escape primitives
    /// (`container_escape`).
    pub fn gains_privilege(self) -> bool {
        matches!(self, Syscall::GainRoot | Syscall::GainCapabilities)
    }
}

/// What a network event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkOp {
    Bind,
    Listen,
    Accept,
}

/// The container's security-relevant configuration at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartConfig {
    pub privileged: bool,
    /// The namespaces the container shares with the host.
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub host_uts: bool,
    /// The first process runs as uid 0.
    pub root_user: bool,
    pub no_new_privileges: bool,
    /// Capability names in the bounding set (`CAP_NET_RAW`).
    pub capabilities: Vec<String>,
}
