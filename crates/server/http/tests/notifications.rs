//! Notifications end to end: outputs managed over the API (secrets never shown), uploads that
//! bring new vulnerabilities or a failing verdict delivered to receivers on loopback (an HTTP
//! server that checks the HMAC signature, an SMTP sink), retries, a restart in between, and
//! dead letters. Retries wait for the outbox's first backoff (30 s).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use std::net::SocketAddr;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use harness::sinks::{Recorded, http_receiver, http_receiver_at, smtp_sink};
use harness::{Harness, Reply, nvd_page, report_bytes};
use hmac::{Hmac, Mac};
use kabuto_auth::Role;
use serde_json::{Value, json};
use sha2::Sha256;

const ADMIN_PASSWORD: &str = "correct horse battery staple";
const OUTPUTS: &str = "/api/v2/notification/outputs";
const DEAD_LETTERS: &str = "/api/v2/notification/dead_letters";
/// Long enough for a retry after the first backoff (30 s) and the poll.
const RETRY_WAIT: Duration = Duration::from_secs(120);
const WAIT: Duration = Duration::from_secs(30);

fn start() -> Harness {
    Harness::start_with_feed(ADMIN_PASSWORD, &nvd_page())
}

/// A loopback address nothing listens on (see `harness::unused_port`).
fn free_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], harness::unused_port()))
}

fn webhook(name: &str, addr: SocketAddr, secret: &str, triggers: &[&str]) -> Value {
    json!({
        "name": name, "type": "webhook", "url": format!("http://{addr}/hooks/{name}"),
        "secret": secret, "triggers": triggers,
    })
}

fn upload(h: &Harness, token: &str, image: &str, report: &[u8]) -> Reply {
    let reply = h.raw(
        "POST",
        &format!("/api/v1/scans?register=true&image={image}"),
        Some(token),
        "application/json",
        report.to_vec(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
}

fn received(requests: &Receiver<Recorded>, wait: Duration) -> Recorded {
    requests
        .recv_timeout(wait)
        .expect("the receiver got a notification")
}

/// The request's `X-Kabuto-Signature` is HMAC-SHA256 of its exact body under `secret`.
fn assert_signed(request: &Recorded, secret: &str) {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&request.body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        request.headers.get("x-kabuto-signature"),
        Some(&expected),
        "signed with {secret:?}"
    );
}

fn body(request: &Recorded) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// A JSON golden file, object keys sorted, the fields at `varying` (JSON pointers: times,
/// digests, ids) replaced by `[varies]`.
fn snapshot(name: &str, mut value: Value, varying: &[&str]) {
    for pointer in varying {
        if let Some(field) = value.pointer_mut(pointer) {
            *field = json!("[varies]");
        }
    }
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!(name, value);
    });
}

fn create(h: &Harness, token: &str, output: Value) -> Reply {
    h.call("POST", OUTPUTS, Some(token), Some(output))
}

