//! The spool keeps every acknowledged event across restarts, delivers each reader's events
//! until it acknowledges them, refuses appends when full, and cuts a torn line.

use std::io::Write;

use kabuto_api::{
    AuditEvidence, AuditProcess, AuditResult, RUNTIME_AUDIT_EVENT_VERSION, RuntimeAuditEvent,
};
use kabuto_enforcer::spool::{Spool, SpoolError};

fn event(n: usize) -> RuntimeAuditEvent {
    RuntimeAuditEvent {
        schema_version: RUNTIME_AUDIT_EVENT_VERSION,
        id: format!("test-{n}"),
        time: "2026-12-07T12:00:00Z".into(),
        host: "node".into(),
        container: None,
        image: None,
        image_digest: None,
        pod: None,
        process: AuditProcess {
            pid: 100 + n as u32,
            ns_pid: None,
            uid: Some(0),
            comm: "nc".into(),
            path: "/usr/bin/nc".into(),
            args: Vec::new(),
            cwd: None,
        },
        lineage: Vec::new(),
        kind: "exec".into(),
        policy: "p".into(),
        control: "KRT002".into(),
        control_field: "executable_blacklist".into(),
        result: AuditResult::Block,
        evidence: AuditEvidence {
            message: "blocked".into(),
            enforcement: None,
            file: Some("/usr/bin/nc".into()),
            remote: None,
        },
    }
}

fn ids(events: &[RuntimeAuditEvent]) -> Vec<String> {
    events.iter().map(|e| e.id.clone()).collect()
}

#[test]
fn events_survive_a_restart_until_acknowledged() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let mut spool = Spool::open(dir.path(), 1 << 20, &["file", "server"]).expect("open");
        for n in 0..5 {
            spool.append(&event(n)).expect("append");
        }
        let (events, at) = spool.pending("file", 3).expect("pending");
        assert_eq!(ids(&events), ["test-0", "test-1", "test-2"]);
        spool.acknowledge("file", at).expect("ack");
        // Dropped without acknowledging anything else: a crash.
    }
    let mut spool = Spool::open(dir.path(), 1 << 20, &["file", "server"]).expect("reopen");
    let (events, _) = spool.pending("file", 10).expect("pending");
    assert_eq!(
        ids(&events),
        ["test-3", "test-4"],
        "the file reader resumes"
    );
    let (events, at) = spool.pending("server", 10).expect("pending");
    assert_eq!(events.len(), 5, "the server reader acknowledged nothing");
    spool.acknowledge("server", at).expect("ack");
    spool.append(&event(5)).expect("append after restart");
    let (events, _) = spool.pending("server", 10).expect("pending");
    assert_eq!(ids(&events), ["test-5"]);
    assert!(matches!(
        spool.pending("nobody", 1),
        Err(SpoolError::UnknownReader(_))
    ));
}

#[test]
fn a_full_spool_refuses_new_events_and_frees_space_when_delivered() {
    let dir = tempfile::tempdir().expect("dir");
    // Events 10 to 99 have the longest lines; 0 to 9 are one byte shorter.
    let line = serde_json::to_vec(&event(10)).expect("json").len() as u64 + 1;
    // Room for 40 events (the ten short ones leave 10 bytes spare, less than one line);
    // segments of an eighth of the bound (4096-byte minimum).
    let mut spool = Spool::open(dir.path(), line * 40, &["file"]).expect("open");
    let mut accepted = 0;
    let refused = loop {
        match spool.append(&event(accepted)) {
            Ok(()) => accepted += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(accepted, 40);
    assert!(matches!(refused, SpoolError::Full { .. }), "{refused}");
    let segments = || {
        std::fs::read_dir(dir.path())
            .expect("list")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("segment-"))
            })
            .count()
    };
    assert!(segments() > 1, "the spool rotated");
    let (events, at) = spool.pending("file", 100).expect("pending");
    assert_eq!(events.len(), 40, "everything accepted is there, in order");
    assert_eq!(events[39].id, "test-39");
    spool.acknowledge("file", at).expect("ack");
    assert_eq!(segments(), 1, "delivered segments are deleted");
    assert_eq!(spool.undelivered_bytes().expect("size"), 0);
    spool.append(&event(99)).expect("room again");
}

#[test]
fn a_torn_last_line_is_cut_and_the_rest_kept() {
    let dir = tempfile::tempdir().expect("dir");
    {
        let mut spool = Spool::open(dir.path(), 1 << 20, &["file"]).expect("open");
        spool.append(&event(0)).expect("append");
    }
    let segment = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("segment-"))
        .expect("segment")
        .path();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&segment)
        .expect("open segment");
    file.write_all(b"{\"schema_version\":1,\"id\":\"tor")
        .expect("torn write");
    drop(file);
    let mut spool = Spool::open(dir.path(), 1 << 20, &["file"]).expect("reopen");
    spool.append(&event(1)).expect("append");
    let (events, _) = spool.pending("file", 10).expect("pending");
    assert_eq!(ids(&events), ["test-0", "test-1"]);
}

#[test]
fn a_batch_is_kept_in_order_across_segments_up_to_the_bound() {
    let dir = tempfile::tempdir().expect("dir");
    let line = serde_json::to_vec(&event(10)).expect("json").len() as u64 + 1;
    let batch: Vec<RuntimeAuditEvent> = (10..60).map(event).collect();
    {
        let mut spool = Spool::open(dir.path(), line * 40, &["file"]).expect("open");
        let (kept, error) = spool.append_all(&batch);
        assert_eq!(kept, 40, "the batch is kept up to the bound");
        assert!(matches!(error, Some(SpoolError::Full { .. })), "{error:?}");
        assert_eq!(spool.append_all(&[]).0, 0);
    }
    let spool = Spool::open(dir.path(), line * 40, &["file"]).expect("reopen");
    let (events, _) = spool.pending("file", 100).expect("pending");
    assert_eq!(
        ids(&events),
        ids(&batch[..40]),
        "on disk, in order, after a reopen"
    );
}
