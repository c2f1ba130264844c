//! The server end to end on loopback: a real store (SQLite, and PostgreSQL when
//! `KABUTO_TEST_POSTGRES_URL` names a server), a database built from committed advisory
//! records, scan reports made by the engine from a root filesystem built here, and HTTP
//! through a real client.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is the failure report"
)]

mod harness;

use harness::{Harness, report_bytes};
use kabuto_auth::{Permission, Role};
use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Without a password the first start waits for setup (tests/console.rs) and no password
/// logs in; a short one is refused at start.
#[test]
fn first_start_never_has_a_default_password() {
    let waiting = Harness::try_start(None).unwrap();
    for password in ["", "administrator", "admin", "password", "changeme"] {
        let login = waiting.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"id": "administrator", "password": password})),
        );
        assert_eq!(login.status, 401, "{password:?}: {login:?}");
    }
    let short = Harness::try_start(Some("short")).err().unwrap();
    assert!(short.contains("12"), "{short}");
}

#[test]
fn login_gives_a_session_and_wrong_passwords_are_limited() {
    let h = Harness::start(ADMIN_PASSWORD);
    let session = h.login("administrator", ADMIN_PASSWORD);
    let me = h.call("GET", "/api/v1/me", Some(&session), None);
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["role"], "administrator");

    for _ in 0..5 {
        let wrong = h.call(
            "POST",
            "/api/v1/login",
            None,
            Some(json!({"id": "administrator", "password": "wrong password!"})),
        );
        assert_eq!(wrong.status, 401, "{wrong:?}");
        assert_eq!(wrong.body["error"]["message"], "wrong user id or password");
    }
    let limited = h.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"id": "administrator", "password": ADMIN_PASSWORD})),
    );
    assert_eq!(
        limited.status, 429,
        "the right password waits too: {limited:?}"
    );
    assert!(limited.retry_after.unwrap() >= 1);

    // An unknown user answers exactly as a wrong password does.
    let unknown = h.call(
        "POST",
        "/api/v1/login",
        None,
        Some(json!({"id": "nobody", "password": "wrong password!"})),
    );
    assert_eq!(
        (unknown.status, unknown.body.clone()),
        (
            401,
            json!({"error": {"code": "unauthorized", "message": "wrong user id or password"}})
        )
    );

    let audit = h.call(
        "GET",
        "/api/v1/audit?action=login&result=failure",
        Some(&session),
        None,
    );
    assert_eq!(audit.body["count"], 6, "{audit:?}");
}

