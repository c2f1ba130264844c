//! Runtime policy files: the examples load, bad files are refused at their line and field,
//! and events are judged into the verdict each control promises.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kabuto_runtime_policy::{
    Action, Container, Control, Entry, Event, FileOp, FileOrigin, NetworkOp, Process,
    RuntimePolicies, RuntimePolicyError, StartConfig, Syscall,
};
use time::macros::datetime;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn prod() -> Container {
    Container {
        id: "c1".into(),
        name: "web".into(),
        image: "docker.io/library/debian:12".into(),
        pod: Some("web-1".into()),
        namespace: Some("prod".into()),
        labels: BTreeMap::new(),
        host: "node".into(),
    }
}

fn process(path: &str) -> Process<'_> {
    Process {
        pid: 7,
        path,
        comm: path.rsplit('/').next().unwrap_or(path),
        uid: 0,
    }
}

fn exec(path: &str) -> Event<'_> {
    Event::Exec {
        process: process(path),
        entry: Entry::Init,
        origin: FileOrigin::Original,
        in_image: None,
    }
}

const NOW: time::OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

fn judge(
    policies: &RuntimePolicies,
    container: &Container,
    event: &Event<'_>,
) -> Vec<(String, Control, Action)> {
    policies
        .for_container(container)
        .judge(event, NOW)
        .hits
        .into_iter()
        .map(|h| (h.policy.to_owned(), h.control, h.action))
        .collect()
}

fn error(text: &str) -> String {
    match RuntimePolicies::parse(text, "p.yaml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_examples_load_with_their_controls() {
    let policies =
        RuntimePolicies::load(&[data("enforce.yaml"), data("audit.json")]).expect("load");
    let names: Vec<&str> = policies
        .policies()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["prod-lockdown", "audit-everything"]);
    let codes: Vec<&str> = policies.policies()[0]
        .controls()
        .iter()
        .map(|c| c.code())
        .collect();
    assert_eq!(
        codes,
        [
            "KRT001", "KRT002", "KRT004", "KRT005", "KRT006", "KRT007", "KRT008", "KRT009",
            "KRT010", "KRT011", "KRT012"
        ]
    );
    assert!(policies.policies()[0].enforced_at(NOW));
    assert!(!policies.policies()[1].enforced_at(NOW));
    let ports = policies.policies()[0].blocked_ports();
    assert_eq!((ports[1].first, ports[1].last), (6660, 6669));
}

#[test]
fn exec_controls_block_in_enforce_mode() {
    let policies = RuntimePolicies::load(&[data("enforce.yaml")]).expect("load");
    let c = prod();
    let block = |control| vec![("prod-lockdown".to_owned(), control, Action::Block)];
    assert_eq!(judge(&policies, &c, &exec("/usr/bin/ls")), []);
    assert_eq!(
        judge(&policies, &c, &exec("/usr/bin/nc")),
        block(Control::ExecutableBlacklist)
    );
    assert_eq!(
        judge(&policies, &c, &exec("/tmp/x/payload")),
        block(Control::ExecutableBlacklist)
    );
    let entered = |path| Event::Exec {
        process: process(path),
        entry: Entry::RuntimeExec,
        origin: FileOrigin::Original,
        in_image: None,
    };
    assert_eq!(
        judge(&policies, &c, &entered("/bin/bash")),
        block(Control::ContainerExec)
    );
    assert_eq!(
        judge(&policies, &c, &entered("/usr/bin/ps")),
        [],
        "ps is on the exec allow list"
    );
    let drifted = |path| Event::Exec {
        process: process(path),
        entry: Entry::Init,
        origin: FileOrigin::ChangedAfterStart,
        in_image: None,
    };
    assert_eq!(
        judge(&policies, &c, &drifted("/usr/local/bin/miner")),
        block(Control::Drift)
    );
    assert_eq!(
        judge(&policies, &c, &drifted("/usr/local/bin/allowed-tool")),
        []
    );
    let unknown = Event::Exec {
        process: process("/usr/local/bin/miner"),
        entry: Entry::Init,
        origin: FileOrigin::Unknown,
        in_image: None,
    };
    assert_eq!(
        judge(&policies, &c, &unknown),
        [],
        "no evidence of drift, no verdict"
    );
    // Two controls at once: both are named.
    let both = Event::Exec {
        process: process("/usr/bin/ncat"),
        entry: Entry::RuntimeExec,
        origin: FileOrigin::ChangedAfterStart,
        in_image: None,
    };
    let verdict = policies.for_container(&c).judge(&both, NOW);
    let controls: Vec<Control> = verdict.hits.iter().map(|h| h.control).collect();
    assert_eq!(
        controls,
        [
            Control::ContainerExec,
            Control::ExecutableBlacklist,
            Control::Drift
        ]
    );
    assert_eq!(verdict.action(), Action::Block);
    assert!(
        verdict
            .decisive()
            .expect("hit")
            .reason
            .contains("/usr/bin/ncat")
    );
}

