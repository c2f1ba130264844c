//! Runtime policies and enforcers at the server on loopback, on SQLite and (when
//! `KABUTO_TEST_POSTGRES_URL` names a server) PostgreSQL: the policies an enforcer fetches,
//! written by policy authors only and audited; a bad policy refused naming its field; the
//! enforcers' reports listed with their connection state. The enforcer's side (fetch,
//! refresh, the kept copy) is tested against the same server in `enforcer_policies.rs`.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::time::Duration;

use harness::{Harness, on_postgres};
use kabuto_auth::Role;
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "correct horse battery staple";

fn lockdown(enforce: bool) -> Value {
    json!({
        "name": "lockdown",
        "description": "no shells from outside",
        "enforce": enforce,
        "container_exec": {"enabled": true},
        "executable_blacklist": {"enabled": true, "executables": ["nc"]}
    })
}

fn runtime_policies_are_kept_checked_and_audited(h: &Harness) {
    let author = h.token_for(Role::PolicyAuthor);
    let enforcer = h.token_for(Role::Enforcer);
    let scanner = h.token_for(Role::Scanner);
    let path = "/api/v2/runtime_policies";

    let created = h.call("POST", path, Some(&author), Some(lockdown(false)));
    assert_eq!(created.status, 201, "{created:?}");
    let again = h.call("POST", path, Some(&author), Some(lockdown(false)));
    assert_eq!(again.status, 409, "{again:?}");
    assert!(again.text.contains("PUT /api/v2/runtime_policies/lockdown"));

    let listed = h.call("GET", path, Some(&enforcer), None);
    assert_eq!(
        (listed.status, listed.body.clone()),
        (200, json!([lockdown(false)]))
    );
    let refused = h.call("GET", path, Some(&scanner), None);
    assert_eq!(refused.status, 403, "{refused:?}");
    let written = h.call(
        "PUT",
        &format!("{path}/lockdown"),
        Some(&enforcer),
        Some(lockdown(true)),
    );
    assert_eq!(written.status, 403, "an enforcer reads only: {written:?}");

    let replaced = h.call(
        "PUT",
        &format!("{path}/lockdown"),
        Some(&author),
        Some(lockdown(true)),
    );
    assert_eq!(replaced.status, 200, "{replaced:?}");
    let one = h.call("GET", &format!("{path}/lockdown"), Some(&enforcer), None);
    assert_eq!(one.body, lockdown(true));

    let mut bad = lockdown(true);
    bad["enforce"] = json!("maybe");
    let refused = h.call("PUT", &format!("{path}/lockdown"), Some(&author), Some(bad));
    assert_eq!(refused.status, 400, "{refused:?}");
    let message = refused.body["error"]["message"].as_str().unwrap();
    assert!(message.contains("field `enforce`"), "{message}");
    let mut unknown = lockdown(true);
    unknown["block_everything"] = json!(true);
    let refused = h.call("POST", path, Some(&author), Some(unknown));
    assert_eq!(refused.status, 400, "{refused:?}");
    assert!(
        refused.text.contains("block_everything"),
        "{}",
        refused.text
    );
    let renamed = h.call(
        "PUT",
        &format!("{path}/other"),
        Some(&author),
        Some(lockdown(true)),
    );
    assert_eq!(renamed.status, 400, "{renamed:?}");
    assert_eq!(renamed.body["error"]["field"], "name", "{renamed:?}");
    let list = h.call(
        "PUT",
        &format!("{path}/lockdown"),
        Some(&author),
        Some(json!([lockdown(true)])),
    );
    assert_eq!(list.status, 400, "{list:?}");

    let image = h.call(
        "GET",
        "/api/v2/assurance_policy/image/lockdown",
        Some(&author),
        None,
    );
    assert_eq!(
        image.status, 404,
        "runtime and image policies are apart: {image:?}"
    );

    let deleted = h.call("DELETE", &format!("{path}/lockdown"), Some(&author), None);
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let gone = h.call("DELETE", &format!("{path}/lockdown"), Some(&author), None);
    assert_eq!(gone.status, 404, "{gone:?}");
    assert_eq!(h.call("GET", path, Some(&enforcer), None).body, json!([]));

    let admin = h.admin();
    let audit = h.call(
        "GET",
        "/api/v1/audit?action=runtime_policy.&pagesize=50",
        Some(&admin),
        None,
    );
    let mut actions: Vec<(String, String)> = audit.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    actions.sort();
    let expected = [
        ("runtime_policy.create", "success"),
        ("runtime_policy.delete", "success"),
        ("runtime_policy.update", "denied"),
        ("runtime_policy.update", "success"),
    ];
    assert_eq!(
        actions,
        expected.map(|(a, r)| (a.to_owned(), r.to_owned())),
        "{}",
        audit.text
    );
}