#[test]
fn outputs_are_the_administrators_and_never_show_a_secret() {
    let h = start();
    let admin = h.token_for(Role::Administrator);
    let auditor = h.token_for(Role::Auditor);
    let author = h.token_for(Role::PolicyAuthor);
    let (hook, requests) = http_receiver(204, "");
    let closed = free_port();
    let outputs = [
        json!({
            "name": "ci-hook", "type": "webhook", "url": format!("http://{hook}/hooks/ci"),
            "secret": "hook-key-XYZ1", "headers": { "Authorization": "Bearer XYZ2" },
            "triggers": ["new_critical_vulnerability", "scan_failed"],
        }),
        json!({
            "name": "chat", "type": "slack", "enabled": false,
            "webhook_url": format!("http://{closed}/services/T0/B0/XYZ3"),
        }),
        json!({
            "name": "mail", "type": "email", "host": "smtp.corp.test", "username": "kabuto",
            "password": "smtp-XYZ4", "from": "Kabuto <kabuto@corp.test>", "to": ["ops@corp.test"],
            "triggers": ["image_non_compliant"],
        }),
    ];
    let refused = create(&h, &author, outputs[0].clone());
    assert_eq!(refused.status, 403, "{refused:?}");
    for output in &outputs {
        let created = create(&h, &admin, output.clone());
        assert_eq!(created.status, 201, "{created:?}");
        assert!(!created.text.contains("XYZ"), "{created:?}");
    }
    assert_eq!(create(&h, &admin, outputs[0].clone()).status, 409);

    let listed = h.call("GET", OUTPUTS, Some(&auditor), None);
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(!listed.text.contains("XYZ"), "{listed:?}");
    let mut shown = listed.body.clone();
    for entry in shown.as_array_mut().unwrap() {
        for field in ["created", "updated", "url", "webhook_url"] {
            if entry.get(field).is_some_and(|v| v != "<redacted>") {
                entry[field] = json!("[varies]");
            }
        }
    }
    snapshot("output_entries", shown, &[]);

    // Sent back as shown, with another URL: the stored secret and header stay, and sign.
    let (moved, moved_requests) = http_receiver(200, "ok");
    let mut changed = listed.body[1].clone();
    assert_eq!(changed["name"], "ci-hook", "listed by name");
    changed["url"] = json!(format!("http://{moved}/hooks/moved"));
    for field in ["created", "updated"] {
        changed.as_object_mut().unwrap().remove(field);
    }
    let put = h.call(
        "PUT",
        &format!("{OUTPUTS}/ci-hook"),
        Some(&admin),
        Some(changed),
    );
    assert_eq!(put.status, 200, "{put:?}");
    let tested = h.call(
        "POST",
        &format!("{OUTPUTS}/ci-hook/test"),
        Some(&admin),
        None,
    );
    assert_eq!(tested.status, 200, "{tested:?}");
    snapshot("test_delivered", tested.body, &[]);
    let request = received(&moved_requests, WAIT);
    assert_signed(&request, "hook-key-XYZ1");
    assert_eq!(request.headers["authorization"], "Bearer XYZ2");
    assert_eq!(body(&request)["trigger"], "new_critical_vulnerability");
    assert!(requests.try_recv().is_err(), "the old URL got nothing");

    // A placeholder with nothing stored to keep is refused, naming the field.
    let fresh = h.call(
        "PUT",
        &format!("{OUTPUTS}/fresh"),
        Some(&admin),
        Some(webhook("fresh", hook, "<redacted>", &["scan_failed"])),
    );
    assert_eq!(
        (fresh.status, fresh.body["error"]["field"].as_str()),
        (400, Some("secret")),
        "{fresh:?}"
    );
    let unknown = create(
        &h,
        &admin,
        webhook("t", hook, "k", &["scan_failed", "daily"]),
    );
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_eq!(unknown.body["error"]["field"], "triggers[1]", "{unknown:?}");
    let mut stray = outputs[1].clone();
    stray["channel"] = json!("#ops");
    let stray = create(&h, &admin, stray);
    assert!(stray.text.contains("unknown field `channel`"), "{stray:?}");

    // A failed test names the failure without the chat URL, which is the credential.
    let failed = h.call("POST", &format!("{OUTPUTS}/chat/test"), Some(&admin), None);
    assert_eq!(failed.body["delivered"], false, "{failed:?}");
    assert_eq!(failed.body["retryable"], true, "{failed:?}");
    assert!(!failed.text.contains("XYZ"), "{failed:?}");
    let error = failed.body["error"].as_str().unwrap();
    assert!(
        error.starts_with("notification output `chat` (slack): <redacted> could not be reached"),
        "{error}"
    );

    assert_eq!(
        h.call("DELETE", &format!("{OUTPUTS}/chat"), Some(&admin), None)
            .status,
        204
    );
    for (method, status) in [("GET", 404), ("DELETE", 404)] {
        let reply = h.call(method, &format!("{OUTPUTS}/chat"), Some(&admin), None);
        assert_eq!(reply.status, status, "{method}: {reply:?}");
    }
    let audit = h.call("GET", "/api/v1/audit?pagesize=1000", Some(&admin), None);
    let actions: Vec<&str> = audit.body["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in [
        "notification_output.create",
        "notification_output.update",
        "notification_output.test",
        "notification_output.delete",
    ] {
        assert!(actions.contains(&expected), "{expected} not in {actions:?}");
    }
    assert!(!audit.text.contains("XYZ"), "the audit log shows a secret");
}

