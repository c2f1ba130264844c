//! Records the programs write to the ring buffer (`struct event` in src/bpf/kabuto.h),
//! decoded without unsafe code: fixed offsets, native byte order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The size of `struct event`.
pub(crate) const EVENT_SIZE: usize = 888;

/// Why the kernel stopped an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelVerdict {
    /// The kernel let it happen.
    None,
    /// An exec of an inode on the container's deny list was killed.
    DenyListed,
    /// An exec entered through the runtime (`runc exec`) was killed.
    RuntimeExec,
    /// An exec of a file changed after the container started was killed.
    Drift,
    /// A connect was refused (EPERM).
    ConnectDenied,
    /// A shell that put a socket on its stdio was killed.
    ReverseShell,
    /// A change under a read-only path was killed at the syscall's entry.
    ReadOnly,
    /// A privilege gain or an escape primitive was killed at the syscall's entry.
    Syscall,
}

/// A privilege change or an escape primitive a process in a container asked for, at the
/// syscall's entry (`struct event` kind 7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Syscall {
    /// setuid, setreuid, setresuid: `uid` is 0 when any uid asked for is root.
    SetUid { uid: u32 },
    /// setgid, setregid, setresgid, likewise.
    SetGid { gid: u32 },
    /// capset: the effective set asked for.
    Capset { effective: u64 },
    /// ptrace attach, seize or poke.
    Ptrace { request: u64, target: u32 },
    /// mount or move_mount at `target`.
    Mount { target: String },
    /// init_module or finit_module.
    ModuleLoad,
    /// setns into a namespace of `nstype` (0: any).
    Setns { nstype: u64 },
    /// unshare of new namespaces.
    Unshare { flags: u64 },
}

/// Network activity reported for auditing (`struct event` kind 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkOp {
    /// bind: the local address asked for.
    Bind,
    /// listen: the socket's local address.
    Listen,
    /// accept: the connection's peer.
    Accept,
}

/// What a file event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileChange {
    Create,
    Modify,
    Delete,
    Attributes,
    /// An open for reading (not a change: reported when watched for file integrity
    /// monitoring's reads).
    Read,
}

impl KernelVerdict {
    fn from_raw(raw: u32) -> KernelVerdict {
        match raw {
            1 => KernelVerdict::DenyListed,
            2 => KernelVerdict::RuntimeExec,
            3 => KernelVerdict::Drift,
            4 => KernelVerdict::ConnectDenied,
            5 => KernelVerdict::ReverseShell,
            6 => KernelVerdict::ReadOnly,
            7 => KernelVerdict::Syscall,
            _ => KernelVerdict::None,
        }
    }
}

/// The process an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The thread group id (what user space calls the pid).
    pub pid: u32,
    pub ppid: u32,
    /// The pid in the innermost PID namespace.
    pub ns_pid: u32,
    pub uid: u32,
    /// The cgroup (v2) id of the process and of its parent.
    pub cgroup_id: u64,
    pub parent_cgroup_id: u64,
    pub comm: String,
}

/// One ring buffer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelEvent {
    Exec {
        task: Task,
        /// The path passed to execve.
        filename: String,
        /// The new program's arguments (the first 255 bytes of them).
        args: Vec<String>,
        /// The working directory as the process sees it; `None` when the kernel could not
        /// put it together (deeper than 32 components, longer than 255 bytes).
        cwd: Option<String>,
        /// The executable's inode: device (kernel dev_t), number, change time (ns since the
        /// epoch).
        dev: u32,
        ino: u64,
        ctime_ns: i64,
        verdict: KernelVerdict,
    },
    Fork(Task),
    Exit {
        pid: u32,
        cgroup_id: u64,
        comm: String,
    },
    Connect {
        pid: u32,
        uid: u32,
        cgroup_id: u64,
        comm: String,
        remote: SocketAddr,
        verdict: KernelVerdict,
    },
    StdioSocket {
        task: Task,
        /// The stdio descriptor replaced (0, 1 or 2).
        fd: i32,
        /// The socket's peer, for an IP socket.
        remote: Option<SocketAddr>,
        verdict: KernelVerdict,
    },
    File {
        task: Task,
        /// The path passed to the syscall (relative to the process's directory when it does
        /// not start with `/`).
        path: String,
        change: FileChange,
        verdict: KernelVerdict,
    },
    Syscall {
        task: Task,
        call: Syscall,
        verdict: KernelVerdict,
    },
    Network {
        task: Task,
        op: NetworkOp,
        /// The address (local for bind and listen, the peer for accept), for IP sockets.
        address: Option<SocketAddr>,
    },
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&self.0[at..at + N]);
        out
    }
    fn u16(&self, at: usize) -> u16 {
        u16::from_ne_bytes(self.bytes(at))
    }
    fn u32(&self, at: usize) -> u32 {
        u32::from_ne_bytes(self.bytes(at))
    }
    fn u64(&self, at: usize) -> u64 {
        u64::from_ne_bytes(self.bytes(at))
    }
    /// NUL-separated strings; the zero padding after the last one is not a string.
    fn strings(&self, at: usize, len: usize) -> Vec<String> {
        let field = &self.0[at..at + len];
        let end = field
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |last| last + 1);
        if end == 0 {
            return Vec::new();
        }
        field[..end]
            .split(|b| *b == 0)
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect()
    }

    fn text(&self, at: usize, len: usize) -> String {
        let field = &self.0[at..at + len];
        let end = field.iter().position(|b| *b == 0).unwrap_or(len);
        String::from_utf8_lossy(&field[..end]).into_owned()
    }
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