#[test]
fn scope_and_bypass_choose_the_containers() {
    let policies =
        RuntimePolicies::load(&[data("enforce.yaml"), data("audit.json")]).expect("load");
    let mut dev = prod();
    dev.namespace = Some("dev".into());
    // prod-lockdown (which blocks nc) is out of scope; audit-everything lets root run /usr/sbin/*.
    assert_eq!(judge(&policies, &dev, &exec("/usr/sbin/nc")), []);
    let mut debug = prod();
    debug.labels.insert("kabuto.io/debug".into(), "true".into());
    assert!(
        policies
            .for_container(&debug)
            .policies()
            .iter()
            .all(|p| p.name != "prod-lockdown")
    );
    let mut trusted = prod();
    trusted.name = "trusted-tools".into();
    let scoped = policies.for_container(&trusted);
    assert!(
        scoped
            .policies()
            .iter()
            .all(|p| p.name != "audit-everything"),
        "bypassed"
    );
    let names: Vec<&str> = policies
        .for_container(&prod())
        .policies()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["prod-lockdown", "audit-everything"]);
}

#[test]
fn audit_mode_detects_and_separate_executables_split_root() {
    let policies = RuntimePolicies::load(&[data("audit.json")]).expect("load");
    let c = prod();
    let detect = |control| vec![("audit-everything".to_owned(), control, Action::Detect)];
    let entered = Event::Exec {
        process: Process {
            uid: 1000,
            ..process("/bin/bash")
        },
        entry: Entry::RuntimeExec,
        origin: FileOrigin::Original,
        in_image: None,
    };
    assert_eq!(
        judge(&policies, &c, &entered),
        detect(Control::ContainerExec)
    );
    let as_user = |path, uid| Event::Exec {
        process: Process {
            uid,
            ..process(path)
        },
        entry: Entry::Init,
        origin: FileOrigin::Original,
        in_image: None,
    };
    assert_eq!(judge(&policies, &c, &as_user("/usr/sbin/nginx", 0)), []);
    assert_eq!(
        judge(&policies, &c, &as_user("/usr/sbin/nginx", 33)),
        detect(Control::AllowedExecutables)
    );
    assert_eq!(judge(&policies, &c, &as_user("/usr/bin/id", 33)), []);
    assert_eq!(
        judge(&policies, &c, &as_user("/usr/bin/id", 0)),
        detect(Control::AllowedExecutables)
    );
    assert_eq!(
        judge(&policies, &c, &as_user("/opt/x", 33)),
        detect(Control::AllowedExecutables)
    );
}

