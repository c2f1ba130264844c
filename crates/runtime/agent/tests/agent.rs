//! The agent's decisions without a kernel: a fake runc state directory, kernel events made by
//! hand, a recorder in place of the eBPF maps.

use std::path::{Path, PathBuf};

use kabuto_api::AuditResult;
use kabuto_enforcer::agent::{Agent, Kernel};
use kabuto_enforcer::identity::{Containers, Host, HostRoot};
use kabuto_runtime_bpf::{ContainerRule, ExecExemption, Inode, KernelEvent, KernelVerdict, Task};
use kabuto_runtime_policy::RuntimePolicies;
use time::OffsetDateTime;

#[derive(Default)]
struct Recorder {
    rules: Vec<(u64, ContainerRule)>,
    denied: Vec<(u64, Inode)>,
    exempt: Vec<(u64, Inode, ExecExemption)>,
    ports: Vec<(u64, u16, bool)>,
    readonly: Vec<(u64, Vec<String>)>,
    forgotten: Vec<(u64, Vec<Inode>, Vec<u16>)>,
    killed: Vec<u32>,
}

impl Kernel for Recorder {
    type Error = String;
    fn watch_container(&mut self, cgroup_id: u64, rule: ContainerRule) -> Result<(), String> {
        self.rules.push((cgroup_id, rule));
        Ok(())
    }
    fn deny_exec(&mut self, cgroup_id: u64, inode: Inode) -> Result<(), String> {
        self.denied.push((cgroup_id, inode));
        Ok(())
    }
    fn exempt_exec(
        &mut self,
        cgroup_id: u64,
        inode: Inode,
        e: ExecExemption,
    ) -> Result<(), String> {
        self.exempt.push((cgroup_id, inode, e));
        Ok(())
    }
    fn watch_port(&mut self, cgroup_id: u64, port: u16, block: bool) -> Result<(), String> {
        self.ports.push((cgroup_id, port, block));
        Ok(())
    }
    fn forget_container(
        &mut self,
        cgroup_id: u64,
        inodes: &[Inode],
        ports: &[u16],
    ) -> Result<(), String> {
        self.forgotten
            .push((cgroup_id, inodes.to_vec(), ports.to_vec()));
        Ok(())
    }
    fn set_readonly_paths(&mut self, cgroup_id: u64, paths: &[String]) -> Result<(), String> {
        self.readonly.push((cgroup_id, paths.to_vec()));
        Ok(())
    }
    fn kill(&mut self, pid: u32) -> Result<(), String> {
        self.killed.push(pid);
        Ok(())
    }
}

/// A runc state root with one container, `web`, whose cgroup is a directory of the fixture.
struct Fixture {
    dir: tempfile::TempDir,
    state_root: PathBuf,
    rootfs: PathBuf,
    cgroup_id: u64,
}

const INIT_PID: u32 = 4_000_000;

fn fixture() -> Fixture {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("dir");
    let cgroup = dir.path().join("cgroup");
    std::fs::create_dir(&cgroup).expect("cgroup");
    std::fs::write(cgroup.join("cgroup.procs"), "1\n2\n").expect("procs");
    let rootfs = dir.path().join("rootfs");
    std::fs::create_dir_all(rootfs.join("usr/bin")).expect("rootfs");
    std::fs::create_dir_all(rootfs.join("etc/alternatives")).expect("rootfs");
    std::fs::write(rootfs.join("usr/bin/nc.openbsd"), "elf").expect("nc");
    // An absolute link, as Debian's alternatives make them: resolved inside the root.
    std::os::unix::fs::symlink("/usr/bin/nc.openbsd", rootfs.join("etc/alternatives/nc"))
        .expect("link");
    std::os::unix::fs::symlink("/etc/alternatives/nc", rootfs.join("usr/bin/nc")).expect("link");
    std::fs::write(rootfs.join("usr/bin/ps"), "elf").expect("ps");
    let state_root = dir.path().join("run-runc");
    std::fs::create_dir_all(state_root.join("web")).expect("state dir");
    let state = serde_json::json!({
        "id": "web",
        "init_process_pid": INIT_PID,
        "created": "2026-12-07T12:00:00Z",
        "cgroup_paths": {"": cgroup},
        "config": {
            "rootfs": rootfs,
            "labels": ["io.kubernetes.pod.namespace=prod", "io.kabuto.image=debian:12"],
            "no_new_privileges": true,
            "namespaces": [{"type": "NEWNET", "path": ""}]
        }
    });
    std::fs::write(state_root.join("web/state.json"), state.to_string()).expect("state");
    let cgroup_id = std::fs::metadata(&cgroup).expect("stat").ino();
    Fixture {
        dir,
        state_root,
        rootfs,
        cgroup_id,
    }
}

