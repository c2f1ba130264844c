//! `kabuto enforcer` through the command line: a policy error or a missing sink stops it with
//! exit 1 and says why; on a kernel that loads the eBPF programs (root) it says its mode in
//! one line, runs until SIGTERM and stops with exit 0 and a summary. The scenarios with real
//! containers are in crates/runtime/agent/tests/containers.rs.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::kabuto_at;

#[test]
fn a_policy_with_an_error_is_refused_with_its_line_and_field() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("p.yaml"), "name: x\nenforce: maybe\n").expect("policy");
    let run = kabuto_at(
        dir.path(),
        &[
            "enforcer",
            "--policy",
            "p.yaml",
            "--events",
            "events.jsonl",
            "--spool",
            "spool",
        ],
    );
    run.expect_code(1);
    assert!(
        run.stderr.contains(
            "p.yaml:2:1: field `enforce`: invalid type: string \"maybe\", expected a boolean"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn audit_events_need_somewhere_to_go() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("p.yaml"), "name: x\n").expect("policy");
    let run = kabuto_at(dir.path(), &["enforcer", "--policy", "p.yaml"]);
    run.expect_code(1);
    assert!(
        run.stderr
            .contains("give --events FILE (- for standard output), --syslog, --server URL or more"),
        "{}",
        run.stderr
    );
    let run = kabuto_at(
        dir.path(),
        &[
            "enforcer",
            "--policy",
            "p.yaml",
            "--server",
            "http://127.0.0.1:1",
        ],
    );
    run.expect_code(1);
    assert!(
        run.stderr.contains("--server needs --token"),
        "{}",
        run.stderr
    );
}

#[test]
fn it_says_its_mode_runs_until_sigterm_and_stops_cleanly() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if !status
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
    {
        eprintln!("SKIPPED: the enforcer needs root (eBPF)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("p.yaml"),
        "name: x\nenforce: false\ncontainer_exec: {enabled: true}\n",
    )
    .expect("policy");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kabuto"))
        .current_dir(dir.path())
        .args([
            "enforcer",
            "--policy",
            "p.yaml",
            "--events",
            "events.jsonl",
            "--spool",
            "spool",
        ])
        .env_remove("KABUTO_SERVER")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kabuto enforcer");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let mut mode = None;
    while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
        if let Some(rest) = line.strip_prefix("kabuto enforcer: enforcement: ") {
            mode = Some(rest.trim().to_owned());
            break;
        }
        line.clear();
    }
    let Some(mode) = mode else {
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("SKIPPED: the enforcer did not start here: {line}");
        return;
    };
    assert!(mode.contains("connect denied with EPERM"), "{mode}");
    let pid = child.id().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}: {rest}");
    assert!(
        rest.contains("kabuto enforcer: stopped:") && rest.contains("0 dropped"),
        "{rest}"
    );
    assert!(
        !rest.contains("libbpf:"),
        "libbpf's messages go to the debug log: {rest}"
    );
}

/// `--server`, `--token` and `--server-ca` are one set of flags with one meaning: a CA file
/// that holds no certificate stops `enforcer`, `kube-enforcer` and `scan` alike, naming it.
#[test]
fn server_flags_mean_the_same_on_every_subcommand() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("p.yaml"), "name: x\n").expect("policy");
    std::fs::write(dir.path().join("bad-ca.pem"), "not a certificate").expect("ca");
    std::fs::create_dir(dir.path().join("root")).expect("root");
    let server = [
        "--server",
        "https://kabuto.invalid",
        "--token",
        "t",
        "--server-ca",
        "bad-ca.pem",
    ];
    let enforcer = [
        &["enforcer", "--policy", "p.yaml", "--spool", "spool"][..],
        &server,
    ]
    .concat();
    let kube = [
        &["kube-enforcer", "--tls-cert", "c.pem", "--tls-key", "k.pem"][..],
        &server,
    ]
    .concat();
    let scan = [
        &["scan", "rootfs", "root", "--scanners", "secret", "--quiet"][..],
        &server,
    ]
    .concat();
    for args in [enforcer, kube, scan] {
        let run = kabuto_at(dir.path(), &args);
        run.expect_code(1);
        assert!(
            run.stderr.contains("--server-ca bad-ca.pem: ")
                && run.stderr.contains("no PEM certificate"),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn the_enforcer_needs_a_policy_file_or_a_server_and_a_sane_refresh() {
    let dir = tempfile::tempdir().expect("dir");
    let run = kabuto_at(dir.path(), &["enforcer", "--events", "-"]);
    run.expect_code(1);
    assert!(run.stderr.contains("--policy <FILE>"), "{}", run.stderr);
    for refresh in ["0s", "2days", "soon"] {
        let run = kabuto_at(
            dir.path(),
            &[
                "enforcer",
                "--policy",
                "p.yaml",
                "--policy-refresh",
                refresh,
            ],
        );
        run.expect_code(1);
        assert!(run.stderr.contains("--policy-refresh"), "{}", run.stderr);
    }
}