#[test]
fn network_file_start_and_count_controls() {
    let policies = RuntimePolicies::load(&[data("enforce.yaml")]).expect("load");
    let c = prod();
    let hits = |event: &Event<'_>| {
        judge(&policies, &c, event)
            .into_iter()
            .map(|h| (h.1, h.2))
            .collect::<Vec<_>>()
    };
    let connect = |addr: &str| Event::Connect {
        process: process("/usr/bin/curl"),
        remote: addr.parse().expect("addr"),
    };
    assert_eq!(
        hits(&connect("192.0.2.1:25")),
        [(Control::PortBlock, Action::Block)]
    );
    assert_eq!(
        hits(&connect("[2001:db8::1]:6667")),
        [(Control::PortBlock, Action::Block)]
    );
    assert_eq!(hits(&connect("192.0.2.1:443")), []);
    let shell = |path, remote: Option<&str>| Event::StdioSocket {
        process: process(path),
        remote: remote.map(|r| r.parse().expect("ip")),
    };
    assert_eq!(
        hits(&shell("/bin/bash", Some("192.0.2.9"))),
        [(Control::ReverseShell, Action::Block)]
    );
    assert_eq!(
        hits(&shell("/bin/sh", None)),
        [(Control::ReverseShell, Action::Block)]
    );
    assert_eq!(
        hits(&shell("/bin/bash", Some("10.3.4.5"))),
        [],
        "allowed network"
    );
    assert_eq!(
        hits(&shell("/usr/bin/python3", Some("192.0.2.9"))),
        [],
        "not a shell"
    );
    let file = |path, op| Event::File {
        process: process("/bin/cp"),
        path,
        op,
    };
    assert_eq!(
        hits(&file("/etc/passwd", FileOp::Modify)),
        [(Control::ReadonlyFiles, Action::Block)]
    );
    assert_eq!(hits(&file("/etc/resolv.conf", FileOp::Modify)), []);
    assert_eq!(
        hits(&file("/etc/passwd", FileOp::Read)),
        [],
        "a read changes nothing"
    );
    assert_eq!(
        hits(&file("/app/config/db.yaml", FileOp::Modify)),
        [(Control::FileIntegrity, Action::Detect)]
    );
    assert_eq!(
        hits(&file("/app/config/db.yaml", FileOp::Delete)),
        [],
        "only modify is monitored"
    );
    let mut config = StartConfig {
        no_new_privileges: true,
        capabilities: vec!["CAP_CHOWN".into()],
        ..StartConfig::default()
    };
    assert_eq!(hits(&Event::Start(&config)), []);
    config.privileged = true;
    config.no_new_privileges = false;
    config.capabilities.push("CAP_NET_RAW".into());
    assert_eq!(
        hits(&Event::Start(&config)),
        [
            (Control::ContainerPrivileges, Action::Block),
            (Control::NoNewPrivileges, Action::Block),
            (Control::Capabilities, Action::Block)
        ]
    );
    assert_eq!(hits(&Event::ProcessCount(100)), []);
    assert_eq!(
        hits(&Event::ProcessCount(101)),
        [(Control::ForkGuard, Action::Block)]
    );
}

#[test]
fn the_grace_period_detects_then_blocks() {
    let text = "name: later\nenforce: true\nenforce_after_days: 10\nlastupdate: 2026-12-01\n\
                executable_blacklist: {enabled: true, executables: [nc]}\n";
    let policies = RuntimePolicies::parse(text, "p.yaml").expect("parse");
    let scoped = policies.for_container(&prod());
    let action = |now| scoped.judge(&exec("/bin/nc"), now).action();
    assert_eq!(action(datetime!(2026-12-10 23:59 UTC)), Action::Detect);
    assert_eq!(action(datetime!(2026-12-11 00:00 UTC)), Action::Block);
}