#[test]
fn every_endpoint_checks_the_role_and_refuses_anonymous_callers() {
    let h = Harness::start(ADMIN_PASSWORD);
    let tokens: Vec<(Role, String)> = Role::ALL.iter().map(|r| (*r, h.token_for(*r))).collect();
    let openapi = h.call("GET", "/api/openapi.json", None, None).body;
    let mut checked = 0;
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(permission) = op.get("x-kabuto-permission") else {
                continue;
            };
            let permission: Permission = serde_json::from_value(permission.clone()).unwrap();
            let concrete = path
                .replace("{registry}", "registry.example")
                .replace("{repository}", "app")
                .replace("{tag}", "1.0")
                .replace("{digest}", "sha256:00")
                .replace("{name}", "some-policy")
                .replace("{id}", "someone-else");
            let method = method.to_uppercase();
            let anonymous = h.call(&method, &concrete, None, Some(json!({})));
            assert_eq!(
                anonymous.status, 401,
                "{method} {concrete} without a token: {anonymous:?}"
            );
            for (role, token) in &tokens {
                let reply = h.call(&method, &concrete, Some(token), Some(json!({})));
                if role.allows(permission) {
                    assert!(
                        reply.status != 401 && reply.status != 403,
                        "{method} {concrete} as {role}: {reply:?}"
                    );
                } else {
                    assert_eq!(
                        reply.status, 403,
                        "{method} {concrete} as {role}: {reply:?}"
                    );
                }
                assert!(
                    reply.status < 500,
                    "{method} {concrete} as {role}: {reply:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 30, "walked {checked} calls");
    let denied = h.call(
        "GET",
        "/api/v1/audit?result=denied&pagesize=1",
        Some(&tokens[0].1),
        None,
    );
    assert!(
        denied.body["count"].as_i64().unwrap() > 20,
        "refused writes are audited: {denied:?}"
    );
}

#[test]
fn a_revoked_token_stops_working_and_no_secret_is_ever_returned() {
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.login("administrator", ADMIN_PASSWORD);
    let created = h.call(
        "POST",
        "/api/v1/tokens",
        Some(&admin),
        Some(json!({"name": "ci"})),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        h.call("GET", "/api/v2/images", Some(&token), None).status,
        200
    );
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(
        h.call(
            "DELETE",
            &format!("/api/v1/tokens/{id}"),
            Some(&admin),
            None
        )
        .status,
        204
    );
    assert_eq!(
        h.call("GET", "/api/v2/images", Some(&token), None).status,
        401
    );

    for path in [
        "/api/v1/tokens",
        "/api/v1/users",
        "/api/v1/audit?pagesize=1000",
    ] {
        let text = h.call("GET", path, Some(&admin), None).text;
        assert!(!text.contains(&token), "{path} shows a token");
        assert!(!text.contains("argon2"), "{path} shows a password hash");
        assert!(!text.contains(ADMIN_PASSWORD), "{path} shows the password");
    }
}

#[test]
fn a_session_cookie_write_needs_the_csrf_header() {
    let h = Harness::start(ADMIN_PASSWORD);
    let (cookie, csrf) = h.login_cookies("administrator", ADMIN_PASSWORD);
    let body = json!({"name": "from-console"});
    let without = h.call_with_cookie("POST", "/api/v1/tokens", &cookie, None, body.clone());
    assert_eq!(without.status, 403, "{without:?}");
    let with = h.call_with_cookie("POST", "/api/v1/tokens", &cookie, Some(&csrf), body);
    assert_eq!(with.status, 201, "{with:?}");
    let read = h.call_with_cookie("GET", "/api/v1/me", &cookie, None, Value::Null);
    assert_eq!(read.status, 200, "reads need no CSRF header: {read:?}");
}

#[test]
fn bad_bodies_get_a_4xx_naming_the_field() {
    let h = Harness::start(ADMIN_PASSWORD);
    let admin = h.token_for(Role::Administrator);
    let cases: [(&str, &str, u16, Option<&str>); 6] = [
        (
            "{\"comment\": \"x\", \"issues\": [{\"issue_name\": \"CVE-1\", \"expiration_days\": \"soon\"}]}",
            "application/json",
            400,
            Some("issues[0].expiration_days"),
        ),
        (
            "{\"comment\": \"x\", \"issues\": [], \"colour\": 1}",
            "application/json",
            400,
            None,
        ),
        ("{\"comment\": ", "application/json", 400, None),
        ("comment=x", "application/x-www-form-urlencoded", 415, None),
        (&"[".repeat(10_000), "application/json", 400, None),
        (
            "{\"comment\": \"x\", \"issues\": [{\"issue_name\": \"CVE-1\", \"expiration_days\": 5000}]}",
            "application/json",
            400,
            Some("issues[0].expiration_days"),
        ),
    ];
    for (body, content_type, status, field) in cases {
        let reply = h.raw(
            "POST",
            "/api/v2/risks/acknowledge",
            Some(&admin),
            content_type,
            body.as_bytes().to_vec(),
        );
        assert_eq!(reply.status, status, "{body:.60}: {reply:?}");
        if let Some(field) = field {
            assert_eq!(reply.body["error"]["field"], field, "{reply:?}");
        }
    }
    let unknown = h.raw(
        "POST",
        "/api/v2/risks/acknowledge",
        Some(&admin),
        "application/json",
        b"{\"comment\":\"x\",\"issues\":[],\"colour\":1}".to_vec(),
    );
    assert!(
        unknown.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("colour"),
        "{unknown:?}"
    );
    let huge = h.post_oversized("/api/v2/risks/acknowledge", &admin, &vec![b' '; 2 << 20]);
    assert_eq!(huge, 413);
    let policy = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/p",
        Some(&admin),
        Some(json!({"name": "p", "cvss_severity": "extreme"})),
    );
    assert_eq!(policy.status, 400, "{policy:?}");
    assert!(
        policy.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cvss_severity"),
        "{policy:?}"
    );
    let mismatch = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/p",
        Some(&admin),
        Some(json!({"name": "q"})),
    );
    assert_eq!(mismatch.body["error"]["field"], "name", "{mismatch:?}");
}

