//! The enforcer's decisions, apart from the kernel: a kernel event is attributed to its
//! container, judged against the container's runtime policies, and turned into audit events;
//! a container seen for the first time is registered with the kernel ([`Kernel`]) so the
//! kernel enforces what it can decide alone (deny-listed inodes, runtime execs, drift,
//! reverse shells, denied ports). What the kernel cannot decide (allow lists with patterns)
//! the agent enforces by killing the process from user space, and says so in the event.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use kabuto_api::{
    AuditContainer, AuditEvidence, AuditPod, AuditProcess, AuditResult,
    RUNTIME_AUDIT_EVENT_VERSION, RuntimeAuditEvent,
};
use kabuto_runtime_bpf::{
    ContainerRule, ExecExemption, FileChange, Inode, KernelEvent, KernelVerdict, NetworkOp,
    READONLY_PATH_LEN, READONLY_PATHS, Syscall, Task,
};
use kabuto_runtime_policy::{
    Action, ContainerPolicies, Entry, Event, Executable, FileOp, FileOrigin, Hit, Process,
    RuntimePolicies, Syscall as RuleSyscall, Verdict,
};
use time::OffsetDateTime;

use crate::gate::Denial;
use crate::identity::{ContainerInfo, Containers};

/// What the agent asks of the kernel side (the eBPF sensor, or a recorder in tests).
pub trait Kernel {
    type Error: std::fmt::Display;
    fn watch_container(&mut self, cgroup_id: u64, rule: ContainerRule) -> Result<(), Self::Error>;
    fn deny_exec(&mut self, cgroup_id: u64, inode: Inode) -> Result<(), Self::Error>;
    fn exempt_exec(
        &mut self,
        cgroup_id: u64,
        inode: Inode,
        exemption: ExecExemption,
    ) -> Result<(), Self::Error>;
    fn watch_port(&mut self, cgroup_id: u64, port: u16, block: bool) -> Result<(), Self::Error>;
    /// Forgets an ended container's rule and the inode and port entries it was given.
    fn forget_container(
        &mut self,
        cgroup_id: u64,
        inodes: &[Inode],
        ports: &[u16],
    ) -> Result<(), Self::Error>;
    /// Sets the read-only paths the kernel enforces for the container.
    fn set_readonly_paths(&mut self, cgroup_id: u64, paths: &[String]) -> Result<(), Self::Error>;
    /// Kills a process (user-space enforcement).
    fn kill(&mut self, pid: u32) -> Result<(), Self::Error>;
    /// Hands the container's execs to a user-space gate ([`crate::gate`]) where there is one;
    /// whether the gate decides them.
    fn gate_execs(&mut self, _info: &ContainerInfo) -> Result<bool, Self::Error> {
        Ok(false)
    }
}

impl Kernel for &kabuto_runtime_bpf::Sensor {
    type Error = String;
    fn watch_container(&mut self, cgroup_id: u64, rule: ContainerRule) -> Result<(), String> {
        kabuto_runtime_bpf::Sensor::watch_container(self, cgroup_id, rule)
            .map_err(|e| e.to_string())
    }
    fn deny_exec(&mut self, cgroup_id: u64, inode: Inode) -> Result<(), String> {
        kabuto_runtime_bpf::Sensor::deny_exec(self, cgroup_id, inode).map_err(|e| e.to_string())
    }
    fn exempt_exec(
        &mut self,
        cgroup_id: u64,
        inode: Inode,
        exemption: ExecExemption,
    ) -> Result<(), String> {
        kabuto_runtime_bpf::Sensor::exempt_exec(self, cgroup_id, inode, exemption)
            .map_err(|e| e.to_string())
    }
    fn watch_port(&mut self, cgroup_id: u64, port: u16, block: bool) -> Result<(), String> {
        kabuto_runtime_bpf::Sensor::watch_port(self, cgroup_id, port, block)
            .map_err(|e| e.to_string())
    }
    fn forget_container(
        &mut self,
        cgroup_id: u64,
        inodes: &[Inode],
        ports: &[u16],
    ) -> Result<(), String> {
        kabuto_runtime_bpf::Sensor::forget_container(self, cgroup_id, inodes, ports)
            .map_err(|e| e.to_string())
    }
    fn set_readonly_paths(&mut self, cgroup_id: u64, paths: &[String]) -> Result<(), String> {
        match kabuto_runtime_bpf::Sensor::set_readonly_paths(self, cgroup_id, paths) {
            Ok(true) => Ok(()),
            Ok(false) => Err("more or longer paths than the kernel holds".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }
    fn kill(&mut self, pid: u32) -> Result<(), String> {
        kill(pid)
    }
}

/// Sends SIGKILL to `pid`.
pub fn kill(pid: u32) -> Result<(), String> {
    let pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or_else(|| format!("{pid} is not a process id"))?;
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).map_err(|e| e.to_string())
}

/// Directories searched for an executable named without a path.
const PATH_DIRS: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// Ancestors reported in an audit event's lineage.
const LINEAGE_DEPTH: usize = 8;

struct Known<'p> {
    info: ContainerInfo,
    policies: ContainerPolicies<'p>,
    /// Processes running in the container.
    processes: u32,
    /// Over the fork guard's limit already reported.
    over_limit: bool,
    /// The inodes and ports given to the kernel for it, to forget when it ends.
    inodes: Vec<Inode>,
    ports: Vec<u16>,
    /// The image whose executables `image_lockdown` judges by (see [`crate::image`]).
    image: Option<String>,
}