#[test]
fn bad_files_name_line_column_and_field() {
    let cases = [
        (
            "name: p\nexecutable_blacklist:\n  enabled: true\n  executabels: [nc]\n",
            "p.yaml:4:3: field `executable_blacklist.executabels`: unknown field `executabels` (did you mean `executables`?)",
        ),
        (
            "policies:\n  - name: a\n  - name: b\n    port_block: {enabled: true, block_outbound_ports: [\"80\", \"99999\"]}\n",
            "p.yaml:4:62: field `policies[1].port_block.block_outbound_ports[1]`: `99999` is not a port (1-65535) or a range `a-b`",
        ),
        (
            "name: p\nscope:\n  expression: v1 && v3\n  variables:\n    - {attribute: container.name, value: x}\n",
            "p.yaml:3:3: field `scope.expression`: `v3` names no variable: the scope has 1",
        ),
        (
            "name: p\nscope_variables:\n  - {attribute: container.colour, value: x}\nscope_expression: v1\n",
            "p.yaml:3:6: field `scope_variables[0].attribute`: unknown scope attribute `container.colour`: expected one of container.name, container.label, image.name, image.registry, image.repo, image.tag, kubernetes.namespace, kubernetes.pod, kubernetes.label, host.name",
        ),
        (
            "name: p\nenforce_after_days: 3\n",
            "p.yaml:2:1: field `enforce_after_days`: switches a policy from audit to enforce after a grace period: it needs `enforce: true`",
        ),
        (
            "name: p\nreverse_shell:\n  enabled: true\n  reverse_shell_ip_white_list: [10.0.0.0/40]\n",
            "p.yaml:4:33: field `reverse_shell.reverse_shell_ip_white_list[0]`: `10.0.0.0/40`: the prefix length must be 0 to 32",
        ),
        (
            "name: p\nauditing: {enabled: true, audit_all_processes: true, audit_process_cmdline: true}\n",
            "p.yaml:2:54: field `auditing.audit_process_cmdline`: is not supported by Kabuto's enforcer yet (the sensor reports the executable, not its arguments): set it to false",
        ),
        (
            "name: p\nauditing: {enabled: true}\n",
            "p.yaml:2:1: field `auditing`: is enabled but records nothing: set `audit_all_processes` or `audit_all_network`",
        ),
        (
            "name: p\nenable_fork_guard: true\n",
            "p.yaml:1:1: field `fork_guard_process_limit`: is required (a number above 0) when `enable_fork_guard` is true",
        ),
        (
            "[{\"name\": \"a\"}, {\"name\": \"a\"}]",
            "p.yaml: two runtime policies are named `a`",
        ),
        (
            "{\"name\": \"a\", \"enforce\": \"yes\"}",
            "p.yaml:1:15: field `enforce`: invalid type: string \"yes\", expected a boolean",
        ),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter(|(text, want)| error(text) != *want)
        .map(|(text, _)| error(text))
        .collect();
    assert!(
        wrong.is_empty(),
        "unexpected messages:\n{}",
        wrong.join("\n")
    );
    let missing = RuntimePolicies::load(&[data("no-such-file.yaml")]).expect_err("missing");
    assert!(
        matches!(missing, RuntimePolicyError::Read { .. }),
        "{missing}"
    );
}

#[test]
fn privilege_gains_escape_primitives_and_auditing() {
    let policies = RuntimePolicies::parse(
        "policies:\n\
         - name: harden\n  enforce: true\n  limit_new_privileges: true\n\
         \x20 container_escape: {enabled: true, allowed_processes: [/usr/bin/gdb]}\n\
         - name: record\n  auditing: {enabled: true, audit_all_processes: true, audit_all_network: true}\n",
        "p.yaml",
    )
    .expect("valid");
    let container = prod();
    let mut user = process("/usr/bin/python3");
    user.uid = 1000;
    let syscall = |process, call| Event::Syscall {
        process,
        call,
        detail: "uid 0",
    };
    assert_eq!(
        judge(&policies, &container, &syscall(user, Syscall::GainRoot)),
        [("harden".into(), Control::NewPrivileges, Action::Block)]
    );
    // An escape primitive: blocked unless the process is allowed; never a privilege gain.
    for call in [
        Syscall::Mount,
        Syscall::Unshare,
        Syscall::Setns,
        Syscall::Ptrace,
        Syscall::ModuleLoad,
    ] {
        assert_eq!(
            judge(
                &policies,
                &container,
                &syscall(process("/usr/bin/unshare"), call)
            ),
            [("harden".into(), Control::ContainerEscape, Action::Block)],
            "{call:?}"
        );
        assert!(
            judge(
                &policies,
                &container,
                &syscall(process("/usr/bin/gdb"), call)
            )
            .is_empty()
        );
    }
    // Auditing records, never blocks, every exec and network operation.
    assert_eq!(
        judge(&policies, &container, &exec("/bin/ls")),
        [("record".into(), Control::Auditing, Action::Detect)]
    );
    let listen = Event::Network {
        process: process("/usr/bin/perl"),
        op: NetworkOp::Listen,
        address: Some("0.0.0.0:8080".parse().expect("addr")),
    };
    let verdict = policies.for_container(&container).judge(&listen, NOW);
    assert_eq!(verdict.action(), Action::Detect);
    assert_eq!(
        verdict.hits[0].reason,
        "`/usr/bin/perl` listens on 0.0.0.0:8080"
    );
    let connect = Event::Connect {
        process: process("/usr/bin/curl"),
        remote: "10.0.0.1:443".parse().expect("addr"),
    };
    assert_eq!(
        judge(&policies, &container, &connect),
        [("record".into(), Control::Auditing, Action::Detect)]
    );
    let harden = &policies.policies()[0];
    assert!(harden.watches_syscalls() && harden.limits_new_privileges());
    assert!(!harden.escape_without_exceptions(), "gdb is allowed");
    assert!(policies.policies()[1].audits_network());
}

#[test]
fn image_lockdown_judges_execs_against_the_images_executables() {
    let policies = RuntimePolicies::parse(
        "name: image-only\nenforce: true\n\
         drift_prevention: {enabled: true, image_lockdown: true, exec_lockdown_white_list: [/opt/tools/*]}\n",
        "p.yaml",
    )
    .expect("valid");
    let container = prod();
    let exec = |path, origin, in_image| Event::Exec {
        process: process(path),
        entry: Entry::Init,
        origin,
        in_image,
    };
    assert_eq!(
        judge(
            &policies,
            &container,
            &exec("/mnt/volume/tool", FileOrigin::Original, Some(false))
        ),
        [("image-only".into(), Control::Drift, Action::Block)],
        "not in the image, though not changed after start (a volume's file)"
    );
    for allowed in [
        exec("/usr/bin/ls", FileOrigin::Original, Some(true)),
        exec("/usr/bin/ls", FileOrigin::ChangedAfterStart, Some(true)),
        exec("/tmp/x", FileOrigin::ChangedAfterStart, None),
        exec("/opt/tools/probe", FileOrigin::Original, Some(false)),
    ] {
        assert!(
            judge(&policies, &container, &allowed).is_empty(),
            "{allowed:?}"
        );
    }
    assert!(policies.policies()[0].image_lockdown());
    assert!(
        policies.policies()[0].drift_allowed().is_none(),
        "no exec lockdown asked"
    );
}

#[test]
fn monitored_reads_are_detected_only_when_asked_for() {
    let policies = RuntimePolicies::parse(
        "- name: fim\n  enforce: true\n  file_integrity_monitoring:\n    enabled: true\n    monitored_files: [/etc/shadow, /app/keys/*]\n    monitored_files_read: true\n\
         - name: changes\n  file_integrity_monitoring: {enabled: true, monitored_files: [/etc/shadow]}\n",
        "fim.yaml",
    )
    .expect("policies");
    let read = |path| Event::File {
        process: process("/bin/cat"),
        path,
        op: FileOp::Read,
    };
    assert_eq!(
        judge(&policies, &prod(), &read("/etc/shadow")),
        [("fim".to_owned(), Control::FileIntegrity, Action::Detect)],
        "detect only, and not for the policy that watches changes"
    );
    let verdict = policies
        .for_container(&prod())
        .judge(&read("/etc/shadow"), NOW);
    assert_eq!(
        verdict.hits[0].reason,
        "`/bin/cat` read the monitored `/etc/shadow` (Read)"
    );
    assert_eq!(
        judge(&policies, &prod(), &read("/app/keys/tls.pem")).len(),
        1
    );
    assert_eq!(judge(&policies, &prod(), &read("/etc/hostname")), []);
}
