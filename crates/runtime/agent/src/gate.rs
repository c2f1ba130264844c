//! Exec denial from user space with fanotify permission events (`FAN_OPEN_EXEC_PERM`), where
//! the kernel refuses BPF-LSM: the exec of a file the policies block fails with EPERM before
//! the program runs.
//!
//! - Only containers whose policies enforce an exec control (runtime exec, deny list, allow
//!   list, drift) are gated: each of their mounts that allows exec is marked (`FAN_MARK_MOUNT`
//!   on the container's own mount, seen through `/proc/<pid>/root`), so the host's execs, the
//!   agent's own among them, never wait for the agent.
//! - Who is executing (container, runtime exec or not) comes from the eBPF side's `exec_ctx`
//!   map, written at the execve's entry: one map lookup, no /proc reads.
//! - The second permission event of an exec (the ELF interpreter, a script's interpreter) is
//!   allowed without judging: only the program named by execve is judged.
//! - A file every gated container lets run in every context (not deny-listed, not drift,
//!   allowed by its path whether run by the container's processes or entered through the
//!   runtime, by root or not) gets an ignore mark: its next execs raise no event. The kernel
//!   clears the mark when the file is modified (so drift is still caught), and the agent
//!   clears all of them when a container is added. Where `container_exec` blocks, no file is
//!   let go (a runtime exec is known only per process).
//! - Every permission event is answered: an error allows and is counted and logged. When the
//!   agent dies the kernel allows the pending events as the group's descriptor closes.
//!
//! The decisions run on their own thread, so a slow server or spool never holds up an exec.

use std::collections::{HashMap, HashSet};
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use kabuto_runtime_bpf::{
    ContainerRule, ExecContext, ExecContexts, ExecExemption, Inode, Sensor, Task,
};
use kabuto_runtime_policy::{
    Action, Container, Control, Entry, Event, FileOrigin, Process, RuntimePolicies,
};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::fanotify::{
    EventFFlags, Fanotify, FanotifyResponse, InitFlags, MarkFlags, MaskFlags, Response,
};
use time::OffsetDateTime;

use crate::agent::Kernel;
use crate::identity::ContainerInfo;