fn task(pid: u32, ppid: u32, cgroup_id: u64, parent_cgroup_id: u64, comm: &str) -> Task {
    Task {
        pid,
        ppid,
        ns_pid: pid % 100,
        uid: 0,
        cgroup_id,
        parent_cgroup_id,
        comm: comm.into(),
    }
}

fn exec(task: Task, filename: &str, ctime_ns: i64, verdict: KernelVerdict) -> KernelEvent {
    KernelEvent::Exec {
        task,
        filename: filename.into(),
        args: vec![filename.into(), "--version".into()],
        cwd: Some("/srv".into()),
        dev: 1,
        ino: 2,
        ctime_ns,
        verdict,
    }
}

const STARTED_NS: i64 = 1_796_644_800_000_000_000; // 2026-12-07T12:00:00Z
const NOW: OffsetDateTime = time::macros::datetime!(2026-12-07 13:00 UTC);

fn policies(text: &str) -> RuntimePolicies {
    RuntimePolicies::parse(text, "p.yaml").expect("policy")
}

fn agent<'p>(policies: &'p RuntimePolicies, fixture: &Fixture) -> Agent<'p> {
    Agent::new(
        policies,
        Containers::new(
            vec![fixture.state_root.clone()],
            Host::new("node", HostRoot::default()),
        ),
        "node",
    )
}

fn inode(path: &Path) -> Inode {
    Inode::of(&std::fs::metadata(path).expect("stat"))
}

#[test]
fn enforce_mode_goes_to_the_kernel_and_the_event_names_policy_and_control() {
    let f = fixture();
    let policies = policies(
        "name: lockdown\nenforce: true\ncontainer_exec: {enabled: true, container_exec_proc_white_list: [/usr/bin/ps]}\n\
         executable_blacklist: {enabled: true, executables: [nc]}\n\
         drift_prevention: {enabled: true}\nreverse_shell: {enabled: true}\n\
         port_block: {enabled: true, block_outbound_ports: ['6660-6661']}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    assert!(agent.register_running(&mut kernel, NOW).is_empty());
    let (cgroup, rule) = kernel.rules[0];
    assert_eq!(cgroup, f.cgroup_id);
    assert!(rule.block_runtime_exec && rule.block_drift && rule.block_reverse_shell);
    assert!(
        rule.prompt_exec,
        "a deny list by name is judged in user space too: each exec wakes the agent"
    );
    assert_eq!(
        (rule.init_pid, rule.start_ns),
        (INIT_PID, STARTED_NS as u64)
    );
    let nc = inode(&f.rootfs.join("usr/bin/nc.openbsd"));
    assert_eq!(
        kernel.denied,
        [(f.cgroup_id, nc)],
        "nc, through its links inside the root"
    );
    let ps = inode(&f.rootfs.join("usr/bin/ps"));
    assert_eq!(kernel.exempt.len(), 1);
    assert_eq!(
        (kernel.exempt[0].1, kernel.exempt[0].2.runtime_exec),
        (ps, true)
    );
    assert_eq!(
        kernel.ports,
        [(f.cgroup_id, 6660, true), (f.cgroup_id, 6661, true)]
    );

    // `runc exec` of bash, killed by the kernel.
    let entered = exec(
        task(5001, 77, f.cgroup_id, 1, "bash"),
        "/bin/bash",
        STARTED_NS - 1,
        KernelVerdict::RuntimeExec,
    );
    let events = agent.handle(entered, &mut kernel, NOW);
    assert_eq!(events.len(), 1, "{events:#?}");
    let event = &events[0];
    assert_eq!(
        (event.policy.as_str(), event.control.as_str()),
        ("lockdown", "KRT001")
    );
    assert_eq!(event.control_field, "container_exec");
    assert_eq!(event.result, AuditResult::Block);
    assert_eq!(event.container.as_ref().map(|c| c.id.as_str()), Some("web"));
    assert_eq!(event.image.as_deref(), Some("debian:12"));
    assert_eq!(event.process.path, "/bin/bash");
    assert!(
        event
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("in the kernel")),
        "{event:?}"
    );
    assert!(kernel.killed.is_empty(), "the kernel did it");

    // A drifted binary run by the container's shell: lineage and drift.
    let shell = exec(
        task(INIT_PID, 1, f.cgroup_id, 1, "sh"),
        "/bin/sh",
        STARTED_NS - 1,
        KernelVerdict::None,
    );
    assert!(
        agent.handle(shell, &mut kernel, NOW).is_empty(),
        "the init's own exec is fine"
    );
    let fork = KernelEvent::Fork(task(5002, INIT_PID, f.cgroup_id, f.cgroup_id, "sh"));
    assert!(agent.handle(fork, &mut kernel, NOW).is_empty());
    let drifted = exec(
        task(5002, INIT_PID, f.cgroup_id, f.cgroup_id, "miner"),
        "/tmp/miner",
        STARTED_NS + 5,
        KernelVerdict::Drift,
    );
    let events = agent.handle(drifted, &mut kernel, NOW);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0].control, "KRT004");
    assert_eq!(events[0].lineage[0].comm, "sh");
    assert_eq!(events[0].lineage[0].pid, INIT_PID);
}