/// The seed's flow: a scanner registers scans, the gate fails on a blocked CVE, security
/// acknowledges it, the same scan passes; every step is in the audit log.
fn register_acknowledge_and_watch_the_verdict_change(h: &Harness) {
    let scanner = h.token_for(Role::Scanner);
    let author = h.token_for(Role::PolicyAuthor);
    let auditor = h.token_for(Role::Auditor);
    let report = report_bytes();
    let upload = |register: bool| {
        h.raw(
            "POST",
            &format!("/api/v1/scans?register={register}&image=registry.example/shop/api:1.0"),
            Some(&scanner),
            "application/json",
            report.clone(),
        )
    };

    let first = upload(true);
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["verdict"]["disallowed"], false, "no policy yet");
    assert_eq!(first.body["new_scan"], true);
    let again = upload(true);
    assert_eq!(
        again.body["new_scan"], false,
        "the same scan is stored once"
    );

    let policy = json!({"name": "no-known-exploits", "fail_cicd": true, "cves_black_list_enabled": true, "cves_black_list": ["CVE-2018-18074"]});
    let put = h.call(
        "PUT",
        "/api/v2/assurance_policy/image/no-known-exploits",
        Some(&author),
        Some(policy.clone()),
    );
    assert_eq!(put.status, 200, "{put:?}");
    assert_eq!(
        h.call(
            "GET",
            "/api/v2/assurance_policy/image/no-known-exploits",
            Some(&auditor),
            None
        )
        .body,
        policy
    );

    let blocked = upload(false);
    assert_eq!(blocked.body["verdict"]["disallowed"], true, "{blocked:?}");
    assert_eq!(blocked.body["verdict"]["exit_code"], 4);
    assert_eq!(blocked.body["registered"], false);
    // The policy change re-evaluates the stored image by itself.
    let image = h.wait_for(
        "/api/v2/images/registry.example/shop/api/1.0",
        &auditor,
        |i| i["disallowed"] == true,
    );
    assert_eq!(
        image["assurance_checks_performed"][0]["control"],
        "cves_black_list"
    );

    let vulns = h.call(
        "GET",
        "/api/v2/risks/vulnerabilities?name=CVE-2018-18074",
        Some(&auditor),
        None,
    );
    assert_eq!(vulns.body["count"], 1, "{vulns:?}");
    assert_eq!(vulns.body["result"][0]["resource"]["name"], "requests");
    assert_eq!(vulns.body["result"][0]["acknowledged"], false);

    let ack = json!({"comment": "only used behind our proxy", "issues": [{"issue_name": "CVE-2018-18074", "resource_name": "requests", "expiration_days": 30, "state": "not_affected", "justification": "protected_at_perimeter"}]});
    assert_eq!(
        h.call(
            "POST",
            "/api/v2/risks/acknowledge",
            Some(&author),
            Some(ack)
        )
        .status,
        201
    );
    let passes = upload(false);
    assert_eq!(passes.body["verdict"]["disallowed"], false, "{passes:?}");
    h.wait_for(
        "/api/v2/images/registry.example/shop/api/1.0",
        &auditor,
        |i| i["disallowed"] == false,
    );
    let acked = h.call(
        "GET",
        "/api/v2/risks/vulnerabilities?acknowledged=true",
        Some(&auditor),
        None,
    );
    assert_eq!(acked.body["count"], 1, "{acked:?}");

    let cyclonedx = h.call(
        "GET",
        "/api/v2/images/registry.example/shop/api/1.0?format=cyclonedx",
        Some(&auditor),
        None,
    );
    assert_eq!(cyclonedx.status, 200);
    let analysis = &cyclonedx.body["vulnerabilities"][0]["analysis"];
    assert_eq!(analysis["state"], "not_affected", "{analysis}");
    assert_eq!(
        analysis["justification"], "protected_at_perimeter",
        "{analysis}"
    );
    let vex = h
        .call(
            "GET",
            "/api/v2/risks/acknowledge/openvex",
            Some(&auditor),
            None,
        )
        .body;
    assert_eq!(vex["statements"][0]["status"], "not_affected", "{vex}");
    assert_eq!(
        vex["statements"][0]["products"][0]["@id"], "pkg:pypi/requests@2.19.1",
        "{vex}"
    );

    let actions: Vec<String> = h
        .call("GET", "/api/v1/audit?pagesize=100", Some(&auditor), None)
        .body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for expected in [
        "image.scan",
        "policy.create",
        "verdict.block",
        "ack.create",
        "image.verdict_changed",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not in {actions:?}"
        );
    }
}

#[test]
fn register_acknowledge_and_watch_the_verdict_change_on_sqlite() {
    register_acknowledge_and_watch_the_verdict_change(&Harness::start(ADMIN_PASSWORD));
}