/// An upload that brings new high vulnerabilities sends one signed notification; the
/// same upload again sends none (the next one the receiver gets is another image's).
fn a_new_vulnerability_is_notified_once(h: &Harness) {
    let admin = h.token_for(Role::Administrator);
    let scanner = h.token_for(Role::Scanner);
    let (addr, requests) = http_receiver(200, "ok");
    let output = webhook("sec", addr, "s3cret", &["new_high_vulnerability"]);
    assert_eq!(create(h, &admin, output).status, 201);
    let report = report_bytes();
    upload(h, &scanner, "registry.example/shop/api:1.0", &report);
    let request = received(&requests, WAIT);
    assert_eq!(request.path, "/hooks/sec");
    assert_signed(&request, "s3cret");
    snapshot("new_high_event", body(&request), &["/time", "/digest"]);

    let again = upload(h, &scanner, "registry.example/shop/api:1.0", &report);
    assert_eq!(again.body["new_scan"], false);
    upload(h, &scanner, "registry.example/shop/web:2.0", &report);
    let next = body(&received(&requests, WAIT));
    assert_eq!(
        next["image"], "registry.example/shop/web:2.0",
        "the repeated upload queued nothing before it"
    );
    let dead = h.call("GET", DEAD_LETTERS, Some(&admin), None);
    assert_eq!(dead.body["count"], 0, "{dead:?}");
}

#[test]
fn a_new_vulnerability_is_notified_once_on_sqlite() {
    a_new_vulnerability_is_notified_once(&start());
}

#[test]
fn a_new_vulnerability_is_notified_once_on_postgresql() {
    match Harness::start_postgres(ADMIN_PASSWORD, Some(&nvd_page())) {
        Some(h) => a_new_vulnerability_is_notified_once(&h),
        None => eprintln!(
            "note: skipped: KABUTO_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)"
        ),
    }
}

/// The daily loop: a new database makes a stored image vulnerable, the re-evaluation it
/// causes notifies.
#[test]
fn a_database_update_notifies_the_images_it_makes_vulnerable() {
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.token_for(Role::Administrator);
    let (addr, requests) = http_receiver(200, "ok");
    let output = webhook("daily", addr, "k", &["new_high_vulnerability"]);
    assert_eq!(create(&h, &admin, output).status, 201);
    let scanner = h.token_for(Role::Scanner);
    let uploaded = upload(
        &h,
        &scanner,
        "registry.example/shop/api:1.0",
        &report_bytes(),
    );
    assert_eq!(uploaded.body["image"]["high_vulns"], 0, "no rating yet");
    h.rebuild_database(Some(&nvd_page()));
    let reload = h.call("POST", "/api/v1/db/reload", Some(&admin), None);
    assert_eq!(reload.status, 200, "{reload:?}");
    let event = body(&received(&requests, WAIT));
    assert_eq!(
        (
            &event["trigger"],
            &event["image"],
            &event["details"]["count"]
        ),
        (
            &json!("new_high_vulnerability"),
            &json!("registry.example/shop/api:1.0"),
            &json!(2)
        )
    );
}

#[test]
fn a_receiver_that_answers_500_gets_the_notification_on_retry() {
    let h = start();
    let admin = h.token_for(Role::Administrator);
    let (addr, requests) = http_receiver_at(free_port(), vec![(500, "busy"), (200, "ok")]);
    let output = webhook("flaky", addr, "k", &["new_high_vulnerability"]);
    assert_eq!(create(&h, &admin, output).status, 201);
    upload(
        &h,
        &h.token_for(Role::Scanner),
        "registry.example/shop/api:1.0",
        &report_bytes(),
    );
    let refused = received(&requests, WAIT);
    let retried = received(&requests, RETRY_WAIT);
    assert_eq!(retried.body, refused.body, "the same event again");
    assert_eq!(body(&retried)["trigger"], "new_high_vulnerability");
}

#[test]
fn a_notification_queued_while_the_receiver_is_down_arrives_after_a_restart() {
    let mut h = start();
    let admin = h.token_for(Role::Administrator);
    let down = free_port();
    let output = webhook("later", down, "k", &["new_high_vulnerability"]);
    assert_eq!(create(&h, &admin, output).status, 201);
    let scanner = h.token_for(Role::Scanner);
    upload(
        &h,
        &scanner,
        "registry.example/shop/api:1.0",
        &report_bytes(),
    );
    h.restart();
    let (_, requests) = http_receiver_at(down, vec![(200, "ok")]);
    let request = received(&requests, RETRY_WAIT);
    assert_signed(&request, "k");
    assert_eq!(body(&request)["image"], "registry.example/shop/api:1.0");
}