#[derive(Debug, Clone)]
struct ProcessEntry {
    ppid: u32,
    comm: String,
    path: String,
    /// The working directory the kernel read at its exec (a fork's parent's).
    cwd: Option<String>,
}

/// The agent's state: known containers and processes.
pub struct Agent<'p> {
    policies: &'p RuntimePolicies,
    containers: Containers,
    known: HashMap<u64, Known<'p>>,
    processes: HashMap<u32, ProcessEntry>,
    host: String,
    id_prefix: String,
    sequence: u64,
}

/// An agent put aside without its policies, to go on with a new set ([`Agent::park`],
/// [`Agent::resume`]).
pub struct Parked {
    containers: Containers,
    /// The known containers with the inode and port entries the kernel was given for them.
    known: Vec<(u64, Vec<Inode>, Vec<u16>)>,
    processes: HashMap<u32, ProcessEntry>,
    host: String,
    id_prefix: String,
    sequence: u64,
}

impl<'p> Agent<'p> {
    pub fn new(policies: &'p RuntimePolicies, containers: Containers, host: &str) -> Agent<'p> {
        Agent {
            policies,
            containers,
            known: HashMap::new(),
            processes: HashMap::new(),
            host: host.to_owned(),
            id_prefix: OffsetDateTime::now_utc().unix_timestamp().to_string(),
            sequence: 0,
        }
    }

    /// Registers the running containers the agent does not know yet: at its start, and
    /// then every second, so a container whose first events came before the runtime wrote
    /// its state is not missed until it does something else.
    pub fn register_running(
        &mut self,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        self.containers.rescan();
        let cgroups: Vec<u64> = self
            .containers
            .all()
            .map(|c| c.cgroup_id)
            .filter(|cgroup_id| !self.known.contains_key(cgroup_id))
            .collect();
        cgroups
            .into_iter()
            .flat_map(|cgroup_id| self.register(cgroup_id, kernel, now))
            .collect()
    }

    /// Forgets the containers whose cgroup is gone, here and in the kernel; returns how many.
    pub fn forget_ended(&mut self, kernel: &mut impl Kernel) -> usize {
        let ended: Vec<u64> = self
            .known
            .iter()
            .filter(|(_, known)| !known.info.cgroup_dir.exists())
            .map(|(cgroup_id, _)| *cgroup_id)
            .collect();
        for cgroup_id in &ended {
            if let Some(known) = self.known.remove(cgroup_id) {
                if let Err(e) = kernel.forget_container(*cgroup_id, &known.inodes, &known.ports) {
                    tracing::warn!(container = %known.info.container.id, "forgetting it: {e}");
                }
                tracing::info!(container = %known.info.container.id, "container ended");
            }
        }
        ended.len()
    }

    /// The number of containers known.
    pub fn containers(&self) -> usize {
        self.known.len()
    }

    /// Puts the agent aside to take another policy set: what it knows but the policies.
    pub fn park(self) -> Parked {
        Parked {
            containers: self.containers,
            known: (self.known.into_iter())
                .map(|(cgroup_id, known)| (cgroup_id, known.inodes, known.ports))
                .collect(),
            processes: self.processes,
            host: self.host,
            id_prefix: self.id_prefix,
            sequence: self.sequence,
        }
    }

    /// The parked agent with `policies`: every container it knew is registered anew (the
    /// kernel's entries for it replaced by the new rules' and its start judged by them);
    /// returns the audit events that causes.
    pub fn resume(
        policies: &'p RuntimePolicies,
        parked: Parked,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> (Agent<'p>, Vec<RuntimeAuditEvent>) {
        let mut agent = Agent {
            policies,
            containers: parked.containers,
            known: HashMap::new(),
            processes: parked.processes,
            host: parked.host,
            id_prefix: parked.id_prefix,
            sequence: parked.sequence,
        };
        let mut events = Vec::new();
        for (cgroup_id, inodes, ports) in parked.known {
            if let Err(e) = kernel.forget_container(cgroup_id, &inodes, &ports) {
                tracing::warn!(cgroup_id, "replacing its kernel entries: {e}");
            }
            events.extend(agent.register(cgroup_id, kernel, now));
        }
        (agent, events)
    }

    /// Judges one kernel event; returns the audit events it causes.
    pub fn handle(
        &mut self,
        event: KernelEvent,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        match event {
            KernelEvent::Exec {
                task,
                filename,
                args,
                cwd,
                ctime_ns,
                verdict,
                ..
            } => {
                let executed = Executed {
                    filename,
                    invocation: Invocation { args, cwd },
                    ctime_ns,
                };
                let enforce = Enforce::KernelOrKill(verdict);
                self.exec(&task, executed, enforce, kernel, now)
            }
            KernelEvent::Fork(task) => self.fork(&task, kernel, now),
            KernelEvent::Exit { pid, cgroup_id, .. } => {
                self.exit(pid, cgroup_id);
                Vec::new()
            }
            KernelEvent::Connect {
                pid,
                uid,
                cgroup_id,
                comm,
                remote,
                verdict,
            } => {
                let path = self.path_of(pid);
                let actor = Actor {
                    pid,
                    ns_pid: None,
                    uid,
                    comm: &comm,
                    path: &path,
                };
                let event = Event::Connect {
                    process: actor.process(),
                    remote,
                };
                let seen = Seen {
                    remote: Some(remote),
                    ..Seen::new("connect", cgroup_id, actor, Enforce::KernelOnly(verdict))
                };
                self.report(seen, &event, kernel, now)
            }
            KernelEvent::File {
                task,
                path,
                change,
                verdict,
            } => {
                let path = self.absolute(task.pid, path);
                let program = self.path_of(task.pid);
                let actor = Actor::of_task(&task, &program);
                let op = match change {
                    FileChange::Create => FileOp::Create,
                    FileChange::Modify => FileOp::Modify,
                    FileChange::Delete => FileOp::Delete,
                    FileChange::Attributes => FileOp::Attributes,
                    FileChange::Read => FileOp::Read,
                };
                let event = Event::File {
                    process: actor.process(),
                    path: &path,
                    op,
                };
                let seen = Seen {
                    file: Some(&path),
                    ..Seen::new(
                        "file",
                        task.cgroup_id,
                        actor,
                        Enforce::KernelOrKill(verdict),
                    )
                };
                self.report(seen, &event, kernel, now)
            }
            KernelEvent::StdioSocket {
                task,
                remote,
                verdict,
                ..
            } => {
                let path = self.path_of(task.pid);
                let actor = Actor::of_task(&task, &path);
                let event = Event::StdioSocket {
                    process: actor.process(),
                    remote: remote.map(|r| r.ip()),
                };
                let seen = Seen {
                    remote,
                    ..Seen::new(
                        "stdio_socket",
                        task.cgroup_id,
                        actor,
                        Enforce::KernelOrKill(verdict),
                    )
                };
                self.report(seen, &event, kernel, now)
            }
            KernelEvent::Syscall {
                task,
                call,
                verdict,
            } => {
                let Some((call, detail)) = judged_call(&call, task.uid) else {
                    return Vec::new();
                };
                let path = self.path_of(task.pid);
                let actor = Actor::of_task(&task, &path);
                let event = Event::Syscall {
                    process: actor.process(),
                    call,
                    detail: &detail,
                };
                let seen = Seen::new(
                    "syscall",
                    task.cgroup_id,
                    actor,
                    Enforce::KernelOrKill(verdict),
                );
                self.report(seen, &event, kernel, now)
            }
            KernelEvent::Network { task, op, address } => {
                let path = self.path_of(task.pid);
                let actor = Actor::of_task(&task, &path);
                let op = match op {
                    NetworkOp::Bind => kabuto_runtime_policy::NetworkOp::Bind,
                    NetworkOp::Listen => kabuto_runtime_policy::NetworkOp::Listen,
                    NetworkOp::Accept => kabuto_runtime_policy::NetworkOp::Accept,
                };
                let event = Event::Network {
                    process: actor.process(),
                    op,
                    address,
                };
                let seen = Seen {
                    remote: address,
                    ..Seen::new(
                        "network",
                        task.cgroup_id,
                        actor,
                        Enforce::KernelOnly(KernelVerdict::None),
                    )
                };
                self.report(seen, &event, kernel, now)
            }
        }
    }

    /// Judges one event, carries out a blocking verdict and audits each hit: the steps every
    /// event kind shares; `seen` says what differs.
    fn report(
        &mut self,
        seen: Seen<'_>,
        event: &Event<'_>,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        let Some(judged) = self.judge(seen.cgroup_id, event, kernel, now) else {
            return Vec::new();
        };
        let enforcement = self.enforce(&judged, seen.enforce, seen.actor.pid, kernel);
        let evidence = Evidence {
            enforcement,
            file: seen.file.map(str::to_owned),
            remote: seen.remote.map(|r| r.to_string()),
        };
        let mut process = seen.actor.audit();
        // Where the kernel could not read an exec's working directory, /proc is read, only
        // for an event that is audited: not for every exec.
        if let Some(invocation) = seen.invocation {
            process.cwd = invocation.cwd.or_else(|| cwd_of(seen.actor.pid));
            process.args = invocation.args;
        }
        self.audit(
            seen.cgroup_id,
            &judged,
            seen.kind,
            process,
            seen.actor.pid,
            &evidence,
        )
    }

    /// Audits an exec the [`crate::gate`] refused (the program never ran).
    pub fn denied_exec(
        &mut self,
        denial: Denial,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        let enforce = Enforce::Done(crate::gate::DENIED);
        let executed = Executed {
            filename: denial.path,
            invocation: Invocation::default(),
            ctime_ns: denial.ctime_ns,
        };
        self.exec(&denial.task, executed, enforce, kernel, now)
    }

    fn exec(
        &mut self,
        task: &Task,
        executed: Executed,
        enforce: Enforce,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        let Executed {
            filename,
            invocation,
            ctime_ns,
        } = executed;
        let path = if filename.starts_with('/') {
            filename
        } else {
            // A relative path: the kernel's link to the executable, as the process sees it;
            // for a process already gone, the path under its working directory.
            exe_link(task.pid)
                .or_else(|| Some(join_under(invocation.cwd.as_deref()?, &filename)))
                .unwrap_or(filename)
        };
        if !matches!(enforce, Enforce::Done(_)) {
            self.processes.insert(
                task.pid,
                ProcessEntry {
                    ppid: task.ppid,
                    comm: task.comm.clone(),
                    path: path.clone(),
                    cwd: invocation.cwd.clone(),
                },
            );
        }
        let mut events = Vec::new();
        if !self.known.contains_key(&task.cgroup_id) {
            events.extend(self.register(task.cgroup_id, kernel, now));
        }
        let Some(known) = self.known.get(&task.cgroup_id) else {
            return events;
        };
        let entry = if task.parent_cgroup_id != task.cgroup_id && task.pid != known.info.init_pid {
            Entry::RuntimeExec
        } else {
            Entry::Init
        };
        let origin = match u64::try_from(ctime_ns) {
            Ok(ctime) if known.info.created_ns > 0 && ctime > known.info.created_ns => {
                FileOrigin::ChangedAfterStart
            }
            Ok(_) => FileOrigin::Original,
            Err(_) => FileOrigin::Unknown,
        };
        let image = known.image.clone();
        let in_image = image
            .and_then(|image| self.containers.executables(&image))
            .map(|executables| executables.contains(&executed_file(task.pid, &path)));
        let actor = Actor::of_task(task, &path);
        let event = Event::Exec {
            process: actor.process(),
            entry,
            origin,
            in_image,
        };
        let seen = Seen {
            file: Some(&path),
            invocation: Some(invocation),
            ..Seen::new("exec", task.cgroup_id, actor, enforce)
        };
        events.extend(self.report(seen, &event, kernel, now));
        events
    }

    fn fork(
        &mut self,
        task: &Task,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        let parent = self.processes.get(&task.ppid).cloned();
        let (path, cwd) = parent.map(|p| (p.path, p.cwd)).unwrap_or_default();
        self.processes.insert(
            task.pid,
            ProcessEntry {
                ppid: task.ppid,
                comm: task.comm.clone(),
                path,
                cwd,
            },
        );
        let Some(known) = self.known.get_mut(&task.cgroup_id) else {
            return Vec::new();
        };
        known.processes += 1;
        if known.over_limit {
            return Vec::new();
        }
        let event = Event::ProcessCount(known.processes);
        let path = self.path_of(task.pid);
        let seen = Seen::new(
            "process_count",
            task.cgroup_id,
            Actor::of_task(task, &path),
            Enforce::KernelOrKill(KernelVerdict::None),
        );
        let events = self.report(seen, &event, kernel, now);
        if !events.is_empty()
            && let Some(known) = self.known.get_mut(&task.cgroup_id)
        {
            known.over_limit = true;
        }
        events
    }

    fn exit(&mut self, pid: u32, cgroup_id: u64) {
        self.processes.remove(&pid);
        if let Some(known) = self.known.get_mut(&cgroup_id) {
            known.processes = known.processes.saturating_sub(1);
            let limit = known
                .policies
                .policies()
                .iter()
                .filter_map(|p| p.fork_limit())
                .min();
            if limit.is_none_or(|limit| known.processes <= limit) {
                known.over_limit = false;
            }
        }
    }

    fn path_of(&self, pid: u32) -> String {
        self.processes
            .get(&pid)
            .map(|p| p.path.clone())
            .unwrap_or_default()
    }

    /// A file event's path made absolute with the process's working directory: /proc's
    /// while it runs, else the one the kernel read at its exec (a short-lived process is
    /// often gone before its event is read); left relative when neither is known.
    fn absolute(&self, pid: u32, path: String) -> String {
        if path.starts_with('/') {
            return path;
        }
        let cwd = cwd_of(pid).or_else(|| self.processes.get(&pid)?.cwd.clone());
        match cwd {
            Some(cwd) => join_under(&cwd, &path),
            None => path,
        }
    }

    /// The verdict of a container's policies; `None` for the host and for allowed events.
    fn judge(
        &mut self,
        cgroup_id: u64,
        event: &Event<'_>,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Option<Verdict<'p>> {
        if !self.known.contains_key(&cgroup_id) {
            // Events of a container started while the agent ran reach here before its
            // first exec was seen only in a race; the identity is read at once.
            let _ = self.register(cgroup_id, kernel, now);
        }
        let verdict = self.known.get(&cgroup_id)?.policies.judge(event, now);
        (!verdict.hits.is_empty()).then_some(verdict)
    }

    /// How a blocking verdict was carried out: by the kernel, or by a kill from here.
    fn enforce(
        &self,
        verdict: &Verdict<'_>,
        enforce: Enforce,
        pid: u32,
        kernel: &mut impl Kernel,
    ) -> String {
        if verdict.action() != Action::Block {
            return String::new();
        }
        match enforce {
            Enforce::KernelOrKill(KernelVerdict::None) => match kernel.kill(pid) {
                Ok(()) => "killed with SIGKILL from user space (the kernel could not decide \
                           this rule alone)"
                    .to_owned(),
                Err(e) => format!("not enforced: killing pid {pid} failed: {e}"),
            },
            Enforce::KernelOnly(KernelVerdict::None) => "not enforced: the action was done \
                                                         before the container's rules reached \
                                                         the kernel"
                .to_owned(),
            Enforce::KernelOrKill(verdict) | Enforce::KernelOnly(verdict) => {
                kernel_enforcement(verdict).to_owned()
            }
            Enforce::Done(how) => how.to_owned(),
        }
    }

    /// Reads the container's identity and tells the kernel what to enforce for it.
    fn register(
        &mut self,
        cgroup_id: u64,
        kernel: &mut impl Kernel,
        now: OffsetDateTime,
    ) -> Vec<RuntimeAuditEvent> {
        let Some(info) = self.containers.lookup(cgroup_id).cloned() else {
            return Vec::new();
        };
        let policies = self.policies.for_container(&info.container);
        let processes = std::fs::read_to_string(info.cgroup_dir.join("cgroup.procs"))
            .map(|text| text.lines().count() as u32)
            .unwrap_or(1);
        let mut rule = kernel_rule(&info, &policies, now);
        match kernel.gate_execs(&info) {
            // The gate answers every exec but image_lockdown's before it runs.
            Ok(gated) => {
                rule.rule.gate_exec = gated;
                rule.rule.prompt_exec &= !gated || rule.lockdown;
            }
            Err(e) => tracing::warn!(container = %info.container.id, "exec gate: {e}"),
        }
        let mut problems = Vec::new();
        let mut note = |what: &str, result: Result<(), String>| {
            if let Err(e) = result {
                problems.push(format!("{what}: {e}"));
            }
        };
        note(
            "containers map",
            kernel
                .watch_container(cgroup_id, rule.rule)
                .map_err(|e| e.to_string()),
        );
        for inode in &rule.denied {
            note(
                "deny_exec map",
                kernel
                    .deny_exec(cgroup_id, *inode)
                    .map_err(|e| e.to_string()),
            );
        }
        for (inode, exemption) in &rule.exempt {
            note(
                "allow_exec map",
                kernel
                    .exempt_exec(cgroup_id, *inode, *exemption)
                    .map_err(|e| e.to_string()),
            );
        }
        if !rule.readonly.is_empty() {
            note(
                "readonly map",
                kernel
                    .set_readonly_paths(cgroup_id, &rule.readonly)
                    .map_err(|e| e.to_string()),
            );
        }
        for (port, block) in &rule.ports {
            note(
                "deny_connect map",
                kernel
                    .watch_port(cgroup_id, *port, *block)
                    .map_err(|e| e.to_string()),
            );
        }
        for problem in problems {
            tracing::warn!(container = %info.container.id, "{problem}");
        }
        tracing::info!(
            container = %info.container.id,
            cgroup_id,
            image = %info.container.image,
            policies = policies.policies().len(),
            "container registered"
        );
        let start = info.start.clone();
        let init_pid = info.init_pid;
        let mut inodes: Vec<Inode> = rule
            .denied
            .iter()
            .copied()
            .chain(rule.exempt.iter().map(|(inode, _)| *inode))
            .collect();
        inodes.sort_by_key(|i| (i.dev, i.ino));
        inodes.dedup();
        let image = policies
            .policies()
            .iter()
            .any(|p| p.image_lockdown())
            .then(|| self.containers.request_executables(&info));
        self.known.insert(
            cgroup_id,
            Known {
                info,
                policies,
                processes,
                over_limit: false,
                inodes,
                ports: rule.ports.iter().map(|(port, _)| *port).collect(),
                image,
            },
        );
        let Some(judged) = self
            .known
            .get(&cgroup_id)
            .map(|k| k.policies.judge(&Event::Start(&start), now))
        else {
            return Vec::new();
        };
        if judged.hits.is_empty() {
            return Vec::new();
        }
        let enforcement = if judged.action() == Action::Block {
            match kernel.kill(init_pid) {
                Ok(()) => "the container's first process was killed with SIGKILL".to_owned(),
                Err(e) => format!("not enforced: killing pid {init_pid} failed: {e}"),
            }
        } else {
            String::new()
        };
        let evidence = Evidence {
            enforcement,
            file: None,
            remote: None,
        };
        let process = audit_process(init_pid, Some(1), None, "", "");
        self.audit(cgroup_id, &judged, "start", process, init_pid, &evidence)
    }

    /// One audit event per hit.
    fn audit(
        &mut self,
        cgroup_id: u64,
        verdict: &Verdict<'_>,
        kind: &str,
        process: AuditProcess,
        pid: u32,
        evidence: &Evidence,
    ) -> Vec<RuntimeAuditEvent> {
        let lineage = self.lineage(pid);
        let known = self.known.get(&cgroup_id);
        let time = OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let mut events = Vec::with_capacity(verdict.hits.len());
        for hit in &verdict.hits {
            self.sequence += 1;
            events.push(RuntimeAuditEvent {
                schema_version: RUNTIME_AUDIT_EVENT_VERSION,
                id: format!("{}-{}", self.id_prefix, self.sequence),
                time: time.clone(),
                host: self.host.clone(),
                container: known.map(|k| AuditContainer {
                    id: k.info.container.id.clone(),
                    name: k.info.container.name.clone(),
                    cgroup_id,
                }),
                image: known
                    .map(|k| k.info.container.image.clone())
                    .filter(|i| !i.is_empty()),
                image_digest: known.and_then(|k| k.info.image_digest.clone()),
                pod: known.and_then(|k| {
                    Some(AuditPod {
                        name: k.info.container.pod.clone()?,
                        namespace: k.info.container.namespace.clone().unwrap_or_default(),
                    })
                }),
                process: process.clone(),
                lineage: lineage.clone(),
                kind: kind.to_owned(),
                policy: hit.policy.to_owned(),
                control: hit.control.code().to_owned(),
                control_field: hit.control.field().to_owned(),
                result: result(hit),
                evidence: AuditEvidence {
                    message: hit.reason.clone(),
                    enforcement: (hit.action == Action::Block && !evidence.enforcement.is_empty())
                        .then(|| evidence.enforcement.clone()),
                    file: evidence.file.clone(),
                    remote: evidence.remote.clone(),
                },
            });
        }
        events
    }

    /// The process's ancestors, parent first.
    fn lineage(&self, pid: u32) -> Vec<AuditProcess> {
        let mut lineage = Vec::new();
        let mut at = self.processes.get(&pid).map(|p| p.ppid);
        while let Some(ppid) = at {
            if lineage.len() == LINEAGE_DEPTH || ppid == 0 {
                break;
            }
            match self.processes.get(&ppid) {
                Some(parent) => {
                    lineage.push(audit_process(ppid, None, None, &parent.comm, &parent.path));
                    at = Some(parent.ppid);
                }
                None => {
                    lineage.push(audit_process(ppid, None, None, "", ""));
                    break;
                }
            }
        }
        lineage
    }
}

struct Evidence {
    /// Empty when nothing was blocked.
    enforcement: String,
    file: Option<String>,
    remote: Option<String>,
}

/// How a blocking verdict is carried out for an event kind.
#[derive(Debug, Clone, Copy)]
enum Enforce {
    /// The kernel's verdict; when the kernel let it happen, a kill from user space.
    KernelOrKill(KernelVerdict),
    /// The kernel's verdict only: nothing is left to stop afterwards (a connection made).
    KernelOnly(KernelVerdict),
    /// Stopped before it happened, as said.
    Done(&'static str),
}

/// What the rules judge of a system call, and what it asked for in words; `None` for a call
/// that gains nothing (root dropping privileges, a non-root capset of nothing).
fn judged_call(call: &Syscall, uid: u32) -> Option<(RuleSyscall, String)> {
    Some(match call {
        Syscall::SetUid { uid: 0 } if uid != 0 => (RuleSyscall::GainRoot, "uid 0".to_owned()),
        Syscall::SetGid { gid: 0 } if uid != 0 => (RuleSyscall::GainRoot, "gid 0".to_owned()),
        Syscall::Capset { effective } if uid != 0 && *effective != 0 => (
            RuleSyscall::GainCapabilities,
            format!("the capabilities {effective:#x}"),
        ),
        Syscall::SetUid { .. } | Syscall::SetGid { .. } | Syscall::Capset { .. } => return None,
        Syscall::Ptrace { request, target } => (
            RuleSyscall::Ptrace,
            format!("request {request:#x} on pid {target}"),
        ),
        Syscall::Mount { target } => (RuleSyscall::Mount, format!("at {target}")),
        Syscall::ModuleLoad => (RuleSyscall::ModuleLoad, String::new()),
        Syscall::Setns { nstype } => (RuleSyscall::Setns, format!("nstype {nstype:#x}")),
        Syscall::Unshare { flags } => (RuleSyscall::Unshare, format!("flags {flags:#x}")),
    })
}

/// The file a process executes, as its container sees it with links resolved (what an
/// image's list of executables names); `path` when the process is gone.
fn executed_file(pid: u32, path: &str) -> String {
    exe_link(pid)
        .filter(|p| !p.ends_with(" (deleted)"))
        .unwrap_or_else(|| path.to_owned())
}

/// A running process's link to its executable, as it sees it.
fn exe_link(pid: u32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| p.to_str().map(str::to_owned))
}

/// What the kernel did, for a verdict other than [`KernelVerdict::None`].
fn kernel_enforcement(verdict: KernelVerdict) -> &'static str {
    match verdict {
        KernelVerdict::DenyListed | KernelVerdict::RuntimeExec | KernelVerdict::Drift => {
            "killed with SIGKILL in the kernel before the program ran"
        }
        KernelVerdict::ReverseShell => {
            "killed with SIGKILL in the kernel at the dup2 that redirected its stdio"
        }
        KernelVerdict::ConnectDenied => "refused with EPERM in the kernel (cgroup/connect)",
        KernelVerdict::ReadOnly => {
            "killed with SIGKILL in the kernel at the syscall's entry, before it wrote (an \
             open with O_TRUNC or O_CREAT may have taken effect)"
        }
        KernelVerdict::Syscall => {
            "killed with SIGKILL in the kernel at the syscall's entry, before it took effect"
        }
        KernelVerdict::None => "not enforced",
    }
}

/// The process an event is about, borrowed from the kernel event.
struct Actor<'a> {
    pid: u32,
    ns_pid: Option<u32>,
    uid: u32,
    comm: &'a str,
    path: &'a str,
}