#[test]
fn audit_mode_detects_without_killing_and_patterns_stay_in_user_space() {
    let f = fixture();
    let policies = policies(
        "- name: audit\n  enforce: false\n  container_exec: {enabled: true}\n\
         - name: by-name\n  enforce: true\n  container_exec: {enabled: true, container_exec_proc_white_list: [ps]}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    agent.register_running(&mut kernel, NOW);
    assert!(
        !kernel.rules[0].1.block_runtime_exec,
        "an allow list by name cannot be decided in the kernel"
    );
    let entered = exec(
        task(6001, 77, f.cgroup_id, 1, "bash"),
        "/bin/bash",
        STARTED_NS - 1,
        KernelVerdict::None,
    );
    let events = agent.handle(entered, &mut kernel, NOW);
    let results: Vec<(&str, AuditResult)> = events
        .iter()
        .map(|e| (e.policy.as_str(), e.result))
        .collect();
    assert_eq!(
        results,
        [
            ("audit", AuditResult::Detect),
            ("by-name", AuditResult::Block)
        ]
    );
    assert_eq!(kernel.killed, [6001], "killed from user space");
    assert!(
        events[1]
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("user space"))
    );
    assert_eq!(
        events[0].evidence.enforcement, None,
        "a detection enforces nothing"
    );
    let allowed = exec(
        task(6002, 77, f.cgroup_id, 1, "ps"),
        "/usr/bin/ps",
        STARTED_NS - 1,
        KernelVerdict::None,
    );
    let events = agent.handle(allowed, &mut kernel, NOW);
    assert_eq!(events.len(), 1, "ps is allowed by one policy only");
    assert_eq!(events[0].result, AuditResult::Detect);
    assert_eq!(kernel.killed, [6001]);
    // The kernel's arguments and working directory; a relative path of a process already
    // gone is made whole with that directory.
    let relative = exec(
        task(6003, 77, f.cgroup_id, 1, "tool"),
        "./tool",
        STARTED_NS - 1,
        KernelVerdict::None,
    );
    let events = agent.handle(relative, &mut kernel, NOW);
    let process = &events[0].process;
    assert_eq!(process.path, "/srv/tool");
    assert_eq!(process.cwd.as_deref(), Some("/srv"));
    assert_eq!(process.args, ["./tool", "--version"]);
}

#[test]
fn host_processes_are_not_judged() {
    let f = fixture();
    let policies = policies(
        "name: p\nenforce: true\nexecutable_blacklist: {enabled: true, executables: [nc]}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    let host = exec(
        task(7001, 1, 1, 1, "nc"),
        "/usr/bin/nc",
        0,
        KernelVerdict::None,
    );
    assert!(agent.handle(host, &mut kernel, NOW).is_empty());
    assert!(kernel.killed.is_empty() && kernel.rules.is_empty());
    assert_eq!(agent.containers(), 0);
    let contained = exec(
        task(7002, 1, f.cgroup_id, f.cgroup_id, "nc"),
        "/usr/bin/nc",
        0,
        KernelVerdict::DenyListed,
    );
    let events = agent.handle(contained, &mut kernel, NOW);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].control, "KRT002");
    assert_eq!(agent.containers(), 1, "registered at its first exec");
}