#[test]
fn runtime_policies_are_kept_checked_and_audited_on_sqlite() {
    runtime_policies_are_kept_checked_and_audited(&Harness::start(ADMIN_PASSWORD));
}

#[test]
fn runtime_policies_are_kept_checked_and_audited_on_postgresql() {
    on_postgres(
        ADMIN_PASSWORD,
        runtime_policies_are_kept_checked_and_audited,
    );
}

fn report(host: &str, interval: u64, containers: u64) -> Value {
    json!({
        "host": host,
        "version": "0.1.0",
        "mode": "enforcement: exec killed before the new program runs",
        "policies": ["lockdown"],
        "containers": containers,
        "events": {"spooled": 5, "sent": 4, "dropped": 0},
        "interval_seconds": interval,
    })
}

fn enforcers_report_and_are_listed_with_their_state(h: &Harness) {
    let enforcer = h.token_for(Role::Enforcer);
    let auditor = h.token_for(Role::Auditor);
    for (host, interval) in [("node-a", 3600), ("node-b", 1)] {
        let sent = h.call(
            "POST",
            "/api/v1/enforcers",
            Some(&enforcer),
            Some(report(host, interval, 2)),
        );
        assert_eq!(sent.status, 204, "{sent:?}");
    }
    let again = h.call(
        "POST",
        "/api/v1/enforcers",
        Some(&enforcer),
        Some(report("node-a", 3600, 7)),
    );
    assert_eq!(again.status, 204, "{again:?}");
    let refused = h.call(
        "POST",
        "/api/v1/enforcers",
        Some(&auditor),
        Some(report("node-c", 30, 1)),
    );
    assert_eq!(refused.status, 403, "{refused:?}");
    let empty = h.call(
        "POST",
        "/api/v1/enforcers",
        Some(&enforcer),
        Some(report(" ", 30, 1)),
    );
    assert_eq!(
        (empty.status, empty.body["error"]["field"].clone()),
        (400, json!("host"))
    );

    // node-b reports every second: three seconds of silence make it disconnected.
    std::thread::sleep(Duration::from_millis(3200));
    let listed = h.call("GET", "/api/v1/enforcers", Some(&auditor), None);
    assert_eq!(listed.status, 200, "{listed:?}");
    let list = listed.body.as_array().unwrap();
    let states: Vec<(&str, &str, u64)> = list
        .iter()
        .map(|e| {
            (
                e["host"].as_str().unwrap(),
                e["status"].as_str().unwrap(),
                e["containers"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [("node-a", "connected", 7), ("node-b", "disconnected", 2)]
    );
    assert_eq!(list[0]["policies"], json!(["lockdown"]));
    assert_eq!(
        list[0]["events"],
        json!({"spooled": 5, "sent": 4, "dropped": 0})
    );
    assert!(
        list[0]["reporter"]
            .as_str()
            .unwrap()
            .starts_with("enforcer-")
    );
    assert!(list[0]["first_seen"].as_str().unwrap() <= list[0]["last_seen"].as_str().unwrap());
    let enforcer_reads = h.call("GET", "/api/v1/enforcers", Some(&enforcer), None);
    assert_eq!(enforcer_reads.status, 403, "{enforcer_reads:?}");

    let audit = h.call(
        "GET",
        "/api/v1/audit?action=enforcer.connect",
        Some(&auditor),
        None,
    );
    assert_eq!(
        audit.body["count"], 2,
        "the first report of each host: {}",
        audit.text
    );
}

#[test]
fn enforcers_report_and_are_listed_with_their_state_on_sqlite() {
    enforcers_report_and_are_listed_with_their_state(&Harness::start(ADMIN_PASSWORD));
}

#[test]
fn enforcers_report_and_are_listed_with_their_state_on_postgresql() {
    on_postgres(
        ADMIN_PASSWORD,
        enforcers_report_and_are_listed_with_their_state,
    );
}