#[test]
fn a_refused_notification_is_a_dead_letter_that_can_be_queued_again() {
    let h = start();
    let admin = h.token_for(Role::Administrator);
    let auditor = h.token_for(Role::Auditor);
    let scanner = h.token_for(Role::Scanner);
    let (addr, requests) = http_receiver_at(free_port(), vec![(404, "no such hook"), (200, "")]);
    let output = webhook("gone-hook", addr, "k", &["new_high_vulnerability"]);
    assert_eq!(create(&h, &admin, output).status, 201);
    upload(
        &h,
        &scanner,
        "registry.example/shop/api:1.0",
        &report_bytes(),
    );
    received(&requests, WAIT);
    let dead = h.wait_for(DEAD_LETTERS, &auditor, |page| page["count"] == 1);
    let letter = dead["result"][0].clone();
    assert_eq!(
        h.call("GET", DEAD_LETTERS, Some(&scanner), None).status,
        403
    );
    snapshot(
        "dead_letter",
        letter.clone(),
        &[
            "/id",
            "/created",
            "/finished",
            "/error",
            "/event/time",
            "/event/digest",
        ],
    );
    assert_eq!(
        letter["error"],
        format!(
            "notification output `gone-hook` (webhook): http://{addr}/hooks/gone-hook \
             answered HTTP 404: \"no such hook\""
        ),
    );

    let retry = |id: &str, token: &str| {
        h.call(
            "POST",
            &format!("{DEAD_LETTERS}/{id}/retry"),
            Some(token),
            None,
        )
    };
    let id = letter["id"].to_string();
    assert_eq!(retry(&id, &auditor).status, 403);
    let queued = retry(&id, &admin);
    assert_eq!(queued.status, 200, "{queued:?}");
    assert_eq!(
        (&queued.body["state"], &queued.body["attempts"]),
        (&json!("pending"), &json!(0))
    );
    let delivered = received(&requests, WAIT);
    assert_eq!(body(&delivered), letter["event"]);
    h.wait_for(DEAD_LETTERS, &auditor, |page| page["count"] == 0);
    assert_eq!(retry(&id, &admin).status, 404, "no longer a dead letter");
    assert_eq!(retry("not-a-number", &admin).status, 404);
}

#[test]
fn an_image_turning_non_compliant_is_mailed_over_smtp() {
    let h = start();
    let admin = h.token_for(Role::Administrator);
    let (smtp, mails) = smtp_sink("250 OK");
    let output = json!({
        "name": "ops-mail", "type": "email", "host": smtp.ip().to_string(), "port": smtp.port(),
        "tls": "off", "from": "Kabuto <kabuto@scanner.test>", "to": ["ops@corp.test"],
        "triggers": ["image_non_compliant"],
    });
    assert_eq!(create(&h, &admin, output).status, 201);
    let policy = json!({"name": "no-known-exploits", "fail_cicd": true, "cves_black_list_enabled": true, "cves_black_list": ["CVE-2018-18074"]});
    let put = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/no-known-exploits",
        Some(&admin),
        Some(policy),
    );
    assert_eq!(put.status, 200, "{put:?}");
    let scanner = h.token_for(Role::Scanner);
    let uploaded = upload(
        &h,
        &scanner,
        "registry.example/shop/api:1.0",
        &report_bytes(),
    );
    assert_eq!(uploaded.body["verdict"]["disallowed"], true);
    let mail = mails.recv_timeout(WAIT).expect("the sink got a mail");
    assert_eq!(mail.rcpt_to, ["RCPT TO:<ops@corp.test>"]);
    let text = mail.data.replace("=\r\n", "");
    assert!(
        text.contains("Subject: [Kabuto] Image non-compliant: registry.example/shop/api:1.0"),
        "{text}"
    );
    assert!(
        text.contains("Non-compliant: failed no-known-exploits: cves_black_list"),
        "{text}"
    );
}