impl<'a> Actor<'a> {
    fn of_task(task: &'a Task, path: &'a str) -> Actor<'a> {
        Actor {
            pid: task.pid,
            ns_pid: Some(task.ns_pid),
            uid: task.uid,
            comm: &task.comm,
            path,
        }
    }

    /// As the policies judge it.
    fn process(&self) -> Process<'a> {
        Process {
            pid: self.pid,
            path: self.path,
            comm: self.comm,
            uid: self.uid,
        }
    }

    /// As the audit event names it.
    fn audit(&self) -> AuditProcess {
        audit_process(self.pid, self.ns_pid, Some(self.uid), self.comm, self.path)
    }
}

/// What an exec ran: the path given to execve, how it was called, the file's change time.
struct Executed {
    filename: String,
    invocation: Invocation,
    ctime_ns: i64,
}

/// An exec's arguments and working directory, as the kernel read them (none for an exec the
/// fanotify gate refused: the working directory is then read from /proc).
#[derive(Default)]
struct Invocation {
    args: Vec<String>,
    cwd: Option<String>,
}

/// What one event kind says of itself to [`Agent::report`].
struct Seen<'a> {
    /// The audit event's kind.
    kind: &'static str,
    cgroup_id: u64,
    actor: Actor<'a>,
    enforce: Enforce,
    file: Option<&'a str>,
    remote: Option<SocketAddr>,
    /// An exec's arguments and working directory; `None` for other events.
    invocation: Option<Invocation>,
}

