//! The runtime enforcer's DaemonSet (deploy/kubernetes/enforcer/daemonset.yaml) on this machine,
//! without a kubelet: its pod spec is turned into an OCI config the way containerd's CRI plugin
//! turns these fields (hostPID: the host's pid namespace; privileged: every capability, no
//! seccomp, no masked paths; hostPath volumes: recursive bind mounts, HostToContainer as
//! rslave; readOnlyRootFilesystem; private mount, cgroup, network, ipc and uts namespaces, so
//! /sys/fs/cgroup is the pod's own view and /run is the image's), and run with runc. The image
//! is this build's `kabuto` on the host's /usr (the Dockerfile's image needs a registry), the
//! ConfigMap is a test policy. Then an exec into another runc container is blocked, and the
//! audit event is on the pod's standard output, where `kubectl logs` reads it.
//!
//! Needs root, runc, BPF and the fixture rootfs (../shared/images/build-fixture-images.sh);
//! without them it prints `SKIPPED:` and why.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const DAEMONSET: &str = include_str!("../../../../deploy/kubernetes/enforcer/daemonset.yaml");

/// The capabilities by number (up to CAP_CHECKPOINT_RESTORE).
const CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// What a privileged container holds: every capability the runtime itself holds (containerd's
/// `WithAllCurrentCapabilities`), here the test's bounding set.
fn current_capabilities() -> Vec<&'static str> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or_default();
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(bit, _)| bounding & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect()
}

#[path = "../../../runtime/agent/tests/host/mod.rs"]
mod host;

use host::{cgroup2_mount, fixture_rootfs};

/// What the test takes from the DaemonSet: the enforcer container's arguments, and the
/// settings the translation below relies on (checked, so a changed manifest fails here).
struct PodSpec {
    args: Vec<String>,
    mounts: Vec<(String, String, bool, Option<String>)>,
}

fn pod_spec() -> PodSpec {
    let doc: serde_yaml::Value = serde_yaml::from_str(DAEMONSET).expect("daemonset.yaml");
    let spec = &doc["spec"]["template"]["spec"];
    assert_eq!(spec["hostPID"].as_bool(), Some(true));
    assert!(
        spec["hostNetwork"].is_null(),
        "the translation gives the pod its own network"
    );
    let container = &spec["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["privileged"].as_bool(), Some(true));
    assert_eq!(security["readOnlyRootFilesystem"].as_bool(), Some(true));
    let args = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string argument").to_owned())
        .collect();
    let volumes = spec["volumes"].as_sequence().expect("volumes");
    let mounts = container["volumeMounts"]
        .as_sequence()
        .expect("volumeMounts")
        .iter()
        .map(|m| {
            let name = m["name"].as_str().expect("name");
            let volume = volumes
                .iter()
                .find(|v| v["name"].as_str() == Some(name))
                .expect("the mount's volume");
            let source = match volume["hostPath"]["path"].as_str() {
                Some(path) => path.to_owned(),
                None => format!(
                    "configMap:{}",
                    volume["configMap"]["name"]
                        .as_str()
                        .expect("a hostPath or a configMap")
                ),
            };
            (
                source,
                m["mountPath"].as_str().expect("mountPath").to_owned(),
                m["readOnly"].as_bool().unwrap_or(false),
                m["mountPropagation"].as_str().map(str::to_owned),
            )
        })
        .collect();
    PodSpec { args, mounts }
}

/// A runc container, deleted on drop.
struct Runc {
    id: String,
    _bundle: tempfile::TempDir,
    child: Option<Child>,
}

impl Runc {
    fn bundle(config: &serde_json::Value) -> tempfile::TempDir {
        let bundle = tempfile::tempdir().expect("bundle");
        std::fs::write(bundle.path().join("config.json"), config.to_string()).expect("config");
        bundle
    }

    /// Started in the background (`runc run -d`).
    fn detached(id: String, config: &serde_json::Value) -> Runc {
        let bundle = Runc::bundle(config);
        let status = Command::new("runc")
            .args(["run", "-d", "--bundle"])
            .arg(bundle.path())
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .expect("runc run -d");
        assert!(status.success(), "runc run {id}: {status}");
        Runc {
            id,
            _bundle: bundle,
            child: None,
        }
    }

    /// In the foreground, its standard output and error piped to the test.
    fn attached(id: String, config: &serde_json::Value) -> Runc {
        let bundle = Runc::bundle(config);
        let child = Command::new("runc")
            .args(["run", "--bundle"])
            .arg(bundle.path())
            .arg(&id)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runc run");
        Runc {
            id,
            _bundle: bundle,
            child: Some(child),
        }
    }
}

impl Drop for Runc {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["kill", &self.id, "TERM"])
            .stderr(Stdio::null())
            .status();
        if let Some(child) = &mut self.child {
            // The enforcer stops on SIGTERM; give it a moment before the forced delete.
            for _ in 0..50 {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.id])
            .stderr(Stdio::null())
            .status();
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The workload: `sleep` on the fixture rootfs, named by an annotation as CRI names it.
fn workload(name: &str) -> serde_json::Value {
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": ["/bin/sleep", "600"],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/",
            "noNewPrivileges": true
        },
        "root": {"path": fixture_rootfs(), "readonly": true},
        "annotations": {
            "io.kubernetes.cri.container-name": name,
            "io.kubernetes.cri.sandbox-name": "checkout-7d9c",
            "io.kubernetes.cri.sandbox-namespace": "shop"
        },
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}
        ],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}]}
    })
}