impl KernelEvent {
    /// Decodes one record; `None` for a record of another size or an unknown kind.
    pub fn decode(data: &[u8]) -> Option<KernelEvent> {
        if data.len() != EVENT_SIZE {
            return None;
        }
        let r = Reader(data);
        let verdict = KernelVerdict::from_raw(r.u32(20));
        let task = Task {
            pid: r.u32(4),
            ppid: r.u32(8),
            ns_pid: r.u32(12),
            uid: r.u32(16),
            cgroup_id: r.u64(24),
            parent_cgroup_id: r.u64(32),
            comm: r.text(88, 16),
        };
        let port = r.u16(60);
        let ip = match r.u16(62) {
            AF_INET => Some(IpAddr::V4(Ipv4Addr::from(r.bytes::<4>(64)))),
            AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(r.bytes::<16>(64)))),
            _ => None,
        };
        let remote = ip.map(|ip| SocketAddr::new(ip, port));
        Some(match r.u32(0) {
            1 => KernelEvent::Exec {
                filename: r.text(104, 256),
                args: r.strings(376, 256),
                cwd: Some(r.text(632, 256)).filter(|cwd| !cwd.is_empty()),
                dev: r.u32(56),
                ino: r.u64(40),
                ctime_ns: r.u64(48) as i64,
                verdict,
                task,
            },
            2 => KernelEvent::Fork(task),
            3 => KernelEvent::Exit {
                pid: task.pid,
                cgroup_id: task.cgroup_id,
                comm: task.comm,
            },
            4 => KernelEvent::Connect {
                pid: task.pid,
                uid: task.uid,
                cgroup_id: task.cgroup_id,
                comm: task.comm,
                remote: remote?,
                verdict,
            },
            6 => KernelEvent::File {
                path: r.text(104, 256),
                change: match r.u32(84) {
                    1 => FileChange::Create,
                    3 => FileChange::Delete,
                    4 => FileChange::Attributes,
                    5 => FileChange::Read,
                    _ => FileChange::Modify,
                },
                verdict,
                task,
            },
            5 => KernelEvent::StdioSocket {
                fd: r.u32(80) as i32,
                remote,
                verdict,
                task,
            },
            7 => KernelEvent::Syscall {
                call: Syscall::decode(&r)?,
                verdict,
                task,
            },
            8 => KernelEvent::Network {
                op: match r.u32(84) {
                    1 => NetworkOp::Bind,
                    2 => NetworkOp::Listen,
                    3 => NetworkOp::Accept,
                    _ => return None,
                },
                address: remote,
                task,
            },
            _ => return None,
        })
    }
}

/// The size of `struct exec_ctx`.
pub(crate) const EXEC_CONTEXT_SIZE: usize = 312;

/// Decodes an `exec_ctx` map value.
pub(crate) fn decode_exec_context(data: &[u8]) -> Option<crate::ExecContext> {
    if data.len() != EXEC_CONTEXT_SIZE {
        return None;
    }
    let r = Reader(data);
    Some(crate::ExecContext {
        task: Task {
            pid: r.u32(0),
            ppid: r.u32(4),
            ns_pid: r.u32(8),
            uid: r.u32(12),
            cgroup_id: r.u64(16),
            parent_cgroup_id: r.u64(24),
            comm: r.text(40, 16),
        },
        seq: r.u64(32),
        filename: r.text(56, 256),
    })
}