impl<'a> Seen<'a> {
    /// An event with neither file nor remote address.
    fn new(kind: &'static str, cgroup_id: u64, actor: Actor<'a>, enforce: Enforce) -> Seen<'a> {
        Seen {
            kind,
            cgroup_id,
            actor,
            enforce,
            file: None,
            remote: None,
            invocation: None,
        }
    }
}

/// `path` under `dir`, without the `.` components (`..` stays: a link may be above).
fn join_under(dir: &str, path: &str) -> String {
    let joined: PathBuf = Path::new(dir).join(path).components().collect();
    joined.display().to_string()
}

/// A running process's working directory, as it sees it.
fn cwd_of(pid: u32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/cwd"))
        .ok()
        .map(|p| p.display().to_string())
}

fn result(hit: &Hit<'_>) -> AuditResult {
    match hit.action {
        Action::Block => AuditResult::Block,
        Action::Detect | Action::Allow => AuditResult::Detect,
    }
}

fn audit_process(
    pid: u32,
    ns_pid: Option<u32>,
    uid: Option<u32>,
    comm: &str,
    path: &str,
) -> AuditProcess {
    AuditProcess {
        pid,
        ns_pid: ns_pid.filter(|n| *n != pid),
        uid,
        comm: comm.to_owned(),
        path: path.to_owned(),
        args: Vec::new(),
        cwd: None,
    }
}