#[test]
fn register_acknowledge_and_watch_the_verdict_change_on_postgresql() {
    match Harness::start_postgres(ADMIN_PASSWORD, None) {
        Some(h) => register_acknowledge_and_watch_the_verdict_change(&h),
        None => eprintln!(
            "note: skipped: KABUTO_TEST_POSTGRES_URL is not set (scripts/test.sh starts a server)"
        ),
    }
}

#[test]
fn lists_page_sort_and_filter_and_a_new_tag_of_a_known_digest_adds_only_the_tag() {
    let h = Harness::start(ADMIN_PASSWORD);
    let scanner = h.token_for(Role::Scanner);
    let auditor = h.token_for(Role::Auditor);
    let report = report_bytes();
    for tag in ["1.0", "1.1", "latest"] {
        let reply = h.raw(
            "POST",
            &format!("/api/v1/scans?register=true&image=registry.example/shop/api:{tag}"),
            Some(&scanner),
            "application/json",
            report.clone(),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.body["new_scan"], tag == "1.0");
    }
    let page = h
        .call(
            "GET",
            "/api/v2/images?pagesize=2&order_by=-name",
            Some(&auditor),
            None,
        )
        .body;
    assert_eq!(page["count"], 3);
    let tags: Vec<&str> = page["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["latest", "1.1"]);
    let detail = h
        .call(
            "GET",
            "/api/v2/images/registry.example/shop%2Fapi/1.0",
            Some(&auditor),
            None,
        )
        .body;
    assert_eq!(detail["tags"].as_array().unwrap().len(), 2, "{detail}");
    assert_eq!(detail["report"]["packages"].as_array().unwrap().len(), 2);
    let digest = detail["digest"].as_str().unwrap();
    assert_eq!(
        h.call(
            "GET",
            &format!("/api/v2/digests/{digest}"),
            Some(&auditor),
            None
        )
        .status,
        200
    );
    let bad = h.call(
        "GET",
        "/api/v2/images?order_by=colour",
        Some(&auditor),
        None,
    );
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (400, Some("order_by"))
    );
    let registered = h.call("POST", "/api/v1/images", Some(&scanner), Some(json!({"images": [{"registry": "registry.example", "repository": "shop/web", "tag": "2.0"}]})));
    assert_eq!(registered.status, 201, "{registered:?}");
    let pending = h
        .call("GET", "/api/v2/images?search=web", Some(&auditor), None)
        .body;
    assert_eq!(pending["result"][0]["scan_status"], "pending");
}

#[test]
fn the_openapi_document_lists_every_operation_and_resolves_every_reference() {
    let h = Harness::start(ADMIN_PASSWORD);
    let doc = h.call("GET", "/api/openapi.json", None, None).body;
    assert_eq!(doc["openapi"], "3.1.0");
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{name} is referenced but not defined"
        );
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, kabuto_server::endpoints().len());
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "operation ids are unique");
    assert_eq!(h.call("GET", "/readyz", None, None).status, 200);
    let metrics = h.call("GET", "/metrics", None, None).text;
    assert!(
        metrics.contains("kabuto_http_requests_total"),
        "{metrics:.400}"
    );
}

/// With a certificate the server speaks HTTPS (rustls) and a client that trusts the
/// certificate gets answers; plain HTTP on that port gets none. Without one, a non-loopback
/// address is refused unless asked for.
#[test]
fn tls_serves_https_and_plain_http_off_loopback_needs_consent() {
    let dir = tempfile::tempdir().unwrap();
    let (certified, cert, key) = harness::localhost_certificate(dir.path());
    let config = |listen: &str, tls: Option<(std::path::PathBuf, std::path::PathBuf)>| {
        harness::config_in(dir.path(), listen, tls, ADMIN_PASSWORD)
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refused = runtime
        .block_on(kabuto_server::start(config("0.0.0.0:0", None)))
        .err()
        .unwrap();
    assert!(
        refused.to_string().contains("--insecure-listen"),
        "{refused}"
    );

    let server = runtime
        .block_on(kabuto_server::start(config(
            "127.0.0.1:0",
            Some((cert, key)),
        )))
        .unwrap();
    let port = server.addr.port();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let agent = ureq::AgentBuilder::new()
        .tls_config(std::sync::Arc::new(tls))
        .build();
    let answer = agent
        .get(&format!("https://localhost:{port}/healthz"))
        .call()
        .unwrap();
    assert_eq!(answer.status(), 200);
    let plain = ureq::get(&format!("http://127.0.0.1:{port}/healthz")).call();
    assert!(plain.is_err(), "plain HTTP on the TLS port answered");
    runtime
        .block_on(server.shutdown(std::time::Duration::from_secs(5)))
        .unwrap();
}