impl Syscall {
    fn decode(r: &Reader<'_>) -> Option<Syscall> {
        let (arg0, arg1) = (r.u64(360), r.u64(368));
        let id = || u32::try_from(arg0).unwrap_or(u32::MAX);
        Some(match r.u32(84) {
            1 => Syscall::SetUid { uid: id() },
            2 => Syscall::SetGid { gid: id() },
            3 => Syscall::Capset { effective: arg0 },
            4 => Syscall::Ptrace {
                request: arg0,
                target: u32::try_from(arg1).unwrap_or(0),
            },
            5 => Syscall::Mount {
                target: r.text(104, 256),
            },
            6 => Syscall::ModuleLoad,
            7 => Syscall::Setns { nstype: arg0 },
            8 => Syscall::Unshare { flags: arg0 },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32) -> Vec<u8> {
        let mut data = vec![0u8; EVENT_SIZE];
        let mut put = |at: usize, bytes: &[u8]| data[at..at + bytes.len()].copy_from_slice(bytes);
        put(0, &kind.to_ne_bytes());
        put(4, &77u32.to_ne_bytes());
        put(8, &7u32.to_ne_bytes());
        put(12, &1u32.to_ne_bytes());
        put(16, &1000u32.to_ne_bytes());
        put(20, &2u32.to_ne_bytes());
        put(24, &42u64.to_ne_bytes());
        put(32, &1u64.to_ne_bytes());
        put(40, &1234u64.to_ne_bytes());
        put(48, &5_000_000_000i64.to_ne_bytes());
        put(56, &0xfe00000u32.to_ne_bytes());
        put(60, &4444u16.to_ne_bytes());
        put(62, &AF_INET.to_ne_bytes());
        put(64, &[127, 0, 0, 1]);
        put(80, &1i32.to_ne_bytes());
        put(88, b"bash\0");
        put(104, b"/bin/bash\0garbage");
        put(376, b"bash\0-c\0\0echo hi");
        put(632, b"/srv/app\0/old");
        data
    }

    #[test]
    fn records_decode_field_by_field() {
        let Some(KernelEvent::Exec {
            task,
            filename,
            args,
            cwd,
            dev,
            ino,
            ctime_ns,
            verdict,
        }) = KernelEvent::decode(&record(1))
        else {
            panic!("an exec record");
        };
        assert_eq!(
            (task.pid, task.ppid, task.ns_pid, task.uid),
            (77, 7, 1, 1000)
        );
        assert_eq!((task.cgroup_id, task.parent_cgroup_id), (42, 1));
        assert_eq!(
            (task.comm.as_str(), filename.as_str()),
            ("bash", "/bin/bash")
        );
        assert_eq!((dev, ino, ctime_ns), (0xfe00000, 1234, 5_000_000_000));
        assert_eq!(args, ["bash", "-c", "", "echo hi"]);
        assert_eq!(cwd.as_deref(), Some("/srv/app"));
        assert_eq!(verdict, KernelVerdict::RuntimeExec);
        let Some(KernelEvent::StdioSocket { fd, remote, .. }) = KernelEvent::decode(&record(5))
        else {
            panic!("a stdio record");
        };
        assert_eq!(fd, 1);
        assert_eq!(remote, Some("127.0.0.1:4444".parse().expect("addr")));
        let mut file = record(6);
        file[84..88].copy_from_slice(&3u32.to_ne_bytes());
        let Some(KernelEvent::File { path, change, .. }) = KernelEvent::decode(&file) else {
            panic!("a file record");
        };
        assert_eq!((path.as_str(), change), ("/bin/bash", FileChange::Delete));
        let mut unshare = record(7);
        unshare[84..88].copy_from_slice(&8u32.to_ne_bytes());
        unshare[360..368].copy_from_slice(&0x2000_0000u64.to_ne_bytes());
        let Some(KernelEvent::Syscall { call, .. }) = KernelEvent::decode(&unshare) else {
            panic!("a syscall record");
        };
        assert_eq!(call, Syscall::Unshare { flags: 0x2000_0000 });
        let mut mount = record(7);
        mount[84..88].copy_from_slice(&5u32.to_ne_bytes());
        let Some(KernelEvent::Syscall { call, .. }) = KernelEvent::decode(&mount) else {
            panic!("a mount record");
        };
        assert_eq!(
            call,
            Syscall::Mount {
                target: "/bin/bash".into()
            }
        );
        let mut listen = record(8);
        listen[84..88].copy_from_slice(&2u32.to_ne_bytes());
        let Some(KernelEvent::Network { op, address, .. }) = KernelEvent::decode(&listen) else {
            panic!("a network record");
        };
        assert_eq!(
            (op, address),
            (
                NetworkOp::Listen,
                Some("127.0.0.1:4444".parse().expect("addr"))
            )
        );
        let mut unknown_call = record(7);
        unknown_call[84..88].copy_from_slice(&99u32.to_ne_bytes());
        assert!(KernelEvent::decode(&unknown_call).is_none());
        assert!(KernelEvent::decode(&record(9)).is_none());
        assert!(KernelEvent::decode(&record(1)[..100]).is_none());
    }
}
