//! The sinks of audit events on real endpoints: the syslog sink against a unix datagram socket
//! bound here (as the syslog daemon binds /dev/log), and the event file as standard output
//! (`--events -`) of a child process.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use kabuto_api::{
    AuditContainer, AuditEvidence, AuditProcess, AuditResult, RUNTIME_AUDIT_EVENT_VERSION,
    RuntimeAuditEvent,
};
use kabuto_enforcer::sinks::{EventFile, SinkError, Syslog};

fn event(id: &str, result: AuditResult) -> RuntimeAuditEvent {
    RuntimeAuditEvent {
        schema_version: RUNTIME_AUDIT_EVENT_VERSION,
        id: id.into(),
        time: "2026-12-07T12:00:00Z".into(),
        host: "node".into(),
        container: Some(AuditContainer {
            id: "web".into(),
            name: "web".into(),
            cgroup_id: 42,
        }),
        image: Some("debian:12".into()),
        image_digest: None,
        pod: None,
        process: AuditProcess {
            pid: 7,
            ns_pid: Some(3),
            uid: Some(0),
            comm: "nc".into(),
            path: "/usr/bin/nc".into(),
            args: Vec::new(),
            cwd: None,
        },
        lineage: Vec::new(),
        kind: "exec".into(),
        policy: "lockdown".into(),
        control: "KRT002".into(),
        control_field: "executable_blacklist".into(),
        result,
        evidence: AuditEvidence {
            message: "nc is deny-listed".into(),
            enforcement: None,
            file: None,
            remote: None,
        },
    }
}

/// `<PRI>Mmm dd hh:mm:ss kabuto-enforcer[PID]: ` and the event it carries.
fn parse(message: &str) -> (u16, RuntimeAuditEvent) {
    let (pri, rest) = message
        .strip_prefix('<')
        .and_then(|m| m.split_once('>'))
        .expect("a priority");
    let stamp = &rest[..15];
    assert!(
        time::PrimitiveDateTime::parse(
            &format!("2026 {stamp}"),
            time::macros::format_description!(
                "[year] [month repr:short] [day padding:space] [hour]:[minute]:[second]"
            )
        )
        .is_ok(),
        "an RFC 3164 time: {stamp:?}"
    );
    let tag = format!(" kabuto-enforcer[{}]: ", std::process::id());
    let json = rest[15..].strip_prefix(&tag).expect("the tag and pid");
    (
        pri.parse().expect("a number"),
        serde_json::from_str(json).expect("the event's JSON"),
    )
}

#[test]
fn each_event_is_one_syslog_message_with_its_json() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("log");
    let daemon = UnixDatagram::bind(&path).expect("bind");
    let mut sink = Syslog::connect(&path).expect("connect");
    let events = [
        event("1-1", AuditResult::Block),
        event("1-2", AuditResult::Detect),
    ];
    sink.send(&events).expect("sent");
    let mut buffer = vec![0; 65536];
    let mut received = Vec::new();
    for _ in 0..2 {
        let n = daemon.recv(&mut buffer).expect("a datagram");
        received.push(parse(std::str::from_utf8(&buffer[..n]).expect("text")));
    }
    // Facility auth (4): warning (4) for a block, notice (5) for a detection.
    assert_eq!(received[0], (4 * 8 + 4, events[0].clone()));
    assert_eq!(received[1], (4 * 8 + 5, events[1].clone()));
}

#[test]
fn a_missing_syslog_socket_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("no-log");
    let error = Syslog::connect(&path).expect_err("nothing listens");
    assert!(matches!(error, SinkError::Syslog { .. }), "{error}");
    assert!(
        error.to_string().contains(&*path.to_string_lossy()),
        "{error}"
    );
    // The daemon going away after the connect: the send fails, the events stay spooled.
    let daemon = UnixDatagram::bind(&path).expect("bind");
    let mut sink = Syslog::connect(&path).expect("connect");
    drop(daemon);
    std::fs::remove_file(&path).expect("remove");
    // Another test's child forked between its fork and exec holds the closed socket for a
    // moment, and a send meanwhile still lands in its buffer: wait for it to be released.
    let deadline = Instant::now() + Duration::from_secs(10);
    let error = loop {
        match sink.send(&[event("1-3", AuditResult::Block)]) {
            Err(error) => break error,
            Ok(()) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(()) => panic!("sent for 10 s to a daemon that is gone"),
        }
    };
    assert!(
        error.to_string().contains(&*path.to_string_lossy()),
        "{error}"
    );
}

#[test]
fn a_restarted_syslog_daemon_gets_the_next_events() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("log");
    let first = UnixDatagram::bind(&path).expect("bind");
    let mut sink = Syslog::connect(&path).expect("connect");
    sink.send(&[event("3-1", AuditResult::Block)])
        .expect("sent");
    drop(first);
    std::fs::remove_file(&path).expect("remove");
    let second = UnixDatagram::bind(&path).expect("bind again");
    second
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let events = [
        event("3-2", AuditResult::Block),
        event("3-3", AuditResult::Detect),
    ];
    // The first send may still reach the old socket while another test's child holds it
    // (see above); the sink reconnects once the old one refuses.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buffer = vec![0u8; 8192];
    let n = loop {
        sink.send(&events).expect("sent after a reconnect");
        if let Ok(n) = second.recv(&mut buffer) {
            break n;
        }
        assert!(Instant::now() < deadline, "the new daemon got nothing");
    };
    // Without the race the first event; with it, a datagram the old socket took is gone
    // with that socket, as it would be with the C library's syslog().
    let (_, received) = parse(std::str::from_utf8(&buffer[..n]).expect("text"));
    assert!(events.contains(&received), "{received:?}");
}

/// Run in a child process by the test below: writes two events to standard output.
#[test]
fn write_events_to_stdout_in_a_child() {
    if std::env::var_os("KABUTO_SINKS_CHILD").is_none() {
        return;
    }
    let mut out = EventFile::open(Path::new("-")).expect("stdout");
    out.write(&[
        event("2-1", AuditResult::Block),
        event("2-2", AuditResult::Detect),
    ])
    .expect("written");
}

#[test]
fn dash_writes_json_lines_to_standard_output() {
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "write_events_to_stdout_in_a_child",
            "--nocapture",
            "--quiet",
        ])
        .env("KABUTO_SINKS_CHILD", "1")
        .output()
        .expect("run the child");
    assert!(child.status.success(), "{child:?}");
    let text = String::from_utf8(child.stdout).expect("utf-8");
    let events: Vec<RuntimeAuditEvent> = text
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).expect("an event per line"))
        .collect();
    assert_eq!(
        events,
        [
            event("2-1", AuditResult::Block),
            event("2-2", AuditResult::Detect)
        ]
    );
}