/// What the kernel is told for one container.
struct KernelPlan {
    rule: ContainerRule,
    denied: Vec<Inode>,
    exempt: Vec<(Inode, ExecExemption)>,
    /// Watched ports and whether they are blocked.
    ports: Vec<(u16, bool)>,
    /// Read-only paths the kernel enforces.
    readonly: Vec<String>,
    /// An enforced `image_lockdown`: the agent kills those execs even where the exec gate
    /// decides the others.
    lockdown: bool,
}

/// The kernel's share of the container's enforced policies: a control goes to the kernel
/// only when the kernel can decide it exactly (its exceptions name files by absolute path);
/// otherwise the agent kills from user space.
fn kernel_rule(
    info: &ContainerInfo,
    policies: &ContainerPolicies<'_>,
    now: OffsetDateTime,
) -> KernelPlan {
    let mut plan = KernelPlan {
        rule: ContainerRule {
            init_pid: info.init_pid,
            start_ns: info.created_ns,
            ..ContainerRule::default()
        },
        denied: Vec::new(),
        exempt: Vec::new(),
        ports: Vec::new(),
        readonly: Vec::new(),
        lockdown: false,
    };
    let mut readonly = Some(Vec::new());
    let mut exempt: HashMap<Inode, ExecExemption> = HashMap::new();
    let mut runtime_exec = Vec::new();
    let mut drift = Vec::new();
    for policy in policies.policies() {
        let enforced = policy.enforced_at(now);
        for range in policy.blocked_ports() {
            for port in range.first..=range.last {
                match plan.ports.iter_mut().find(|(p, _)| *p == port) {
                    Some(entry) => entry.1 |= enforced,
                    None => plan.ports.push((port, enforced)),
                }
            }
        }
        plan.rule.watch_files |= policy.watches_files();
        plan.rule.watch_reads |= policy.watches_reads();
        plan.rule.watch_syscalls |= policy.watches_syscalls();
        plan.rule.watch_network |= policy.audits_network();
        if !enforced {
            continue;
        }
        plan.rule.block_privilege_gain |= policy.limits_new_privileges();
        plan.rule.block_escape |= policy.escape_without_exceptions();
        if has_readonly(policy) {
            // An enforced readonly_files the kernel cannot hold leaves them all to user space.
            match policy.readonly_prefixes() {
                Some(paths) => {
                    if let Some(all) = &mut readonly {
                        all.extend(paths);
                    }
                }
                None => readonly = None,
            }
        }
        for executable in policy.blacklisted_executables() {
            plan.denied.extend(resolve(&info.rootfs, executable));
        }
        // Names, patterns and a path given a new file are judged in user space too; so are
        // allow lists and the image's executables.
        plan.rule.prompt_exec |= !policy.blacklisted_executables().is_empty()
            || policy
                .controls()
                .contains(&kabuto_runtime_policy::Control::AllowedExecutables);
        plan.lockdown |= policy.image_lockdown();
        if let Some(allowed) = policy.container_exec_allowed() {
            runtime_exec.push(allowed);
        }
        if let Some(allowed) = policy.drift_allowed() {
            drift.push(allowed);
        }
        plan.rule.block_reverse_shell |= policy.reverse_shell_without_exceptions();
    }
    let exact = |lists: &[&[Executable]]| {
        lists
            .iter()
            .all(|list| list.iter().all(|e| e.exact_path().is_some()))
    };
    // Every enforcing policy must agree for the kernel to kill; one allow-list entry the
    // kernel cannot resolve leaves the control to user space.
    if !runtime_exec.is_empty() && exact(&runtime_exec) {
        plan.rule.block_runtime_exec = true;
        for executable in runtime_exec.iter().flat_map(|l| l.iter()) {
            for inode in resolve(&info.rootfs, executable) {
                exempt.entry(inode).or_default().runtime_exec = true;
            }
        }
    }
    if !drift.is_empty() && exact(&drift) {
        plan.rule.block_drift = true;
        for executable in drift.iter().flat_map(|l| l.iter()) {
            for inode in resolve(&info.rootfs, executable) {
                exempt.entry(inode).or_default().drift = true;
            }
        }
    }
    plan.rule.prompt_exec |= plan.lockdown
        || (!runtime_exec.is_empty() && !plan.rule.block_runtime_exec)
        || (!drift.is_empty() && !plan.rule.block_drift);
    plan.exempt = exempt.into_iter().collect();
    if let Some(mut paths) = readonly {
        paths.sort();
        paths.dedup();
        if !paths.is_empty()
            && paths.len() <= READONLY_PATHS
            && paths.iter().all(|p| p.len() <= READONLY_PATH_LEN)
        {
            plan.rule.block_readonly = true;
            plan.readonly = paths;
        }
    }
    plan
}