#[test]
fn start_time_controls_are_judged_at_registration() {
    let f = fixture();
    let policies = policies(
        "name: p\nenforce: false\nlimit_container_privileges: {enabled: true, netmode: true, pidmode: true}\nno_new_privileges: true\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    let events = agent.register_running(&mut kernel, NOW);
    let controls: Vec<&str> = events.iter().map(|e| e.control.as_str()).collect();
    assert_eq!(
        controls,
        ["KRT008"],
        "no_new_privileges is set and the network is its own; the PID namespace is the host's"
    );
    assert_eq!(events[0].kind, "start");
    assert_eq!(events[0].result, AuditResult::Detect);
    assert!(
        events[0].evidence.message.contains("PID namespace"),
        "{:?}",
        events[0].evidence
    );
    assert!(
        !events[0].evidence.message.contains("network"),
        "{:?}",
        events[0].evidence
    );
}

#[test]
fn read_only_paths_go_to_the_kernel_and_monitored_files_are_detected() {
    let f = fixture();
    let policies = policies(
        "- name: ro\n  enforce: true\n  readonly_files: {enabled: true, readonly_files: ['/etc/*', /usr/bin/ps]}\n\
         - name: fim\n  enforce: true\n  file_integrity_monitoring: {enabled: true, monitored_files: ['/app/*']}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    agent.register_running(&mut kernel, NOW);
    let rule = kernel.rules[0].1;
    assert!(rule.watch_files && rule.block_readonly);
    assert_eq!(
        kernel.readonly,
        [(
            f.cgroup_id,
            vec!["/etc/".to_owned(), "/usr/bin/ps".to_owned()]
        )]
    );
    let write = |path: &str, verdict| KernelEvent::File {
        task: task(8001, INIT_PID, f.cgroup_id, f.cgroup_id, "sh"),
        path: path.into(),
        change: kabuto_runtime_bpf::FileChange::Modify,
        verdict,
    };
    let events = agent.handle(
        write("/etc/passwd", KernelVerdict::ReadOnly),
        &mut kernel,
        NOW,
    );
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        (events[0].control.as_str(), events[0].result),
        ("KRT006", AuditResult::Block)
    );
    assert_eq!(events[0].evidence.file.as_deref(), Some("/etc/passwd"));
    assert!(
        events[0]
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("in the kernel"))
    );
    let events = agent.handle(
        write("/app/config.yaml", KernelVerdict::None),
        &mut kernel,
        NOW,
    );
    assert_eq!(
        (events[0].control.as_str(), events[0].result),
        ("KRT007", AuditResult::Detect)
    );
    assert!(kernel.killed.is_empty(), "monitoring never kills");
    assert!(
        agent
            .handle(write("/var/log/x", KernelVerdict::None), &mut kernel, NOW)
            .is_empty()
    );
    // A read of a read-only path is no change.
    let read = KernelEvent::File {
        task: task(8001, INIT_PID, f.cgroup_id, f.cgroup_id, "sh"),
        path: "/etc/passwd".into(),
        change: kabuto_runtime_bpf::FileChange::Read,
        verdict: KernelVerdict::None,
    };
    assert!(agent.handle(read, &mut kernel, NOW).is_empty());
    // A relative path of a process already gone: under the directory the kernel read at
    // its exec (here /app), inherited by its fork.
    let started = KernelEvent::Exec {
        task: task(8002, INIT_PID, f.cgroup_id, f.cgroup_id, "sh"),
        filename: "/bin/sh".into(),
        args: vec!["sh".into()],
        cwd: Some("/app".into()),
        dev: 1,
        ino: 2,
        ctime_ns: STARTED_NS - 1,
        verdict: KernelVerdict::None,
    };
    agent.handle(started, &mut kernel, NOW);
    agent.handle(
        KernelEvent::Fork(task(8003, 8002, f.cgroup_id, f.cgroup_id, "sh")),
        &mut kernel,
        NOW,
    );
    let relative = KernelEvent::File {
        task: task(8003, 8002, f.cgroup_id, f.cgroup_id, "sh"),
        path: "./settings.yaml".into(),
        change: kabuto_runtime_bpf::FileChange::Modify,
        verdict: KernelVerdict::None,
    };
    let events = agent.handle(relative, &mut kernel, NOW);
    assert_eq!(
        events[0].evidence.file.as_deref(),
        Some("/app/settings.yaml"),
        "{events:#?}"
    );
}