/// The enforcer's pod: the image is the host's /usr with this build's `kabuto` as /kabuto;
/// volumes and arguments come from the DaemonSet.
fn enforcer_pod(spec: &PodSpec, root: &Path, policies: &Path, spool: &Path) -> serde_json::Value {
    for dir in ["usr", "proc", "dev", "sys", "run", "tmp", "host", "etc"] {
        std::fs::create_dir_all(root.join(dir)).expect("rootfs dir");
    }
    for link in ["bin", "sbin", "lib", "lib64"] {
        let _ = std::os::unix::fs::symlink(format!("usr/{link}"), root.join(link));
    }
    std::fs::write(root.join("kabuto"), b"").expect("mount point");
    let mut mounts = vec![
        serde_json::json!({"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]}),
        serde_json::json!({"destination": "/kabuto", "type": "bind", "source": env!("CARGO_BIN_EXE_kabuto"), "options": ["bind", "ro"]}),
        serde_json::json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        serde_json::json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]}),
        serde_json::json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev"]}),
        serde_json::json!({"destination": "/sys/fs/cgroup", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "nodev", "mode=755"]}),
        serde_json::json!({"destination": cgroup2_mount().expect("checked"), "type": "cgroup2", "source": "cgroup2", "options": ["nosuid", "noexec", "nodev"]}),
        serde_json::json!({"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755"]}),
    ];
    for (source, destination, read_only, propagation) in &spec.mounts {
        let source = match source.as_str() {
            "/var/lib/kabuto/enforcer" => spool.to_owned(),
            s if s.starts_with("configMap:") => policies.to_owned(),
            s => PathBuf::from(s),
        };
        let mut options = vec!["rbind".to_owned()];
        if *read_only {
            options.push("ro".into());
        }
        options.push(match propagation.as_deref() {
            Some("HostToContainer") => "rslave".into(),
            Some("Bidirectional") => "rshared".into(),
            _ => "rprivate".into(),
        });
        std::fs::create_dir_all(root.join(destination.trim_start_matches('/')))
            .expect("mount point");
        mounts.push(serde_json::json!({"destination": destination, "type": "bind", "source": source, "options": options}));
    }
    let capabilities = current_capabilities();
    let mut args = vec!["/kabuto".to_owned()];
    args.extend(spec.args.iter().cloned());
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NODE_NAME=node-7"],
            "cwd": "/",
            "capabilities": {
                "bounding": capabilities,
                "effective": capabilities,
                "permitted": capabilities
            }
        },
        "root": {"path": root, "readonly": true},
        "mounts": mounts,
        "linux": {
            "namespaces": [
                {"type": "mount"}, {"type": "cgroup"}, {"type": "network"},
                {"type": "ipc"}, {"type": "uts"}
            ]
        }
    })
}

#[test]
fn the_daemonsets_pod_blocks_an_exec_into_another_container_and_logs_the_event() {
    if !host::prerequisites("the DaemonSet test") {
        return;
    }
    let spec = pod_spec();
    let dir = tempfile::tempdir().expect("dir");
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).expect("policies dir");
    let name = format!("checkout-{}", std::process::id());
    std::fs::write(
        policies.join("policies.yaml"),
        format!(
            "- name: no-exec\n  enforce: true\n  scope: {{expression: v1, variables: [{{attribute: container.name, value: {name}}}]}}\n  container_exec: {{enabled: true}}\n"
        ),
    )
    .expect("policy");
    let spool = dir.path().join("spool");
    std::fs::create_dir(&spool).expect("spool dir");
    let root = dir.path().join("rootfs");
    let pod_config = enforcer_pod(&spec, &root, &policies, &spool);
    let mut pod = Runc::attached(
        format!("kabuto-enforcer-pod-{}", std::process::id()),
        &pod_config,
    );
    let child = pod.child.as_mut().expect("attached");
    let stderr = child.stderr.take().expect("stderr");
    let stdout = child.stdout.take().expect("stdout");
    let (mode_tx, mode_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("pod: {line}");
            let _ = mode_tx.send(line);
        }
    });
    let (event_tx, event_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = event_tx.send(line);
        }
    });
    let started = std::iter::from_fn(|| mode_rx.recv_timeout(Duration::from_secs(60)).ok())
        .find(|line| line.starts_with("kabuto enforcer: enforcement"));
    assert!(started.is_some(), "the pod's enforcer did not start");

    let target = Runc::detached(name.clone(), &workload(&name));
    let out = Command::new("runc")
        .args(["exec", &target.id, "/bin/sh", "-c", "echo entered"])
        .stdin(Stdio::null())
        .output()
        .expect("runc exec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("entered"), "the exec ran: {text}");
    assert!(!out.status.success());

    let event = std::iter::from_fn(|| event_rx.recv_timeout(Duration::from_secs(10)).ok())
        .map(|line| serde_json::from_str::<serde_json::Value>(&line).expect("a JSON line"))
        .find(|e| e["container"]["id"] == name.as_str())
        .expect("the audit event on the pod's standard output");
    assert_eq!(event["control"], "KRT001", "{event:#}");
    assert_eq!(event["result"], "Block", "{event:#}");
    assert_eq!(
        event["host"], "node-7",
        "--host from the NODE_NAME the manifest sets: {event:#}"
    );
    assert_eq!(event["pod"]["namespace"], "shop", "{event:#}");
    assert_eq!(event["pod"]["name"], "checkout-7d9c", "{event:#}");
    drop(target);
    drop(pod);
    assert!(
        std::fs::read_dir(&spool).expect("spool").next().is_some(),
        "the spool is on the node's path, kept across pod restarts"
    );
}