fn has_readonly(policy: &kabuto_runtime_policy::RuntimePolicy) -> bool {
    policy
        .controls()
        .contains(&kabuto_runtime_policy::Control::ReadonlyFiles)
}

/// The inode of `path` inside the container's root filesystem: symbolic links (absolute ones
/// too) resolve inside the root, never on the host (openat2 RESOLVE_IN_ROOT).
fn inode_in_root(rootfs: &Path, path: &str) -> Option<Inode> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let root = rustix::fs::open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let file = rustix::fs::openat2(
        &root,
        path.trim_start_matches('/'),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    )
    .ok()?;
    let stat = rustix::fs::fstat(&file).ok()?;
    Some(Inode::from_stat(stat.st_dev, stat.st_ino))
}

/// The files in the container's root filesystem an executable entry names: its path, or
/// for a name, the matching files in the standard PATH directories.
fn resolve(rootfs: &Path, executable: &Executable) -> Vec<Inode> {
    if let Some(path) = executable.exact_path() {
        return inode_in_root(rootfs, path).into_iter().collect();
    }
    if !executable.by_name() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for dir in PATH_DIRS {
        // Listing through the host path is safe (a name is only compared); each file is then
        // opened inside the root.
        let Ok(entries) = std::fs::read_dir(rootfs.join(dir.trim_start_matches('/'))) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if executable.matches_path(name) {
                found.extend(inode_in_root(rootfs, &format!("{dir}/{name}")));
            }
        }
    }
    found.sort_by_key(|i| (i.dev, i.ino));
    found.dedup();
    found
}