#[test]
fn read_only_patterns_the_kernel_cannot_hold_stay_in_user_space() {
    let f = fixture();
    let policies = policies(
        "name: ro\nenforce: true\nreadonly_files: {enabled: true, readonly_files: ['/etc/*'], exceptional_readonly_files: [/etc/resolv.conf]}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    agent.register_running(&mut kernel, NOW);
    assert!(kernel.rules[0].1.watch_files && !kernel.rules[0].1.block_readonly);
    assert!(kernel.readonly.is_empty());
    let write = KernelEvent::File {
        task: task(8002, INIT_PID, f.cgroup_id, f.cgroup_id, "sh"),
        path: "/etc/passwd".into(),
        change: kabuto_runtime_bpf::FileChange::Modify,
        verdict: KernelVerdict::None,
    };
    let events = agent.handle(write, &mut kernel, NOW);
    assert_eq!(events[0].result, AuditResult::Block);
    assert_eq!(kernel.killed, [8002]);
}

#[test]
fn an_ended_container_is_forgotten_here_and_in_the_kernel() {
    let f = fixture();
    let policies = policies(
        "name: p\nenforce: true\nexecutable_blacklist: {enabled: true, executables: [nc]}\n\
         port_block: {enabled: true, block_outbound_ports: ['25']}\n",
    );
    let mut agent = agent(&policies, &f);
    let mut kernel = Recorder::default();
    agent.register_running(&mut kernel, NOW);
    assert_eq!(agent.forget_ended(&mut kernel), 0, "still running");
    std::fs::remove_dir_all(f.dir.path().join("cgroup")).expect("the cgroup goes");
    assert_eq!(agent.forget_ended(&mut kernel), 1);
    assert_eq!(agent.containers(), 0);
    let nc = inode(&f.rootfs.join("usr/bin/nc.openbsd"));
    assert_eq!(kernel.forgotten, [(f.cgroup_id, vec![nc], vec![25])]);
}

#[test]
fn a_new_policy_set_replaces_the_kernel_entries_of_known_containers_and_judges_new_events() {
    let f = fixture();
    let audit = policies(
        "name: p\nenforce: false\ncontainer_exec: {enabled: true}\n\
         port_block: {enabled: true, block_outbound_ports: ['25']}\n",
    );
    let mut agent = agent(&audit, &f);
    let mut kernel = Recorder::default();
    agent.register_running(&mut kernel, NOW);
    let entered = |pid| {
        exec(
            task(pid, 77, f.cgroup_id, 1, "bash"),
            "/bin/bash",
            STARTED_NS - 1,
            KernelVerdict::None,
        )
    };
    let before = agent.handle(entered(7001), &mut kernel, NOW);
    assert_eq!(before[0].result, AuditResult::Detect);
    assert!(kernel.denied.is_empty());

    let enforce = policies(
        "name: p\nenforce: true\ncontainer_exec: {enabled: true}\n\
         executable_blacklist: {enabled: true, executables: [nc]}\n",
    );
    let (mut agent, started) = Agent::resume(&enforce, agent.park(), &mut kernel, NOW);
    assert!(started.is_empty(), "no start-time control in either set");
    assert_eq!(agent.containers(), 1);
    assert_eq!(
        kernel.forgotten,
        [(f.cgroup_id, vec![], vec![25])],
        "the old set's port entry is taken back"
    );
    let nc = inode(&f.rootfs.join("usr/bin/nc.openbsd"));
    assert_eq!(
        kernel.denied,
        [(f.cgroup_id, nc)],
        "the new set's deny list"
    );
    assert!(kernel.rules.last().expect("rule").1.block_runtime_exec);
    let after = agent.handle(entered(7002), &mut kernel, NOW);
    assert_eq!(after[0].result, AuditResult::Block);
    assert_ne!(after[0].id, before[0].id, "event ids go on");
}

/// Exec events wake the agent at once only where user space decides execs: not for audit
/// mode, nor for controls the kernel holds alone.
#[test]
fn only_execs_user_space_decides_wake_the_agent_at_once() {
    let f = fixture();
    let prompt = |text: &str| {
        let policies = policies(text);
        let mut agent = agent(&policies, &f);
        let mut kernel = Recorder::default();
        agent.register_running(&mut kernel, NOW);
        kernel.rules[0].1.prompt_exec
    };
    assert!(!prompt(
        "name: a\nenforce: false\nexecutable_blacklist: {enabled: true, executables: [nc]}\n\
         allowed_executables: {enabled: true, allow_executables: [/bin/sh]}\n"
    ));
    assert!(!prompt(
        "name: k\nenforce: true\ndrift_prevention: {enabled: true}\ncontainer_exec: {enabled: true}\n"
    ));
    assert!(prompt(
        "name: n\nenforce: true\ncontainer_exec: {enabled: true, container_exec_proc_white_list: [ps]}\n"
    ));
    assert!(prompt(
        "name: l\nenforce: true\ndrift_prevention: {enabled: true, image_lockdown: true}\n"
    ));
}