/// Why the gate could not start or mark a container.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    #[error("fanotify_init(FAN_CLASS_CONTENT) failed: {0}")]
    Init(#[source] Errno),
    #[error("fanotify cannot watch FAN_OPEN_EXEC_PERM here: {0}")]
    Permission(#[source] Errno),
    #[error("marking {path}: {source}")]
    Mark {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the exec gate's thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error("the exec gate's thread has stopped")]
    Stopped,
    #[error("reading the exec's file: {0}")]
    File(#[source] std::io::Error),
    #[error(transparent)]
    Bpf(#[from] kabuto_runtime_bpf::BpfError),
}

/// What the audit event of a denied exec says was done.
pub const DENIED: &str = "denied with EPERM by fanotify before the program ran";

/// An exec the gate refused, for the audit.
#[derive(Debug, Clone)]
pub struct Denial {
    pub task: Task,
    /// The executable as the container sees it.
    pub path: String,
    /// Its inode's change time, ns since the epoch.
    pub ctime_ns: i64,
}

/// Counters of the gate's work.
#[derive(Debug, Default)]
pub struct GateStats {
    /// Permission events answered.
    pub answered: AtomicU64,
    pub denied: AtomicU64,
    /// Events allowed because deciding failed.
    pub errors: AtomicU64,
    /// Ignore marks placed on files allowed everywhere.
    pub ignored: AtomicU64,
}

enum Message {
    Watch {
        cgroup_id: u64,
        container: Container,
        init_pid: u32,
        created_ns: u64,
        done: mpsc::Sender<Result<usize, GateError>>,
    },
    Deny(u64, Inode),
    Forget(u64),
    /// A new policy set (from the server); the containers are watched anew after it.
    Policies(Arc<RuntimePolicies>),
}

/// The running gate: decisions on a thread of their own.
pub struct ExecGate {
    policies: Arc<RuntimePolicies>,
    messages: Option<mpsc::Sender<Message>>,
    wake: PipeWriter,
    denials: mpsc::Receiver<Denial>,
    stats: Arc<GateStats>,
    thread: Option<JoinHandle<()>>,
}

fn init() -> Result<Fanotify, GateError> {
    Fanotify::init(
        InitFlags::FAN_CLASS_CONTENT | InitFlags::FAN_CLOEXEC | InitFlags::FAN_NONBLOCK,
        EventFFlags::O_RDONLY | EventFFlags::O_LARGEFILE | EventFFlags::O_CLOEXEC,
    )
    .map_err(GateError::Init)
}

impl ExecGate {
    /// Whether this kernel lets fanotify decide execs: a group of the content class and an
    /// exec permission mark on a directory (whose execs cannot happen) are tried.
    pub fn probe() -> Result<(), GateError> {
        let fan = init()?;
        fan.mark(
            MarkFlags::FAN_MARK_ADD,
            MaskFlags::FAN_OPEN_EXEC_PERM,
            nix::fcntl::AT_FDCWD,
            Some(&std::env::temp_dir()),
        )
        .map_err(GateError::Permission)
    }

    /// Starts the gate's thread.
    pub fn start(
        policies: Arc<RuntimePolicies>,
        contexts: ExecContexts,
    ) -> Result<ExecGate, GateError> {
        let fan = init()?;
        let (messages, inbox) = mpsc::channel();
        let (denied, denials) = mpsc::channel();
        let (wake_reader, wake) = std::io::pipe().map_err(GateError::Thread)?;
        let stats = Arc::new(GateStats::default());
        let gate = Gate {
            fan,
            policies: Arc::clone(&policies),
            contexts,
            containers: HashMap::new(),
            last_exec: HashMap::new(),
            newest: 0,
            denied,
            stats: Arc::clone(&stats),
        };
        let thread = std::thread::Builder::new()
            .name("exec-gate".into())
            .spawn(move || gate.serve(&inbox, wake_reader))
            .map_err(GateError::Thread)?;
        Ok(ExecGate {
            policies,
            messages: Some(messages),
            wake,
            denials,
            stats,
            thread: Some(thread),
        })
    }

    fn send(&mut self, message: Message) -> Result<(), GateError> {
        let sender = self.messages.as_ref().ok_or(GateError::Stopped)?;
        sender.send(message).map_err(|_| GateError::Stopped)?;
        self.wake.write_all(&[1]).map_err(GateError::Thread)
    }

    /// Gates the container's execs when one of its policies enforces an exec control;
    /// returns whether it does, once its mounts are marked.
    pub fn watch(&mut self, info: &ContainerInfo) -> Result<bool, GateError> {
        if !gates(&self.policies, &info.container) {
            return Ok(false);
        }
        let (done, result) = mpsc::channel();
        self.send(Message::Watch {
            cgroup_id: info.cgroup_id,
            container: info.container.clone(),
            init_pid: info.init_pid,
            created_ns: info.created_ns,
            done,
        })?;
        let marked = result
            .recv_timeout(Duration::from_secs(5))
            .map_err(|_| GateError::Stopped)??;
        tracing::debug!(container = %info.container.id, marked, "container's execs gated");
        Ok(true)
    }

    /// Denies every exec of `inode` in the container (a deny-listed file by any name).
    pub fn deny(&mut self, cgroup_id: u64, inode: Inode) -> Result<(), GateError> {
        self.send(Message::Deny(cgroup_id, inode))
    }

    /// Forgets an ended container (its mounts, and their marks, are gone with it).
    pub fn forget(&mut self, cgroup_id: u64) -> Result<(), GateError> {
        self.send(Message::Forget(cgroup_id))
    }

    /// Judges with `policies` from now on (a new set from the server); the containers gated
    /// are watched again by the agent.
    pub fn set_policies(&mut self, policies: Arc<RuntimePolicies>) -> Result<(), GateError> {
        self.policies = Arc::clone(&policies);
        self.send(Message::Policies(policies))
    }

    /// The execs denied since the last call, oldest first.
    pub fn denials(&self) -> Vec<Denial> {
        self.denials.try_iter().collect()
    }

    pub fn stats(&self) -> &GateStats {
        &self.stats
    }
}

impl Drop for ExecGate {
    fn drop(&mut self) {
        // Closing the channel and waking the thread ends it; its group's descriptor closes
        // with it, and the kernel allows whatever was pending.
        self.messages = None;
        let _ = self.wake.write_all(&[1]);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Whether one of the container's policies enforces a control decided at exec.
fn gates(policies: &RuntimePolicies, container: &Container) -> bool {
    let now = OffsetDateTime::now_utc();
    policies
        .for_container(container)
        .policies()
        .iter()
        .filter(|p| p.enforced_at(now))
        .flat_map(|p| p.controls())
        .any(|c| {
            matches!(
                c,
                Control::ContainerExec
                    | Control::ExecutableBlacklist
                    | Control::AllowedExecutables
                    | Control::Drift
            )
        })
}

/// A gated container, as the gate's thread knows it.
struct Gated {
    container: Container,
    init_pid: u32,
    created_ns: u64,
    denied: HashSet<Inode>,
}

impl Gated {
    fn origin(&self, ctime_ns: i64) -> FileOrigin {
        match u64::try_from(ctime_ns) {
            Ok(ctime) if self.created_ns > 0 && ctime > self.created_ns => {
                FileOrigin::ChangedAfterStart
            }
            Ok(_) => FileOrigin::Original,
            Err(_) => FileOrigin::Unknown,
        }
    }
}

/// The file an exec opens, from the event's descriptor.
struct ExecFile {
    inode: Inode,
    ctime_ns: i64,
    path: String,
}

impl ExecFile {
    /// The file of the event's descriptor, with the path the process asked for (`/bin/sh`,
    /// not the `/usr/bin/dash` it leads to: policies judge that one, as in the other modes);
    /// for a relative one, the file's own path.
    fn of(fd: BorrowedFd<'_>, asked: &str) -> Result<ExecFile, GateError> {
        use std::os::fd::AsRawFd;
        let stat = rustix::fs::fstat(fd).map_err(|e| GateError::File(e.into()))?;
        let path = if asked.starts_with('/') {
            asked.to_owned()
        } else {
            // The kernel names a file of another mount namespace as that namespace sees it.
            std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .map_err(GateError::File)?
                .display()
                .to_string()
        };
        Ok(ExecFile {
            inode: Inode::from_stat(stat.st_dev, stat.st_ino),
            ctime_ns: stat.st_ctime * 1_000_000_000 + stat.st_ctime_nsec as i64,
            path,
        })
    }
}

enum Outcome {
    Allow { ignorable: bool },
    Deny(Denial),
}

/// The gate's thread.
struct Gate {
    fan: Fanotify,
    policies: Arc<RuntimePolicies>,
    contexts: ExecContexts,
    containers: HashMap<u64, Gated>,
    /// The last exec judged per process: its second permission event is its interpreter.
    last_exec: HashMap<u32, u64>,
    newest: u64,
    denied: mpsc::Sender<Denial>,
    stats: Arc<GateStats>,
}

/// Processes remembered before old ones are dropped.
const LAST_EXECS: usize = 16_384;
/// How long an exec's two permission events can be apart, at most (ns).
const EXEC_WINDOW_NS: u64 = 10_000_000_000;

impl Gate {
    fn serve(mut self, inbox: &mpsc::Receiver<Message>, mut wake: PipeReader) {
        loop {
            let (fan_ready, woken) = {
                let mut fds = [
                    PollFd::new(self.fan.as_fd(), PollFlags::POLLIN),
                    PollFd::new(wake.as_fd(), PollFlags::POLLIN),
                ];
                match poll(&mut fds, PollTimeout::from(1000u16)) {
                    Ok(_) | Err(Errno::EINTR) => {}
                    Err(e) => tracing::warn!("exec gate: poll: {e}"),
                }
                let ready = |fd: &PollFd<'_>| fd.revents().is_some_and(|r| !r.is_empty());
                (ready(&fds[0]), ready(&fds[1]))
            };
            if woken {
                let _ = wake.read(&mut [0; 64]);
            }
            loop {
                match inbox.try_recv() {
                    Ok(message) => self.handle(message),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => return,
                }
            }
            if fan_ready {
                self.answer_pending();
            }
        }
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Watch {
                cgroup_id,
                container,
                init_pid,
                created_ns,
                done,
            } => {
                // A new container's policies may block what the ignore marks let through.
                self.flush_ignore_marks();
                self.containers.insert(
                    cgroup_id,
                    Gated {
                        container,
                        init_pid,
                        created_ns,
                        denied: HashSet::new(),
                    },
                );
                let _ = done.send(mark_mounts(&self.fan, init_pid));
            }
            Message::Deny(cgroup_id, inode) => {
                if let Some(gated) = self.containers.get_mut(&cgroup_id) {
                    gated.denied.insert(inode);
                }
            }
            Message::Forget(cgroup_id) => {
                self.containers.remove(&cgroup_id);
            }
            Message::Policies(policies) => {
                self.policies = policies;
                // The new set may block what the ignore marks let through.
                self.flush_ignore_marks();
            }
        }
    }

    fn flush_ignore_marks(&self) {
        if let Err(e) = self.fan.mark(
            MarkFlags::FAN_MARK_FLUSH,
            MaskFlags::empty(),
            nix::fcntl::AT_FDCWD,
            None::<&Path>,
        ) {
            tracing::warn!("exec gate: clearing ignore marks: {e}");
        }
    }

    fn answer_pending(&mut self) {
        loop {
            let events = match self.fan.read_events() {
                Ok(events) if !events.is_empty() => events,
                Ok(_) | Err(Errno::EAGAIN) => return,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!("exec gate: reading events: {e}");
                    return;
                }
            };
            for event in &events {
                // No descriptor: the queue overflowed (permission events never overflow).
                let Some(fd) = event.fd() else { continue };
                let pid = u32::try_from(event.pid()).unwrap_or_default();
                let response = match self.decide(pid, fd) {
                    Ok(Outcome::Deny(denial)) => {
                        self.stats.denied.fetch_add(1, Ordering::Relaxed);
                        let _ = self.denied.send(denial);
                        Response::FAN_DENY
                    }
                    Ok(Outcome::Allow { ignorable }) => {
                        if ignorable {
                            self.ignore(fd);
                        }
                        Response::FAN_ALLOW
                    }
                    Err(e) => {
                        let errors = self.stats.errors.fetch_add(1, Ordering::Relaxed);
                        if errors < 10 {
                            tracing::warn!("exec gate: allowed pid {pid}'s exec: {e}");
                        }
                        Response::FAN_ALLOW
                    }
                };
                if let Err(e) = self.fan.write_response(FanotifyResponse::new(fd, response)) {
                    tracing::warn!("exec gate: answering pid {pid}: {e}");
                }
                self.stats.answered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn decide(&mut self, pid: u32, fd: BorrowedFd<'_>) -> Result<Outcome, GateError> {
        let Some(exec) = self.contexts.get(pid)? else {
            return Ok(Outcome::Allow { ignorable: false });
        };
        let primary = self.remember(pid, &exec);
        if !self.containers.contains_key(&exec.task.cgroup_id) {
            return Ok(Outcome::Allow { ignorable: false });
        }
        // An interpreter's event (the ELF interpreter, a script's) is allowed: the program
        // execve named was judged. Its file is still read, for an ignore mark.
        let asked = if primary { exec.filename.as_str() } else { "" };
        let file = ExecFile::of(fd, asked)?;
        if primary && let Some(denial) = self.judge(exec, &file) {
            return Ok(Outcome::Deny(denial));
        }
        Ok(Outcome::Allow {
            ignorable: self.allowed_everywhere(&file),
        })
    }

    /// Records the exec; whether it is the exec's first permission event.
    fn remember(&mut self, pid: u32, exec: &ExecContext) -> bool {
        self.newest = self.newest.max(exec.seq);
        if self.last_exec.len() >= LAST_EXECS {
            let oldest = self.newest.saturating_sub(EXEC_WINDOW_NS);
            self.last_exec.retain(|_, seq| *seq >= oldest);
        }
        self.last_exec.insert(pid, exec.seq) != Some(exec.seq)
    }

    /// The denial when the container's policies block the exec.
    fn judge(&self, exec: ExecContext, file: &ExecFile) -> Option<Denial> {
        let gated = self.containers.get(&exec.task.cgroup_id)?;
        let task = exec.task;
        let blocked = gated.denied.contains(&file.inode) || {
            let entry = if task.parent_cgroup_id != task.cgroup_id && task.pid != gated.init_pid {
                Entry::RuntimeExec
            } else {
                Entry::Init
            };
            let event = Event::Exec {
                process: Process {
                    pid: task.pid,
                    path: &file.path,
                    comm: &task.comm,
                    uid: task.uid,
                },
                entry,
                origin: gated.origin(file.ctime_ns),
                in_image: None,
            };
            let verdict = self
                .policies
                .for_container(&gated.container)
                .judge(&event, OffsetDateTime::now_utc());
            verdict.action() == Action::Block
        };
        blocked.then(|| Denial {
            task,
            path: file.path.clone(),
            ctime_ns: file.ctime_ns,
        })
    }

    /// Whether every gated container lets the file run, whoever runs it, however it entered:
    /// not on a deny list by inode, not drift, and allowed by its path in every context.
    /// (Run under another name, through a link, a file so let go is judged by that name
    /// only when the exec event reaches the agent, which then kills from user space.)
    fn allowed_everywhere(&self, file: &ExecFile) -> bool {
        let now = OffsetDateTime::now_utc();
        self.containers.values().all(|gated| {
            if gated.denied.contains(&file.inode)
                || gated.origin(file.ctime_ns) != FileOrigin::Original
            {
                return false;
            }
            let policies = self.policies.for_container(&gated.container);
            [Entry::Init, Entry::RuntimeExec]
                .into_iter()
                .flat_map(|entry| [0, 1].map(|uid| (entry, uid)))
                .all(|(entry, uid)| {
                    let event = Event::Exec {
                        process: Process {
                            pid: 0,
                            path: &file.path,
                            comm: "",
                            uid,
                        },
                        entry,
                        origin: FileOrigin::Original,
                        in_image: None,
                    };
                    policies.judge(&event, now).action() != Action::Block
                })
        })
    }

    /// No more permission events for this file until it is modified.
    fn ignore(&self, fd: BorrowedFd<'_>) {
        let flags = MarkFlags::FAN_MARK_ADD | MarkFlags::FAN_MARK_IGNORED_MASK;
        let mark = |flags| {
            self.fan
                .mark(flags, MaskFlags::FAN_OPEN_EXEC_PERM, fd, None::<&Path>)
        };
        // Evictable marks do not pin the inode in memory (Linux 5.19).
        let result = mark(flags | MarkFlags::FAN_MARK_EVICTABLE).or_else(|_| mark(flags));
        match result {
            Ok(()) => {
                self.stats.ignored.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::debug!("exec gate: ignore mark: {e}"),
        }
    }
}

/// The sensor and, in fanotify mode, the gate: what the agent's decisions go to.
pub struct Node<'s> {
    pub sensor: &'s Sensor,
    pub gate: Option<&'s mut ExecGate>,
}

impl Node<'_> {
    /// The execs the gate denied since the last call.
    pub fn denials(&self) -> Vec<Denial> {
        self.gate.as_ref().map(|g| g.denials()).unwrap_or_default()
    }

    fn gate(
        &mut self,
        f: impl FnOnce(&mut ExecGate) -> Result<(), GateError>,
    ) -> Result<(), String> {
        self.gate
            .as_deref_mut()
            .map_or(Ok(()), f)
            .map_err(|e| e.to_string())
    }
}

impl Kernel for Node<'_> {
    type Error = String;
    fn watch_container(&mut self, cgroup_id: u64, rule: ContainerRule) -> Result<(), String> {
        Kernel::watch_container(&mut self.sensor, cgroup_id, rule)
    }
    fn deny_exec(&mut self, cgroup_id: u64, inode: Inode) -> Result<(), String> {
        self.gate(|g| g.deny(cgroup_id, inode))?;
        Kernel::deny_exec(&mut self.sensor, cgroup_id, inode)
    }
    fn exempt_exec(
        &mut self,
        cgroup_id: u64,
        inode: Inode,
        exemption: ExecExemption,
    ) -> Result<(), String> {
        Kernel::exempt_exec(&mut self.sensor, cgroup_id, inode, exemption)
    }
    fn watch_port(&mut self, cgroup_id: u64, port: u16, block: bool) -> Result<(), String> {
        Kernel::watch_port(&mut self.sensor, cgroup_id, port, block)
    }
    fn forget_container(
        &mut self,
        cgroup_id: u64,
        inodes: &[Inode],
        ports: &[u16],
    ) -> Result<(), String> {
        self.gate(|g| g.forget(cgroup_id))?;
        Kernel::forget_container(&mut self.sensor, cgroup_id, inodes, ports)
    }
    fn set_readonly_paths(&mut self, cgroup_id: u64, paths: &[String]) -> Result<(), String> {
        Kernel::set_readonly_paths(&mut self.sensor, cgroup_id, paths)
    }
    fn kill(&mut self, pid: u32) -> Result<(), String> {
        Kernel::kill(&mut self.sensor, pid)
    }
    fn gate_execs(&mut self, info: &ContainerInfo) -> Result<bool, String> {
        match self.gate.as_deref_mut() {
            Some(gate) => gate.watch(info).map_err(|e| e.to_string()),
            None => Ok(false),
        }
    }
}

/// File systems nothing is executed from.
const PSEUDO: [&str; 8] = [
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "devpts",
    "mqueue",
    "securityfs",
    "debugfs",
];

/// Marks each of the container's mounts that allows exec; returns how many.
fn mark_mounts(fan: &Fanotify, init_pid: u32) -> Result<usize, GateError> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let proc = PathBuf::from(format!("/proc/{init_pid}"));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source: std::io::Error| GateError::Mark { path, source }
    };
    let mountinfo =
        std::fs::read_to_string(proc.join("mountinfo")).map_err(io(&proc.join("mountinfo")))?;
    let root = rustix::fs::open(
        proc.join("root"),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io(&proc.join("root"))(e.into()))?;
    let mut marked = 0;
    for mount_point in mountinfo.lines().filter_map(executable_mount) {
        let relative = mount_point.trim_start_matches('/');
        // Opened inside the container's root: its symbolic links cannot lead to the host.
        let dir = rustix::fs::openat2(
            &root,
            if relative.is_empty() { "." } else { relative },
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
        );
        let Ok(dir) = dir else { continue };
        fan.mark(
            MarkFlags::FAN_MARK_ADD | MarkFlags::FAN_MARK_MOUNT,
            MaskFlags::FAN_OPEN_EXEC_PERM,
            &dir,
            None::<&Path>,
        )
        .map_err(|e| io(&proc.join("root").join(relative))(e.into()))?;
        marked += 1;
    }
    Ok(marked)
}

/// The mount point of a mountinfo line whose mount allows exec (not `noexec`, not a pseudo
/// file system).
fn executable_mount(line: &str) -> Option<String> {
    let (mount, fs) = line.split_once(" - ")?;
    let fields: Vec<&str> = mount.split(' ').collect();
    let (mount_point, options) = (fields.get(4)?, fields.get(5)?);
    let fs_type = fs.split(' ').next()?;
    if options.split(',').any(|o| o == "noexec") || PSEUDO.contains(&fs_type) {
        return None;
    }
    Some(unescape(mount_point))
}

/// mountinfo's octal escapes (`\040` for a space).
fn unescape(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_that_allow_exec_are_chosen_from_mountinfo() {
        let lines = [
            "600 500 0:50 / / ro,relatime - overlay overlay rw,lowerdir=/a",
            "601 600 0:51 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
            "602 600 0:52 / /dev rw,nosuid - tmpfs tmpfs rw,mode=755",
            "603 600 0:53 / /sys ro,nosuid - sysfs sysfs ro",
            "604 600 0:54 / /my\\040data rw - ext4 /dev/vda rw",
            "605 600 0:55 / /tmp rw,noexec - tmpfs tmpfs rw",
            "a line without the separator",
        ];
        let chosen: Vec<String> = lines.iter().filter_map(|l| executable_mount(l)).collect();
        assert_eq!(chosen, ["/", "/dev", "/my data"]);
    }
}
